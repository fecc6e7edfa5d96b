//! Every HTTP error is `{"error": {"code", "message"}}` with a fitting status.

use crate::auth::{AuthError, retry_after_secs};
use app::protocol::{ApiError, ErrorCode, ErrorReply};
use axum::{
    extract::{FromRequest, rejection::JsonRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// An HTTP refusal: the error, and when to try again (`Retry-After`, seconds).
#[derive(Debug)]
pub struct HttpError {
    pub error: ApiError,
    pub retry_after: Option<u64>,
}

impl From<ApiError> for HttpError {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

impl From<crate::store::StoreError> for HttpError {
    fn from(error: crate::store::StoreError) -> Self {
        ApiError::from(error).into()
    }
}

impl From<crate::push::PushError> for HttpError {
    fn from(error: crate::push::PushError) -> Self {
        ApiError::from(error).into()
    }
}

impl From<crate::admin::AdminError> for HttpError {
    fn from(error: crate::admin::AdminError) -> Self {
        match error {
            crate::admin::AdminError::Auth(auth) => auth.into(),
            other => ApiError::from(other).into(),
        }
    }
}

impl From<AuthError> for HttpError {
    fn from(error: AuthError) -> Self {
        let retry_after = match &error {
            AuthError::Throttled { retry_after } => Some(retry_after_secs(*retry_after)),
            AuthError::Busy => Some(1),
            _ => None,
        };
        Self {
            error: error.into(),
            retry_after,
        }
    }
}

fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidUsername
        | ErrorCode::InvalidPassword
        | ErrorCode::InvalidDisplayName
        | ErrorCode::InvalidBody
        | ErrorCode::InvalidClientId
        | ErrorCode::InvalidGroupName
        | ErrorCode::InvalidDescription
        | ErrorCode::InvalidMembers
        | ErrorCode::InvalidEmoji => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::NotMember
        | ErrorCode::NotAuthor
        | ErrorCode::NotAdmin
        | ErrorCode::Blocked
        | ErrorCode::CannotAdd
        | ErrorCode::NotAllowed => StatusCode::FORBIDDEN,
        ErrorCode::NotGroup => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::TooManyPinned => StatusCode::CONFLICT,
        ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::Deleted => StatusCode::GONE,
        ErrorCode::TooManyReactions => StatusCode::CONFLICT,
        ErrorCode::UserNotFound => StatusCode::NOT_FOUND,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::UsernameTaken => StatusCode::CONFLICT,
        ErrorCode::InvalidCredentials | ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::BadRequest | ErrorCode::InvalidSubscription => StatusCode::BAD_REQUEST,
        ErrorCode::OriginNotAllowed | ErrorCode::SignupClosed | ErrorCode::Deactivated => {
            StatusCode::FORBIDDEN
        }
        ErrorCode::InvalidLink => StatusCode::GONE,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for HttpError {
    /// The one place an HTTP failure is logged, with its cause.
    fn into_response(self) -> Response {
        let status = status_of(self.error.code);
        if self.error.is_failure() {
            tracing::warn!(
                code = self.error.code.as_str(),
                cause = self.error.cause.as_deref().unwrap_or(&self.error.message),
                "request failed"
            );
        }
        let mut response = (status, axum::Json(ErrorReply { error: self.error })).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// `axum::Json`, but a body that does not parse is refused with our error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(HttpError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for HttpError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::new(ErrorCode::BadRequest, rejection.body_text()).into()
    }
}
