//! Accounts and sessions: passwords, tokens, and who is making a request.

mod error;
mod origin;
pub(crate) mod password;
mod service;
mod token;

pub use error::{AuthError, retry_after_secs};
pub use origin::OriginPolicy;
pub use service::{AuthService, SignedIn, Throttling};
pub use token::{SESSION_COOKIE, SessionToken, session_token};
