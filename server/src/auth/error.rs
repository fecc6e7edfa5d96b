use crate::store::StoreError;
use app::{
    model::ValidationError,
    protocol::{ApiError, ErrorCode},
};

/// Why an account or session operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("that username is taken")]
    UsernameTaken,
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("sign in first")]
    Unauthorized,
    #[error(transparent)]
    Store(StoreError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl From<StoreError> for AuthError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => Self::UsernameTaken,
            other => Self::Store(other),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Invalid(invalid) => invalid.into(),
            AuthError::UsernameTaken => ApiError::new(ErrorCode::UsernameTaken, error.to_string()),
            AuthError::InvalidCredentials => {
                ApiError::new(ErrorCode::InvalidCredentials, error.to_string())
            }
            AuthError::Unauthorized => ApiError::new(ErrorCode::Unauthorized, error.to_string()),
            AuthError::Store(store) => store.into(),
            AuthError::Hashing(_) => {
                tracing::error!(%error, "password hashing");
                ApiError::new(ErrorCode::Internal, "internal error")
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => ApiError::new(ErrorCode::BadRequest, "already exists"),
            StoreError::Unavailable(_) => {
                tracing::warn!(%error, "store unavailable");
                ApiError::new(
                    ErrorCode::Unavailable,
                    "the database is unavailable; try again",
                )
            }
            StoreError::Database(_) => {
                tracing::error!(%error, "store");
                ApiError::new(ErrorCode::Internal, "internal error")
            }
        }
    }
}
