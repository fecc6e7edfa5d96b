//! Where the page is, and moving within it: the address as a signal, the
//! pages by address ([`Route`]), links and [`navigate`] that move without
//! reloading, the back and forward buttons.
//!
//! Parley has nine addresses and two kinds of parameter. leptos_router did this and
//! much more (nested routes, route data, typed parameters), and its code was
//! about a sixth of the page's own WebAssembly; this is what Parley uses of
//! it. The server answers the same addresses ([`Route::SERVED`]) and renders
//! the page for the request's address, so the first HTML and the hydrated
//! page agree.

use crate::model::ChatId;
use leptos::prelude::*;

/// The pages, by address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/`: the chat list.
    Chats,
    /// `/chats/:id`: the chat list beside one chat ([`chat_in`] reads which).
    Chat,
    /// `/login`
    SignIn,
    /// `/signup`, and `/join/:token` (an instance invitation).
    SignUp,
    /// `/account` (and `/settings`, its older name).
    Account,
    /// `/reset/:token`: a new password through a one-time link.
    Reset,
    /// `/admin`: the instance admins' page.
    Admin,
    /// `/invite/:token`: a group's invite link.
    Invite,
    NotFound,
}

impl Route {
    /// The addresses the server renders a page for, as axum spells them.
    /// Anything else is a file or "Page not found."
    pub const SERVED: [&str; 10] = [
        "/",
        "/chats/{id}",
        "/login",
        "/signup",
        "/join/{token}",
        "/account",
        "/settings",
        "/reset/{token}",
        "/admin",
        "/invite/{token}",
    ];

    /// The page at `path` (an address's path, no query).
    pub fn of(path: &str) -> Self {
        let mut segments = path.split('/').filter(|s| !s.is_empty());
        match (segments.next(), segments.next(), segments.next()) {
            (None, _, _) => Self::Chats,
            (Some("chats"), Some(_), None) => Self::Chat,
            (Some("login"), None, _) => Self::SignIn,
            (Some("signup"), None, _) | (Some("join"), Some(_), None) => Self::SignUp,
            (Some("account" | "settings"), None, _) => Self::Account,
            (Some("reset"), Some(_), None) => Self::Reset,
            (Some("admin"), None, _) => Self::Admin,
            (Some("invite"), Some(_), None) => Self::Invite,
            _ => Self::NotFound,
        }
    }
}

/// The chat `/chats/:id` opens (`None` elsewhere, or for an id that is not one).
pub fn chat_in(path: &str) -> Option<ChatId> {
    path.strip_prefix("/chats/")
        .and_then(|id| id.trim_end_matches('/').parse().ok())
}

/// The token of `/join/:token`, `/reset/:token` or `/invite/:token` (`None`
/// elsewhere, or when it has characters no token has: tokens are URL-safe
/// base64).
pub fn token_in(path: &str) -> Option<String> {
    let token = path
        .strip_prefix("/join/")
        .or_else(|| path.strip_prefix("/reset/"))
        .or_else(|| path.strip_prefix("/invite/"))?
        .trim_end_matches('/');
    let url_safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_');
    (!token.is_empty() && token.len() <= 64 && token.chars().all(url_safe))
        .then(|| token.to_owned())
}

/// Where signing in or up goes on to (`?next=`), if it is a page one may be
/// sent to: only a group's invite link, so an address nobody controls
/// cannot send a person anywhere else.
pub fn onward(next: &str) -> Option<String> {
    let token = next.strip_prefix("/invite/").and_then(|_| token_in(next))?;
    Some(format!("/invite/{token}"))
}

/// The page's address: on the server the request's, in the browser the
/// address bar's, kept in step with it. One per page, in the context.
#[derive(Clone, Copy)]
pub struct Location {
    /// The path, `/chats/…`.
    pub path: RwSignal<String>,
    /// The query, without its `?`.
    query: RwSignal<String>,
}

impl Location {
    /// The page's address, provided for everything under [`super::App`]. In
    /// the browser, links and the back button move it from now on.
    pub fn provide() -> Self {
        let (path, query) = here();
        let location = Self {
            path: RwSignal::new(path),
            query: RwSignal::new(query),
        };
        provide_context(location);
        #[cfg(target_arch = "wasm32")]
        location.follow_the_browser();
        location
    }

    /// The page's location (from [`Location::provide`]).
    pub fn current() -> Self {
        expect_context()
    }

    /// The page at this address.
    pub fn route(self) -> Route {
        self.path.with(|path| Route::of(path))
    }

    /// A query parameter as it was when read (decoded), not tracked.
    pub fn query(self, name: &str) -> Option<String> {
        self.query.with_untracked(|query| {
            query.split('&').find_map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decoded(key) == name).then(|| decoded(value))
            })
        })
    }

    /// Moves to `to` (a path, with a query if any) within the running page,
    /// as a new entry in the history. Nothing on the server.
    pub fn navigate(self, to: &str) {
        #[cfg(target_arch = "wasm32")]
        {
            if let Ok(history) = window().history() {
                let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to));
            }
            // The page changes once the event that asked for it is over: its
            // other handlers (and the code after this call) may still use
            // the page that gives way.
            let to = to.to_owned();
            set_timeout(move || self.set(&to), std::time::Duration::ZERO);
        }
        #[cfg(not(target_arch = "wasm32"))]
        let _ = to;
    }

    #[cfg(target_arch = "wasm32")]
    fn set(self, to: &str) {
        let (path, query) = to.split_once('?').unwrap_or((to, ""));
        let query = query.split('#').next().unwrap_or_default();
        if self.path.with_untracked(|held| held != path) {
            self.path.set(path.to_owned());
        }
        if self.query.with_untracked(|held| held != query) {
            self.query.set(query.to_owned());
        }
    }

    /// Links to Parley's own pages move within the page; the back and
    /// forward buttons move it back.
    #[cfg(target_arch = "wasm32")]
    fn follow_the_browser(self) {
        let clicks = window_event_listener(leptos::ev::click, move |event| {
            if let Some(to) = own_link(&event) {
                event.prevent_default();
                self.navigate(&to);
            }
        });
        let history = window_event_listener(leptos::ev::popstate, move |_| {
            let (path, query) = here();
            self.set(&format!("{path}?{query}"));
        });
        // For the life of the page.
        std::mem::forget((clicks, history));
    }
}

/// Where a click goes, if it is a plain click on a link to one of Parley's
/// pages (not a file, another site, a new tab or a download): those the
/// browser follows itself.
#[cfg(target_arch = "wasm32")]
fn own_link(event: &web_sys::MouseEvent) -> Option<String> {
    use wasm_bindgen::JsCast;
    if event.default_prevented()
        || event.button() != 0
        || event.meta_key()
        || event.alt_key()
        || event.ctrl_key()
        || event.shift_key()
    {
        return None;
    }
    let link: web_sys::HtmlAnchorElement = event
        .target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("a[href]")
        .ok()??
        .dyn_into()
        .ok()?;
    let own = link.origin() == window().location().origin().ok()?
        && link.target().is_empty()
        && !link.has_attribute("download")
        && Route::of(&link.pathname()) != Route::NotFound;
    own.then(|| link.pathname() + &link.search())
}

/// The address now: the request's on the server, the address bar's in the
/// browser.
fn here() -> (String, String) {
    #[cfg(feature = "ssr")]
    {
        let uri = use_context::<http::request::Parts>().map(|parts| parts.uri);
        uri.map(|uri| {
            (
                uri.path().to_owned(),
                uri.query().unwrap_or_default().to_owned(),
            )
        })
        .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let location = window().location();
        let search = location.search().unwrap_or_default();
        (
            location.pathname().unwrap_or_default(),
            search.strip_prefix('?').unwrap_or(&search).to_owned(),
        )
    }
}

/// `text` as a query string's part: anything but letters, digits and
/// `-_.~` percent-encoded (what [`decoded`] reads back).
pub fn encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A query string's part, decoded (`+` is a space, `%xx` a byte); invalid
/// UTF-8 becomes U+FFFD.
fn decoded(part: &str) -> String {
    let mut bytes = Vec::with_capacity(part.len());
    let mut rest = part.as_bytes();
    while let Some((&byte, after)) = rest.split_first() {
        rest = after;
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = rest
                    .get(..2)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok());
                match hex {
                    Some(value) => {
                        bytes.push(value);
                        rest = &rest[2..];
                    }
                    None => bytes.push(b'%'),
                }
            }
            _ => bytes.push(byte),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Leaves a page that is not for this person: on the server a redirect, in
/// the browser a full load of `to` (the server decides what shows there).
pub fn redirect(to: &'static str) {
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(to);
    #[cfg(not(feature = "ssr"))]
    {
        let _ = window().location().replace(to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_names_its_page() {
        assert_eq!(Route::of("/"), Route::Chats);
        assert_eq!(Route::of(""), Route::Chats);
        assert_eq!(Route::of("/chats/abc"), Route::Chat);
        assert_eq!(Route::of("/chats"), Route::NotFound);
        assert_eq!(Route::of("/chats/a/b"), Route::NotFound);
        assert_eq!(Route::of("/login"), Route::SignIn);
        assert_eq!(Route::of("/signup"), Route::SignUp);
        assert_eq!(Route::of("/account"), Route::Account);
        assert_eq!(Route::of("/settings"), Route::Account);
        assert_eq!(Route::of("/media/x.png"), Route::NotFound);
        assert_eq!(Route::of("/join/abc"), Route::SignUp);
        assert_eq!(Route::of("/join"), Route::NotFound);
        assert_eq!(Route::of("/reset/abc"), Route::Reset);
        assert_eq!(Route::of("/admin"), Route::Admin);
        assert_eq!(Route::of("/invite/abc"), Route::Invite);
        assert_eq!(encoded("a b&c=ü"), "a%20b%26c%3D%C3%BC");
        assert_eq!(decoded(&encoded("a b&c=ü")), "a b&c=ü");
        assert_eq!(token_in("/join/abc_-1"), Some("abc_-1".to_owned()));
        assert_eq!(token_in("/reset/a%20b"), None);
        assert_eq!(token_in("/invite/abc_-1"), Some("abc_-1".to_owned()));
        assert_eq!(onward("/invite/abc_-1"), Some("/invite/abc_-1".to_owned()));
        for elsewhere in [
            "//evil.example/invite/x",
            "https://evil.example",
            "/admin",
            "/invite/a/b",
            "/join/x",
        ] {
            assert_eq!(onward(elsewhere), None, "{elsewhere}");
        }
    }

    #[test]
    fn a_chat_address_carries_its_id() {
        let id = ChatId(uuid::Uuid::from_u128(5));
        assert_eq!(chat_in(&format!("/chats/{id}")), Some(id));
        assert_eq!(chat_in("/chats/not-an-id"), None);
        assert_eq!(chat_in("/"), None);
    }

    #[test]
    fn query_parts_are_decoded() {
        assert_eq!(decoded("a+b%40c.d"), "a b@c.d");
        assert_eq!(decoded("%E2%9C%93"), "✓");
        assert_eq!(decoded("100%"), "100%");
        assert_eq!(decoded("%zz"), "%zz");
    }
}
