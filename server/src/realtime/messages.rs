//! `sendMessage`: the heart of it. Authorize, decide each member's status by the
//! seed's rules, commit the message with the watermarks it moves, announce, and
//! only then ack.

use super::{access::Access, dispatch::Ctx, receipts::Audience};
use crate::store::{AppendMessage, Appended, Arrival, ChangeError, StoredMessage, Watermarks};
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
        })
        .await?;
    ctx.realtime.metrics.message_committed(committing.elapsed());
    let mut arrival = match appended {
        Appended::New(arrival) => arrival,
        // A resend: the original, as it stands now, and nothing new announced.
        Appended::Existing(stored) => return resent(&ctx, stored).await,
    };
    arrival.message.reply_to = quoted.as_ref().map(|(_, quote)| quote.clone());
    arrival.message.attachments = attachments;
    let moves = landing.moves(&arrival);
    let seq = arrival.message.seq;
    let caught_up = read_by_sending(&arrival.receipts_before.receipts, me, seq);
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
    if caught_up {
        let audience = Audience::Chat { members: &members };
        ctx.realtime
            .announce_receipt(chat_id, audience, me, ReceiptKind::Seen, seq, &private)
            .await;
    }
    Ok(message)
}

/// Whether sending moved the sender's own "seen" over messages before this
/// one: the store raises it to the message (whoever answers has read what they
/// answer), so others' ticks on what it passed over turn blue. Mike answers
/// Harley from a chat he opened while her message was on its way.
fn read_by_sending(before: &[Receipt], sender: UserId, seq: Seq) -> bool {
    before
        .iter()
        .find(|receipt| receipt.user_id == sender)
        .is_some_and(|receipt| receipt.seen_seq < seq - 1)
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
        };
        for place in whereabouts {
            match status_on_arrival(place.in_room, place.online) {
                MessageStatus::Seen => landing.seen_by.push(place.user_id),
                MessageStatus::Delivered => landing.delivered_to.push(place.user_id),
                MessageStatus::Sent => {}
            }
        }
        landing
    }

    fn moves(&self, arrival: &Arrival) -> Vec<Move> {
        let seq = arrival.message.seq;
        let before = |user_id: UserId| {
            arrival
                .receipts_before
                .receipts
                .iter()
                .find(|receipt| receipt.user_id == user_id)
        };
        let seen = self.seen_by.iter().map(|&user| (user, ReceiptKind::Seen));
        let delivered = self
            .delivered_to
            .iter()
            .map(|&user| (user, ReceiptKind::Delivered));
        seen.chain(delivered)
            .map(|(user_id, kind)| Move {
                user_id,
                kind,
                only_this_message: before(user_id)
                    .is_some_and(|receipt| watermark(receipt, kind) == seq - 1),
            })
            .collect()
    }
}

fn watermark(receipt: &Receipt, kind: ReceiptKind) -> Seq {
    match kind {
        ReceiptKind::Seen => receipt.seen_seq,
        ReceiptKind::Delivered => receipt.delivered_seq,
    }
}
