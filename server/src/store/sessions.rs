//! Signed-in sessions, looked up by the hash of their token.

use super::{
    Store, StoreError,
    entity::{session, user},
};
use app::model::{User, UserId};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, entity::prelude::*};

/// A session that has not ended.
#[derive(Clone, Debug)]
pub struct LiveSession {
    pub user: User,
    pub expires_at: DateTime<Utc>,
}

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
        .insert(&*self.writing().await)
        .await?;
        Ok(())
    }

    /// A live session: whose it is and until when it lasts.
    pub async fn find_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LiveSession>, StoreError> {
        let found = session::Entity::find_by_id(token_hash.to_owned())
            .filter(session::Column::ExpiresAt.gt(now))
            // (Deactivating deletes the sessions too; this closes the race
            // with a sign-in in flight.)
            .filter(user::Column::DeactivatedAt.is_null())
            .find_also_related(user::Entity)
            .one(&self.db)
            .await?;
        Ok(found.and_then(|(session, user)| {
            Some(LiveSession {
                user: super::StoredUser::from(user?).as_themselves(),
                expires_at: session.expires_at,
            })
        }))
    }

    /// Ends every session of `user_id` but `keep` (when given); the token
    /// hashes of those it ended.
    pub async fn delete_sessions_of(
        &self,
        user_id: UserId,
        keep: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let mut query = session::Entity::find().filter(session::Column::UserId.eq(user_id.0));
        if let Some(keep) = keep {
            query = query.filter(session::Column::TokenHash.ne(keep));
        }
        let ended: Vec<String> = query
            .all(&*self.writing().await)
            .await?
            .into_iter()
            .map(|row| row.token_hash)
            .collect();
        if !ended.is_empty() {
            session::Entity::delete_many()
                .filter(session::Column::TokenHash.is_in(ended.iter().cloned()))
                .exec(&*self.writing().await)
                .await?;
        }
        Ok(ended)
    }

    /// Deletes the sessions that expired before `now`; how many.
    pub async fn sweep_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let swept = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now))
            .exec(&*self.writing().await)
            .await?;
        Ok(swept.rows_affected)
    }

    /// Ends a session; ending one that does not exist is not an error.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        session::Entity::delete_by_id(token_hash.to_owned())
            .exec(&*self.writing().await)
            .await?;
        Ok(())
    }
}
