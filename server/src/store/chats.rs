//! Chats and their members.

use super::{
    Store, StoreError,
    entity::{chat, chat_member, user},
    users::StoredUser,
};
use app::model::{ChatId, ChatKind, GroupName, Receipt, Seq, User, UserId, Username};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect, QueryTrait, TransactionTrait,
    entity::prelude::*,
};
use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

/// A chat without its members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatRecord {
    pub id: ChatId,
    pub kind: ChatKind,
    pub name: Option<String>,
    /// The newest message's seq (0: none yet).
    pub last_seq: Seq,
    pub last_activity_at: DateTime<Utc>,
}

impl From<chat::Model> for ChatRecord {
    fn from(row: chat::Model) -> Self {
        let kind = if row.kind == ChatKind::Group.as_str() {
            ChatKind::Group
        } else {
            ChatKind::Direct
        };
        Self {
            id: ChatId(row.id),
            kind,
            name: row.name,
            last_seq: row.last_seq,
            last_activity_at: row.last_activity_at,
        }
    }
}

/// A member as stored: who (presence not filled in) and their watermarks.
#[derive(Clone, Debug)]
pub struct Member {
    pub user: User,
    pub receipt: Receipt,
}

fn receipt_of(row: &chat_member::Model) -> Receipt {
    Receipt {
        user_id: UserId(row.user_id),
        delivered_seq: row.delivered_seq,
        seen_seq: row.seen_seq,
    }
}

/// Chats' member lists, kept after the first read. Bounded: past
/// [`MemberCache::CAPACITY`] chats it starts afresh (a re-read is one query).
#[derive(Clone, Debug, Default)]
pub(super) struct MemberCache(Arc<RwLock<HashMap<ChatId, Arc<[UserId]>>>>);

impl MemberCache {
    const CAPACITY: usize = 100_000;

    fn get(&self, chat_id: ChatId) -> Option<Arc<[UserId]>> {
        self.0.read().ok()?.get(&chat_id).cloned()
    }

    fn insert(&self, chat_id: ChatId, members: Arc<[UserId]>) {
        if let Ok(mut cache) = self.0.write() {
            if cache.len() >= Self::CAPACITY {
                cache.clear();
            }
            cache.insert(chat_id, members);
        }
    }
}

/// The key that makes a direct chat between two people unique, whoever starts it.
fn direct_key(a: UserId, b: UserId) -> String {
    let (low, high) = if a.0 <= b.0 { (a, b) } else { (b, a) };
    format!("{low}:{high}")
}

impl Store {
    /// The users with these usernames (those that exist).
    pub async fn find_users(&self, usernames: &[Username]) -> Result<Vec<User>, StoreError> {
        let names: Vec<&str> = usernames.iter().map(Username::as_str).collect();
        let rows = user::Entity::find()
            .filter(user::Column::Username.is_in(names))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| StoredUser::from(row).user)
            .collect())
    }

    /// The direct chat between `a` and `b`, created if there is none yet; the flag
    /// says whether it was created now.
    pub async fn direct_chat(
        &self,
        a: UserId,
        b: UserId,
    ) -> Result<(ChatRecord, bool), StoreError> {
        let key = direct_key(a, b);
        if let Some(existing) = self.chat_by_direct_key(&key).await? {
            return Ok((existing, false));
        }
        match self
            .insert_chat(ChatKind::Direct, None, Some(key.clone()), &[a, b])
            .await
        {
            Ok(created) => Ok((created, true)),
            // Both people started it at the same moment: the other insert won.
            Err(StoreError::Conflict) => {
                let existing = self.chat_by_direct_key(&key).await?;
                existing
                    .map(|chat| (chat, false))
                    .ok_or(StoreError::Conflict)
            }
            Err(error) => Err(error),
        }
    }

    pub async fn create_group(
        &self,
        name: &GroupName,
        members: &[UserId],
    ) -> Result<ChatRecord, StoreError> {
        self.insert_chat(
            ChatKind::Group,
            Some(name.as_str().to_owned()),
            None,
            members,
        )
        .await
    }

    async fn chat_by_direct_key(&self, key: &str) -> Result<Option<ChatRecord>, StoreError> {
        let row = chat::Entity::find()
            .filter(chat::Column::DirectKey.eq(key))
            .one(&self.db)
            .await?;
        Ok(row.map(ChatRecord::from))
    }

    async fn insert_chat(
        &self,
        kind: ChatKind,
        name: Option<String>,
        direct_key: Option<String>,
        members: &[UserId],
    ) -> Result<ChatRecord, StoreError> {
        let now = Utc::now();
        let txn = self.writer.begin().await?;
        let row = chat::ActiveModel {
            id: Set(Uuid::now_v7()),
            kind: Set(kind.as_str().to_owned()),
            name: Set(name),
            direct_key: Set(direct_key),
            last_seq: Set(0),
            last_version: Set(0),
            created_at: Set(now),
            last_activity_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let memberships = members.iter().map(|member| chat_member::ActiveModel {
            chat_id: Set(row.id),
            user_id: Set(member.0),
            delivered_seq: Set(0),
            seen_seq: Set(0),
            joined_at: Set(now),
        });
        chat_member::Entity::insert_many(memberships)
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(row.into())
    }

    pub async fn chat(&self, chat_id: ChatId) -> Result<Option<ChatRecord>, StoreError> {
        Ok(chat::Entity::find_by_id(chat_id.0)
            .one(&self.db)
            .await?
            .map(ChatRecord::from))
    }

    /// A member's watermarks, or `None` when `user_id` is not in the chat.
    pub async fn membership(
        &self,
        chat_id: ChatId,
        user_id: UserId,
    ) -> Result<Option<Receipt>, StoreError> {
        let row = chat_member::Entity::find_by_id((chat_id.0, user_id.0))
            .one(&self.db)
            .await?;
        Ok(row.as_ref().map(receipt_of))
    }

    /// Who is in the chat (empty: no such chat). Read once per chat and then
    /// served from memory: a chat's members never change once it exists, so
    /// the copy is right on every node. (Adding or removing members must
    /// forget the chat here, on every node.)
    pub async fn member_ids(&self, chat_id: ChatId) -> Result<Arc<[UserId]>, StoreError> {
        if let Some(members) = self.members.get(chat_id) {
            return Ok(members);
        }
        let members: Arc<[UserId]> = receipts_in(&self.db, chat_id)
            .await?
            .iter()
            .map(|receipt| receipt.user_id)
            .collect();
        if !members.is_empty() {
            self.members.insert(chat_id, members.clone());
        }
        Ok(members)
    }

    /// Every member's watermarks, in the order they joined; empty when there is
    /// no such chat (a chat always has members).
    pub async fn receipts(&self, chat_id: ChatId) -> Result<Vec<Receipt>, StoreError> {
        receipts_in(&self.db, chat_id).await
    }

    /// Everyone in the chat with their watermarks, in the order they joined.
    pub async fn members(&self, chat_id: ChatId) -> Result<Vec<Member>, StoreError> {
        members_of(&self.db, chat_id).await
    }

    /// The user's chats with their own watermarks, newest activity first.
    pub async fn chats_of(
        &self,
        user_id: UserId,
    ) -> Result<Vec<(ChatRecord, Receipt)>, StoreError> {
        let rows = chat_member::Entity::find()
            .filter(chat_member::Column::UserId.eq(user_id.0))
            .find_also_related(chat::Entity)
            .order_by_desc(chat::Column::LastActivityAt)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(member, chat)| {
                chat.map(|chat| (ChatRecord::from(chat), receipt_of(&member)))
            })
            .collect())
    }

    /// Everyone who shares at least one chat with `user_id` (not themselves).
    pub async fn contacts_of(&self, user_id: UserId) -> Result<Vec<UserId>, StoreError> {
        let my_chats = chat_member::Entity::find()
            .select_only()
            .column(chat_member::Column::ChatId)
            .filter(chat_member::Column::UserId.eq(user_id.0))
            .into_query();
        let ids: Vec<Uuid> = chat_member::Entity::find()
            .select_only()
            .column(chat_member::Column::UserId)
            .distinct()
            .filter(chat_member::Column::ChatId.in_subquery(my_chats))
            .filter(chat_member::Column::UserId.ne(user_id.0))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }
}

pub(super) async fn receipts_in(
    db: &impl ConnectionTrait,
    chat_id: ChatId,
) -> Result<Vec<Receipt>, StoreError> {
    Ok(receipts_in_chats(db, &[chat_id])
        .await?
        .remove(&chat_id)
        .unwrap_or_default())
}

/// Every member's watermarks in each of these chats, in the order they joined.
pub(super) async fn receipts_in_chats(
    db: &impl ConnectionTrait,
    chats: &[ChatId],
) -> Result<HashMap<ChatId, Vec<Receipt>>, StoreError> {
    if chats.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = chat_member::Entity::find()
        .filter(chat_member::Column::ChatId.is_in(chats.iter().map(|chat| chat.0)))
        .order_by_asc(chat_member::Column::ChatId)
        .order_by_asc(chat_member::Column::JoinedAt)
        .order_by_asc(chat_member::Column::UserId)
        .all(db)
        .await?;
    let mut receipts: HashMap<ChatId, Vec<Receipt>> = HashMap::new();
    for row in &rows {
        receipts
            .entry(ChatId(row.chat_id))
            .or_default()
            .push(receipt_of(row));
    }
    Ok(receipts)
}

pub(super) async fn members_of(
    db: &impl ConnectionTrait,
    chat_id: ChatId,
) -> Result<Vec<Member>, StoreError> {
    let rows = chat_member::Entity::find()
        .filter(chat_member::Column::ChatId.eq(chat_id.0))
        .find_also_related(user::Entity)
        .order_by_asc(chat_member::Column::JoinedAt)
        .order_by_asc(chat_member::Column::UserId)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(member, user)| {
            user.map(|user| Member {
                user: StoredUser::from(user).user,
                receipt: receipt_of(&member),
            })
        })
        .collect())
}
