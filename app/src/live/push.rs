//! This device's Web Push subscription (docs/PROTOCOL.md, "Notifications
//! while Parley is closed"): made with the worker's push manager and the
//! instance's key when notifications are turned on, and handed to the server
//! under this session; undone when they are turned off here.

use crate::protocol::{PushKey, PushUnsubscribe};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const KEY: &str = "/api/push/key";
const SUBSCRIPTIONS: &str = "/api/push/subscriptions";

/// Why this device could not be (un)subscribed, as a person reads it.
pub type Refusal = String;

fn said(error: JsValue) -> Refusal {
    error
        .as_string()
        .or_else(|| {
            error
                .dyn_ref::<js_sys::Error>()
                .map(|error| String::from(error.message()))
        })
        .unwrap_or_else(|| "this browser cannot receive push notifications".to_owned())
}

/// The worker's registration, once it is active (`None`: no workers here).
async fn registration() -> Result<web_sys::ServiceWorkerRegistration, JsValue> {
    let navigator = web_sys::window().ok_or("no window")?.navigator();
    let present = js_sys::Reflect::get(&navigator, &"serviceWorker".into())
        .is_ok_and(|found| !found.is_undefined());
    if !present {
        return Err("this browser has no service workers here".into());
    }
    JsFuture::from(navigator.service_worker().ready()?)
        .await?
        .dyn_into()
}

/// `method url` with this page's cookie, and `body` as JSON; the answer, if 2xx.
async fn request(
    method: &str,
    url: &str,
    body: Option<String>,
) -> Result<web_sys::Response, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(&body));
        let headers = js_sys::Object::new();
        js_sys::Reflect::set(&headers, &"Content-Type".into(), &"application/json".into())?;
        init.set_headers(&headers);
    }
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await?
        .dyn_into()?;
    if !response.ok() {
        return Err(format!("the server answered {}", response.status()).into());
    }
    Ok(response)
}

/// base64url (unpadded) to bytes, by the browser's own decoder.
fn decode(text: &str) -> Result<Vec<u8>, JsValue> {
    let mut standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    let binary = web_sys::window().ok_or("no window")?.atob(&standard)?;
    Ok(binary.chars().map(|c| c as u8).collect())
}

/// Subscribes this device (notifications already allowed) and tells the server.
pub async fn subscribe() -> Result<(), Refusal> {
    subscribing().await.map_err(said)
}

async fn subscribing() -> Result<(), JsValue> {
    let manager = registration().await?.push_manager()?;
    let answer = JsFuture::from(request("GET", KEY, None).await?.text()?).await?;
    let key: PushKey = serde_json::from_str(&answer.as_string().unwrap_or_default())
        .map_err(|error| JsValue::from_str(&error.to_string()))?;
    let options = web_sys::PushSubscriptionOptionsInit::new();
    options.set_user_visible_only(true);
    options.set_application_server_key(&js_sys::Uint8Array::from(&decode(&key.public_key)?[..]));
    let subscription = JsFuture::from(manager.subscribe_with_options(&options)?).await?;
    // `{endpoint, keys: {p256dh, auth}}`, by the subscription's own toJSON.
    let json = js_sys::JSON::stringify(&subscription)?
        .as_string()
        .unwrap_or_default();
    request("POST", SUBSCRIPTIONS, Some(json)).await?;
    Ok(())
}

/// Unsubscribes this device, here and on the server.
pub async fn unsubscribe() -> Result<(), Refusal> {
    unsubscribing().await.map_err(said)
}

async fn unsubscribing() -> Result<(), JsValue> {
    let Some(subscription) = current().await? else {
        return Ok(());
    };
    let endpoint = subscription.endpoint();
    JsFuture::from(subscription.unsubscribe()?).await?;
    let body = serde_json::to_string(&PushUnsubscribe { endpoint })
        .map_err(|error| JsValue::from_str(&error.to_string()))?;
    request("DELETE", SUBSCRIPTIONS, Some(body)).await?;
    Ok(())
}

async fn current() -> Result<Option<web_sys::PushSubscription>, JsValue> {
    let manager = registration().await?.push_manager()?;
    let found = JsFuture::from(manager.get_subscription()?).await?;
    if found.is_null() || found.is_undefined() {
        return Ok(None);
    }
    // Unchecked: a stand-in (tests, some browsers' wrappers) is not the class itself.
    Ok(Some(found.unchecked_into()))
}

/// Whether this device is subscribed.
pub async fn subscribed() -> bool {
    matches!(current().await, Ok(Some(_)))
}
