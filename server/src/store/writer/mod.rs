//! Group commit: the one owner of message writes. `append_message` queues its
//! message here; the writer takes everything queued (up to [`MAX_BATCH`]),
//! commits it in one transaction — seqs, rows, watermark moves — and then
//! answers each caller. Nothing is answered before its commit. A lone message
//! waits for nothing: the writer takes what is there, it never waits for more.
//!
//! What a batch does is planned here, the same for every database; two
//! writers carry it out:
//! - [`sqlite`]: on a SQLite file, a thread of its own owning a connection of
//!   its own. Each step is a cached prepared statement run once per row, with
//!   no thread hand-off in between (sqlx runs every statement on its
//!   connection's worker thread: two wake-ups per statement).
//! - [`pooled`]: through SeaORM's pool (PostgreSQL, and an in-memory SQLite
//!   database, which exists once per connection). There every statement is a
//!   round trip, so each step is one statement for the whole batch, joined
//!   against a `VALUES` list.

mod pooled;
mod sqlite;

pub(super) use pooled::on_pool;
pub(super) use sqlite::on_own_thread;

use super::{Store, StoreError, messages::StoredMessage, receipts::Watermarks};
use app::{
    model::{
        AttachmentId, Body, ChatId, ClientId, MessageId, Receipt, ReceiptKind, Seq, UserId, Version,
    },
    status::raise_receipt,
};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{DbErr, prelude::Uuid};
use std::collections::{HashMap, HashSet};
use tokio::sync::oneshot;

/// A message to append, as the caller has it.
pub struct AppendMessage<'a> {
    pub chat_id: ChatId,
    pub sender_id: UserId,
    pub client_id: &'a ClientId,
    pub body: &'a Body,
    /// The message it answers, already checked to be of the same chat.
    pub reply_to_id: Option<MessageId>,
    /// The members it mentions, already resolved.
    pub mentions: &'a [UserId],
    /// Uploads it takes: checked to be the sender's, to this chat, unsent;
    /// taken in the same transaction (or the message is refused).
    pub attachment_ids: &'a [AttachmentId],
    /// Members whose watermarks move with the message, decided by the caller
    /// from where they are: `seen_by` have the chat open, `delivered_to` are
    /// online elsewhere. (The sender has seen it, always.)
    pub seen_by: &'a [UserId],
    pub delivered_to: &'a [UserId],
    /// Members owed a push on each of their subscribed devices (those
    /// without the chat open): queued in the same transaction, so a crash
    /// neither loses nor doubles one (see `push/`).
    pub push_to: &'a [UserId],
}

/// The outcome of appending: the message, and whether it is new or a resend of
/// one stored earlier under the same (sender, client id).
#[derive(Debug)]
pub enum Appended {
    New(Arrival),
    Existing(StoredMessage),
}

/// A message just stored, with every member's watermarks as they stood just
/// before it (read under the same lock that gave the message its seq) and
/// as storing it left them (the sender's, `seen_by`'s and `delivered_to`'s
/// raised).
#[derive(Debug)]
pub struct Arrival {
    pub message: StoredMessage,
    pub receipts_before: Watermarks,
    pub receipts_after: Watermarks,
    /// Pushes queued with it (one per device of `push_to`).
    pub pushes_queued: u64,
}

impl Store {
    /// Stores a message as the chat's next seq and moves the watermarks it
    /// moves (the sender's, `seen_by`'s, `delivered_to`'s), in one transaction
    /// with whatever other messages arrived together (group commit, see
    /// `writer`): what is announced afterwards is exactly what was stored. A
    /// resend (same sender and client id) stores nothing and returns the
    /// original.
    pub async fn append_message(&self, new: AppendMessage<'_>) -> Result<Appended, StoreError> {
        let (answer, outcome) = tokio::sync::oneshot::channel();
        let pending = Append {
            chat_id: new.chat_id,
            sender_id: new.sender_id,
            client_id: new.client_id.as_str().to_owned(),
            body: new.body.as_str().to_owned(),
            reply_to_id: new.reply_to_id,
            mentions: new.mentions.to_vec(),
            attachment_ids: new.attachment_ids.to_vec(),
            seen_by: new.seen_by.to_vec(),
            delivered_to: new.delivered_to.to_vec(),
            push_to: new.push_to.to_vec(),
        };
        let gone = || StoreError::Unavailable(DbErr::Custom("the message writer stopped".into()));
        self.appends
            .send(Queued { pending, answer })
            .await
            .map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?
    }
}

/// The most messages one transaction takes. Bounded so a batch stays well
/// inside both databases' limits on bound parameters (about 12 per message).
const MAX_BATCH: usize = 256;

/// A message waiting to be written, owned so it can wait in the queue.
#[derive(Debug)]
pub(super) struct Append {
    pub chat_id: ChatId,
    pub sender_id: UserId,
    pub client_id: String,
    pub body: String,
    pub reply_to_id: Option<MessageId>,
    pub mentions: Vec<UserId>,
    pub attachment_ids: Vec<AttachmentId>,
    pub seen_by: Vec<UserId>,
    pub delivered_to: Vec<UserId>,
    pub push_to: Vec<UserId>,
}

pub(super) struct Queued {
    pub pending: Append,
    pub answer: Answer,
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

/// The batch's time, to the microsecond: what PostgreSQL keeps, so that what
/// a sender is answered is what anyone reads back later.
fn batch_time() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// One message's outcome.
pub(super) type Outcome = Result<Appended, StoreError>;

/// Who waits for a message's outcome.
type Answer = oneshot::Sender<Outcome>;

/// A batch as what is written and who waits for each.
fn split(batch: Vec<Queued>) -> (Vec<Append>, Vec<Answer>) {
    batch
        .into_iter()
        .map(|queued| (queued.pending, queued.answer))
        .unzip()
}

/// Answers everyone in a batch from its commit's outcome, and returns those
/// to be committed again one by one: all of them when the batch failed for
/// a reason other than the database being away (a constraint, a race with
/// another node), so that one message cannot sink the others.
fn answer(
    pending: Vec<Append>,
    answers: Vec<Answer>,
    committed: Result<Vec<Outcome>, StoreError>,
) -> Vec<(Append, Answer)> {
    match committed {
        Ok(outcomes) => {
            for (answer, outcome) in answers.into_iter().zip(outcomes) {
                let _ = answer.send(outcome);
            }
            Vec::new()
        }
        Err(error) if pending.len() > 1 && !matches!(error, StoreError::Unavailable(_)) => {
            tracing::debug!(%error, size = pending.len(), "batch failed; committing one by one");
            pending.into_iter().zip(answers).collect()
        }
        Err(error) => {
            for answer in answers {
                let _ = answer.send(Err(error.clone()));
            }
            Vec::new()
        }
    }
}

/// The outcome of a batch of one.
fn only(committed: Result<Vec<Outcome>, StoreError>) -> Outcome {
    committed?.pop().unwrap_or_else(|| {
        Err(StoreError::Database(DbErr::Custom(
            "a batch of one, answered by none".into(),
        )))
    })
}

/// What happens to each message of a batch.
enum Plan {
    /// A resend of a message stored before this batch.
    Stored(StoredMessage),
    /// New: stored by this batch as the given row.
    New(StoredMessage),
    /// A resend of a message earlier in this same batch (its index).
    SameAs(usize),
    /// A client id the sender gave a message of another chat: refused. A
    /// resend is the same chat, sender and client id; the answer is never
    /// another chat's message (which the sender may no longer see).
    Elsewhere,
}

/// How many new messages each chat gets (resends, earlier or in this batch, none).
fn count_fresh(
    batch: &[Append],
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

/// Each message's fate, with the seqs (and versions) handed out in batch
/// order per chat.
fn plan(
    batch: &[Append],
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
            plans.push(if earlier.chat_id == pending.chat_id {
                Plan::Stored(earlier.clone())
            } else {
                Plan::Elsewhere
            });
        } else if let Some(&first) = first_in_batch.get(&key) {
            plans.push(if batch[first].chat_id == pending.chat_id {
                Plan::SameAs(first)
            } else {
                Plan::Elsewhere
            });
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
                quoted_seq: None,
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

/// The attachments the batch's new messages take, each with its message.
fn claims<'a>(batch: &[Append], plans: &'a [Plan]) -> Vec<(AttachmentId, &'a StoredMessage)> {
    batch
        .iter()
        .zip(plans)
        .filter_map(|(pending, plan)| match plan {
            Plan::New(message) => Some((pending, message)),
            _ => None,
        })
        .flat_map(|(pending, message)| pending.attachment_ids.iter().map(move |id| (*id, message)))
        .collect()
}

/// The mentions as stored: a JSON list of ids, `NULL` for none.
/// The pushes a batch owes: (index in the batch, the new message, a member
/// to push it to), for messages this batch stores (never a resend).
fn owed_pushes<'a>(
    batch: &'a [Append],
    plans: &'a [Plan],
) -> Vec<(usize, &'a StoredMessage, UserId)> {
    batch
        .iter()
        .zip(plans)
        .enumerate()
        .filter_map(|(index, (pending, plan))| match plan {
            Plan::New(message) => Some((index, message, &pending.push_to)),
            _ => None,
        })
        .flat_map(|(index, message, users)| users.iter().map(move |user| (index, message, *user)))
        .collect()
}

/// Now, as the push queue keeps time (milliseconds since the epoch).
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

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
    fn apply(&mut self, pending: &Append, seq: Seq, receipts: &mut [Receipt]) {
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
}

/// A new message's chat's watermarks just before it and just after it.
type BeforeAfter = (Watermarks, Watermarks);

/// The watermarks the batch's new messages raise, given each chat's as read
/// in the transaction; and for each message, its chat's watermarks just
/// before it (what its announcement compares against) and just after it
/// (what its ticks are).
fn raise_watermarks(
    batch: &[Append],
    plans: &[Plan],
    mut receipts: HashMap<ChatId, Watermarks>,
) -> (Moved, Vec<Option<BeforeAfter>>) {
    let mut moved = Moved::default();
    let mut around = Vec::with_capacity(batch.len());
    for (pending, plan) in batch.iter().zip(plans) {
        let Plan::New(message) = plan else {
            around.push(None);
            continue;
        };
        let current = receipts.entry(pending.chat_id).or_default();
        let before = current.clone();
        moved.apply(pending, message.seq, &mut current.receipts);
        around.push(Some((before, current.clone())));
    }
    (moved, around)
}

/// Each message's outcome, in batch order. A resend inside the batch gets the
/// message its first copy stored.
fn outcomes(
    plans: Vec<Plan>,
    around: Vec<Option<BeforeAfter>>,
    pushes_queued: Vec<u64>,
) -> Result<Vec<Outcome>, StoreError> {
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(plans.len());
    for ((plan, around), pushes_queued) in plans.into_iter().zip(around).zip(pushes_queued) {
        let outcome = match plan {
            Plan::Stored(message) => Ok(Appended::Existing(message)),
            Plan::New(message) => {
                let (receipts_before, receipts_after) = around.unwrap_or_default();
                Ok(Appended::New(Arrival {
                    message,
                    receipts_before,
                    receipts_after,
                    pushes_queued,
                }))
            }
            Plan::SameAs(first) => match outcomes.get(first) {
                Some(Ok(Appended::New(arrival))) => Ok(Appended::Existing(arrival.message.clone())),
                Some(Ok(Appended::Existing(message))) => Ok(Appended::Existing(message.clone())),
                Some(Err(refused)) => Err(refused.clone()),
                None => {
                    return Err(StoreError::Database(DbErr::Custom(
                        "a resend before its original".into(),
                    )));
                }
            },
            Plan::Elsewhere => Err(StoreError::ClientIdElsewhere),
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

    fn pending(chat: u128, sender: u128, client_id: &str) -> Append {
        Append {
            chat_id: ChatId(id(chat)),
            sender_id: UserId(id(sender)),
            client_id: client_id.into(),
            body: "hi".into(),
            reply_to_id: None,
            mentions: Vec::new(),
            attachment_ids: Vec::new(),
            seen_by: Vec::new(),
            delivered_to: Vec::new(),
            push_to: Vec::new(),
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
            // Client ids the sender gave messages of another chat: before
            // this batch, and earlier in it.
            pending(2, 10, "old"),
            pending(2, 10, "a"),
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
            quoted_seq: None,
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
                Plan::Elsewhere => "refused".to_owned(),
            })
            .collect();
        assert_eq!(
            shape,
            [
                "new 4 v5",
                "new 1 v1",
                "new 5 v6",
                "same as 0",
                "stored 3",
                "refused",
                "refused"
            ]
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
