//! HTTP (non-browser clients: bots, tests, the benchmark):
//!
//! | request | body | reply |
//! |---|---|---|
//! | `POST /api/auth/signup` | [`SignupRequest`] | 201 [`AuthReply`] |
//! | `POST /api/auth/login`  | [`LoginRequest`]  | 200 [`AuthReply`]; 401 `invalid_credentials` |
//! | `POST /api/auth/logout` | — (cookie or `Authorization: Bearer`) | 204 |
//! | `POST /api/auth/logout-all` | — (signed in) | 204: every session of the user ends |
//! | `POST /api/auth/password` | [`ChangePasswordRequest`] | 204: the other sessions end |
//! | `GET /api/me`           | — | 200 [`User`] or 401 `unauthorized` |
//!
//! Every error is an [`ErrorReply`](super::ErrorReply): `{"error": {"code", "message"}}`;
//! a throttled request is 429 `rate_limited` with `Retry-After` (seconds).

use crate::model::User;
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

/// `POST /api/auth/password`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// `PATCH /api/me`: how the person is shown to others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProfileRequest {
    pub display_name: String,
}

/// The reply to a successful sign-up or login: a bearer token and who it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthReply {
    pub token: String,
    pub user: User,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signup_display_name_is_optional_and_camel_case() {
        let request: SignupRequest = serde_json::from_value(
            json!({"username": "mike", "password": "pw", "displayName": "Mike"}),
        )
        .unwrap();
        assert_eq!(request.display_name.as_deref(), Some("Mike"));
        let bare: SignupRequest =
            serde_json::from_value(json!({"username": "mike", "password": "pw"})).unwrap();
        assert_eq!(bare.display_name, None);
    }
}
