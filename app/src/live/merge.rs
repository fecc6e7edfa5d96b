//! Pure rules: how an answer, an update or a change merges into what the
//! page holds, so that nothing newer is ever undone by something older.

use super::*;

/// Inserts `message` by seq (replacing one with the same seq unless it is
/// newer than this copy), keeping order; quotes of it follow.
pub(super) fn upsert(messages: &mut Vec<Message>, message: Message) {
    refresh_quotes(messages, &message);
    match messages.binary_search_by_key(&message.seq, |m| m.seq) {
        Ok(at) if messages[at].version > message.version => {}
        Ok(at) => messages[at] = message,
        Err(at) => messages.insert(at, message),
    }
}

/// A message changed (edited, deleted, reacted to): the copy held is
/// replaced if this one is newer, and quotes of it follow. One that is not
/// held is taken only where it belongs among those held (after the oldest):
/// older ones come with their page when scrolled to.
pub fn apply_change(messages: &mut Vec<Message>, changed: Message) {
    refresh_quotes(messages, &changed);
    let within = messages
        .first()
        .is_some_and(|oldest| changed.seq > oldest.seq);
    let held = messages.iter().any(|m| m.id == changed.id);
    if held || within {
        upsert(messages, changed);
    }
}

pub(super) fn refresh_quotes(messages: &mut [Message], target: &Message) {
    for message in messages.iter_mut() {
        if let Some(quote) = message.reply_to.as_mut()
            && quote.message_id == target.id
        {
            *quote = target.quoted();
        }
    }
}

/// Raises `update`'s member in `receipts` (adding them at zero first).
pub(super) fn raise_member(receipts: &mut Vec<Receipt>, update: &StatusUpdate) {
    let at = match receipts.iter().position(|r| r.user_id == update.user_id) {
        Some(at) => at,
        None => {
            receipts.push(Receipt {
                user_id: update.user_id,
                delivered_seq: 0,
                seen_seq: 0,
            });
            receipts.len() - 1
        }
    };
    raise_receipt(&mut receipts[at], update.status, update.up_to_seq);
}

/// The receipts a join answered, raised by what `statusUpdate`s said since
/// the chat opened: the answer was read before it was sent, so an update can
/// overtake it (Mike opens the chat while Harley's page is still joining).
/// Watermarks only rise; the answer still decides who is a member.
pub(super) fn joined_receipts(mut joined: Vec<Receipt>, heard: &[Receipt]) -> Vec<Receipt> {
    for receipt in &mut joined {
        if let Some(later) = heard.iter().find(|h| h.user_id == receipt.user_id) {
            raise_receipt(receipt, ReceiptKind::Delivered, later.delivered_seq);
            raise_receipt(receipt, ReceiptKind::Seen, later.seen_seq);
        }
    }
    joined
}

/// Every message's ticks as `receipts` stand.
pub(super) fn restate(messages: &mut [Message], receipts: &[Receipt]) {
    for message in messages {
        message.status = message_status(receipts, message.sender_id, message.seq);
    }
}

/// The highest version held: what to catch up from.
pub fn newest_version(messages: &[Message]) -> Option<Version> {
    messages.iter().map(|m| m.version).max()
}

/// Whether a chat's opening page may have older messages before it: it is
/// full and does not start at the chat's first message.
pub(super) fn has_older(opening: &[Message]) -> bool {
    opening.len() >= RoomJoined::PAGE && opening.first().is_some_and(|m| m.seq > 1)
}
