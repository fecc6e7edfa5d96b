//! The Socket.IO handshake: who is connecting (the `parley_session` cookie, or
//! `auth: {token}`), and from which page (`Origin`). A refusal reaches the
//! client as `connect_error` with the message `unauthorized`,
//! `origin_not_allowed` or `unavailable`.

use crate::auth::{AuthError, AuthService, OriginPolicy, SessionToken, session_token};
use app::model::User;
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
}

/// Who is connecting, or why they may not.
pub async fn check<A: Adapter>(
    socket: &SocketRef<A>,
    auth: Option<HandshakeAuth>,
    auth_service: &AuthService,
    origins: &OriginPolicy,
) -> Result<User, HandshakeError> {
    let headers = &socket.req_parts().headers;
    if !origins.permits(headers) {
        return Err(HandshakeError::OriginNotAllowed);
    }
    let token = auth
        .and_then(|auth| auth.token)
        .map(|token| SessionToken::from_client(&token))
        .or_else(|| session_token(headers))
        .ok_or(HandshakeError::Unauthorized)?;
    auth_service
        .authenticate(&token)
        .await
        .map_err(|error| match error {
            AuthError::Store(_) => HandshakeError::Unavailable,
            _ => HandshakeError::Unauthorized,
        })
}
