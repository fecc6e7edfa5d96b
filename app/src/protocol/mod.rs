//! The wire: every request, reply, event and error that crosses between a client
//! and the server. JSON is camelCase; ids are opaque strings. `docs/PROTOCOL.md`
//! is the same contract in prose, for clients in any language.
//!
//! - [`http`]: accounts over HTTP.
//! - [`socket`]: the Socket.IO events, client → server ([`ClientEvent`], each with
//!   its reply) and server → client ([`ServerEvent`]).
//! - [`errors`]: the error codes.

pub mod errors;
pub mod http;
pub mod socket;

pub use errors::*;
pub use http::*;
pub use socket::*;

use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// A client → server event: its name on the wire, its payload (`Self`) and the
/// reply its ack carries.
pub trait ClientEvent: Serialize + DeserializeOwned + Send + Sync + 'static {
    const NAME: &'static str;
    type Reply: Serialize + DeserializeOwned + Send + Sync + 'static;
}

/// A server → client event: its name on the wire and its payload (`Self`).
pub trait ServerEvent: Serialize + DeserializeOwned + Send + Sync + 'static {
    const NAME: &'static str;
}

/// Every ack's payload: exactly `{"ok": <reply>}` or `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ack<T> {
    Ok(T),
    Error(ApiError),
}

impl<T> From<Result<T, ApiError>> for Ack<T> {
    fn from(result: Result<T, ApiError>) -> Self {
        match result {
            Ok(reply) => Self::Ok(reply),
            Err(error) => Self::Error(error),
        }
    }
}

impl<T> From<Ack<T>> for Result<T, ApiError> {
    fn from(ack: Ack<T>) -> Self {
        match ack {
            Ack::Ok(reply) => Ok(reply),
            Ack::Error(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_ack_is_ok_or_error_and_nothing_else() {
        let ok: Ack<Done> = Ack::Ok(Done {});
        assert_eq!(serde_json::to_value(&ok).unwrap(), json!({"ok": {}}));
        let error: Ack<Done> = Ack::Error(ApiError::new(ErrorCode::NotMember, "not yours"));
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            json!({"error": {"code": "not_member", "message": "not yours"}})
        );
        let back: Ack<Done> = serde_json::from_value(json!({"ok": {}})).unwrap();
        assert_eq!(Result::from(back), Ok(Done {}));
    }
}
