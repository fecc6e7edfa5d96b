//! `createInviteLink`, `revokeInviteLink`, `inviteInfo` and `joinByInvite`:
//! a group's invite link. Its admins make and stop it (the store checks
//! their role, as for any group change); anyone signed in may look at where
//! a working link leads and join through it: a group change like an
//! admin's add (see `groups.rs`), written as "Sara joined using this group's
//! invite link", from which line on she reads.
//!
//! Guessing: a token carries 256 random bits, and each person's lookups of
//! links that do not work are counted in the database (every node sees the
//! same count): past [`GUESSES`], `rate_limited` for a while.

use super::{Realtime, dispatch::Ctx, groups};
use crate::{
    auth::SessionToken,
    store::{GroupChange, Rule, StoredGroupInvite},
};
use app::{
    model::{Chat, ChatId, UserId},
    protocol::{
        ApiError, CreateInviteLink, Done, ErrorCode, InviteInfo, InviteLink, InvitePreview,
        JoinByInvite, RevokeInviteLink,
    },
};
use chrono::Utc;
use socketioxide::adapter::Adapter;
use std::{net::IpAddr, time::Duration};

/// Links that do not work, looked up by one person: ten in ten minutes, then
/// a minute's wait, doubling to an hour.
pub const GUESSES: Rule = Rule {
    free_attempts: 10,
    window: Duration::from_secs(600),
    first_block: Duration::from_secs(60),
    max_block: Duration::from_secs(3600),
};

/// The same from one address, where many people may share one (a school,
/// an office): fifty in ten minutes.
pub const ADDRESS_GUESSES: Rule = Rule {
    free_attempts: 50,
    ..GUESSES
};

/// The longest a link may be made to last: a year.
const MAX_HOURS: u32 = 24 * 366;

pub async fn create_invite_link<A: Adapter>(
    ctx: Ctx<A>,
    request: CreateInviteLink,
) -> Result<InviteLink, ApiError> {
    if request.expires_in_hours == Some(0) || request.max_uses == Some(0) {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "a link lasts at least an hour and one use",
        ));
    }
    let expires_at = request
        .expires_in_hours
        .map(|hours| Utc::now() + chrono::Duration::hours(i64::from(hours.min(MAX_HOURS))));
    let token = SessionToken::generate();
    let link = ctx
        .realtime
        .store
        .create_group_invite(
            request.chat_id,
            ctx.me().id,
            token.as_str(),
            expires_at,
            request.max_uses,
        )
        .await?;
    Ok(InviteLink {
        url: format!(
            "{}{}",
            ctx.realtime.public_url,
            InviteLink::path(&link.token)
        ),
        token: link.token,
        expires_at: link.expires_at,
        max_uses: request.max_uses,
    })
}

pub async fn revoke_invite_link<A: Adapter>(
    ctx: Ctx<A>,
    request: RevokeInviteLink,
) -> Result<Done, ApiError> {
    ctx.realtime
        .store
        .revoke_group_invite(request.chat_id, ctx.me().id)
        .await?;
    Ok(Done {})
}

pub async fn invite_info<A: Adapter>(
    ctx: Ctx<A>,
    request: InviteInfo,
) -> Result<InvitePreview, ApiError> {
    let link = ctx
        .realtime
        .working_invite(ctx.me().id, ctx.connection.from, &request.token)
        .await?;
    ctx.realtime.invite_preview(&link).await
}

pub async fn join_by_invite<A: Adapter>(
    ctx: Ctx<A>,
    request: JoinByInvite,
) -> Result<Chat, ApiError> {
    let link = ctx
        .realtime
        .working_invite(ctx.me().id, ctx.connection.from, &request.token)
        .await?;
    let chat_id = ChatId(link.chat_id);
    groups::change(&ctx, chat_id, GroupChange::JoinByLink(&request.token)).await
}

impl<A: Adapter> Realtime<A> {
    /// The group a link leads to, as someone not in it may see it: its name,
    /// description, photo and how many are in it; nothing of what was said.
    pub async fn invite_preview(
        &self,
        link: &StoredGroupInvite,
    ) -> Result<InvitePreview, ApiError> {
        let chat_id = ChatId(link.chat_id);
        let chat = self.store.chat(chat_id).await?.ok_or_else(gone)?;
        let member_count = self.store.member_count(chat_id).await?;
        Ok(InvitePreview {
            chat_id,
            name: chat.name.unwrap_or_default(),
            description: chat.description,
            // Its holder may see the photo by the link (see `Store::chat_photo_for`).
            photo_url: (chat.photo.as_deref()).map(|version| {
                // (A token is base64url: nothing in it needs escaping.)
                let url = crate::store::PhotoOf::Chat(chat_id).url(version);
                format!("{url}?invite={}", link.token)
            }),
            member_count: u32::try_from(member_count).unwrap_or(u32::MAX),
        })
    }

    /// The link `token` names if it works; a person, or an address, that
    /// keeps naming links that do not is told to wait (counted in the
    /// database: the same on every node).
    pub async fn working_invite(
        &self,
        user: UserId,
        from: IpAddr,
        token: &str,
    ) -> Result<StoredGroupInvite, ApiError> {
        let keys = [
            (format!("invite-guess:{user}"), &GUESSES),
            (format!("invite-guess-from:{from}"), &ADDRESS_GUESSES),
        ];
        let now = Utc::now();
        let asked: Vec<&str> = keys.iter().map(|(key, _)| key.as_str()).collect();
        if let Some(wait) = self.store.blocked_for(&asked, now).await? {
            return Err(ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "too many links that do not work: try again in {} s",
                    wait.as_secs().max(1)
                ),
            ));
        }
        match self.store.usable_group_invite(token, now).await? {
            Some(link) => Ok(link),
            None => {
                for (key, rule) in keys {
                    self.store.count_attempt(&key, rule, now).await?;
                }
                Err(gone())
            }
        }
    }
}

fn gone() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "this invite link does not work any more: ask for a new one",
    )
}
