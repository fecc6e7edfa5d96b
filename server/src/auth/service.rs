//! Sign-up, login, logout and token look-up. The JSON API, the HTML forms and
//! the Socket.IO handshake all go through here.

use super::{AuthError, SessionToken, password};
use crate::store::{LiveSession, NewSession, NewUser, Rule, Store};
use app::model::{DisplayName, Password, SignupMode, User, UserId, Username};
use chrono::Utc;
use std::{net::IpAddr, time::Duration};

/// A fresh session: the token to hand to the client, once.
#[derive(Debug)]
pub struct SignedIn {
    pub token: SessionToken,
    pub user: User,
}

/// How much guessing is allowed before requests are refused (`rate_limited`).
#[derive(Clone, Copy, Debug)]
pub struct Throttling {
    /// Failed sign-ins (and password changes) per account.
    pub login_per_account: Rule,
    /// Failed sign-ins per client address (many accounts from one place).
    pub login_per_address: Rule,
    /// Sign-ups per client address, failed or not.
    pub signups_per_address: Rule,
}

#[derive(Clone, Debug)]
pub struct AuthService {
    store: Store,
    session_ttl: Duration,
    throttling: Throttling,
}

fn account_key(username: &Username) -> String {
    format!("login:user:{}", username.as_str())
}

fn login_address_key(from: IpAddr) -> String {
    format!("login:addr:{from}")
}

fn signup_address_key(from: IpAddr) -> String {
    format!("signup:addr:{from}")
}

impl AuthService {
    pub fn new(store: Store, session_ttl: Duration, throttling: Throttling) -> Self {
        Self {
            store,
            session_ttl,
            throttling,
        }
    }

    pub fn session_ttl(&self) -> Duration {
        self.session_ttl
    }

    /// Creates an account and signs it in, if the instance's sign-up mode
    /// lets this person in (an invitation's token, when it asks for one).
    /// Inputs are raw; they are parsed here.
    pub async fn signup(
        &self,
        username: &str,
        password: String,
        display_name: Option<&str>,
        invitation: Option<&str>,
        from: IpAddr,
    ) -> Result<SignedIn, AuthError> {
        let address = signup_address_key(from);
        self.refuse_while_blocked(&[&address]).await?;
        // Every sign-up counts; the one past the allowance is refused already.
        let now = Utc::now();
        let counted = self
            .store
            .count_attempt(&address, &self.throttling.signups_per_address, now)
            .await?;
        if let Some(retry_after) = counted.blocked_for(now) {
            return Err(AuthError::Throttled { retry_after });
        }
        let username = Username::parse(username)?;
        let password = Password::parse(password)?;
        let display_name = match display_name.map(str::trim).filter(|name| !name.is_empty()) {
            Some(name) => DisplayName::parse(name)?,
            None => DisplayName::from_username(&username),
        };
        let password_hash = password::hash(&password).await?;
        let invitation = self.admit(invitation).await?;
        let created = self
            .store
            .create_user(NewUser {
                username: &username,
                display_name: &display_name,
                password_hash,
                admin: false,
            })
            .await;
        let user = match (created, invitation) {
            (Ok(user), _) => user,
            (Err(error), Some(token)) => {
                // The use was not spent: the next person may have it.
                self.store.give_back_invitation(token).await?;
                return Err(error.into());
            }
            (Err(error), None) => return Err(error.into()),
        };
        tracing::info!(user = %user.id, username = %user.username, "signed up");
        self.start_session(user).await
    }

    /// Whether sign-up lets someone in now: always while open, never while
    /// closed, and by invitation with one of its uses (taken here; which
    /// invitation, to give it back if the account is not made).
    async fn admit<'a>(&self, invitation: Option<&'a str>) -> Result<Option<&'a str>, AuthError> {
        match self.store.signup_mode().await? {
            SignupMode::Open => Ok(None),
            SignupMode::Closed => Err(AuthError::SignupClosed("sign-up is closed here")),
            SignupMode::Invite => {
                let token = invitation.map(str::trim).filter(|token| !token.is_empty());
                let Some(token) = token else {
                    return Err(AuthError::SignupClosed("sign-up here is by invitation"));
                };
                if self.store.take_invitation(token, Utc::now()).await? {
                    Ok(Some(token))
                } else {
                    Err(AuthError::SignupClosed(
                        "that invitation is expired, used up or revoked",
                    ))
                }
            }
        }
    }

    /// Sets a new password through a one-time reset link; whose account it
    /// was. Every session of theirs ends (the caller ends their sockets).
    pub async fn reset_password(&self, token: &str, new: String) -> Result<UserId, AuthError> {
        let new = Password::parse(new)?;
        let hash = SessionToken::from_client(token).hash();
        let user = self
            .store
            .spend_password_reset(&hash, Utc::now())
            .await?
            .ok_or(AuthError::InvalidLink)?;
        let password_hash = password::hash(&new).await?;
        self.store.set_password_hash(user, password_hash).await?;
        self.store.delete_sessions_of(user, None).await?;
        tracing::info!(%user, "password reset by link");
        Ok(user)
    }

    /// Signs in. A throttled account or address is refused before any
    /// password is hashed (argon2 is the expensive part a guesser wants us to
    /// spend).
    pub async fn login(
        &self,
        username: &str,
        password: String,
        from: IpAddr,
    ) -> Result<SignedIn, AuthError> {
        let address = login_address_key(from);
        // A malformed username or password cannot belong to anyone: same answer as a
        // wrong one, so the reply does not hint at the rules of existing accounts.
        let (Ok(username), Ok(password)) = (Username::parse(username), Password::parse(password))
        else {
            self.refuse_while_blocked(&[&address]).await?;
            self.count_failure(&[(&address, &self.throttling.login_per_address)])
                .await?;
            return Err(AuthError::InvalidCredentials);
        };
        let account = account_key(&username);
        self.refuse_while_blocked(&[&account, &address]).await?;
        let stored = self.store.find_user_by_username(&username).await?;
        let hash = stored.as_ref().map(|stored| stored.password_hash.clone());
        // Always verify (against a dummy hash for an unknown user): equal timing.
        let password_matches = password::verify(&password, hash).await?;
        match stored {
            Some(stored) if password_matches && stored.user.deactivated => {
                Err(AuthError::Deactivated)
            }
            Some(stored) if password_matches => {
                self.store.forget_attempts(&account).await?;
                self.start_session(stored.user).await
            }
            _ => {
                self.count_failure(&[
                    (&account, &self.throttling.login_per_account),
                    (&address, &self.throttling.login_per_address),
                ])
                .await?;
                Err(AuthError::InvalidCredentials)
            }
        }
    }

    /// Changes the password after checking the current one (throttled like a
    /// sign-in), and ends every other session of the user: the token hashes
    /// of those it ended, for their sockets to be closed.
    pub async fn change_password(
        &self,
        user: &User,
        keep: &SessionToken,
        current: String,
        new: String,
    ) -> Result<Vec<String>, AuthError> {
        let username = Username::parse(&user.username)?;
        let account = account_key(&username);
        self.refuse_while_blocked(&[&account]).await?;
        let new = Password::parse(new)?;
        let stored = self.store.find_user_by_username(&username).await?;
        let current_matches = match (Password::parse(current), &stored) {
            (Ok(current), Some(stored)) => {
                password::verify(&current, Some(stored.password_hash.clone())).await?
            }
            _ => false,
        };
        if !current_matches {
            self.count_failure(&[(&account, &self.throttling.login_per_account)])
                .await?;
            return Err(AuthError::InvalidCredentials);
        }
        let hash = password::hash(&new).await?;
        self.store.set_password_hash(user.id, hash).await?;
        tracing::info!(user = %user.id, "password changed");
        Ok(self
            .store
            .delete_sessions_of(user.id, Some(&keep.hash()))
            .await?)
    }

    /// Ends one session; its token hash, for its sockets to be closed.
    pub async fn logout(&self, token: &SessionToken) -> Result<String, AuthError> {
        let hash = token.hash();
        self.store.delete_session(&hash).await?;
        Ok(hash)
    }

    /// Ends every session of the user ("sign out everywhere").
    pub async fn logout_everywhere(&self, user_id: UserId) -> Result<(), AuthError> {
        self.store.delete_sessions_of(user_id, None).await?;
        Ok(())
    }

    /// Deletes expired sessions and spent attempt counts.
    pub async fn sweep(&self) -> Result<(), AuthError> {
        let now = Utc::now();
        let sessions = self.store.sweep_expired_sessions(now).await?;
        let day = chrono::Duration::days(1);
        let attempts = self.store.sweep_attempts(now - day).await?;
        tracing::debug!(sessions, attempts, "swept");
        Ok(())
    }

    async fn refuse_while_blocked(&self, keys: &[&str]) -> Result<(), AuthError> {
        match self.store.blocked_for(keys, Utc::now()).await? {
            Some(retry_after) => Err(AuthError::Throttled { retry_after }),
            None => Ok(()),
        }
    }

    async fn count_failure(&self, keys: &[(&str, &Rule)]) -> Result<(), AuthError> {
        let now = Utc::now();
        for (key, rule) in keys {
            self.store.count_attempt(key, rule, now).await?;
        }
        Ok(())
    }

    /// The user a token belongs to, if its session is live.
    pub async fn authenticate(&self, token: &SessionToken) -> Result<User, AuthError> {
        Ok(self.session(token).await?.user)
    }

    /// A token's live session: whose it is and until when.
    pub async fn session(&self, token: &SessionToken) -> Result<LiveSession, AuthError> {
        self.store
            .find_session(&token.hash(), Utc::now())
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
