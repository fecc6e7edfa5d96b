//! `updateChat`, `addMembers`, `removeMember`, `leaveChat` and `setRole`:
//! groups their admins manage. Authorize and commit in one transaction (the
//! store checks the actor's role against the members as they stand), then:
//! those who left leave the chat's rooms on every node, the new lines of the
//! timeline go out as `newMessage`, and everyone before or after the change
//! hears `chatUpdated` with their own summary.

use super::{
    Cluster, Realtime, access::Access, chats::other_members, dispatch::Ctx, projection::with_status,
};
use crate::store::{GroupChange, GroupChanged};
use app::{
    model::{Chat, ChatId, GroupDescription, GroupName, User, UserId},
    protocol::{
        AddMembers, ApiError, Done, ErrorCode, LeaveChat, NewMessage, RemoveMember, SetRole,
        UpdateChat,
    },
};
use socketioxide::adapter::Adapter;

/// A new name, a new description, or both (each its own line in the
/// timeline); both are checked before either is changed.
pub async fn update_chat<A: Adapter>(ctx: Ctx<A>, request: UpdateChat) -> Result<Chat, ApiError> {
    let name = request.name.as_deref().map(GroupName::parse).transpose()?;
    let description = (request.description.as_deref())
        .map(GroupDescription::parse)
        .transpose()?;
    let mut changed = None;
    if let Some(name) = &name {
        changed = Some(change(&ctx, request.chat_id, GroupChange::Rename(name)).await?);
    }
    if let Some(description) = &description {
        let describe = GroupChange::Describe(description);
        changed = Some(change(&ctx, request.chat_id, describe).await?);
    }
    changed.ok_or_else(|| {
        ApiError::new(
            ErrorCode::BadRequest,
            "nothing to change: give a name or a description",
        )
    })
}

pub async fn add_members<A: Adapter>(ctx: Ctx<A>, request: AddMembers) -> Result<Chat, ApiError> {
    if request.members.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidMembers,
            "name at least one person to add",
        ));
    }
    // Whether the chat is theirs to change comes first: a stranger learns
    // nothing about which usernames exist.
    ctx.members_as_member(request.chat_id, Access::Read).await?;
    let users = other_members(&ctx, &request.members).await?;
    consent_to_join(&ctx, &users).await?;
    let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
    change(&ctx, request.chat_id, GroupChange::Add(&ids)).await
}

/// Everyone in `users` lets the current user add them to groups (their
/// `groupAdds`), or `cannot_add` names who does not. The one check behind
/// making a group and adding to one.
pub async fn consent_to_join<A: Adapter>(ctx: &Ctx<A>, users: &[User]) -> Result<(), ApiError> {
    let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
    let unwilling = ctx
        .realtime
        .store
        .unwilling_to_join(ctx.me().id, &ids)
        .await?;
    if unwilling.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = users
        .iter()
        .filter(|user| unwilling.contains(&user.id))
        .map(|user| user.username.as_str())
        .collect();
    Err(ApiError::new(
        ErrorCode::CannotAdd,
        format!(
            "{} cannot be added to groups by you (their privacy settings)",
            names.join(", ")
        ),
    ))
}

pub async fn remove_member<A: Adapter>(
    ctx: Ctx<A>,
    request: RemoveMember,
) -> Result<Chat, ApiError> {
    change(&ctx, request.chat_id, GroupChange::Remove(request.user_id)).await
}

pub async fn leave_chat<A: Adapter>(ctx: Ctx<A>, request: LeaveChat) -> Result<Done, ApiError> {
    change(&ctx, request.chat_id, GroupChange::Leave).await?;
    Ok(Done {})
}

pub async fn set_role<A: Adapter>(ctx: Ctx<A>, request: SetRole) -> Result<Chat, ApiError> {
    let change_to = GroupChange::SetRole(request.user_id, request.role);
    change(&ctx, request.chat_id, change_to).await
}

/// Commits the change and tells everyone it concerns; the chat as the actor
/// now sees it.
pub(super) async fn change<A: Adapter>(
    ctx: &Ctx<A>,
    chat_id: ChatId,
    change: GroupChange<'_>,
) -> Result<Chat, ApiError> {
    ctx.realtime
        .change_group(ctx.me().id, chat_id, change)
        .await
}

impl<A: Adapter> Realtime<A> {
    /// [`change`] by `me`, wherever it comes from (an event, or an HTTP
    /// route such as a group's photo).
    pub async fn change_group(
        &self,
        me: UserId,
        chat_id: ChatId,
        change: GroupChange<'_>,
    ) -> Result<Chat, ApiError> {
        let realtime = self;
        let GroupChanged {
            chat,
            members_before,
            messages,
        } = realtime
            .store
            .change_group(chat_id, me, change)
            .await
            .map_err(ApiError::from)?;
        let members = realtime.store.members(chat_id).await?;
        let now_in: Vec<UserId> = members.iter().map(|member| member.user.id).collect();
        if messages.is_empty() {
            return Ok(realtime.chat_view(&chat, &members, me).await);
        }
        let gone: Vec<UserId> = members_before
            .iter()
            .copied()
            .filter(|user| !now_in.contains(user))
            .collect();
        for &user in &gone {
            let rooms = vec![
                Cluster::<A>::chat_room(chat_id),
                Cluster::<A>::viewer_room(chat_id, user),
            ];
            realtime.cluster.move_user_sockets(user, rooms, false).await;
        }
        let watermarks = super::projection::watermarks_of(&members);
        for message in messages {
            let message = NewMessage(with_status(message, &watermarks));
            realtime
                .cluster
                .emit_to_chat(chat_id, &now_in, &message)
                .await;
        }
        let mut concerned = members_before;
        concerned.extend(now_in.iter().filter(|user| !gone.contains(user)));
        concerned.sort();
        concerned.dedup();
        realtime.announce_chat(&chat, &members, &concerned).await;
        Ok(realtime.chat_view(&chat, &members, me).await)
    }
}

/// What HTTP routes change in a group (its photo): the same commit, lines
/// and `chatUpdated` as the socket's events.
pub trait GroupChanges: Send + Sync + 'static {
    /// Sets (or takes away) the group's photo, by `me` (an admin).
    fn set_photo<'a>(
        &'a self,
        me: UserId,
        chat_id: ChatId,
        version: Option<&'a str>,
    ) -> futures::future::BoxFuture<'a, Result<Chat, ApiError>>;
}

impl<A: Adapter> GroupChanges for Realtime<A> {
    fn set_photo<'a>(
        &'a self,
        me: UserId,
        chat_id: ChatId,
        version: Option<&'a str>,
    ) -> futures::future::BoxFuture<'a, Result<Chat, ApiError>> {
        Box::pin(self.change_group(me, chat_id, GroupChange::Photo(version)))
    }
}
