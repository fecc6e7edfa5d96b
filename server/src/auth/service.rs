//! Sign-up, login, logout and token look-up. The JSON API, the HTML forms and
//! the Socket.IO handshake all go through here.

use super::{AuthError, SessionToken, password};
use crate::store::{NewSession, NewUser, Store};
use app::model::{DisplayName, Password, User, Username};
use chrono::Utc;
use std::time::Duration;

/// A fresh session: the token to hand to the client, once.
#[derive(Debug)]
pub struct SignedIn {
    pub token: SessionToken,
    pub user: User,
}

#[derive(Clone, Debug)]
pub struct AuthService {
    store: Store,
    session_ttl: Duration,
}

impl AuthService {
    pub fn new(store: Store, session_ttl: Duration) -> Self {
        Self { store, session_ttl }
    }

    pub fn session_ttl(&self) -> Duration {
        self.session_ttl
    }

    /// Creates an account and signs it in. Inputs are raw; they are parsed here.
    pub async fn signup(
        &self,
        username: &str,
        password: String,
        display_name: Option<&str>,
    ) -> Result<SignedIn, AuthError> {
        let username = Username::parse(username)?;
        let password = Password::parse(password)?;
        let display_name = match display_name.map(str::trim).filter(|name| !name.is_empty()) {
            Some(name) => DisplayName::parse(name)?,
            None => DisplayName::from_username(&username),
        };
        let password_hash = password::hash(&password).await?;
        let user = self
            .store
            .create_user(NewUser {
                username: &username,
                display_name: &display_name,
                password_hash,
            })
            .await?;
        tracing::info!(user = %user.id, username = %user.username, "signed up");
        self.start_session(user).await
    }

    pub async fn login(&self, username: &str, password: String) -> Result<SignedIn, AuthError> {
        // A malformed username or password cannot belong to anyone: same answer as a
        // wrong one, so the reply does not hint at the rules of existing accounts.
        let (Ok(username), Ok(password)) = (Username::parse(username), Password::parse(password))
        else {
            return Err(AuthError::InvalidCredentials);
        };
        let stored = self.store.find_user_by_username(&username).await?;
        let hash = stored.as_ref().map(|stored| stored.password_hash.clone());
        // Always verify (against a dummy hash for an unknown user): equal timing.
        let password_matches = password::verify(&password, hash).await;
        match stored {
            Some(stored) if password_matches => self.start_session(stored.user).await,
            _ => Err(AuthError::InvalidCredentials),
        }
    }

    pub async fn logout(&self, token: &SessionToken) -> Result<(), AuthError> {
        self.store.delete_session(&token.hash()).await?;
        Ok(())
    }

    /// The user a token belongs to, if its session is live.
    pub async fn authenticate(&self, token: &SessionToken) -> Result<User, AuthError> {
        self.store
            .find_session_user(&token.hash(), Utc::now())
            .await?
            .ok_or(AuthError::Unauthorized)
    }

    async fn start_session(&self, user: User) -> Result<SignedIn, AuthError> {
        let token = SessionToken::generate();
        let ttl =
            chrono::Duration::from_std(self.session_ttl).unwrap_or(chrono::Duration::days(30));
        self.store
            .create_session(NewSession {
                token_hash: &token.hash(),
                user_id: user.id,
                expires_at: Utc::now() + ttl,
            })
            .await?;
        Ok(SignedIn { token, user })
    }
}
