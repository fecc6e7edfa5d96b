//! The prompt that turns notifications on (the notifying itself is
//! `live::notify`'s).

use crate::live::{
    notify::{ask, permission},
    push,
};
use leptos::prelude::*;

/// "Turn on notifications": shown until they are on or refused, never asked
/// for without a click.
#[component]
pub fn NotificationPrompt() -> impl IntoView {
    let state = RwSignal::new(None::<web_sys::NotificationPermission>);
    let dismissed = RwSignal::new(false);
    Effect::new(move |_| state.set(permission()));
    let turn_on = move |_| {
        leptos::task::spawn_local(async move {
            let answer = ask().await;
            state.set(answer);
            // Allowed: this device is told of messages while Parley is closed too.
            if answer == Some(web_sys::NotificationPermission::Granted)
                && let Err(refusal) = push::subscribe().await
            {
                leptos::logging::warn!("no push notifications on this device: {refusal}");
            }
        });
    };
    move || {
        (state.get() == Some(web_sys::NotificationPermission::Default) && !dismissed.get()).then(
            || {
                view! {
                    <div class="notify-prompt" role="region" aria-label="Notifications" data-testid="notify-prompt">
                        <span>"Get told about new messages when Parley is in the background."</span>
                        <button type="button" class="link-button" on:click=turn_on>"Turn on notifications"</button>
                        <button type="button" class="link-button" on:click=move |_| dismissed.set(true)>"Not now"</button>
                    </div>
                }
            },
        )
    }
}
