//! The open conversation: header, messages with their ticks, the typing line,
//! message info, and the composer.

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

/// How often "typing" is repeated while typing, and how long after the last
/// key it stops.
const TYPING_REPEAT_MS: f64 = 3_000.0;
const TYPING_IDLE: Duration = Duration::from_secs(3);
/// Within this many pixels of the bottom counts as "at the bottom".
const BOTTOM_SLACK: i32 = 48;

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
fn ConversationPane(chat_id: ChatId) -> impl IntoView {
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
fn ConversationHeader(chat_id: ChatId, info_open: RwSignal<bool>) -> impl IntoView {
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
            {move || title().map(|title| view! { <Avatar name=title/> })}
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
struct Actions {
    /// The seq whose "message info" is open.
    info_for: RwSignal<Option<i64>>,
    /// The message awaiting "delete for everyone?".
    confirm_delete: RwSignal<Option<Message>>,
    /// The message whose menu is open (one at a time).
    menu_for: RwSignal<Option<MessageId>>,
    /// The photo open in the viewer.
    viewing: RwSignal<Option<AttachmentId>>,
}

/// How far from the window's top a message's menu needs to open upwards
/// (its height with the emoji row, and the header above it), in CSS pixels.
const MENU_ROOM: f64 = 360.0;

/// The quick reactions, and the rest of the picker.
const QUICK_EMOJI: [&str; 6] = ["👍", "❤️", "😂", "😮", "😢", "🙏"];
const MORE_EMOJI: [&str; 30] = [
    "😀", "😁", "😊", "😍", "🥰", "😘", "😎", "🤔", "🙄", "😴", "😅", "🤣", "😭", "😡", "🥳", "😱",
    "🤯", "🙌", "👏", "👋", "👎", "💪", "🔥", "🎉", "💯", "✅", "❌", "👀", "☕", "🍕",
];

/// Names for a list of people: "You", then the others by display name.
fn names_of(user_ids: &[UserId], members: &[ChatMember], me: Option<UserId>) -> String {
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

#[component]
fn MessageList(chat_id: ChatId) -> impl IntoView {
    let live = expect_context::<Live>();
    let conversation = live.conversation;
    let list = NodeRef::<html::Div>::new();
    let at_bottom = RwSignal::new(true);
    let unseen_below = RwSignal::new(false);
    // Height before older messages were put on top, to keep the view still.
    let height_before_older = StoredValue::new(None::<i32>);
    let pending = Memo::new(move |_| {
        live.outbox.with(|outbox| {
            outbox
                .iter()
                .filter(|p| p.chat_id == chat_id)
                .cloned()
                .collect::<Vec<_>>()
        })
    });

    let scroll_to_bottom = move || {
        if let Some(list) = list.get_untracked() {
            list.set_scroll_top(list.scroll_height());
        }
        unseen_below.set(false);
    };

    // Created while the server's page is being hydrated (not on a later visit).
    let from_server = !super::hydrated();
    // Where the reader is: at the bottom (new messages follow), or near the
    // top (older ones load).
    let look = move || {
        let Some(element) = list.get_untracked() else {
            return;
        };
        let bottom =
            element.scroll_height() - element.scroll_top() - element.client_height() < BOTTOM_SLACK;
        at_bottom.set(bottom);
        if bottom {
            unseen_below.set(false);
        }
        if element.scroll_top() < 80 && conversation.has_older.get_untracked() {
            height_before_older.set_value(Some(element.scroll_height()));
            live.load_older();
        }
    };

    // After the messages change: keep the view still when older ones arrived on
    // top, stick to the bottom when it was there, otherwise offer the pill.
    Effect::new(move |previous: Option<(usize, Option<i64>)>| {
        let count = conversation.messages.with(Vec::len) + pending.with(Vec::len);
        let oldest = conversation.messages.with(|m| m.first().map(|m| m.seq));
        let grew_on_top =
            matches!(previous, Some((_, Some(before))) if oldest.is_some_and(|now| now < before));
        let grew = previous.is_none_or(|(before, _)| count > before);
        // Messages already there on the first run came in the server's page,
        // opened at the newest (see `LOCAL_TIMES`): the reader may have
        // scrolled since, so where they are is where they stay.
        let rendered_by_server = from_server && previous.is_none() && count > 0;
        request_animation_frame(move || {
            let Some(element) = list.get_untracked() else {
                return;
            };
            if rendered_by_server {
                look();
            } else if grew_on_top {
                if let Some(before) = height_before_older.get_value() {
                    element.set_scroll_top(element.scroll_height() - before + element.scroll_top());
                }
                height_before_older.set_value(None);
            } else if grew && at_bottom.get_untracked() {
                scroll_to_bottom();
            } else if grew {
                unseen_below.set(true);
            }
        });
        (count, oldest)
    });

    let on_scroll = move |_| look();
    // Older messages come over the socket: a reader who reached the top before
    // it was up (the server's page is readable before) gets them once it is.
    Effect::new(move |_| {
        if live.connection.get() == ConnectionState::Connected {
            look();
        }
    });

    let is_group = move || {
        conversation
            .chat
            .with(|c| c.as_ref().is_some_and(|c| c.kind == ChatKind::Group))
    };
    view! {
        <div class="messages" node_ref=list on:scroll=on_scroll role="log" aria-live="polite" aria-label="Messages" tabindex="0">
            {move || conversation.loading_older.get().then(|| view! { <p class="loading-older">"Loading earlier messages…"</p> })}
            {move || {
                let me = live.me.get().map(|me| me.id);
                let group = is_group();
                let members = conversation.chat.with(|c| c.as_ref().map(|c| c.members.clone()).unwrap_or_default());
                conversation.messages.get().into_iter().map(|message| {
                    if let Some(event) = &message.system {
                        let text = event.describe(me);
                        return view! {
                            <p class="system-line" data-testid="system-line" data-seq=message.seq>{text}</p>
                        }.into_any();
                    }
                    let mine = Some(message.sender_id) == me;
                    let sender = (group && !mine).then(|| {
                        members.iter().find(|m| m.id == message.sender_id).map(|m| m.display_name.clone()).unwrap_or_default()
                    });
                    view! { <Bubble message mine sender group members=members.clone()/> }.into_any()
                }).collect_view()
            }}
            {move || pending.get().into_iter().map(|pending| view! { <PendingBubble pending/> }).collect_view()}
        </div>
        {move || unseen_below.get().then(|| view! {
            <button class="new-messages-pill" on:click=move |_| scroll_to_bottom()>"New messages ↓"</button>
        })}
    }
}

#[component]
fn Bubble(
    message: Message,
    mine: bool,
    sender: Option<String>,
    group: bool,
    members: Vec<ChatMember>,
) -> impl IntoView {
    let live = expect_context::<Live>();
    let status = message.status;
    let seq = message.seq;
    let id = message.id;
    let deleted = message.is_deleted();
    let status_name = match status {
        MessageStatus::Sent => "sent",
        MessageStatus::Delivered => "delivered",
        MessageStatus::Seen => "seen",
    };
    let me = live.me.get_untracked().map(|me| me.id);
    // Who said it, for screen readers where no name shows ("You" for mine,
    // the person in a direct chat): "Mike: on my way, 16:11".
    let author = sender.is_none().then(|| {
        let author = names_of(&[message.sender_id], &members, me);
        view! { <span class="visually-hidden">{format!("{author}: ")}</span> }
    });
    let quote = message.reply_to.clone().map(|quote| {
        let who = quote
            .sender_id
            .map(|sender| names_of(&[sender], &members, me))
            .unwrap_or_default();
        let target = quote.message_id;
        let text = match quote.excerpt {
            _ if quote.unavailable => "Message unavailable".to_owned(),
            Some(excerpt) if !quote.deleted => excerpt,
            _ => "This message was deleted".to_owned(),
        };
        if quote.unavailable {
            // Nothing to show or jump to.
            return view! {
                <p class="quote unavailable" data-testid="quote">
                    <span class="quote-text">{text}</span>
                </p>
            }
            .into_any();
        }
        let label = format!("Show the original, by {who}: {text}");
        view! {
            <button type="button" class="quote" data-testid="quote"
                aria-label=label
                on:click=move |_| spawn_local(live.reveal(target))>
                <span class="quote-sender">{who}</span>
                <span class="quote-text">{text}</span>
            </button>
        }
        .into_any()
    });
    let actions = expect_context::<Actions>();
    let attachments = (!deleted && !message.attachments.is_empty()).then(|| {
        let on_open = Callback::new(move |id| actions.viewing.set(Some(id)));
        view! { <MessageAttachments attachments=message.attachments.clone() on_open/> }
    });
    let body = if deleted {
        view! { <span class="body deleted" data-testid="message-body">"This message was deleted"</span> }.into_any()
    } else if message.body.is_empty() {
        ().into_any()
    } else {
        let my_name = live.me.get_untracked().map(|me| me.username);
        let parts = crate::search::mention_parts(&message.body)
            .into_iter()
            .map(|(text, username)| match username {
                // Only members are mentioned: other @words stay words.
                Some(name) if members.iter().any(|m| m.username == name) => {
                    let mine = my_name.as_deref() == Some(name.as_str());
                    view! { <span class="mention" class:me=mine data-testid="mention">{text}</span> }.into_any()
                }
                _ => text.into_any(),
            })
            .collect_view();
        view! { <span class="body" data-testid="message-body">{parts}</span> }.into_any()
    };
    let edited = (message.edited_at.is_some() && !deleted)
        .then(|| view! { <span class="edited" data-testid="edited">"edited"</span> });
    let reactions = (!message.reactions.is_empty()).then(|| {
        let chips = message
            .reactions
            .clone()
            .into_iter()
            .map(|reaction| view! { <ReactionChip message=message.clone() reaction members=members.clone()/> })
            .collect_view();
        view! { <div class="reactions" role="group" aria-label="Reactions">{chips}</div> }
    });
    let on_context_menu = move |ev: leptos::ev::MouseEvent| {
        // A long press on a touch screen (or a right click): the message's menu.
        if !deleted {
            ev.prevent_default();
            actions.menu_for.set(Some(id));
        }
    };
    view! {
        <div class="bubble-row" class:mine=mine>
            <div class="bubble" data-testid="message" data-status=mine.then_some(status_name) data-seq=seq
                data-message-id=id.to_string() tabindex="-1" class:deleted=deleted
                class:highlighted=move || live.conversation.highlighted.get() == Some(id)
                on:contextmenu=on_context_menu>
                {sender.map(|name| view! { <span class="sender">{name}</span> })}
                {author}
                {quote}
                {attachments}
                {body}
                // Words apart for assistive technology and unstyled pages
                // ("Yes, 9 pm edited 21:00 Seen", never "pmedited21:00"): a
                // space between the parts, which the flex layout does not draw.
                " "
                <span class="meta">
                    {edited}
                    " "
                    {local_time(&message.created_at, false)}
                    " "
                    {mine.then(|| view! { <Ticks status=Signal::derive(move || Some(status))/> })}
                </span>
                {reactions}
            </div>
            {(!deleted).then(|| view! { <MessageMenu message mine group/> })}
        </div>
    }
}

/// One emoji under a bubble: how many, whether mine (pressed), who (on hover);
/// pressing it puts mine on or takes it back.
#[component]
fn ReactionChip(message: Message, reaction: Reaction, members: Vec<ChatMember>) -> impl IntoView {
    let live = expect_context::<Live>();
    let me = live.me.get_untracked().map(|me| me.id);
    let mine = me.is_some_and(|me| reaction.user_ids.contains(&me));
    let who = names_of(&reaction.user_ids, &members, me);
    let count = reaction.user_ids.len();
    let emoji = reaction.emoji.clone();
    let label = format!("{emoji} {count}: {who}");
    let shown = reaction.emoji.clone();
    let toggle = move |_| {
        let (message, emoji) = (message.clone(), emoji.clone());
        spawn_local(async move {
            if let Err(reason) = live.react(&message, &emoji, !mine).await {
                live.conversation.error.set(Some(reason));
            }
        });
    };
    view! {
        <button type="button" class="reaction" class:mine=mine aria-pressed=mine.to_string()
            data-testid="reaction" data-emoji=reaction.emoji.clone() title=who aria-label=label on:click=toggle>
            <span aria-hidden="true">{shown}</span>
            <span class="reaction-count" aria-hidden="true">{count}</span>
        </button>
    }
}

/// The "⋯" beside a bubble: Reply, React, Edit, Delete, Message info. Shown on
/// hover or focus, opened by click, long press or keyboard; Escape closes it
/// and gives focus back to the button.
#[component]
fn MessageMenu(message: Message, mine: bool, group: bool) -> impl IntoView {
    let live = expect_context::<Live>();
    let actions = expect_context::<Actions>();
    let id = message.id;
    let open = move || actions.menu_for.get() == Some(id);
    let picking = RwSignal::new(false);
    let more = RwSignal::new(false);
    let button = NodeRef::<html::Button>::new();
    let menu = NodeRef::<html::Div>::new();
    // Opened: focus goes to its first item, so the keyboard is in the menu.
    Effect::new(move |_| {
        if let Some(menu) = menu.get() {
            focus_first(&menu, "[role=menuitem]");
        }
    });
    let close = move || {
        actions.menu_for.set(None);
        picking.set(false);
        more.set(false);
        if let Some(button) = button.get_untracked() {
            let _ = button.focus();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.stop_propagation();
            close();
        }
    };
    let react = {
        let message = message.clone();
        move |emoji: &'static str| {
            let message = message.clone();
            close();
            spawn_local(async move {
                let mine = live.me.get_untracked().map(|me| me.id);
                let already = message
                    .reactions
                    .iter()
                    .any(|r| r.emoji == emoji && mine.is_some_and(|me| r.user_ids.contains(&me)));
                if let Err(reason) = live.react(&message, emoji, !already).await {
                    live.conversation.error.set(Some(reason));
                }
            });
        }
    };
    let emoji_button = move |emoji: &'static str| {
        let react = react.clone();
        view! {
            <button type="button" role="menuitem" class="emoji-choice" aria-label=format!("React {emoji}")
                on:click=move |_| react(emoji)>{emoji}</button>
        }
    };
    let reply = {
        let message = message.clone();
        move |_| {
            live.conversation.editing.set(None);
            live.conversation.replying_to.set(Some(message.clone()));
            actions.menu_for.set(None);
            focus_composer();
        }
    };
    let edit = {
        let message = message.clone();
        move |_| {
            live.conversation.replying_to.set(None);
            live.conversation.editing.set(Some(message.clone()));
            actions.menu_for.set(None);
        }
    };
    let delete = {
        let message = message.clone();
        move |_| {
            // Focus on ⋯ first: the dialog hands it back there when it closes.
            close();
            actions.confirm_delete.set(Some(message.clone()));
        }
    };
    let seq = message.seq;
    view! {
        <div class="message-menu" class:open=open on:keydown=on_keydown>
            <button type="button" class="menu-button" node_ref=button aria-label="Message actions"
                aria-haspopup="menu" aria-expanded=move || open().to_string()
                on:click=move |_| if open() { close() } else { actions.menu_for.set(Some(id)) }>
                <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
                    <circle cx="5" cy="12" r="2"/><circle cx="12" cy="12" r="2"/><circle cx="19" cy="12" r="2"/>
                </svg>
            </button>
            {move || open().then(|| {
                let emoji_button = emoji_button.clone();
                let (reply, edit, delete) = (reply.clone(), edit.clone(), delete.clone());
                // Near the top of the window it opens downwards: upwards it
                // would go under the conversation's header.
                let below = button
                    .get_untracked()
                    .is_some_and(|button| button.get_bounding_client_rect().top() < MENU_ROOM);
                view! {
                    <div class="menu" class:below=below role="menu" aria-label="Message actions" node_ref=menu>
                        {move || picking.get().then(|| {
                            let emoji_button = emoji_button.clone();
                            view! {
                                <div class="emoji-row" role="group" aria-label="React">
                                    {QUICK_EMOJI.into_iter().map(emoji_button.clone()).collect_view()}
                                    <button type="button" role="menuitem" class="emoji-more" aria-expanded=move || more.get().to_string()
                                        on:click=move |_| more.update(|more| *more = !*more)>"More…"</button>
                                </div>
                                {move || more.get().then(|| view! {
                                    <div class="emoji-grid" role="group" aria-label="More reactions">
                                        {MORE_EMOJI.into_iter().map(emoji_button.clone()).collect_view()}
                                    </div>
                                })}
                            }
                        })}
                        <button type="button" role="menuitem" on:click=reply>"Reply"</button>
                        <button type="button" role="menuitem" on:click=move |_| {
                            picking.set(true);
                            // The emoji row comes first in the menu: focus goes there.
                            request_animation_frame(move || {
                                if let Some(menu) = menu.get_untracked() {
                                    focus_first(&menu, ".emoji-choice");
                                }
                            });
                        }>"React"</button>
                        {mine.then(|| view! {
                            <button type="button" role="menuitem" on:click=edit.clone()>"Edit"</button>
                            <button type="button" role="menuitem" class="danger" on:click=delete.clone()>"Delete"</button>
                        })}
                        {(mine && group).then(|| view! {
                            <button type="button" role="menuitem"
                                on:click=move |_| { close(); actions.info_for.set(Some(seq)); }>"Message info"</button>
                        })}
                    </div>
                }
            })}
        </div>
    }
}

/// "Delete for everyone?": the one confirmation before text is gone for good,
/// a WebAssembly chunk of its own (see `widgets::loaded_later`).
#[leptos::wasm_split::wasm_split(
    confirm_delete_dialog,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(preload_confirm_delete_dialog)
)]
pub(super) fn confirm_delete_dialog(message: Message) -> Result<AnyView, NotLoaded> {
    Ok(built_alone(move || {
        view! { <ConfirmDelete message/> }.into_any()
    }))
}

#[component]
fn ConfirmDelete(message: Message) -> impl IntoView {
    let live = expect_context::<Live>();
    let actions = expect_context::<Actions>();
    let cancel = move || actions.confirm_delete.set(None);
    let confirm = move |_| {
        let message = message.clone();
        actions.confirm_delete.set(None);
        spawn_local(async move {
            if let Err(reason) = live.delete(&message).await {
                live.conversation.error.set(Some(reason));
            }
        });
    };
    view! {
        <Modal labelled_by="delete-title" described_by="delete-text" alert=true
            on_close=Callback::new(move |()| cancel())>
            <h2 id="delete-title">"Delete message?"</h2>
            <p id="delete-text">"It will be deleted for everyone in this chat."</p>
            <div class="dialog-actions">
                // First, so focus starts on the harmless choice.
                <button type="button" on:click=move |_| cancel()>"Cancel"</button>
                <button type="button" class="danger" on:click=confirm>"Delete for everyone"</button>
            </div>
        </Modal>
    }
}

/// Unsent text per chat, in the browser's local storage (this device only).
mod drafts {
    use crate::model::ChatId;

    fn key(chat_id: ChatId) -> String {
        format!("parley.draft.{chat_id}")
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    pub fn load(chat_id: ChatId) -> String {
        storage()
            .and_then(|storage| storage.get_item(&key(chat_id)).ok().flatten())
            .unwrap_or_default()
    }

    pub fn save(chat_id: ChatId, text: &str) {
        let Some(storage) = storage() else { return };
        let _ = if text.trim().is_empty() {
            storage.remove_item(&key(chat_id))
        } else {
            storage.set_item(&key(chat_id), text)
        };
    }
}

fn focus_composer() {
    if let Some(page) = document().document_element() {
        focus_first(&page, ".composer textarea");
    }
}

/// Moves focus to the first element under `root` that matches `selector`.
fn focus_first(root: &web_sys::Element, selector: &str) {
    if let Some(element) = root.query_selector(selector).ok().flatten()
        && let Some(element) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&element)
    {
        let _ = element.focus();
    }
}

#[component]
fn PendingBubble(pending: Outgoing) -> impl IntoView {
    let live = expect_context::<Live>();
    let client_id = pending.client_id.clone();
    view! {
        <div class="bubble-row mine">
            <div class="bubble pending" data-testid="message" data-status=if pending.failed { "failed" } else { "pending" }>
                {(!pending.attachments.is_empty()).then(|| view! {
                    <MessageAttachments attachments=pending.attachments.clone() on_open=Callback::new(|_| ())/>
                })}
                <span class="body" data-testid="message-body">{pending.body}</span>
                <span class="meta">
                    {if pending.failed {
                        view! {
                            <button class="retry-button" on:click=move |_| live.retry(client_id.clone())><Icon shape=IconShape::Warning/>" Retry"</button>
                        }.into_any()
                    } else {
                        view! { <Ticks status=Signal::derive(|| None)/> }.into_any()
                    }}
                </span>
            </div>
        </div>
    }
}

/// "Mike is typing…", "Mike and Sara are typing…", "3 people are typing…".
pub fn typing_sentence(names: &[String]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("{one} is typing…")),
        [one, two] => Some(format!("{one} and {two} are typing…")),
        many => Some(format!("{} people are typing…", many.len())),
    }
}

#[component]
fn TypingLine(chat_id: ChatId) -> impl IntoView {
    let live = expect_context::<Live>();
    let sentence = move || {
        let members = live
            .conversation
            .chat
            .with(|c| c.as_ref().map(|c| c.members.clone()).unwrap_or_default());
        let names: Vec<String> = live
            .typists(chat_id)
            .into_iter()
            .map(|t| {
                members
                    .iter()
                    .find(|m| m.id == t.user_id)
                    .map(|m| m.display_name.clone())
                    .unwrap_or(t.username)
            })
            .collect();
        typing_sentence(&names)
    };
    view! { <p class="typing-line" data-testid="typing" aria-live="polite">{sentence}</p> }
}

/// Who has received and seen a message, a WebAssembly chunk of its own (see
/// `widgets::loaded_later`).
#[leptos::wasm_split::wasm_split(
    message_info_dialog,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(preload_message_info_dialog)
)]
pub(super) fn message_info_dialog(seq: i64, on_close: Callback<()>) -> Result<AnyView, NotLoaded> {
    Ok(built_alone(move || {
        view! { <MessageInfo seq on_close=move || on_close.run(())/> }.into_any()
    }))
}

#[component]
fn MessageInfo(seq: i64, on_close: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let live = expect_context::<Live>();
    let rows = move || {
        let me = live.me.get().map(|me| me.id);
        let members = live
            .conversation
            .chat
            .with(|c| c.as_ref().map(|c| c.members.clone()).unwrap_or_default());
        let receipts = live.conversation.receipts.get();
        members
            .into_iter()
            .filter(|member| Some(member.id) != me)
            .map(|member| {
                let receipt = receipts.iter().find(|r| r.user_id == member.id).copied().unwrap_or(Receipt {
                    user_id: member.id,
                    delivered_seq: 0,
                    seen_seq: 0,
                });
                let (state, label) = match member_status(&receipt, seq) {
                    MessageStatus::Seen => ("seen", "Seen"),
                    MessageStatus::Delivered => ("delivered", "Delivered"),
                    MessageStatus::Sent => ("sent", "Not yet delivered"),
                };
                view! {
                    <li data-testid="receipt-row" data-user=member.username.clone() data-state=state>
                        <span class="receipt-name">{member.display_name.clone()}</span>
                        <span class=format!("receipt-state {state}")>{label}</span>
                    </li>
                }
            })
            .collect_view()
    };
    let close = Callback::new({
        let on_close = on_close.clone();
        move |()| on_close()
    });
    view! {
        <Modal labelled_by="info-title" on_close=close>
            <h2 id="info-title">"Message info"</h2>
            <ul class="receipt-list">{rows}</ul>
            <div class="dialog-actions">
                <button class="primary" on:click=move |_| on_close()>"Close"</button>
            </div>
        </Modal>
    }
}

#[component]
fn Composer(chat_id: ChatId) -> impl IntoView {
    let live = expect_context::<Live>();
    let conversation = live.conversation;
    // What was typed here and not sent survives a reload (or another chat).
    let draft = RwSignal::new(String::new());
    Effect::new(move |_| draft.set(drafts::load(chat_id)));
    Effect::new(move |first: Option<()>| {
        let text = draft.get();
        if first.is_some() && conversation.editing.with_untracked(Option::is_none) {
            drafts::save(chat_id, &text);
        }
    });
    let typing_sent_at = StoredValue::new(0.0_f64);
    let idle_timer = StoredValue::new(None::<TimeoutHandle>);
    let textarea = NodeRef::<html::Textarea>::new();
    let uploads = expect_context::<Uploads>();
    let file_input = NodeRef::<html::Input>::new();
    // Send was pressed while files were still going up: send once they are.
    let send_when_ready = RwSignal::new(false);

    // Editing starts: the message's text in the composer, focus in it.
    Effect::new(move |_| {
        if let Some(message) = conversation.editing.get() {
            draft.set(message.body.clone());
            if let Some(textarea) = textarea.get_untracked() {
                let _ = textarea.focus();
            }
        }
    });

    // `@` + the start of a member's name: a list to pick them from.
    let caret = RwSignal::new(0_usize);
    let picker_closed = RwSignal::new(false);
    let active = RwSignal::new(0_usize);
    let suggestions = Memo::new(move |_| {
        if picker_closed.get() {
            return Vec::new();
        }
        let (me, members) = (
            live.me.with(|me| me.as_ref().map(|me| me.id)),
            conversation.chat.with(|chat| match chat {
                Some(chat) if chat.kind == ChatKind::Group => chat.members.clone(),
                _ => Vec::new(),
            }),
        );
        draft.with(|text| {
            let Some((_, partial)) = crate::search::mention_at(text, caret.get()) else {
                return Vec::new();
            };
            let partial = crate::search::fold(partial);
            members
                .into_iter()
                .filter(|member| Some(member.id) != me)
                .filter(|member| {
                    member.username.starts_with(&partial)
                        || crate::search::fold(&member.display_name).starts_with(&partial)
                })
                .take(6)
                .collect::<Vec<_>>()
        })
    });
    let track_caret = move || {
        if let Some(textarea) = textarea.get_untracked() {
            let at = textarea.selection_start().ok().flatten().unwrap_or(0) as usize;
            // The browser counts UTF-16 units; the text is indexed in bytes.
            let text = textarea.value();
            let bytes = text
                .char_indices()
                .scan(0, |units, (index, c)| {
                    let here = *units;
                    *units += c.len_utf16();
                    Some((here, index))
                })
                .find(|(units, _)| *units >= at)
                .map_or(text.len(), |(_, index)| index);
            caret.set(bytes);
        }
    };
    let pick = move |username: String| {
        let text = draft.get_untracked();
        let Some((at, _)) = crate::search::mention_at(&text, caret.get_untracked()) else {
            return;
        };
        let end = caret.get_untracked();
        let inserted = format!("@{username} ");
        let new_text = format!("{}{inserted}{}", &text[..at], &text[end..]);
        let new_caret = at + inserted.len();
        draft.set(new_text.clone());
        caret.set(new_caret);
        active.set(0);
        // At once, not on the next frame: keys typed right after the pick
        // (fast typists, a busy machine) must land after the name, not be
        // overwritten by it.
        if let Some(textarea) = textarea.get_untracked() {
            textarea.set_value(&new_text);
            let units = new_text[..new_caret].encode_utf16().count() as u32;
            let _ = textarea.set_selection_range(units, units);
            let _ = textarea.focus();
        }
    };
    let stop_typing = move || {
        if let Some(timer) = idle_timer.try_update_value(Option::take).flatten() {
            timer.clear();
        }
        if typing_sent_at.get_value() > 0.0 {
            typing_sent_at.set_value(0.0);
            live.typing(chat_id, false);
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        draft.set(event_target_value(&ev));
        track_caret();
        picker_closed.set(false);
        active.set(0);
        if conversation.editing.get_untracked().is_some() {
            return;
        }
        let now = crate::live::now_ms();
        if now - typing_sent_at.get_value() > TYPING_REPEAT_MS {
            typing_sent_at.set_value(now);
            live.typing(chat_id, true);
        }
        if let Some(timer) = idle_timer.try_update_value(Option::take).flatten() {
            timer.clear();
        }
        let timer = set_timeout_with_handle(stop_typing, TYPING_IDLE).ok();
        idle_timer.set_value(timer);
    };
    let cancel_edit = move || {
        conversation.editing.set(None);
        draft.set(drafts::load(chat_id));
    };
    let save_edit = move |message: Message, text: String| {
        spawn_local(async move {
            match live.edit(&message, text).await {
                Ok(()) => cancel_edit(),
                Err(reason) => conversation.error.set(Some(reason)),
            }
        });
    };
    let send = move || {
        let text = draft.get_untracked();
        if let Some(message) = conversation.editing.get_untracked() {
            if !text.trim().is_empty() {
                conversation.error.set(None);
                save_edit(message, text);
            }
            return;
        }
        if uploads.busy_untracked() {
            send_when_ready.set(true);
            return;
        }
        if text.trim().is_empty() && !uploads.any_done_untracked() {
            return;
        }
        conversation.error.set(None);
        let attachments = uploads.take_done();
        draft.set(String::new());
        stop_typing();
        let reply_to = conversation
            .replying_to
            .try_update(Option::take)
            .flatten()
            .map(|m| m.id);
        spawn_local(async move {
            let sent = live
                .send(chat_id, text.clone(), reply_to, attachments.clone())
                .await;
            if let Err(reason) = sent {
                // Refused: say why and give the text and files back.
                conversation.error.set(Some(reason));
                if draft.get_untracked().is_empty() {
                    draft.set(text);
                }
                uploads.put_back(attachments);
            }
        });
    };
    Effect::new(move |_| {
        if send_when_ready.get() && !uploads.busy() {
            send_when_ready.set(false);
            send();
        }
    });
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        let files = ev.clipboard_data().and_then(|data| data.files());
        if files.as_ref().is_some_and(|files| files.length() > 0) {
            ev.prevent_default();
            uploads.add_all(chat_id, files);
        }
    };
    let on_files_picked = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        uploads.add_all(chat_id, input.files());
        // The same file can be picked again.
        input.set_value("");
        focus_composer();
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let options = suggestions.get_untracked();
        if !options.is_empty() && !ev.is_composing() {
            let count = options.len();
            match ev.key().as_str() {
                "ArrowDown" => {
                    ev.prevent_default();
                    active.update(|at| *at = (*at + 1) % count);
                    return;
                }
                "ArrowUp" => {
                    ev.prevent_default();
                    active.update(|at| *at = (*at + count - 1) % count);
                    return;
                }
                "Enter" | "Tab" => {
                    ev.prevent_default();
                    let chosen = options[active.get_untracked().min(count - 1)]
                        .username
                        .clone();
                    pick(chosen);
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    picker_closed.set(true);
                    return;
                }
                _ => {}
            }
        }
        match ev.key().as_str() {
            "Enter" if !ev.shift_key() && !ev.is_composing() => {
                ev.prevent_default();
                send();
            }
            "Escape" if conversation.editing.get_untracked().is_some() => cancel_edit(),
            "Escape" => conversation.replying_to.set(None),
            // Up in an empty composer: edit my last message.
            "ArrowUp" if draft.with_untracked(String::is_empty) => {
                let me = live.me.get_untracked().map(|me| me.id);
                let last = conversation.messages.with_untracked(|messages| {
                    messages
                        .iter()
                        .rev()
                        .find(|m| Some(m.sender_id) == me && !m.is_deleted() && m.system.is_none())
                        .cloned()
                });
                if let Some(last) = last {
                    ev.prevent_default();
                    conversation.replying_to.set(None);
                    conversation.editing.set(Some(last));
                }
            }
            _ => {}
        }
    };
    let strip = move || {
        if conversation.editing.with(Option::is_some) {
            return Some(
                view! {
                    <div class="composer-strip" data-testid="editing">
                        <span class="strip-title">"Editing message"</span>
                        <button type="button" class="strip-close" aria-label="Cancel editing"
                            on:click=move |_| cancel_edit()><Icon shape=IconShape::Close/></button>
                    </div>
                }
                .into_any(),
            );
        }
        let message = conversation.replying_to.get()?;
        let me = live.me.get_untracked().map(|me| me.id);
        let members = conversation
            .chat
            .with(|c| c.as_ref().map(|c| c.members.clone()).unwrap_or_default());
        let who = names_of(&[message.sender_id], &members, me);
        Some(
            view! {
                <div class="composer-strip" data-testid="replying-to">
                    <span class="strip-title">{format!("Replying to {who}")}</span>
                    <span class="strip-text">{message.body.clone()}</span>
                    <button type="button" class="strip-close" aria-label="Cancel reply"
                        on:click=move |_| conversation.replying_to.set(None)><Icon shape=IconShape::Close/></button>
                </div>
            }
            .into_any(),
        )
    };
    view! {
        {strip}
        <UploadTray uploads/>
        {move || send_when_ready.get().then(|| view! {
            <p class="upload-wait" role="status">"Sending when the uploads finish…"</p>
        })}
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
            <button type="button" class="attach-button" aria-label="Attach photos or files"
                disabled=move || conversation.editing.with(Option::is_some)
                on:click=move |_| {
                    if let Some(input) = file_input.get_untracked() {
                        input.click();
                    }
                }><Icon shape=IconShape::Paperclip/></button>
            <input type="file" multiple class="visually-hidden" tabindex="-1" aria-hidden="true"
                data-testid="file-input" node_ref=file_input on:change=on_files_picked/>
            {move || {
                let options = suggestions.get();
                (!options.is_empty()).then(|| view! {
                    <ul class="mention-picker" role="listbox" id="mention-picker" aria-label="Mention someone">
                        {options.into_iter().enumerate().map(|(index, member)| {
                            let username = member.username.clone();
                            view! {
                                <li role="option" id=format!("mention-option-{index}")
                                    aria-selected=move || (active.get() == index).to_string()
                                    class:active=move || active.get() == index
                                    on:mousedown=move |ev| { ev.prevent_default(); pick(username.clone()); }>
                                    <span class="member-name">{member.display_name.clone()}</span>
                                    <span class="hint">"@"{member.username.clone()}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
            <textarea
                rows="1"
                placeholder="Type a message"
                aria-label="Message"
                aria-autocomplete="list"
                aria-controls=move || (!suggestions.with(Vec::is_empty)).then_some("mention-picker")
                aria-activedescendant=move || (!suggestions.with(Vec::is_empty)).then(|| format!("mention-option-{}", active.get()))
                node_ref=textarea
                prop:value=move || draft.get()
                on:input=on_input
                on:paste=on_paste
                on:keydown=on_keydown
                on:keyup=move |_| track_caret()
                on:click=move |_| track_caret()
            ></textarea>
            <button type="submit" class="primary send-button"
                aria-label=move || if conversation.editing.with(Option::is_some) { "Save" } else { "Send" }
                disabled=move || draft.with(|d| d.trim().is_empty()) && !uploads.any_done() && !uploads.busy()>
                {move || if conversation.editing.with(Option::is_some) { "Save" } else { "Send" }}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::typing_sentence;

    #[test]
    fn the_typing_line_reads_naturally() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(typing_sentence(&[]), None);
        assert_eq!(
            typing_sentence(&names(&["Mike"])).unwrap(),
            "Mike is typing…"
        );
        assert_eq!(
            typing_sentence(&names(&["Mike", "Sara"])).unwrap(),
            "Mike and Sara are typing…"
        );
        assert_eq!(
            typing_sentence(&names(&["A", "B", "C"])).unwrap(),
            "3 people are typing…"
        );
    }
}
