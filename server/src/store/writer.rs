//! Group commit: the one owner of message writes. `append_message` queues its
//! message here; the writer takes everything queued (up to [`MAX_BATCH`]),
//! commits it in one transaction — seqs, rows, watermark moves — and then
//! answers each caller. Nothing is answered before its commit. A lone message
//! waits for nothing: the writer takes what is there, it never waits for more.
//!
//! Per batch that is seven statements whatever its size (resend check, seq
//! bump, insert, receipts, watermarks, begin, commit), where each message
//! used to cost seven of its own, each a round trip to the database driver's
//! thread.

use super::{
    StoreError,
    chats::receipt_of,
    entity::{chat, chat_member, message},
    messages::{Appended, Arrival, StoredMessage},
};
use app::{
    model::{ChatId, Receipt, Seq, UserId},
    protocol::ReceiptKind,
    status::raise_receipt,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    Condition, DatabaseConnection, DbErr, QueryOrder, TransactionTrait,
    entity::prelude::*,
    sea_query::{CaseStatement, Expr, ExprTrait},
};
use std::collections::{HashMap, HashSet};
use tokio::sync::{mpsc, oneshot};

/// The most messages one transaction takes. Bounded so a batch stays well
/// inside both databases' limits on bound parameters (about 12 per message).
const MAX_BATCH: usize = 256;

/// A message waiting to be written, owned so it can wait in the queue.
#[derive(Clone, Debug)]
pub(super) struct Pending {
    pub chat_id: ChatId,
    pub sender_id: UserId,
    pub client_id: String,
    pub body: String,
    pub seen_by: Vec<UserId>,
    pub delivered_to: Vec<UserId>,
}

pub(super) struct Queued {
    pub pending: Pending,
    pub answer: oneshot::Sender<Result<Appended, StoreError>>,
}

/// Starts the writer on `db`; it runs until every sender is dropped.
pub(super) fn spawn(db: DatabaseConnection) -> mpsc::UnboundedSender<Queued> {
    let (queue, mut queued) = mpsc::unbounded_channel::<Queued>();
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while queued.recv_many(&mut batch, MAX_BATCH).await > 0 {
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
    let pending: Vec<Pending> = batch.iter().map(|queued| queued.pending.clone()).collect();
    match commit(db, &pending).await {
        Ok(outcomes) => {
            for (queued, outcome) in batch.into_iter().zip(outcomes) {
                let _ = queued.answer.send(Ok(outcome));
            }
        }
        Err(error) if batch.len() > 1 && !matches!(error, StoreError::Unavailable(_)) => {
            tracing::debug!(%error, size = batch.len(), "batch failed; committing one by one");
            for queued in batch {
                let outcome = commit(db, std::slice::from_ref(&queued.pending))
                    .await
                    .map(|mut outcomes| outcomes.remove(0));
                let _ = queued.answer.send(outcome);
            }
        }
        Err(error) => {
            for queued in batch {
                let _ = queued.answer.send(Err(error.clone()));
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
    let chats: Vec<ChatId> = fresh_per_chat.keys().copied().collect();
    let mut receipts = receipts_of(&txn, &chats).await?;
    let mut moved = Moved::default();
    let mut befores = Vec::with_capacity(batch.len());
    for (pending, plan) in batch.iter().zip(&plans) {
        let Plan::New(message) = plan else {
            befores.push(None);
            continue;
        };
        let current = receipts.entry(pending.chat_id).or_default();
        befores.push(Some(current.clone()));
        moved.apply(pending, message.seq, current);
    }
    moved.write(&txn).await?;
    txn.commit().await?;
    outcomes(plans, befores)
}

/// Messages of this batch stored earlier under the same (sender, client id).
async fn stored_already(
    txn: &impl ConnectionTrait,
    batch: &[Pending],
) -> Result<HashMap<(UserId, String), StoredMessage>, StoreError> {
    let senders: HashSet<Uuid> = batch.iter().map(|p| p.sender_id.0).collect();
    let client_ids: HashSet<&str> = batch.iter().map(|p| p.client_id.as_str()).collect();
    let rows = message::Entity::find()
        .filter(message::Column::SenderId.is_in(senders))
        .filter(message::Column::ClientId.is_in(client_ids))
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

/// Gives every chat its new messages' seqs in one statement; each chat's new
/// last seq. This write comes first: it takes the chats' row locks
/// (PostgreSQL) or the write lock (SQLite) before the watermarks are read.
async fn bump_seqs(
    txn: &impl ConnectionTrait,
    fresh_per_chat: &HashMap<ChatId, i64>,
    now: DateTime<Utc>,
) -> Result<HashMap<ChatId, Seq>, StoreError> {
    if fresh_per_chat.is_empty() {
        return Ok(HashMap::new());
    }
    let bump = fresh_per_chat
        .iter()
        .fold(CaseStatement::new(), |case, (chat, count)| {
            case.case(
                chat::Column::Id.eq(chat.0),
                Expr::col(chat::Column::LastSeq).add(*count),
            )
        })
        .finally(Expr::col(chat::Column::LastSeq));
    let updated = chat::Entity::update_many()
        .col_expr(chat::Column::LastSeq, bump.into())
        .col_expr(chat::Column::LastActivityAt, Expr::value(now))
        .filter(chat::Column::Id.is_in(fresh_per_chat.keys().map(|chat| chat.0)))
        .exec_with_returning(txn)
        .await?;
    let last_seqs: HashMap<ChatId, Seq> = updated
        .into_iter()
        .map(|row| (ChatId(row.id), row.last_seq))
        .collect();
    if last_seqs.len() != fresh_per_chat.len() {
        return Err(StoreError::Database(DbErr::RecordNotFound("chat".into())));
    }
    Ok(last_seqs)
}

/// Each message's fate, with the seqs handed out in batch order per chat.
fn plan(
    batch: &[Pending],
    stored: &HashMap<(UserId, String), StoredMessage>,
    fresh_per_chat: &HashMap<ChatId, i64>,
    last_seqs: &HashMap<ChatId, Seq>,
    now: DateTime<Utc>,
) -> Result<Vec<Plan>, StoreError> {
    let mut next_seq: HashMap<ChatId, Seq> = HashMap::new();
    for (chat, count) in fresh_per_chat {
        let last = last_seqs
            .get(chat)
            .ok_or_else(|| StoreError::Database(DbErr::RecordNotFound("chat".into())))?;
        next_seq.insert(*chat, last - count + 1);
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
            plans.push(Plan::New(StoredMessage {
                id: app::model::MessageId(Uuid::now_v7()),
                chat_id: pending.chat_id,
                seq: *seq,
                sender_id: pending.sender_id,
                client_id: pending.client_id.clone(),
                body: pending.body.clone(),
                created_at: now,
            }));
            *seq += 1;
        }
    }
    Ok(plans)
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
    }
}

/// Every member's watermarks in these chats, in the order they joined.
async fn receipts_of(
    txn: &impl ConnectionTrait,
    chats: &[ChatId],
) -> Result<HashMap<ChatId, Vec<Receipt>>, StoreError> {
    if chats.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = chat_member::Entity::find()
        .filter(chat_member::Column::ChatId.is_in(chats.iter().map(|chat| chat.0)))
        .order_by_asc(chat_member::Column::ChatId)
        .order_by_asc(chat_member::Column::JoinedAt)
        .order_by_asc(chat_member::Column::UserId)
        .all(txn)
        .await?;
    let mut receipts: HashMap<ChatId, Vec<Receipt>> = HashMap::new();
    for row in &rows {
        receipts
            .entry(ChatId(row.chat_id))
            .or_default()
            .push(receipt_of(row));
    }
    Ok(receipts)
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
        let raise = |column: chat_member::Column, to: fn(&(Seq, Seq)) -> Seq| {
            self.0
                .iter()
                .fold(CaseStatement::new(), |case, ((chat, user), values)| {
                    case.case(
                        Condition::all()
                            .add(chat_member::Column::ChatId.eq(chat.0))
                            .add(chat_member::Column::UserId.eq(user.0))
                            .add(Expr::col(column).lt(to(values))),
                        Expr::value(to(values)),
                    )
                })
                .finally(Expr::col(column))
        };
        let delivered = raise(chat_member::Column::DeliveredSeq, |values| values.0);
        let seen = raise(chat_member::Column::SeenSeq, |values| values.1);
        let chats: HashSet<Uuid> = self.0.keys().map(|(chat, _)| chat.0).collect();
        let users: HashSet<Uuid> = self.0.keys().map(|(_, user)| user.0).collect();
        chat_member::Entity::update_many()
            .col_expr(chat_member::Column::DeliveredSeq, delivered.into())
            .col_expr(chat_member::Column::SeenSeq, seen.into())
            .filter(chat_member::Column::ChatId.is_in(chats))
            .filter(chat_member::Column::UserId.is_in(users))
            .exec(txn)
            .await?;
        Ok(())
    }
}

/// Each message's outcome, in batch order. A resend inside the batch gets the
/// message its first copy stored.
fn outcomes(
    plans: Vec<Plan>,
    befores: Vec<Option<Vec<Receipt>>>,
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
