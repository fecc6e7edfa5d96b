use crate::store::StoreError;
use app::model::ValidationError;
use std::time::Duration;

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
    /// Sign-up is closed here, or by invitation and none valid came along.
    #[error("{0}")]
    SignupClosed(&'static str),
    #[error("this account has been deactivated")]
    Deactivated,
    /// A password-reset link that is unknown, used or expired.
    #[error("this link has been used or has expired")]
    InvalidLink,
    /// Too many failed attempts (or sign-ups) from this account or address.
    #[error("too many attempts; try again in {} s", retry_after_secs(*retry_after))]
    Throttled { retry_after: Duration },
    /// Every password-hashing slot is taken and the queue is full.
    #[error("the server is busy; try again in a moment")]
    Busy,
    #[error(transparent)]
    Store(StoreError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Whole seconds, rounded up, and at least one: what `Retry-After` says.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0 || wait.is_zero())
}

impl From<StoreError> for AuthError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => Self::UsernameTaken,
            other => Self::Store(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2_001)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
