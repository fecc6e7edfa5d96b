//! One message as a bubble: its quote, body, photos and files, reactions and
//! ticks; and a message on its way, with its clock or its Retry.

use super::*;
use crate::ui::formatted::{Mentionable, formatted};

#[component]
pub(super) fn Bubble(
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
        let usernames: Vec<String> = members.iter().map(|m| m.username.clone()).collect();
        let mentionable = Mentionable {
            usernames: &usernames,
            me: my_name.as_deref(),
        };
        formatted(&message.body, mentionable, "body", "message-body")
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
    // Others' faces beside their bubbles in a group.
    let face = sender.as_ref().map(|name| {
        let photo = (members.iter())
            .find(|member| member.id == message.sender_id)
            .and_then(|member| member.photo_url.clone());
        view! { <Avatar name=name.clone() photo/> }
    });
    view! {
        <div class="bubble-row" class:mine=mine>
            {face}
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
pub(super) fn ReactionChip(
    message: Message,
    reaction: Reaction,
    members: Vec<ChatMember>,
) -> impl IntoView {
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

#[component]
pub(super) fn PendingBubble(pending: Outgoing) -> impl IntoView {
    let live = expect_context::<Live>();
    let client_id = pending.client_id.clone();
    view! {
        <div class="bubble-row mine">
            <div class="bubble pending" data-testid="message" data-status=if pending.failed { "failed" } else { "pending" }>
                {(!pending.attachments.is_empty()).then(|| view! {
                    <MessageAttachments attachments=pending.attachments.clone() on_open=Callback::new(|_| ())/>
                })}
                {formatted(&pending.body, Mentionable::NOBODY, "body", "message-body")}
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
