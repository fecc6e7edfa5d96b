//! People's accounts.

use super::{Store, StoreError, entity::user};
use app::model::{
    DisplayName, GroupAdds, LastSeenVisibility, PhotoVisibility, Settings, User, UserId, Username,
};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, QuerySelect, entity::prelude::*, sea_query::Expr};

/// An account about to be created; its fields are already valid.
pub struct NewUser<'a> {
    pub username: &'a Username,
    pub display_name: &'a DisplayName,
    pub password_hash: String,
    /// An instance admin from the start (the first account always is).
    pub admin: bool,
}

/// An account as stored, with the secret the public [`User`] leaves out.
#[derive(Clone, Debug)]
pub struct StoredUser {
    pub user: User,
    pub password_hash: String,
    pub settings: Settings,
    pub created_at: DateTime<Utc>,
    /// Their profile photo's version, if they have one: not in `user`,
    /// which others may read; the projection puts it there for those who
    /// may see it.
    pub photo: Option<String>,
}

impl From<user::Model> for StoredUser {
    fn from(row: user::Model) -> Self {
        let settings = settings_of(&row);
        Self {
            settings,
            user: User {
                id: UserId(row.id),
                username: row.username,
                display_name: row.display_name,
                online: false,
                last_seen_at: row.last_seen_at,
                admin: row.admin,
                deactivated: row.deactivated_at.is_some(),
                photo_url: None,
            },
            password_hash: row.password_hash,
            created_at: row.created_at,
            photo: row.photo,
        }
    }
}

impl StoredUser {
    /// The person as they see themselves: with their photo.
    pub fn as_themselves(self) -> User {
        let mut user = self.user;
        user.photo_url =
            (self.photo.as_deref()).map(|version| super::PhotoOf::User(user.id).url(version));
        user
    }
}

fn settings_of(row: &user::Model) -> Settings {
    Settings {
        read_receipts: row.read_receipts,
        typing_indicators: row.typing_indicators,
        last_seen: LastSeenVisibility::parse(&row.last_seen_visibility),
        group_adds: GroupAdds::parse(&row.group_adds),
        notification_preview: row.notification_preview,
        profile_photo: PhotoVisibility::parse(&row.profile_photo),
    }
}

impl Store {
    /// Creates an account; [`StoreError::Conflict`] when the username is
    /// taken. The first account of an instance is its admin.
    pub async fn create_user(&self, new: NewUser<'_>) -> Result<User, StoreError> {
        let writing = self.writing().await;
        let first = user::Entity::find().one(&*writing).await?.is_none();
        let row = user::ActiveModel {
            id: Set(Uuid::now_v7()),
            username: Set(new.username.as_str().to_owned()),
            display_name: Set(new.display_name.as_str().to_owned()),
            password_hash: Set(new.password_hash),
            created_at: Set(Utc::now()),
            last_seen_at: Set(None),
            online: Set(false),
            read_receipts: Set(true),
            typing_indicators: Set(true),
            last_seen_visibility: Set(LastSeenVisibility::Everyone.as_str().to_owned()),
            group_adds: Set(GroupAdds::Everyone.as_str().to_owned()),
            notification_preview: Set(true),
            profile_photo: Set(PhotoVisibility::default().as_str().to_owned()),
            photo: Set(None),
            admin: Set(new.admin || first),
            deactivated_at: Set(None),
        }
        .insert(&*writing)
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
        .update(&*self.writing().await)
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
        // Most reports change nothing (a person's fifth tab): those are
        // answered by a read, without waiting for the write turn. A change
        // racing this read is the same as one racing the update: whoever
        // changes the record looks at the sockets again (see `presence`).
        let recorded: Option<bool> = user::Entity::find_by_id(user_id.0)
            .select_only()
            .column(user::Column::Online)
            .into_tuple()
            .one(&self.db)
            .await?;
        if recorded.is_none_or(|recorded| recorded == online) {
            return Ok(false);
        }
        let mut update = user::Entity::update_many()
            .col_expr(user::Column::Online, Expr::value(online))
            .filter(user::Column::Id.eq(user_id.0))
            .filter(user::Column::Online.ne(online));
        if !online {
            update = update.col_expr(user::Column::LastSeenAt, Expr::value(Some(at)));
        }
        Ok(update.exec(&*self.writing().await).await?.rows_affected == 1)
    }

    /// Everyone recorded as online: checked against the sockets after a
    /// restart or a node's crash, which record nothing.
    pub async fn recorded_online(&self) -> Result<Vec<UserId>, StoreError> {
        self.user_ids(user::Column::Online.eq(true)).await
    }

    /// The ids of the accounts that match `filter`.
    pub(super) async fn user_ids(
        &self,
        filter: sea_orm::sea_query::Expr,
    ) -> Result<Vec<UserId>, StoreError> {
        Ok(user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(filter)
            .into_tuple::<Uuid>()
            .all(&self.db)
            .await?
            .into_iter()
            .map(UserId)
            .collect())
    }

    /// Changes how the user is shown to others.
    pub async fn set_display_name(
        &self,
        user_id: UserId,
        name: &DisplayName,
    ) -> Result<(), StoreError> {
        user::ActiveModel {
            id: Set(user_id.0),
            display_name: Set(name.as_str().to_owned()),
            ..Default::default()
        }
        .update(&*self.writing().await)
        .await?;
        Ok(())
    }

    /// The user as stored (presence not filled in), if there is one.
    pub async fn user(&self, user_id: UserId) -> Result<Option<User>, StoreError> {
        Ok(user::Entity::find_by_id(user_id.0)
            .one(&self.db)
            .await?
            .map(|row| StoredUser::from(row).user))
    }

    /// The user's privacy settings (the defaults for an unknown user).
    pub async fn settings(&self, user_id: UserId) -> Result<Settings, StoreError> {
        Ok(user::Entity::find_by_id(user_id.0)
            .one(&self.db)
            .await?
            .map(|row| settings_of(&row))
            .unwrap_or_default())
    }

    /// Stores the user's new settings.
    pub async fn set_settings(
        &self,
        user_id: UserId,
        settings: Settings,
    ) -> Result<(), StoreError> {
        user::ActiveModel {
            id: Set(user_id.0),
            read_receipts: Set(settings.read_receipts),
            typing_indicators: Set(settings.typing_indicators),
            last_seen_visibility: Set(settings.last_seen.as_str().to_owned()),
            group_adds: Set(settings.group_adds.as_str().to_owned()),
            notification_preview: Set(settings.notification_preview),
            profile_photo: Set(settings.profile_photo.as_str().to_owned()),
            ..Default::default()
        }
        .update(&*self.writing().await)
        .await?;
        Ok(())
    }
}
