//! Signed-in sessions, looked up by the hash of their token.

use super::{
    Store, StoreError,
    entity::{session, user},
};
use app::model::{User, UserId};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, entity::prelude::*};

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    pub async fn create_session(&self, new: NewSession<'_>) -> Result<(), StoreError> {
        session::ActiveModel {
            token_hash: Set(new.token_hash.to_owned()),
            user_id: Set(new.user_id.0),
            created_at: Set(Utc::now()),
            expires_at: Set(new.expires_at),
        }
        .insert(&self.writer)
        .await?;
        Ok(())
    }

    /// The user a live (unexpired) session belongs to.
    pub async fn find_session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, StoreError> {
        let found = session::Entity::find_by_id(token_hash.to_owned())
            .filter(session::Column::ExpiresAt.gt(now))
            .find_also_related(user::Entity)
            .one(&self.db)
            .await?;
        Ok(found
            .and_then(|(_, user)| user)
            .map(|row| super::StoredUser::from(row).user))
    }

    /// Ends a session; ending one that does not exist is not an error.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        session::Entity::delete_by_id(token_hash.to_owned())
            .exec(&self.writer)
            .await?;
        Ok(())
    }
}
