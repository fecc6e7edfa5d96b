//! Receipt watermarks. They only ever move forward: every update is
//! conditional on the new value being higher, so concurrent or late updates
//! cannot pull one back.

use super::{
    Store, StoreError,
    entity::{chat, chat_member},
};
use app::{
    model::{ChatId, MessageStatus, Receipt, ReceiptKind, Seq, UserId},
    status::{published_receipts, visible_status},
};

/// A chat's watermarks as stored, and who among its members keeps their
/// reading private (`readReceipts: false`): what statuses are made from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Watermarks {
    pub receipts: Vec<Receipt>,
    pub private: Vec<UserId>,
}

impl Watermarks {
    /// A message's status as its sender may see it.
    pub fn status(&self, sender: UserId, seq: Seq) -> MessageStatus {
        visible_status(&self.receipts, &self.private, sender, seq)
    }

    /// The receipts as anyone but their owner may see them.
    pub fn published(&self) -> Vec<Receipt> {
        published_receipts(&self.receipts, &self.private)
    }

    pub fn is_private(&self, user_id: UserId) -> bool {
        self.private.contains(&user_id)
    }

    pub fn is_empty(&self) -> bool {
        self.receipts.is_empty()
    }
}
use sea_orm::{
    ConnectionTrait, QuerySelect,
    entity::prelude::*,
    sea_query::{Expr, ExprTrait, Query},
};

impl Store {
    /// Moves a member's `kind` watermark up to `to` (seen moves delivered along).
    /// Returns the strongest watermark that actually moved, if any.
    pub async fn advance_receipt(
        &self,
        chat_id: ChatId,
        user_id: UserId,
        kind: ReceiptKind,
        to: Seq,
    ) -> Result<Option<ReceiptKind>, StoreError> {
        let seen_moved = kind == ReceiptKind::Seen
            && raise(
                &*self.writing().await,
                chat_id,
                user_id,
                chat_member::Column::SeenSeq,
                to,
            )
            .await?;
        let delivered_moved = raise(
            &*self.writing().await,
            chat_id,
            user_id,
            chat_member::Column::DeliveredSeq,
            to,
        )
        .await?;
        Ok(if seen_moved {
            Some(ReceiptKind::Seen)
        } else if delivered_moved {
            Some(ReceiptKind::Delivered)
        } else {
            None
        })
    }

    /// Marks everything in every chat of the user's as delivered (their device is
    /// online now). Returns the chats where the watermark moved, with its new value.
    pub async fn deliver_everything_to(
        &self,
        user_id: UserId,
    ) -> Result<Vec<(ChatId, Seq)>, StoreError> {
        // Mostly nothing waits (another socket of theirs came first): then
        // the writer is not asked at all.
        let behind: Option<Uuid> = chat_member::Entity::find()
            .select_only()
            .column(chat_member::Column::ChatId)
            .inner_join(chat::Entity)
            .filter(chat_member::Column::UserId.eq(user_id.0))
            .filter(
                Expr::col((chat_member::Entity, chat_member::Column::DeliveredSeq))
                    .lt(Expr::col((chat::Entity, chat::Column::LastSeq))),
            )
            .into_tuple()
            .one(&self.db)
            .await?;
        if behind.is_none() {
            return Ok(Vec::new());
        }
        // One statement for every chat (the chats' last seq as they are now).
        let moved = chat_member::Entity::update_many()
            .col_expr(chat_member::Column::DeliveredSeq, chats_last_seq())
            .filter(chat_member::Column::UserId.eq(user_id.0))
            .filter(
                Expr::col((chat_member::Entity, chat_member::Column::DeliveredSeq))
                    .lt(chats_last_seq()),
            )
            .exec_with_returning(&*self.writing().await)
            .await?;
        Ok(moved
            .into_iter()
            .map(|member| (ChatId(member.chat_id), member.delivered_seq))
            .collect())
    }
}

/// A member row's chat's last seq, for an update of `chat_members`.
fn chats_last_seq() -> Expr {
    let last_seq = Query::select()
        .column((chat::Entity, chat::Column::LastSeq))
        .from(chat::Entity)
        .and_where(
            Expr::col((chat::Entity, chat::Column::Id))
                .equals((chat_member::Entity, chat_member::Column::ChatId)),
        )
        .to_owned();
    Expr::SubQuery(None, Box::new(last_seq.into()))
}

/// `SET column = to WHERE column < to`: true when the row moved.
async fn raise(
    db: &impl ConnectionTrait,
    chat_id: ChatId,
    user_id: UserId,
    column: chat_member::Column,
    to: Seq,
) -> Result<bool, StoreError> {
    let result = chat_member::Entity::update_many()
        .col_expr(column, Expr::value(to))
        .filter(chat_member::Column::ChatId.eq(chat_id.0))
        .filter(chat_member::Column::UserId.eq(user_id.0))
        .filter(column.lt(to))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
