//! Uploads as recorded: whose, for which chat, taken by which message, and
//! where their bytes are. A message takes its attachments in the writer's
//! transaction (see `writer::claim_attachments`).

use super::{
    Store, StoreError,
    entity::{attachment, message},
};
use app::{
    media::Attachment,
    model::{AttachmentId, ChatId, MessageId, UserId},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, QueryOrder, QuerySelect,
    entity::prelude::*,
    sea_query::{Expr, Func},
};
use std::collections::HashMap;

/// A new upload, its bytes already stored.
pub struct NewAttachment<'a> {
    pub id: AttachmentId,
    pub chat_id: ChatId,
    pub uploader_id: UserId,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub object_key: &'a str,
    pub thumbnail_key: Option<&'a str>,
}

/// Where an attachment's bytes are, for serving them.
#[derive(Clone, Debug)]
pub struct StoredAttachment {
    pub attachment: Attachment,
    pub object_key: String,
    pub thumbnail_key: Option<String>,
}

impl From<attachment::Model> for StoredAttachment {
    fn from(row: attachment::Model) -> Self {
        let id = AttachmentId(row.id);
        let number = |n: Option<i32>| n.and_then(|n| u32::try_from(n).ok());
        Self {
            attachment: Attachment {
                id,
                name: row.name,
                content_type: row.content_type,
                size: u64::try_from(row.size).unwrap_or(0),
                width: number(row.width),
                height: number(row.height),
                url: Attachment::url_of(id),
                thumbnail_url: row
                    .thumbnail_key
                    .as_ref()
                    .map(|_| Attachment::thumbnail_url_of(id)),
            },
            object_key: row.object_key,
            thumbnail_key: row.thumbnail_key,
        }
    }
}

impl StoredAttachment {
    /// Every object it has in the file store.
    pub fn keys(&self) -> impl Iterator<Item = String> + use<> {
        std::iter::once(self.object_key.clone()).chain(self.thumbnail_key.clone())
    }
}

impl Store {
    pub async fn add_attachment(&self, new: NewAttachment<'_>) -> Result<Attachment, StoreError> {
        let number = |n: Option<u32>| n.and_then(|n| i32::try_from(n).ok());
        let row = attachment::ActiveModel {
            id: Set(new.id.0),
            chat_id: Set(new.chat_id.0),
            uploader_id: Set(new.uploader_id.0),
            message_id: Set(None),
            name: Set(new.name.to_owned()),
            content_type: Set(new.content_type.to_owned()),
            size: Set(i64::try_from(new.size).unwrap_or(i64::MAX)),
            width: Set(number(new.width)),
            height: Set(number(new.height)),
            object_key: Set(new.object_key.to_owned()),
            thumbnail_key: Set(new.thumbnail_key.map(str::to_owned)),
            created_at: Set(Utc::now()),
        };
        let row = attachment::Entity::insert(row)
            .exec_with_returning(&*self.writing().await)
            .await?;
        Ok(StoredAttachment::from(row).attachment)
    }

    /// How many bytes of uploads `uploader` has not sent yet (anywhere).
    pub async fn unsent_bytes(&self, uploader: UserId) -> Result<u64, StoreError> {
        let total: Option<i64> = attachment::Entity::find()
            .select_only()
            // PostgreSQL sums bigints as numeric: cast back.
            .column_as(
                Expr::from(Func::cast_as(
                    Func::sum(Expr::col(attachment::Column::Size)),
                    "BIGINT",
                )),
                "total",
            )
            .filter(attachment::Column::UploaderId.eq(uploader.0))
            .filter(attachment::Column::MessageId.is_null())
            .into_tuple::<Option<i64>>()
            .one(&self.db)
            .await?
            .flatten();
        Ok(total.map_or(0, |total| total.max(0) as u64))
    }

    /// Those of `ids` that `uploader` uploaded to `chat_id` and has not sent
    /// yet, in the order of `ids`.
    pub async fn unsent_attachments(
        &self,
        chat_id: ChatId,
        uploader: UserId,
        ids: &[AttachmentId],
    ) -> Result<Vec<Attachment>, StoreError> {
        let mut rows: HashMap<Uuid, attachment::Model> = attachment::Entity::find()
            .filter(attachment::Column::Id.is_in(ids.iter().map(|id| id.0)))
            .filter(attachment::Column::ChatId.eq(chat_id.0))
            .filter(attachment::Column::UploaderId.eq(uploader.0))
            .filter(attachment::Column::MessageId.is_null())
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        Ok(ids
            .iter()
            .filter_map(|id| rows.remove(&id.0))
            .map(|row| StoredAttachment::from(row).attachment)
            .collect())
    }

    /// The attachment, if `reader` may have it: their own upload not yet
    /// sent, or one on a message they can read (a member from before it,
    /// the message not deleted).
    pub async fn readable_attachment(
        &self,
        id: AttachmentId,
        reader: UserId,
    ) -> Result<Option<StoredAttachment>, StoreError> {
        let Some(row) = attachment::Entity::find_by_id(id.0).one(&self.db).await? else {
            return Ok(None);
        };
        let Some(message_id) = row.message_id else {
            return Ok((row.uploader_id == reader.0).then(|| row.into()));
        };
        let Some(message) = message::Entity::find_by_id(message_id)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let readable = message.deleted_at.is_none()
            && self
                .membership(ChatId(row.chat_id), reader)
                .await?
                .is_some_and(|member| member.visible_from <= message.seq);
        Ok(readable.then(|| row.into()))
    }

    /// Forgets the uploads made before `cutoff` that no message took, and
    /// hands them back (to delete their bytes). One statement: an upload a
    /// message takes at the same moment is either taken or forgotten, never
    /// both.
    pub async fn forget_unsent_before(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<StoredAttachment>, StoreError> {
        Ok(attachment::Entity::delete_many()
            .filter(attachment::Column::MessageId.is_null())
            .filter(attachment::Column::CreatedAt.lt(cutoff))
            .exec_with_returning(&*self.writing().await)
            .await?
            .into_iter()
            .map(StoredAttachment::from)
            .collect())
    }
}

/// Each message's attachments, in the order they were uploaded.
pub(super) async fn attachments_of(
    db: &impl ConnectionTrait,
    message_ids: &[Uuid],
) -> Result<HashMap<MessageId, Vec<Attachment>>, StoreError> {
    let rows = attachment::Entity::find()
        .filter(attachment::Column::MessageId.is_in(message_ids.iter().copied()))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await?;
    let mut by_message: HashMap<MessageId, Vec<Attachment>> = HashMap::new();
    for row in rows {
        if let Some(message_id) = row.message_id {
            by_message
                .entry(MessageId(message_id))
                .or_default()
                .push(StoredAttachment::from(row).attachment);
        }
    }
    Ok(by_message)
}

/// Removes a message's attachments (it is being deleted) and hands back
/// where their bytes are, to delete once the transaction has committed.
pub(super) async fn detach_all(
    txn: &impl ConnectionTrait,
    message_id: MessageId,
) -> Result<Vec<StoredAttachment>, StoreError> {
    Ok(attachment::Entity::delete_many()
        .filter(attachment::Column::MessageId.eq(message_id.0))
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .map(StoredAttachment::from)
        .collect())
}
