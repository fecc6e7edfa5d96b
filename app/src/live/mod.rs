//! The live state behind the chat screens, fed by the socket: the chat list,
//! the open conversation with its outbox, who is typing, the connection.
//!
//! Everything here is signals, so the views only read. The socket is started
//! once a signed-in page is on screen (in the browser; the server renders the
//! empty state and the browser fills it in).
//!
//! # Layout
//!
//! - `merge`: pure rules: how an answer, an update or a change merges into
//!   what the page holds (messages, receipts), so nothing newer is undone.
//! - `chat_list`: the list, a page at a time, and how news moves it.
//! - `conversation`: the open chat: joining, catching up, older pages,
//!   landing on a message, ticks from `statusUpdate`.
//! - `outbox`: messages on their way, sent again on reconnecting; changes to
//!   sent messages.
//! - `presence`: who is typing and who is online.
//! - `notify`: a browser notification for a message not on screen (from one
//!   tab of several), and the dot on the tab's icon.
//! - `push`: this device's Web Push subscription, for when Parley is closed.

mod chat_list;
mod conversation;
mod merge;
pub mod notify;
mod outbox;
pub mod photos;
mod presence;
pub mod push;
#[cfg(test)]
mod tests;

pub use conversation::Conversation;
pub use outbox::Outgoing;
pub use presence::TypingEntry;

use chat_list::*;
use merge::*;

use crate::media::Attachment;
use crate::{
    client::{ConnectionState, EmitError, SocketClient, new_client_id},
    model::{
        Chat, ChatId, ChatMember, ChatSummary, Message, MessageId, MessageStatus, Receipt, Seq,
        User, UserId, Version,
    },
    protocol::{
        ChatCreated, ChatUpdated, ClientEvent, DeleteMessage, EditMessage, History, JoinRoom,
        LeaveRoom, ListChats, MessageUpdated, NewMessage, Presence, React, ReceiptKind, Resync,
        RoomJoined, SendMessage, SessionEndReason, SessionEnded, ShowTyping, StatusUpdate, Typing,
    },
    status::{message_status, raise_receipt},
};
use leptos::{prelude::*, task::spawn_local};
use std::{rc::Rc, time::Duration};

#[derive(Clone, Copy)]
pub struct Live {
    pub me: RwSignal<Option<User>>,
    pub connection: RwSignal<ConnectionState>,
    /// The chat list as far as it is loaded: pinned first, then newest
    /// activity first.
    pub chats: RwSignal<Vec<ChatSummary>>,
    /// Where the rest of the list starts (`None`: it is all here).
    pub chats_more: RwSignal<Option<String>>,
    /// A further page of the list is on its way.
    pub loading_chats: RwSignal<bool>,
    pub typing: RwSignal<Vec<TypingEntry>>,
    /// The chat the route shows.
    pub open: RwSignal<Option<ChatId>>,
    pub conversation: Conversation,
    pub outbox: RwSignal<Vec<Outgoing>>,
    /// The last refusal of something done from the chat list.
    pub list_error: RwSignal<Option<String>>,
    /// A message to land on once its chat is open (a search hit).
    pub landing: RwSignal<Option<(ChatId, MessageId, Seq)>>,
    /// While the chat list is being asked for: the messages taken meanwhile
    /// (see [`Listing`]).
    listing: StoredValue<Listing>,
}

thread_local! {
    /// The page's one connection. Kept out of the reactive arena: that one also
    /// lives on the server's threads, where a browser socket must never be.
    static SOCKET: std::cell::RefCell<Option<Rc<SocketClient>>> = const { std::cell::RefCell::new(None) };
}

/// Milliseconds since the epoch. (The server renders these views too, where
/// there is no JavaScript `Date`.)
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        chrono::Utc::now().timestamp_millis() as f64
    }
}

pub(super) fn tab_visible() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .is_none_or(|document| document.visibility_state() == web_sys::VisibilityState::Visible)
}

/// Goes to the sign-in page, which says why the session ended.
pub(super) fn leave_for_sign_in(reason: SessionEndReason) {
    let target = format!("/login?ended={}", reason.as_str());
    if let Err(error) = window().location().set_href(&target) {
        leptos::logging::warn!("cannot leave for the sign-in page: {error:?}");
    }
}

impl Live {
    pub fn new() -> Self {
        Self {
            me: RwSignal::new(None),
            connection: RwSignal::new(ConnectionState::Connecting),
            chats: RwSignal::new(Vec::new()),
            chats_more: RwSignal::new(None),
            loading_chats: RwSignal::new(false),
            typing: RwSignal::new(Vec::new()),
            open: RwSignal::new(None),
            conversation: Conversation {
                chat: RwSignal::new(None),
                messages: RwSignal::new(Vec::new()),
                receipts: RwSignal::new(Vec::new()),
                heard: StoredValue::new(Vec::new()),
                has_older: RwSignal::new(false),
                loading_older: RwSignal::new(false),
                error: RwSignal::new(None),
                replying_to: RwSignal::new(None),
                editing: RwSignal::new(None),
                highlighted: RwSignal::new(None),
            },
            outbox: RwSignal::new(Vec::new()),
            list_error: RwSignal::new(None),
            landing: RwSignal::new(None),
            listing: StoredValue::new(Listing::default()),
        }
    }

    pub(super) fn socket(&self) -> Option<Rc<SocketClient>> {
        SOCKET.with_borrow(Clone::clone)
    }

    pub(super) async fn emit<E: ClientEvent>(&self, event: E) -> Result<E::Reply, EmitError> {
        match self.socket() {
            Some(socket) => socket.emit(&event).await,
            None => Err(EmitError::Offline),
        }
    }

    pub(super) fn my_id(&self) -> Option<UserId> {
        self.me.with_untracked(|me| me.as_ref().map(|me| me.id))
    }

    /// Connects (once) for `me` and wires every server event to the signals.
    pub fn start(self, me: User) {
        self.me.set(Some(me));
        if self.socket().is_some() {
            return;
        }
        let socket = SocketClient::connect();
        socket.on_state(move |state| {
            self.connection.set(state);
            if state == ConnectionState::Connected {
                spawn_local(self.resync());
            }
        });
        socket.on(move |NewMessage(message)| self.on_new_message(message));
        socket.on(move |MessageUpdated(message)| self.on_message_updated(message));
        socket.on(move |update: StatusUpdate| self.on_status(update));
        socket.on(move |typing: ShowTyping| self.on_typing(typing));
        socket.on(move |presence: Presence| self.on_presence(presence));
        // Signed out here or elsewhere: this page's session is over.
        socket.on(|ended: SessionEnded| leave_for_sign_in(ended.reason));
        socket.on_refused(|reason| {
            if reason == "unauthorized" {
                leave_for_sign_in(SessionEndReason::SignedOut);
            }
        });
        socket.on(move |ChatCreated(summary)| {
            self.listing.update_value(|listing| {
                if listing.asked > 0 {
                    listing.created.push(summary.clone());
                }
            });
            self.chats.update(|chats| add_created(chats, summary));
        });
        socket.on(move |ChatUpdated(summary)| self.on_chat_updated(summary));
        // Live delivery between the server's nodes came back: catch up as
        // after a reconnect. Every page hears it at once, so each waits a
        // moment of its own first (the server is not asked by all at once).
        socket.on(move |Resync {}| {
            let wait = std::time::Duration::from_millis((js_sys::Math::random() * 1000.0) as u64);
            set_timeout(move || spawn_local(self.resync()), wait);
        });
        SOCKET.set(Some(socket));
        self.watch_visibility();
        notify::stand_for_leader();
    }

    /// After (re)connecting: the list, the open chat and what was missed, then
    /// the outbox.
    pub(super) async fn resync(self) {
        self.list_chats().await;
        if let Some(chat_id) = self.open.get_untracked()
            && tab_visible()
        {
            self.join(chat_id).await;
        }
        self.flush_outbox().await;
    }

    /// Runs a chat-changing request; the server's reason if it refused.
    pub async fn ask<E: ClientEvent>(self, request: E) -> Result<E::Reply, String> {
        self.emit(request).await.map_err(|error| error.message())
    }

    /// The chat on screen is "in the room" only while the tab is visible, so
    /// seen means seen: leave when hidden, rejoin (and catch up) when visible.
    pub(super) fn watch_visibility(self) {
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        let listener = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            let Some(chat_id) = self.open.get_untracked() else {
                return;
            };
            spawn_local(async move {
                if tab_visible() {
                    self.join(chat_id).await;
                } else {
                    let _ = self.emit(LeaveRoom { chat_id }).await;
                }
            });
        });
        let _ = document.add_event_listener_with_callback(
            "visibilitychange",
            wasm_bindgen::JsCast::unchecked_ref(listener.as_ref()),
        );
        // One listener for the life of the page.
        listener.forget();
    }
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}
