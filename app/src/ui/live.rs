//! The live state behind the chat screens, fed by the socket: the chat list,
//! the open conversation with its outbox, who is typing, the connection.
//!
//! Everything here is signals, so the views only read. The socket is started
//! once a signed-in page is on screen (in the browser; the server renders the
//! empty state and the browser fills it in).

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

/// How long a "typing…" shows without news (a lost `isTyping: false` must not
/// leave it on for ever).
const TYPING_EXPIRES_MS: f64 = 6_000.0;
/// Messages per page when scrolling back.
const OLDER_PAGE: u32 = 50;
/// How often a message is sent while connected before it shows as not sent
/// (with its Retry button): each try waits `client::ACK_TIMEOUT`.
const SEND_ATTEMPTS: u32 = 3;

/// A message on its way: shown with a clock, resent with the same client id
/// after a reconnect, marked for retry if it failed.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub chat_id: ChatId,
    pub client_id: String,
    pub body: String,
    /// The message it answers.
    pub reply_to: Option<MessageId>,
    /// Uploaded already; the message takes them when it is stored.
    pub attachments: Vec<Attachment>,
    pub failed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypingEntry {
    pub chat_id: ChatId,
    pub user_id: UserId,
    pub username: String,
    /// `Date.now()` after which it no longer shows.
    pub until: f64,
}

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
    heard: StoredValue<Vec<Receipt>>,
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
    pub outbox: RwSignal<Vec<Pending>>,
    /// The last refusal of something done from the chat list.
    pub list_error: RwSignal<Option<String>>,
    /// A message to land on once its chat is open (a search hit).
    pub landing: RwSignal<Option<(ChatId, MessageId, Seq)>>,
    /// While the chat list is being asked for: the messages taken meanwhile
    /// (see [`Listing`]).
    listing: StoredValue<Listing>,
}

/// The chat lists asked for and not yet answered, and the messages this page
/// took since the first of them was asked, each with whether it counted as
/// unread. A list is read on the server before it is sent: a message that
/// overtakes it must not be taken back by it (see [`listed_with`]).
#[derive(Default)]
struct Listing {
    asked: u32,
    taken: Vec<(Message, bool)>,
    /// Chats made (`chatCreated`) meanwhile: an answer read before may lack them.
    created: Vec<ChatSummary>,
}

thread_local! {
    /// The page's one connection. Kept out of the reactive arena: that one also
    /// lives on the server's threads, where a browser socket must never be.
    static SOCKET: std::cell::RefCell<Option<Rc<SocketClient>>> = const { std::cell::RefCell::new(None) };
}

/// Milliseconds since the epoch. (The server renders these views too, where
/// there is no JavaScript `Date`.)
pub(super) fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        chrono::Utc::now().timestamp_millis() as f64
    }
}

fn tab_visible() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .is_none_or(|document| document.visibility_state() == web_sys::VisibilityState::Visible)
}

/// Goes to the sign-in page, which says why the session ended.
fn leave_for_sign_in(reason: SessionEndReason) {
    let target = format!("/login?ended={}", reason.as_str());
    if let Err(error) = window().location().set_href(&target) {
        leptos::logging::warn!("cannot leave for the sign-in page: {error:?}");
    }
}

/// Inserts `message` by seq (replacing one with the same seq unless it is
/// newer than this copy), keeping order; quotes of it follow.
fn upsert(messages: &mut Vec<Message>, message: Message) {
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

fn refresh_quotes(messages: &mut [Message], target: &Message) {
    for message in messages.iter_mut() {
        if let Some(quote) = message.reply_to.as_mut()
            && quote.message_id == target.id
        {
            *quote = target.quoted();
        }
    }
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
fn add_created(chats: &mut Vec<ChatSummary>, summary: ChatSummary) {
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

/// Raises `update`'s member in `receipts` (adding them at zero first).
fn raise_member(receipts: &mut Vec<Receipt>, update: &StatusUpdate) {
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
fn joined_receipts(mut joined: Vec<Receipt>, heard: &[Receipt]) -> Vec<Receipt> {
    for receipt in &mut joined {
        if let Some(later) = heard.iter().find(|h| h.user_id == receipt.user_id) {
            raise_receipt(receipt, ReceiptKind::Delivered, later.delivered_seq);
            raise_receipt(receipt, ReceiptKind::Seen, later.seen_seq);
        }
    }
    joined
}

/// Every message's ticks as `receipts` stand.
fn restate(messages: &mut [Message], receipts: &[Receipt]) {
    for message in messages {
        message.status = message_status(receipts, message.sender_id, message.seq);
    }
}

/// The highest version held: what to catch up from.
pub fn newest_version(messages: &[Message]) -> Option<Version> {
    messages.iter().map(|m| m.version).max()
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

    fn socket(&self) -> Option<Rc<SocketClient>> {
        SOCKET.with_borrow(Clone::clone)
    }

    async fn emit<E: ClientEvent>(&self, event: E) -> Result<E::Reply, EmitError> {
        match self.socket() {
            Some(socket) => socket.emit(&event).await,
            None => Err(EmitError::Offline),
        }
    }

    fn my_id(&self) -> Option<UserId> {
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
        super::notify::stand_for_leader();
    }

    /// After (re)connecting: the list, the open chat and what was missed, then
    /// the outbox.
    async fn resync(self) {
        self.list_chats().await;
        if let Some(chat_id) = self.open.get_untracked()
            && tab_visible()
        {
            self.join(chat_id).await;
        }
        self.flush_outbox().await;
    }

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
    async fn join(self, chat_id: ChatId) {
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
    async fn catch_up(self, chat_id: ChatId, mut after: Version) {
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
    async fn land_on(self, chat_id: ChatId, message_id: MessageId, seq: Seq) {
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

    /// Sends `body` to the open chat. A refusal comes back as its message (the
    /// caller keeps the draft); a lost connection leaves the message in the
    /// outbox, to be resent with the same client id on reconnecting; a server
    /// that answers none of `SEND_ATTEMPTS` tries marks it not sent.
    pub async fn send(
        self,
        chat_id: ChatId,
        body: String,
        reply_to: Option<MessageId>,
        attachments: Vec<Attachment>,
    ) -> Result<(), String> {
        let pending = Pending {
            chat_id,
            client_id: new_client_id(),
            body,
            reply_to,
            attachments,
            failed: false,
        };
        self.outbox.update(|outbox| outbox.push(pending.clone()));
        self.deliver(pending).await
    }

    async fn deliver(self, pending: Pending) -> Result<(), String> {
        let request = SendMessage {
            chat_id: pending.chat_id,
            client_id: pending.client_id.clone(),
            body: pending.body.clone(),
            reply_to_id: pending.reply_to,
            attachment_ids: pending.attachments.iter().map(|a| a.id).collect(),
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.emit(request.clone()).await {
                // The ack is this tab's copy (the server sends `newMessage` to
                // my other tabs only).
                Ok(message) => {
                    self.on_new_message(message);
                    return Ok(());
                }
                Err(EmitError::Refused(error)) => {
                    self.outbox
                        .update(|outbox| outbox.retain(|p| p.client_id != pending.client_id));
                    return Err(error.message);
                }
                // Sent again on reconnecting (`flush_outbox`).
                Err(EmitError::Offline) => return Ok(()),
                // Stored or not, asking again is safe: the server answers a
                // repeated client id with the message it stored. Without this
                // a slow answer left the message pending until a reconnect.
                Err(EmitError::Timeout) if attempts < SEND_ATTEMPTS => {}
                Err(other) => {
                    self.mark_failed(&pending.client_id);
                    return Err(other.message());
                }
            }
        }
    }

    fn mark_failed(self, client_id: &str) {
        self.outbox.update(|outbox| {
            if let Some(pending) = outbox.iter_mut().find(|p| p.client_id == client_id) {
                pending.failed = true;
            }
        });
    }

    /// Tries a failed message again, with its original client id.
    pub fn retry(self, client_id: String) {
        let Some(mut pending) = self
            .outbox
            .with_untracked(|o| o.iter().find(|p| p.client_id == client_id).cloned())
        else {
            return;
        };
        pending.failed = false;
        self.outbox.update(|outbox| {
            if let Some(entry) = outbox.iter_mut().find(|p| p.client_id == client_id) {
                entry.failed = false;
            }
        });
        spawn_local(async move {
            if let Err(error) = self.deliver(pending).await {
                self.conversation.error.set(Some(error));
            }
        });
    }

    async fn flush_outbox(self) {
        for pending in self.outbox.get_untracked() {
            if let Err(error) = self.deliver(pending).await {
                self.conversation.error.set(Some(error));
            }
        }
    }

    /// A stored message replaces its pending twin and joins the conversation.
    fn settle(self, message: &Message) {
        self.outbox
            .update(|outbox| outbox.retain(|p| p.client_id != message.client_id));
        if self.open.get_untracked() == Some(message.chat_id) {
            let mut message = message.clone();
            // A receipt can overtake the message it covers: the reader opened
            // the chat while this tab's ack was still on its way. The ticks
            // follow the receipts held, once the open chat's are (joined).
            let conversation = self.conversation;
            let joined = conversation.chat.with_untracked(|chat| {
                chat.as_ref().is_some_and(|chat| chat.id == message.chat_id)
            });
            if joined {
                let by_receipts = conversation.receipts.with_untracked(|receipts| {
                    message_status(receipts, message.sender_id, message.seq)
                });
                message.status = message.status.max(by_receipts);
            }
            conversation.messages.update(|all| upsert(all, message));
        }
    }

    /// Replaces a message's text; the server's reason if it refused.
    pub async fn edit(self, message: &Message, body: String) -> Result<(), String> {
        let request = EditMessage {
            chat_id: message.chat_id,
            message_id: message.id,
            body,
        };
        self.change(request).await
    }

    /// Deletes a message for everyone.
    pub async fn delete(self, message: &Message) -> Result<(), String> {
        let request = DeleteMessage {
            chat_id: message.chat_id,
            message_id: message.id,
        };
        self.change(request).await
    }

    /// Puts or takes back my `emoji` on a message.
    pub async fn react(self, message: &Message, emoji: &str, on: bool) -> Result<(), String> {
        let request = React {
            chat_id: message.chat_id,
            message_id: message.id,
            emoji: emoji.to_owned(),
            on,
        };
        self.change(request).await
    }

    async fn change<E: ClientEvent<Reply = Message>>(self, request: E) -> Result<(), String> {
        let message = self.emit(request).await.map_err(|error| error.message())?;
        self.on_message_updated(message);
        Ok(())
    }

    /// Starts a chat; its id, or the server's reason for refusing.
    pub async fn create_chat(self, request: crate::protocol::CreateChat) -> Result<ChatId, String> {
        let chat = self.emit(request).await.map_err(|error| error.message())?;
        let chat_id = chat.id;
        self.chats.update(|chats| {
            if !chats.iter().any(|s| s.chat.id == chat_id) {
                chats.insert(0, ChatSummary::new(chat, None, 0));
            }
        });
        Ok(chat_id)
    }

    pub fn typing(self, chat_id: ChatId, is_typing: bool) {
        spawn_local(async move {
            let _ = self.emit(Typing { chat_id, is_typing }).await;
        });
    }

    fn on_new_message(self, message: Message) {
        let mine = self.my_id() == Some(message.sender_id);
        let on_screen = self.open.get_untracked() == Some(message.chat_id) && tab_visible();
        self.settle(&message);
        self.typing.update(|typing| {
            typing.retain(|t| !(t.chat_id == message.chat_id && t.user_id == message.sender_id))
        });
        let mut known = false;
        let me = self.my_id();
        self.chats.update(|chats| {
            known = take_new_message(chats, &message, !mine && !on_screen, me);
        });
        self.listing.update_value(|listing| {
            if listing.asked > 0 {
                listing.taken.push((message.clone(), !mine && !on_screen));
            }
        });
        if !mine && !on_screen {
            super::notify::announce(self, &message);
        }
        self.see_if_missed(&message, mine, on_screen);
        if !known {
            spawn_local(self.list_chats());
        }
    }

    /// Asks for the list's first page again (after a reconnect, or for a
    /// chat this page does not hold); messages taken while the answer was on
    /// its way stay taken, and the pages loaded below it stay.
    async fn list_chats(self) {
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

    /// A message that reached the open chat but not as seen: it was sent
    /// while this page was joining the chat's room (the server looked for us
    /// in the room a moment before we were in it). In a direct chat its
    /// status is ours, so that is visible here, and we say we saw it.
    fn see_if_missed(self, message: &Message, mine: bool, on_screen: bool) {
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
    fn on_message_updated(self, message: Message) {
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

    /// A chat of mine changed (name, members, roles, my preferences), or I
    /// am no longer in it.
    fn on_chat_updated(self, summary: ChatSummary) {
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

    /// Runs a chat-changing request; the server's reason if it refused.
    pub async fn ask<E: ClientEvent>(self, request: E) -> Result<E::Reply, String> {
        self.emit(request).await.map_err(|error| error.message())
    }

    /// Changes my own preferences for a chat; the list follows from the reply.
    pub async fn set_prefs(self, request: crate::protocol::UpdateChatPrefs) -> Result<(), String> {
        let summary = self.ask(request).await?;
        self.on_chat_updated(summary);
        Ok(())
    }

    fn on_status(self, update: StatusUpdate) {
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

    fn on_typing(self, typing: ShowTyping) {
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

    fn on_presence(self, presence: Presence) {
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

    /// The chat on screen is "in the room" only while the tab is visible, so
    /// seen means seen: leave when hidden, rejoin (and catch up) when visible.
    fn watch_visibility(self) {
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

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a chat's opening page may have older messages before it: it is
/// full and does not start at the chat's first message.
fn has_older(opening: &[Message]) -> bool {
    opening.len() >= RoomJoined::PAGE && opening.first().is_some_and(|m| m.seq > 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReplyTo;
    use uuid::Uuid;

    fn message(seq: i64, version: i64, body: &str) -> Message {
        Message {
            id: MessageId(Uuid::from_u128(seq as u128)),
            chat_id: ChatId(Uuid::from_u128(100)),
            seq,
            sender_id: UserId(Uuid::from_u128(7)),
            client_id: format!("c-{seq}"),
            body: body.into(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            status: MessageStatus::Sent,
            version,
            edited_at: None,
            deleted_at: None,
            reply_to: None,
            reactions: Vec::new(),
            kind: Default::default(),
            system: None,
            mentions: Vec::new(),
            attachments: Vec::new(),
        }
    }

    fn bodies(messages: &[Message]) -> Vec<(i64, &str)> {
        messages.iter().map(|m| (m.seq, m.body.as_str())).collect()
    }

    fn summary(n: u128, pinned: bool) -> ChatSummary {
        let me = User {
            id: UserId(Uuid::from_u128(7)),
            username: "me".into(),
            display_name: "Me".into(),
            online: true,
            last_seen_at: None,
        };
        let chat = Chat {
            id: ChatId(Uuid::from_u128(n)),
            kind: crate::model::ChatKind::Group,
            name: Some(format!("chat {n}")),
            members: vec![ChatMember {
                user: me,
                role: Default::default(),
            }],
        };
        ChatSummary {
            pinned,
            ..ChatSummary::new(chat, None, 0)
        }
    }

    fn ids(chats: &[ChatSummary]) -> Vec<u128> {
        chats.iter().map(|s| s.chat.id.0.as_u128()).collect()
    }

    fn receipt(user: u128, delivered_seq: i64, seen_seq: i64) -> Receipt {
        Receipt {
            user_id: UserId(Uuid::from_u128(user)),
            delivered_seq,
            seen_seq,
        }
    }

    #[test]
    fn a_join_answer_never_takes_back_what_an_update_said_meanwhile() {
        // Mike (2) saw message 3 while Harley's join was on its way; the
        // answer, read before that, says delivered. Sara (3) has left: the
        // answer no longer names her, and she stays gone.
        let joined = vec![receipt(1, 3, 3), receipt(2, 3, 0)];
        let heard = vec![receipt(2, 3, 3), receipt(3, 2, 2)];
        assert_eq!(
            joined_receipts(joined, &heard),
            vec![receipt(1, 3, 3), receipt(2, 3, 3)]
        );
    }

    #[test]
    fn a_join_answer_newer_than_every_update_stands() {
        let joined = vec![receipt(2, 5, 4)];
        let heard = vec![receipt(2, 3, 3)];
        assert_eq!(joined_receipts(joined, &heard), vec![receipt(2, 5, 4)]);
    }

    #[test]
    fn a_chat_list_answer_never_takes_back_a_message_that_overtook_it() {
        // The answer was read with message 1 as chat 100's latest (1 unread);
        // messages 1 and 2 reached the page while it was on its way.
        let me = UserId(Uuid::from_u128(9));
        let mut mike = summary(100, false);
        mike.last_message = Some(message(1, 1, "first hello"));
        mike.unread_count = 1;
        let answer = vec![summary(1, false), mike];
        let taken = [
            (message(1, 1, "first hello"), true),
            (message(2, 1, "Lunch at noon?"), true),
        ];
        let chats = listed_with(answer, &taken, Some(me));
        assert_eq!(ids(&chats), [100, 1]);
        let latest = chats[0].last_message.as_ref().map(|m| m.body.as_str());
        assert_eq!((latest, chats[0].unread_count), (Some("Lunch at noon?"), 2));
    }

    #[test]
    fn a_chat_list_answer_that_has_every_message_taken_stands() {
        let mut mike = summary(100, false);
        mike.last_message = Some(message(2, 1, "Lunch at noon?"));
        mike.unread_count = 2;
        let taken = [(message(2, 1, "Lunch at noon?"), true)];
        let chats = listed_with(vec![summary(1, false), mike], &taken, None);
        assert_eq!(ids(&chats), [1, 100]);
        assert_eq!(chats[1].unread_count, 2);
    }

    #[test]
    fn a_fresh_first_page_keeps_the_pages_loaded_below_it() {
        // Held: pinned 1, then 2 3 (page one), 4 5 (page two, loaded down
        // to "c5"). Meanwhile 5 got news and 1 was unpinned elsewhere.
        let held = vec![
            summary(1, true),
            summary(2, false),
            summary(3, false),
            summary(4, false),
            summary(5, false),
        ];
        let page = vec![summary(5, false), summary(2, false)];
        let (chats, more) = with_first_page(held, Some("c5".into()), page, Some("c2".into()));
        assert_eq!(ids(&chats), [5, 2, 1, 3, 4]);
        assert!(!chats[2].pinned, "every pinned chat is on the first page");
        assert_eq!(more.as_deref(), Some("c5"));
    }

    #[test]
    fn a_first_page_that_is_the_whole_list_replaces_it() {
        let held = vec![summary(1, false), summary(2, false)];
        let (chats, more) = with_first_page(held, Some("c2".into()), vec![summary(2, false)], None);
        assert_eq!((ids(&chats), more), (vec![2], None));
        let (chats, more) =
            with_first_page(Vec::new(), None, vec![summary(3, false)], Some("c3".into()));
        assert_eq!((ids(&chats), more.as_deref()), (vec![3], Some("c3")));
    }

    #[test]
    fn a_later_page_adds_only_chats_not_held() {
        let mut chats = vec![summary(7, false), summary(1, false)];
        append_page(&mut chats, vec![summary(7, false), summary(2, false)]);
        assert_eq!(ids(&chats), [7, 1, 2]);
    }

    #[test]
    fn pinned_chats_stay_on_top_and_news_brings_an_archived_chat_back() {
        let mut chats = vec![summary(1, true), summary(2, false), summary(100, false)];
        // A message in chat 100 (an unpinned one) goes above 2, under 1.
        let me = UserId(Uuid::from_u128(9));
        let mut news = message(1, 1, "hi");
        assert!(take_new_message(&mut chats, &news, true, Some(me)));
        assert_eq!(ids(&chats), [1, 100, 2]);
        assert_eq!((chats[1].unread_count, chats[1].mention_count), (1, 0));
        news.mentions = vec![me];
        take_new_message(&mut chats, &news, true, Some(me));
        assert_eq!((chats[1].unread_count, chats[1].mention_count), (2, 1));
        // Archived and not muted: back; muted: stays archived.
        chats[1].archived = true;
        take_new_message(&mut chats, &news, false, Some(me));
        assert!(!chats[1].archived);
        chats[1].archived = true;
        chats[1].muted = true;
        take_new_message(&mut chats, &news, false, Some(me));
        assert!(chats[1].archived);
    }

    #[test]
    fn a_chat_update_replaces_in_place_or_drops_a_chat_i_left() {
        let me = UserId(Uuid::from_u128(7));
        let mut chats = vec![summary(1, false), summary(2, false)];
        let mut pinned = summary(2, true);
        pinned.chat.name = Some("renamed".into());
        assert!(!take_chat_update(&mut chats, pinned, me));
        assert_eq!(ids(&chats), [2, 1], "pinned goes first");
        assert_eq!(chats[0].chat.name.as_deref(), Some("renamed"));
        let mut left = summary(1, false);
        left.chat.members.clear();
        assert!(take_chat_update(&mut chats, left, me));
        assert_eq!(ids(&chats), [2]);
    }

    #[test]
    fn a_change_replaces_an_older_copy_and_never_a_newer_one() {
        let mut held = vec![message(5, 5, "a"), message(6, 6, "b")];
        apply_change(&mut held, message(6, 9, "b, edited"));
        assert_eq!(bodies(&held), [(5, "a"), (6, "b, edited")]);
        // A late update from another node, older than what is held: ignored.
        apply_change(&mut held, message(6, 8, "b, first edit"));
        assert_eq!(bodies(&held), [(5, "a"), (6, "b, edited")]);
        assert_eq!(newest_version(&held), Some(9));
    }

    #[test]
    fn a_change_to_an_unloaded_older_message_waits_for_its_page() {
        let mut held = vec![message(5, 5, "a"), message(6, 6, "b")];
        apply_change(&mut held, message(2, 10, "old, edited"));
        assert_eq!(bodies(&held), [(5, "a"), (6, "b")]);
        // A new one (after the oldest held) is taken in place.
        apply_change(&mut held, message(7, 11, "c"));
        assert_eq!(bodies(&held), [(5, "a"), (6, "b"), (7, "c")]);
    }

    #[test]
    fn quotes_follow_their_target_even_when_it_is_not_held() {
        let target = message(2, 2, "the original");
        let mut reply = message(5, 5, "an answer");
        reply.reply_to = Some(target.quoted());
        let mut held = vec![reply];
        let mut edited = message(2, 8, "the original, fixed");
        apply_change(&mut held, edited.clone());
        assert_eq!(
            held[0].reply_to.as_ref().and_then(|q| q.excerpt.as_deref()),
            Some("the original, fixed")
        );
        edited.body = String::new();
        edited.deleted_at = Some(chrono::DateTime::UNIX_EPOCH);
        edited.version = 9;
        apply_change(&mut held, edited);
        assert_eq!(
            held[0].reply_to,
            Some(ReplyTo {
                message_id: target.id,
                sender_id: Some(target.sender_id),
                excerpt: None,
                deleted: true,
                unavailable: false,
            })
        );
    }
}
