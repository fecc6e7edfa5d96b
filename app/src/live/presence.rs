//! Who is typing (for a few seconds without news) and who is online.

use super::*;

/// How long a "typing…" shows without news (a lost `isTyping: false` must not
/// leave it on for ever).
pub(super) const TYPING_EXPIRES_MS: f64 = 6_000.0;

#[derive(Clone, Debug, PartialEq)]
pub struct TypingEntry {
    pub chat_id: ChatId,
    pub user_id: UserId,
    pub username: String,
    /// `Date.now()` after which it no longer shows.
    pub until: f64,
}

impl Live {
    pub fn typing(self, chat_id: ChatId, is_typing: bool) {
        spawn_local(async move {
            let _ = self.emit(Typing { chat_id, is_typing }).await;
        });
    }

    pub(super) fn on_typing(self, typing: ShowTyping) {
        self.typing.update(|entries| {
            entries.retain(|t| !(t.chat_id == typing.chat_id && t.user_id == typing.user_id));
            if typing.is_typing {
                entries.push(TypingEntry {
                    chat_id: typing.chat_id,
                    user_id: typing.user_id,
                    username: typing.username.clone(),
                    until: now_ms() + TYPING_EXPIRES_MS,
                });
            }
        });
        if typing.is_typing {
            set_timeout(
                move || {
                    self.typing
                        .update(|entries| entries.retain(|t| t.until > now_ms()))
                },
                Duration::from_millis(TYPING_EXPIRES_MS as u64 + 100),
            );
        }
    }

    pub(super) fn on_presence(self, presence: Presence) {
        let apply = |member: &mut ChatMember| {
            let user = &mut member.user;
            if user.id == presence.user_id {
                user.online = presence.online;
                user.last_seen_at = presence.last_seen_at;
            }
        };
        self.chats.update(|chats| {
            chats
                .iter_mut()
                .flat_map(|s| s.chat.members.iter_mut())
                .for_each(apply);
        });
        self.conversation.chat.update(|chat| {
            if let Some(chat) = chat {
                chat.members.iter_mut().for_each(apply);
            }
        });
    }

    /// People typing in `chat_id` other than me, freshest information only.
    pub fn typists(self, chat_id: ChatId) -> Vec<TypingEntry> {
        let me = self.my_id();
        let now = now_ms();
        self.typing.with(|entries| {
            entries
                .iter()
                .filter(|t| t.chat_id == chat_id && Some(t.user_id) != me && t.until > now)
                .cloned()
                .collect()
        })
    }
}
