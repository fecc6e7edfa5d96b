//! Full-text search over the messages a user may read: in chats they are in,
//! from when they joined, never deleted ones or system lines, newest first.
//! SQLite asks its FTS5 index, PostgreSQL its `tsvector` column (both kept
//! in step with every write, see the migration).

use super::{
    Store, StoreError,
    chats::ChatRecord,
    entity::{chat, message},
    messages::{StoredMessage, decorate},
};
use app::{
    model::{ChatId, Seq, UserId},
    search::SearchQuery,
};
use sea_orm::{DbBackend, FromQueryResult, Statement, entity::prelude::*};
use std::collections::HashMap;

/// Where a page of results stops: the next page starts below it. Opaque to
/// clients; its spelling depends on the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchCursor {
    /// SQLite: the message's rowid (the order messages were stored in).
    Row(i64),
    /// PostgreSQL: the message's id (time-ordered UUIDv7).
    Id(Uuid),
}

impl SearchCursor {
    pub fn encode(self) -> String {
        match self {
            Self::Row(row) => format!("r{row}"),
            Self::Id(id) => format!("i{}", id.simple()),
        }
    }

    /// `None` for anything this server did not hand out.
    pub fn decode(raw: &str) -> Option<Self> {
        match raw.split_at_checked(1)? {
            ("r", row) => row.parse().ok().map(Self::Row),
            ("i", id) => Uuid::try_parse(id).ok().map(Self::Id),
            _ => None,
        }
    }
}

/// One result: the message and its chat.
pub struct Found {
    pub message: StoredMessage,
    pub chat: ChatRecord,
}

#[derive(FromQueryResult)]
struct Hit {
    position: i64,
    id: Uuid,
    /// Where the searcher's reading of the hit's chat starts (for its quote).
    visible_from: Seq,
}

#[derive(FromQueryResult)]
struct HitById {
    id: Uuid,
    visible_from: Seq,
}

impl Store {
    /// At most `limit` messages matching `query` that `user` may read, newest
    /// first, below `before`; and where the next page would start, if there
    /// may be one.
    pub async fn search(
        &self,
        user: UserId,
        query: &SearchQuery,
        chat: Option<ChatId>,
        limit: u64,
        before: Option<SearchCursor>,
    ) -> Result<(Vec<Found>, Option<SearchCursor>), StoreError> {
        let backend = self.db.get_database_backend();
        let hits: Vec<(Uuid, Seq, SearchCursor)> = match backend {
            DbBackend::Postgres => self
                .search_postgres(user, query, chat, limit, before)
                .await?
                .into_iter()
                .map(|hit| (hit.id, hit.visible_from, SearchCursor::Id(hit.id)))
                .collect(),
            _ => self
                .search_sqlite(user, query, chat, limit, before)
                .await?
                .into_iter()
                .map(|hit| (hit.id, hit.visible_from, SearchCursor::Row(hit.position)))
                .collect(),
        };
        let ids: Vec<Uuid> = hits.iter().map(|(id, ..)| *id).collect();
        let positions: Vec<SearchCursor> = hits.iter().map(|(.., at)| *at).collect();
        let visible_from: HashMap<Uuid, Seq> =
            hits.iter().map(|(id, from, _)| (*id, *from)).collect();
        let next = (ids.len() as u64 == limit)
            .then(|| positions.last().copied())
            .flatten();
        let rows = message::Entity::find()
            .filter(message::Column::Id.is_in(ids.iter().copied()))
            .all(&self.db)
            .await?;
        let mut by_id: HashMap<Uuid, StoredMessage> = rows
            .into_iter()
            .map(|row| (row.id, StoredMessage::from(row)))
            .collect();
        let messages: Vec<StoredMessage> = ids.iter().filter_map(|id| by_id.remove(id)).collect();
        let messages: Vec<StoredMessage> = decorate(&self.db, messages)
            .await?
            .into_iter()
            .map(|message| {
                let from = visible_from.get(&message.id.0).copied().unwrap_or(Seq::MAX);
                message.quote_as_read_from(from)
            })
            .collect();
        let chat_ids: Vec<Uuid> = messages.iter().map(|m| m.chat_id.0).collect();
        let chats: HashMap<ChatId, ChatRecord> = chat::Entity::find()
            .filter(chat::Column::Id.is_in(chat_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (ChatId(row.id), ChatRecord::from(row)))
            .collect();
        let found = messages
            .into_iter()
            .filter_map(|message| {
                let chat = chats.get(&message.chat_id)?.clone();
                Some(Found { message, chat })
            })
            .collect();
        Ok((found, next))
    }

    async fn search_sqlite(
        &self,
        user: UserId,
        query: &SearchQuery,
        chat: Option<ChatId>,
        limit: u64,
        before: Option<SearchCursor>,
    ) -> Result<Vec<Hit>, StoreError> {
        // Each word a quoted prefix: nothing in a query is FTS syntax.
        let matching = query
            .terms()
            .iter()
            .map(|term| format!("\"{}\"*", term.replace('"', "")))
            .collect::<Vec<_>>()
            .join(" ");
        let mut values: Vec<sea_orm::Value> = vec![user.0.into(), matching.into()];
        let mut sql = String::from(
            // CROSS JOIN keeps the index the outer loop (SQLite never
            // reorders it): matches come newest first and the scan stops at
            // `limit`. Joined the other way, each candidate message would
            // run the whole full-text query again.
            "SELECT m.rowid AS position, m.id AS id, cm.visible_from_seq AS visible_from \
             FROM messages_fts f \
             CROSS JOIN messages m ON m.rowid = f.rowid \
             CROSS JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = ? \
             WHERE messages_fts MATCH ? AND m.seq >= cm.visible_from_seq \
             AND m.deleted_at IS NULL AND m.system IS NULL",
        );
        if let Some(chat) = chat {
            sql.push_str(" AND m.chat_id = ?");
            values.push(chat.0.into());
        }
        if let Some(SearchCursor::Row(row)) = before {
            sql.push_str(" AND f.rowid < ?");
            values.push(row.into());
        }
        sql.push_str(" ORDER BY f.rowid DESC LIMIT ?");
        values.push((limit as i64).into());
        let statement = Statement::from_sql_and_values(DbBackend::Sqlite, sql, values);
        Ok(Hit::find_by_statement(statement).all(&self.db).await?)
    }

    async fn search_postgres(
        &self,
        user: UserId,
        query: &SearchQuery,
        chat: Option<ChatId>,
        limit: u64,
        before: Option<SearchCursor>,
    ) -> Result<Vec<HitById>, StoreError> {
        // Words are letters and digits only, so this is always a valid tsquery.
        let matching = query
            .terms()
            .iter()
            .map(|term| format!("{term}:*"))
            .collect::<Vec<_>>()
            .join(" & ");
        let mut values: Vec<sea_orm::Value> = vec![user.0.into(), matching.into()];
        let mut sql = String::from(
            "SELECT m.id AS id, cm.visible_from_seq AS visible_from FROM messages m \
             JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = $1 \
             WHERE m.search @@ to_tsquery('simple', parley_fold($2)) \
             AND m.seq >= cm.visible_from_seq \
             AND m.deleted_at IS NULL AND m.system IS NULL",
        );
        if let Some(chat) = chat {
            values.push(chat.0.into());
            sql.push_str(&format!(" AND m.chat_id = ${}", values.len()));
        }
        if let Some(SearchCursor::Id(id)) = before {
            values.push(id.into());
            sql.push_str(&format!(" AND m.id < ${}", values.len()));
        }
        values.push((limit as i64).into());
        sql.push_str(&format!(" ORDER BY m.id DESC LIMIT ${}", values.len()));
        let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
        Ok(HitById::find_by_statement(statement).all(&self.db).await?)
    }
}
