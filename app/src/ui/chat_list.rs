//! `/`: the signed-in person's chats.

use super::{session::current_user, widgets::Avatar};
use crate::model::User;
use leptos::prelude::*;
use leptos_router::components::Redirect;

#[component]
pub fn ChatListPage() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(user)) => view! { <ChatList user/> }.into_any(),
                    _ => view! { <Redirect path="/login"/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChatList(user: User) -> impl IntoView {
    view! {
        <section class="chat-list" aria-label="Chats">
            <header class="bar">
                <Avatar name=user.display_name.clone()/>
                <div class="me">
                    <span class="me-name" data-testid="me-name">{user.display_name.clone()}</span>
                    <span class="me-username">"@"{user.username.clone()}</span>
                </div>
                <form method="post" action="/logout" class="sign-out">
                    <button type="submit" class="link-button">"Sign out"</button>
                </form>
            </header>
            <div class="empty-state">
                <p class="empty-title">"No chats yet"</p>
                <p>"When you start a conversation, it will appear here."</p>
            </div>
        </section>
    }
}
