//! Messages: appended with the next seq of their chat, read back in pages.

use super::{
    Store, StoreError,
    entity::{chat, message, reaction},
};
use app::media::Attachment;
use app::model::{
    ChatId, ClientId, Message, MessageId, MessageKind, MessageStatus, Reaction, ReplyTo, Seq,
    SystemEvent, UserId, Version,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    Condition, ConnectionTrait, QueryOrder, QuerySelect, QueryTrait, entity::prelude::*,
};
use std::collections::HashMap;

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
    pub version: Version,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub reply_to_id: Option<MessageId>,
    /// The quote of `reply_to_id` as it now stands (filled in by [`decorate`]).
    pub reply_to: Option<ReplyTo>,
    /// The seq of the message it quotes (filled in by [`decorate`]): who
    /// joined after it may not read the quote (see [`Self::quote_as_read_from`]).
    pub quoted_seq: Option<Seq>,
    /// Filled in by [`decorate`].
    pub reactions: Vec<Reaction>,
    /// What happened to the group, for a system message.
    pub system: Option<SystemEvent>,
    /// The members it mentions.
    pub mentions: Vec<UserId>,
    /// Filled in by [`decorate`].
    pub attachments: Vec<Attachment>,
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
            version: self.version,
            edited_at: self.edited_at,
            deleted_at: self.deleted_at,
            reply_to: self.reply_to,
            reactions: self.reactions,
            kind: if self.system.is_some() {
                MessageKind::System
            } else {
                MessageKind::Text
            },
            system: self.system,
            mentions: self.mentions,
            attachments: self.attachments,
        }
    }

    /// The message as a reader who may read from seq `visible_from` sees
    /// it: a quote of something said before that is "unavailable", without
    /// its words or its author. (The message itself is theirs to read: the
    /// caller made sure.)
    pub fn quote_as_read_from(mut self, visible_from: Seq) -> Self {
        if self.quoted_seq.is_some_and(|quoted| quoted < visible_from) {
            self.reply_to = self.reply_to_id.map(ReplyTo::unavailable);
        }
        self
    }

    /// How a reply quotes this message now.
    pub fn quoted(&self) -> ReplyTo {
        ReplyTo::quoting(
            self.id,
            self.sender_id,
            &self.body,
            self.deleted_at.is_some(),
        )
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
            version: row.version,
            edited_at: row.edited_at,
            deleted_at: row.deleted_at,
            reply_to_id: row.reply_to_id.map(MessageId),
            reply_to: None,
            quoted_seq: None,
            reactions: Vec::new(),
            // Written by the server alone; unreadable would be a bug, and
            // then the line shows as an ordinary empty message.
            system: row
                .system
                .as_deref()
                .and_then(|event| serde_json::from_str(event).ok()),
            mentions: row
                .mentions
                .as_deref()
                .and_then(|ids| serde_json::from_str(ids).ok())
                .unwrap_or_default(),
            attachments: Vec::new(),
        }
    }
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
    /// The first `limit` to change after this version, ascending version.
    ChangedAfter(Version),
    /// `limit` around this seq: half before it, the rest from it on.
    Around(Seq),
}

impl Store {
    /// A page of the chat's messages from seq `from` on (what a member may
    /// read: from when they joined), in ascending seq (ascending version for
    /// [`Page::ChangedAfter`]), with their quotes and reactions.
    pub async fn messages(
        &self,
        chat_id: ChatId,
        page: Page,
        limit: u64,
        from: Seq,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let messages = messages_page(&self.db, chat_id, page, limit, from).await?;
        Ok(decorate(&self.db, messages)
            .await?
            .into_iter()
            .map(|message| message.quote_as_read_from(from))
            .collect())
    }

    /// One message of the chat, with its quote and reactions.
    pub async fn message(
        &self,
        chat_id: ChatId,
        message_id: MessageId,
    ) -> Result<Option<StoredMessage>, StoreError> {
        let Some(row) = message_in(&self.db, chat_id, message_id).await? else {
            return Ok(None);
        };
        Ok(decorate(&self.db, vec![row]).await?.pop())
    }

    /// What `sender` stored in `chat` under `client_id`, if anything: the
    /// original of a resend, for when the writer's own check cannot be
    /// reached. Never another chat's message (see the writer's `Plan`).
    pub async fn sent_before(
        &self,
        chat: ChatId,
        sender: UserId,
        client_id: &ClientId,
    ) -> Result<Option<StoredMessage>, StoreError> {
        Ok(message::Entity::find()
            .filter(message::Column::ChatId.eq(chat.0))
            .filter(message::Column::SenderId.eq(sender.0))
            .filter(message::Column::ClientId.eq(client_id.as_str()))
            .one(&self.db)
            .await?
            .map(StoredMessage::from))
    }

    /// Fills in the quotes and reactions of messages read without them.
    pub async fn decorate(
        &self,
        messages: Vec<StoredMessage>,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        decorate(&self.db, messages).await
    }

    /// The newest message of each chat that its reader may read (from the
    /// seq paired with it), as that reader sees it: one read for them all,
    /// then their quotes and reactions. A chat with nothing readable yet is
    /// absent.
    pub async fn latest_messages(
        &self,
        chats: &[(ChatId, Seq)],
    ) -> Result<HashMap<ChatId, StoredMessage>, StoreError> {
        use sea_orm::ExprTrait;
        if chats.is_empty() {
            return Ok(HashMap::new());
        }
        let newest = message::Entity::find()
            .select_only()
            .column(message::Column::ChatId)
            .column_as(message::Column::Seq.max(), "seq")
            .filter(message::Column::ChatId.is_in(chats.iter().map(|(chat, _)| chat.0)))
            .group_by(message::Column::ChatId)
            .into_query();
        let rows = message::Entity::find()
            .filter(
                Expr::tuple([
                    Expr::col(message::Column::ChatId),
                    Expr::col(message::Column::Seq),
                ])
                .in_subquery(newest),
            )
            .all(&self.db)
            .await?;
        let from: HashMap<ChatId, Seq> = chats.iter().copied().collect();
        let readable = rows
            .into_iter()
            .map(StoredMessage::from)
            .filter(|message| {
                from.get(&message.chat_id)
                    .is_some_and(|&f| message.seq >= f)
            })
            .collect();
        Ok(decorate(&self.db, readable)
            .await?
            .into_iter()
            .map(|message| {
                let reader_from = from.get(&message.chat_id).copied().unwrap_or_default();
                (message.chat_id, message.quote_as_read_from(reader_from))
            })
            .collect())
    }

    /// For each chat, how many of its `Unread` messages others sent: the
    /// unread badge. One read for them all; a chat with none is absent.
    pub async fn unread_counts(
        &self,
        reader: UserId,
        chats: &[(ChatId, Unread)],
    ) -> Result<HashMap<ChatId, u64>, StoreError> {
        self.count_unread(reader, chats, None).await
    }

    /// For each chat, how many of its `Unread` messages others sent mention
    /// `reader`: the "@" badge. One read for them all.
    pub async fn mention_counts(
        &self,
        reader: UserId,
        chats: &[(ChatId, Unread)],
    ) -> Result<HashMap<ChatId, u64>, StoreError> {
        // The ids are JSON strings of fixed form: a match is exact.
        let mentioned = message::Column::Mentions.contains(reader.0.to_string());
        self.count_unread(reader, chats, Some(mentioned)).await
    }

    async fn count_unread(
        &self,
        reader: UserId,
        chats: &[(ChatId, Unread)],
        only: Option<sea_orm::sea_query::SimpleExpr>,
    ) -> Result<HashMap<ChatId, u64>, StoreError> {
        use sea_orm::ExprTrait;
        let wanted = chats
            .iter()
            .filter(|(_, unread)| unread.through > unread.seen_seq)
            .fold(Condition::any(), |any, (chat, unread)| {
                any.add(
                    message::Column::ChatId
                        .eq(chat.0)
                        .and(message::Column::Seq.gt(unread.seen_seq))
                        .and(message::Column::Seq.lte(unread.through)),
                )
            });
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let mut query = message::Entity::find()
            .select_only()
            .column(message::Column::ChatId)
            .column_as(message::Column::Id.count(), "count")
            .filter(wanted)
            .filter(message::Column::SenderId.ne(reader.0))
            .group_by(message::Column::ChatId);
        if let Some(only) = only {
            query = query.filter(only);
        }
        let counts: Vec<(Uuid, i64)> = query.into_tuple().all(&self.db).await?;
        Ok(counts
            .into_iter()
            .map(|(chat, count)| (ChatId(chat), u64::try_from(count).unwrap_or_default()))
            .collect())
    }
}

/// The messages a reader may not have read: after what they have seen,
/// through the latest one a summary shows. The upper bound keeps a summary
/// true to itself: a message stored between reading the latest one and
/// counting is in neither, instead of counted under an older preview.
#[derive(Clone, Copy, Debug)]
pub struct Unread {
    pub seen_seq: Seq,
    pub through: Seq,
}

async fn messages_page(
    db: &impl ConnectionTrait,
    chat_id: ChatId,
    page: Page,
    limit: u64,
    from: Seq,
) -> Result<Vec<StoredMessage>, StoreError> {
    let query = message::Entity::find()
        .filter(message::Column::ChatId.eq(chat_id.0))
        .filter(message::Column::Seq.gte(from))
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
        Page::ChangedAfter(version) => changed_after(db, chat_id, version, limit, from).await?,
        Page::Around(seq) => {
            let mut earlier = query
                .clone()
                .filter(message::Column::Seq.lt(seq))
                .limit(limit / 2)
                .order_by_desc(message::Column::Seq)
                .all(db)
                .await?;
            earlier.reverse();
            let later = query
                .filter(message::Column::Seq.gte(seq))
                .limit(limit - earlier.len() as u64)
                .order_by_asc(message::Column::Seq)
                .all(db)
                .await?;
            earlier.extend(later);
            earlier
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
    if matches!(page, Page::Latest | Page::Before(_)) {
        rows.reverse();
    }
    Ok(rows.into_iter().map(StoredMessage::from).collect())
}

/// The first `limit` messages of the chat whose version is above `version`,
/// ascending version, in two index range scans: messages changed since their
/// creation through the partial `(chat_id, version)` index, and those never
/// changed, created after `version`, by seq. (Indexing every message by
/// version would cost the write path a B-tree leaf per new message.)
///
/// Creations take seqs and versions together, so a message's creation
/// version is its seq plus the number of changes made in the chat before it:
/// never more than the chat's count now (`last_version - last_seq`). Those
/// created after `version` therefore all have a seq above
/// `version - (last_version - last_seq)`, and the scan by seq starts there.
async fn changed_after(
    db: &impl ConnectionTrait,
    chat_id: ChatId,
    version: Version,
    limit: u64,
    from: Seq,
) -> Result<Vec<message::Model>, StoreError> {
    let Some(chat) = chat::Entity::find_by_id(chat_id.0).one(db).await? else {
        return Ok(Vec::new());
    };
    let changes_so_far = chat.last_version - chat.last_seq;
    let of_chat = || {
        message::Entity::find()
            .filter(message::Column::ChatId.eq(chat_id.0))
            .limit(limit)
    };
    let new_since = of_chat()
        .filter(message::Column::Seq.gt((version - changes_so_far).max(from - 1).max(0)))
        // Never changed: its version is still the one it was created with.
        .filter(message::Column::ChangedAt.is_null())
        .filter(message::Column::Version.gt(version))
        .order_by_asc(message::Column::Seq)
        .all(db)
        .await?;
    let changed_since = of_chat()
        .filter(message::Column::ChangedAt.is_not_null())
        .filter(message::Column::Version.gt(version))
        .filter(message::Column::Seq.gte(from))
        .order_by_asc(message::Column::Version)
        .all(db)
        .await?;
    Ok(first_by_version(new_since, changed_since, limit))
}

/// The first `limit` of two lists, each ascending version, by version.
fn first_by_version(
    mut a: Vec<message::Model>,
    b: Vec<message::Model>,
    limit: u64,
) -> Vec<message::Model> {
    a.extend(b);
    a.sort_by_key(|message| message.version);
    a.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    a
}

/// The message `message_id` if it is in `chat_id`.
pub(super) async fn message_in(
    db: &impl ConnectionTrait,
    chat_id: ChatId,
    message_id: MessageId,
) -> Result<Option<StoredMessage>, StoreError> {
    Ok(message::Entity::find_by_id(message_id.0)
        .filter(message::Column::ChatId.eq(chat_id.0))
        .one(db)
        .await?
        .map(StoredMessage::from))
}

/// Fills in each message's quote (from its target as it now stands), its
/// reactions and its attachments: three queries for any number of messages.
pub(super) async fn decorate(
    db: &impl ConnectionTrait,
    mut messages: Vec<StoredMessage>,
) -> Result<Vec<StoredMessage>, StoreError> {
    if messages.is_empty() {
        return Ok(messages);
    }
    let ids: Vec<Uuid> = messages.iter().map(|message| message.id.0).collect();
    let mut reactions = reactions_of(db, &ids).await?;
    let mut attachments = super::attachments::attachments_of(db, &ids).await?;
    let targets: Vec<Uuid> = messages
        .iter()
        .filter_map(|message| message.reply_to_id.map(|id| id.0))
        .collect();
    let quotes: HashMap<MessageId, (Seq, ReplyTo)> = if targets.is_empty() {
        HashMap::new()
    } else {
        message::Entity::find()
            .filter(message::Column::Id.is_in(targets))
            .all(db)
            .await?
            .into_iter()
            .map(|row| {
                let target = StoredMessage::from(row);
                (target.id, (target.seq, target.quoted()))
            })
            .collect()
    };
    for message in &mut messages {
        message.reactions = reactions.remove(&message.id).unwrap_or_default();
        message.attachments = attachments.remove(&message.id).unwrap_or_default();
        let quote = message.reply_to_id.and_then(|target| quotes.get(&target));
        message.quoted_seq = quote.map(|(seq, _)| *seq);
        message.reply_to = quote.map(|(_, quote)| quote.clone());
    }
    Ok(messages)
}

/// The reactions on each message: emoji in the order first used, and for
/// each the people in the order they used it.
async fn reactions_of(
    db: &impl ConnectionTrait,
    message_ids: &[Uuid],
) -> Result<HashMap<MessageId, Vec<Reaction>>, StoreError> {
    let rows = reaction::Entity::find()
        .filter(reaction::Column::MessageId.is_in(message_ids.iter().copied()))
        .order_by_asc(reaction::Column::Version)
        .all(db)
        .await?;
    let mut by_message: HashMap<MessageId, Vec<Reaction>> = HashMap::new();
    for row in rows {
        let reactions = by_message.entry(MessageId(row.message_id)).or_default();
        let user = UserId(row.user_id);
        match reactions.iter_mut().find(|r| r.emoji == row.emoji) {
            Some(reaction) => reaction.user_ids.push(user),
            None => reactions.push(Reaction {
                emoji: row.emoji,
                user_ids: vec![user],
            }),
        }
    }
    Ok(by_message)
}
