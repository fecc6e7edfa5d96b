//! What instance admins change and read: roles, deactivated accounts, the
//! sign-up mode, instance invitations, password-reset links, the audit
//! trail and the instance's figures. Who may ask is the callers' concern
//! (`crate::admin`).

use super::{
    Store, StoreError, StoredUser,
    entity::{
        attachment, audit_entry, instance_setting, invitation, message, password_reset, session,
        user,
    },
};
use app::{
    model::{SignupMode, UserId},
    protocol::{AdminUser, AuditAction, AuditEntry},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    QueryOrder, QuerySelect,
    entity::prelude::*,
    sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr},
};

const SIGNUP_MODE: &str = "signup_mode";

/// An instance invitation as stored.
pub type StoredInvitation = invitation::Model;

impl StoredUser {
    pub fn as_admin_sees(&self) -> AdminUser {
        AdminUser {
            id: self.user.id,
            username: self.user.username.clone(),
            display_name: self.user.display_name.clone(),
            admin: self.user.admin,
            deactivated: self.user.deactivated,
            created_at: self.created_at,
        }
    }
}

/// Whether `invitation` lets someone sign up at `now`.
pub fn usable(invitation: &StoredInvitation, now: DateTime<Utc>) -> bool {
    invitation.revoked_at.is_none()
        && invitation.expires_at.is_none_or(|at| at > now)
        && invitation.max_uses.is_none_or(|max| invitation.uses < max)
}

impl Store {
    pub async fn stored_user(&self, user_id: UserId) -> Result<Option<StoredUser>, StoreError> {
        Ok(user::Entity::find_by_id(user_id.0)
            .one(&self.db)
            .await?
            .map(StoredUser::from))
    }

    /// Accounts newest first, `limit` of them, older than `before` when
    /// given; `query` narrows to usernames or display names containing it.
    pub async fn users_for_admin(
        &self,
        query: Option<&str>,
        before: Option<UserId>,
        limit: u64,
    ) -> Result<Vec<StoredUser>, StoreError> {
        let mut find = user::Entity::find()
            .order_by_desc(user::Column::Id)
            .limit(limit);
        if let Some(query) = query.map(str::trim).filter(|query| !query.is_empty()) {
            let pattern = format!("%{}%", like_escaped(&query.to_lowercase()));
            let matches = |column| {
                Expr::expr(Func::lower(Expr::col(column)))
                    .like(LikeExpr::new(pattern.as_str()).escape('\\'))
            };
            find =
                find.filter(matches(user::Column::Username).or(matches(user::Column::DisplayName)));
        }
        if let Some(before) = before {
            find = find.filter(user::Column::Id.lt(before.0));
        }
        Ok(find
            .all(&self.db)
            .await?
            .into_iter()
            .map(StoredUser::from)
            .collect())
    }

    /// Makes the user an instance admin or not; whether there is such a user.
    pub async fn set_admin(&self, user_id: UserId, admin: bool) -> Result<bool, StoreError> {
        let updated = user::Entity::update_many()
            .col_expr(user::Column::Admin, Expr::value(admin))
            .filter(user::Column::Id.eq(user_id.0))
            .exec(&*self.writing().await)
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Instance admins whose accounts are active.
    pub async fn active_admins(&self) -> Result<u64, StoreError> {
        Ok(user::Entity::find()
            .filter(user::Column::Admin.eq(true))
            .filter(user::Column::DeactivatedAt.is_null())
            .count(&self.db)
            .await?)
    }

    /// Deactivates the account and ends its sessions; whether it was active.
    pub async fn deactivate(&self, user_id: UserId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let writing = self.writing().await;
        let updated = user::Entity::update_many()
            .col_expr(user::Column::DeactivatedAt, Expr::value(Some(at)))
            .filter(user::Column::Id.eq(user_id.0))
            .filter(user::Column::DeactivatedAt.is_null())
            .exec(&*writing)
            .await?;
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(user_id.0))
            .exec(&*writing)
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Lets a deactivated account sign in again; whether it was deactivated.
    pub async fn reactivate(&self, user_id: UserId) -> Result<bool, StoreError> {
        let updated = user::Entity::update_many()
            .col_expr(
                user::Column::DeactivatedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(user::Column::Id.eq(user_id.0))
            .filter(user::Column::DeactivatedAt.is_not_null())
            .exec(&*self.writing().await)
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// The accounts deactivated since `since` (by any node or the command line).
    pub async fn deactivated_since(&self, since: DateTime<Utc>) -> Result<Vec<UserId>, StoreError> {
        self.user_ids(user::Column::DeactivatedAt.gt(since)).await
    }

    /// Who may sign up (open on an instance that never said).
    pub async fn signup_mode(&self) -> Result<SignupMode, StoreError> {
        Ok(instance_setting::Entity::find_by_id(SIGNUP_MODE.to_owned())
            .one(&self.db)
            .await?
            .and_then(|row| SignupMode::parse(&row.value))
            .unwrap_or_default())
    }

    pub async fn set_signup_mode(&self, mode: SignupMode) -> Result<(), StoreError> {
        let writing = self.writing().await;
        let row = instance_setting::ActiveModel {
            key: Set(SIGNUP_MODE.to_owned()),
            value: Set(mode.as_str().to_owned()),
        };
        let exists = instance_setting::Entity::find_by_id(SIGNUP_MODE.to_owned())
            .one(&*writing)
            .await?
            .is_some();
        if exists {
            row.update(&*writing).await?;
        } else {
            row.insert(&*writing).await?;
        }
        Ok(())
    }

    pub async fn create_invitation(
        &self,
        token: &str,
        by: Option<UserId>,
        expires_at: Option<DateTime<Utc>>,
        max_uses: Option<u32>,
    ) -> Result<StoredInvitation, StoreError> {
        Ok(invitation::ActiveModel {
            token: Set(token.to_owned()),
            created_by: Set(by.map(|by| by.0)),
            created_at: Set(Utc::now()),
            expires_at: Set(expires_at),
            max_uses: Set(max_uses.map(|max| i32::try_from(max).unwrap_or(i32::MAX))),
            uses: Set(0),
            revoked_at: Set(None),
        }
        .insert(&*self.writing().await)
        .await?)
    }

    pub async fn invitation(&self, token: &str) -> Result<Option<StoredInvitation>, StoreError> {
        Ok(invitation::Entity::find_by_id(token.to_owned())
            .one(&self.db)
            .await?)
    }

    /// Every invitation, newest first.
    pub async fn invitations(&self) -> Result<Vec<StoredInvitation>, StoreError> {
        Ok(invitation::Entity::find()
            .order_by_desc(invitation::Column::CreatedAt)
            .limit(200)
            .all(&self.db)
            .await?)
    }

    /// Revokes an invitation; whether there was one to revoke.
    pub async fn revoke_invitation(&self, token: &str) -> Result<bool, StoreError> {
        let updated = invitation::Entity::update_many()
            .col_expr(invitation::Column::RevokedAt, Expr::value(Some(Utc::now())))
            .filter(invitation::Column::Token.eq(token))
            .filter(invitation::Column::RevokedAt.is_null())
            .exec(&*self.writing().await)
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Takes one use of the invitation if it is still usable: in one
    /// statement, so two people cannot both take its last use.
    pub async fn take_invitation(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let taken =
            invitation::Entity::update_many()
                .col_expr(
                    invitation::Column::Uses,
                    Expr::col(invitation::Column::Uses).add(1),
                )
                .filter(invitation::Column::Token.eq(token))
                .filter(invitation::Column::RevokedAt.is_null())
                .filter(
                    invitation::Column::ExpiresAt
                        .is_null()
                        .or(invitation::Column::ExpiresAt.gt(now)),
                )
                .filter(invitation::Column::MaxUses.is_null().or(
                    Expr::col(invitation::Column::Uses).lt(Expr::col(invitation::Column::MaxUses)),
                ))
                .exec(&*self.writing().await)
                .await?;
        Ok(taken.rows_affected == 1)
    }

    /// Gives back a use taken for a sign-up that then failed.
    pub async fn give_back_invitation(&self, token: &str) -> Result<(), StoreError> {
        invitation::Entity::update_many()
            .col_expr(
                invitation::Column::Uses,
                Expr::col(invitation::Column::Uses).sub(1),
            )
            .filter(invitation::Column::Token.eq(token))
            .filter(invitation::Column::Uses.gt(0))
            .exec(&*self.writing().await)
            .await?;
        Ok(())
    }

    pub async fn create_password_reset(
        &self,
        token_hash: &str,
        user_id: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        password_reset::ActiveModel {
            token_hash: Set(token_hash.to_owned()),
            user_id: Set(user_id.0),
            expires_at: Set(expires_at),
            used_at: Set(None),
        }
        .insert(&*self.writing().await)
        .await?;
        Ok(())
    }

    /// Spends a reset link: whose it was, if it was unused and unexpired.
    pub async fn spend_password_reset(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserId>, StoreError> {
        let writing = self.writing().await;
        let spent = password_reset::Entity::update_many()
            .col_expr(password_reset::Column::UsedAt, Expr::value(Some(now)))
            .filter(password_reset::Column::TokenHash.eq(token_hash))
            .filter(password_reset::Column::UsedAt.is_null())
            .filter(password_reset::Column::ExpiresAt.gt(now))
            .exec(&*writing)
            .await?;
        if spent.rows_affected != 1 {
            return Ok(None);
        }
        Ok(password_reset::Entity::find_by_id(token_hash.to_owned())
            .one(&*writing)
            .await?
            .map(|row| UserId(row.user_id)))
    }

    /// Whether a reset link is still good (the page asks before showing its form).
    pub async fn password_reset_usable(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(password_reset::Entity::find_by_id(token_hash.to_owned())
            .filter(password_reset::Column::UsedAt.is_null())
            .filter(password_reset::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// Writes one line of the audit trail.
    pub async fn audit(
        &self,
        actor: Option<&str>,
        action: AuditAction,
        target: Option<&str>,
    ) -> Result<(), StoreError> {
        audit_entry::ActiveModel {
            at: Set(Utc::now()),
            actor: Set(actor.map(str::to_owned)),
            action: Set(action.as_str().to_owned()),
            target: Set(target.map(str::to_owned)),
            ..Default::default()
        }
        .insert(&*self.writing().await)
        .await?;
        Ok(())
    }

    /// The audit trail, newest first, older than `before` when given.
    pub async fn audit_trail(
        &self,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut find = audit_entry::Entity::find()
            .order_by_desc(audit_entry::Column::Id)
            .limit(limit);
        if let Some(before) = before {
            find = find.filter(audit_entry::Column::Id.lt(before));
        }
        Ok(find
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|row| {
                Some(AuditEntry {
                    id: row.id,
                    at: row.at,
                    actor: row.actor,
                    action: AuditAction::parse(&row.action)?,
                    target: row.target,
                })
            })
            .collect())
    }

    /// People (and how many of them are deactivated), messages and the
    /// bytes of uploads kept.
    pub async fn figures(&self) -> Result<(u64, u64, u64, u64), StoreError> {
        let people = user::Entity::find().count(&self.db).await?;
        let deactivated = user::Entity::find()
            .filter(user::Column::DeactivatedAt.is_not_null())
            .count(&self.db)
            .await?;
        let messages = message::Entity::find().count(&self.db).await?;
        let bytes: Option<i64> = attachment::Entity::find()
            .select_only()
            // (A cast: PostgreSQL sums a bigint as a numeric.)
            .column_as(
                Expr::expr(Func::cast_as(
                    Func::sum(Expr::col(attachment::Column::Size)),
                    Alias::new("BIGINT"),
                )),
                "bytes",
            )
            .into_tuple::<Option<i64>>()
            .one(&self.db)
            .await?
            .flatten();
        Ok((
            people,
            deactivated,
            messages,
            u64::try_from(bytes.unwrap_or(0)).unwrap_or(0),
        ))
    }
}

/// `text` for a LIKE pattern: its own `%`, `_` and `\` match themselves.
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
