//! Chats and their members.

use super::receipts::Watermarks;
use super::{
    Store, StoreError,
    entity::{chat, chat_member, user},
    users::StoredUser,
};
use app::model::{
    ChatId, ChatKind, ChatSummary, GroupName, Receipt, Role, Seq, Settings, User, UserId, Username,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, JoinType, QueryOrder, QuerySelect, QueryTrait,
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
    pub description: Option<String>,
    /// A group's photo's version, if it has one.
    pub photo: Option<String>,
    /// The newest message's seq (0: none yet).
    pub last_seq: Seq,
    /// The chat's change counter (see `Message::version`).
    pub last_version: i64,
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
            description: row.description,
            photo: row.photo,
            last_seq: row.last_seq,
            last_version: row.last_version,
            last_activity_at: row.last_activity_at,
        }
    }
}

/// Where a page of someone's chat list stops: the next page starts below
/// it (older activity, or the same activity and a lower id). Opaque to
/// clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChatCursor {
    pub activity: DateTime<Utc>,
    pub chat: ChatId,
}

impl ChatCursor {
    pub fn encode(self) -> String {
        let nanos = self.activity.timestamp_nanos_opt().unwrap_or_default();
        format!("{nanos}.{}", self.chat.0.simple())
    }

    /// `None` for anything this server did not hand out.
    pub fn decode(raw: &str) -> Option<Self> {
        let (nanos, chat) = raw.split_once('.')?;
        Some(Self {
            activity: DateTime::from_timestamp_nanos(nanos.parse().ok()?),
            chat: ChatId(Uuid::try_parse(chat).ok()?),
        })
    }
}

/// A member as stored: who (presence not filled in), their watermarks, their
/// role, from where they may read, and their privacy settings.
#[derive(Clone, Debug)]
pub struct Member {
    pub user: User,
    pub receipt: Receipt,
    pub role: Role,
    pub visible_from: Seq,
    pub settings: Settings,
    /// Their profile photo's version (see `StoredUser::photo`).
    pub photo: Option<String>,
}

/// A person's own standing in one chat of theirs.
#[derive(Clone, Copy, Debug)]
pub struct Membership {
    pub receipt: Receipt,
    pub role: Role,
    pub visible_from: Seq,
    pub prefs: ChatPrefs,
}

/// A member's own choices for a chat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChatPrefs {
    pub muted: bool,
    pub pinned_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    pub marked_unread: bool,
}

impl ChatPrefs {
    pub(super) fn of(row: &chat_member::Model) -> Self {
        Self {
            muted: row.muted,
            pinned_at: row.pinned_at,
            archived_at: row.archived_at,
            marked_unread: row.marked_unread,
        }
    }

    /// Still archived: nothing arrived since, or the chat is muted (a muted
    /// chat stays archived). Worked out when read, so that a new message
    /// costs no write per member who archived the chat.
    pub fn is_archived(&self, last_activity_at: DateTime<Utc>) -> bool {
        self.archived_at
            .is_some_and(|archived_at| self.muted || last_activity_at <= archived_at)
    }
}

impl From<&chat_member::Model> for Membership {
    fn from(row: &chat_member::Model) -> Self {
        Self {
            receipt: receipt_of(row),
            role: Role::parse(&row.role),
            visible_from: row.visible_from_seq,
            prefs: ChatPrefs::of(row),
        }
    }
}

pub(super) fn receipt_of(row: &chat_member::Model) -> Receipt {
    Receipt {
        user_id: UserId(row.user_id),
        delivered_seq: row.delivered_seq,
        seen_seq: row.seen_seq,
    }
}

/// Who is in a chat, and whether it is a direct one.
#[derive(Clone, Debug)]
pub struct MemberIds {
    pub direct: bool,
    pub ids: Arc<[UserId]>,
}

impl std::ops::Deref for MemberIds {
    type Target = [UserId];

    fn deref(&self) -> &[UserId] {
        &self.ids
    }
}

/// Direct chats' member lists, kept after the first read. Bounded: past
/// [`MemberCache::CAPACITY`] chats it starts afresh (a re-read is one query).
#[derive(Clone, Debug, Default)]
pub(super) struct MemberCache(Arc<RwLock<HashMap<ChatId, MemberIds>>>);

impl MemberCache {
    const CAPACITY: usize = 100_000;

    fn get(&self, chat_id: ChatId) -> Option<MemberIds> {
        self.0.read().ok()?.get(&chat_id).cloned()
    }

    fn insert(&self, chat_id: ChatId, members: MemberIds) {
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
    /// The users with these usernames (those that exist and are active: a
    /// deactivated account is in no new chat and no mention).
    pub async fn find_users(&self, usernames: &[Username]) -> Result<Vec<User>, StoreError> {
        let names: Vec<&str> = usernames.iter().map(Username::as_str).collect();
        let rows = user::Entity::find()
            .filter(user::Column::Username.is_in(names))
            .filter(user::Column::DeactivatedAt.is_null())
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

    /// The direct chat between `a` and `b`, if they have one.
    pub async fn direct_chat_between(
        &self,
        a: UserId,
        b: UserId,
    ) -> Result<Option<ChatRecord>, StoreError> {
        self.chat_by_direct_key(&direct_key(a, b)).await
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
        let (txn, _turn) = self.begin_write().await?;
        let row = chat::ActiveModel {
            id: Set(Uuid::now_v7()),
            kind: Set(kind.as_str().to_owned()),
            name: Set(name),
            description: Set(None),
            photo: Set(None),
            direct_key: Set(direct_key),
            last_seq: Set(0),
            last_version: Set(0),
            created_at: Set(now),
            last_activity_at: Set(now),
        }
        .insert(&txn)
        .await?;
        // A group's creator (listed first) is its first admin.
        let memberships = members.iter().enumerate().map(|(index, member)| {
            let role = if kind == ChatKind::Group && index == 0 {
                Role::Admin
            } else {
                Role::Member
            };
            new_membership(ChatId(row.id), *member, role, 0, now)
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

    /// The user's standing in the chat, or `None` when they are not in it.
    pub async fn membership(
        &self,
        chat_id: ChatId,
        user_id: UserId,
    ) -> Result<Option<Membership>, StoreError> {
        let row = chat_member::Entity::find_by_id((chat_id.0, user_id.0))
            .one(&self.db)
            .await?;
        Ok(row.as_ref().map(Membership::from))
    }

    /// Who is in the chat (empty: no such chat). A direct chat's two members
    /// never change, so they are read once and then served from memory (the
    /// same on every node); a group's are read each time, since a member
    /// removed on another node must be refused here at once.
    pub async fn member_ids(&self, chat_id: ChatId) -> Result<MemberIds, StoreError> {
        if let Some(members) = self.members.get(chat_id) {
            return Ok(members);
        }
        let rows: Vec<(Uuid, String)> = chat_member::Entity::find()
            .select_only()
            .column(chat_member::Column::UserId)
            .column(chat::Column::Kind)
            .join(JoinType::InnerJoin, chat_member::Relation::Chat.def())
            .filter(chat_member::Column::ChatId.eq(chat_id.0))
            .into_tuple()
            .all(&self.db)
            .await?;
        let direct = rows
            .first()
            .is_some_and(|(_, kind)| kind == ChatKind::Direct.as_str());
        let members = MemberIds {
            direct,
            ids: rows.into_iter().map(|(id, _)| UserId(id)).collect(),
        };
        if direct {
            self.members.insert(chat_id, members.clone());
        }
        Ok(members)
    }

    /// The members who joined after seq `seq` (may not read it): one
    /// indexed read, asked only for a reply.
    pub async fn joined_after(&self, chat_id: ChatId, seq: Seq) -> Result<Vec<UserId>, StoreError> {
        let ids: Vec<Uuid> = chat_member::Entity::find()
            .select_only()
            .column(chat_member::Column::UserId)
            .filter(chat_member::Column::ChatId.eq(chat_id.0))
            .filter(chat_member::Column::VisibleFromSeq.gt(seq))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    /// Every member's watermarks, in the order they joined, and who keeps
    /// their reading private; empty when there is no such chat (a chat
    /// always has members).
    pub async fn receipts(&self, chat_id: ChatId) -> Result<Watermarks, StoreError> {
        receipts_in(&self.db, chat_id).await
    }

    /// Everyone in the chat with their watermarks, in the order they joined.
    pub async fn members(&self, chat_id: ChatId) -> Result<Vec<Member>, StoreError> {
        members_of(&self.db, chat_id).await
    }

    /// A page of the user's chat list, with their own standing in each: on
    /// the first page (`before` absent) every pinned chat, newest activity
    /// first, then up to `limit` unpinned ones; on later pages the `limit`
    /// unpinned ones below `before`. Also where the next page starts, when
    /// there is one. Two reads, however many chats the user is in:
    /// the page's order is found from indexes alone (memberships by
    /// `idx_chat_members_list`, each chat's activity by its key), then only
    /// the page's rows are read whole.
    pub async fn chat_page(
        &self,
        user_id: UserId,
        before: Option<ChatCursor>,
        limit: u64,
    ) -> Result<(Vec<(ChatRecord, Membership)>, Option<ChatCursor>), StoreError> {
        // The page's order: on the first page the pinned chats first (there
        // are at most `MAX_PINNED`), then the unpinned ones, newest first.
        let mut order = chat_member::Entity::find()
            .select_only()
            .column(chat_member::Column::ChatId)
            .column(chat::Column::LastActivityAt)
            .column_as(chat_member::Column::PinnedAt.is_not_null(), "pinned")
            .join(JoinType::InnerJoin, chat_member::Relation::Chat.def())
            .filter(chat_member::Column::UserId.eq(user_id.0));
        let room = match before {
            None => {
                order = order.order_by_desc(chat_member::Column::PinnedAt.is_not_null());
                limit + 1 + ChatSummary::MAX_PINNED as u64
            }
            Some(ChatCursor { activity, chat }) => {
                use sea_orm::ExprTrait;
                order = order
                    .filter(chat_member::Column::PinnedAt.is_null())
                    .filter(
                        chat::Column::LastActivityAt
                            .lt(activity)
                            .or(chat::Column::LastActivityAt
                                .eq(activity)
                                .and(chat::Column::Id.lt(chat.0))),
                    );
                limit + 1
            }
        };
        let (pinned, mut unpinned): (Vec<_>, Vec<_>) = order
            .order_by_desc(chat::Column::LastActivityAt)
            .order_by_desc(chat::Column::Id)
            .limit(room)
            .into_tuple::<(Uuid, DateTime<Utc>, bool)>()
            .all(&self.db)
            .await?
            .into_iter()
            .partition(|&(_, _, pinned)| pinned);
        // One more than asked: whether there is a next page.
        let more = unpinned.len() as u64 > limit;
        unpinned.truncate(limit as usize);
        let next = more
            .then(|| unpinned.last())
            .flatten()
            .map(|&(chat, activity, _)| ChatCursor {
                activity,
                chat: ChatId(chat),
            });
        let order: Vec<(Uuid, DateTime<Utc>, bool)> = pinned.into_iter().chain(unpinned).collect();
        let mut rows: HashMap<Uuid, (chat_member::Model, Option<chat::Model>)> =
            chat_member::Entity::find()
                .filter(chat_member::Column::UserId.eq(user_id.0))
                .filter(chat_member::Column::ChatId.is_in(order.iter().map(|(id, ..)| *id)))
                .find_also_related(chat::Entity)
                .all(&self.db)
                .await?
                .into_iter()
                .map(|(member, chat)| (member.chat_id, (member, chat)))
                .collect();
        let page = order
            .iter()
            .filter_map(|(id, ..)| {
                let (member, chat) = rows.remove(id)?;
                Some((ChatRecord::from(chat?), Membership::from(&member)))
            })
            .collect();
        Ok((page, next))
    }

    /// Everyone in each of these chats with their watermarks, in the order
    /// they joined: one read.
    pub async fn members_in(
        &self,
        chats: &[ChatId],
    ) -> Result<HashMap<ChatId, Vec<Member>>, StoreError> {
        members_in_chats(&self.db, chats).await
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
) -> Result<Watermarks, StoreError> {
    Ok(receipts_in_chats(db, &[chat_id])
        .await?
        .remove(&chat_id)
        .unwrap_or_default())
}

/// Every member's watermarks in each of these chats, in the order they
/// joined, and who among them keeps their reading private.
pub(super) async fn receipts_in_chats(
    db: &impl ConnectionTrait,
    chats: &[ChatId],
) -> Result<HashMap<ChatId, Watermarks>, StoreError> {
    if chats.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, Uuid, Seq, Seq, bool)> = chat_member::Entity::find()
        .select_only()
        .column(chat_member::Column::ChatId)
        .column(chat_member::Column::UserId)
        .column(chat_member::Column::DeliveredSeq)
        .column(chat_member::Column::SeenSeq)
        .column(user::Column::ReadReceipts)
        .join(JoinType::InnerJoin, chat_member::Relation::User.def())
        .filter(chat_member::Column::ChatId.is_in(chats.iter().map(|chat| chat.0)))
        .order_by_asc(chat_member::Column::ChatId)
        .order_by_asc(chat_member::Column::JoinedAt)
        .order_by_asc(chat_member::Column::UserId)
        .into_tuple()
        .all(db)
        .await?;
    let mut watermarks: HashMap<ChatId, Watermarks> = HashMap::new();
    for (chat, user, delivered_seq, seen_seq, read_receipts) in rows {
        let user_id = UserId(user);
        let chat = watermarks.entry(ChatId(chat)).or_default();
        chat.receipts.push(Receipt {
            user_id,
            delivered_seq,
            seen_seq,
        });
        if !read_receipts {
            chat.private.push(user_id);
        }
    }
    Ok(watermarks)
}

/// A membership row for `user_id` joining `chat_id` now with `role`, reading
/// from `visible_from`: everything before it counts as delivered and seen, so
/// a newcomer holds back nobody's ticks on what they cannot read.
pub(super) fn new_membership(
    chat_id: ChatId,
    user_id: UserId,
    role: Role,
    visible_from: Seq,
    now: DateTime<Utc>,
) -> chat_member::ActiveModel {
    let before = (visible_from - 1).max(0);
    chat_member::ActiveModel {
        chat_id: Set(chat_id.0),
        user_id: Set(user_id.0),
        delivered_seq: Set(before),
        seen_seq: Set(before),
        joined_at: Set(now),
        role: Set(role.as_str().to_owned()),
        visible_from_seq: Set(visible_from),
        muted: Set(false),
        pinned_at: Set(None),
        archived_at: Set(None),
        marked_unread: Set(false),
    }
}

pub(super) async fn members_of(
    db: &impl ConnectionTrait,
    chat_id: ChatId,
) -> Result<Vec<Member>, StoreError> {
    Ok(members_in_chats(db, &[chat_id])
        .await?
        .remove(&chat_id)
        .unwrap_or_default())
}

async fn members_in_chats(
    db: &impl ConnectionTrait,
    chats: &[ChatId],
) -> Result<HashMap<ChatId, Vec<Member>>, StoreError> {
    if chats.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = chat_member::Entity::find()
        .filter(chat_member::Column::ChatId.is_in(chats.iter().map(|chat| chat.0)))
        .find_also_related(user::Entity)
        .order_by_asc(chat_member::Column::ChatId)
        .order_by_asc(chat_member::Column::JoinedAt)
        .order_by_asc(chat_member::Column::UserId)
        .all(db)
        .await?;
    let mut members: HashMap<ChatId, Vec<Member>> = HashMap::new();
    for (member, user) in rows {
        let Some(user) = user else { continue };
        let user = StoredUser::from(user);
        members
            .entry(ChatId(member.chat_id))
            .or_default()
            .push(Member {
                user: user.user,
                settings: user.settings,
                photo: user.photo,
                receipt: receipt_of(&member),
                role: Role::parse(&member.role),
                visible_from: member.visible_from_seq,
            });
    }
    Ok(members)
}
