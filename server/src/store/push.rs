//! Web Push's rows: the instance's VAPID key, the devices subscribed, and the
//! queue of pushes owed (written by the message writer, in the transaction
//! that stores the message; see `writer::owed_pushes`).
//!
//! The queue is shared by every node. A row is taken by moving its `due_ms`
//! a lease ahead, in one statement that only succeeds while it is due, so
//! two nodes never both take it; a node that dies holding it leaves it to be
//! taken again once the lease runs out.

use super::{
    Store, StoreError,
    entity::{instance_setting, message, push_outbox, push_subscription},
    messages::{StoredMessage, decorate},
};
use app::model::{MessageId, UserId};
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, Condition, QueryOrder, QuerySelect, entity::prelude::*, sea_query::OnConflict,
};

const VAPID_KEY: &str = "push_vapid_key";

/// The most devices one person keeps subscribed; a new one beyond it
/// replaces their oldest.
pub const MAX_DEVICES_PER_USER: usize = 20;

/// A push owed: one message to one device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PushKey {
    pub subscription: Uuid,
    pub message: MessageId,
}

/// A device subscribed, as the browser gave it.
pub struct NewSubscription<'a> {
    pub user_id: UserId,
    pub session_hash: &'a str,
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
}

/// What a push owed needs to be written: where it goes and what it says.
pub struct OwedPush {
    pub attempts: i32,
    pub user_id: UserId,
    pub subscription: Uuid,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub message: StoredMessage,
}

impl Store {
    /// The instance's VAPID private key (base64url): the one stored, or
    /// `fresh` stored now. Nodes starting together agree: the first write
    /// wins and everyone reads it back.
    pub async fn vapid_key(&self, fresh: String) -> Result<String, StoreError> {
        let writing = self.writing().await;
        instance_setting::Entity::insert(instance_setting::ActiveModel {
            key: Set(VAPID_KEY.to_owned()),
            value: Set(fresh),
        })
        .on_conflict(
            OnConflict::column(instance_setting::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&*writing)
        .await?;
        instance_setting::Entity::find_by_id(VAPID_KEY.to_owned())
            .one(&*writing)
            .await?
            .map(|row| row.value)
            .ok_or_else(|| StoreError::Database(DbErr::RecordNotFound(VAPID_KEY.into())))
    }

    /// Subscribes a device for `user_id` under the session that asked. The
    /// same endpoint again (a page that subscribed before, or another
    /// account on the same browser) is taken over by this one.
    pub async fn subscribe(&self, new: NewSubscription<'_>) -> Result<(), StoreError> {
        let writing = self.writing().await;
        push_subscription::Entity::delete_many()
            .filter(push_subscription::Column::Endpoint.eq(new.endpoint))
            .exec(&*writing)
            .await?;
        let theirs: Vec<Uuid> = push_subscription::Entity::find()
            .select_only()
            .column(push_subscription::Column::Id)
            .filter(push_subscription::Column::UserId.eq(new.user_id.0))
            .order_by_desc(push_subscription::Column::CreatedAt)
            .into_tuple()
            .all(&*writing)
            .await?;
        let oldest: Vec<Uuid> = theirs.into_iter().skip(MAX_DEVICES_PER_USER - 1).collect();
        if !oldest.is_empty() {
            push_subscription::Entity::delete_many()
                .filter(push_subscription::Column::Id.is_in(oldest))
                .exec(&*writing)
                .await?;
        }
        push_subscription::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(new.user_id.0),
            session_hash: Set(new.session_hash.to_owned()),
            endpoint: Set(new.endpoint.to_owned()),
            p256dh: Set(new.p256dh.to_owned()),
            auth: Set(new.auth.to_owned()),
            created_at: Set(Utc::now()),
        }
        .insert(&*writing)
        .await?;
        Ok(())
    }

    /// Unsubscribes `user_id`'s device at `endpoint` (none: nothing to do).
    pub async fn unsubscribe(&self, user_id: UserId, endpoint: &str) -> Result<(), StoreError> {
        push_subscription::Entity::delete_many()
            .filter(push_subscription::Column::UserId.eq(user_id.0))
            .filter(push_subscription::Column::Endpoint.eq(endpoint))
            .exec(&*self.writing().await)
            .await?;
        Ok(())
    }

    /// Forgets a device its push service no longer knows (and what it was owed).
    pub async fn drop_subscription(&self, subscription: Uuid) -> Result<(), StoreError> {
        push_subscription::Entity::delete_by_id(subscription)
            .exec(&*self.writing().await)
            .await?;
        Ok(())
    }

    /// How many devices `user_id` has subscribed.
    pub async fn subscriptions_of(&self, user_id: UserId) -> Result<u64, StoreError> {
        Ok(push_subscription::Entity::find()
            .filter(push_subscription::Column::UserId.eq(user_id.0))
            .count(&self.db)
            .await?)
    }

    /// Takes up to `limit` pushes due at `now_ms` for this node until
    /// `lease_until`: read first (the read pool), then taken in one write
    /// that only moves those still due, so another node taking the same
    /// rows meanwhile gets none of them.
    pub async fn take_due_pushes(
        &self,
        now_ms: i64,
        lease_until: i64,
        limit: u64,
    ) -> Result<Vec<PushKey>, StoreError> {
        let due: Vec<(Uuid, Uuid)> = push_outbox::Entity::find()
            .select_only()
            .column(push_outbox::Column::SubscriptionId)
            .column(push_outbox::Column::MessageId)
            .filter(push_outbox::Column::DueMs.lte(now_ms))
            .order_by_asc(push_outbox::Column::DueMs)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let rows = due.into_iter().fold(Condition::any(), |any, (sub, msg)| {
            any.add(
                Condition::all()
                    .add(push_outbox::Column::SubscriptionId.eq(sub))
                    .add(push_outbox::Column::MessageId.eq(msg)),
            )
        });
        let taken = push_outbox::Entity::update_many()
            .col_expr(push_outbox::Column::DueMs, Expr::value(lease_until))
            .filter(push_outbox::Column::DueMs.lte(now_ms))
            .filter(rows)
            .exec_with_returning(&*self.writing().await)
            .await?;
        Ok(taken
            .into_iter()
            .map(|row| PushKey {
                subscription: row.subscription_id,
                message: MessageId(row.message_id),
            })
            .collect())
    }

    /// What a push taken needs: its device and its message (`None` once
    /// either is gone).
    pub async fn owed_push(&self, key: PushKey) -> Result<Option<OwedPush>, StoreError> {
        let Some(owed) = push_outbox::Entity::find_by_id((key.subscription, key.message.0))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let Some(device) = push_subscription::Entity::find_by_id(key.subscription)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let Some(row) = message::Entity::find_by_id(key.message.0)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        // With its attachments, for a message that is only those.
        let Some(message) = decorate(&self.db, vec![StoredMessage::from(row)])
            .await?
            .pop()
        else {
            return Ok(None);
        };
        Ok(Some(OwedPush {
            attempts: owed.attempts,
            user_id: UserId(device.user_id),
            subscription: device.id,
            endpoint: device.endpoint,
            p256dh: device.p256dh,
            auth: device.auth,
            message,
        }))
    }

    /// A push is sent, or will never be: off the queue.
    pub async fn push_done(&self, key: PushKey) -> Result<(), StoreError> {
        push_outbox::Entity::delete_by_id((key.subscription, key.message.0))
            .exec(&*self.writing().await)
            .await?;
        Ok(())
    }

    /// A push to try again at `due_ms`, its `attempts`-th try done.
    pub async fn push_later(
        &self,
        key: PushKey,
        due_ms: i64,
        attempts: i32,
    ) -> Result<(), StoreError> {
        push_outbox::Entity::update_many()
            .col_expr(push_outbox::Column::DueMs, Expr::value(due_ms))
            .col_expr(push_outbox::Column::Attempts, Expr::value(attempts))
            .filter(push_outbox::Column::SubscriptionId.eq(key.subscription))
            .filter(push_outbox::Column::MessageId.eq(key.message.0))
            .exec(&*self.writing().await)
            .await?;
        Ok(())
    }

    /// How many pushes are owed (for the metrics and tests).
    pub async fn pushes_owed(&self) -> Result<u64, StoreError> {
        Ok(push_outbox::Entity::find().count(&self.db).await?)
    }
}
