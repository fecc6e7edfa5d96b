//! Searching one's messages from the chat list: a field, and the hits in
//! place of the list while there is a query. A hit opens its chat at that
//! message, in context, highlighted.

use super::widgets::local_time;
use crate::live::Live;
use crate::protocol::{Search, SearchHit};
use leptos::{prelude::*, task::spawn_local};
use std::time::Duration;

/// How long typing may pause before the search runs.
const SETTLE: Duration = Duration::from_millis(250);

#[component]
pub fn SearchPanel(#[prop(into)] query: RwSignal<String>) -> impl IntoView {
    let live = expect_context::<Live>();
    let hits = RwSignal::new(None::<Result<Vec<SearchHit>, String>>);
    let generation = StoredValue::new(0_u64);
    let run = move |text: String| {
        let this = generation.get_value() + 1;
        generation.set_value(this);
        if text.trim().chars().count() < 2 {
            hits.set(None);
            return;
        }
        set_timeout(
            move || {
                if generation.get_value() != this {
                    return;
                }
                spawn_local(async move {
                    let found = live.ask(Search::new(text)).await.map(|r| r.results);
                    // Only the answer to the latest query shows.
                    if generation.get_value() == this {
                        hits.set(Some(found));
                    }
                });
            },
            SETTLE,
        );
    };
    let results = move || {
        let outcome = hits.get()?;
        Some(match outcome {
            Err(reason) => {
                view! { <p class="conversation-error" role="alert">{reason}</p> }.into_any()
            }
            Ok(found) if found.is_empty() => view! {
                <p class="empty-state" role="status">"No messages found."</p>
            }
            .into_any(),
            Ok(found) => view! {
                <p class="visually-hidden" role="status">{format!("{} results", found.len())}</p>
                <ul class="search-hits" aria-label="Search results" data-testid="search-results">
                    {found.into_iter().map(|hit| view! { <Hit hit/> }).collect_view()}
                </ul>
            }
            .into_any(),
        })
    };
    view! {
        <form class="search-bar" role="search" on:submit=move |ev| { ev.prevent_default(); run(query.get_untracked()); }>
            <input type="search" placeholder="Search messages" aria-label="Search messages"
                data-testid="search" maxlength="200"
                prop:value=move || query.get()
                on:input=move |ev| { let text = event_target_value(&ev); query.set(text.clone()); run(text); }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { query.set(String::new()); run(String::new()); }/>
        </form>
        {results}
    }
}

#[component]
fn Hit(hit: SearchHit) -> impl IntoView {
    let live = expect_context::<Live>();
    let me = live.me.get_untracked();
    let chat_id = hit.chat.id;
    let title = live
        .chats
        .with_untracked(|chats| {
            chats
                .iter()
                .find(|summary| summary.chat.id == chat_id)
                .map(|summary| summary.chat.title(me.as_ref()))
        })
        .or(hit.chat.name.clone())
        .unwrap_or_default();
    let message = hit.message.clone();
    let open = move |_| live.go_to(message.chat_id, message.id, message.seq);
    let snippet = hit
        .snippet
        .into_iter()
        .map(|part| {
            if part.is_match {
                view! { <mark>{part.text}</mark> }.into_any()
            } else {
                part.text.into_any()
            }
        })
        .collect_view();
    view! {
        <li>
            <a href=format!("/chats/{chat_id}") class="search-hit" data-testid="search-hit" on:click=open>
                <span class="row-top">
                    <span class="row-title">{title}</span>
                    <span class="row-time">{local_time(&hit.message.created_at, false)}</span>
                </span>
                <span class="hit-snippet">{snippet}</span>
            </a>
        </li>
    }
}
