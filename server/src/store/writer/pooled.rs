//! The batch written through SeaORM's pool: PostgreSQL, and an in-memory
//! SQLite database. Every statement is a round trip to the database (or its
//! driver's thread), so each step is one statement for the whole batch: the
//! statements that touch one row per message join against a `VALUES` list,
//! so each row is one index probe. Seven statements per batch, whatever its
//! size.

use super::{
    Append, Bumped, MAX_BATCH, Moved, Outcome, Plan, QUEUE_LIMIT, Queued, batch_time, claims,
    count_fresh, mentions_column, now_ms, only, outcomes, owed_pushes, plan, raise_watermarks,
    split,
};
use crate::store::{
    StoreError, chats::receipts_in_chats, entity::message, messages::StoredMessage,
};
use app::model::{ChatId, UserId};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait,
    entity::prelude::*,
};
use std::collections::HashMap;
use tokio::sync::mpsc;

/// Starts the writer on `db`; it runs until every sender is dropped.
pub(in crate::store) fn on_pool(
    db: DatabaseConnection,
    sizes: prometheus::Histogram,
) -> mpsc::Sender<Queued> {
    let (queue, mut queued) = mpsc::channel::<Queued>(QUEUE_LIMIT);
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while queued.recv_many(&mut batch, MAX_BATCH).await > 0 {
            sizes.observe(batch.len() as f64);
            commit_and_answer(&db, std::mem::take(&mut batch)).await;
        }
    });
    queue
}

/// Commits the batch and answers everyone in it (see [`super::answer`]).
async fn commit_and_answer(db: &DatabaseConnection, batch: Vec<Queued>) {
    let (pending, answers) = split(batch);
    let committed = commit(db, &pending).await;
    for (one, answer) in super::answer(pending, answers, committed) {
        let _ = answer.send(only(commit(db, std::slice::from_ref(&one)).await));
    }
}

/// One transaction for the whole batch; an outcome per message, in order.
async fn commit(db: &DatabaseConnection, batch: &[Append]) -> Result<Vec<Outcome>, StoreError> {
    let now = batch_time();
    let txn = db.begin().await?;
    let stored = stored_already(&txn, batch).await?;
    let fresh_per_chat = count_fresh(batch, &stored);
    let last_seqs = bump_seqs(&txn, &fresh_per_chat, now).await?;
    let plans = plan(batch, &stored, &fresh_per_chat, &last_seqs, now)?;
    let rows: Vec<message::ActiveModel> = plans
        .iter()
        .filter_map(|plan| match plan {
            Plan::New(message) => Some(row_of(message)),
            _ => None,
        })
        .collect();
    if !rows.is_empty() {
        message::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    claim_attachments(&txn, batch, &plans).await?;
    let chats: Vec<ChatId> = fresh_per_chat.keys().copied().collect();
    let receipts = receipts_in_chats(&txn, &chats).await?;
    let (moved, befores) = raise_watermarks(batch, &plans, receipts);
    write_watermarks(&txn, moved).await?;
    let pushes = queue_pushes(&txn, batch, &plans).await?;
    txn.commit().await?;
    outcomes(plans, befores, pushes)
}

/// Queues a push of each new message to each device of the members it is
/// owed to, in one statement; how many for each message of the batch.
async fn queue_pushes(
    txn: &impl ConnectionTrait,
    batch: &[Append],
    plans: &[Plan],
) -> Result<Vec<u64>, StoreError> {
    let mut queued = vec![0; batch.len()];
    let owed = owed_pushes(batch, plans);
    if owed.is_empty() {
        return Ok(queued);
    }
    let mut params = Params::new(txn.get_database_backend());
    let due = params.bind(now_ms());
    let rows = params.values(&owed, |params, (_, message, user)| {
        vec![params.bind(message.id.0), params.bind(user.0)]
    });
    let sql = format!(
        "WITH v(message_id, user_id) AS (VALUES {rows}) \
         INSERT INTO push_outbox (subscription_id, message_id, due_ms, attempts) \
         SELECT s.id, v.message_id, {due}, 0 FROM push_subscriptions s \
         JOIN v ON s.user_id = v.user_id RETURNING message_id"
    );
    let index_of: HashMap<Uuid, usize> = owed
        .iter()
        .map(|(index, message, _)| (message.id.0, *index))
        .collect();
    for row in txn.query_all_raw(params.statement(sql)).await? {
        let message: Uuid = row.try_get("", "message_id")?;
        if let Some(index) = index_of.get(&message) {
            queued[*index] += 1;
        }
    }
    Ok(queued)
}

/// Messages of this batch stored earlier under the same (sender, client id):
/// one probe of the unique index per message.
async fn stored_already(
    txn: &impl ConnectionTrait,
    batch: &[Append],
) -> Result<HashMap<(UserId, String), StoredMessage>, StoreError> {
    let mut params = Params::new(txn.get_database_backend());
    let pairs = params.values(batch, |params, pending| {
        vec![
            params.bind(pending.sender_id.0),
            params.bind(pending.client_id.clone()),
        ]
    });
    let sql = format!(
        "WITH v(sender_id, client_id) AS (VALUES {pairs}) \
         SELECT m.* FROM messages m \
         JOIN v ON m.sender_id = v.sender_id AND m.client_id = v.client_id"
    );
    let rows = message::Entity::find()
        .from_raw_sql(params.statement(sql))
        .all(txn)
        .await?;
    Ok(rows
        .into_iter()
        .map(StoredMessage::from)
        .map(|stored| ((stored.sender_id, stored.client_id.clone()), stored))
        .collect())
}

/// Gives every chat its new messages' seqs and versions in one statement
/// (each message takes one of each); each chat's new last seq and version.
/// This write comes first: it takes the chats' row locks (PostgreSQL) or the
/// write lock (SQLite) before the watermarks are read.
async fn bump_seqs(
    txn: &impl ConnectionTrait,
    fresh_per_chat: &HashMap<ChatId, i64>,
    now: DateTime<Utc>,
) -> Result<HashMap<ChatId, Bumped>, StoreError> {
    if fresh_per_chat.is_empty() {
        return Ok(HashMap::new());
    }
    let mut params = Params::new(txn.get_database_backend());
    let counts = params.values(fresh_per_chat, |params, (chat, count)| {
        vec![params.bind(chat.0), params.bind(*count)]
    });
    let at = params.bind(now);
    let sql = format!(
        "WITH v(id, n) AS (VALUES {counts}) \
         UPDATE chats SET last_seq = last_seq + v.n, last_version = last_version + v.n, \
         last_activity_at = {at} \
         FROM v WHERE chats.id = v.id \
         RETURNING chats.id, chats.last_seq, chats.last_version"
    );
    let mut last_seqs = HashMap::new();
    for row in txn.query_all_raw(params.statement(sql)).await? {
        let id: Uuid = row.try_get("", "id")?;
        let bumped = Bumped {
            last_seq: row.try_get("", "last_seq")?,
            last_version: row.try_get("", "last_version")?,
        };
        last_seqs.insert(ChatId(id), bumped);
    }
    if last_seqs.len() != fresh_per_chat.len() {
        return Err(StoreError::Database(DbErr::RecordNotFound("chat".into())));
    }
    Ok(last_seqs)
}

/// The new messages take their attachments: each must still be its
/// sender's, of its chat and unsent, or the batch fails (and, retried one by
/// one, only the message that lost its attachment is refused).
async fn claim_attachments(
    txn: &impl ConnectionTrait,
    batch: &[Append],
    plans: &[Plan],
) -> Result<(), StoreError> {
    let claims = claims(batch, plans);
    if claims.is_empty() {
        return Ok(());
    }
    let mut params = Params::new(txn.get_database_backend());
    let rows = params.values(&claims, |params, (id, message)| {
        vec![
            params.bind(id.0),
            params.bind(message.id.0),
            params.bind(message.sender_id.0),
            params.bind(message.chat_id.0),
        ]
    });
    let sql = format!(
        "WITH v(id, message_id, uploader_id, chat_id) AS (VALUES {rows}) \
         UPDATE attachments SET message_id = v.message_id FROM v \
         WHERE attachments.id = v.id AND attachments.uploader_id = v.uploader_id \
         AND attachments.chat_id = v.chat_id AND attachments.message_id IS NULL"
    );
    let claimed = txn
        .execute_raw(params.statement(sql))
        .await?
        .rows_affected();
    if claimed != claims.len() as u64 {
        return Err(StoreError::NotYours);
    }
    Ok(())
}

fn row_of(message: &StoredMessage) -> message::ActiveModel {
    message::ActiveModel {
        id: Set(message.id.0),
        chat_id: Set(message.chat_id.0),
        seq: Set(message.seq),
        sender_id: Set(message.sender_id.0),
        client_id: Set(message.client_id.clone()),
        body: Set(message.body.clone()),
        created_at: Set(message.created_at),
        version: Set(message.version),
        changed_at: Set(None),
        edited_at: Set(None),
        deleted_at: Set(None),
        reply_to_id: Set(message.reply_to_id.map(|id| id.0)),
        system: Set(None),
        mentions: Set(mentions_column(&message.mentions)),
    }
}

/// One statement for every row: each watermark only ever rises (another
/// writer may have raised it further meanwhile; it stays).
async fn write_watermarks(txn: &impl ConnectionTrait, moved: Moved) -> Result<(), StoreError> {
    if moved.0.is_empty() {
        return Ok(());
    }
    let mut params = Params::new(txn.get_database_backend());
    let rows = params.values(&moved.0, |params, ((chat, user), (delivered, seen))| {
        vec![
            params.bind(chat.0),
            params.bind(user.0),
            params.bind(*delivered),
            params.bind(*seen),
        ]
    });
    let sql = format!(
        "WITH v(chat_id, user_id, delivered, seen) AS (VALUES {rows}) \
         UPDATE chat_members SET \
         delivered_seq = CASE WHEN delivered_seq < v.delivered THEN v.delivered ELSE delivered_seq END, \
         seen_seq = CASE WHEN seen_seq < v.seen THEN v.seen ELSE seen_seq END \
         FROM v WHERE chat_members.chat_id = v.chat_id AND chat_members.user_id = v.user_id"
    );
    txn.execute_raw(params.statement(sql)).await?;
    Ok(())
}

/// Bound values and their placeholders in the backend's syntax, for the
/// batch statements: each joins the table against a `VALUES` list (a probe of
/// the primary key or unique index per row), which neither SeaORM's query
/// builder nor a `CASE` per row (one comparison per row and WHEN) does as well.
struct Params {
    backend: DbBackend,
    values: Vec<sea_orm::Value>,
}

impl Params {
    fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    /// Binds `value`; its placeholder.
    fn bind(&mut self, value: impl Into<sea_orm::Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    /// `(…), (…)`: a row of placeholders for each item, bound in order.
    fn values<I: IntoIterator>(
        &mut self,
        items: I,
        row: impl Fn(&mut Self, I::Item) -> Vec<String>,
    ) -> String {
        items
            .into_iter()
            .map(|item| format!("({})", row(self, item).join(", ")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn statement(self, sql: String) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values)
    }
}
