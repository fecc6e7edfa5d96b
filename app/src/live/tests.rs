//! The merge rules and the list's, as pure functions.

use super::*;
use crate::model::ReplyTo;
use uuid::Uuid;

fn message(seq: i64, version: i64, body: &str) -> Message {
    Message {
        id: MessageId(Uuid::from_u128(seq as u128)),
        chat_id: ChatId(Uuid::from_u128(100)),
        seq,
        sender_id: UserId(Uuid::from_u128(7)),
        client_id: format!("c-{seq}"),
        body: body.into(),
        created_at: chrono::DateTime::UNIX_EPOCH,
        status: MessageStatus::Sent,
        version,
        edited_at: None,
        deleted_at: None,
        reply_to: None,
        reactions: Vec::new(),
        kind: Default::default(),
        system: None,
        mentions: Vec::new(),
        attachments: Vec::new(),
    }
}

fn bodies(messages: &[Message]) -> Vec<(i64, &str)> {
    messages.iter().map(|m| (m.seq, m.body.as_str())).collect()
}

fn summary(n: u128, pinned: bool) -> ChatSummary {
    let me = User {
        id: UserId(Uuid::from_u128(7)),
        username: "me".into(),
        display_name: "Me".into(),
        online: true,
        last_seen_at: None,
        admin: false,
        deactivated: false,
        photo_url: None,
    };
    let chat = Chat {
        id: ChatId(Uuid::from_u128(n)),
        kind: crate::model::ChatKind::Group,
        name: Some(format!("chat {n}")),
        description: None,
        photo_url: None,
        members: vec![ChatMember {
            user: me,
            role: Default::default(),
        }],
    };
    ChatSummary {
        pinned,
        ..ChatSummary::new(chat, UserId(Uuid::from_u128(7)), None, 0)
    }
}

fn ids(chats: &[ChatSummary]) -> Vec<u128> {
    chats.iter().map(|s| s.chat.id.0.as_u128()).collect()
}

fn receipt(user: u128, delivered_seq: i64, seen_seq: i64) -> Receipt {
    Receipt {
        user_id: UserId(Uuid::from_u128(user)),
        delivered_seq,
        seen_seq,
    }
}

#[test]
fn a_join_answer_never_takes_back_what_an_update_said_meanwhile() {
    // Mike (2) saw message 3 while Harley's join was on its way; the
    // answer, read before that, says delivered. Sara (3) has left: the
    // answer no longer names her, and she stays gone.
    let joined = vec![receipt(1, 3, 3), receipt(2, 3, 0)];
    let heard = vec![receipt(2, 3, 3), receipt(3, 2, 2)];
    assert_eq!(
        joined_receipts(joined, &heard),
        vec![receipt(1, 3, 3), receipt(2, 3, 3)]
    );
}

#[test]
fn a_join_answer_newer_than_every_update_stands() {
    let joined = vec![receipt(2, 5, 4)];
    let heard = vec![receipt(2, 3, 3)];
    assert_eq!(joined_receipts(joined, &heard), vec![receipt(2, 5, 4)]);
}

#[test]
fn a_chat_list_answer_never_takes_back_a_message_that_overtook_it() {
    // The answer was read with message 1 as chat 100's latest (1 unread);
    // messages 1 and 2 reached the page while it was on its way.
    let me = UserId(Uuid::from_u128(9));
    let mut mike = summary(100, false);
    mike.last_message = Some(message(1, 1, "first hello"));
    mike.unread_count = 1;
    let answer = vec![summary(1, false), mike];
    let taken = [
        (message(1, 1, "first hello"), true),
        (message(2, 1, "Lunch at noon?"), true),
    ];
    let chats = listed_with(answer, &taken, Some(me));
    assert_eq!(ids(&chats), [100, 1]);
    let latest = chats[0].last_message.as_ref().map(|m| m.body.as_str());
    assert_eq!((latest, chats[0].unread_count), (Some("Lunch at noon?"), 2));
}

#[test]
fn a_chat_list_answer_that_has_every_message_taken_stands() {
    let mut mike = summary(100, false);
    mike.last_message = Some(message(2, 1, "Lunch at noon?"));
    mike.unread_count = 2;
    let taken = [(message(2, 1, "Lunch at noon?"), true)];
    let chats = listed_with(vec![summary(1, false), mike], &taken, None);
    assert_eq!(ids(&chats), [1, 100]);
    assert_eq!(chats[1].unread_count, 2);
}

#[test]
fn a_fresh_first_page_keeps_the_pages_loaded_below_it() {
    // Held: pinned 1, then 2 3 (page one), 4 5 (page two, loaded down
    // to "c5"). Meanwhile 5 got news and 1 was unpinned elsewhere.
    let held = vec![
        summary(1, true),
        summary(2, false),
        summary(3, false),
        summary(4, false),
        summary(5, false),
    ];
    let page = vec![summary(5, false), summary(2, false)];
    let (chats, more) = with_first_page(held, Some("c5".into()), page, Some("c2".into()));
    assert_eq!(ids(&chats), [5, 2, 1, 3, 4]);
    assert!(!chats[2].pinned, "every pinned chat is on the first page");
    assert_eq!(more.as_deref(), Some("c5"));
}

#[test]
fn a_first_page_that_is_the_whole_list_replaces_it() {
    let held = vec![summary(1, false), summary(2, false)];
    let (chats, more) = with_first_page(held, Some("c2".into()), vec![summary(2, false)], None);
    assert_eq!((ids(&chats), more), (vec![2], None));
    let (chats, more) =
        with_first_page(Vec::new(), None, vec![summary(3, false)], Some("c3".into()));
    assert_eq!((ids(&chats), more.as_deref()), (vec![3], Some("c3")));
}

#[test]
fn a_later_page_adds_only_chats_not_held() {
    let mut chats = vec![summary(7, false), summary(1, false)];
    append_page(&mut chats, vec![summary(7, false), summary(2, false)]);
    assert_eq!(ids(&chats), [7, 1, 2]);
}

#[test]
fn pinned_chats_stay_on_top_and_news_brings_an_archived_chat_back() {
    let mut chats = vec![summary(1, true), summary(2, false), summary(100, false)];
    // A message in chat 100 (an unpinned one) goes above 2, under 1.
    let me = UserId(Uuid::from_u128(9));
    let mut news = message(1, 1, "hi");
    assert!(take_new_message(&mut chats, &news, true, Some(me)));
    assert_eq!(ids(&chats), [1, 100, 2]);
    assert_eq!((chats[1].unread_count, chats[1].mention_count), (1, 0));
    news.mentions = vec![me];
    take_new_message(&mut chats, &news, true, Some(me));
    assert_eq!((chats[1].unread_count, chats[1].mention_count), (2, 1));
    // Archived and not muted: back; muted: stays archived.
    chats[1].archived = true;
    take_new_message(&mut chats, &news, false, Some(me));
    assert!(!chats[1].archived);
    chats[1].archived = true;
    chats[1].muted = true;
    take_new_message(&mut chats, &news, false, Some(me));
    assert!(chats[1].archived);
}

#[test]
fn a_chat_update_replaces_in_place_or_drops_a_chat_i_left() {
    let me = UserId(Uuid::from_u128(7));
    let mut chats = vec![summary(1, false), summary(2, false)];
    let mut pinned = summary(2, true);
    pinned.chat.name = Some("renamed".into());
    assert!(!take_chat_update(&mut chats, pinned, me));
    assert_eq!(ids(&chats), [2, 1], "pinned goes first");
    assert_eq!(chats[0].chat.name.as_deref(), Some("renamed"));
    let mut left = summary(1, false);
    left.chat.members.clear();
    assert!(take_chat_update(&mut chats, left, me));
    assert_eq!(ids(&chats), [2]);
}

#[test]
fn a_change_replaces_an_older_copy_and_never_a_newer_one() {
    let mut held = vec![message(5, 5, "a"), message(6, 6, "b")];
    apply_change(&mut held, message(6, 9, "b, edited"));
    assert_eq!(bodies(&held), [(5, "a"), (6, "b, edited")]);
    // A late update from another node, older than what is held: ignored.
    apply_change(&mut held, message(6, 8, "b, first edit"));
    assert_eq!(bodies(&held), [(5, "a"), (6, "b, edited")]);
    assert_eq!(newest_version(&held), Some(9));
}

#[test]
fn a_change_to_an_unloaded_older_message_waits_for_its_page() {
    let mut held = vec![message(5, 5, "a"), message(6, 6, "b")];
    apply_change(&mut held, message(2, 10, "old, edited"));
    assert_eq!(bodies(&held), [(5, "a"), (6, "b")]);
    // A new one (after the oldest held) is taken in place.
    apply_change(&mut held, message(7, 11, "c"));
    assert_eq!(bodies(&held), [(5, "a"), (6, "b"), (7, "c")]);
}

#[test]
fn quotes_follow_their_target_even_when_it_is_not_held() {
    let target = message(2, 2, "the original");
    let mut reply = message(5, 5, "an answer");
    reply.reply_to = Some(target.quoted());
    let mut held = vec![reply];
    let mut edited = message(2, 8, "the original, fixed");
    apply_change(&mut held, edited.clone());
    assert_eq!(
        held[0].reply_to.as_ref().and_then(|q| q.excerpt.as_deref()),
        Some("the original, fixed")
    );
    edited.body = String::new();
    edited.deleted_at = Some(chrono::DateTime::UNIX_EPOCH);
    edited.version = 9;
    apply_change(&mut held, edited);
    assert_eq!(
        held[0].reply_to,
        Some(ReplyTo {
            message_id: target.id,
            sender_id: Some(target.sender_id),
            excerpt: None,
            deleted: true,
            unavailable: false,
        })
    );
}
