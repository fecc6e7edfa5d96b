//! Group invite links: one per group at a time, made and stopped by its
//! admins; joining through one is a group change (see `groups.rs`,
//! `GroupChange::JoinByLink`), checked and counted in that change's
//! transaction.

use super::{
    Store, StoreError,
    entity::{chat_member, group_invite},
    groups::{GroupError, admin_of},
};
use app::model::{ChatId, UserId};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, PaginatorTrait, entity::prelude::*};

/// A group's invite link as stored.
pub type StoredGroupInvite = group_invite::Model;

/// Whether `link` lets someone join at `now`.
pub fn invite_usable(link: &StoredGroupInvite, now: DateTime<Utc>) -> bool {
    link.expires_at.is_none_or(|at| at > now) && link.max_uses.is_none_or(|max| link.uses < max)
}

impl Store {
    /// Makes `chat_id`'s invite link, by one of its admins; the one before
    /// (if any) stops at once.
    pub async fn create_group_invite(
        &self,
        chat_id: ChatId,
        actor: UserId,
        token: &str,
        expires_at: Option<DateTime<Utc>>,
        max_uses: Option<u32>,
    ) -> Result<StoredGroupInvite, GroupError> {
        let (txn, _turn) = self.begin_write().await?;
        admin_of(&txn, chat_id, actor).await?;
        group_invite::Entity::delete_by_id(chat_id.0)
            .exec(&txn)
            .await?;
        let link = group_invite::ActiveModel {
            chat_id: Set(chat_id.0),
            token: Set(token.to_owned()),
            created_by: Set(actor.0),
            created_at: Set(Utc::now()),
            expires_at: Set(expires_at),
            max_uses: Set(max_uses.map(|max| i32::try_from(max).unwrap_or(i32::MAX))),
            uses: Set(0),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(link)
    }

    /// Stops `chat_id`'s invite link, by one of its admins.
    pub async fn revoke_group_invite(
        &self,
        chat_id: ChatId,
        actor: UserId,
    ) -> Result<(), GroupError> {
        let (txn, _turn) = self.begin_write().await?;
        admin_of(&txn, chat_id, actor).await?;
        group_invite::Entity::delete_by_id(chat_id.0)
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The link `token` names, if it is one that works at `now`.
    pub async fn usable_group_invite(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredGroupInvite>, StoreError> {
        Ok(group_invite::Entity::find()
            .filter(group_invite::Column::Token.eq(token))
            .one(&self.db)
            .await?
            .filter(|link| invite_usable(link, now)))
    }

    /// How many people a chat has.
    pub async fn member_count(&self, chat_id: ChatId) -> Result<u64, StoreError> {
        Ok(chat_member::Entity::find()
            .filter(chat_member::Column::ChatId.eq(chat_id.0))
            .count(&self.db)
            .await?)
    }
}
