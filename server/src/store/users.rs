//! People's accounts.

use super::{Store, StoreError, entity::user};
use app::model::{DisplayName, User, UserId, Username};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, QuerySelect, entity::prelude::*, sea_query::Expr};

/// An account about to be created; its fields are already valid.
pub struct NewUser<'a> {
    pub username: &'a Username,
    pub display_name: &'a DisplayName,
    pub password_hash: String,
}

/// An account as stored, with the secret the public [`User`] leaves out.
#[derive(Clone, Debug)]
pub struct StoredUser {
    pub user: User,
    pub password_hash: String,
}

impl From<user::Model> for StoredUser {
    fn from(row: user::Model) -> Self {
        Self {
            user: User {
                id: UserId(row.id),
                username: row.username,
                display_name: row.display_name,
                online: false,
                last_seen_at: row.last_seen_at,
            },
            password_hash: row.password_hash,
        }
    }
}

impl Store {
    /// Creates an account; [`StoreError::Conflict`] when the username is taken.
    pub async fn create_user(&self, new: NewUser<'_>) -> Result<User, StoreError> {
        let row = user::ActiveModel {
            id: Set(Uuid::now_v7()),
            username: Set(new.username.as_str().to_owned()),
            display_name: Set(new.display_name.as_str().to_owned()),
            password_hash: Set(new.password_hash),
            created_at: Set(Utc::now()),
            last_seen_at: Set(None),
            online: Set(false),
        }
        .insert(&self.writer)
        .await?;
        Ok(StoredUser::from(row).user)
    }

    pub async fn find_user_by_username(
        &self,
        username: &Username,
    ) -> Result<Option<StoredUser>, StoreError> {
        let row = user::Entity::find()
            .filter(user::Column::Username.eq(username.as_str()))
            .one(&self.db)
            .await?;
        Ok(row.map(StoredUser::from))
    }

    /// Replaces the user's password hash.
    pub async fn set_password_hash(
        &self,
        user_id: UserId,
        password_hash: String,
    ) -> Result<(), StoreError> {
        user::ActiveModel {
            id: Set(user_id.0),
            password_hash: Set(password_hash),
            ..Default::default()
        }
        .update(&self.writer)
        .await?;
        Ok(())
    }

    /// Records the user as online or not; whether that changed what was
    /// recorded. Every node asks the same row, so of two asking at once only
    /// one hears "changed", and a change is announced once. Going offline
    /// stamps `last_seen_at`.
    pub async fn set_presence(
        &self,
        user_id: UserId,
        online: bool,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut update = user::Entity::update_many()
            .col_expr(user::Column::Online, Expr::value(online))
            .filter(user::Column::Id.eq(user_id.0))
            .filter(user::Column::Online.ne(online));
        if !online {
            update = update.col_expr(user::Column::LastSeenAt, Expr::value(Some(at)));
        }
        Ok(update.exec(&self.writer).await?.rows_affected == 1)
    }

    /// Everyone recorded as online: checked against the sockets after a
    /// restart or a node's crash, which record nothing.
    pub async fn recorded_online(&self) -> Result<Vec<UserId>, StoreError> {
        Ok(user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::Online.eq(true))
            .into_tuple::<Uuid>()
            .all(&self.db)
            .await?
            .into_iter()
            .map(UserId)
            .collect())
    }
}
