//! A typed Socket.IO client for tests, over rust_socketio: it emits through the
//! protocol's event types and collects server events by name.
//!
//! rust_socketio 0.6 quirks handled here: emit only after its `Connect` event; a
//! refused handshake still returns Ok from `connect()` and shows in the `Error`
//! callback; ack data arrives wrapped in one more array; ack ids are random in
//! 0..999, so each client keeps one ack in flight.

use app::protocol::{Ack, ApiError, ClientEvent, ServerEvent};
use futures::FutureExt;
use rust_socketio::{
    Event, Payload, TransportType,
    asynchronous::{Client, ClientBuilder},
};
use serde_json::{Value, json};
use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::{Notify, oneshot};

/// How long a test waits for something that should happen.
pub const PATIENCE: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Inbox {
    events: Mutex<HashMap<String, VecDeque<Value>>>,
    arrived: Notify,
    /// The server closed the connection.
    closed: std::sync::atomic::AtomicBool,
}

pub struct SocketClient {
    client: Client,
    inbox: Arc<Inbox>,
}

/// How the handshake authenticates.
pub enum Credentials<'a> {
    Token(&'a str),
    Cookie(&'a str),
    Nothing,
}

/// The first argument of an event or ack, unwrapping rust_socketio's extra array.
fn first_argument(payload: Payload) -> Value {
    match payload {
        Payload::Text(mut values) if !values.is_empty() => match values.remove(0) {
            Value::Array(mut inner) if values.is_empty() && inner.len() == 1 => inner.remove(0),
            value => value,
        },
        _ => Value::Null,
    }
}

impl SocketClient {
    /// Connects with a token and waits until the server has let it in.
    pub async fn connect(addr: SocketAddr, token: &str) -> Self {
        match Self::try_connect(addr, Credentials::Token(token), None).await {
            Ok(client) => client,
            Err(message) => panic!("connect refused: {message}"),
        }
    }

    /// Connects; `Err` carries the server's `connect_error` message.
    pub async fn try_connect(
        addr: SocketAddr,
        credentials: Credentials<'_>,
        origin: Option<&str>,
    ) -> Result<Self, String> {
        let inbox = Arc::new(Inbox::default());
        let (outcome_tx, outcome_rx) = oneshot::channel::<Result<(), String>>();
        let outcome_tx = Arc::new(Mutex::new(Some(outcome_tx)));
        let settle = move |outcome: Result<(), String>| {
            if let Some(tx) = outcome_tx.lock().ok().and_then(|mut tx| tx.take()) {
                let _ = tx.send(outcome);
            }
        };
        let on_connect = settle.clone();
        let on_error = settle;
        let mut builder = ClientBuilder::new(format!("http://{addr}"))
            .namespace("/")
            .transport_type(TransportType::Websocket)
            .reconnect(false)
            .on(Event::Connect, move |_, _| {
                on_connect(Ok(()));
                async {}.boxed()
            })
            .on(Event::Error, move |payload, _| {
                on_error(Err(format!("{payload:?}")));
                async {}.boxed()
            })
            .on(Event::Close, {
                let inbox = inbox.clone();
                move |_, _| {
                    inbox
                        .closed
                        .store(true, std::sync::atomic::Ordering::SeqCst);
                    inbox.arrived.notify_waiters();
                    async {}.boxed()
                }
            })
            .on_any({
                let inbox = inbox.clone();
                move |event, payload, _| {
                    let inbox = inbox.clone();
                    async move {
                        if let Event::Custom(name) = event {
                            let value = first_argument(payload);
                            inbox
                                .events
                                .lock()
                                .expect("inbox")
                                .entry(name)
                                .or_default()
                                .push_back(value);
                            inbox.arrived.notify_waiters();
                        }
                    }
                    .boxed()
                }
            });
        builder = match credentials {
            Credentials::Token(token) => builder.auth(json!({ "token": token })),
            Credentials::Cookie(token) => {
                builder.opening_header("Cookie", format!("parley_session={token}"))
            }
            Credentials::Nothing => builder,
        };
        if let Some(origin) = origin {
            builder = builder.opening_header("Origin", origin);
        }
        let client = builder.connect().await.map_err(|error| error.to_string())?;
        match tokio::time::timeout(PATIENCE, outcome_rx).await {
            Ok(Ok(Ok(()))) => Ok(Self { client, inbox }),
            Ok(Ok(Err(message))) => Err(message),
            _ => Err("no answer to the handshake".into()),
        }
    }

    /// Emits `E` and waits for its ack: the typed reply or the typed error.
    pub async fn emit<E: ClientEvent>(&self, event: &E) -> Result<E::Reply, ApiError> {
        let payload = serde_json::to_value(event).expect("payload serialises");
        let ack = self.emit_raw(E::NAME, payload).await;
        let ack: Ack<E::Reply> = serde_json::from_value(ack.clone())
            .unwrap_or_else(|error| panic!("ack {ack} is not an Ack: {error}"));
        ack.into()
    }

    /// Emits `E`; `None` when no ack comes (the server is gone).
    pub async fn try_emit<E: ClientEvent>(&self, event: &E) -> Option<Result<E::Reply, ApiError>> {
        let payload = serde_json::to_value(event).expect("payload serialises");
        let ack = self.ack_of(E::NAME, payload).await?;
        let ack: Ack<E::Reply> = serde_json::from_value(ack).ok()?;
        Some(ack.into())
    }

    /// Emits anything (for malformed input) and returns the raw ack.
    pub async fn emit_raw(&self, name: &str, payload: Value) -> Value {
        self.ack_of(name, payload).await.expect("an ack in time")
    }

    /// The ack's argument, or `None` when none came within [`PATIENCE`].
    pub async fn ack_of(&self, name: &str, payload: Value) -> Option<Value> {
        let (tx, rx) = oneshot::channel();
        let tx = Arc::new(Mutex::new(Some(tx)));
        self.client
            .emit_with_ack(name, payload, PATIENCE, move |payload, _| {
                if let Some(tx) = tx.lock().ok().and_then(|mut tx| tx.take()) {
                    let _ = tx.send(first_argument(payload));
                }
                async {}.boxed()
            })
            .await
            .ok()?;
        tokio::time::timeout(PATIENCE, rx).await.ok()?.ok()
    }

    /// The next `E` to arrive (or one that already has), waiting up to [`PATIENCE`].
    pub async fn next<E: ServerEvent>(&self) -> E {
        self.next_where(|_: &E| true).await
    }

    /// The next `E` matching `wanted`, skipping (and dropping) others before it.
    pub async fn next_where<E: ServerEvent>(&self, wanted: impl Fn(&E) -> bool) -> E {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let arrived = self.inbox.arrived.notified();
            if let Some(event) = self.take_where(&wanted) {
                return event;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("no {} arrived within {PATIENCE:?}", E::NAME);
            }
        }
    }

    fn take_where<E: ServerEvent>(&self, wanted: &impl Fn(&E) -> bool) -> Option<E> {
        let mut events = self.inbox.events.lock().expect("inbox");
        let queue = events.get_mut(E::NAME)?;
        while let Some(value) = queue.pop_front() {
            let event: E = serde_json::from_value(value.clone())
                .unwrap_or_else(|error| panic!("{} {value} does not parse: {error}", E::NAME));
            if wanted(&event) {
                return Some(event);
            }
        }
        None
    }

    /// A round trip to the server: everything the server sent this socket
    /// before it handled this request has arrived once it returns (one
    /// connection delivers in order).
    pub async fn sync(&self) {
        self.emit(&app::protocol::ListChats::first())
            .await
            .expect("a round trip");
    }

    /// Asserts that no `E` was sent to this socket before now: call it once
    /// whatever might have sent one has finished on the server (an ack came
    /// back, a disconnect was handled). A round trip flushes the connection,
    /// so no waiting on the clock is involved.
    pub async fn assert_none<E: ServerEvent + std::fmt::Debug>(&self) {
        self.sync().await;
        if let Some(event) = self.take_where(&|_: &E| true) {
            panic!("unexpected {}: {event:?}", E::NAME);
        }
    }

    /// Waits until the server has closed this connection.
    pub async fn closed_by_server(&self) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let arrived = self.inbox.arrived.notified();
            if self.inbox.closed.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("the server did not close the socket within {PATIENCE:?}");
            }
        }
    }

    /// Whether the connection is still open (as far as this client knows).
    pub fn is_open(&self) -> bool {
        !self.inbox.closed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every `E` received so far and not yet taken, in order.
    pub fn drain<E: ServerEvent>(&self) -> Vec<E> {
        let mut events = Vec::new();
        while let Some(event) = self.take_where(&|_: &E| true) {
            events.push(event);
        }
        events
    }

    /// Forgets every event received so far.
    pub fn clear(&self) {
        self.inbox.events.lock().expect("inbox").clear();
    }

    pub async fn disconnect(self) {
        let _ = self.client.disconnect().await;
    }
}
