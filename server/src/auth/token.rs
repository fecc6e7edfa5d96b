//! Session tokens: 256 random bits, given to the client once, stored only as a
//! SHA-256 hash.

use axum::http::{HeaderMap, header};
use axum_extra::extract::CookieJar;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The browser's session cookie (see `http::cookie`).
pub const SESSION_COOKIE: &str = "parley_session";

/// The token a request carries: the bearer header first, then the cookie.
pub fn session_token(headers: &HeaderMap) -> Option<SessionToken> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(SessionToken::from_client);
    bearer.or_else(|| {
        CookieJar::from_headers(headers)
            .get(SESSION_COOKIE)
            .map(|cookie| SessionToken::from_client(cookie.value()))
    })
}

#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token as a client presented it. Anything is accepted here: a wrong
    /// token simply matches no session.
    pub fn from_client(raw: &str) -> Self {
        Self(raw.trim().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database keeps.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(***)")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_differ() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(a.as_str()).unwrap().len(), 32);
    }

    #[test]
    fn the_stored_hash_is_not_the_token() {
        let token = SessionToken::generate();
        assert_eq!(token.hash().len(), 64);
        assert!(!token.hash().contains(token.as_str()));
        assert_eq!(
            token.hash(),
            SessionToken::from_client(token.as_str()).hash()
        );
    }
}
