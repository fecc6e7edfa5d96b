//! The open conversation: header, messages with their ticks, the typing line,
//! message info, and the composer.
//!
//! # Layout
//!
//! - `message_list`: the messages, scrolled and paged, and the "new messages" pill.
//! - `bubble`: one message: its quote, body, photos, reactions and ticks.
//! - `message_menu`: a message's actions (reply, react, edit, delete, info).
//! - `message_info`: who received and read a message, per member.
//! - `typing`: the "… is typing" line.
//! - `composer`: writing, replying, editing, attaching, with drafts kept.
//! - `mention_picker`: the `@` list the composer offers in a group.

mod bubble;
mod composer;
mod mention_picker;
mod message_info;
mod message_list;
mod message_menu;
mod typing;

use bubble::*;
use composer::*;
use mention_picker::*;
use message_info::*;
use message_list::*;
use message_menu::*;
use typing::*;

/// The dialogs' chunks, fetched in the page's first idle moment (`super::preload_chunks`).
pub(super) use message_info::preload_message_info_dialog;
pub(super) use message_menu::preload_confirm_delete_dialog;

use super::{
    attachments::{MessageAttachments, UploadTray, Uploads, photos_in},
    widgets::{
        Avatar, Icon, IconShape, Modal, NotLoaded, Ticks, built_alone, loaded_later, local_time,
    },
};
use crate::live::{Live, Outgoing};
use crate::{
    client::ConnectionState,
    model::{
        AttachmentId, ChatId, ChatKind, ChatMember, Message, MessageId, MessageStatus, Reaction,
        Receipt, User, UserId,
    },
    status::member_status,
};
use leptos::{html, prelude::*, task::spawn_local};
use std::time::Duration;

/// The open conversation, a WebAssembly chunk of its own: the page's own file
/// holds the chat list and what every page needs. Where the first HTML shows
/// a conversation, the chunk is fetched before the page hydrates
/// (`super::hydrate`); elsewhere in the first idle moment
/// (`super::preload_chunks_when_idle`), so that opening a chat is instant.
/// Drawn in place (`widgets::drawn_in_place`), not as the dialogs are: it is
/// part of the page, hydrated with it and owned like the rest of it.
#[leptos::wasm_split::wasm_split(
    conversation_pane,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(preload_conversation_pane)
)]
pub(super) fn conversation_pane(chat_id: ChatId) -> Result<AnyView, NotLoaded> {
    // A page the server renders with a conversation tells the browser to
    // fetch its chunk alongside the page's own WebAssembly (`<link
    // rel="preload">`, Leptos' own prefetch for split code), not after it.
    // At the default priority: asked at low priority, the chunk no longer
    // shared the line with the styles, but on Fast 3G the page became
    // interactive 0.6 s later (docs/PERFORMANCE-HISTORY.md, "The conversation
    // and the account pages as chunks of their own").
    #[cfg(feature = "ssr")]
    leptos::prefetch_lazy_fn_on_server("conversation_pane");
    Ok(view! { <ConversationPane chat_id/> }.into_any())
}

#[component]
pub(super) fn ConversationPane(chat_id: ChatId) -> impl IntoView {
    let live = expect_context::<Live>();
    let conversation = live.conversation;
    let info_for = RwSignal::new(None::<i64>);
    let confirm_delete = RwSignal::new(None::<Message>);
    let viewing = RwSignal::new(None::<AttachmentId>);
    let actions = Actions {
        info_for,
        confirm_delete,
        menu_for: RwSignal::new(None),
        viewing,
    };
    provide_context(actions);
    let uploads = Uploads::new();
    provide_context(uploads);
    let info_open = RwSignal::new(false);
    // Files dropped anywhere on the conversation go up with the next message.
    let dropping = RwSignal::new(false);
    let on_dragover = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dropping.set(true);
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dropping.set(false);
        uploads.add_all(chat_id, ev.data_transfer().and_then(|data| data.files()));
        focus_composer();
    };
    let photos = Signal::derive(move || conversation.messages.with(|messages| photos_in(messages)));
    view! {
        <div class="conversation" data-testid="conversation" class:dropping=move || dropping.get()
            on:dragover=on_dragover on:dragleave=move |_| dropping.set(false) on:drop=on_drop>
            <ConversationHeader chat_id info_open/>
            {move || conversation.error.get().map(|text| view! {
                <p class="conversation-error" role="alert" data-testid="send-error">{text}</p>
            })}
            <MessageList chat_id/>
            <TypingLine chat_id/>
            <Composer chat_id/>
            // The dialogs and the viewer are chunks of their own (`loaded_later`).
            {move || info_for.get().map(|seq| {
                let close = Callback::new(move |()| info_for.set(None));
                loaded_later(move || message_info_dialog(seq, close), close)
            })}
            {move || confirm_delete.get().map(|message| {
                let close = Callback::new(move |()| confirm_delete.set(None));
                loaded_later(move || confirm_delete_dialog(message.clone()), close)
            })}
            <Show when=move || viewing.with(Option::is_some)>
                {loaded_later(
                    move || super::attachments::photo_viewer(photos, viewing),
                    Callback::new(move |()| viewing.set(None)),
                )}
            </Show>
            <Show when=move || info_open.get()>
                {
                    let close = Callback::new(move |()| info_open.set(false));
                    loaded_later(move || super::chat_info::chat_info_dialog(close), close)
                }
            </Show>
        </div>
    }
}

#[component]
pub(super) fn ConversationHeader(chat_id: ChatId, info_open: RwSignal<bool>) -> impl IntoView {
    let live = expect_context::<Live>();
    let chat = live.conversation.chat;
    let title =
        move || chat.with(|chat| chat.as_ref().map(|chat| chat.title(live.me.get().as_ref())));
    // The words, and when they were last seen (shown after them).
    let subtitle = move || {
        let me = live.me.get();
        chat.with(|chat| {
            let chat = chat.as_ref()?;
            Some(match chat.kind {
                ChatKind::Group => (format!("{} members", chat.members.len()), None),
                ChatKind::Direct if !live.typists(chat_id).is_empty() => {
                    ("typing…".to_owned(), None)
                }
                ChatKind::Direct => match chat.other_member(me.as_ref()) {
                    Some(other) if other.online => ("online".to_owned(), None),
                    Some(User {
                        last_seen_at: Some(at),
                        ..
                    }) => ("last seen ".to_owned(), Some(*at)),
                    _ => ("offline".to_owned(), None),
                },
            })
        })
    };
    let subtitle =
        move || subtitle().map(|(words, at)| view! { {words}{at.map(|at| local_time(&at, true))} });
    view! {
        <header class="bar conversation-bar">
            <a href="/" class="back-link" aria-label="Back to chats"><Icon shape=IconShape::Back/></a>
            {move || title().map(|title| {
                let me = live.me.get().map(|me| me.id);
                let photo = chat.with(|chat| chat.as_ref().and_then(|chat| chat.photo(me)).map(str::to_owned));
                view! { <Avatar name=title photo/> }
            })}
            <div class="me">
                <span class="me-name" data-testid="chat-title">{move || title().unwrap_or_else(|| "…".into())}</span>
                <span class="me-username" data-testid="chat-subtitle">{subtitle}</span>
            </div>
            {move || chat.with(|chat| chat.as_ref().map(|chat| chat.kind)).map(|kind| {
                let label = match kind {
                    ChatKind::Group => "Group info",
                    ChatKind::Direct => "Contact info",
                };
                view! {
                    <button type="button" class="icon-button" aria-label=label title=label
                        data-testid="chat-info" on:click=move |_| info_open.set(true)>
                        <Icon shape=IconShape::Info/>
                    </button>
                }
            })}
        </header>
    }
}

/// What a message's menu opens, shared by the conversation's bubbles.
#[derive(Clone, Copy)]
pub(super) struct Actions {
    /// The seq whose "message info" is open.
    info_for: RwSignal<Option<i64>>,
    /// The message awaiting "delete for everyone?".
    confirm_delete: RwSignal<Option<Message>>,
    /// The message whose menu is open (one at a time).
    menu_for: RwSignal<Option<MessageId>>,
    /// The photo open in the viewer.
    viewing: RwSignal<Option<AttachmentId>>,
}

/// Names for a list of people: "You", then the others by display name.
pub(super) fn names_of(user_ids: &[UserId], members: &[ChatMember], me: Option<UserId>) -> String {
    user_ids
        .iter()
        .map(|id| {
            if Some(*id) == me {
                "You".to_owned()
            } else {
                members
                    .iter()
                    .find(|m| m.id == *id)
                    .map_or_else(|| "someone".to_owned(), |m| m.display_name.clone())
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn focus_composer() {
    if let Some(page) = document().document_element() {
        focus_first(&page, ".composer textarea");
    }
}

/// Moves focus to the first element under `root` that matches `selector`.
pub(super) fn focus_first(root: &web_sys::Element, selector: &str) {
    if let Some(element) = root.query_selector(selector).ok().flatten()
        && let Some(element) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&element)
    {
        let _ = element.focus();
    }
}
