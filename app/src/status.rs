//! The seed's status rules, pure: from members' watermarks to a message's
//! status. The server fills `Message.status` with them; the browser repaints
//! ticks with them when a `statusUpdate` arrives.

use crate::model::{MessageStatus, Receipt, ReceiptKind, Seq, UserId};

/// Where one member stands on the message numbered `seq`.
pub fn member_status(receipt: &Receipt, seq: Seq) -> MessageStatus {
    if receipt.seen_seq >= seq {
        MessageStatus::Seen
    } else if receipt.delivered_seq >= seq {
        MessageStatus::Delivered
    } else {
        MessageStatus::Sent
    }
}

/// A message's status as its sender sees it: the lowest over the other members
/// (a group message is "seen" only when every member has seen it). With nobody
/// else in the chat, there is nobody to wait for: seen.
pub fn message_status(receipts: &[Receipt], sender: UserId, seq: Seq) -> MessageStatus {
    receipts
        .iter()
        .filter(|receipt| receipt.user_id != sender)
        .map(|receipt| member_status(receipt, seq))
        .min()
        .unwrap_or(MessageStatus::Seen)
}

/// Receipts as others may see them: a member in `private` (read receipts
/// off) shows as having received, never as having seen.
pub fn published_receipts(receipts: &[Receipt], private: &[UserId]) -> Vec<Receipt> {
    receipts
        .iter()
        .map(|receipt| {
            if private.contains(&receipt.user_id) {
                Receipt {
                    delivered_seq: receipt.delivered_seq.max(receipt.seen_seq),
                    seen_seq: 0,
                    ..*receipt
                }
            } else {
                *receipt
            }
        })
        .collect()
}

/// A message's status as its sender may see it when some members keep their
/// reading private: their "seen" counts as "delivered", and a sender who keeps
/// their own private sees nobody's "seen" (as in WhatsApp).
pub fn visible_status(
    receipts: &[Receipt],
    private: &[UserId],
    sender: UserId,
    seq: Seq,
) -> MessageStatus {
    let status = message_status(&published_receipts(receipts, private), sender, seq);
    if private.contains(&sender) {
        status.min(MessageStatus::Delivered)
    } else {
        status
    }
}

/// Moves a receipt's `kind` watermark up to `up_to`, never back; seen carries
/// delivered along. The store's rule, mirrored wherever receipts are held.
pub fn raise_receipt(receipt: &mut Receipt, kind: ReceiptKind, up_to: Seq) {
    receipt.delivered_seq = receipt.delivered_seq.max(up_to);
    if kind == ReceiptKind::Seen {
        receipt.seen_seq = receipt.seen_seq.max(up_to);
    }
}

/// What a member's status should become for a message when they are in the
/// chat's room / have some socket online / have none (the seed's three cases).
pub fn status_on_arrival(in_room: bool, online: bool) -> MessageStatus {
    if in_room {
        MessageStatus::Seen
    } else if online {
        MessageStatus::Delivered
    } else {
        MessageStatus::Sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn user(n: u128) -> UserId {
        UserId(Uuid::from_u128(n))
    }

    fn receipt(n: u128, delivered_seq: Seq, seen_seq: Seq) -> Receipt {
        Receipt {
            user_id: user(n),
            delivered_seq,
            seen_seq,
        }
    }

    #[test]
    fn a_private_reader_shows_as_delivered_at_most() {
        // Mike (2) has seen everything but keeps it to himself.
        let receipts = [receipt(1, 9, 9), receipt(2, 5, 9)];
        let private = [user(2)];
        assert_eq!(
            visible_status(&receipts, &private, user(1), 9),
            MessageStatus::Delivered
        );
        assert_eq!(published_receipts(&receipts, &private)[1], receipt(2, 9, 0));
        // His own messages: he sees nobody's "seen" either.
        assert_eq!(
            visible_status(&receipts, &private, user(2), 9),
            MessageStatus::Delivered
        );
        // Nobody private: the plain rule.
        assert_eq!(
            visible_status(&receipts, &[], user(1), 9),
            MessageStatus::Seen
        );
    }

    #[test]
    fn a_member_status_follows_the_watermarks() {
        let mike = receipt(2, 5, 3);
        assert_eq!(member_status(&mike, 3), MessageStatus::Seen);
        assert_eq!(member_status(&mike, 4), MessageStatus::Delivered);
        assert_eq!(member_status(&mike, 5), MessageStatus::Delivered);
        assert_eq!(member_status(&mike, 6), MessageStatus::Sent);
    }

    #[test]
    fn a_direct_message_takes_the_recipients_status() {
        let receipts = [receipt(1, 9, 9), receipt(2, 4, 2)];
        assert_eq!(message_status(&receipts, user(1), 2), MessageStatus::Seen);
        assert_eq!(
            message_status(&receipts, user(1), 4),
            MessageStatus::Delivered
        );
        assert_eq!(message_status(&receipts, user(1), 9), MessageStatus::Sent);
    }

    #[test]
    fn the_senders_own_watermarks_do_not_count() {
        // Harley has seen everything; Mike nothing.
        let receipts = [receipt(1, 9, 9), receipt(2, 0, 0)];
        assert_eq!(message_status(&receipts, user(1), 9), MessageStatus::Sent);
    }

    #[test]
    fn a_group_message_is_only_as_far_as_its_slowest_member() {
        let receipts = [
            receipt(1, 7, 7),
            receipt(2, 7, 7),
            receipt(3, 7, 6),
            receipt(4, 6, 6),
        ];
        assert_eq!(message_status(&receipts, user(1), 6), MessageStatus::Seen);
        assert_eq!(message_status(&receipts, user(1), 7), MessageStatus::Sent);
        let receipts = [receipt(1, 7, 7), receipt(2, 7, 7), receipt(3, 7, 6)];
        assert_eq!(
            message_status(&receipts, user(1), 7),
            MessageStatus::Delivered
        );
    }

    #[test]
    fn with_nobody_else_in_the_chat_a_message_counts_as_seen() {
        assert_eq!(
            message_status(&[receipt(1, 0, 0)], user(1), 1),
            MessageStatus::Seen
        );
    }

    #[test]
    fn receipts_only_move_forward_and_seen_carries_delivered() {
        let mut mike = receipt(2, 5, 3);
        raise_receipt(&mut mike, ReceiptKind::Delivered, 4);
        assert_eq!((mike.delivered_seq, mike.seen_seq), (5, 3));
        raise_receipt(&mut mike, ReceiptKind::Seen, 7);
        assert_eq!((mike.delivered_seq, mike.seen_seq), (7, 7));
        raise_receipt(&mut mike, ReceiptKind::Delivered, 9);
        assert_eq!((mike.delivered_seq, mike.seen_seq), (9, 7));
    }

    #[test]
    fn arrival_status_is_the_seeds_three_cases() {
        assert_eq!(status_on_arrival(true, true), MessageStatus::Seen);
        assert_eq!(status_on_arrival(false, true), MessageStatus::Delivered);
        assert_eq!(status_on_arrival(false, false), MessageStatus::Sent);
    }
}
