//! The browser's typed Socket.IO client: a thin wasm-bindgen binding over the
//! official `socket.io-client` (loaded by the page from `ui::SOCKET_IO_CLIENT`,
//! `/vendor/socket.io-<version>.min.js`,
//! which defines the global `io`). Emits go through the protocol's event types
//! and come back as their typed replies; server events arrive typed.
//!
//! It compiles on every target (so components need no `cfg`), but only the
//! browser ever calls it: from effects and event handlers, which never run
//! during server rendering.

use crate::protocol::{Ack, ApiError, ClientEvent, ServerEvent};
use js_sys::{Function, Promise, Reflect};
use serde::Serialize;
use std::{cell::RefCell, rc::Rc, time::Duration};
use wasm_bindgen::{JsCast, JsValue, prelude::*};
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// A `socket.io-client` `Socket`.
    #[derive(Clone)]
    type RawSocket;

    #[wasm_bindgen(js_name = io)]
    fn io_connect(options: &JsValue) -> RawSocket;

    #[wasm_bindgen(method)]
    fn on(this: &RawSocket, event: &str, handler: &Function);

    #[wasm_bindgen(method)]
    fn off(this: &RawSocket, event: &str, handler: &Function);

    /// `socket.timeout(ms)`: the next emit's ack fails after `ms`.
    #[wasm_bindgen(method)]
    fn timeout(this: &RawSocket, ms: u32) -> RawSocket;

    #[wasm_bindgen(method, js_name = emitWithAck)]
    fn emit_with_ack(this: &RawSocket, event: &str, payload: &JsValue) -> Promise;

    #[wasm_bindgen(method, getter)]
    fn connected(this: &RawSocket) -> bool;

    #[wasm_bindgen(method)]
    fn connect(this: &RawSocket) -> RawSocket;
}

/// Why an emit got no reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmitError {
    /// The server refused it: its code and message.
    Refused(ApiError),
    /// No ack in time (or the connection is down).
    Timeout,
    /// Not connected: nothing was sent.
    Offline,
    /// The ack did not have the protocol's shape.
    Malformed(String),
}

impl EmitError {
    /// A sentence for the person at the screen.
    pub fn message(&self) -> String {
        match self {
            Self::Refused(error) => error.message.clone(),
            Self::Timeout => "The server did not answer in time.".into(),
            Self::Offline => "Not connected.".into(),
            Self::Malformed(_) => "The server's answer made no sense.".into(),
        }
    }
}

/// The connection as the person sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    Connecting,
    Connected,
    Reconnecting,
}

/// How long an emit waits for its ack.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(8);

type Listener = Closure<dyn FnMut(JsValue)>;

/// One connection. Listeners are owned here (one closure per event name, for
/// the life of the socket), never leaked per message.
pub struct SocketClient {
    raw: RawSocket,
    listeners: RefCell<Vec<(&'static str, Listener)>>,
}

// Payloads cross between JavaScript and Rust as JSON text, read and written by
// serde_json alone: the pages' server data is JSON already, and a second
// (de)serializer would put a second copy of every wire type's code in the
// WebAssembly.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, EmitError> {
    let text =
        serde_json::to_string(value).map_err(|error| EmitError::Malformed(error.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| EmitError::Malformed("unparsable JSON".into()))
}

fn from_js<T: serde::de::DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or("not JSON")?;
    serde_json::from_str(&text).map_err(|error| error.to_string())
}

impl SocketClient {
    /// Connects to the page's own server over WebSocket; the session cookie
    /// authenticates it. socket.io-client reconnects by itself.
    pub fn connect() -> Rc<Self> {
        let options = js_sys::Object::new();
        let transports = js_sys::Array::of1(&JsValue::from_str("websocket"));
        let _ = Reflect::set(&options, &"transports".into(), &transports);
        let _ = Reflect::set(&options, &"withCredentials".into(), &JsValue::TRUE);
        let client = Rc::new(Self {
            raw: io_connect(&options),
            listeners: RefCell::default(),
        });
        client.reconnect_after_server_shutdown();
        client.retry_when_busy();
        client
    }

    /// socket.io-client never retries a handshake the server refused. When
    /// the refusal is `unavailable` (the server is busy or restarting, not
    /// "you are signed out"), try again with a growing, jittered wait, so a
    /// crowd of pages does not come back in lockstep.
    fn retry_when_busy(&self) {
        let attempts = Rc::new(std::cell::Cell::new(0_u32));
        let raw = self.raw.clone();
        let retry = {
            let attempts = attempts.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |error: JsValue| {
                if refusal_reason(&error).as_deref() != Some("unavailable") {
                    return;
                }
                let attempt = attempts.get();
                attempts.set(attempt.saturating_add(1));
                let raw = raw.clone();
                leptos::prelude::set_timeout(
                    move || {
                        raw.connect();
                    },
                    retry_delay(attempt, js_sys::Math::random()),
                );
            })
        };
        self.raw.on("connect_error", retry.as_ref().unchecked_ref());
        let connected = Closure::<dyn FnMut(JsValue)>::new(move |_| attempts.set(0));
        self.raw.on("connect", connected.as_ref().unchecked_ref());
        let mut listeners = self.listeners.borrow_mut();
        listeners.push(("connect_error", retry));
        listeners.push(("connect", connected));
    }

    /// socket.io-client does not reconnect by itself when the server closed the
    /// socket ("io server disconnect"), which is what a server shutting down (a
    /// restart, a deploy) does. Parley's clients come back a moment later.
    fn reconnect_after_server_shutdown(&self) {
        let raw = self.raw.clone();
        let listener = Closure::<dyn FnMut(JsValue)>::new(move |reason: JsValue| {
            if reason.as_string().as_deref() == Some("io server disconnect") {
                let raw = raw.clone();
                leptos::prelude::set_timeout(
                    move || {
                        raw.connect();
                    },
                    Duration::from_millis(500),
                );
            }
        });
        self.raw.on("disconnect", listener.as_ref().unchecked_ref());
        self.listeners.borrow_mut().push(("disconnect", listener));
    }

    pub fn is_connected(&self) -> bool {
        self.raw.connected()
    }

    /// Emits `event` and waits for its typed reply.
    pub async fn emit<E: ClientEvent>(&self, event: &E) -> Result<E::Reply, EmitError> {
        if !self.is_connected() {
            return Err(EmitError::Offline);
        }
        let payload = to_js(event)?;
        let ms = u32::try_from(ACK_TIMEOUT.as_millis()).unwrap_or(u32::MAX);
        let ack = JsFuture::from(self.raw.timeout(ms).emit_with_ack(E::NAME, &payload))
            .await
            .map_err(|_| EmitError::Timeout)?;
        let ack: Ack<E::Reply> = from_js(&ack).map_err(EmitError::Malformed)?;
        Result::from(ack).map_err(EmitError::Refused)
    }

    /// Calls `handler` with every `E` the server sends.
    pub fn on<E: ServerEvent>(&self, handler: impl Fn(E) + 'static) {
        let listener = Closure::<dyn FnMut(JsValue)>::new(move |payload: JsValue| {
            match from_js::<E>(&payload) {
                Ok(event) => handler(event),
                Err(error) => leptos::logging::warn!("unreadable {}: {error}", E::NAME),
            }
        });
        self.raw.on(E::NAME, listener.as_ref().unchecked_ref());
        self.listeners.borrow_mut().push((E::NAME, listener));
    }

    /// Calls `handler` with the server's reason when it refuses the
    /// connection (`unauthorized`, `origin_not_allowed`, `unavailable`).
    pub fn on_refused(&self, handler: impl Fn(String) + 'static) {
        let listener = Closure::<dyn FnMut(JsValue)>::new(move |error: JsValue| {
            handler(refusal_reason(&error).unwrap_or_default());
        });
        self.raw
            .on("connect_error", listener.as_ref().unchecked_ref());
        self.listeners
            .borrow_mut()
            .push(("connect_error", listener));
    }

    /// Calls `handler` when the connection comes up, drops, or is refused.
    pub fn on_state(&self, handler: impl Fn(ConnectionState) + 'static) {
        let handler = Rc::new(handler);
        for (name, state) in [
            ("connect", ConnectionState::Connected),
            ("disconnect", ConnectionState::Reconnecting),
            ("connect_error", ConnectionState::Reconnecting),
        ] {
            let handler = handler.clone();
            let listener = Closure::<dyn FnMut(JsValue)>::new(move |_| handler(state));
            self.raw.on(name, listener.as_ref().unchecked_ref());
            self.listeners.borrow_mut().push((name, listener));
        }
    }
}

impl Drop for SocketClient {
    fn drop(&mut self) {
        for (name, listener) in self.listeners.borrow().iter() {
            self.raw.off(name, listener.as_ref().unchecked_ref());
        }
    }
}

/// The server's reason in a `connect_error` (its `message`).
fn refusal_reason(error: &JsValue) -> Option<String> {
    Reflect::get(error, &"message".into())
        .ok()
        .and_then(|message| message.as_string())
}

/// The wait before retry number `attempt` (from 0) of a refused handshake:
/// half a second, doubling up to 15 s, times a random factor in [0.5, 1.5).
pub fn retry_delay(attempt: u32, random: f64) -> Duration {
    const FIRST_MS: f64 = 500.0;
    const MOST_MS: f64 = 15_000.0;
    let base = (FIRST_MS * 2_f64.powi(attempt.min(16) as i32)).min(MOST_MS);
    Duration::from_millis((base * (0.5 + random.clamp(0.0, 1.0))) as u64)
}

/// A fresh id for a message about to be sent (`crypto.randomUUID`, or a
/// random string where that is not available).
pub fn new_client_id() -> String {
    web_sys::window()
        .and_then(|window| window.crypto().ok())
        .map(|crypto| crypto.random_uuid())
        .unwrap_or_else(|| {
            format!(
                "{:x}{:x}",
                (js_sys::Math::random() * 1e15) as u64,
                js_sys::Date::now() as u64
            )
        })
}

#[cfg(test)]
mod tests {
    use super::retry_delay;
    use std::time::Duration;

    #[test]
    fn retries_back_off_with_jitter_and_a_ceiling() {
        assert_eq!(retry_delay(0, 0.5), Duration::from_millis(500));
        assert_eq!(retry_delay(1, 0.5), Duration::from_millis(1000));
        assert_eq!(retry_delay(0, 0.0), Duration::from_millis(250));
        assert_eq!(retry_delay(0, 0.999_999), Duration::from_millis(749));
        assert_eq!(retry_delay(10, 0.5), Duration::from_secs(15));
        assert_eq!(retry_delay(u32::MAX, 1.0), Duration::from_millis(22_500));
    }
}
