//! Telling someone about a message when Parley is not what they are looking
//! at: a browser notification (only once they turned them on, by a click),
//! one per chat at a time (`tag`), raised by one tab of the several they may
//! have open (the one holding a Web Lock), and a dot on the tab's icon (and
//! the installed app's badge) while anything is unread.

use crate::model::{ChatKind, ChatSummary, Message, User};
use leptos::prelude::*;
use std::{cell::RefCell, rc::Rc};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};

/// Opens a chat by its id, in this page.
type Opener = Rc<dyn Fn(String)>;

thread_local! {
    /// Opens a chat in this page (set by the chat screen, which has the router).
    static OPEN_CHAT: RefCell<Option<Opener>> = const { RefCell::new(None) };
    /// Whether this tab is the one that raises notifications.
    static LEADER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Where the chat screen can be told to open a chat.
pub fn set_opener(open: impl Fn(String) + 'static) {
    OPEN_CHAT.set(Some(Rc::new(open)));
}

/// The browser's answer so far: "granted", "denied" or "default" (not asked);
/// `None` where there are no notifications at all.
pub fn permission() -> Option<web_sys::NotificationPermission> {
    let window = web_sys::window()?;
    let supported = js_sys::Reflect::has(&window, &JsValue::from_str("Notification")).ok()?;
    supported.then(web_sys::Notification::permission)
}

/// Asks for permission (call it from a click); the answer.
pub async fn ask() -> Option<web_sys::NotificationPermission> {
    let promise = web_sys::Notification::request_permission().ok()?;
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    permission()
}

/// Takes part in choosing the tab that notifies: the first to ask holds the
/// lock for as long as it lives, then the next one gets it. Without Web Locks
/// every tab notifies.
pub fn stand_for_leader() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let locks = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("locks"))
        .ok()
        .filter(|locks| !locks.is_undefined());
    let Some(locks) = locks else {
        LEADER.set(true);
        return;
    };
    let held = Closure::<dyn FnMut(JsValue) -> js_sys::Promise>::new(|_lock| {
        LEADER.set(true);
        // Never settles: the lock is held until the tab goes.
        js_sys::Promise::new(&mut |_, _| {})
    });
    let request = js_sys::Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()
        .and_then(|request| request.dyn_into::<js_sys::Function>().ok());
    if let Some(request) = request {
        let _ = request.call2(
            &locks,
            &JsValue::from_str("parley-notifications"),
            held.as_ref().unchecked_ref(),
        );
    }
    held.forget();
}

/// A message arrived that is not on screen: notify, if this tab is the one
/// to, the person turned notifications on, and the chat is not muted (a
/// muted chat notifies only when the message mentions them).
pub fn announce(me: Option<&User>, summary: &ChatSummary, message: &Message) {
    if !LEADER.get() || permission() != Some(web_sys::NotificationPermission::Granted) {
        return;
    }
    if message.system.is_some() || message.is_deleted() {
        return;
    }
    let mentioned = me.is_some_and(|me| message.mentions.contains(&me.id));
    if summary.muted && !mentioned {
        return;
    }
    let member = summary.chat.member(message.sender_id);
    let sender = member
        .map(|member| member.display_name.clone())
        .unwrap_or_default();
    // The sender's face, as this reader may see it (the small size).
    let icon = member
        .and_then(|member| member.photo_url.as_deref())
        .map(crate::media::small_photo);
    let title = match summary.chat.kind {
        ChatKind::Group => format!("{sender} in {}", summary.chat.title(me)),
        ChatKind::Direct => sender,
    };
    let body = crate::media::preview(&message.body, &message.attachments)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let options = web_sys::NotificationOptions::new();
    options.set_body(&body);
    options.set_tag(&message.chat_id.to_string());
    if let Some(icon) = &icon {
        options.set_icon(icon);
    }
    let Ok(notification) = web_sys::Notification::new_with_options(&title, &options) else {
        return;
    };
    let chat = message.chat_id.to_string();
    let shown = notification.clone();
    let on_click = Closure::<dyn FnMut()>::new(move || {
        if let Some(window) = web_sys::window() {
            let _ = window.focus();
        }
        OPEN_CHAT.with_borrow(|open| {
            if let Some(open) = open {
                open(chat.clone());
            }
        });
        shown.close();
    });
    notification.set_onclick(Some(on_click.as_ref().unchecked_ref()));
    on_click.forget();
}

/// What is unread, shown: a dot on the tab's icon, and the installed app's
/// badge where the browser has one (`navigator.setAppBadge`).
pub fn show_unread(count: u64) {
    show_unread_dot(count > 0);
    set_app_badge(count);
}

/// The tab's icon: with a dot while anything is unread.
fn show_unread_dot(unread: bool) {
    let href = if unread {
        "/favicon-unread.svg"
    } else {
        "/favicon.svg"
    };
    let icon = document()
        .query_selector("link[rel=icon]")
        .ok()
        .flatten()
        .and_then(|icon| icon.dyn_into::<web_sys::HtmlLinkElement>().ok());
    if let Some(icon) = icon
        && !icon.href().ends_with(href)
    {
        icon.set_href(href);
    }
}

/// The app's badge: the count, or none. Not every browser has badges.
fn set_app_badge(count: u64) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    let name = if count > 0 {
        "setAppBadge"
    } else {
        "clearAppBadge"
    };
    let Some(badge) = js_sys::Reflect::get(&navigator, &JsValue::from_str(name))
        .ok()
        .and_then(|found| found.dyn_into::<js_sys::Function>().ok())
    else {
        return;
    };
    let called = if count > 0 {
        badge.call1(&navigator, &JsValue::from_f64(count as f64))
    } else {
        badge.call0(&navigator)
    };
    // A promise; a refusal (nothing installed to badge) is nobody's concern.
    if let Ok(promise) = called.and_then(|value| value.dyn_into::<js_sys::Promise>()) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
}
