//! `sendMessage`: the heart of it. Authorize, commit, decide each member's
//! status by the seed's rules, announce, and only then ack.

use super::dispatch::Ctx;
use crate::store::{Appended, NewMessage as StoredNew};
use app::{
    model::{Body, ClientId, Message, MessageStatus, UserId},
    protocol::{ApiError, NewMessage, ReceiptKind, SendMessage},
    status::{message_status, raise_receipt, status_on_arrival},
};
use socketioxide::adapter::Adapter;

pub async fn send_message<A: Adapter>(
    ctx: Ctx<A>,
    request: SendMessage,
) -> Result<Message, ApiError> {
    let body = Body::parse(&request.body)?;
    let client_id = ClientId::parse(&request.client_id)?;
    let mut member_of = ctx.member_of(request.chat_id).await?;
    let me = ctx.me().id;
    let store = &ctx.realtime.store;

    let appended = store
        .append_message(StoredNew {
            chat_id: request.chat_id,
            sender_id: me,
            client_id: &client_id,
            body: &body,
        })
        .await?;
    let stored = match appended {
        Appended::New(stored) => stored,
        // A resend: the original, as it stands now, and nothing new announced.
        Appended::Existing(stored) => {
            // The receipts are those just loaded, unless the client reused the id
            // in another chat.
            let receipts = if stored.chat_id == request.chat_id {
                member_of.receipts()
            } else {
                store
                    .members(stored.chat_id)
                    .await?
                    .into_iter()
                    .map(|m| m.receipt)
                    .collect()
            };
            let status = message_status(&receipts, stored.sender_id, stored.seq);
            return Ok(stored.with_status(status));
        }
    };
    let seq = stored.seq;

    // The seed's rules, per member: in the room → seen; online → delivered; else sent.
    let others: Vec<UserId> = member_of
        .member_ids()
        .into_iter()
        .filter(|&id| id != me)
        .collect();
    let whereabouts = ctx
        .realtime
        .cluster
        .whereabouts(request.chat_id, &others)
        .await;
    let mut advances = Vec::new();
    for place in whereabouts {
        let kind = match status_on_arrival(place.in_room, place.online) {
            MessageStatus::Seen => ReceiptKind::Seen,
            MessageStatus::Delivered => ReceiptKind::Delivered,
            MessageStatus::Sent => continue,
        };
        if let Some(moved) = store
            .advance_receipt(request.chat_id, place.user_id, kind, seq)
            .await?
        {
            advances.push((place.user_id, moved));
        }
    }
    for member in &mut member_of.members {
        let kind = if member.user.id == me {
            // The store moved the sender's own watermarks with the message.
            Some(ReceiptKind::Seen)
        } else {
            advances
                .iter()
                .find(|(user, _)| *user == member.user.id)
                .map(|(_, kind)| *kind)
        };
        if let Some(kind) = kind {
            raise_receipt(&mut member.receipt, kind, seq);
        }
    }
    let message = stored.with_status(message_status(&member_of.receipts(), me, seq));

    let members = member_of.member_ids();
    ctx.realtime
        .cluster
        .emit_to_chat(request.chat_id, &members, &NewMessage(message.clone()))
        .await;
    for (user_id, kind) in advances {
        ctx.realtime
            .announce_receipt(request.chat_id, &members, user_id, kind, seq)
            .await;
    }
    Ok(message)
}
