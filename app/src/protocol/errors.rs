//! Errors on the wire: a code a program can act on and a sentence a person can read.

use crate::model::ValidationError;
use serde::{Deserialize, Serialize};

/// Machine-readable reason for a refusal; `snake_case` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidUsername,
    InvalidPassword,
    InvalidDisplayName,
    InvalidBody,
    InvalidClientId,
    InvalidGroupName,
    /// A group description over 500 characters.
    InvalidDescription,
    InvalidMembers,
    UsernameTaken,
    InvalidCredentials,
    Unauthorized,
    OriginNotAllowed,
    BadRequest,
    NotFound,
    UserNotFound,
    NotMember,
    /// Only the author may edit or delete a message.
    NotAuthor,
    /// The message was deleted: it cannot be edited, reacted to or replied to.
    Deleted,
    InvalidEmoji,
    /// One person may put at most `Reaction::MAX_PER_USER` emoji on a message.
    TooManyReactions,
    /// Only a group's admins may rename it, add, remove or appoint people.
    NotAdmin,
    /// Direct chats have no names, roles or membership changes.
    NotGroup,
    /// The other person does not take messages from you.
    Blocked,
    /// Someone named does not let you add them to groups (their
    /// `groupAdds` setting); the message names them.
    CannotAdd,
    /// At most `ChatSummary::MAX_PINNED` chats are pinned.
    TooManyPinned,
    /// An upload over the size cap (HTTP 413).
    TooLarge,
    /// An upload whose bytes are not of a kind we take (HTTP 415).
    UnsupportedType,
    /// Sign-up is closed, or by invitation and none valid came with it
    /// (HTTP 403).
    SignupClosed,
    /// The account was deactivated by an instance admin (HTTP 403).
    Deactivated,
    /// A password-reset link that is unknown, used or expired (HTTP 410).
    InvalidLink,
    /// A push subscription whose endpoint is not `https://` to a public
    /// address, or whose keys are not a P-256 point and a 16-byte secret
    /// (HTTP 400).
    InvalidSubscription,
    /// Refused to this person in particular: a group's admins removed them
    /// (they need to be added again), or the invite link's maker blocked
    /// them (HTTP 403).
    NotAllowed,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidUsername => "invalid_username",
            Self::InvalidPassword => "invalid_password",
            Self::InvalidDisplayName => "invalid_display_name",
            Self::InvalidBody => "invalid_body",
            Self::InvalidClientId => "invalid_client_id",
            Self::InvalidGroupName => "invalid_group_name",
            Self::InvalidDescription => "invalid_description",
            Self::InvalidMembers => "invalid_members",
            Self::UsernameTaken => "username_taken",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Unauthorized => "unauthorized",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::BadRequest => "bad_request",
            Self::NotFound => "not_found",
            Self::UserNotFound => "user_not_found",
            Self::NotMember => "not_member",
            Self::NotAuthor => "not_author",
            Self::Deleted => "deleted",
            Self::InvalidEmoji => "invalid_emoji",
            Self::TooManyReactions => "too_many_reactions",
            Self::NotAdmin => "not_admin",
            Self::NotGroup => "not_group",
            Self::Blocked => "blocked",
            Self::CannotAdd => "cannot_add",
            Self::TooManyPinned => "too_many_pinned",
            Self::TooLarge => "too_large",
            Self::UnsupportedType => "unsupported_type",
            Self::SignupClosed => "signup_closed",
            Self::Deactivated => "deactivated",
            Self::InvalidLink => "invalid_link",
            Self::InvalidSubscription => "invalid_subscription",
            Self::NotAllowed => "not_allowed",
            Self::RateLimited => "rate_limited",
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
    /// What really went wrong, for the server's log only (never on the wire):
    /// the boundary that answers the client logs it, once.
    #[serde(skip)]
    pub cause: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            cause: None,
        }
    }

    /// Adds the cause the server logs (the client sees only code and message).
    pub fn caused_by(mut self, cause: impl std::fmt::Display) -> Self {
        self.cause = Some(cause.to_string());
        self
    }

    /// The server's fault or a dependency's outage: worth a line in the log.
    pub fn is_failure(&self) -> bool {
        matches!(self.code, ErrorCode::Internal | ErrorCode::Unavailable)
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        let code = match error {
            ValidationError::Username => ErrorCode::InvalidUsername,
            ValidationError::Password => ErrorCode::InvalidPassword,
            ValidationError::DisplayName => ErrorCode::InvalidDisplayName,
            ValidationError::Body => ErrorCode::InvalidBody,
            ValidationError::ClientId => ErrorCode::InvalidClientId,
            ValidationError::GroupName => ErrorCode::InvalidGroupName,
            ValidationError::GroupDescription => ErrorCode::InvalidDescription,
            ValidationError::Emoji => ErrorCode::InvalidEmoji,
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
        let reply = ErrorReply {
            error: ApiError::new(ErrorCode::UsernameTaken, "taken"),
        };
        assert_eq!(
            serde_json::to_value(&reply).unwrap(),
            json!({"error": {"code": "username_taken", "message": "taken"}})
        );
    }

    #[test]
    fn error_codes_round_trip_through_their_wire_names() {
        for code in [
            ErrorCode::InvalidUsername,
            ErrorCode::Unauthorized,
            ErrorCode::InvalidSubscription,
            ErrorCode::NotAllowed,
            ErrorCode::Internal,
        ] {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }
}
