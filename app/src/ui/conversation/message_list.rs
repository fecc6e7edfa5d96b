//! The messages of the open chat: at the newest on opening, older pages on
//! scrolling up without a jump, and a pill for new ones below.

use super::*;

/// Within this many pixels of the bottom counts as "at the bottom".
const BOTTOM_SLACK: i32 = 48;

#[component]
pub(super) fn MessageList(chat_id: ChatId) -> impl IntoView {
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
    let from_server = !super::super::hydrated();
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
