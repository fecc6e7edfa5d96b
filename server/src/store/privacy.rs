//! What people control: whom they block, and their own preferences for each
//! chat (mute, pin, archive, mark unread), the same on all their devices.

use super::{
    Store, StoreError,
    chats::ChatPrefs,
    entity::{block, chat, chat_member, message, user},
};
use app::model::{ChatId, ChatKind, ChatSummary, GroupAdds, UserId};
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set,
    PaginatorTrait, QuerySelect,
    entity::prelude::*,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};

/// A change to a member's preferences for a chat; `None` leaves one as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct PrefsChange {
    pub muted: Option<bool>,
    pub pinned: Option<bool>,
    pub archived: Option<bool>,
    pub marked_unread: Option<bool>,
}

/// Why a preference change was refused.
#[derive(Debug, thiserror::Error)]
pub enum PrefsError {
    #[error("you are not a member of this chat")]
    NotMember,
    #[error("at most {} chats can be pinned", ChatSummary::MAX_PINNED)]
    TooManyPinned,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbErr> for PrefsError {
    fn from(error: DbErr) -> Self {
        Self::Store(error.into())
    }
}

/// The blocks one person is in, either way.
#[derive(Debug, Default)]
pub struct Blocks {
    /// Who blocked them.
    pub blockers: Vec<UserId>,
    /// Whom they blocked.
    pub blocked: Vec<UserId>,
}

impl Store {
    /// `blocker` blocks (or unblocks) `blocked`. Doing what is already so is
    /// no change.
    pub async fn set_blocked(
        &self,
        blocker: UserId,
        blocked: UserId,
        on: bool,
    ) -> Result<(), StoreError> {
        if on {
            block::Entity::insert(block::ActiveModel {
                blocker_id: Set(blocker.0),
                blocked_id: Set(blocked.0),
                created_at: Set(Utc::now()),
            })
            .on_conflict(
                OnConflict::columns([block::Column::BlockerId, block::Column::BlockedId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&*self.writing().await)
            .await?;
        } else {
            block::Entity::delete_by_id((blocker.0, blocked.0))
                .exec(&*self.writing().await)
                .await?;
        }
        Ok(())
    }

    /// Whether `blocker` has blocked `blocked`.
    pub async fn has_blocked(&self, blocker: UserId, blocked: UserId) -> Result<bool, StoreError> {
        Ok(block::Entity::find_by_id((blocker.0, blocked.0))
            .count(&self.db)
            .await?
            > 0)
    }

    /// Those of `among` who have blocked `user`: they hide their presence
    /// from them.
    pub async fn blockers_of(
        &self,
        user: UserId,
        among: &[UserId],
    ) -> Result<Vec<UserId>, StoreError> {
        if among.is_empty() {
            return Ok(Vec::new());
        }
        let among = block::Column::BlockerId.is_in(among.iter().map(|id| id.0));
        self.blocks(
            block::Column::BlockerId,
            block::Column::BlockedId.eq(user.0).and(among),
        )
        .await
    }

    /// Everyone `user` has blocked.
    pub async fn blocked_by(&self, user: UserId) -> Result<Vec<UserId>, StoreError> {
        self.blocks(
            block::Column::BlockedId,
            block::Column::BlockerId.eq(user.0),
        )
        .await
    }

    /// Those of `candidates` who do not let `actor` add them to groups: their
    /// `groupAdds` is `nobody`, or `contacts` and they have never written to
    /// `actor` in a direct chat. Two reads, whatever the number of people.
    pub async fn unwilling_to_join(
        &self,
        actor: UserId,
        candidates: &[UserId],
    ) -> Result<Vec<UserId>, StoreError> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let choices: Vec<(Uuid, String)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::GroupAdds)
            .filter(user::Column::Id.is_in(candidates.iter().map(|id| id.0)))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut unwilling = Vec::new();
        let mut contacts_only = Vec::new();
        for (id, choice) in choices {
            match GroupAdds::parse(&choice) {
                GroupAdds::Everyone => {}
                GroupAdds::Contacts => contacts_only.push(id),
                GroupAdds::Nobody => unwilling.push(UserId(id)),
            }
        }
        if contacts_only.is_empty() {
            return Ok(unwilling);
        }
        // The actor's direct chats...
        let directs = Query::select()
            .column((chat_member::Entity, chat_member::Column::ChatId))
            .from(chat_member::Entity)
            .inner_join(
                chat::Entity,
                Expr::col((chat::Entity, chat::Column::Id))
                    .equals((chat_member::Entity, chat_member::Column::ChatId)),
            )
            .and_where(Expr::col((chat_member::Entity, chat_member::Column::UserId)).eq(actor.0))
            .and_where(Expr::col((chat::Entity, chat::Column::Kind)).eq(ChatKind::Direct.as_str()))
            .to_owned();
        // ...where they wrote.
        let wrote: Vec<Uuid> = message::Entity::find()
            .select_only()
            .column(message::Column::SenderId)
            .distinct()
            .filter(message::Column::SenderId.is_in(contacts_only.iter().copied()))
            .filter(message::Column::System.is_null())
            .filter(message::Column::ChatId.in_subquery(directs))
            .into_tuple()
            .all(&self.db)
            .await?;
        unwilling.extend(
            contacts_only
                .into_iter()
                .filter(|id| !wrote.contains(id))
                .map(UserId),
        );
        Ok(unwilling)
    }

    /// Who has blocked `user`, and whom `user` has blocked: one read, for a
    /// socket's handshake.
    pub async fn blocks_of(&self, user: UserId) -> Result<Blocks, StoreError> {
        let rows: Vec<(Uuid, Uuid)> = block::Entity::find()
            .select_only()
            .column(block::Column::BlockerId)
            .column(block::Column::BlockedId)
            .filter(
                block::Column::BlockerId
                    .eq(user.0)
                    .or(block::Column::BlockedId.eq(user.0)),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut blocks = Blocks::default();
        for (blocker, blocked) in rows {
            if blocker == user.0 {
                blocks.blocked.push(UserId(blocked));
            } else {
                blocks.blockers.push(UserId(blocker));
            }
        }
        Ok(blocks)
    }

    /// One side (`side`) of the blocks that match `filter`.
    async fn blocks(
        &self,
        side: block::Column,
        filter: sea_orm::sea_query::Expr,
    ) -> Result<Vec<UserId>, StoreError> {
        Ok(block::Entity::find()
            .select_only()
            .column(side)
            .filter(filter)
            .into_tuple::<Uuid>()
            .all(&self.db)
            .await?
            .into_iter()
            .map(UserId)
            .collect())
    }

    /// Changes the member's own preferences for the chat; what they are now.
    pub async fn set_chat_prefs(
        &self,
        chat_id: ChatId,
        user_id: UserId,
        change: PrefsChange,
    ) -> Result<ChatPrefs, PrefsError> {
        let key = (chat_id.0, user_id.0);
        let row = chat_member::Entity::find_by_id(key)
            .one(&*self.writing().await)
            .await?
            .ok_or(PrefsError::NotMember)?;
        let mut update = chat_member::ActiveModel {
            chat_id: Set(chat_id.0),
            user_id: Set(user_id.0),
            ..Default::default()
        };
        if let Some(muted) = change.muted {
            update.muted = Set(muted);
        }
        if let Some(archived) = change.archived {
            update.archived_at = Set(archived.then(Utc::now));
        }
        if let Some(marked) = change.marked_unread {
            update.marked_unread = Set(marked);
        }
        match change.pinned {
            Some(true) if row.pinned_at.is_none() => {
                let pinned = chat_member::Entity::find()
                    .filter(chat_member::Column::UserId.eq(user_id.0))
                    .filter(chat_member::Column::PinnedAt.is_not_null())
                    .count(&*self.writing().await)
                    .await?;
                if pinned >= ChatSummary::MAX_PINNED as u64 {
                    return Err(PrefsError::TooManyPinned);
                }
                update.pinned_at = Set(Some(Utc::now()));
            }
            Some(false) => update.pinned_at = Set(None),
            _ => {}
        }
        let row = if update.is_changed() {
            update.update(&*self.writing().await).await?
        } else {
            row
        };
        Ok(ChatPrefs::of(&row))
    }

    /// The chat was opened: it is no longer marked unread. Whether it was.
    pub async fn clear_marked_unread(
        &self,
        chat_id: ChatId,
        user_id: UserId,
    ) -> Result<bool, StoreError> {
        let cleared = chat_member::Entity::update_many()
            .col_expr(chat_member::Column::MarkedUnread, Expr::value(false))
            .filter(chat_member::Column::ChatId.eq(chat_id.0))
            .filter(chat_member::Column::UserId.eq(user_id.0))
            .filter(chat_member::Column::MarkedUnread.eq(true))
            .exec(&*self.writing().await)
            .await?;
        Ok(cleared.rows_affected > 0)
    }
}
