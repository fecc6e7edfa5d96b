//! Running the instance: what instance admins do, from the Admin page, the
//! JSON API or the command line (`parley admin`, see [`cli`]). Every change
//! is written to the audit trail here, whoever asks. Who may ask is decided
//! before: `http::AdminOnly` for requests; the command line is the
//! operator's, with the database in hand.
//!
//! Ending a deactivated person's sockets is the caller's part: a request
//! ends them on every node at once; the command line cannot reach the
//! sockets, and every node's watch (`realtime/accounts.rs`) ends them.

pub mod cli;
mod pages;

pub use pages::InstancePages;

use crate::{
    auth::{AuthError, SessionToken, password},
    store::{NewUser, Store, StoreError, StoredInvitation, StoredUser, invitation_usable},
};
use app::{
    model::{DisplayName, Password, SignupMode, User, UserId, Username},
    protocol::{
        AdminUsersPage, AuditAction, AuditPage, InstanceFigures, Invitation, InvitationCreated,
        Invitations, NewInvitation, ResetLink,
    },
};
use chrono::{Duration, Utc};
use std::sync::Arc;

/// People and audit entries per page.
const PAGE: u64 = 50;
/// How long a password-reset link works.
const RESET_LINK_HOURS: i64 = 24;

/// Who acts: an instance admin, or the operator at the command line.
#[derive(Clone, Copy, Debug)]
pub enum Actor<'a> {
    Admin(&'a User),
    CommandLine,
}

impl Actor<'_> {
    /// As the audit trail names them (`None`: the command line).
    fn name(&self) -> Option<&str> {
        match self {
            Self::Admin(user) => Some(&user.username),
            Self::CommandLine => None,
        }
    }
}

/// Why an admin action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no such user")]
    NoSuchUser,
    #[error("no such invitation")]
    NoSuchInvitation,
    /// The instance would be left with no active admin.
    #[error("the instance needs at least one active admin")]
    LastAdmin,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The admin's tools over one instance.
#[derive(Clone)]
pub struct Admin {
    store: Store,
    /// Where people reach this instance, for the links made here.
    public_url: Arc<str>,
}

impl Admin {
    pub fn new(store: Store, public_url: &str) -> Self {
        Self {
            store,
            public_url: public_url.trim_end_matches('/').into(),
        }
    }

    /// Where people reach this instance: what its links start with.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Accounts newest first, by page; `query` narrows by name.
    pub async fn users(
        &self,
        query: Option<&str>,
        before: Option<&str>,
    ) -> Result<AdminUsersPage, AdminError> {
        let before = before.and_then(|id| id.parse().ok()).map(UserId);
        let found = self.store.users_for_admin(query, before, PAGE).await?;
        let next = (found.len() as u64 == PAGE)
            .then(|| found.last().map(|last| last.user.id.to_string()))
            .flatten();
        Ok(AdminUsersPage {
            users: found.iter().map(StoredUser::as_admin_sees).collect(),
            next,
        })
    }

    /// The account by username, for the command line.
    pub async fn user_named(&self, username: &str) -> Result<StoredUser, AdminError> {
        let username = Username::parse(username).map_err(|_| AdminError::NoSuchUser)?;
        self.store
            .find_user_by_username(&username)
            .await?
            .ok_or(AdminError::NoSuchUser)
    }

    async fn user(&self, user: UserId) -> Result<StoredUser, AdminError> {
        self.store
            .stored_user(user)
            .await?
            .ok_or(AdminError::NoSuchUser)
    }

    /// Creates an account that is an instance admin (the command line's
    /// way in while sign-up is closed).
    pub async fn create_admin(
        &self,
        by: Actor<'_>,
        username: &str,
        password: String,
    ) -> Result<User, AdminError> {
        let username = Username::parse(username).map_err(AuthError::from)?;
        let password = Password::parse(password).map_err(AuthError::from)?;
        let password_hash = password::hash(&password).await?;
        let user = self
            .store
            .create_user(NewUser {
                username: &username,
                display_name: &DisplayName::from_username(&username),
                password_hash,
                admin: true,
            })
            .await
            .map_err(AuthError::from)?;
        self.audit(by, AuditAction::AccountCreated, Some(&user.username))
            .await?;
        Ok(user)
    }

    /// Deactivates an account: its sessions end and it cannot sign in; what
    /// it wrote stays. The last active admin cannot be deactivated.
    pub async fn deactivate(&self, by: Actor<'_>, user: UserId) -> Result<User, AdminError> {
        let target = self.user(user).await?;
        if target.user.admin && !target.user.deactivated {
            self.keep_an_admin().await?;
        }
        if self.store.deactivate(user, Utc::now()).await? {
            self.audit(by, AuditAction::Deactivated, Some(&target.user.username))
                .await?;
            tracing::info!(%user, by = ?by.name(), "deactivated");
        }
        Ok(target.user)
    }

    pub async fn reactivate(&self, by: Actor<'_>, user: UserId) -> Result<User, AdminError> {
        let target = self.user(user).await?;
        if self.store.reactivate(user).await? {
            self.audit(by, AuditAction::Reactivated, Some(&target.user.username))
                .await?;
        }
        Ok(target.user)
    }

    /// Makes an account an instance admin, or not (never the last active one).
    pub async fn set_admin(
        &self,
        by: Actor<'_>,
        user: UserId,
        admin: bool,
    ) -> Result<User, AdminError> {
        let target = self.user(user).await?;
        if target.user.admin == admin {
            return Ok(target.user);
        }
        if !admin && !target.user.deactivated {
            self.keep_an_admin().await?;
        }
        self.store.set_admin(user, admin).await?;
        let action = if admin {
            AuditAction::MadeAdmin
        } else {
            AuditAction::AdminRemoved
        };
        self.audit(by, action, Some(&target.user.username)).await?;
        Ok(target.user)
    }

    async fn keep_an_admin(&self) -> Result<(), AdminError> {
        if self.store.active_admins().await? <= 1 {
            return Err(AdminError::LastAdmin);
        }
        Ok(())
    }

    /// A one-time link to set a new password, valid 24 hours.
    pub async fn reset_link(&self, by: Actor<'_>, user: UserId) -> Result<ResetLink, AdminError> {
        let target = self.user(user).await?;
        let token = SessionToken::generate();
        let expires_at = Utc::now() + Duration::hours(RESET_LINK_HOURS);
        self.store
            .create_password_reset(&token.hash(), user, expires_at)
            .await?;
        self.audit(by, AuditAction::ResetLinkMade, Some(&target.user.username))
            .await?;
        Ok(ResetLink {
            url: format!("{}/reset/{}", self.public_url, token.as_str()),
            token: token.as_str().to_owned(),
            expires_at,
        })
    }

    pub async fn signup_mode(&self) -> Result<SignupMode, AdminError> {
        Ok(self.store.signup_mode().await?)
    }

    pub async fn set_signup_mode(&self, by: Actor<'_>, mode: SignupMode) -> Result<(), AdminError> {
        if self.store.signup_mode().await? == mode {
            return Ok(());
        }
        self.store.set_signup_mode(mode).await?;
        self.audit(by, AuditAction::SignupModeSet, Some(mode.as_str()))
            .await?;
        tracing::info!(mode = mode.as_str(), by = ?by.name(), "sign-up mode set");
        Ok(())
    }

    /// A new instance invitation: `maxUses` people may sign up with it
    /// (any number when absent), until it expires (never when absent).
    pub async fn invite(
        &self,
        by: Actor<'_>,
        new: NewInvitation,
    ) -> Result<InvitationCreated, AdminError> {
        let token = SessionToken::generate();
        let expires_at = new
            .expires_in_hours
            .map(|hours| Utc::now() + Duration::hours(i64::from(hours)));
        let creator = match by {
            Actor::Admin(user) => Some(user.id),
            Actor::CommandLine => None,
        };
        self.store
            .create_invitation(token.as_str(), creator, expires_at, new.max_uses)
            .await?;
        self.audit(by, AuditAction::InvitationCreated, Some(token.as_str()))
            .await?;
        Ok(InvitationCreated {
            url: self.join_url(token.as_str()),
            token: token.as_str().to_owned(),
        })
    }

    pub async fn invitations(&self) -> Result<Invitations, AdminError> {
        let now = Utc::now();
        let invitations = self.store.invitations().await?;
        Ok(Invitations {
            invitations: invitations
                .iter()
                .map(|stored| self.invitation(stored, now))
                .collect(),
        })
    }

    fn invitation(&self, stored: &StoredInvitation, now: chrono::DateTime<Utc>) -> Invitation {
        let count = |n: i32| u32::try_from(n).unwrap_or(0);
        Invitation {
            token: stored.token.clone(),
            url: self.join_url(&stored.token),
            uses: count(stored.uses),
            max_uses: stored.max_uses.map(count),
            expires_at: stored.expires_at,
            revoked: stored.revoked_at.is_some(),
            usable: invitation_usable(stored, now),
            created_at: stored.created_at,
        }
    }

    pub async fn revoke(&self, by: Actor<'_>, token: &str) -> Result<(), AdminError> {
        if !self.store.revoke_invitation(token).await? {
            return Err(AdminError::NoSuchInvitation);
        }
        self.audit(by, AuditAction::InvitationRevoked, Some(token))
            .await?;
        Ok(())
    }

    pub async fn audit_trail(&self, before: Option<&str>) -> Result<AuditPage, AdminError> {
        let before = before.and_then(|id| id.parse().ok());
        let entries = self.store.audit_trail(before, PAGE).await?;
        let next = (entries.len() as u64 == PAGE)
            .then(|| entries.last().map(|last| last.id.to_string()))
            .flatten();
        Ok(AuditPage { entries, next })
    }

    /// What the instance holds; `sockets` is the cluster's count.
    pub async fn figures(&self, sockets: usize) -> Result<InstanceFigures, AdminError> {
        let (people, deactivated, messages, storage_bytes) = self.store.figures().await?;
        Ok(InstanceFigures {
            people,
            deactivated,
            messages,
            storage_bytes,
            sockets: sockets as u64,
        })
    }

    fn join_url(&self, token: &str) -> String {
        format!("{}/join/{token}", self.public_url)
    }

    async fn audit(
        &self,
        by: Actor<'_>,
        action: AuditAction,
        target: Option<&str>,
    ) -> Result<(), AdminError> {
        Ok(self.store.audit(by.name(), action, target).await?)
    }
}
