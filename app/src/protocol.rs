//! The wire: every request, reply and error that crosses between a client and
//! the server. JSON is camelCase; ids are opaque strings.
//!
//! HTTP (non-browser clients: bots, tests, the benchmark):
//!
//! | request | body | reply |
//! |---|---|---|
//! | `POST /api/auth/signup` | [`SignupRequest`] | 201 [`AuthReply`] |
//! | `POST /api/auth/login`  | [`LoginRequest`]  | 200 [`AuthReply`]; 401 `invalid_credentials` |
//! | `POST /api/auth/logout` | — (cookie or `Authorization: Bearer`) | 204 |
//! | `GET /api/me`           | — | 200 [`User`] or 401 `unauthorized` |
//!
//! Every error is an [`ErrorReply`]: `{"error": {"code": "...", "message": "..."}}`.

use crate::model::{User, ValidationError};
use serde::{Deserialize, Serialize};

/// `POST /api/auth/signup`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignupRequest {
    pub username: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// `POST /api/auth/login`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The reply to a successful sign-up or login: a bearer token and who it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthReply {
    pub token: String,
    pub user: User,
}

/// Machine-readable reason for a refusal; `snake_case` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidUsername,
    InvalidPassword,
    InvalidDisplayName,
    UsernameTaken,
    InvalidCredentials,
    Unauthorized,
    OriginNotAllowed,
    BadRequest,
    NotFound,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidUsername => "invalid_username",
            Self::InvalidPassword => "invalid_password",
            Self::InvalidDisplayName => "invalid_display_name",
            Self::UsernameTaken => "username_taken",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Unauthorized => "unauthorized",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::BadRequest => "bad_request",
            Self::NotFound => "not_found",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// Parses a code as it appears on the wire (or in a page's query string).
    pub fn parse(code: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
    }
}

/// A refusal: its code and a sentence a person can read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} ({code:?})")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        let code = match error {
            ValidationError::Username => ErrorCode::InvalidUsername,
            ValidationError::Password => ErrorCode::InvalidPassword,
            ValidationError::DisplayName => ErrorCode::InvalidDisplayName,
        };
        Self::new(code, error.to_string())
    }
}

/// The body of every HTTP error: `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    pub error: ApiError,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_reply_has_the_documented_shape() {
        let reply = ErrorReply { error: ApiError::new(ErrorCode::UsernameTaken, "taken") };
        assert_eq!(
            serde_json::to_value(&reply).unwrap(),
            json!({"error": {"code": "username_taken", "message": "taken"}})
        );
    }

    #[test]
    fn error_codes_round_trip_through_their_wire_names() {
        for code in [ErrorCode::InvalidUsername, ErrorCode::Unauthorized, ErrorCode::Internal] {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }

    #[test]
    fn signup_display_name_is_optional_and_camel_case() {
        let request: SignupRequest =
            serde_json::from_value(json!({"username": "mike", "password": "pw", "displayName": "Mike"}))
                .unwrap();
        assert_eq!(request.display_name.as_deref(), Some("Mike"));
        let bare: SignupRequest =
            serde_json::from_value(json!({"username": "mike", "password": "pw"})).unwrap();
        assert_eq!(bare.display_name, None);
    }
}
