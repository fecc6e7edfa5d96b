//! Messages: appended with the next seq of their chat, read back in pages.

use super::{
    Store, StoreError,
    entity::{chat, chat_member, message},
};
use app::model::{Body, ChatId, ClientId, Message, MessageId, MessageStatus, Seq, UserId};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, PaginatorTrait, QueryOrder, QuerySelect, TransactionTrait,
    entity::prelude::*,
    sea_query::{Expr, ExprTrait},
};

/// A message as stored; its status depends on who reads it, so it has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    pub id: MessageId,
    pub chat_id: ChatId,
    pub seq: Seq,
    pub sender_id: UserId,
    pub client_id: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl StoredMessage {
    pub fn with_status(self, status: MessageStatus) -> Message {
        Message {
            id: self.id,
            chat_id: self.chat_id,
            seq: self.seq,
            sender_id: self.sender_id,
            client_id: self.client_id,
            body: self.body,
            created_at: self.created_at,
            status,
        }
    }
}

impl From<message::Model> for StoredMessage {
    fn from(row: message::Model) -> Self {
        Self {
            id: MessageId(row.id),
            chat_id: ChatId(row.chat_id),
            seq: row.seq,
            sender_id: UserId(row.sender_id),
            client_id: row.client_id,
            body: row.body,
            created_at: row.created_at,
        }
    }
}

pub struct NewMessage<'a> {
    pub chat_id: ChatId,
    pub sender_id: UserId,
    pub client_id: &'a ClientId,
    pub body: &'a Body,
}

/// The outcome of appending: the message, and whether it is new or a resend of
/// one stored earlier under the same (sender, client id).
#[derive(Debug)]
pub enum Appended {
    New(StoredMessage),
    Existing(StoredMessage),
}

/// Which page of a chat's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// The newest `limit`.
    Latest,
    /// The newest `limit` with seq below this.
    Before(Seq),
    /// The oldest `limit` with seq above `after` (and below `before`, if given).
    After { after: Seq, before: Option<Seq> },
}

impl Store {
    /// Stores a message as the chat's next seq, and moves the sender's own
    /// watermarks to it, in one transaction. A resend (same sender and client id)
    /// stores nothing and returns the original.
    pub async fn append_message(&self, new: NewMessage<'_>) -> Result<Appended, StoreError> {
        if let Some(existing) = self
            .message_by_client_id(new.sender_id, new.client_id)
            .await?
        {
            return Ok(Appended::Existing(existing));
        }
        match self.insert_next(&new).await {
            Ok(stored) => Ok(Appended::New(stored)),
            // A concurrent resend won the race for the unique (sender, client id).
            Err(StoreError::Conflict) => self
                .message_by_client_id(new.sender_id, new.client_id)
                .await?
                .map(Appended::Existing)
                .ok_or(StoreError::Conflict),
            Err(error) => Err(error),
        }
    }

    async fn insert_next(&self, new: &NewMessage<'_>) -> Result<StoredMessage, StoreError> {
        let now = Utc::now();
        let txn = self.db.begin().await?;
        // The write comes first: it takes the chat's row lock (PostgreSQL) or the
        // write lock (SQLite) before anything is read, so concurrent senders queue
        // instead of deadlocking.
        chat::Entity::update_many()
            .col_expr(
                chat::Column::LastSeq,
                Expr::col(chat::Column::LastSeq).add(1),
            )
            .col_expr(chat::Column::LastActivityAt, Expr::value(now))
            .filter(chat::Column::Id.eq(new.chat_id.0))
            .exec(&txn)
            .await?;
        let seq: Seq = chat::Entity::find_by_id(new.chat_id.0)
            .select_only()
            .column(chat::Column::LastSeq)
            .into_tuple()
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::Database(DbErr::RecordNotFound("chat".into())))?;
        let row = message::ActiveModel {
            id: Set(Uuid::now_v7()),
            chat_id: Set(new.chat_id.0),
            seq: Set(seq),
            sender_id: Set(new.sender_id.0),
            client_id: Set(new.client_id.as_str().to_owned()),
            body: Set(new.body.as_str().to_owned()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        // The sender has seen what they wrote.
        chat_member::Entity::update_many()
            .col_expr(chat_member::Column::DeliveredSeq, Expr::value(seq))
            .col_expr(chat_member::Column::SeenSeq, Expr::value(seq))
            .filter(chat_member::Column::ChatId.eq(new.chat_id.0))
            .filter(chat_member::Column::UserId.eq(new.sender_id.0))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(row.into())
    }

    pub async fn message_by_client_id(
        &self,
        sender_id: UserId,
        client_id: &ClientId,
    ) -> Result<Option<StoredMessage>, StoreError> {
        let row = message::Entity::find()
            .filter(message::Column::SenderId.eq(sender_id.0))
            .filter(message::Column::ClientId.eq(client_id.as_str()))
            .one(&self.db)
            .await?;
        Ok(row.map(StoredMessage::from))
    }

    /// A page of the chat's messages, in ascending seq.
    pub async fn messages(
        &self,
        chat_id: ChatId,
        page: Page,
        limit: u64,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        messages_page(&self.db, chat_id, page, limit).await
    }

    /// How many messages after `seen_seq` others sent: the unread badge.
    pub async fn unread_count(
        &self,
        chat_id: ChatId,
        reader: UserId,
        seen_seq: Seq,
    ) -> Result<u64, StoreError> {
        Ok(message::Entity::find()
            .filter(message::Column::ChatId.eq(chat_id.0))
            .filter(message::Column::Seq.gt(seen_seq))
            .filter(message::Column::SenderId.ne(reader.0))
            .count(&self.db)
            .await?)
    }
}

async fn messages_page(
    db: &impl ConnectionTrait,
    chat_id: ChatId,
    page: Page,
    limit: u64,
) -> Result<Vec<StoredMessage>, StoreError> {
    let query = message::Entity::find()
        .filter(message::Column::ChatId.eq(chat_id.0))
        .limit(limit);
    let mut rows = match page {
        Page::Latest => query.order_by_desc(message::Column::Seq).all(db).await?,
        Page::Before(before) => {
            query
                .filter(message::Column::Seq.lt(before))
                .order_by_desc(message::Column::Seq)
                .all(db)
                .await?
        }
        Page::After { after, before } => {
            let query = query.filter(message::Column::Seq.gt(after));
            let query = match before {
                Some(before) => query.filter(message::Column::Seq.lt(before)),
                None => query,
            };
            query.order_by_asc(message::Column::Seq).all(db).await?
        }
    };
    if !matches!(page, Page::After { .. }) {
        rows.reverse();
    }
    Ok(rows.into_iter().map(StoredMessage::from).collect())
}
