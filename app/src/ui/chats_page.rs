//! `/` and `/chats/:id`: the chat list beside the open conversation (on a phone,
//! one or the other).

use super::navigation::{Location, Route, chat_in, redirect};
use super::{
    conversation::conversation_pane,
    page_data::signed_in,
    widgets::{
        Avatar, Fetch, Icon, IconShape, Ticks, drawn_in_place, fetch_again, loaded_later,
        local_time,
    },
};
use crate::live::Live;
use crate::{
    client::ConnectionState,
    model::{ChatId, ChatKind, ChatSummary, Message, User},
    protocol::{ChatPage, RoomJoined, UpdateChatPrefs},
};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

#[component]
pub fn ChatListPage() -> impl IntoView {
    // Moving between `/` and `/chats/:id` renders this page anew; once the
    // page runs, who is signed in is already known, not asked of the server
    // (which would show "Loading…" for a round trip on every click).
    let viewer = signed_in();
    // The list and the open chat come in the first HTML: readable before (or
    // without) the WebAssembly, and the hydrated page starts from them. Once
    // the page runs, the socket brings both: no second trip.
    //
    // So the browser never calls `first_chats` or `first_conversation`: during
    // hydration a resource takes the server's value, and a page built later
    // (after the first render) starts empty. Leaving the calls out of the
    // browser build leaves out their second (`from_slice`) deserializer of
    // every chat and message type.
    let chats = Resource::new(
        || (),
        |_| async {
            #[cfg(feature = "ssr")]
            return super::page_data::first_chats().await;
            #[cfg(not(feature = "ssr"))]
            Ok::<_, ServerFnError>(ChatPage::default())
        },
    );
    #[cfg(feature = "ssr")]
    let opening = Location::current()
        .path
        .with_untracked(|path| chat_in(path));
    let opened = Resource::new(
        || (),
        move |_| async move {
            #[cfg(feature = "ssr")]
            if let Some(chat_id) = opening {
                return super::page_data::first_conversation(chat_id).await;
            }
            Ok::<_, ServerFnError>(None)
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let first = chats.await.unwrap_or_default();
                let opened = opened.await.ok().flatten();
                match viewer.await {
                    Ok(Some(user)) => view! { <Chats user first opened/> }.into_any(),
                    _ => {
                        redirect("/login");
                        ().into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Chats(user: User, first: ChatPage, opened: Option<RoomJoined>) -> impl IntoView {
    let live = expect_context::<Live>();
    // Before the socket has said anything, the rows the server rendered
    // (titled as this person sees them: the other one's name).
    if live.me.with_untracked(Option::is_none) {
        live.me.set(Some(user.clone()));
    }
    if live.chats.with_untracked(Vec::is_empty) {
        live.chats.set(first.chats);
        live.chats_more.set(first.next);
    }
    if let Some(opened) = opened {
        live.seed_conversation(opened);
    }
    // `App` draws this page anew between `/` and a chat: it opens a chat only
    // if it was drawn for one (not the moment before it gives way to the
    // page that is), and follows the address from chat to chat.
    let location = Location::current();
    let for_a_chat = location
        .path
        .with_untracked(|path| Route::of(path) == Route::Chat);
    let open = Memo::new(move |_| {
        for_a_chat
            .then(|| location.path.with(|path| chat_in(path)))
            .flatten()
    });
    {
        let user = user.clone();
        Effect::new(move |_| live.start(user.clone()));
    }
    Effect::new(|_| super::preload_chunks_when_idle());
    // The conversation's code is a chunk of its own: a chat counts as shown
    // (joined, its messages seen) once its pane is drawn, not while that
    // chunk is still on its way.
    let conversation_drawn = RwSignal::new(false);
    Effect::new(move |_| live.show_chat(open.get().filter(|_| conversation_drawn.get())));
    // A notification's click opens its chat here, within the page.
    Effect::new(move |_| {
        crate::live::notify::set_opener(move |chat| location.navigate(&format!("/chats/{chat}")))
    });
    Effect::new(move |_| crate::live::notify::show_unread(live.total_unread()));
    let title = move || match live.total_unread() {
        0 => "Parley".to_owned(),
        unread => format!("({unread}) Parley"),
    };
    // The server reads a page's title after drawing it, outside the page's
    // reactive owner (leptos_meta, then leptos_axum), where reading a signal
    // of the page panics as soon as another page is being drawn at the same
    // time (seen at 4 pages at once). There it is the text as it stands now;
    // in the browser it stays live.
    #[cfg(feature = "ssr")]
    let title = {
        let now = title();
        move || now.clone()
    };
    let show_dialog = RwSignal::new(false);
    let search = RwSignal::new(String::new());
    // The conversation's code (a chunk of its own), if opened before it came.
    let conversation_fetch = RwSignal::new(Fetch::default());

    view! {
        <Title text=title/>
        <div class="chats" data-open=move || open.get().is_some().to_string()>
            <aside class="list-pane" aria-label="Chats">
                <header class="bar">
                    <a class="account-link" href="/account" aria-label="Settings" title="Settings">
                        <Avatar name=user.display_name.clone() photo=user.photo_url.clone()/>
                    </a>
                    <div class="me">
                        <span class="me-name" data-testid="me-name">{user.display_name.clone()}</span>
                        <span class="me-username">"@"{user.username.clone()}</span>
                    </div>
                    <button class="icon-button" on:click=move |_| show_dialog.set(true) aria-label="New chat" title="New chat">
                        <Icon shape=IconShape::Plus/>
                    </button>
                    {user.admin.then(|| view! {
                        // A full load: the Admin page's data comes with it.
                        <a class="link-button admin-link" href="/admin" target="_self">"Admin"</a>
                    })}
                    <form method="post" action="/logout" class="sign-out">
                        <button type="submit" class="link-button">"Sign out"</button>
                    </form>

                </header>
                <ConnectionBanner/>
                <super::notify::NotificationPrompt/>
                {move || live.list_error.get().map(|text| view! {
                    <p class="conversation-error" role="alert">{text}</p>
                })}
                <super::search_panel::SearchPanel query=search/>
                <Show when=move || search.with(|q| q.trim().chars().count() < 2)>
                    <ChatRows open/>
                </Show>
            </aside>
            <section class="conversation-pane">
                {move || match open.get() {
                    Some(chat_id) => match drawn_in_place(
                        conversation_pane(chat_id),
                        super::conversation::preload_conversation_pane,
                        conversation_fetch,
                    ) {
                        Some(Ok(pane)) => {
                            conversation_drawn.set(true);
                            pane
                        }
                        Some(Err(_)) => view! {
                            <div class="empty-state">
                                {fetch_again("chat", "conversation-error", conversation_fetch)}
                            </div>
                        }.into_any(),
                        None => ().into_any(),
                    },
                    None => view! {
                        <div class="empty-state wide-only">
                            <p class="empty-title">"Pick a chat"</p>
                            <p>"Choose a conversation on the left, or start a new one with +."</p>
                        </div>
                    }.into_any(),
                }}
            </section>
            <Show when=move || show_dialog.get()>
                {
                    let close = Callback::new(move |()| show_dialog.set(false));
                    loaded_later(move || super::new_chat::new_chat_dialog(close), close)
                }
            </Show>
        </div>
    }
}

/// "Connecting…" / "Reconnecting…" while the socket is down.
#[component]
fn ConnectionBanner() -> impl IntoView {
    let live = expect_context::<Live>();
    move || {
        let text = match live.connection.get() {
            ConnectionState::Connected => return None,
            ConnectionState::Connecting => "Connecting…",
            ConnectionState::Reconnecting => "Reconnecting…",
        };
        Some(
            view! { <p class="connection-banner" role="status" data-testid="connection">{text}</p> },
        )
    }
}

#[component]
fn ChatRows(open: Memo<Option<ChatId>>) -> impl IntoView {
    let live = expect_context::<Live>();
    let show_archived = RwSignal::new(false);
    let row_menu = RwSignal::new(None::<ChatId>);
    provide_context(RowMenu(row_menu));
    let rows = move |archived: bool| {
        live.chats
            .get()
            .into_iter()
            .filter(|summary| summary.archived == archived)
            .map(|summary| view! { <ChatRow summary open/> })
            .collect_view()
    };
    let archived_count = move || {
        live.chats
            .with(|chats| chats.iter().filter(|s| s.archived).count())
    };
    view! {
        <Show
            when=move || !live.chats.with(Vec::is_empty)
            fallback=move || view! {
                <div class="empty-state">
                    <p class="empty-title">"No chats yet"</p>
                    <p>"Start a conversation with the + button: pick someone by their username, or make a group."</p>
                </div>
            }
        >
            // A page of the list is short: every change redraws it whole.
            // Scrolled near its end, the list loads its next page (the
            // button does the same, by keyboard too).
            <ul class="chat-rows" aria-label="Chats" data-testid="chat-rows-main"
                on:scroll=move |ev| if near_the_end(&ev) { live.more_chats() }>
                {move || rows(false)}
                {move || live.chats_more.with(Option::is_some).then(|| view! {
                    <li class="more-chats">
                        <button type="button" class="link-button" data-testid="more-chats"
                            aria-busy=move || live.loading_chats.get().to_string()
                            on:click=move |_| live.more_chats()>
                            {move || if live.loading_chats.get() { "Loading more chats…" } else { "Show more chats" }}
                        </button>
                    </li>
                })}
            </ul>
            {move || (archived_count() > 0).then(|| view! {
                <button type="button" class="archived-toggle" data-testid="archived-toggle"
                    aria-expanded=move || show_archived.get().to_string()
                    on:click=move |_| show_archived.update(|shown| *shown = !*shown)>
                    {move || format!("Archived ({})", archived_count())}
                </button>
                {move || show_archived.get().then(|| view! {
                    <ul class="chat-rows archived" aria-label="Archived chats" data-testid="archived-rows">
                        {move || rows(true)}
                    </ul>
                })}
            })}
        </Show>
    }
}

/// Whether a scrolled list is within a few rows of its end.
fn near_the_end(ev: &leptos::ev::Event) -> bool {
    use wasm_bindgen::JsCast;
    ev.target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|list| {
            let left = list.scroll_height() - list.scroll_top() - list.client_height();
            left < 4 * 72
        })
}

/// The chat row whose menu is open (one at a time).
#[derive(Clone, Copy)]
struct RowMenu(RwSignal<Option<ChatId>>);

#[component]
fn ChatRow(summary: ChatSummary, open: Memo<Option<ChatId>>) -> impl IntoView {
    let live = expect_context::<Live>();
    let me = live.me.get_untracked();
    let title = summary.chat.title(me.as_ref());
    let photo = (summary.chat.photo(me.as_ref().map(|me| me.id))).map(str::to_owned);
    let chat_id = summary.chat.id;
    let online = summary.chat.kind == ChatKind::Direct
        && summary
            .chat
            .other_member(me.as_ref())
            .is_some_and(|other| other.online);
    let last = summary.last_message.clone();
    let mine = last
        .as_ref()
        .is_some_and(|m| Some(m.sender_id) == me.as_ref().map(|me| me.id));
    let preview = match &last {
        Some(message) if message.is_deleted() => "This message was deleted".to_owned(),
        Some(Message {
            system: Some(event),
            ..
        }) => event.describe(me.as_ref().map(|me| me.id)),
        Some(message) => crate::media::preview(&message.body, &message.attachments),
        None => "No messages yet".to_owned(),
    };
    let time = last.as_ref().map(|m| local_time(&m.created_at, false));
    let status = last.as_ref().map(|m| m.status);
    let unread = summary.unread_count;
    let badge = match (unread, summary.marked_unread) {
        (0, false) => None,
        (0, true) => Some((String::new(), "marked unread".to_owned())),
        (count, _) => Some((count.to_string(), format!("{count} unread"))),
    };
    let typing = move || !live.typists(chat_id).is_empty();
    let (muted, pinned) = (summary.muted, summary.pinned);
    view! {
        <li class="chat-row-item">
            <a
                href=format!("/chats/{chat_id}")
                class="chat-row"
                class:active=move || open.get() == Some(chat_id)
                class:muted=muted
                data-testid="chat-row"
                data-pinned=pinned.to_string()
            >
                <span class="avatar-wrap">
                    <Avatar name=title.clone() photo/>
                    {online.then(|| view! { <span class="online-dot" aria-label="online"></span> })}
                </span>
                // Spaces between the parts (the flex layout does not draw
                // them): the row reads "Mike 14:57 Seen are you there? 1
                // unread", styled or not, never "Mike14:57".
                " "
                <span class="row-main">
                    <span class="row-top">
                        <span class="row-title">{title.clone()}</span>
                        " "
                        {pinned.then(|| view! { <span class="row-flag" title="Pinned"><Icon shape=IconShape::Pin/><span class="visually-hidden">"pinned"</span></span> })}
                        {muted.then(|| view! { <span class="row-flag" title="Muted"><Icon shape=IconShape::Muted/><span class="visually-hidden">"muted"</span></span> })}
                        " "
                        <span class="row-time">{time}</span>
                    </span>
                    " "
                    <span class="row-bottom">
                        <span class="row-preview">
                            {move || if typing() {
                                view! { <em class="typing-hint">"typing…"</em> }.into_any()
                            } else {
                                view! {
                                    {mine.then(|| view! { <Ticks status=Signal::derive(move || status)/> })}
                                    " "
                                    <span>{preview.clone()}</span>
                                }.into_any()
                            }}
                        </span>
                        " "
                        {(summary.mention_count > 0).then(|| view! {
                            <span class="mention-badge" aria-label="you were mentioned" data-testid="mention-badge">"@"</span>
                        })}
                        {badge.map(|(text, label)| {
                            let dot = text.is_empty();
                            view! {
                                <span class="unread-badge" class:dot=dot aria-label=label data-testid="unread-badge">{text}</span>
                            }
                        })}
                    </span>
                </span>
            </a>
            <ChatRowMenu summary title/>
        </li>
    }
}

/// A row's ⋯ menu: pin, mute, archive, mark unread (each undone the same way).
#[component]
fn ChatRowMenu(summary: ChatSummary, title: String) -> impl IntoView {
    let live = expect_context::<Live>();
    let RowMenu(row_menu) = expect_context::<RowMenu>();
    let chat_id = summary.chat.id;
    let is_open = move || row_menu.get() == Some(chat_id);
    let button = NodeRef::<leptos::html::Button>::new();
    let close = move || {
        row_menu.set(None);
        if let Some(button) = button.get_untracked() {
            let _ = button.focus();
        }
    };
    let choose = move |change: UpdateChatPrefs| {
        close();
        spawn_local(async move {
            if let Err(reason) = live.set_prefs(change).await {
                live.list_error.set(Some(reason));
            }
        });
    };
    let prefs = UpdateChatPrefs::of(chat_id);
    let items = [
        (
            if summary.pinned { "Unpin" } else { "Pin" },
            UpdateChatPrefs {
                pinned: Some(!summary.pinned),
                ..prefs
            },
        ),
        (
            if summary.muted { "Unmute" } else { "Mute" },
            UpdateChatPrefs {
                muted: Some(!summary.muted),
                ..prefs
            },
        ),
        (
            if summary.archived {
                "Unarchive"
            } else {
                "Archive"
            },
            UpdateChatPrefs {
                archived: Some(!summary.archived),
                ..prefs
            },
        ),
        (
            if summary.marked_unread || summary.unread_count > 0 {
                "Mark as read"
            } else {
                "Mark as unread"
            },
            UpdateChatPrefs {
                marked_unread: Some(!(summary.marked_unread || summary.unread_count > 0)),
                ..prefs
            },
        ),
    ];
    let menu = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(menu) = menu.get()
            && let Some(first) = menu.query_selector("[role=menuitem]").ok().flatten()
            && let Some(first) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&first)
        {
            let _ = first.focus();
        }
    });
    view! {
        <div class="row-menu" class:open=is_open
            on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { ev.stop_propagation(); close() }>
            <button type="button" class="menu-button" node_ref=button
                aria-label=format!("Options for {title}") aria-haspopup="menu"
                aria-expanded=move || is_open().to_string() data-testid="row-menu"
                on:click=move |_| if is_open() { close() } else { row_menu.set(Some(chat_id)) }>
                <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
                    <circle cx="5" cy="12" r="2"/><circle cx="12" cy="12" r="2"/><circle cx="19" cy="12" r="2"/>
                </svg>
            </button>
            {move || is_open().then(|| view! {
                <div class="menu" role="menu" aria-label=format!("Options for {title}") node_ref=menu>
                    {items.iter().map(|(label, change)| {
                        let change = *change;
                        view! {
                            <button type="button" role="menuitem" on:click=move |_| choose(change)>{*label}</button>
                        }
                    }).collect_view()}
                </div>
            })}
        </div>
    }
}
