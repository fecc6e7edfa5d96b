//! Every HTTP error is `{"error": {"code", "message"}}` with a fitting status.

use crate::auth::AuthError;
use app::protocol::{ApiError, ErrorCode, ErrorReply};
use axum::{
    extract::{FromRequest, rejection::JsonRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};

#[derive(Debug)]
pub struct HttpError(pub ApiError);

impl From<ApiError> for HttpError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl From<AuthError> for HttpError {
    fn from(error: AuthError) -> Self {
        Self(error.into())
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
        | ErrorCode::InvalidMembers => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::NotMember => StatusCode::FORBIDDEN,
        ErrorCode::UserNotFound => StatusCode::NOT_FOUND,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::UsernameTaken => StatusCode::CONFLICT,
        ErrorCode::InvalidCredentials | ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
        ErrorCode::OriginNotAllowed => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = status_of(self.0.code);
        (status, axum::Json(ErrorReply { error: self.0 })).into_response()
    }
}

/// `axum::Json`, but a body that does not parse is refused with our error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(HttpError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for HttpError {
    fn from(rejection: JsonRejection) -> Self {
        Self(ApiError::new(ErrorCode::BadRequest, rejection.body_text()))
    }
}
