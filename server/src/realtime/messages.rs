//! `sendMessage`: the heart of it. Authorize, decide each member's status by the
//! seed's rules, commit the message with the watermarks it moves, announce, and
//! only then ack.

use super::{access::Access, dispatch::Ctx, receipts::Audience};
use crate::store::{AppendMessage, Appended, ChangeError, StoredMessage, Watermarks};
use app::{
    media::{Attachment, MAX_PER_MESSAGE},
    model::{
        AttachmentId, Body, ChatId, ClientId, Message, MessageId, MessageStatus, Receipt, ReplyTo,
        Seq, UserId,
    },
    protocol::{ApiError, ErrorCode, NewMessage, ReceiptKind, SendMessage},
    status::{status_on_arrival, visible_status},
};
use socketioxide::adapter::Adapter;

pub async fn send_message<A: Adapter>(
    ctx: Ctx<A>,
    request: SendMessage,
) -> Result<Message, ApiError> {
    let body = if request.attachment_ids.is_empty() {
        Body::parse(&request.body)?
    } else {
        Body::parse_caption(&request.body)?
    };
    let client_id = ClientId::parse(&request.client_id)?;
    check_attachment_ids(&request.attachment_ids)?;
    let chat_id = request.chat_id;
    let me = ctx.me().id;
    let members = ctx.members_as_member(chat_id, Access::Reach).await?;
    let quoted = match request.reply_to_id {
        Some(target) => match quote(&ctx, chat_id, target).await {
            Ok(quoted) => Some(quoted),
            // A resend of a reply whose target has gone since: the original
            // was stored, and stands.
            Err(refused) => match ctx
                .realtime
                .store
                .sent_before(chat_id, me, &client_id)
                .await?
            {
                Some(original) => return resent(&ctx, original).await,
                None => return Err(refused),
            },
        },
        None => None,
    };
    let attachments = match attachments(&ctx, chat_id, &request.attachment_ids).await {
        Ok(attachments) => attachments,
        // A resend of a message whose attachments it took already.
        Err(refused) => match ctx
            .realtime
            .store
            .sent_before(chat_id, me, &client_id)
            .await?
        {
            Some(original) => return resent(&ctx, original).await,
            None => return Err(refused),
        },
    };
    let mentions = ctx.mentions_in(&body, members.direct, &members).await?;
    let landing = Landing::find(&ctx, chat_id, &members).await;

    let store = &ctx.realtime.store;
    let committing = std::time::Instant::now();
    let appended = store
        .append_message(AppendMessage {
            chat_id,
            sender_id: me,
            client_id: &client_id,
            body: &body,
            reply_to_id: request.reply_to_id,
            mentions: &mentions,
            attachment_ids: &request.attachment_ids,
            seen_by: &landing.seen_by,
            delivered_to: &landing.delivered_to,
            push_to: &landing.push_to,
        })
        .await?;
    ctx.realtime.metrics.message_committed(committing.elapsed());
    let mut arrival = match appended {
        Appended::New(arrival) => arrival,
        // A resend: the original, as it stands now, and nothing new announced.
        Appended::Existing(stored) => return resent(&ctx, stored).await,
    };
    if arrival.pushes_queued > 0 {
        ctx.realtime.metrics.pushes_queued(arrival.pushes_queued);
        ctx.realtime.pushes.nudge();
    }
    arrival.message.reply_to = quoted.as_ref().map(|(_, quote)| quote.clone());
    arrival.message.attachments = attachments;
    let seq = arrival.message.seq;
    let moves = moves(
        &arrival.receipts_before.receipts,
        &arrival.receipts_after.receipts,
        me,
        seq,
    );
    let Watermarks { receipts, private } = arrival.receipts_after;
    let status = visible_status(&receipts, &private, me, seq);
    let message = arrival.message.with_status(status);

    // Everyone but the socket that sent it: the ack brings it there. Who
    // joined after what it quotes reads the quote as unavailable.
    let late = match &quoted {
        Some((quoted_seq, _)) => {
            ctx.realtime
                .store
                .joined_after(chat_id, *quoted_seq)
                .await?
        }
        None => Vec::new(),
    };
    let cluster = &ctx.realtime.cluster;
    let announced = NewMessage(message.clone());
    if late.is_empty() {
        cluster
            .emit_to_chat_except(&ctx.socket, chat_id, &members, &announced)
            .await;
    } else {
        let mut unquoted = message.clone();
        unquoted.reply_to = message
            .reply_to
            .as_ref()
            .map(|quote| ReplyTo::unavailable(quote.message_id));
        cluster
            .emit_to_chat_apart(
                &ctx.socket,
                chat_id,
                &members,
                &announced,
                &late,
                &NewMessage(unquoted),
            )
            .await;
    }
    for moved in moves {
        // A member who was up to date had only this message to catch up on: only
        // its sender's ticks change, so only they need to hear of it. (In a
        // group of 50 this is what keeps a message from costing 49 broadcasts
        // to 50 members each.)
        let audience = if moved.only_this_message {
            Audience::Sender(me)
        } else {
            Audience::Chat { members: &members }
        };
        ctx.realtime
            .announce_receipt(chat_id, audience, moved.user_id, moved.kind, seq, &private)
            .await;
    }
    Ok(message)
}

/// Every watermark the commit moved that someone must hear of, read from the
/// receipts before and after it (one rule, whoever moved):
/// - another member's: `seen` if it moved (it says `delivered` too), else
///   `delivered`; only the sender hears when it stood just below the message;
/// - the sender's own: the store raises their `seen` to what they send
///   (whoever answers has read what they answer), and that is news only when
///   it passed over others' messages: their ticks turn blue. (Mike answers
///   Harley from a chat he opened while her message was on its way.)
fn moves(before: &[Receipt], after: &[Receipt], sender: UserId, seq: Seq) -> Vec<Move> {
    let was = |user_id: UserId| {
        before
            .iter()
            .find(|receipt| receipt.user_id == user_id)
            .map_or((0, 0), |receipt| (receipt.seen_seq, receipt.delivered_seq))
    };
    after
        .iter()
        .filter_map(|now| {
            let (seen, delivered) = was(now.user_id);
            let (kind, from) = if now.seen_seq > seen {
                (ReceiptKind::Seen, seen)
            } else if now.delivered_seq > delivered && now.user_id != sender {
                (ReceiptKind::Delivered, delivered)
            } else {
                return None;
            };
            let only_this_message = from == seq - 1;
            if now.user_id == sender && (kind != ReceiptKind::Seen || only_this_message) {
                return None;
            }
            Some(Move {
                user_id: now.user_id,
                kind,
                only_this_message,
            })
        })
        .collect()
}

/// The answer to a resend: the original as it stands now (nothing new is
/// announced).
async fn resent<A: Adapter>(ctx: &Ctx<A>, original: StoredMessage) -> Result<Message, ApiError> {
    let original = ctx.realtime.store.decorate(vec![original]).await?.remove(0);
    ctx.realtime.with_current_status(original).await
}

/// 0–10 attachments, none twice.
fn check_attachment_ids(ids: &[AttachmentId]) -> Result<(), ApiError> {
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    if ids.len() > MAX_PER_MESSAGE || distinct.len() != ids.len() {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("at most {MAX_PER_MESSAGE} attachments, each once"),
        ));
    }
    Ok(())
}

/// The sender's own unsent uploads to this chat, as `ids` names them
/// (`not_found` if any is not).
async fn attachments<A: Adapter>(
    ctx: &Ctx<A>,
    chat_id: ChatId,
    ids: &[AttachmentId],
) -> Result<Vec<Attachment>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = ctx
        .realtime
        .store
        .unsent_attachments(chat_id, ctx.me().id, ids)
        .await?;
    if found.len() != ids.len() {
        return Err(crate::store::StoreError::NotYours.into());
    }
    Ok(found)
}

/// How a reply quotes `target`, and its seq: it must be a message of this
/// chat, not deleted.
async fn quote<A: Adapter>(
    ctx: &Ctx<A>,
    chat_id: ChatId,
    target: MessageId,
) -> Result<(Seq, ReplyTo), ApiError> {
    let store = &ctx.realtime.store;
    // Only what the replier may read: not what was said before they joined.
    let visible_from = store
        .membership(chat_id, ctx.me().id)
        .await?
        .map_or(Seq::MAX, |mine| mine.visible_from);
    let target = store
        .message(chat_id, target)
        .await?
        .filter(|target| target.seq >= visible_from && target.system.is_none())
        .ok_or_else(|| ApiError::from(ChangeError::NotFound))?;
    if target.deleted_at.is_some() {
        return Err(ApiError::from(ChangeError::Deleted));
    }
    Ok((target.seq, target.quoted()))
}

/// Where the message lands for each other member, by the seed's rules: in the
/// room → seen; online elsewhere → delivered; otherwise only sent.
struct Landing {
    seen_by: Vec<UserId>,
    delivered_to: Vec<UserId>,
    /// Everyone without the chat open (and visible) anywhere: their devices
    /// are owed a push (see `push/`; muted chats are sorted out there).
    push_to: Vec<UserId>,
}

/// A watermark the message moved.
struct Move {
    user_id: UserId,
    kind: ReceiptKind,
    /// The watermark stood just below the message, so no other message's
    /// status changed.
    only_this_message: bool,
}

impl Landing {
    async fn find<A: Adapter>(ctx: &Ctx<A>, chat_id: ChatId, members: &[UserId]) -> Self {
        let me = ctx.me().id;
        let others: Vec<UserId> = members.iter().copied().filter(|&id| id != me).collect();
        let whereabouts = ctx.realtime.cluster.whereabouts(chat_id, &others).await;
        let mut landing = Self {
            seen_by: Vec::new(),
            delivered_to: Vec::new(),
            push_to: Vec::new(),
        };
        for place in whereabouts {
            match status_on_arrival(place.in_room, place.online) {
                MessageStatus::Seen => landing.seen_by.push(place.user_id),
                MessageStatus::Delivered => {
                    landing.delivered_to.push(place.user_id);
                    landing.push_to.push(place.user_id);
                }
                MessageStatus::Sent => landing.push_to.push(place.user_id),
            }
        }
        landing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(n: u128, delivered_seq: Seq, seen_seq: Seq) -> Receipt {
        Receipt {
            user_id: UserId(uuid::Uuid::from_u128(n)),
            delivered_seq,
            seen_seq,
        }
    }

    #[test]
    fn every_move_is_read_from_before_and_after_one_rule_for_all() {
        let (sender, seq) = (UserId(uuid::Uuid::from_u128(1)), 5);
        let before = [
            receipt(1, 4, 2), // the sender had not read 3 and 4
            receipt(2, 4, 4), // in the room, up to date
            receipt(3, 2, 2), // online elsewhere, behind
            receipt(4, 1, 1), // away: nothing moves
            receipt(5, 4, 3), // opens the chat: seen and delivered both move
        ];
        let after = [
            receipt(1, 5, 5),
            receipt(2, 5, 5),
            receipt(3, 5, 2),
            receipt(4, 1, 1),
            receipt(5, 5, 5),
        ];
        let read: Vec<(u128, ReceiptKind, bool)> = moves(&before, &after, sender, seq)
            .into_iter()
            .map(|moved| {
                (
                    moved.user_id.0.as_u128(),
                    moved.kind,
                    moved.only_this_message,
                )
            })
            .collect();
        assert_eq!(
            read,
            vec![
                (1, ReceiptKind::Seen, false),
                (2, ReceiptKind::Seen, true),
                (3, ReceiptKind::Delivered, false),
                (5, ReceiptKind::Seen, false),
            ]
        );
        // A sender who had read everything before: nothing to tell of them.
        let up_to_date = moves(&[receipt(1, 4, 4)], &[receipt(1, 5, 5)], sender, seq);
        assert!(up_to_date.is_empty());
    }
}
