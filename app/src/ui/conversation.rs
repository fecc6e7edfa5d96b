//! The open conversation: header, messages with their ticks, the typing line,
//! message info, and the composer.

use super::{
    chat_list::{chat_title, other_member},
    live::{Live, Pending},
    widgets::{Avatar, Ticks, clock_time, day_and_time},
};
use crate::{
    model::{ChatId, ChatKind, Message, MessageStatus, Receipt, User},
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

#[component]
pub fn ConversationPane(chat_id: ChatId) -> impl IntoView {
    let live = expect_context::<Live>();
    let conversation = live.conversation;
    let info_for = RwSignal::new(None::<i64>);
    view! {
        <div class="conversation" data-testid="conversation">
            <ConversationHeader chat_id/>
            {move || conversation.error.get().map(|text| view! {
                <p class="conversation-error" role="alert" data-testid="send-error">{text}</p>
            })}
            <MessageList chat_id info_for/>
            <TypingLine chat_id/>
            <Composer chat_id/>
            {move || info_for.get().map(|seq| view! { <MessageInfo seq on_close=move || info_for.set(None)/> })}
        </div>
    }
}

#[component]
fn ConversationHeader(chat_id: ChatId) -> impl IntoView {
    let live = expect_context::<Live>();
    let chat = live.conversation.chat;
    let title = move || {
        chat.with(|chat| {
            chat.as_ref()
                .map(|chat| chat_title(chat, live.me.get().as_ref()))
        })
    };
    let subtitle = move || {
        let me = live.me.get();
        chat.with(|chat| {
            let chat = chat.as_ref()?;
            Some(match chat.kind {
                ChatKind::Group => format!("{} members", chat.members.len()),
                ChatKind::Direct if !live.typists(chat_id).is_empty() => "typing…".to_owned(),
                ChatKind::Direct => match other_member(chat, me.as_ref()) {
                    Some(other) if other.online => "online".to_owned(),
                    Some(User {
                        last_seen_at: Some(at),
                        ..
                    }) => format!("last seen {}", day_and_time(at)),
                    _ => "offline".to_owned(),
                },
            })
        })
    };
    view! {
        <header class="bar conversation-bar">
            <a href="/" class="back-link" aria-label="Back to chats">"←"</a>
            {move || title().map(|title| view! { <Avatar name=title/> })}
            <div class="me">
                <span class="me-name" data-testid="chat-title">{move || title().unwrap_or_else(|| "…".into())}</span>
                <span class="me-username" data-testid="chat-subtitle">{subtitle}</span>
            </div>
        </header>
    }
}

#[component]
fn MessageList(chat_id: ChatId, info_for: RwSignal<Option<i64>>) -> impl IntoView {
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

    // After the messages change: keep the view still when older ones arrived on
    // top, stick to the bottom when it was there, otherwise offer the pill.
    Effect::new(move |previous: Option<(usize, Option<i64>)>| {
        let count = conversation.messages.with(Vec::len) + pending.with(Vec::len);
        let oldest = conversation.messages.with(|m| m.first().map(|m| m.seq));
        let grew_on_top =
            matches!(previous, Some((_, Some(before))) if oldest.is_some_and(|now| now < before));
        let grew = previous.is_none_or(|(before, _)| count > before);
        request_animation_frame(move || {
            let Some(element) = list.get_untracked() else {
                return;
            };
            if grew_on_top {
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

    let on_scroll = move |_| {
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

    let is_group = move || {
        conversation
            .chat
            .with(|c| c.as_ref().is_some_and(|c| c.kind == ChatKind::Group))
    };
    view! {
        <div class="messages" node_ref=list on:scroll=on_scroll role="log" aria-live="polite" aria-label="Messages">
            {move || conversation.loading_older.get().then(|| view! { <p class="loading-older">"Loading earlier messages…"</p> })}
            {move || {
                let me = live.me.get().map(|me| me.id);
                let group = is_group();
                let members = conversation.chat.with(|c| c.as_ref().map(|c| c.members.clone()).unwrap_or_default());
                conversation.messages.get().into_iter().map(|message| {
                    let mine = Some(message.sender_id) == me;
                    let sender = (group && !mine).then(|| {
                        members.iter().find(|m| m.id == message.sender_id).map(|m| m.display_name.clone()).unwrap_or_default()
                    });
                    view! { <Bubble message mine sender info_for group/> }
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
    info_for: RwSignal<Option<i64>>,
    group: bool,
) -> impl IntoView {
    let status = message.status;
    let seq = message.seq;
    let status_name = match status {
        MessageStatus::Sent => "sent",
        MessageStatus::Delivered => "delivered",
        MessageStatus::Seen => "seen",
    };
    view! {
        <div class="bubble-row" class:mine=mine>
            <div class="bubble" data-testid="message" data-status=mine.then_some(status_name) data-seq=seq>
                {sender.map(|name| view! { <span class="sender">{name}</span> })}
                <span class="body" data-testid="message-body">{message.body}</span>
                <span class="meta">
                    <time>{clock_time(&message.created_at)}</time>
                    {mine.then(|| view! { <Ticks status=Signal::derive(move || Some(status))/> })}
                    {(mine && group).then(|| view! {
                        <button class="info-button" aria-label="Message info" title="Message info"
                            on:click=move |_| info_for.set(Some(seq))>"ⓘ"</button>
                    })}
                </span>
            </div>
        </div>
    }
}

#[component]
fn PendingBubble(pending: Pending) -> impl IntoView {
    let live = expect_context::<Live>();
    let client_id = pending.client_id.clone();
    view! {
        <div class="bubble-row mine">
            <div class="bubble pending" data-testid="message" data-status=if pending.failed { "failed" } else { "pending" }>
                <span class="body" data-testid="message-body">{pending.body}</span>
                <span class="meta">
                    {if pending.failed {
                        view! {
                            <button class="retry-button" on:click=move |_| live.retry(client_id.clone())>"⚠ Retry"</button>
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
    let close = on_close.clone();
    view! {
        <div class="dialog-backdrop" on:click=move |_| close()>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="info-title" on:click=|ev| ev.stop_propagation()>
                <h2 id="info-title">"Message info"</h2>
                <ul class="receipt-list">{rows}</ul>
                <div class="dialog-actions">
                    <button class="primary" on:click=move |_| on_close()>"Close"</button>
                </div>
            </div>
        </div>
    }
}

#[component]
fn Composer(chat_id: ChatId) -> impl IntoView {
    let live = expect_context::<Live>();
    let draft = RwSignal::new(String::new());
    let typing_sent_at = StoredValue::new(0.0_f64);
    let idle_timer = StoredValue::new(None::<TimeoutHandle>);

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
        let now = super::live::now_ms();
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
    let send = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        draft.set(String::new());
        stop_typing();
        live.conversation.error.set(None);
        spawn_local(async move {
            if let Err(reason) = live.send(chat_id, text.clone()).await {
                // Refused: say why and give the text back.
                live.conversation.error.set(Some(reason));
                if draft.get_untracked().is_empty() {
                    draft.set(text);
                }
            }
        });
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
            <textarea
                rows="1"
                placeholder="Type a message"
                aria-label="Message"
                prop:value=move || draft.get()
                on:input=on_input
                on:keydown=on_keydown
            ></textarea>
            <button type="submit" class="primary send-button" aria-label="Send" disabled=move || draft.with(|d| d.trim().is_empty())>
                "Send"
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
