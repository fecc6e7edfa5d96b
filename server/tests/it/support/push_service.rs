//! A push service on loopback standing in for FCM, Mozilla's autopush and
//! the rest: it keeps every request, answers as the test scripts it, and
//! devices that hold their own keys read what was pushed to them.

use app::protocol::{PushPayload, PushSubscription, PushSubscriptionKeys};
use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::post,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::Notify;
use web_push_native::{
    Auth,
    jwt_simple::{
        algorithms::{ECDSAP256PublicKeyLike, ES256PublicKey},
        claims::NoCustomClaims,
        common::VerificationOptions,
    },
    p256::{SecretKey, elliptic_curve::sec1::ToEncodedPoint},
};

/// A request the service took: to which device, its headers and body.
#[derive(Clone, Debug)]
pub struct Received {
    pub device: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// What the service answered.
    pub status: u16,
}

#[derive(Default)]
struct Book {
    received: Vec<Received>,
    /// Answers to give each device, in order (then 201).
    script: HashMap<String, VecDeque<(u16, Option<u64>)>>,
}

#[derive(Clone, Default)]
struct Shared {
    book: Arc<Mutex<Book>>,
    arrived: Arc<Notify>,
}

pub struct PushService {
    pub addr: SocketAddr,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl PushService {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().expect("an address")).await
    }

    /// On `addr` (a port a test chose before it listened).
    pub async fn start_on(addr: SocketAddr) -> Self {
        let shared = Shared::default();
        let router = Router::new()
            .route("/push/{device}", post(take))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("the push service binds");
        let addr = listener.local_addr().expect("bound");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            addr,
            shared,
            server,
        }
    }

    /// The origin pushes are signed for (VAPID's `aud`).
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `device` is answered `status` next (with `Retry-After` when given).
    pub fn answer_next(&self, device: &str, status: u16, retry_after: Option<u64>) {
        self.book()
            .script
            .entry(device.to_owned())
            .or_default()
            .push_back((status, retry_after));
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.book().received.clone()
    }

    /// Waits until `count` requests have come (all devices), within `within`.
    pub async fn until_received(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let arrived = self.shared.arrived.notified();
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(
                !left.is_zero(),
                "the push service got {} requests, not {count}: {received:#?}",
                received.len()
            );
            let _ = tokio::time::timeout(left, arrived).await;
        }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.shared.book.lock().expect("the book")
    }
}

impl Drop for PushService {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn take(
    State(shared): State<Shared>,
    Path(device): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let (status, retry_after) = {
        let mut book = shared.book.lock().expect("the book");
        let (status, retry_after) = book
            .script
            .get_mut(&device)
            .and_then(VecDeque::pop_front)
            .unwrap_or((201, None));
        book.received.push(Received {
            device,
            headers,
            body,
            status,
        });
        (status, retry_after)
    };
    shared.arrived.notify_waiters();
    let mut answer = HeaderMap::new();
    if let Some(seconds) = retry_after {
        answer.insert("Retry-After", seconds.into());
    }
    (StatusCode::from_u16(status).expect("a status"), answer, "")
}

/// A browser's push subscription: its own keys, as `PushManager` makes them.
pub struct Device {
    pub name: String,
    secret: SecretKey,
    auth: [u8; 16],
}

impl Device {
    pub fn new(name: &str) -> Self {
        let mut auth = [0u8; 16];
        rand::fill(&mut auth);
        Self {
            name: name.to_owned(),
            secret: secret_key(),
            auth,
        }
    }

    pub fn endpoint(&self, service: &PushService) -> String {
        format!("{}/push/{}", service.origin(), self.name)
    }

    /// What `PushSubscription.toJSON()` gives.
    pub fn subscription(&self, service: &PushService) -> PushSubscription {
        let point = self.secret.public_key().to_encoded_point(false);
        PushSubscription {
            endpoint: self.endpoint(service),
            keys: PushSubscriptionKeys {
                p256dh: URL_SAFE_NO_PAD.encode(point.as_bytes()),
                auth: URL_SAFE_NO_PAD.encode(self.auth),
            },
        }
    }

    /// What a push to this device says, decrypted with its own keys.
    pub fn read(&self, received: &Received) -> PushPayload {
        let auth = Auth::clone_from_slice(&self.auth);
        let plain = web_push_native::decrypt(received.body.to_vec(), &self.secret, &auth)
            .expect("the push decrypts with the device's keys");
        serde_json::from_slice(&plain).expect("the payload is JSON")
    }
}

/// A random P-256 private key (a random scalar; retried on the
/// vanishingly rare one out of range).
fn secret_key() -> SecretKey {
    loop {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        if let Ok(key) = SecretKey::from_slice(&bytes) {
            return key;
        }
    }
}

/// Checks a push's VAPID signature (RFC 8292): `vapid t=<JWT>, k=<key>`, the
/// key the instance publishes, the JWT signed by it for the service's
/// origin and expiring within a day. The JWT's claims.
pub fn check_vapid(received: &Received, public_key: &str, audience: &str) {
    let authorization = received
        .headers
        .get("authorization")
        .expect("an Authorization header")
        .to_str()
        .expect("text");
    let rest = authorization
        .strip_prefix("vapid ")
        .expect("the vapid scheme");
    let mut token = None;
    let mut key = None;
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=').expect("name=value");
        match name {
            "t" => token = Some(value.to_owned()),
            "k" => key = Some(value.to_owned()),
            _ => {}
        }
    }
    let (token, key) = (token.expect("t="), key.expect("k="));
    assert_eq!(
        key, public_key,
        "signed with the key the instance publishes"
    );
    let verifier = ES256PublicKey::from_bytes(
        &URL_SAFE_NO_PAD
            .decode(key.as_bytes())
            .expect("the key is base64url"),
    )
    .expect("a P-256 key");
    let options = VerificationOptions {
        allowed_audiences: Some(std::iter::once(audience.to_owned()).collect()),
        ..Default::default()
    };
    let claims = verifier
        .verify_token::<NoCustomClaims>(&token, Some(options))
        .expect("the signature verifies, for this audience, unexpired");
    let expires = claims.expires_at.expect("an expiry");
    let issued = claims.issued_at.expect("issued at");
    assert!(
        expires.as_secs() <= issued.as_secs() + 24 * 60 * 60,
        "VAPID tokens last no longer than a day"
    );
    assert_eq!(
        claims.subject.as_deref(),
        Some("mailto:ops@parley.test"),
        "the instance's contact"
    );
}
