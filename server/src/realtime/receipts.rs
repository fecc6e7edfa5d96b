//! Telling whoever's ticks a watermark's move changes, and only what each may
//! know of it (docs/PROTOCOL.md, §6).

use super::{Realtime, cluster::Listeners};
use app::{
    model::{ChatId, Seq, UserId},
    protocol::{ReceiptKind, StatusUpdate},
};
use socketioxide::adapter::Adapter;

impl<A: Adapter> Realtime<A> {
    /// Announces that `user_id`'s `kind` watermark reached `up_to_seq`, to
    /// nobody who blocked them. A
    /// "seen" is announced as what each listener may know: "delivered" when
    /// `user_id` keeps their reading private, or to a listener who keeps
    /// their own (`private`, see `Watermarks`).
    pub async fn announce_receipt(
        &self,
        chat_id: ChatId,
        audience: Audience<'_>,
        user_id: UserId,
        status: ReceiptKind,
        up_to_seq: Seq,
        private: &[UserId],
    ) {
        let update = |status| StatusUpdate {
            chat_id,
            user_id,
            status,
            up_to_seq,
        };
        let listeners: &[UserId] = match &audience {
            Audience::Chat { members } => members,
            Audience::Sender(sender) => std::slice::from_ref(sender),
        };
        // Never to whoever blocked `user_id` (see `Cluster::emit_from`).
        let cluster = &self.cluster;
        let seen = status == ReceiptKind::Seen;
        if !seen || private.is_empty() {
            let to = match audience {
                Audience::Chat { members } => Listeners::Chat {
                    chat: chat_id,
                    members,
                },
                Audience::Sender(_) => Listeners::Users(listeners),
            };
            cluster.emit_from(user_id, to, &update(status)).await;
            return;
        }
        let (blind, told): (Vec<UserId>, Vec<UserId>) = listeners
            .iter()
            .partition(|&&listener| private.contains(&listener) || private.contains(&user_id));
        cluster
            .emit_from(user_id, Listeners::Users(&told), &update(ReceiptKind::Seen))
            .await;
        cluster
            .emit_from(
                user_id,
                Listeners::Users(&blind),
                &update(ReceiptKind::Delivered),
            )
            .await;
    }
}

/// Who hears of a watermark's move: whoever's ticks it changes.
#[derive(Clone, Copy, Debug)]
pub enum Audience<'a> {
    /// The chat's room and every member: the move covers messages of anyone's.
    Chat { members: &'a [UserId] },
    /// Only the sender of the one message the move covers (all their devices).
    Sender(UserId),
}
