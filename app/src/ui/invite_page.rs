//! `/invite/:token`: a group's invite link. Signed in, the group (its name,
//! description and how many are in it) and "Join"; signed out, sign in or
//! create an account first, then back here. A link that does not work says
//! so (and the page answers `404`).
//!
//! Server-rendered with its data in place, like the account pages; joining
//! is `joinByInvite` over the socket, then the group opens.

use super::navigation::{Location, token_in};
use super::page_data::InviteView;
use crate::live::Live;
use crate::{client::ConnectionState, protocol::JoinByInvite};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

#[component]
pub fn InvitePage() -> impl IntoView {
    let token = Location::current()
        .path
        .with_untracked(|path| token_in(path))
        .unwrap_or_default();
    let asked = token.clone();
    let data = Resource::new(
        || (),
        move |_| {
            let asked = asked.clone();
            async move {
                #[cfg(feature = "ssr")]
                return super::page_data::invite_view(asked).await;
                #[cfg(not(feature = "ssr"))]
                {
                    let _ = asked;
                    Ok::<InviteView, ServerFnError>(super::page_data::from_the_server().await)
                }
            }
        },
    );
    view! {
        <Title text="Group invitation · Parley"/>
        <section class="auth-card invite-page" data-testid="invite-page">
            <h1 class="brand">"Parley"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(InviteView::SignedOut) => signed_out(&token).into_any(),
                            Ok(InviteView::Open { me, group }) => view! {
                                <Invitation me group token/>
                            }
                            .into_any(),
                            Ok(InviteView::Refused(refused)) => view! {
                                <h2>"This invite link doesn't work"</h2>
                                <p class="form-notice" role="status" data-testid="invite-refused">{refused.message}</p>
                                <p class="switch"><a href="/">"Go to your chats"</a></p>
                            }
                            .into_any(),
                            Err(_) => view! {
                                <p class="form-error" role="alert">"The invitation could not be read. Try again."</p>
                            }
                            .into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// Signed out: who may join is decided once signed in.
fn signed_out(token: &str) -> impl IntoView {
    let here = format!("/invite/{token}");
    view! {
        <h2>"You're invited to a group"</h2>
        <p>"Sign in, or create an account, to see the group and join it."</p>
        <div class="invite-actions">
            <a class="button primary" href=format!("/login?next={here}")>"Sign in"</a>
            <a class="button secondary" href=format!("/signup?next={here}")>"Create an account"</a>
        </div>
    }
}

#[component]
fn Invitation(
    me: crate::model::User,
    group: crate::protocol::InvitePreview,
    token: String,
) -> impl IntoView {
    let live = expect_context::<Live>();
    // In the browser only: the socket is the way in.
    Effect::new(move |_| live.start(me.clone()));
    let error = RwSignal::new(None::<String>);
    let joining = RwSignal::new(false);
    let join = move |_| {
        let token = token.clone();
        joining.set(true);
        spawn_local(async move {
            match live.ask(JoinByInvite { token }).await {
                // The group, drawn by the server with the line that says so.
                Ok(chat) => {
                    let _ = window().location().assign(&format!("/chats/{}", chat.id));
                }
                Err(reason) => {
                    joining.set(false);
                    error.set(Some(reason));
                }
            }
        });
    };
    let members = match group.member_count {
        1 => "1 member".to_owned(),
        n => format!("{n} members"),
    };
    let description = group.description.clone().map(|text| {
        super::formatted::formatted(
            &text,
            super::formatted::Mentionable::NOBODY,
            "invite-description",
            "invite-description",
        )
    });
    view! {
        <h2>"You're invited to join"</h2>
        <super::widgets::Avatar name=group.name.clone() photo=group.photo_url.clone() large=true/>
        <p class="invite-group" data-testid="invite-group">{group.name.clone()}</p>
        {description}
        <p class="hint" data-testid="invite-members">{members}</p>
        {move || error.get().map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
        <div class="invite-actions">
            <button type="button" class="primary" on:click=join
                disabled=move || joining.get() || live.connection.get() != ConnectionState::Connected>
                "Join group"
            </button>
            <a class="button secondary" href="/">"Not now"</a>
        </div>
    }
}
