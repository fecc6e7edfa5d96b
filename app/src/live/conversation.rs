//! The open conversation: joining its room, catching up, older pages,
//! landing on a message, and the ticks `statusUpdate`s repaint.

use super::*;

/// Messages per page when scrolling back.
pub(super) const OLDER_PAGE: u32 = 50;

/// The conversation on screen.
#[derive(Clone, Copy)]
pub struct Conversation {
    pub chat: RwSignal<Option<Chat>>,
    /// Stored messages, ascending seq.
    pub messages: RwSignal<Vec<Message>>,
    pub receipts: RwSignal<Vec<Receipt>>,
    /// The highest watermarks `statusUpdate`s have brought since the chat
    /// opened. A join's answer is read before it is sent: an update that
    /// overtakes it must not be undone by it (see [`joined_receipts`]).
    pub(super) heard: StoredValue<Vec<Receipt>>,
    pub has_older: RwSignal<bool>,
    pub loading_older: RwSignal<bool>,
    /// The last refusal, shown above the composer.
    pub error: RwSignal<Option<String>>,
    /// The message the composer's next message answers.
    pub replying_to: RwSignal<Option<Message>>,
    /// The message the composer is editing instead of sending a new one.
    pub editing: RwSignal<Option<Message>>,
    /// A message just scrolled to (from a quote), shown highlighted.
    pub highlighted: RwSignal<Option<MessageId>>,
}

impl Live {
    /// The route changed to `chat` (or to none): leave the old room, join the new.
    pub fn show_chat(self, chat: Option<ChatId>) {
        let previous = self.open.get_untracked();
        if previous == chat {
            return;
        }
        self.open.set(chat);
        let conversation = self.conversation;
        // What the server rendered for this chat stays (no flash of an empty
        // conversation); joining then brings whatever changed since.
        let seeded = chat.is_some()
            && conversation
                .chat
                .with_untracked(|held| held.as_ref().map(|c| c.id) == chat);
        if !seeded {
            conversation.chat.set(None);
            conversation.messages.set(Vec::new());
            conversation.receipts.set(Vec::new());
            conversation.has_older.set(false);
        }
        conversation.heard.set_value(Vec::new());
        conversation.error.set(None);
        conversation.replying_to.set(None);
        conversation.editing.set(None);
        spawn_local(async move {
            if let Some(previous) = previous {
                let _ = self.emit(LeaveRoom { chat_id: previous }).await;
            }
            if let Some(chat_id) = chat
                && tab_visible()
            {
                self.join(chat_id).await;
            }
        });
    }

    /// Starts from the open chat as the server rendered it (before the socket
    /// is up; nothing is marked seen until the page joins its room).
    pub fn seed_conversation(self, opened: RoomJoined) {
        let conversation = self.conversation;
        if conversation.chat.with_untracked(Option::is_some) {
            return;
        }
        conversation.has_older.set(has_older(&opened.messages));
        conversation.chat.set(Some(opened.chat));
        conversation.receipts.set(opened.receipts);
        conversation.messages.set(opened.messages);
    }

    /// Enters the chat's room: it is seen from now on. Merges the latest page and
    /// everything that changed since the newest version we have (new messages,
    /// edits, deletes, reactions).
    pub(super) async fn join(self, chat_id: ChatId) {
        let conversation = self.conversation;
        let last_known = conversation.messages.with_untracked(|m| newest_version(m));
        match self.emit(JoinRoom { chat_id }).await {
            Ok(joined) => {
                if self.open.get_untracked() != Some(chat_id) {
                    return;
                }
                let older = has_older(&joined.messages);
                conversation.chat.set(Some(joined.chat));
                let receipts = conversation
                    .heard
                    .with_value(|heard| joined_receipts(joined.receipts, heard));
                conversation.messages.update(|messages| {
                    joined
                        .messages
                        .into_iter()
                        .for_each(|m| upsert(messages, m));
                    restate(messages, &receipts);
                });
                conversation.receipts.set(receipts);
                if last_known.is_none() {
                    conversation.has_older.set(older);
                }
                if let Some(after) = last_known {
                    self.catch_up(chat_id, after).await;
                }
                self.chats.update(|chats| {
                    if let Some(summary) = chats.iter_mut().find(|s| s.chat.id == chat_id) {
                        summary.unread_count = 0;
                        summary.mention_count = 0;
                        summary.marked_unread = false;
                    }
                });
                let landing = self.landing.get_untracked();
                if let Some((chat, message_id, seq)) = landing
                    && chat == chat_id
                {
                    self.landing.set(None);
                    self.land_on(chat_id, message_id, seq).await;
                }
            }
            // Not connected yet (or any more): joining again on connect is
            // already arranged, there is nothing to tell the reader.
            Err(EmitError::Offline | EmitError::Timeout) => {}
            Err(error) => conversation.error.set(Some(error.message())),
        }
    }

    /// Fetches everything that changed after version `after` (the gap a
    /// disconnect left).
    pub(super) async fn catch_up(self, chat_id: ChatId, mut after: Version) {
        loop {
            let page = History {
                limit: Some(History::MAX_LIMIT),
                ..History::changed_after(chat_id, after)
            };
            let Ok(messages) = self.emit(page).await else {
                return;
            };
            let done = messages.len() < History::MAX_LIMIT as usize;
            after = messages.last().map_or(after, |m| m.version);
            self.conversation
                .messages
                .update(|all| messages.into_iter().for_each(|m| apply_change(all, m)));
            if done {
                return;
            }
        }
    }

    /// Loads the page before the oldest message on screen.
    pub fn load_older(self) {
        spawn_local(async move {
            self.load_older_page().await;
        });
    }

    /// Loads the page before the oldest message on screen; whether it did.
    pub async fn load_older_page(self) -> bool {
        let conversation = self.conversation;
        let (Some(chat_id), Some(oldest)) = (
            self.open.get_untracked(),
            conversation
                .messages
                .with_untracked(|m| m.first().map(|m| m.seq)),
        ) else {
            return false;
        };
        if conversation.loading_older.get_untracked() || !conversation.has_older.get_untracked() {
            return false;
        }
        conversation.loading_older.set(true);
        let page = History {
            before_seq: Some(oldest),
            limit: Some(OLDER_PAGE),
            ..History::latest(chat_id)
        };
        let loaded = match self.emit(page).await {
            Ok(messages) => {
                conversation
                    .has_older
                    .set(messages.len() == OLDER_PAGE as usize);
                conversation
                    .messages
                    .update(|all| messages.into_iter().for_each(|m| upsert(all, m)));
                true
            }
            Err(_) => false,
        };
        conversation.loading_older.set(false);
        loaded
    }

    /// Scrolls to a message (loading older pages until it is there) and
    /// highlights it for a moment: where a quote leads.
    pub async fn reveal(self, message_id: MessageId) {
        const MOST_PAGES: usize = 40;
        let held = |conversation: Conversation| {
            conversation
                .messages
                .with_untracked(|m| m.iter().any(|m| m.id == message_id))
        };
        for _ in 0..MOST_PAGES {
            if held(self.conversation) || !self.load_older_page().await {
                break;
            }
        }
        if !held(self.conversation) {
            return;
        }
        self.conversation.highlighted.set(Some(message_id));
        request_animation_frame(move || {
            let selector = format!("[data-message-id=\"{message_id}\"]");
            if let Some(element) = document().query_selector(&selector).ok().flatten() {
                element.scroll_into_view_with_bool(false);
                if let Some(element) =
                    wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&element)
                {
                    let _ = element.focus();
                }
            }
        });
        set_timeout(
            move || {
                self.conversation.highlighted.update(|highlighted| {
                    if *highlighted == Some(message_id) {
                        *highlighted = None;
                    }
                })
            },
            Duration::from_millis(2_000),
        );
    }

    /// Opens a search hit: its chat (the link navigates there), at the
    /// message. When the chat is already open, lands on it at once.
    pub fn go_to(self, chat_id: ChatId, message_id: MessageId, seq: Seq) {
        if self.open.get_untracked() == Some(chat_id) {
            spawn_local(self.land_on(chat_id, message_id, seq));
        } else {
            self.landing.set(Some((chat_id, message_id, seq)));
        }
    }

    /// Shows a message in its context (a search hit): scrolled back to when
    /// it is near, else the page around it in place of what is held.
    pub(super) async fn land_on(self, chat_id: ChatId, message_id: MessageId, seq: Seq) {
        let conversation = self.conversation;
        let near = conversation
            .messages
            .with_untracked(|m| m.first().is_some_and(|oldest| seq + 500 >= oldest.seq));
        if !near {
            let page = History {
                around_seq: Some(seq),
                limit: Some(OLDER_PAGE),
                ..History::latest(chat_id)
            };
            if let Ok(messages) = self.emit(page).await {
                conversation
                    .has_older
                    .set(messages.first().is_some_and(|m| m.seq > 1));
                conversation.messages.set(messages);
            }
        }
        self.reveal(message_id).await;
    }

    /// A message that reached the open chat but not as seen: it was sent
    /// while this page was joining the chat's room (the server looked for us
    /// in the room a moment before we were in it). In a direct chat its
    /// status is ours, so that is visible here, and we say we saw it.
    pub(super) fn see_if_missed(self, message: &Message, mine: bool, on_screen: bool) {
        // Known from the list, or from the open chat itself (the list may
        // lack it: an answer read before the chat was made, or a page of it
        // not loaded).
        let is_it = |chat: &crate::model::Chat| {
            chat.id == message.chat_id && chat.kind == crate::model::ChatKind::Direct
        };
        let direct = self
            .chats
            .with_untracked(|chats| chats.iter().any(|summary| is_it(&summary.chat)))
            || self
                .conversation
                .chat
                .with_untracked(|chat| chat.as_ref().is_some_and(is_it));
        if mine || !on_screen || !direct || message.status == MessageStatus::Seen {
            return;
        }
        let request = crate::protocol::MarkSeen {
            chat_id: message.chat_id,
            seq: message.seq,
        };
        spawn_local(async move {
            let _ = self.emit(request).await;
        });
    }

    /// A message changed: the conversation and the list's preview follow.
    pub(super) fn on_message_updated(self, message: Message) {
        if self.open.get_untracked() == Some(message.chat_id) {
            self.conversation
                .messages
                .update(|all| apply_change(all, message.clone()));
            for slot in [self.conversation.replying_to, self.conversation.editing] {
                // What the composer works on went away: let it go.
                if message.is_deleted()
                    && slot.with_untracked(|m| m.as_ref().is_some_and(|m| m.id == message.id))
                {
                    slot.set(None);
                }
            }
        }
        self.chats.update(|chats| {
            if let Some(last) = chats
                .iter_mut()
                .find(|s| s.chat.id == message.chat_id)
                .and_then(|s| s.last_message.as_mut())
                && last.id == message.id
                && last.version < message.version
            {
                *last = message;
            }
        });
    }

    pub(super) fn on_status(self, update: StatusUpdate) {
        let conversation = self.conversation;
        if self.open.get_untracked() == Some(update.chat_id) {
            conversation
                .heard
                .update_value(|heard| raise_member(heard, &update));
            conversation
                .receipts
                .update(|receipts| raise_member(receipts, &update));
            let receipts = conversation.receipts.get_untracked();
            conversation
                .messages
                .update(|messages| restate(messages, &receipts));
        }
        // The list's preview tick: exact for direct chats (one other member).
        let status = match update.status {
            ReceiptKind::Seen => MessageStatus::Seen,
            ReceiptKind::Delivered => MessageStatus::Delivered,
        };
        self.chats.update(|chats| {
            if let Some(summary) = chats.iter_mut().find(|s| s.chat.id == update.chat_id)
                && summary.chat.kind == crate::model::ChatKind::Direct
                && let Some(last) = summary.last_message.as_mut()
                && last.sender_id != update.user_id
                && last.seq <= update.up_to_seq
            {
                last.status = last.status.max(status);
            }
        });
    }
}
