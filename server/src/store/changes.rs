//! Changes to stored messages: edit, delete for everyone, react. Each takes
//! the chat's next version, in one transaction that first bumps the chat's
//! version counter: that row lock (PostgreSQL) or the write lock (SQLite)
//! makes a chat's changes commit one at a time, in version order, so a client
//! that has seen version N has seen every change up to N.

use super::{
    Store, StoreError,
    entity::{chat, message, reaction},
    messages::{StoredMessage, decorate, message_in},
};
use app::model::{Body, ChatId, Emoji, MessageId, Reaction, Seq, UserId, Version};
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, DatabaseTransaction, PaginatorTrait,
    entity::prelude::*,
    sea_query::{Expr, ExprTrait},
};

/// What to do to a message.
#[derive(Clone, Copy, Debug)]
pub enum Change<'a> {
    /// New text, and the members it now mentions.
    Edit(&'a Body, &'a [UserId]),
    Delete,
    React {
        emoji: &'a Emoji,
        on: bool,
    },
}

/// A change's outcome: the message as it now stands, and whether anything
/// changed (asking for what already is so changes, and announces, nothing).
#[derive(Debug)]
pub struct Changed {
    pub message: StoredMessage,
    pub changed: bool,
    /// File-store keys of the attachments a delete took away: the caller
    /// deletes their bytes, now that the rows are gone.
    pub removed_files: Vec<String>,
}

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("no such message in this chat")]
    NotFound,
    #[error("only its author can change a message")]
    NotAuthor,
    #[error("the message was deleted")]
    Deleted,
    #[error(
        "at most {} different reactions per person on a message",
        Reaction::MAX_PER_USER
    )]
    TooManyReactions,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbErr> for ChangeError {
    fn from(error: DbErr) -> Self {
        Self::Store(error.into())
    }
}

impl Store {
    /// Applies `change` to the message, by `actor`, as the chat's next
    /// version. A message before seq `visible_from` (said before the actor
    /// joined) is not theirs: not found.
    pub async fn change_message(
        &self,
        chat_id: ChatId,
        message_id: MessageId,
        actor: UserId,
        visible_from: Seq,
        change: Change<'_>,
    ) -> Result<Changed, ChangeError> {
        let (txn, _turn) = self.begin_write().await?;
        let version = next_version(&txn, chat_id).await?;
        let message = message_in(&txn, chat_id, message_id)
            .await?
            .filter(|message| message.seq >= visible_from && message.system.is_none())
            .ok_or(ChangeError::NotFound)?;
        let mut removed_files = Vec::new();
        let changed = apply(&txn, &message, actor, change, version, &mut removed_files).await?;
        // Read back inside the transaction: exactly this version, even when
        // another change follows at once.
        let message = message_in(&txn, chat_id, message_id)
            .await?
            .ok_or(ChangeError::NotFound)?;
        let message = decorate(&txn, vec![message])
            .await?
            .pop()
            .ok_or(ChangeError::NotFound)?;
        if changed {
            txn.commit().await?;
        } else {
            // Nothing changed: the version is not spent.
            txn.rollback().await?;
        }
        if changed && matches!(change, Change::Delete) {
            self.scrub.deleted();
        }
        if !changed {
            removed_files.clear();
        }
        Ok(Changed {
            message,
            changed,
            removed_files,
        })
    }
}

/// Takes the chat's next version (and with it the chat's lock until commit).
async fn next_version(txn: &DatabaseTransaction, chat_id: ChatId) -> Result<Version, ChangeError> {
    let updated = chat::Entity::update_many()
        .col_expr(
            chat::Column::LastVersion,
            Expr::col(chat::Column::LastVersion).add(1),
        )
        .filter(chat::Column::Id.eq(chat_id.0))
        .exec_with_returning(txn)
        .await?;
    updated
        .first()
        .map(|chat| chat.last_version)
        .ok_or(ChangeError::NotFound)
}

/// Checks the rules and writes the change; whether anything changed.
async fn apply(
    txn: &DatabaseTransaction,
    message: &StoredMessage,
    actor: UserId,
    change: Change<'_>,
    version: Version,
    removed_files: &mut Vec<String>,
) -> Result<bool, ChangeError> {
    let deleted = message.deleted_at.is_some();
    let now = Utc::now();
    let mut row = message::ActiveModel {
        id: Set(message.id.0),
        version: Set(version),
        changed_at: Set(Some(now)),
        ..Default::default()
    };
    match change {
        Change::Edit(..) | Change::Delete if message.sender_id != actor => {
            return Err(ChangeError::NotAuthor);
        }
        // Deleting twice is the same as once.
        Change::Delete if deleted => return Ok(false),
        _ if deleted => return Err(ChangeError::Deleted),
        Change::Edit(body, _) if body.as_str() == message.body => return Ok(false),
        Change::Edit(body, mentions) => {
            row.body = Set(body.as_str().to_owned());
            row.mentions = Set(super::writer::mentions_column(mentions));
            row.edited_at = Set(Some(now));
        }
        Change::Delete => {
            row.body = Set(String::new());
            row.mentions = Set(None);
            row.deleted_at = Set(Some(now));
            reaction::Entity::delete_many()
                .filter(reaction::Column::MessageId.eq(message.id.0))
                .exec(txn)
                .await?;
            for attachment in super::attachments::detach_all(txn, message.id).await? {
                removed_files.extend(attachment.keys());
            }
        }
        Change::React { emoji, on } => {
            if !react(txn, message.id, actor, emoji, on, version).await? {
                return Ok(false);
            }
        }
    }
    row.update(txn).await?;
    Ok(true)
}

/// Puts or takes back one reaction; whether it changed anything.
async fn react(
    txn: &impl ConnectionTrait,
    message_id: MessageId,
    actor: UserId,
    emoji: &Emoji,
    on: bool,
    version: Version,
) -> Result<bool, ChangeError> {
    let mine = || {
        reaction::Entity::find()
            .filter(reaction::Column::MessageId.eq(message_id.0))
            .filter(reaction::Column::UserId.eq(actor.0))
    };
    let key = (message_id.0, actor.0, emoji.as_str().to_owned());
    if !on {
        let removed = reaction::Entity::delete_by_id(key).exec(txn).await?;
        return Ok(removed.rows_affected > 0);
    }
    if reaction::Entity::find_by_id(key).one(txn).await?.is_some() {
        return Ok(false);
    }
    if mine().count(txn).await? >= Reaction::MAX_PER_USER as u64 {
        return Err(ChangeError::TooManyReactions);
    }
    reaction::Entity::insert(reaction::ActiveModel {
        message_id: Set(message_id.0),
        user_id: Set(actor.0),
        emoji: Set(emoji.as_str().to_owned()),
        version: Set(version),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(true)
}
