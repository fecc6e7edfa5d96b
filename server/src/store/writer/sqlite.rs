//! The batch written on a SQLite file by a thread of its own, owning a
//! connection of its own (rusqlite). sqlx runs each SQLite connection on a
//! worker thread, and every statement was a hand-off there and back: two
//! futex wake-ups per statement, and a batch waiting on each. Here the whole
//! transaction runs where the connection lives. Each step is a prepared
//! statement, compiled once and cached, run once per row: a probe of one
//! index each, with nothing to parse or plan per batch.
//!
//! The tables and their encodings are SeaORM's (its migrations made them):
//! ids are 16-byte blobs and times RFC 3339 text, as sqlx writes them, so
//! everything else reads these rows through the entities as before.
//!
//! The pool's writer connection still serves every other write. The two take
//! turns in order of arrival (`WriteTurns`), and each takes SQLite's write
//! lock for a whole transaction (`BEGIN IMMEDIATE`).

use super::{
    Append, Bumped, MAX_BATCH, Moved, Outcome, Plan, QUEUE_LIMIT, Queued, batch_time, claims,
    count_fresh, mentions_column, now_ms, only, outcomes, owed_pushes, plan, raise_watermarks,
    split,
};
use crate::store::{
    SQLITE_BUSY_TIMEOUT, SQLITE_PRAGMAS, StoreError, entity::message, messages::StoredMessage,
    receipts::Watermarks,
};
use app::model::{ChatId, Receipt, UserId};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Row, TransactionBehavior, ffi, types::Type,
};
use sea_orm::{DbErr, prelude::Uuid};
use std::{collections::HashMap, path::Path, sync::Arc};
use tokio::sync::mpsc;

/// Opens the writer's connection to `file` and starts its thread; it runs
/// until every sender is dropped.
/// Each batch waits for its turn at the file's write lock (`turns`, shared
/// with the pool's writer: see `WriteTurns`).
pub(in crate::store) fn on_own_thread(
    file: &Path,
    turns: Arc<tokio::sync::Mutex<()>>,
    sizes: prometheus::Histogram,
) -> Result<mpsc::Sender<Queued>, StoreError> {
    let mut connection = open(file)?;
    let (queue, mut queued) = mpsc::channel::<Queued>(QUEUE_LIMIT);
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while queued.blocking_recv_many(&mut batch, MAX_BATCH) > 0 {
                sizes.observe(batch.len() as f64);
                let _turn = turns.blocking_lock();
                commit_and_answer(&mut connection, std::mem::take(&mut batch));
            }
        })
        .map_err(|error| StoreError::Unavailable(DbErr::Custom(error.to_string())))?;
    Ok(queue)
}

fn open(file: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(file, flags)?;
    connection.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
    for (name, value) in SQLITE_PRAGMAS {
        // Some pragmas answer with a row (the journal mode, `secure_delete`):
        // read it and let it go.
        let mut statement = connection.prepare(&format!("PRAGMA {name} = {value}"))?;
        let mut rows = statement.query([])?;
        while rows.next()?.is_some() {}
    }
    Ok(connection)
}

/// Commits the batch and answers everyone in it (see [`super::answer`]).
fn commit_and_answer(connection: &mut Connection, batch: Vec<Queued>) {
    let (pending, answers) = split(batch);
    let committed = commit(connection, &pending);
    for (one, answer) in super::answer(pending, answers, committed) {
        let _ = answer.send(only(commit(connection, std::slice::from_ref(&one))));
    }
}

/// One transaction for the whole batch; an outcome per message, in order.
/// Dropped unfinished (an error), it rolls back.
fn commit(connection: &mut Connection, batch: &[Append]) -> Result<Vec<Outcome>, StoreError> {
    let now = batch_time();
    let txn = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let stored = stored_already(&txn, batch)?;
    let fresh_per_chat = count_fresh(batch, &stored);
    let bumped = bump_seqs(&txn, &fresh_per_chat, now)?;
    let plans = plan(batch, &stored, &fresh_per_chat, &bumped, now)?;
    insert(&txn, &plans)?;
    claim_attachments(&txn, batch, &plans)?;
    let receipts = receipts_in_chats(&txn, fresh_per_chat.keys())?;
    let (moved, befores) = raise_watermarks(batch, &plans, receipts);
    write_watermarks(&txn, &moved)?;
    let pushes = queue_pushes(&txn, batch, &plans)?;
    txn.commit()?;
    outcomes(plans, befores, pushes)
}

/// Queues a push of each new message to each device of the members it is
/// owed to; how many for each message of the batch.
fn queue_pushes(
    txn: &Connection,
    batch: &[Append],
    plans: &[Plan],
) -> Result<Vec<u64>, StoreError> {
    let mut queued = vec![0; batch.len()];
    let owed = owed_pushes(batch, plans);
    if owed.is_empty() {
        return Ok(queued);
    }
    // One probe per batch spares an instance nobody subscribed on one per
    // recipient (a group's every member).
    let anyone_subscribed: bool = txn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM push_subscriptions)")?
        .query_row([], |row| row.get(0))?;
    if !anyone_subscribed {
        return Ok(queued);
    }
    let mut queue = txn.prepare_cached(
        "INSERT INTO push_outbox (subscription_id, message_id, due_ms, attempts) \
         SELECT id, ?1, ?2, 0 FROM push_subscriptions WHERE user_id = ?3",
    )?;
    let due = now_ms();
    for (index, message, user) in owed {
        let rows = queue.execute((message.id.0.as_bytes(), due, user.0.as_bytes()))?;
        queued[index] += rows as u64;
    }
    Ok(queued)
}

/// Messages of this batch stored earlier under the same (sender, client id).
fn stored_already(
    txn: &Connection,
    batch: &[Append],
) -> Result<HashMap<(UserId, String), StoredMessage>, StoreError> {
    let mut find = txn.prepare_cached(
        "SELECT id, chat_id, seq, sender_id, client_id, body, created_at, version, \
         changed_at, edited_at, deleted_at, reply_to_id, system, mentions \
         FROM messages WHERE sender_id = ?1 AND client_id = ?2",
    )?;
    let mut stored = HashMap::new();
    for pending in batch {
        let found = find
            .query_row(
                (pending.sender_id.0.as_bytes(), &pending.client_id),
                message_of,
            )
            .optional()?;
        if let Some(row) = found {
            let key = (pending.sender_id, pending.client_id.clone());
            stored.insert(key, StoredMessage::from(row));
        }
    }
    Ok(stored)
}

/// Gives every chat its new messages' seqs and versions (each message takes
/// one of each); each chat's new last seq and version.
fn bump_seqs(
    txn: &Connection,
    fresh_per_chat: &HashMap<ChatId, i64>,
    now: DateTime<Utc>,
) -> Result<HashMap<ChatId, Bumped>, StoreError> {
    let mut bump = txn.prepare_cached(
        "UPDATE chats SET last_seq = last_seq + ?1, last_version = last_version + ?1, \
         last_activity_at = ?2 WHERE id = ?3 RETURNING last_seq, last_version",
    )?;
    let now = time_text(now);
    let mut bumped = HashMap::with_capacity(fresh_per_chat.len());
    for (chat, count) in fresh_per_chat {
        let last = bump
            .query_row((count, &now, chat.0.as_bytes()), |row| {
                Ok(Bumped {
                    last_seq: row.get(0)?,
                    last_version: row.get(1)?,
                })
            })
            .optional()?
            .ok_or_else(|| StoreError::Database(DbErr::RecordNotFound("chat".into())))?;
        bumped.insert(*chat, last);
    }
    Ok(bumped)
}

fn insert(txn: &Connection, plans: &[Plan]) -> Result<(), StoreError> {
    let mut insert = txn.prepare_cached(
        "INSERT INTO messages (id, chat_id, seq, sender_id, client_id, body, created_at, \
         version, reply_to_id, mentions) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for plan in plans {
        let Plan::New(message) = plan else { continue };
        insert.execute((
            message.id.0.as_bytes(),
            message.chat_id.0.as_bytes(),
            message.seq,
            message.sender_id.0.as_bytes(),
            &message.client_id,
            &message.body,
            time_text(message.created_at),
            message.version,
            message.reply_to_id.map(|id| *id.0.as_bytes()),
            mentions_column(&message.mentions),
        ))?;
    }
    Ok(())
}

/// The new messages take their attachments: each must still be its
/// sender's, of its chat and unsent, or the batch fails (and, retried one by
/// one, only the message that lost its attachment is refused).
fn claim_attachments(txn: &Connection, batch: &[Append], plans: &[Plan]) -> Result<(), StoreError> {
    let claims = claims(batch, plans);
    if claims.is_empty() {
        return Ok(());
    }
    let mut claim = txn.prepare_cached(
        "UPDATE attachments SET message_id = ?1 WHERE id = ?2 AND uploader_id = ?3 \
         AND chat_id = ?4 AND message_id IS NULL",
    )?;
    for (id, message) in claims {
        let claimed = claim.execute((
            message.id.0.as_bytes(),
            id.0.as_bytes(),
            message.sender_id.0.as_bytes(),
            message.chat_id.0.as_bytes(),
        ))?;
        if claimed != 1 {
            return Err(StoreError::NotYours);
        }
    }
    Ok(())
}

/// Each chat's watermarks and who keeps their reading private, in the order
/// `chats::receipts_in_chats` gives them (by when each member joined).
fn receipts_in_chats<'a>(
    txn: &Connection,
    chats: impl Iterator<Item = &'a ChatId>,
) -> Result<HashMap<ChatId, Watermarks>, StoreError> {
    let mut read = txn.prepare_cached(
        "SELECT m.user_id, m.delivered_seq, m.seen_seq, u.read_receipts \
         FROM chat_members m JOIN users u ON u.id = m.user_id \
         WHERE m.chat_id = ?1 ORDER BY m.joined_at, m.user_id",
    )?;
    let mut watermarks = HashMap::new();
    for chat in chats {
        let mut members = Watermarks::default();
        let mut rows = read.query([chat.0.as_bytes()])?;
        while let Some(row) = rows.next()? {
            let user_id = UserId(uuid_at(row, 0)?);
            members.receipts.push(Receipt {
                user_id,
                delivered_seq: row.get(1)?,
                seen_seq: row.get(2)?,
            });
            if !row.get::<_, bool>(3)? {
                members.private.push(user_id);
            }
        }
        watermarks.insert(*chat, members);
    }
    Ok(watermarks)
}

/// Each watermark only ever rises (another writer may have raised it further
/// meanwhile; it stays).
fn write_watermarks(txn: &Connection, moved: &Moved) -> Result<(), StoreError> {
    let mut raise = txn.prepare_cached(
        "UPDATE chat_members SET delivered_seq = MAX(delivered_seq, ?3), \
         seen_seq = MAX(seen_seq, ?4) WHERE chat_id = ?1 AND user_id = ?2",
    )?;
    for ((chat, user), (delivered, seen)) in &moved.0 {
        raise.execute((chat.0.as_bytes(), user.0.as_bytes(), delivered, seen))?;
    }
    Ok(())
}

/// A `messages` row as SeaORM reads it.
fn message_of(row: &Row<'_>) -> rusqlite::Result<message::Model> {
    Ok(message::Model {
        id: uuid_at(row, 0)?,
        chat_id: uuid_at(row, 1)?,
        seq: row.get(2)?,
        sender_id: uuid_at(row, 3)?,
        client_id: row.get(4)?,
        body: row.get(5)?,
        created_at: time_at(row, 6)?,
        version: row.get(7)?,
        changed_at: maybe_time_at(row, 8)?,
        edited_at: maybe_time_at(row, 9)?,
        deleted_at: maybe_time_at(row, 10)?,
        reply_to_id: row.get::<_, Option<[u8; 16]>>(11)?.map(Uuid::from_bytes),
        system: row.get(12)?,
        mentions: row.get(13)?,
    })
}

/// A time as sqlx writes it to SQLite (so it reads back, and sorts, alike).
fn time_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

fn uuid_at(row: &Row<'_>, column: usize) -> rusqlite::Result<Uuid> {
    row.get::<_, [u8; 16]>(column).map(Uuid::from_bytes)
}

fn time_at(row: &Row<'_>, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    parse_time(column, row.get(column)?)
}

fn maybe_time_at(row: &Row<'_>, column: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    row.get::<_, Option<String>>(column)?
        .map(|text| parse_time(column, text))
        .transpose()
}

fn parse_time(column: usize, text: String) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(column, Type::Text, Box::new(error))
        })
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        let code = error
            .sqlite_error()
            .map(|sqlite| (sqlite.code, sqlite.extended_code));
        let described = DbErr::Custom(error.to_string());
        match code {
            Some((ErrorCode::ConstraintViolation, ffi::SQLITE_CONSTRAINT_UNIQUE))
            | Some((ErrorCode::ConstraintViolation, ffi::SQLITE_CONSTRAINT_PRIMARYKEY)) => {
                Self::Conflict
            }
            // Another connection held the write lock past the busy timeout,
            // or the file cannot be reached or grown.
            Some((
                ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::CannotOpen
                | ErrorCode::SystemIoFailure
                | ErrorCode::DiskFull,
                _,
            )) => Self::Unavailable(described),
            _ => Self::Database(described),
        }
    }
}
