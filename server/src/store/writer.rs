//! Group commit: the one owner of message writes. `append_message` queues its
//! message here; the writer takes everything queued (up to [`MAX_BATCH`]),
//! commits it in one transaction — seqs, rows, watermark moves — and then
//! answers each caller. Nothing is answered before its commit. A lone message
//! waits for nothing: the writer takes what is there, it never waits for more.
//!
//! Per batch that is seven statements whatever its size (resend check, seq
//! bump, insert, receipts, watermarks, begin, commit), where each message
//! used to cost seven of its own, each a round trip to the database driver's
//! thread. The statements that touch one row per message join against a
//! `VALUES` list, so each row is one index probe.

use super::{
    StoreError,
    chats::receipts_in_chats,
    entity::message,
    messages::{Appended, Arrival, StoredMessage},
    receipts::Watermarks,
};
use app::{
    model::{AttachmentId, ChatId, MessageId, Receipt, Seq, UserId, Version},
    protocol::ReceiptKind,
    status::raise_receipt,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait,
    entity::prelude::*,
};
use std::collections::{HashMap, HashSet};
use tokio::sync::{mpsc, oneshot};

/// The most messages one transaction takes. Bounded so a batch stays well
/// inside both databases' limits on bound parameters (about 12 per message).
const MAX_BATCH: usize = 256;

/// A message waiting to be written, owned so it can wait in the queue.
#[derive(Debug)]
pub(super) struct Pending {
    pub chat_id: ChatId,
    pub sender_id: UserId,
    pub client_id: String,
    pub body: String,
    pub reply_to_id: Option<MessageId>,
    pub mentions: Vec<UserId>,
    pub attachment_ids: Vec<AttachmentId>,
    pub seen_by: Vec<UserId>,
    pub delivered_to: Vec<UserId>,
}

pub(super) struct Queued {
    pub pending: Pending,
    pub answer: oneshot::Sender<Result<Appended, StoreError>>,
}

/// How many messages each transaction took (for the metrics).
pub fn batch_sizes() -> prometheus::Histogram {
    let opts = prometheus::HistogramOpts::new(
        "message_batch_size",
        "Messages committed together in one transaction (group commit)",
    )
    .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]);
    // A literal, valid definition: this cannot fail.
    prometheus::Histogram::with_opts(opts).expect("a valid histogram definition")
}

/// How many messages may wait for the writer. Past it, senders wait for room
/// (their acks come later) instead of the queue growing without bound while
/// the database is slow.
const QUEUE_LIMIT: usize = 8 * MAX_BATCH;

/// Starts the writer on `db`; it runs until every sender is dropped.
pub(super) fn spawn(db: DatabaseConnection, sizes: prometheus::Histogram) -> mpsc::Sender<Queued> {
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

/// Commits the batch and answers everyone in it. When the batch as a whole
/// fails for a reason other than the database being away (a constraint, a
/// race with another node), each message is tried alone, so one cannot sink
/// the others; each then gets its own outcome.
async fn commit_and_answer(db: &DatabaseConnection, batch: Vec<Queued>) {
    let (pending, answers): (Vec<Pending>, Vec<_>) = batch
        .into_iter()
        .map(|queued| (queued.pending, queued.answer))
        .unzip();
    match commit(db, &pending).await {
        Ok(outcomes) => {
            for (answer, outcome) in answers.into_iter().zip(outcomes) {
                let _ = answer.send(Ok(outcome));
            }
        }
        Err(error) if pending.len() > 1 && !matches!(error, StoreError::Unavailable(_)) => {
            tracing::debug!(%error, size = pending.len(), "batch failed; committing one by one");
            for (one, answer) in pending.iter().zip(answers) {
                let outcome = commit(db, std::slice::from_ref(one))
                    .await
                    .map(|mut outcomes| outcomes.remove(0));
                let _ = answer.send(outcome);
            }
        }
        Err(error) => {
            for answer in answers {
                let _ = answer.send(Err(error.clone()));
            }
        }
    }
}

/// What happens to each message of a batch.
enum Plan {
    /// A resend of a message stored before this batch.
    Stored(StoredMessage),
    /// New: stored by this batch as the given row.
    New(StoredMessage),
    /// A resend of a message earlier in this same batch (its index).
    SameAs(usize),
}

/// One transaction for the whole batch; an outcome per message, in order.
async fn commit(db: &DatabaseConnection, batch: &[Pending]) -> Result<Vec<Appended>, StoreError> {
    let now = Utc::now();
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
    let mut receipts = receipts_in_chats(&txn, &chats).await?;
    let mut moved = Moved::default();
    let mut befores = Vec::with_capacity(batch.len());
    for (pending, plan) in batch.iter().zip(&plans) {
        let Plan::New(message) = plan else {
            befores.push(None);
            continue;
        };
        let current = receipts.entry(pending.chat_id).or_default();
        befores.push(Some(current.clone()));
        moved.apply(pending, message.seq, &mut current.receipts);
    }
    moved.write(&txn).await?;
    txn.commit().await?;
    outcomes(plans, befores)
}

/// Messages of this batch stored earlier under the same (sender, client id):
/// one probe of the unique index per message.
async fn stored_already(
    txn: &impl ConnectionTrait,
    batch: &[Pending],
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

/// How many new messages each chat gets (resends, earlier or in this batch, none).
fn count_fresh(
    batch: &[Pending],
    stored: &HashMap<(UserId, String), StoredMessage>,
) -> HashMap<ChatId, i64> {
    let mut seen = HashSet::new();
    let mut fresh = HashMap::new();
    for pending in batch {
        let key = (pending.sender_id, pending.client_id.clone());
        if !stored.contains_key(&key) && seen.insert(key) {
            *fresh.entry(pending.chat_id).or_insert(0) += 1;
        }
    }
    fresh
}

/// Each chat's last seq and last version after the bump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Bumped {
    last_seq: Seq,
    last_version: Version,
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

/// Each message's fate, with the seqs (and versions) handed out in batch
/// order per chat.
fn plan(
    batch: &[Pending],
    stored: &HashMap<(UserId, String), StoredMessage>,
    fresh_per_chat: &HashMap<ChatId, i64>,
    bumped: &HashMap<ChatId, Bumped>,
    now: DateTime<Utc>,
) -> Result<Vec<Plan>, StoreError> {
    let mut next_seq: HashMap<ChatId, Seq> = HashMap::new();
    // Seqs and versions rise together within a batch: a version is its seq
    // plus the chat's offset between the two counters.
    let mut version_offset: HashMap<ChatId, Version> = HashMap::new();
    for (chat, count) in fresh_per_chat {
        let last = bumped
            .get(chat)
            .ok_or_else(|| StoreError::Database(DbErr::RecordNotFound("chat".into())))?;
        next_seq.insert(*chat, last.last_seq - count + 1);
        version_offset.insert(*chat, last.last_version - last.last_seq);
    }
    let mut first_in_batch: HashMap<(UserId, String), usize> = HashMap::new();
    let mut plans = Vec::with_capacity(batch.len());
    for (index, pending) in batch.iter().enumerate() {
        let key = (pending.sender_id, pending.client_id.clone());
        if let Some(earlier) = stored.get(&key) {
            plans.push(Plan::Stored(earlier.clone()));
        } else if let Some(&first) = first_in_batch.get(&key) {
            plans.push(Plan::SameAs(first));
        } else {
            first_in_batch.insert(key, index);
            let seq = next_seq.entry(pending.chat_id).or_insert(1);
            let offset = version_offset.get(&pending.chat_id).copied().unwrap_or(0);
            plans.push(Plan::New(StoredMessage {
                id: MessageId(Uuid::now_v7()),
                chat_id: pending.chat_id,
                seq: *seq,
                sender_id: pending.sender_id,
                client_id: pending.client_id.clone(),
                body: pending.body.clone(),
                created_at: now,
                version: *seq + offset,
                edited_at: None,
                deleted_at: None,
                reply_to_id: pending.reply_to_id,
                reply_to: None,
                reactions: Vec::new(),
                system: None,
                mentions: pending.mentions.clone(),
                attachments: Vec::new(),
            }));
            *seq += 1;
        }
    }
    Ok(plans)
}

/// The new messages take their attachments: each must still be its
/// sender's, of its chat and unsent, or the batch fails (and, retried one by
/// one, only the message that lost its attachment is refused).
async fn claim_attachments(
    txn: &impl ConnectionTrait,
    batch: &[Pending],
    plans: &[Plan],
) -> Result<(), StoreError> {
    let claims: Vec<(AttachmentId, &StoredMessage)> = batch
        .iter()
        .zip(plans)
        .filter_map(|(pending, plan)| match plan {
            Plan::New(message) => Some((pending, message)),
            _ => None,
        })
        .flat_map(|(pending, message)| pending.attachment_ids.iter().map(move |id| (*id, message)))
        .collect();
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

/// The mentions as stored: a JSON list of ids, `NULL` for none.
pub(super) fn mentions_column(mentions: &[UserId]) -> Option<String> {
    (!mentions.is_empty())
        .then(|| serde_json::to_string(mentions).ok())
        .flatten()
}

/// The watermarks a batch raises: (chat, user) → (delivered, seen).
#[derive(Default)]
struct Moved(HashMap<(ChatId, UserId), (Seq, Seq)>);

impl Moved {
    /// Applies one message's moves to the chat's receipts (kept current for
    /// the next message of the batch) and remembers them for the write.
    fn apply(&mut self, pending: &Pending, seq: Seq, receipts: &mut [Receipt]) {
        let seen = std::iter::once(&pending.sender_id).chain(&pending.seen_by);
        for receipt in receipts.iter_mut() {
            let is_seen = seen.clone().any(|&user| user == receipt.user_id);
            let is_delivered = is_seen || pending.delivered_to.contains(&receipt.user_id);
            if !is_delivered {
                continue;
            }
            let before = (receipt.delivered_seq, receipt.seen_seq);
            let kind = if is_seen {
                ReceiptKind::Seen
            } else {
                ReceiptKind::Delivered
            };
            raise_receipt(receipt, kind, seq);
            if (receipt.delivered_seq, receipt.seen_seq) != before {
                self.0.insert(
                    (pending.chat_id, receipt.user_id),
                    (receipt.delivered_seq, receipt.seen_seq),
                );
            }
        }
    }

    /// One statement for every row: each watermark only ever rises (another
    /// writer may have raised it further meanwhile; it stays).
    async fn write(self, txn: &impl ConnectionTrait) -> Result<(), StoreError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut params = Params::new(txn.get_database_backend());
        let rows = params.values(&self.0, |params, ((chat, user), (delivered, seen))| {
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

/// Each message's outcome, in batch order. A resend inside the batch gets the
/// message its first copy stored.
fn outcomes(
    plans: Vec<Plan>,
    befores: Vec<Option<Watermarks>>,
) -> Result<Vec<Appended>, StoreError> {
    let mut outcomes: Vec<Appended> = Vec::with_capacity(plans.len());
    for (plan, before) in plans.into_iter().zip(befores) {
        let outcome = match plan {
            Plan::Stored(message) => Appended::Existing(message),
            Plan::New(message) => Appended::New(Arrival {
                message,
                receipts_before: before.unwrap_or_default(),
            }),
            Plan::SameAs(first) => match outcomes.get(first) {
                Some(Appended::New(arrival)) => Appended::Existing(arrival.message.clone()),
                Some(Appended::Existing(message)) => Appended::Existing(message.clone()),
                None => {
                    return Err(StoreError::Database(DbErr::Custom(
                        "a resend before its original".into(),
                    )));
                }
            },
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn pending(chat: u128, sender: u128, client_id: &str) -> Pending {
        Pending {
            chat_id: ChatId(id(chat)),
            sender_id: UserId(id(sender)),
            client_id: client_id.into(),
            body: "hi".into(),
            reply_to_id: None,
            mentions: Vec::new(),
            attachment_ids: Vec::new(),
            seen_by: Vec::new(),
            delivered_to: Vec::new(),
        }
    }

    #[test]
    fn seqs_follow_batch_order_per_chat_and_resends_take_none() {
        let batch = [
            pending(1, 10, "a"),
            pending(2, 10, "b"),
            pending(1, 11, "c"),
            pending(1, 10, "a"), // the first one again, in the same batch
            pending(1, 10, "old"),
        ];
        let earlier = StoredMessage {
            id: MessageId(id(99)),
            chat_id: ChatId(id(1)),
            seq: 3,
            sender_id: UserId(id(10)),
            client_id: "old".into(),
            body: "hi".into(),
            created_at: Utc::now(),
            version: 3,
            edited_at: None,
            deleted_at: None,
            reply_to_id: None,
            reply_to: None,
            reactions: Vec::new(),
            system: None,
            mentions: Vec::new(),
            attachments: Vec::new(),
        };
        let stored = HashMap::from([((UserId(id(10)), "old".to_owned()), earlier)]);
        let fresh = count_fresh(&batch, &stored);
        assert_eq!(
            fresh,
            HashMap::from([(ChatId(id(1)), 2), (ChatId(id(2)), 1)])
        );
        // Chat 1 had 3 messages and 4 changes; the bump made them 5 and 6.
        // Chat 2 had none: now 1 and 1.
        let bumped = |last_seq, last_version| Bumped {
            last_seq,
            last_version,
        };
        let last = HashMap::from([(ChatId(id(1)), bumped(5, 6)), (ChatId(id(2)), bumped(1, 1))]);
        let plans = plan(&batch, &stored, &fresh, &last, Utc::now()).unwrap();
        let shape: Vec<String> = plans
            .iter()
            .map(|plan| match plan {
                Plan::New(message) => format!("new {} v{}", message.seq, message.version),
                Plan::SameAs(first) => format!("same as {first}"),
                Plan::Stored(message) => format!("stored {}", message.seq),
            })
            .collect();
        assert_eq!(
            shape,
            ["new 4 v5", "new 1 v1", "new 5 v6", "same as 0", "stored 3"]
        );
    }

    #[test]
    fn a_message_raises_the_sender_to_seen_and_the_others_as_they_landed() {
        let (sender, in_room, online, away) =
            (UserId(id(1)), UserId(id(2)), UserId(id(3)), UserId(id(4)));
        let receipt = |user_id, at| Receipt {
            user_id,
            delivered_seq: at,
            seen_seq: at,
        };
        let mut receipts = vec![
            receipt(sender, 6),
            receipt(in_room, 6),
            receipt(online, 2),
            receipt(away, 1),
        ];
        let mut message = pending(1, 1, "x");
        message.seen_by = vec![in_room];
        message.delivered_to = vec![online];
        let mut moved = Moved::default();
        moved.apply(&message, 7, &mut receipts);
        let chat = ChatId(id(1));
        assert_eq!(moved.0.get(&(chat, sender)), Some(&(7, 7)));
        assert_eq!(moved.0.get(&(chat, in_room)), Some(&(7, 7)));
        assert_eq!(moved.0.get(&(chat, online)), Some(&(7, 2)));
        assert_eq!(moved.0.get(&(chat, away)), None);
        assert_eq!(
            (receipts[2].delivered_seq, receipts[2].seen_seq),
            (7, 2),
            "kept current for the batch's next message"
        );
    }
}
