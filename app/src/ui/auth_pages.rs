//! `/login`, `/signup` (and `/join/:token`), `/account` (change password),
//! `/reset/:token` and `/admin` (in `super::admin_page`): plain HTML forms
//! that post to the server, so they work before (and without) the
//! WebAssembly. The server answers with a redirect: onwards on success,
//! back here with `?error=<code>` otherwise.

use super::navigation::{Location, token_in};
use super::page_data::SignupState;
use super::widgets::{Fetch, NotLoaded, drawn_in_place, fetch_again};
use crate::model::SignupMode;
use crate::protocol::{ErrorCode, SessionEndReason};
use leptos::prelude::*;
use leptos_meta::Title;

/// The pages of this module, which share a WebAssembly chunk of their own:
/// someone signed in at `/` never needs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    SignIn,
    SignUp,
    Settings,
    Reset,
    Admin,
    /// A group's invite link.
    Invite,
}

/// `page` as a route's view: drawn in place once the chunk is there (fetched
/// before hydration when the first HTML is one of these pages, see
/// `super::hydrate`).
pub fn routed(page: Page) -> impl IntoView {
    let fetch = RwSignal::new(Fetch::default());
    move || match drawn_in_place(account_page(page), preload_account_pages, fetch) {
        Some(Ok(view)) => view,
        Some(Err(NotLoaded)) => view! {
            <section class="auth-card">{fetch_again("page", "form-error", fetch)}</section>
        }
        .into_any(),
        None => ().into_any(),
    }
}

#[leptos::wasm_split::wasm_split(
    account_pages,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(preload_account_pages)
)]
pub(super) fn account_page(page: Page) -> Result<AnyView, NotLoaded> {
    // Fetched alongside the page's own WebAssembly (see `conversation_pane`).
    #[cfg(feature = "ssr")]
    leptos::prefetch_lazy_fn_on_server("account_pages");
    Ok(match page {
        Page::SignIn => view! { <LoginPage/> }.into_any(),
        Page::SignUp => view! { <SignupPage/> }.into_any(),
        Page::Settings => view! { <AccountPage/> }.into_any(),
        Page::Reset => view! { <ResetPage/> }.into_any(),
        Page::Admin => view! { <super::admin_page::AdminPage/> }.into_any(),
        Page::Invite => view! { <super::invite_page::InvitePage/> }.into_any(),
    })
}

/// The sentence shown under a form for an error code the server sent back
/// (`retry`: the seconds to wait, when throttled). Both come from the page's
/// address, which anyone can write: a code picks one of these fixed
/// sentences, and `retry` counts only as a number. Nothing else of the
/// address is ever printed as the server's word.
pub(super) fn form_error_text(code: &str, retry: Option<String>) -> String {
    let retry = retry.and_then(|seconds| seconds.parse::<u32>().ok());
    let text = match ErrorCode::parse(code) {
        Some(ErrorCode::RateLimited) => {
            return match retry {
                Some(seconds) => format!("Too many attempts. Try again in {seconds} seconds."),
                None => "Too many attempts. Try again later.".to_owned(),
            };
        }
        Some(ErrorCode::Unavailable) => "The server is busy. Try again in a moment.",
        Some(ErrorCode::InvalidCredentials) => "Wrong username or password.",
        Some(ErrorCode::UsernameTaken) => "That username is taken. Try another.",
        Some(ErrorCode::InvalidUsername) => {
            "Usernames are 3–32 characters: letters, digits, '_', '.' or '-'."
        }
        Some(ErrorCode::InvalidPassword) => "Passwords need at least 8 characters.",
        Some(ErrorCode::InvalidDisplayName) => "Display names are 1–64 characters.",
        Some(ErrorCode::Deactivated) => {
            "This account has been deactivated. Ask the people who run this Parley."
        }
        Some(ErrorCode::SignupClosed) => {
            "Sign-up needs a valid invitation here: that link is expired, used up or revoked."
        }
        Some(ErrorCode::InvalidLink) => {
            "This link has been used or has expired. Ask an admin for a new one."
        }
        _ => "Something went wrong. Please try again.",
    };
    text.to_owned()
}

/// Why the person is back at the sign-in page, when a session ended.
fn ended_text(reason: &str) -> Option<&'static str> {
    Some(match SessionEndReason::parse(reason)? {
        SessionEndReason::SignedOut => "You have been signed out.",
        SessionEndReason::SignedOutEverywhere => "You have been signed out on every device.",
        SessionEndReason::PasswordChanged => "Your password was changed. Sign in again.",
        SessionEndReason::Deactivated => "Your account has been deactivated.",
    })
}

/// The error (if any) and the username to refill, from the query string.
fn form_state() -> (Option<String>, String) {
    let location = Location::current();
    let error = location
        .query("error")
        .map(|code| form_error_text(&code, location.query("retry")));
    (error, location.query("username").unwrap_or_default())
}

/// Where signing in or up goes on to (a group's invite link the person
/// opened signed out), if the address asks for one that may be.
fn onward_asked() -> Option<String> {
    Location::current()
        .query("next")
        .and_then(|next| super::navigation::onward(&next))
}

/// `path`, carrying on to where the person was going, if anywhere.
fn carrying_on(path: &str) -> String {
    match onward_asked() {
        Some(next) => format!("{path}?next={next}"),
        None => path.to_owned(),
    }
}

#[component]
pub(super) fn FormError(error: Option<String>) -> impl IntoView {
    error.map(|text| view! { <p class="form-error" role="alert">{text}</p> })
}

#[component]
fn LoginPage() -> impl IntoView {
    let (error, username) = form_state();
    let location = Location::current();
    let ended = location
        .query("ended")
        .and_then(|reason| ended_text(&reason))
        .or_else(|| {
            location
                .query("reset")
                .map(|_| "Your new password is set. Sign in with it.")
        });
    view! {
        <Title text="Sign in · Parley"/>
        <section class="auth-card">
            <h1 class="brand">"Parley"</h1>
            <h2>"Sign in"</h2>
            {ended.map(|text| view! { <p class="form-notice" role="status" data-testid="session-ended">{text}</p> })}
            <form method="post" action="/login" class="auth-form">
                {onward_asked().map(|next| view! { <input type="hidden" name="next" value=next/> })}
                <label>
                    "Username"
                    <input name="username" autocomplete="username" required value=username autofocus/>
                </label>
                <label>
                    "Password"
                    <input name="password" type="password" autocomplete="current-password" required/>
                </label>
                <FormError error/>
                <button type="submit" class="primary">"Sign in"</button>
            </form>
            <p class="switch">"New here? " <a href=carrying_on("/signup")>"Create an account"</a></p>
        </section>
    }
}

/// `/signup` and `/join/:token`: the form, when sign-up takes this person
/// (open, or by invitation with one that is still good); otherwise why not.
#[component]
fn SignupPage() -> impl IntoView {
    let invitation = Location::current()
        .path
        .with_untracked(|path| token_in(path));
    let asked = invitation.clone();
    let state = Resource::new(
        || (),
        move |_| {
            let asked = asked.clone();
            async move {
                #[cfg(feature = "ssr")]
                return super::page_data::signup_state(asked).await;
                #[cfg(not(feature = "ssr"))]
                {
                    let _ = asked;
                    Ok::<SignupState, ServerFnError>(super::page_data::from_the_server().await)
                }
            }
        },
    );
    view! {
        <Title text="Sign up · Parley"/>
        <section class="auth-card">
            <h1 class="brand">"Parley"</h1>
            <h2>"Create your account"</h2>
            <Suspense>
                {move || {
                    let invitation = invitation.clone();
                    Suspend::new(async move {
                        let state = state.await.unwrap_or_default();
                        match refusal(state, invitation.is_some()) {
                            Some(why) => view! {
                                <p class="form-notice" role="status" data-testid="signup-closed">{why}</p>
                            }
                            .into_any(),
                            None => view! { <SignupForm invitation/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <p class="switch">"Already have an account? " <a href=carrying_on("/login")>"Sign in"</a></p>
        </section>
    }
}

/// Why sign-up does not take this person, if it does not.
fn refusal(state: SignupState, with_invitation: bool) -> Option<&'static str> {
    match state.mode {
        SignupMode::Open => None,
        SignupMode::Closed => Some(
            "Sign-up is closed on this Parley. The people who run it can create an account for you.",
        ),
        SignupMode::Invite if !with_invitation => Some(
            "Sign-up here is by invitation. Ask the people who run this Parley for an invitation link.",
        ),
        SignupMode::Invite if !state.invitation_usable => {
            Some("This invitation link is expired, used up or revoked. Ask for a new one.")
        }
        SignupMode::Invite => None,
    }
}

#[component]
fn SignupForm(invitation: Option<String>) -> impl IntoView {
    let (error, username) = form_state();
    view! {
            <form method="post" action="/signup" class="auth-form">
                {invitation.map(|token| view! { <input type="hidden" name="invitation" value=token/> })}
                {onward_asked().map(|next| view! { <input type="hidden" name="next" value=next/> })}
                <label>
                    "Username"
                    <input name="username" autocomplete="username" required minlength="3" maxlength="32"
                        pattern="[A-Za-z0-9_.\\-]{3,32}" value=username autofocus/>
                </label>
                <label>
                    "Display name " <span class="hint">"(optional)"</span>
                    <input name="displayName" autocomplete="name" maxlength="64"/>
                </label>
                <label>
                    "Password"
                    <input name="password" type="password" autocomplete="new-password" required minlength="8"/>
                </label>
                <FormError error/>
                <button type="submit" class="primary">"Sign up"</button>
            </form>
    }
}

/// `/reset/:token`: a new password through a one-time link an instance
/// admin made. Every session of the person ends; they sign in again.
#[component]
fn ResetPage() -> impl IntoView {
    let (error, _) = form_state();
    let token = Location::current()
        .path
        .with_untracked(|path| token_in(path))
        .unwrap_or_default();
    view! {
        <Title text="New password · Parley"/>
        <section class="auth-card">
            <h1 class="brand">"Parley"</h1>
            <h2>"Choose a new password"</h2>
            <form method="post" action=format!("/reset/{token}") class="auth-form">
                <label>
                    "New password"
                    <input name="newPassword" type="password" autocomplete="new-password" required minlength="8" autofocus/>
                </label>
                <FormError error/>
                <button type="submit" class="primary">"Set password"</button>
            </form>
            <p class="switch"><a href="/login">"Sign in"</a></p>
        </section>
    }
}

/// The account page: change the password (every other session ends), or
/// sign out everywhere.
#[component]
fn AccountPage() -> impl IntoView {
    let location = Location::current();
    let error = location
        .query("error")
        .map(|code| match ErrorCode::parse(&code) {
            Some(ErrorCode::InvalidCredentials) => "That is not your current password.".to_owned(),
            _ => form_error_text(&code, location.query("retry")),
        });
    let changed = location.query("changed").is_some();
    let renamed = location.query("renamed").is_some();
    let viewer = super::page_data::signed_in();
    view! {
        <Title text="Settings · Parley"/>
        <section class="auth-card settings">
            <h1 class="brand">"Parley"</h1>
            <h2>"Settings"</h2>
            <h3>"Profile photo"</h3>
            <Suspense>
                {move || Suspend::new(async move {
                    viewer.await.ok().flatten().map(|user| view! { <super::settings::MyPhoto user/> })
                })}
            </Suspense>
            <h3>"Display name"</h3>
            {renamed.then(|| view! {
                <p class="form-notice" role="status" data-testid="display-name-changed">"Display name changed."</p>
            })}
            <form method="post" action="/account/profile" class="auth-form">
                <label>
                    "How others see you"
                    <input name="displayName" autocomplete="name" required maxlength="64" data-testid="display-name"/>
                </label>
                <button type="submit" class="secondary">"Save name"</button>
            </form>
            <h3>"Privacy"</h3>
            <Suspense>
                {move || Suspend::new(async move {
                    viewer.await.ok().flatten().map(|user| view! { <super::settings::PrivacySettings user/> })
                })}
            </Suspense>
            <h3>"Change your password"</h3>
            {changed.then(|| view! {
                <p class="form-notice" role="status" data-testid="password-changed">
                    "Password changed. Your other sessions have been signed out."
                </p>
            })}
            <form method="post" action="/account/password" class="auth-form">
                <label>
                    "Current password"
                    <input name="currentPassword" type="password" autocomplete="current-password" required/>
                </label>
                <label>
                    "New password"
                    <input name="newPassword" type="password" autocomplete="new-password" required minlength="8"/>
                </label>
                <FormError error/>
                <button type="submit" class="primary">"Change password"</button>
            </form>
            <h3>"Sessions"</h3>
            <form method="post" action="/logout-all">
                <button type="submit" class="secondary">"Sign out everywhere"</button>
            </form>
            <p class="switch"><a href="/">"Back to your chats"</a></p>
        </section>
    }
}
