//! Building what clients see from what the store holds: members with their
//! presence, messages with their status, and the authorization every event
//! starts with.

use super::{Realtime, dispatch::Ctx};
use crate::store::{ChatRecord, Member, StoredMessage};
use app::{
    model::{Chat, ChatId, Message, Receipt, User, UserId},
    protocol::{ApiError, ErrorCode, ReceiptKind, StatusUpdate},
    status::message_status,
};
use socketioxide::adapter::Adapter;
use std::sync::Arc;

/// A chat the current user belongs to, with everyone's watermarks.
pub struct MemberOf {
    pub chat: ChatRecord,
    pub members: Vec<Member>,
}

impl MemberOf {
    pub fn member_ids(&self) -> Vec<UserId> {
        self.members.iter().map(|member| member.user.id).collect()
    }

    pub fn receipts(&self) -> Vec<Receipt> {
        self.members.iter().map(|member| member.receipt).collect()
    }
}

impl<A: Adapter> Ctx<A> {
    pub fn me(&self) -> &User {
        &self.connection.user
    }

    /// The chat, if it exists (`not_found`) and the user is in it (`not_member`).
    pub async fn member_of(&self, chat_id: ChatId) -> Result<MemberOf, ApiError> {
        let chat = self
            .realtime
            .store
            .chat(chat_id)
            .await?
            .ok_or_else(no_such_chat)?;
        let members = self.realtime.store.members(chat_id).await?;
        self.check_member(members.iter().map(|member| member.user.id))?;
        Ok(MemberOf { chat, members })
    }

    /// Every member's watermarks, if the chat exists and the user is in it: the
    /// same check as `member_of` in one light query (no chat row, no profiles).
    pub async fn receipts_as_member(&self, chat_id: ChatId) -> Result<Vec<Receipt>, ApiError> {
        let receipts = self.realtime.store.receipts(chat_id).await?;
        // A chat always has members: none means no such chat.
        if receipts.is_empty() {
            return Err(no_such_chat());
        }
        self.check_member(receipts.iter().map(|receipt| receipt.user_id))?;
        Ok(receipts)
    }

    /// Who is in the chat, if it exists and the user is in it: the same check
    /// without touching the database after the chat's first read (members
    /// are cached, see `Store::member_ids`).
    pub async fn members_as_member(&self, chat_id: ChatId) -> Result<Arc<[UserId]>, ApiError> {
        let members = self.realtime.store.member_ids(chat_id).await?;
        if members.is_empty() {
            return Err(no_such_chat());
        }
        self.check_member(members.iter().copied())?;
        Ok(members)
    }

    fn check_member(&self, mut members: impl Iterator<Item = UserId>) -> Result<(), ApiError> {
        if members.any(|member| member == self.me().id) {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::NotMember,
                "you are not a member of this chat",
            ))
        }
    }
}

fn no_such_chat() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such chat")
}

impl<A: Adapter> Realtime<A> {
    /// The chat as clients see it: members with their presence filled in.
    pub async fn chat_view(&self, chat: &ChatRecord, members: &[Member]) -> Chat {
        let ids: Vec<UserId> = members.iter().map(|member| member.user.id).collect();
        let online = self.cluster.online_among(&ids).await;
        let members = members
            .iter()
            .map(|member| {
                let mut user = member.user.clone();
                user.online = online.contains(&user.id);
                if user.online {
                    user.last_seen_at = None;
                }
                user
            })
            .collect();
        Chat {
            id: chat.id,
            kind: chat.kind,
            name: chat.name.clone(),
            members,
        }
    }

    /// Announces that `user_id`'s `kind` watermark reached `up_to_seq`.
    pub async fn announce_receipt(
        &self,
        chat_id: ChatId,
        audience: Audience<'_>,
        user_id: UserId,
        status: ReceiptKind,
        up_to_seq: i64,
    ) {
        let update = StatusUpdate {
            chat_id,
            user_id,
            status,
            up_to_seq,
        };
        match audience {
            Audience::Chat { members } => {
                self.cluster.emit_to_chat(chat_id, members, &update).await
            }
            Audience::Sender(sender) => self.cluster.emit_to_users(&[sender], &update).await,
        }
    }
}

/// Who hears of a watermark's move: whoever's ticks it changes.
#[derive(Clone, Copy, Debug)]
pub enum Audience<'a> {
    /// The chat's room and every member: the move covers messages of anyone's.
    Chat { members: &'a [UserId] },
    /// Only the sender of the one message the move covers (all their devices).
    Sender(UserId),
}

/// Stored messages with their status under these receipts.
pub fn with_statuses(messages: Vec<StoredMessage>, receipts: &[Receipt]) -> Vec<Message> {
    messages
        .into_iter()
        .map(|message| with_status(message, receipts))
        .collect()
}

/// A stored message with its status under these receipts.
pub fn with_status(message: StoredMessage, receipts: &[Receipt]) -> Message {
    let status = message_status(receipts, message.sender_id, message.seq);
    message.with_status(status)
}

impl<A: Adapter> Realtime<A> {
    /// A stored message with its status as its chat's watermarks stand now.
    pub async fn with_current_status(&self, message: StoredMessage) -> Result<Message, ApiError> {
        let receipts = self.store.receipts(message.chat_id).await?;
        Ok(with_status(message, &receipts))
    }
}
