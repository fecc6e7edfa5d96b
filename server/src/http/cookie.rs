//! The browser's session cookie: `parley_session`, HttpOnly, SameSite=Lax,
//! Secure when configured.

use crate::{auth::SESSION_COOKIE, state::AppState};
use cookie::{Cookie, CookieBuilder, SameSite};

pub fn session_cookie(state: &AppState, token: &str) -> Cookie<'static> {
    let max_age = time_duration(state.auth.session_ttl());
    base(state, token.to_owned()).max_age(max_age).build()
}

/// Replaces the cookie with an empty one that has already expired.
pub fn cleared_session_cookie(state: &AppState) -> Cookie<'static> {
    base(state, String::new())
        .max_age(time_duration(std::time::Duration::ZERO))
        .build()
}

fn base(state: &AppState, value: String) -> CookieBuilder<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.cookie_secure)
}

fn time_duration(duration: std::time::Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
}
