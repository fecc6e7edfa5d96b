//! Groups people manage: rename, add, remove, leave, appoint. Each change is
//! one transaction that locks the chat, checks the actor's right to make it
//! against the members as they stand, changes the members, and writes the
//! change into the timeline as system messages (each with the chat's next
//! seq and version), so every member reads "Harley added Sara" in its place.

use super::{
    Store, StoreError,
    chats::{ChatRecord, new_membership},
    entity::{block, chat, chat_member, group_invite, group_removal, message, user},
    messages::StoredMessage,
};
use app::model::{
    Chat, ChatId, ChatKind, GroupDescription, GroupName, Role, Seq, SystemAction, SystemEvent,
    UserId,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    DatabaseTransaction, QueryOrder,
    entity::prelude::*,
    sea_query::{Expr, ExprTrait},
};
use std::collections::HashMap;

/// What to do to a group.
#[derive(Clone, Copy, Debug)]
pub enum GroupChange<'a> {
    Rename(&'a GroupName),
    Describe(&'a GroupDescription),
    /// A new photo (its version), or none.
    Photo(Option<&'a str>),
    Add(&'a [UserId]),
    Remove(UserId),
    Leave,
    SetRole(UserId, Role),
    /// The actor joins through the group's invite link (this token).
    JoinByLink(&'a str),
}

impl GroupChange<'_> {
    /// Only admins may do it (anyone may leave; a link is for non-members).
    fn needs_admin(&self) -> bool {
        !matches!(self, Self::Leave | Self::JoinByLink(_))
    }
}

/// What a change did.
#[derive(Debug)]
pub struct GroupChanged {
    /// The chat after the change.
    pub chat: ChatRecord,
    /// The members before it (so those who left or were removed hear of it).
    pub members_before: Vec<UserId>,
    /// The lines it wrote into the timeline, in seq order; none when it
    /// changed nothing (renaming to the same name, adding members again…).
    pub messages: Vec<StoredMessage>,
}

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("no such chat")]
    NotFound,
    #[error("you are not a member of this chat")]
    NotMember,
    #[error("direct chats have no names, roles or membership changes")]
    NotGroup,
    #[error("only the group's admins can do that")]
    NotAdmin,
    #[error("that person is not in this group")]
    NoSuchMember,
    #[error("a group has at most {} members", Chat::MAX_GROUP_MEMBERS)]
    TooManyMembers,
    #[error("a group needs an admin: make someone else an admin first")]
    LastAdmin,
    #[error("this invite link does not work any more: ask for a new one")]
    InviteGone,
    #[error("the group's admins removed you: one of them has to add you again")]
    RemovedByAdmins,
    #[error("you can't join through this link")]
    BlockedByInviter,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbErr> for GroupError {
    fn from(error: DbErr) -> Self {
        Self::Store(error.into())
    }
}

/// A member as the change sees them.
#[derive(Clone, Copy, Debug)]
struct Standing {
    user_id: UserId,
    role: Role,
}

impl Store {
    /// Applies `change` to the group, by `actor`.
    pub async fn change_group(
        &self,
        chat_id: ChatId,
        actor: UserId,
        change: GroupChange<'_>,
    ) -> Result<GroupChanged, GroupError> {
        let (txn, _turn) = self.begin_write().await?;
        let chat = lock_chat(&txn, chat_id).await?;
        let members = standings(&txn, chat_id).await?;
        let me = members.iter().find(|member| member.user_id == actor);
        let joining = matches!(change, GroupChange::JoinByLink(_));
        // Joining what one is already in changes nothing.
        if joining && me.is_some() && chat.kind == ChatKind::Group {
            return Ok(GroupChanged {
                chat,
                members_before: members.iter().map(|member| member.user_id).collect(),
                messages: Vec::new(),
            });
        }
        may_act(&chat, me, joining, change.needs_admin())?;
        let mut involved: Vec<UserId> = members.iter().map(|member| member.user_id).collect();
        involved.push(actor);
        if let GroupChange::Add(users) = change {
            involved.extend_from_slice(users);
        }
        let names = display_names(&txn, &involved).await?;
        let mut timeline = Timeline::new(&chat, actor, names);
        apply(&txn, &mut timeline, &members, change).await?;
        let messages = timeline.write(&txn).await?;
        let chat = ChatRecord::from(
            chat::Entity::find_by_id(chat_id.0)
                .one(&txn)
                .await?
                .ok_or(GroupError::NotFound)?,
        );
        txn.commit().await?;
        Ok(GroupChanged {
            chat,
            members_before: members.iter().map(|member| member.user_id).collect(),
            messages,
        })
    }
}

/// The group, locked, if `actor` is one of its admins.
pub(super) async fn admin_of(
    txn: &DatabaseTransaction,
    chat_id: ChatId,
    actor: UserId,
) -> Result<ChatRecord, GroupError> {
    let chat = lock_chat(txn, chat_id).await?;
    let members = standings(txn, chat_id).await?;
    let me = members.iter().find(|member| member.user_id == actor);
    may_act(&chat, me, false, true)?;
    Ok(chat)
}

impl Store {
    /// Whether `actor` is an admin of the group `chat_id`, refused as a
    /// change would be: asked before costly work (decoding a photo), and
    /// asked again by the change in its transaction.
    pub async fn check_group_admin(
        &self,
        chat_id: ChatId,
        actor: UserId,
    ) -> Result<(), GroupError> {
        let chat = chat::Entity::find_by_id(chat_id.0)
            .one(&self.db)
            .await?
            .map(ChatRecord::from)
            .ok_or(GroupError::NotFound)?;
        let me = self.membership(chat_id, actor).await?.map(|mine| Standing {
            user_id: actor,
            role: mine.role,
        });
        may_act(&chat, me.as_ref(), false, true)
    }
}

/// Whether someone (`me`: their standing, if a member) may change the chat:
/// a member (or anyone, for `outsider_welcome`), of a group, an admin when
/// it `needs_admin`. Refused in that order.
fn may_act(
    chat: &ChatRecord,
    me: Option<&Standing>,
    outsider_welcome: bool,
    needs_admin: bool,
) -> Result<(), GroupError> {
    if me.is_none() && !outsider_welcome {
        return Err(GroupError::NotMember);
    }
    if chat.kind != ChatKind::Group {
        return Err(GroupError::NotGroup);
    }
    if needs_admin && me.is_none_or(|me| me.role != Role::Admin) {
        return Err(GroupError::NotAdmin);
    }
    Ok(())
}

/// Takes the chat's row lock (PostgreSQL; SQLite's writer is one connection)
/// until commit, so changes to one chat apply one at a time.
async fn lock_chat(txn: &DatabaseTransaction, chat_id: ChatId) -> Result<ChatRecord, GroupError> {
    let rows = chat::Entity::update_many()
        .col_expr(chat::Column::LastSeq, Expr::col(chat::Column::LastSeq))
        .filter(chat::Column::Id.eq(chat_id.0))
        .exec_with_returning(txn)
        .await?;
    rows.into_iter()
        .next()
        .map(ChatRecord::from)
        .ok_or(GroupError::NotFound)
}

async fn display_names(
    txn: &DatabaseTransaction,
    users: &[UserId],
) -> Result<HashMap<UserId, String>, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(users.iter().map(|user| user.0)))
        .all(txn)
        .await?
        .into_iter()
        .map(|row| (UserId(row.id), row.display_name))
        .collect())
}

/// The members, longest-standing first.
async fn standings(txn: &DatabaseTransaction, chat_id: ChatId) -> Result<Vec<Standing>, DbErr> {
    Ok(chat_member::Entity::find()
        .filter(chat_member::Column::ChatId.eq(chat_id.0))
        .order_by_asc(chat_member::Column::JoinedAt)
        .order_by_asc(chat_member::Column::VisibleFromSeq)
        .order_by_asc(chat_member::Column::UserId)
        .all(txn)
        .await?
        .into_iter()
        .map(|row| Standing {
            user_id: UserId(row.user_id),
            role: Role::parse(&row.role),
        })
        .collect())
}

async fn apply(
    txn: &DatabaseTransaction,
    timeline: &mut Timeline,
    members: &[Standing],
    change: GroupChange<'_>,
) -> Result<(), GroupError> {
    let chat_id = timeline.chat_id;
    let actor = timeline.actor;
    let find = |user_id: UserId| members.iter().find(|member| member.user_id == user_id);
    match change {
        GroupChange::Rename(name) => {
            if timeline.name.as_deref() == Some(name.as_str()) {
                return Ok(());
            }
            chat::Entity::update_many()
                .col_expr(chat::Column::Name, Expr::value(name.as_str()))
                .filter(chat::Column::Id.eq(chat_id.0))
                .exec(txn)
                .await?;
            timeline.push(SystemAction::Renamed, vec![], Some(name.as_str()), None);
        }
        GroupChange::Describe(description) => {
            let new = description.as_stored();
            if timeline.description.as_deref() == new {
                return Ok(());
            }
            chat::Entity::update_many()
                .col_expr(chat::Column::Description, Expr::value(new))
                .filter(chat::Column::Id.eq(chat_id.0))
                .exec(txn)
                .await?;
            timeline.push(SystemAction::Description, vec![], new, None);
        }
        GroupChange::Photo(version) => {
            if timeline.photo.as_deref() == version {
                return Ok(());
            }
            chat::Entity::update_many()
                .col_expr(chat::Column::Photo, Expr::value(version))
                .filter(chat::Column::Id.eq(chat_id.0))
                .exec(txn)
                .await?;
            timeline.push(SystemAction::Photo, vec![], version, None);
        }
        GroupChange::Add(users) => {
            let mut new: Vec<UserId> = Vec::new();
            for &user in users {
                if find(user).is_none() && !new.contains(&user) {
                    new.push(user);
                }
            }
            if new.is_empty() {
                return Ok(());
            }
            if members.len() + new.len() > Chat::MAX_GROUP_MEMBERS {
                return Err(GroupError::TooManyMembers);
            }
            let seq = timeline.push(SystemAction::Added, new.clone(), None, None);
            let now = timeline.now;
            chat_member::Entity::insert_many(
                new.iter()
                    .map(|&user| new_membership(chat_id, user, Role::Member, seq, now)),
            )
            .exec(txn)
            .await?;
            // Added again by an admin: an invite link works for them again.
            group_removal::Entity::delete_many()
                .filter(group_removal::Column::ChatId.eq(chat_id.0))
                .filter(group_removal::Column::UserId.is_in(new.iter().map(|user| user.0)))
                .exec(txn)
                .await?;
        }
        GroupChange::JoinByLink(token) => {
            join_by_link(txn, timeline, members.len(), token).await?;
        }
        GroupChange::Remove(user) if user == actor => {
            return Box::pin(apply(txn, timeline, members, GroupChange::Leave)).await;
        }
        GroupChange::Remove(user) => {
            find(user).ok_or(GroupError::NoSuchMember)?;
            drop_member(txn, chat_id, user).await?;
            remember_removal(txn, chat_id, user, timeline.now).await?;
            timeline.push(SystemAction::Removed, vec![user], None, None);
        }
        GroupChange::Leave => {
            drop_member(txn, chat_id, actor).await?;
            timeline.push(SystemAction::Left, vec![], None, None);
            let rest: Vec<&Standing> = members.iter().filter(|m| m.user_id != actor).collect();
            let admin_left = rest.iter().any(|member| member.role == Role::Admin);
            // The last admin gone: the longest-standing member takes over.
            if let (false, Some(heir)) = (admin_left, rest.first()) {
                set_role(txn, chat_id, heir.user_id, Role::Admin).await?;
                timeline.push(
                    SystemAction::Role,
                    vec![heir.user_id],
                    None,
                    Some(Role::Admin),
                );
            }
        }
        GroupChange::SetRole(user, role) => {
            let member = find(user).ok_or(GroupError::NoSuchMember)?;
            if member.role == role {
                return Ok(());
            }
            let admins = members.iter().filter(|m| m.role == Role::Admin).count();
            if role == Role::Member && admins == 1 {
                return Err(GroupError::LastAdmin);
            }
            set_role(txn, chat_id, user, role).await?;
            timeline.push(SystemAction::Role, vec![user], None, Some(role));
        }
    }
    Ok(())
}

/// The actor joins through the link `token`, if it is the group's, works,
/// and is for them: not removed by the admins, not blocked by its maker.
async fn join_by_link(
    txn: &DatabaseTransaction,
    timeline: &mut Timeline,
    members: usize,
    token: &str,
) -> Result<(), GroupError> {
    let (chat_id, actor, now) = (timeline.chat_id, timeline.actor, timeline.now);
    let link = group_invite::Entity::find_by_id(chat_id.0)
        .one(txn)
        .await?
        .filter(|link| link.token == token && super::invite_usable(link, now))
        .ok_or(GroupError::InviteGone)?;
    let removed = group_removal::Entity::find_by_id((chat_id.0, actor.0))
        .one(txn)
        .await?;
    if removed.is_some() {
        return Err(GroupError::RemovedByAdmins);
    }
    let blocked = block::Entity::find_by_id((link.created_by, actor.0))
        .one(txn)
        .await?;
    if blocked.is_some() {
        return Err(GroupError::BlockedByInviter);
    }
    if members + 1 > Chat::MAX_GROUP_MEMBERS {
        return Err(GroupError::TooManyMembers);
    }
    let seq = timeline.push(SystemAction::JoinedByLink, vec![], None, None);
    chat_member::Entity::insert(new_membership(chat_id, actor, Role::Member, seq, now))
        .exec(txn)
        .await?;
    group_invite::Entity::update_many()
        .col_expr(
            group_invite::Column::Uses,
            Expr::col(group_invite::Column::Uses).add(1),
        )
        .filter(group_invite::Column::ChatId.eq(chat_id.0))
        .exec(txn)
        .await?;
    Ok(())
}

async fn remember_removal(
    txn: &DatabaseTransaction,
    chat_id: ChatId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    group_removal::Entity::insert(group_removal::ActiveModel {
        chat_id: Set(chat_id.0),
        user_id: Set(user.0),
        removed_at: Set(now),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            group_removal::Column::ChatId,
            group_removal::Column::UserId,
        ])
        .update_column(group_removal::Column::RemovedAt)
        .to_owned(),
    )
    .exec(txn)
    .await?;
    Ok(())
}

async fn drop_member(
    txn: &DatabaseTransaction,
    chat_id: ChatId,
    user: UserId,
) -> Result<(), DbErr> {
    chat_member::Entity::delete_by_id((chat_id.0, user.0))
        .exec(txn)
        .await?;
    Ok(())
}

async fn set_role(
    txn: &DatabaseTransaction,
    chat_id: ChatId,
    user: UserId,
    role: Role,
) -> Result<(), DbErr> {
    chat_member::Entity::update_many()
        .col_expr(chat_member::Column::Role, Expr::value(role.as_str()))
        .filter(chat_member::Column::ChatId.eq(chat_id.0))
        .filter(chat_member::Column::UserId.eq(user.0))
        .exec(txn)
        .await?;
    Ok(())
}

/// The system messages a change writes, numbered as they are planned.
struct Timeline {
    chat_id: ChatId,
    actor: UserId,
    name: Option<String>,
    description: Option<String>,
    photo: Option<String>,
    now: DateTime<Utc>,
    last_seq: Seq,
    last_version: i64,
    names: HashMap<UserId, String>,
    lines: Vec<StoredMessage>,
}

impl Timeline {
    fn new(chat: &ChatRecord, actor: UserId, names: HashMap<UserId, String>) -> Self {
        Self {
            chat_id: chat.id,
            actor,
            name: chat.name.clone(),
            description: chat.description.clone(),
            photo: chat.photo.clone(),
            now: Utc::now(),
            last_seq: chat.last_seq,
            last_version: chat.last_version,
            names,
            lines: Vec::new(),
        }
    }

    /// Plans one line; its seq.
    fn push(
        &mut self,
        action: SystemAction,
        user_ids: Vec<UserId>,
        name: Option<&str>,
        role: Option<Role>,
    ) -> Seq {
        self.last_seq += 1;
        self.last_version += 1;
        let id = Uuid::now_v7();
        let name_of = |user: &UserId| self.names.get(user).cloned().unwrap_or_default();
        let actor_name = name_of(&self.actor);
        let user_names = user_ids.iter().map(name_of).collect();
        self.lines.push(StoredMessage {
            id: app::model::MessageId(id),
            chat_id: self.chat_id,
            seq: self.last_seq,
            sender_id: self.actor,
            client_id: format!("system:{id}"),
            body: String::new(),
            created_at: self.now,
            version: self.last_version,
            edited_at: None,
            deleted_at: None,
            reply_to_id: None,
            reply_to: None,
            quoted_seq: None,
            reactions: Vec::new(),
            attachments: Vec::new(),
            system: Some(SystemEvent {
                action,
                actor_id: self.actor,
                user_ids,
                name: name.map(str::to_owned),
                role,
                actor_name,
                user_names,
            }),
            mentions: Vec::new(),
        });
        self.last_seq
    }

    /// Stores the lines, moves the chat's counters past them, and marks them
    /// seen by their actor (if still a member).
    async fn write(self, txn: &DatabaseTransaction) -> Result<Vec<StoredMessage>, GroupError> {
        if self.lines.is_empty() {
            return Ok(self.lines);
        }
        chat::Entity::update_many()
            .col_expr(chat::Column::LastSeq, Expr::value(self.last_seq))
            .col_expr(chat::Column::LastVersion, Expr::value(self.last_version))
            .col_expr(chat::Column::LastActivityAt, Expr::value(self.now))
            .filter(chat::Column::Id.eq(self.chat_id.0))
            .exec(txn)
            .await?;
        let rows = self.lines.iter().map(|line| message::ActiveModel {
            id: Set(line.id.0),
            chat_id: Set(line.chat_id.0),
            seq: Set(line.seq),
            sender_id: Set(line.sender_id.0),
            client_id: Set(line.client_id.clone()),
            body: Set(String::new()),
            created_at: Set(line.created_at),
            version: Set(line.version),
            changed_at: Set(None),
            edited_at: Set(None),
            deleted_at: Set(None),
            reply_to_id: Set(None),
            system: Set(line
                .system
                .as_ref()
                .and_then(|event| serde_json::to_string(event).ok())),
            mentions: Set(None),
        });
        message::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
        chat_member::Entity::update_many()
            .col_expr(
                chat_member::Column::DeliveredSeq,
                Expr::value(self.last_seq),
            )
            .col_expr(chat_member::Column::SeenSeq, Expr::value(self.last_seq))
            .filter(chat_member::Column::ChatId.eq(self.chat_id.0))
            .filter(chat_member::Column::UserId.eq(self.actor.0))
            .exec(txn)
            .await?;
        Ok(self.lines)
    }
}
