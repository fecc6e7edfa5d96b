//! The service worker (`/sw.js`, written by the server for its build):
//! registered once the page runs, for the whole site.

/// Registers the worker; a browser without service workers (or a page not
/// served over HTTPS or from localhost) goes on without one.
#[cfg(feature = "hydrate")]
pub fn register() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    // Absent where the page is not in a secure context.
    let present = js_sys::Reflect::get(&navigator, &"serviceWorker".into())
        .is_ok_and(|found| !found.is_undefined());
    if !present {
        return;
    }
    let container = navigator.service_worker();
    let options = web_sys::RegistrationOptions::new();
    options.set_scope("/");
    let registering = container.register_with_options("/sw.js", &options);
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(error) = wasm_bindgen_futures::JsFuture::from(registering).await {
            leptos::logging::warn!("no service worker: {error:?}");
        }
    });
}
