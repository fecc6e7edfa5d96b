//! `/` and `/chats/:id`: the chat list beside the open conversation (on a phone,
//! one or the other).

use super::{
    conversation::ConversationPane,
    live::Live,
    new_chat::NewChatDialog,
    session::current_user,
    widgets::{Avatar, Icon, IconShape, Ticks, clock_time},
};
use crate::{
    client::ConnectionState,
    model::{ChatId, ChatKind, ChatSummary, User},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Redirect, hooks::use_params_map};

#[component]
pub fn ChatListPage() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(user)) => view! { <Chats user/> }.into_any(),
                    _ => view! { <Redirect path="/login"/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The first member who is not `me`: in a direct chat, the other person.
pub fn other_member<'a>(chat: &'a crate::model::Chat, me: Option<&User>) -> Option<&'a User> {
    chat.members
        .iter()
        .find(|member| Some(member.id) != me.map(|me| me.id))
        .map(|member| &member.user)
}

/// The name a chat goes by for `me`: the group's, or the other person's.
pub fn chat_title(chat: &crate::model::Chat, me: Option<&User>) -> String {
    match (&chat.kind, &chat.name) {
        (ChatKind::Group, Some(name)) => name.clone(),
        _ => other_member(chat, me)
            .or(chat.members.first().map(|member| &member.user))
            .map(|member| member.display_name.clone())
            .unwrap_or_default(),
    }
}

#[component]
fn Chats(user: User) -> impl IntoView {
    let live = expect_context::<Live>();
    let params = use_params_map();
    let open = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<ChatId>().ok())
    });
    {
        let user = user.clone();
        Effect::new(move |_| live.start(user.clone()));
    }
    Effect::new(move |_| live.show_chat(open.get()));
    let title = move || match live.total_unread() {
        0 => "Parley".to_owned(),
        unread => format!("({unread}) Parley"),
    };
    let show_dialog = RwSignal::new(false);

    view! {
        <Title text=title/>
        <div class="chats" data-open=move || open.get().is_some().to_string()>
            <aside class="list-pane" aria-label="Chats">
                <header class="bar">
                    <a class="account-link" href="/account" aria-label="Account" title="Account">
                        <Avatar name=user.display_name.clone()/>
                    </a>
                    <div class="me">
                        <span class="me-name" data-testid="me-name">{user.display_name.clone()}</span>
                        <span class="me-username">"@"{user.username.clone()}</span>
                    </div>
                    <button class="icon-button" on:click=move |_| show_dialog.set(true) aria-label="New chat" title="New chat">
                        <Icon shape=IconShape::Plus/>
                    </button>
                    <form method="post" action="/logout" class="sign-out">
                        <button type="submit" class="link-button">"Sign out"</button>
                    </form>

                </header>
                <ConnectionBanner/>
                <ChatRows open/>
            </aside>
            <section class="conversation-pane">
                {move || match open.get() {
                    Some(chat_id) => view! { <ConversationPane chat_id/> }.into_any(),
                    None => view! {
                        <div class="empty-state wide-only">
                            <p class="empty-title">"Pick a chat"</p>
                            <p>"Choose a conversation on the left, or start a new one with +."</p>
                        </div>
                    }.into_any(),
                }}
            </section>
            <Show when=move || show_dialog.get()>
                <NewChatDialog on_close=move || show_dialog.set(false)/>
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
            // A chat list is short: every change redraws it whole.
            <ul class="chat-rows">
                {move || live.chats.get().into_iter().map(|summary| view! { <ChatRow summary open/> }).collect_view()}
            </ul>
        </Show>
    }
}

#[component]
fn ChatRow(summary: ChatSummary, open: Memo<Option<ChatId>>) -> impl IntoView {
    let live = expect_context::<Live>();
    let me = live.me.get_untracked();
    let title = chat_title(&summary.chat, me.as_ref());
    let chat_id = summary.chat.id;
    let online = summary.chat.kind == ChatKind::Direct
        && other_member(&summary.chat, me.as_ref()).is_some_and(|other| other.online);
    let last = summary.last_message.clone();
    let mine = last
        .as_ref()
        .is_some_and(|m| Some(m.sender_id) == me.as_ref().map(|me| me.id));
    let preview = match &last {
        Some(message) if message.is_deleted() => "This message was deleted".to_owned(),
        Some(message) => message.body.clone(),
        None => "No messages yet".to_owned(),
    };
    let time = last
        .as_ref()
        .map(|m| clock_time(&m.created_at))
        .unwrap_or_default();
    let status = last.as_ref().map(|m| m.status);
    let unread = summary.unread_count;
    let typing = move || !live.typists(chat_id).is_empty();
    view! {
        <li>
            <a
                href=format!("/chats/{chat_id}")
                class="chat-row"
                class:active=move || open.get() == Some(chat_id)
                data-testid="chat-row"
            >
                <span class="avatar-wrap">
                    <Avatar name=title.clone()/>
                    {online.then(|| view! { <span class="online-dot" aria-label="online"></span> })}
                </span>
                <span class="row-main">
                    <span class="row-top">
                        <span class="row-title">{title.clone()}</span>
                        <span class="row-time">{time}</span>
                    </span>
                    <span class="row-bottom">
                        <span class="row-preview">
                            {move || if typing() {
                                view! { <em class="typing-hint">"typing…"</em> }.into_any()
                            } else {
                                view! {
                                    {mine.then(|| view! { <Ticks status=Signal::derive(move || status)/> })}
                                    <span>{preview.clone()}</span>
                                }.into_any()
                            }}
                        </span>
                        {(unread > 0).then(|| view! {
                            <span class="unread-badge" aria-label=format!("{unread} unread")>{unread}</span>
                        })}
                    </span>
                </span>
            </a>
        </li>
    }
}
