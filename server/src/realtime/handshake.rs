//! The Socket.IO handshake: who is connecting (the `parley_session` cookie, or
//! `auth: {token}`), and from which page (`Origin`). A refusal reaches the
//! client as `connect_error` with the message `unauthorized`,
//! `origin_not_allowed`, `too_many_sockets` or `unavailable`.

use super::{Cluster, sessions::SessionGate};
use crate::auth::{AuthError, AuthService, OriginPolicy, SessionToken, session_token};
use app::model::User;
use axum::{
    extract::{OriginalUri, Request},
    http::{HeaderName, HeaderValue, Uri},
};
use serde::Deserialize;
use socketioxide::{adapter::Adapter, extract::SocketRef};
use std::sync::Arc;
use tokio::sync::{Semaphore, SemaphorePermit};

#[derive(Debug, Deserialize)]
pub struct HandshakeAuth {
    #[serde(default)]
    token: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error("unauthorized")]
    Unauthorized,
    #[error("origin_not_allowed")]
    OriginNotAllowed,
    #[error("unavailable")]
    Unavailable,
    /// The person holds as many sockets on this node as one may.
    #[error("too_many_sockets")]
    TooManySockets,
}

/// How many handshakes run at once on this node. After a restart thousands
/// of sockets knock in the same second; let in all at once, their look-ups
/// queue at the read pool ahead of the first requests of the sockets already
/// in (everyone's `listChats` took 1–2 s). Taken in turns, people come back
/// as fast as the node can serve them, and those back are served at once:
/// the turns are as many as the read pool's connections.
#[derive(Clone)]
pub struct Intake(Arc<Semaphore>);

impl Intake {
    pub fn new(at_once: usize) -> Self {
        Self(Arc::new(Semaphore::new(at_once.max(1))))
    }

    /// Waits for a turn; the handshake holds it until it is done.
    pub async fn turn(&self) -> Option<SemaphorePermit<'_>> {
        // Never closed, so never refused.
        self.0.acquire().await.ok()
    }
}

/// Who is connecting (in the rooms its sign-in's end disconnects).
pub struct SignedIn {
    pub user: User,
    /// Where they connect from (see `http::client_addr`).
    pub from: std::net::IpAddr,
}

/// Who is connecting, or why they may not. An expired or ended session is
/// `unauthorized`. The socket is in its user's and session's rooms before the
/// session is confirmed, so an end from then on reaches it (`sessions.rs`).
pub async fn check<A: Adapter>(
    socket: &SocketRef<A>,
    auth: Option<HandshakeAuth>,
    auth_service: &AuthService,
    origins: &OriginPolicy,
    gate: &SessionGate,
    trust_forwarded_for: bool,
) -> Result<SignedIn, HandshakeError> {
    let headers = &socket.req_parts().headers;
    let from =
        crate::http::client_addr(headers, &socket.req_parts().extensions, trust_forwarded_for);
    if !origins.permits(headers) {
        return Err(HandshakeError::OriginNotAllowed);
    }
    let token = auth
        .and_then(|auth| auth.token)
        .map(|token| SessionToken::from_client(&token))
        .or_else(|| session_token(headers))
        .ok_or(HandshakeError::Unauthorized)?;
    let checked = gate.check(auth_service, &token).await.map_err(refusal)?;
    socket.join([
        Cluster::<A>::user_room(checked.session.user.id),
        Cluster::<A>::session_room(&token.hash()),
    ]);
    gate.confirm(auth_service, &token, &checked)
        .await
        .map_err(refusal)?;
    Ok(SignedIn {
        user: checked.session.user,
        from,
    })
}

fn refusal(error: AuthError) -> HandshakeError {
    match error {
        AuthError::Store(_) => HandshakeError::Unavailable,
        _ => HandshakeError::Unauthorized,
    }
}

/// Gives a Socket.IO request a head of its own. hyper parses the URI and
/// headers as slices of the connection's read buffer (8–16 KiB), and the
/// engine keeps the request head for as long as the socket lives, so every
/// idle socket would pin that whole buffer. Copying the few hundred bytes
/// that matter lets it go.
pub async fn own_request_head(request: Request) -> Request {
    if !request.uri().path().starts_with("/socket.io") {
        return request;
    }
    let (mut head, body) = request.into_parts();
    head.headers = head
        .headers
        .iter()
        .filter_map(|(name, value)| {
            let value = HeaderValue::from_bytes(value.as_bytes()).ok()?;
            Some((
                HeaderName::from_bytes(name.as_str().as_bytes()).ok()?,
                value,
            ))
        })
        .collect();
    if let Ok(uri) = head.uri.to_string().parse::<Uri>() {
        // axum's router keeps a copy of the URI too.
        if let Some(original) = head.extensions.get_mut::<OriginalUri>() {
            original.0 = uri.clone();
        }
        head.uri = uri;
    }
    Request::from_parts(head, body)
}
