//! Profile and group photos: which version each person and group has, and
//! who may fetch one. A version is a hash of the photo's bytes; the files
//! are named by it (see `media::photos`). A group's photo is set through a
//! group change (`GroupChange::Photo`), for its admins and its line.

use super::{
    Store, StoreError,
    entity::{block, chat, chat_member, user},
    invites::invite_usable,
};
use app::model::{ChatId, PhotoVisibility, UserId};
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, PaginatorTrait, QuerySelect, entity::prelude::*, sea_query::Query,
};

impl Store {
    /// Sets (or, with `None`, takes away) `user`'s profile photo; the
    /// version it replaced, whose files may go.
    pub async fn set_user_photo(
        &self,
        user: UserId,
        version: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let (txn, _turn) = self.begin_write().await?;
        let before = user::Entity::find_by_id(user.0)
            .select_only()
            .column(user::Column::Photo)
            .into_tuple::<Option<String>>()
            .one(&txn)
            .await?
            .flatten();
        user::ActiveModel {
            id: Set(user.0),
            photo: Set(version.map(str::to_owned)),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        txn.commit().await?;
        Ok(before.filter(|before| Some(before.as_str()) != version))
    }

    /// `owner`'s photo version, if `viewer` may see it: their own always;
    /// anyone else's as its owner chose (`PhotoVisibility::shows`), never
    /// when the owner blocked them.
    pub async fn user_photo_for(
        &self,
        owner: UserId,
        viewer: UserId,
    ) -> Result<Option<String>, StoreError> {
        let Some(row) = user::Entity::find_by_id(owner.0).one(&self.db).await? else {
            return Ok(None);
        };
        let Some(version) = row.photo else {
            return Ok(None);
        };
        if owner == viewer {
            return Ok(Some(version));
        }
        let visibility = PhotoVisibility::parse(&row.profile_photo);
        if visibility == PhotoVisibility::Nobody {
            return Ok(None);
        }
        let blocked = block::Entity::find_by_id((owner.0, viewer.0))
            .count(&self.db)
            .await?
            > 0;
        let shares_a_chat =
            visibility == PhotoVisibility::Contacts && self.share_a_chat(owner, viewer).await?;
        Ok(visibility.shows(shares_a_chat, blocked).then_some(version))
    }

    /// Whether two people are members of one chat.
    async fn share_a_chat(&self, one: UserId, other: UserId) -> Result<bool, StoreError> {
        let theirs = Query::select()
            .column(chat_member::Column::ChatId)
            .from(chat_member::Entity)
            .and_where(chat_member::Column::UserId.eq(other.0))
            .to_owned();
        Ok(chat_member::Entity::find()
            .filter(chat_member::Column::UserId.eq(one.0))
            .filter(chat_member::Column::ChatId.in_subquery(theirs))
            .count(&self.db)
            .await?
            > 0)
    }

    /// `chat_id`'s photo version, if `viewer` may see it: a member, or
    /// someone holding one of its invite links that works (the invite page).
    pub async fn chat_photo_for(
        &self,
        chat_id: ChatId,
        viewer: UserId,
        invite: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let Some(version) = self.chat_photo(chat_id).await? else {
            return Ok(None);
        };
        if self.membership(chat_id, viewer).await?.is_some() {
            return Ok(Some(version));
        }
        let Some(token) = invite else {
            return Ok(None);
        };
        let link = self.usable_group_invite(token, Utc::now()).await?;
        Ok(link
            .filter(|link| link.chat_id == chat_id.0 && invite_usable(link, Utc::now()))
            .map(|_| version))
    }

    /// `chat_id`'s photo version, if it has one.
    pub async fn chat_photo(&self, chat_id: ChatId) -> Result<Option<String>, StoreError> {
        Ok(chat::Entity::find_by_id(chat_id.0)
            .select_only()
            .column(chat::Column::Photo)
            .into_tuple::<Option<String>>()
            .one(&self.db)
            .await?
            .flatten())
    }
}

/// Whose a photo is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoOf {
    User(UserId),
    Chat(ChatId),
}

impl PhotoOf {
    /// Where a version's two sizes are stored: the large, then the small.
    pub fn keys(self, version: &str) -> [String; 2] {
        let folder = match self {
            Self::User(user) => format!("photos/users/{user}"),
            Self::Chat(chat) => format!("photos/chats/{chat}"),
        };
        [
            format!("{folder}/{version}.jpg"),
            format!("{folder}/{version}-small.jpg"),
        ]
    }

    /// Where a version is served.
    pub fn url(self, version: &str) -> String {
        match self {
            Self::User(user) => app::media::user_photo_url(user, version),
            Self::Chat(chat) => app::media::chat_photo_url(chat, version),
        }
    }
}

/// Where every photo in a database is stored (people's and groups'): what
/// `parley migrate --media-to` copies.
pub async fn photo_keys(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let people: Vec<(Uuid, Option<String>)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Photo)
        .filter(user::Column::Photo.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let groups: Vec<(Uuid, Option<String>)> = chat::Entity::find()
        .select_only()
        .column(chat::Column::Id)
        .column(chat::Column::Photo)
        .filter(chat::Column::Photo.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let people = (people.into_iter())
        .filter_map(|(id, version)| Some(PhotoOf::User(UserId(id)).keys(&version?)));
    let groups = (groups.into_iter())
        .filter_map(|(id, version)| Some(PhotoOf::Chat(ChatId(id)).keys(&version?)));
    Ok(people.chain(groups).flatten().collect())
}
