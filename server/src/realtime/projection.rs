//! What a reader sees of what the store holds: a chat's members with their
//! presence (less what each keeps from them), messages with their ticks, and
//! the receipts they may see.

use super::Realtime;
use crate::store::{ChatRecord, Member, StoredMessage, Watermarks};
use app::{
    model::{Chat, ChatMember, LastSeenVisibility, Message, Receipt, UserId},
    protocol::ApiError,
};
use socketioxide::adapter::Adapter;
use std::collections::HashSet;

impl<A: Adapter> Realtime<A> {
    /// The chat as `viewer` sees it: members with their roles and presence,
    /// less what each keeps from them (a last seen kept to oneself; presence
    /// and last seen hidden from someone they blocked).
    pub async fn chat_view(&self, chat: &ChatRecord, members: &[Member], viewer: UserId) -> Chat {
        let online = self.online_in(members).await;
        self.chat_view_given(chat, members, viewer, &online).await
    }

    /// Which members are online: asked once for a chat, however many
    /// members' views are then built from it.
    pub async fn online_in(&self, members: &[Member]) -> HashSet<UserId> {
        let ids: Vec<UserId> = members.iter().map(|member| member.user.id).collect();
        self.cluster.online_among(&ids).await
    }

    /// [`Self::chat_view`], with who is `online` already known.
    pub async fn chat_view_given(
        &self,
        chat: &ChatRecord,
        members: &[Member],
        viewer: UserId,
        online: &HashSet<UserId>,
    ) -> Chat {
        let ids: Vec<UserId> = members.iter().map(|member| member.user.id).collect();
        let blockers = self
            .store
            .blockers_of(viewer, &ids)
            .await
            .unwrap_or_else(|error| {
                tracing::warn!(%error, "cannot read blocks; hiding presence");
                ids.clone()
            });
        chat_view_with(chat, members, viewer, online, &blockers)
    }
}

/// The members' watermarks, and who among them keeps their reading private.
pub fn watermarks_of(members: &[Member]) -> Watermarks {
    Watermarks {
        receipts: members.iter().map(|member| member.receipt).collect(),
        private: members
            .iter()
            .filter(|member| !member.settings.read_receipts)
            .map(|member| member.user.id)
            .collect(),
    }
}

/// Stored messages with their status under these watermarks.
pub fn with_statuses(messages: Vec<StoredMessage>, watermarks: &Watermarks) -> Vec<Message> {
    messages
        .into_iter()
        .map(|message| with_status(message, watermarks))
        .collect()
}

/// A stored message with its status under these watermarks, as its sender
/// may see it.
pub fn with_status(message: StoredMessage, watermarks: &Watermarks) -> Message {
    let status = watermarks.status(message.sender_id, message.seq);
    message.with_status(status)
}

/// The receipts `viewer` may see: nobody's "seen" when they keep their own
/// private, else everyone's but those who keep theirs.
pub fn receipts_for(watermarks: &Watermarks, viewer: UserId) -> Vec<Receipt> {
    if watermarks.is_private(viewer) {
        let everyone: Vec<UserId> = watermarks.receipts.iter().map(|r| r.user_id).collect();
        app::status::published_receipts(&watermarks.receipts, &everyone)
    } else {
        watermarks.published()
    }
}

impl<A: Adapter> Realtime<A> {
    /// A stored message with its status as its chat's watermarks stand now.
    pub async fn with_current_status(&self, message: StoredMessage) -> Result<Message, ApiError> {
        let watermarks = self.store.receipts(message.chat_id).await?;
        Ok(with_status(message, &watermarks))
    }
}

/// The chat as `viewer` sees it, with who is `online` and who has blocked
/// them (`blockers`: they hide their presence from the viewer) known.
pub fn chat_view_with(
    chat: &ChatRecord,
    members: &[Member],
    viewer: UserId,
    online: &HashSet<UserId>,
    blockers: &[UserId],
) -> Chat {
    let members = members
        .iter()
        .map(|member| {
            let mut user = member.user.clone();
            let hidden = user.id != viewer && blockers.contains(&user.id);
            user.online = !hidden && online.contains(&user.id);
            let keeps_last_seen =
                user.id != viewer && member.settings.last_seen == LastSeenVisibility::Nobody;
            if user.online || hidden || keeps_last_seen {
                user.last_seen_at = None;
            }
            // A member shares this chat with the viewer.
            let photo_shows =
                user.id == viewer || member.settings.profile_photo.shows(true, hidden);
            user.photo_url = (member.photo.as_deref())
                .filter(|_| photo_shows)
                .map(|version| app::media::user_photo_url(user.id, version));
            ChatMember {
                user,
                role: member.role,
            }
        })
        .collect();
    Chat {
        id: chat.id,
        kind: chat.kind,
        name: chat.name.clone(),
        description: chat.description.clone(),
        photo_url: (chat.photo.as_deref())
            .map(|version| app::media::chat_photo_url(chat.id, version)),
        members,
    }
}
