//! The chat list: a page at a time, pinned first, and how news moves it.

use super::*;

/// The chat lists asked for and not yet answered, and the messages this page
/// took since the first of them was asked, each with whether it counted as
/// unread. A list is read on the server before it is sent: a message that
/// overtakes it must not be taken back by it (see [`listed_with`]).
#[derive(Default)]
pub(super) struct Listing {
    pub(super) asked: u32,
    pub(super) taken: Vec<(Message, bool)>,
    /// Chats made (`chatCreated`) meanwhile: an answer read before may lack them.
    pub(super) created: Vec<ChatSummary>,
}

/// The list's order: pinned chats first, each part newest activity first
/// (the order they are held in otherwise).
pub fn order_chats(chats: &mut [ChatSummary]) {
    chats.sort_by_key(|summary| !summary.pinned);
}

/// How the list takes a new message: the chat moves to the top of its part,
/// comes back from the archive unless muted, and counts as unread unless it is
/// mine or on screen.
pub fn take_new_message(
    chats: &mut Vec<ChatSummary>,
    message: &Message,
    unread: bool,
    me: Option<UserId>,
) -> bool {
    let Some(at) = chats.iter().position(|s| s.chat.id == message.chat_id) else {
        return false;
    };
    let mut summary = chats.remove(at);
    if unread {
        summary.unread_count += 1;
        if me.is_some_and(|me| message.mentions.contains(&me)) {
            summary.mention_count += 1;
        }
    }
    if !summary.muted {
        summary.archived = false;
    }
    summary.last_message = Some(message.clone());
    chats.insert(0, summary);
    order_chats(chats);
    true
}

/// The chat list as answered, with the messages `taken` since it was asked
/// for taken again where they are newer than a chat's latest in it: the
/// answer was read before they were stored (its unread counts stop at the
/// latest message it shows).
pub fn listed_with(
    mut chats: Vec<ChatSummary>,
    taken: &[(Message, bool)],
    me: Option<UserId>,
) -> Vec<ChatSummary> {
    for (message, unread) in taken {
        let newer = chats.iter().any(|summary| {
            summary.chat.id == message.chat_id
                && summary
                    .last_message
                    .as_ref()
                    .is_none_or(|last| last.seq < message.seq)
        });
        if newer {
            take_new_message(&mut chats, message, *unread, me);
        }
    }
    chats
}

/// The list after a fresh first `page` (and `next`, where the rest starts)
/// replaces the first part of the `held` one, loaded down to `held_more`:
/// what was held below it stays (a chat pushed down by newer ones, or one of
/// a later page), and so does how far the list was loaded. Every pinned chat
/// is on the first page: one held that is not there is pinned no more.
pub fn with_first_page(
    held: Vec<ChatSummary>,
    held_more: Option<String>,
    page: Vec<ChatSummary>,
    next: Option<String>,
) -> (Vec<ChatSummary>, Option<String>) {
    if next.is_none() {
        return (page, None);
    }
    let below: Vec<ChatSummary> = held
        .into_iter()
        .filter(|summary| !page.iter().any(|p| p.chat.id == summary.chat.id))
        .map(|summary| ChatSummary {
            pinned: false,
            ..summary
        })
        .collect();
    if below.is_empty() {
        return (page, next);
    }
    let mut chats = page;
    chats.extend(below);
    (chats, held_more)
}

/// A later page goes below what is held, without what is held already (a
/// chat that moved up since was taken from a newer message).
pub fn append_page(chats: &mut Vec<ChatSummary>, page: Vec<ChatSummary>) {
    for summary in page {
        if !chats.iter().any(|held| held.chat.id == summary.chat.id) {
            chats.push(summary);
        }
    }
}

/// A new chat (`chatCreated`) goes on top of its part of the list, unless
/// it is held already.
pub(super) fn add_created(chats: &mut Vec<ChatSummary>, summary: ChatSummary) {
    if !chats.iter().any(|held| held.chat.id == summary.chat.id) {
        chats.insert(0, summary);
        order_chats(chats);
    }
}

/// A chat changed (`chatUpdated`): the summary replaces the one held, in
/// place, or the chat leaves the list when it no longer lists `me` (they
/// left or were removed). Whether it left.
pub fn take_chat_update(chats: &mut Vec<ChatSummary>, summary: ChatSummary, me: UserId) -> bool {
    let at = chats.iter().position(|s| s.chat.id == summary.chat.id);
    if summary.chat.member(me).is_none() {
        if let Some(at) = at {
            chats.remove(at);
        }
        return true;
    }
    match at {
        Some(at) => chats[at] = summary,
        None => chats.insert(0, summary),
    }
    order_chats(chats);
    false
}

impl Live {
    /// Starts a chat; its id, or the server's reason for refusing.
    pub async fn create_chat(self, request: crate::protocol::CreateChat) -> Result<ChatId, String> {
        let chat = self.emit(request).await.map_err(|error| error.message())?;
        let chat_id = chat.id;
        let me = self.my_id().unwrap_or(UserId(uuid::Uuid::nil()));
        self.chats.update(|chats| {
            if !chats.iter().any(|s| s.chat.id == chat_id) {
                chats.insert(0, ChatSummary::new(chat, me, None, 0));
            }
        });
        Ok(chat_id)
    }

    /// Asks for the list's first page again (after a reconnect, or for a
    /// chat this page does not hold); messages taken while the answer was on
    /// its way stay taken, and the pages loaded below it stay.
    pub(super) async fn list_chats(self) {
        self.listing.update_value(|listing| listing.asked += 1);
        let answer = self.emit(ListChats::first()).await;
        if let Ok(page) = answer {
            let me = self.my_id();
            let fresh = self.listing.with_value(|listing| {
                let mut fresh = page.chats;
                for created in &listing.created {
                    add_created(&mut fresh, created.clone());
                }
                listed_with(fresh, &listing.taken, me)
            });
            let held = self.chats.get_untracked();
            let (chats, more) =
                with_first_page(held, self.chats_more.get_untracked(), fresh, page.next);
            self.chats.set(chats);
            self.chats_more.set(more);
        }
        self.listing.update_value(|listing| {
            listing.asked -= 1;
            if listing.asked == 0 {
                listing.taken.clear();
                listing.created.clear();
            }
        });
    }

    /// Loads the next page of the chat list, if there is one and it is not
    /// already on its way.
    pub fn more_chats(self) {
        let Some(before) = self.chats_more.get_untracked() else {
            return;
        };
        if self.loading_chats.get_untracked() {
            return;
        }
        self.loading_chats.set(true);
        spawn_local(async move {
            match self.emit(ListChats::after(before.clone())).await {
                // Unless the list was asked for afresh meanwhile.
                Ok(page) if self.chats_more.get_untracked() == Some(before) => {
                    self.chats.update(|chats| append_page(chats, page.chats));
                    self.chats_more.set(page.next);
                }
                Ok(_) | Err(EmitError::Offline) => {}
                // The button stays: another try is one click (or scroll) away.
                Err(error) => self.list_error.set(Some(error.message())),
            }
            self.loading_chats.set(false);
        });
    }

    /// A chat of mine changed (name, members, roles, my preferences), or I
    /// am no longer in it.
    pub(super) fn on_chat_updated(self, summary: ChatSummary) {
        let Some(me) = self.my_id() else { return };
        let chat_id = summary.chat.id;
        let chat = summary.chat.clone();
        let mut gone = false;
        self.chats
            .update(|chats| gone = take_chat_update(chats, summary, me));
        if self.open.get_untracked() != Some(chat_id) {
            return;
        }
        if gone {
            self.conversation.chat.set(None);
            self.conversation.messages.set(Vec::new());
            self.conversation
                .error
                .set(Some("You are no longer a member of this group.".to_owned()));
        } else {
            self.conversation.chat.set(Some(chat));
        }
    }

    /// Changes my own preferences for a chat; the list follows from the reply.
    pub async fn set_prefs(self, request: crate::protocol::UpdateChatPrefs) -> Result<(), String> {
        let summary = self.ask(request).await?;
        self.on_chat_updated(summary);
        Ok(())
    }

    /// Unread messages over the chats that are not muted (a chat marked
    /// unread counts as one).
    pub fn total_unread(self) -> u64 {
        self.chats.with(|chats| {
            chats
                .iter()
                .filter(|s| !s.muted)
                .map(|s| s.unread_count.max(u64::from(s.marked_unread)))
                .sum()
        })
    }
}
