//! The Leptos user interface: the HTML shell, the router and the pages.

mod admin_page;
mod attachments;
mod auth_pages;
mod chat_info;
mod chats_page;
mod conversation;
mod formatted;
mod invite_page;
mod navigation;
mod new_chat;
mod notify;
mod page_data;
mod search_panel;
mod settings;
mod widgets;
mod worker;

pub use crate::live::Live;
pub use navigation::{Route, onward};

pub use page_data::{AdminAsk, AdminView, InviteView, SignupState};
#[cfg(feature = "ssr")]
pub use page_data::{
    ChatSource, CspNonce, InstanceSource, PageChats, PageData, PageInstance, RequestFrom, Viewer,
    current_user,
};

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use navigation::Location;

/// The official socket.io-client, under its version (`.ci/setup` copies it
/// there from `frontend/`'s npm packages): a new version is a new name, so
/// browsers may keep each for good.
pub const SOCKET_IO_CLIENT: &str = "/vendor/socket.io-4.8.1.min.js";

/// Runs once, at the end of the server's HTML, before the first paint:
/// - the open conversation starts at its newest message, as the running page
///   keeps it (instead of jumping there once the WebAssembly arrives);
/// - times ([`widgets::local_time`]) move from UTC to the reader's zone, as
///   `clock_time` and `day_and_time` render them in the browser. Only the
///   text node changes: hydration's markers beside it stay.
const LOCAL_TIMES: &str = "(()=>{\
for(const l of document.querySelectorAll('.messages'))l.scrollTop=l.scrollHeight;\
const p=n=>String(n).padStart(2,'0'),day=d=>new Date(d.getFullYear(),d.getMonth(),d.getDate());\
for(const t of document.querySelectorAll('time[data-clock]')){\
const n=t.firstChild;if(!n||n.nodeType!==3)continue;\
const d=new Date(t.dateTime),c=p(d.getHours())+':'+p(d.getMinutes());\
if(t.dataset.clock!=='day'){n.data=c;continue}\
const k=Math.round((day(new Date())-day(d))/864e5);\
n.data=(k===0?'today':k===1?'yesterday':p(d.getDate())+'/'+p(d.getMonth()+1))+' at '+c}})()";

/// Fetches the code of the conversation, the account pages and the dialogs
/// (each a chunk of its own, see `widgets::drawn_in_place` and
/// `widgets::loaded_later`) in the first idle moment once the page runs, so
/// that the first chat or dialog a person opens shows at once, even offline.
/// Once per page, however often the chat list is drawn anew. Browsers without
/// `requestIdleCallback` (Safari) fetch them at once: the page has hydrated,
/// which is what they would wait for anyway.
fn preload_chunks_when_idle() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if request_idle_callback_with_handle(preload_chunks).is_err() {
            preload_chunks();
        }
    });
}

/// All at once: one after the other, each would wait for the one before to
/// compile. A failure is not remembered: opening the view tries again.
fn preload_chunks() {
    use leptos::task::spawn_local;
    spawn_local(async {
        let _ = conversation::preload_conversation_pane().await;
    });
    spawn_local(async {
        let _ = auth_pages::preload_account_pages().await;
    });
    spawn_local(async {
        let _ = chat_info::preload_chat_info_dialog().await;
    });
    spawn_local(async {
        let _ = new_chat::preload_new_chat_dialog().await;
    });
    spawn_local(async {
        let _ = attachments::preload_photo_viewer().await;
    });
    spawn_local(async {
        let _ = conversation::preload_message_info_dialog().await;
    });
    spawn_local(async {
        let _ = conversation::preload_confirm_delete_dialog().await;
    });
}

/// Makes the server's page live. Hydration is synchronous: it would meet a
/// view of the first HTML whose code is a chunk of its own (the conversation
/// at `/chats/:id`; the sign-in, sign-up and settings pages) before that
/// code, with nothing to hydrate it with. So those chunks are fetched first;
/// the chat list (`/`) hydrates at once. If one cannot be fetched, the
/// server's page stays as it is: readable, its links and forms working
/// without the WebAssembly.
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    /// The elements of the conversation (`ConversationPane`) and of the
    /// account pages (`auth_pages`).
    const CONVERSATION: &str = ".conversation";
    const ACCOUNT_PAGE: &str = ".auth-card";
    let shows = |selector| document().query_selector(selector).ok().flatten().is_some();
    let (conversation, account_page) = (shows(CONVERSATION), shows(ACCOUNT_PAGE));
    wasm_bindgen_futures::spawn_local(async move {
        let fetched = if conversation {
            conversation::preload_conversation_pane().await.is_ok()
        } else if account_page {
            auth_pages::preload_account_pages().await.is_ok()
        } else {
            true
        };
        if !fetched {
            leptos::logging::warn!("this page's code could not be fetched: it stays as served");
            return;
        }
        leptos::mount::hydrate_body(App);
        worker::register();
    });
}

/// The whole HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    page_data::adopt_csp_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="apple-touch-icon" href="/icons/icon-192.png"/>
                <meta name="theme-color" content="#1f7a5c" media="(prefers-color-scheme: light)"/>
                <meta name="theme-color" content="#0b141a" media="(prefers-color-scheme: dark)"/>
                // The official socket.io-client (npm, copied here by the set-up):
                // defines the global `io` that `crate::client` binds to.
                <script src=SOCKET_IO_CLIENT></script>
                <AutoReload options=options.clone()/>
                // The stylesheet, the JavaScript and the WebAssembly are named
                // from one source (a release build's `hash.txt`, see the
                // server's `site` module), so a page never names a file the
                // build did not write.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
                // After the app's own nodes, so hydration never meets it.
                <script nonce=leptos::nonce::use_nonce()>{LOCAL_TIMES}</script>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(Live::new());
    mark_hydrated();

    // Pages render with their data in place (the server waits for every
    // resource before it answers), so the first paint is complete and the
    // forms work before the WebAssembly has arrived.
    let location = Location::provide();
    // Moving between the list and a chat draws the page anew; moving from
    // chat to chat does not (the open chat follows the address).
    let route = Memo::new(move |_| location.route());
    view! {
        <Title text="Parley"/>
        <main class="app">
            {move || match route.get() {
                Route::Chats | Route::Chat => view! { <chats_page::ChatListPage/> }.into_any(),
                Route::SignIn => auth_pages::routed(auth_pages::Page::SignIn).into_any(),
                Route::SignUp => auth_pages::routed(auth_pages::Page::SignUp).into_any(),
                Route::Account => auth_pages::routed(auth_pages::Page::Settings).into_any(),
                Route::Reset => auth_pages::routed(auth_pages::Page::Reset).into_any(),
                Route::Admin => auth_pages::routed(auth_pages::Page::Admin).into_any(),
                Route::Invite => auth_pages::routed(auth_pages::Page::Invite).into_any(),
                Route::NotFound => view! { <p class="not-found">"Page not found."</p> }.into_any(),
            }}
        </main>
    }
}

/// Marks `<html data-hydrated>` once the WebAssembly runs the page, so tests (and
/// styles) can tell a live page from a server-rendered one. Effects run only in
/// the browser.
fn mark_hydrated() {
    Effect::new(|| {
        HYDRATED.set(true);
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "");
        }
    });
}

thread_local! {
    /// Set once the page runs in the browser: from then on its data comes over
    /// the socket, not in server-rendered HTML.
    static HYDRATED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this page already runs in the browser (its first render is done).
/// Always false on the server, where effects never run.
pub(crate) fn hydrated() -> bool {
    HYDRATED.get()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_names_the_socket_io_client_the_packages_pin() {
        let package: serde_json::Value =
            serde_json::from_str(include_str!("../../../frontend/package.json")).unwrap();
        let version = package["dependencies"]["socket.io-client"]
            .as_str()
            .unwrap();
        assert_eq!(
            super::SOCKET_IO_CLIENT,
            format!("/vendor/socket.io-{version}.min.js")
        );
    }
}
