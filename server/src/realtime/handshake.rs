//! The Socket.IO handshake: who is connecting (the `parley_session` cookie, or
//! `auth: {token}`), and from which page (`Origin`). A refusal reaches the
//! client as `connect_error` with the message `unauthorized`,
//! `origin_not_allowed`, `too_many_sockets` or `unavailable`.

use crate::auth::{AuthError, AuthService, OriginPolicy, SessionToken, session_token};
use app::model::User;
use axum::{
    extract::{OriginalUri, Request},
    http::{HeaderName, HeaderValue, Uri},
};
use serde::Deserialize;
use socketioxide::{adapter::Adapter, extract::SocketRef};

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

/// Who is connecting, and under which sign-in (its sockets end with it).
pub struct SignedIn {
    pub user: User,
    pub token_hash: String,
}

/// Who is connecting, or why they may not. An expired or ended session is
/// `unauthorized`.
pub async fn check<A: Adapter>(
    socket: &SocketRef<A>,
    auth: Option<HandshakeAuth>,
    auth_service: &AuthService,
    origins: &OriginPolicy,
) -> Result<SignedIn, HandshakeError> {
    let headers = &socket.req_parts().headers;
    if !origins.permits(headers) {
        return Err(HandshakeError::OriginNotAllowed);
    }
    let token = auth
        .and_then(|auth| auth.token)
        .map(|token| SessionToken::from_client(&token))
        .or_else(|| session_token(headers))
        .ok_or(HandshakeError::Unauthorized)?;
    let user = auth_service
        .authenticate(&token)
        .await
        .map_err(|error| match error {
            AuthError::Store(_) => HandshakeError::Unavailable,
            _ => HandshakeError::Unauthorized,
        })?;
    Ok(SignedIn {
        user,
        token_hash: token.hash(),
    })
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
