//! Messages: appended with the next seq of their chat, read back in pages.

use super::{
    Store, StoreError,
    entity::message,
    writer::{Pending, Queued},
};
use app::model::{Body, ChatId, ClientId, Message, MessageId, MessageStatus, Receipt, Seq, UserId};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, PaginatorTrait, QueryOrder, QuerySelect, entity::prelude::*};

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
    /// Members whose watermarks move with the message, decided by the caller
    /// from where they are: `seen_by` have the chat open, `delivered_to` are
    /// online elsewhere. (The sender has seen it, always.)
    pub seen_by: &'a [UserId],
    pub delivered_to: &'a [UserId],
}

/// The outcome of appending: the message, and whether it is new or a resend of
/// one stored earlier under the same (sender, client id).
#[derive(Debug)]
pub enum Appended {
    New(Arrival),
    Existing(StoredMessage),
}

/// A message just stored, with every member's watermarks as they stood just
/// before it (read under the same lock that gave the message its seq).
#[derive(Debug)]
pub struct Arrival {
    pub message: StoredMessage,
    pub receipts_before: Vec<Receipt>,
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
    /// Stores a message as the chat's next seq and moves the watermarks it
    /// moves (the sender's, `seen_by`'s, `delivered_to`'s), in one transaction
    /// with whatever other messages arrived together (group commit, see
    /// `writer`): what is announced afterwards is exactly what was stored. A
    /// resend (same sender and client id) stores nothing and returns the
    /// original.
    pub async fn append_message(&self, new: NewMessage<'_>) -> Result<Appended, StoreError> {
        let (answer, outcome) = tokio::sync::oneshot::channel();
        let pending = Pending {
            chat_id: new.chat_id,
            sender_id: new.sender_id,
            client_id: new.client_id.as_str().to_owned(),
            body: new.body.as_str().to_owned(),
            seen_by: new.seen_by.to_vec(),
            delivered_to: new.delivered_to.to_vec(),
        };
        let gone = || StoreError::Unavailable(DbErr::Custom("the message writer stopped".into()));
        self.messages
            .send(Queued { pending, answer })
            .await
            .map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?
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
