//! The instance's VAPID key pair (RFC 8292): push services know a
//! subscription's pushes come from the server it was made for by this
//! signature. Made once per instance, kept in the database, so every node
//! signs alike and subscriptions outlive restarts.

use crate::store::{Store, StoreError};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair};

pub struct Vapid {
    key_pair: ES256KeyPair,
    /// base64url of the 65-byte uncompressed public point.
    public_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored VAPID key is not a P-256 private key: {0}")]
    Unreadable(String),
}

impl Vapid {
    /// The instance's key pair: the stored one, or one made and stored now.
    pub async fn of_instance(store: &Store) -> Result<Self, VapidError> {
        let fresh = URL_SAFE_NO_PAD.encode(ES256KeyPair::generate().to_bytes());
        let stored = store.vapid_key(fresh).await?;
        let bytes = URL_SAFE_NO_PAD
            .decode(stored.as_bytes())
            .map_err(|error| VapidError::Unreadable(error.to_string()))?;
        let key_pair = ES256KeyPair::from_bytes(&bytes)
            .map_err(|error| VapidError::Unreadable(error.to_string()))?;
        let public_key = key_pair.public_key().public_key().to_bytes_uncompressed();
        Ok(Self {
            public_key: URL_SAFE_NO_PAD.encode(public_key),
            key_pair,
        })
    }

    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    pub fn key_pair(&self) -> &ES256KeyPair {
        &self.key_pair
    }
}
