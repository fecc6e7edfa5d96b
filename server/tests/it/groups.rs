//! Groups people manage and privacy people control: every rule and refusal
//! of roles, membership changes, system lines, settings, blocks and chat
//! preferences, on SQLite and on PostgreSQL, and a removal across two nodes.

use crate::{
    on_both,
    support::{
        app::{TestApp, spawn_app},
        backends::{Backend, Running},
        chats::{create_direct, create_group, send},
        nodes::two_nodes,
        people::Person,
        socket_client::SocketClient,
    },
};
use app::{
    model::{
        Chat, GroupAdds, LastSeenVisibility, Message, MessageKind, MessageStatus, ReplyTo, Role,
        Settings, SystemAction, UserId,
    },
    protocol::{
        AddMembers, BlockUser, ChatUpdated, CreateChat, DeleteMessage, EditMessage, ErrorCode,
        GetSettings, History, JoinRoom, LeaveChat, MessageUpdated, NewMessage, Presence, React,
        ReceiptKind, RemoveMember, SetRole, ShowTyping, StatusUpdate, Typing, UpdateChat,
        UpdateChatPrefs, UpdateSettings,
    },
};
use uuid::Uuid;

on_both!(
    admins_manage_a_group_and_everyone_reads_it_in_the_timeline,
    someone_added_later_reads_from_their_joining_on,
    someone_added_later_never_reads_earlier_words_through_a_quote,
    a_removed_member_is_out_at_once,
    the_last_admin_leaving_hands_the_group_on,
    direct_chats_refuse_group_changes,
    read_receipts_off_stops_ticks_at_delivered_both_ways,
    typing_and_last_seen_can_be_kept_private,
    a_blocked_person_cannot_message_and_sees_no_presence,
    a_block_covers_every_way_to_reach_the_blocker,
    chat_preferences_follow_the_person_across_devices,
    nobody_is_put_in_a_group_against_their_settings,
);

fn bodies(messages: &[Message]) -> Vec<&str> {
    messages
        .iter()
        .filter(|m| m.kind == MessageKind::Text)
        .map(|m| m.body.as_str())
        .collect()
}

async fn admins_manage_a_group_and_everyone_reads_it_in_the_timeline(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let sara = Person::join(app, "sara").await;
    let group = create_group(&harley.socket, "Crew", &["mike"]).await;
    assert!(
        group.is_admin(harley.id()),
        "the creator is the first admin"
    );
    assert_eq!(group.member(mike.id()).map(|m| m.role), Some(Role::Member));

    // A member who is not an admin can do none of it.
    let rename = |name: &str| UpdateChat::rename(group.id, name);
    let refused = mike.socket.emit(&rename("Mike's")).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotAdmin);
    let refused = mike
        .socket
        .emit(&AddMembers {
            chat_id: group.id,
            members: vec!["sara".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotAdmin);

    // Renaming: a line in the timeline and the new name for everyone.
    let renamed = harley.socket.emit(&rename("  Night crew ")).await.unwrap();
    assert_eq!(renamed.name.as_deref(), Some("Night crew"));
    let line = mike.hears_line(group.id, SystemAction::Renamed).await;
    let event = line.system.as_ref().unwrap();
    assert_eq!((line.body.as_str(), event.actor_id), ("", harley.id()));
    assert_eq!(event.name.as_deref(), Some("Night crew"));
    assert_eq!(
        mike.hears_update(group.id).await.chat.name.as_deref(),
        Some("Night crew")
    );
    let invalid = harley.socket.emit(&rename("   ")).await.unwrap_err();
    assert_eq!(invalid.code, ErrorCode::InvalidGroupName);

    // The same name again changes and announces nothing.
    harley.socket.emit(&rename("Night crew")).await.unwrap();
    mike.socket.assert_none::<NewMessage>().await;

    // Adding: unknown names are named, and the new member hears of the chat.
    let unknown = harley
        .socket
        .emit(&AddMembers {
            chat_id: group.id,
            members: vec!["sara".into(), "nobody-here".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::UserNotFound);
    assert!(unknown.message.contains("nobody-here"));
    let with_sara = harley
        .socket
        .emit(&AddMembers {
            chat_id: group.id,
            members: vec!["sara".into()],
        })
        .await
        .unwrap();
    assert_eq!(with_sara.members.len(), 3);
    let added = mike.hears_line(group.id, SystemAction::Added).await;
    assert_eq!(added.system.unwrap().user_ids, [sara.id()]);
    let sara_view = sara.hears_update(group.id).await;
    assert!(sara_view.chat.member(sara.id()).is_some());

    // Promoting: Mike may now rename; demoting the last admin is refused.
    let promoted = harley
        .socket
        .emit(&SetRole {
            chat_id: group.id,
            user_id: mike.id(),
            role: Role::Admin,
        })
        .await
        .unwrap();
    assert!(promoted.is_admin(mike.id()));
    let role_line = sara.hears_line(group.id, SystemAction::Role).await;
    assert_eq!(role_line.system.unwrap().role, Some(Role::Admin));
    mike.socket.emit(&rename("Mike's crew")).await.unwrap();
    for admin in [harley.id(), mike.id()] {
        let demote = SetRole {
            chat_id: group.id,
            user_id: admin,
            role: Role::Member,
        };
        if admin == harley.id() {
            harley.socket.emit(&demote).await.unwrap();
        } else {
            let last = mike.socket.emit(&demote).await.unwrap_err();
            assert_eq!(last.code, ErrorCode::BadRequest, "a group keeps an admin");
        }
    }
    // An unknown member is not found; a stranger is not a member.
    let ghost = mike
        .socket
        .emit(&RemoveMember {
            chat_id: group.id,
            user_id: UserId(Uuid::now_v7()),
        })
        .await
        .unwrap_err();
    assert_eq!(ghost.code, ErrorCode::NotFound);
    let stranger = Person::join(app, "stranger").await;
    let outside = stranger.socket.emit(&rename("mine")).await.unwrap_err();
    assert_eq!(outside.code, ErrorCode::NotMember);
}

/// Harley and Mike in a group; Harley says something; then Sara is added.
struct SaraLater {
    harley: Person,
    mike: Person,
    sara: Person,
    group: Chat,
    /// What Harley said before Sara came.
    before: Message,
}

impl SaraLater {
    async fn after(app: &TestApp, said_before: &str) -> Self {
        let harley = Person::join(app, "harley").await;
        let mike = Person::join(app, "mike").await;
        let sara = Person::join(app, "sara").await;
        let group = create_group(&harley.socket, "Crew", &["mike"]).await;
        let before = harley.says(&group, said_before).await;
        harley
            .socket
            .emit(&AddMembers {
                chat_id: group.id,
                members: vec!["sara".into()],
            })
            .await
            .unwrap();
        Self {
            harley,
            mike,
            sara,
            group,
            before,
        }
    }
}

async fn someone_added_later_reads_from_their_joining_on(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let SaraLater {
        harley,
        mike,
        sara,
        group,
        before,
    } = SaraLater::after(&running.app, "before sara came").await;
    let after = mike.says(&group, "welcome sara").await;

    let joined = sara
        .socket
        .emit(&JoinRoom { chat_id: group.id })
        .await
        .unwrap();
    assert_eq!(bodies(&joined.messages), ["welcome sara"]);
    assert_eq!(
        joined.messages[0].system.as_ref().map(|e| e.action),
        Some(SystemAction::Added),
        "Sara's timeline starts with her being added"
    );
    let everything = sara
        .socket
        .emit(&History {
            before_seq: Some(after.seq),
            ..History::latest(group.id)
        })
        .await
        .unwrap();
    assert!(
        bodies(&everything).is_empty(),
        "nothing from before she joined"
    );
    let changed = sara
        .socket
        .emit(&History::changed_after(group.id, 0))
        .await
        .unwrap();
    assert_eq!(bodies(&changed), ["welcome sara"]);
    // What came before is not hers to change, quote or hear about.
    let react = app::protocol::React {
        chat_id: group.id,
        message_id: before.id,
        emoji: "👍".into(),
        on: true,
    };
    assert_eq!(
        sara.socket.emit(&react).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    let mut reply = send(&group, "reply-1", "what was that?");
    reply.reply_to_id = Some(before.id);
    assert_eq!(
        sara.socket.emit(&reply).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    harley
        .socket
        .emit(&app::protocol::EditMessage {
            chat_id: group.id,
            message_id: before.id,
            body: "edited before sara".into(),
        })
        .await
        .unwrap();
    sara.socket
        .assert_none::<app::protocol::MessageUpdated>()
        .await;
    // Her ticks hold back nobody on what she cannot read.
    let harleys = harley
        .socket
        .emit(&History::latest(group.id))
        .await
        .unwrap();
    let old = harleys.iter().find(|m| m.id == before.id).unwrap();
    assert_ne!(old.status, MessageStatus::Sent);
    let list = sara.chats().await;
    assert_eq!(list[0].last_message.as_ref().map(|m| m.id), Some(after.id));
}

/// A reply to something said before Sara joined quotes it for those who
/// were there, and as "unavailable" (neither words nor author) for her:
/// live, in history, in her chat list and in search, and after an edit.
async fn someone_added_later_never_reads_earlier_words_through_a_quote(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let SaraLater {
        harley,
        mike,
        sara,
        group,
        before: secret,
    } = SaraLater::after(&running.app, "the surprise is for sara").await;
    sara.hears_line(group.id, SystemAction::Added).await;
    let unavailable = Some(ReplyTo::unavailable(secret.id));
    let whole = Some(ReplyTo::quoting(
        secret.id,
        harley.id(),
        &secret.body,
        false,
    ));

    let mut reply = send(&group, "reply-1", "agreed, keep it quiet");
    reply.reply_to_id = Some(secret.id);
    let sent = mike.socket.emit(&reply).await.unwrap();
    assert_eq!(sent.reply_to, whole, "the replier reads what he answered");
    let heard = |NewMessage(m): &NewMessage| m.id == sent.id;
    assert_eq!(harley.socket.next_where(heard).await.0.reply_to, whole);
    let hers = sara.socket.next_where(heard).await.0;
    assert_eq!(hers.reply_to, unavailable, "live");

    let joined = sara
        .socket
        .emit(&JoinRoom { chat_id: group.id })
        .await
        .unwrap();
    let in_history = joined.messages.iter().find(|m| m.id == sent.id).unwrap();
    assert_eq!(in_history.reply_to, unavailable, "in history");
    let list = sara.chats().await;
    let preview = list[0].last_message.as_ref().unwrap();
    assert_eq!(
        (preview.id, &preview.reply_to),
        (sent.id, &unavailable),
        "in the chat list"
    );
    let found = sara
        .socket
        .emit(&app::protocol::Search {
            query: "quiet".into(),
            chat_id: None,
            limit: None,
            before: None,
        })
        .await
        .unwrap();
    assert_eq!(found.results.len(), 1);
    assert_eq!(found.results[0].message.reply_to, unavailable, "in search");
    let harleys = harley
        .socket
        .emit(&History::latest(group.id))
        .await
        .unwrap();
    let theirs = harleys.iter().find(|m| m.id == sent.id).unwrap();
    assert_eq!(theirs.reply_to, whole, "those who were there still read it");

    mike.socket
        .emit(&EditMessage {
            chat_id: group.id,
            message_id: sent.id,
            body: "agreed, keep it very quiet".into(),
        })
        .await
        .unwrap();
    let updated = |MessageUpdated(m): &MessageUpdated| m.id == sent.id;
    let hers = sara.socket.next_where(updated).await.0;
    assert_eq!(hers.body, "agreed, keep it very quiet");
    assert_eq!(hers.reply_to, unavailable, "after an edit");
    let his = harley.socket.next_where(updated).await.0;
    assert_eq!(
        his.reply_to, whole,
        "after an edit, for those who were there"
    );
}

async fn a_removed_member_is_out_at_once(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let group = create_group(&harley.socket, "Crew", &["mike"]).await;
    mike.socket
        .emit(&JoinRoom { chat_id: group.id })
        .await
        .unwrap();
    mike.says(&group, "hi all").await;

    let after = harley
        .socket
        .emit(&RemoveMember {
            chat_id: group.id,
            user_id: mike.id(),
        })
        .await
        .unwrap();
    assert!(after.member(mike.id()).is_none());
    let removed_line = harley.hears_line(group.id, SystemAction::Removed).await;
    assert_eq!(
        removed_line.system.map(|e| (e.action, e.user_ids)),
        Some((SystemAction::Removed, vec![mike.id()]))
    );
    // Mike's client learns it and drops the chat.
    let told = mike.hears_update(group.id).await;
    assert!(told.chat.member(mike.id()).is_none());
    assert!(mike.chats().await.is_empty());
    // Every later event on the chat is refused, and nothing reaches him.
    let sent = mike.socket.emit(&send(&group, "late", "still here?")).await;
    assert_eq!(sent.unwrap_err().code, ErrorCode::NotMember);
    let typing = mike
        .socket
        .emit(&Typing {
            chat_id: group.id,
            is_typing: true,
        })
        .await;
    assert_eq!(typing.unwrap_err().code, ErrorCode::NotMember);
    let history = mike.socket.emit(&History::latest(group.id)).await;
    assert_eq!(history.unwrap_err().code, ErrorCode::NotMember);
    mike.socket.clear();
    harley.says(&group, "he is gone").await;
    harley
        .socket
        .emit(&Typing {
            chat_id: group.id,
            is_typing: true,
        })
        .await
        .unwrap();
    mike.socket.assert_none::<NewMessage>().await;
    mike.socket.assert_none::<ShowTyping>().await;
}

async fn the_last_admin_leaving_hands_the_group_on(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let sara = Person::join(app, "sara").await;
    let group = create_group(&harley.socket, "Crew", &["mike"]).await;
    harley
        .socket
        .emit(&AddMembers {
            chat_id: group.id,
            members: vec!["sara".into()],
        })
        .await
        .unwrap();
    harley
        .socket
        .emit(&LeaveChat { chat_id: group.id })
        .await
        .unwrap();
    let left = sara.hears_line(group.id, SystemAction::Left).await;
    assert_eq!(left.system.unwrap().actor_id, harley.id());
    let heir = sara.hears_line(group.id, SystemAction::Role).await;
    assert_eq!(
        heir.system.unwrap().user_ids,
        [mike.id()],
        "the longest-standing member"
    );
    // Harley's devices hear they are out (after hearing Sara was added).
    let harley_told = harley
        .socket
        .next_where(|ChatUpdated(s): &ChatUpdated| {
            s.chat.id == group.id && s.chat.member(harley.id()).is_none()
        })
        .await;
    assert_eq!(harley_told.0.chat.members.len(), 2);
    let now = mike
        .socket
        .emit(&JoinRoom { chat_id: group.id })
        .await
        .unwrap()
        .chat;
    assert!(now.is_admin(mike.id()));
    assert_eq!(now.members.len(), 2);
    // Anyone may leave; a second time they are not a member.
    sara.socket
        .emit(&LeaveChat { chat_id: group.id })
        .await
        .unwrap();
    let again = sara.socket.emit(&LeaveChat { chat_id: group.id }).await;
    assert_eq!(again.unwrap_err().code, ErrorCode::NotMember);
}

async fn direct_chats_refuse_group_changes(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let direct = create_direct(&harley.socket, "mike").await;
    let id = direct.id;
    let refusals = [
        harley
            .socket
            .emit(&UpdateChat::rename(id, "us"))
            .await
            .map(|_| ()),
        harley
            .socket
            .emit(&AddMembers {
                chat_id: id,
                members: vec!["mike".into()],
            })
            .await
            .map(|_| ()),
        harley
            .socket
            .emit(&RemoveMember {
                chat_id: id,
                user_id: mike.id(),
            })
            .await
            .map(|_| ()),
        harley
            .socket
            .emit(&SetRole {
                chat_id: id,
                user_id: mike.id(),
                role: Role::Admin,
            })
            .await
            .map(|_| ()),
        mike.socket
            .emit(&LeaveChat { chat_id: id })
            .await
            .map(|_| ()),
    ];
    for refusal in refusals {
        assert_eq!(refusal.unwrap_err().code, ErrorCode::NotGroup);
    }
}

async fn read_receipts_off_stops_ticks_at_delivered_both_ways(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let chat = create_direct(&harley.socket, "mike").await;
    assert_eq!(
        mike.socket.emit(&GetSettings {}).await.unwrap(),
        Settings::default()
    );
    let settings = mike
        .socket
        .emit(&UpdateSettings {
            read_receipts: Some(false),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!settings.read_receipts && settings.typing_indicators);

    // Mike has the chat open: Harley's message is on his screen, yet Harley
    // sees it delivered, never seen.
    mike.socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .unwrap();
    harley.socket.clear();
    let sent = harley.says(&chat, "are you there?").await;
    assert_eq!(sent.status, MessageStatus::Delivered);
    let update = harley
        .socket
        .next_where(|u: &StatusUpdate| u.user_id == mike.id())
        .await;
    assert_eq!(update.status, ReceiptKind::Delivered);
    harley.socket.assert_none::<StatusUpdate>().await;
    // His seen watermark still drives his own unread count.
    let mikes = mike.chats().await;
    assert_eq!(mikes[0].unread_count, 0);
    // Receipts as Harley sees them carry no "seen" of Mike's.
    let opened = harley
        .socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .unwrap();
    let mike_receipt = opened
        .receipts
        .iter()
        .find(|r| r.user_id == mike.id())
        .unwrap();
    assert_eq!(mike_receipt.seen_seq, 0);
    assert!(mike_receipt.delivered_seq >= sent.seq);
    // And Mike sees nobody's "seen" either: Harley has the chat open.
    let reply = mike.says(&chat, "yes").await;
    assert_eq!(reply.status, MessageStatus::Delivered);
    let history = mike.socket.emit(&History::latest(chat.id)).await.unwrap();
    assert!(history.iter().all(|m| m.status <= MessageStatus::Delivered));
    // Turned back on, the ticks are true again.
    mike.socket
        .emit(&UpdateSettings {
            read_receipts: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    let history = harley.socket.emit(&History::latest(chat.id)).await.unwrap();
    let first = history.iter().find(|m| m.id == sent.id).unwrap();
    assert_eq!(first.status, MessageStatus::Seen);
}

async fn typing_and_last_seen_can_be_kept_private(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let chat = create_direct(&harley.socket, "mike").await;
    harley
        .socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .unwrap();
    mike.socket
        .emit(&UpdateSettings {
            typing_indicators: Some(false),
            last_seen: Some(LastSeenVisibility::Nobody),
            ..Default::default()
        })
        .await
        .unwrap();
    mike.socket
        .emit(&Typing {
            chat_id: chat.id,
            is_typing: true,
        })
        .await
        .expect("acknowledged all the same");
    harley.socket.assert_none::<ShowTyping>().await;

    let mike_id = mike.id();
    mike.socket.disconnect().await;
    let offline = harley
        .socket
        .next_where(|p: &Presence| p.user_id == mike_id && !p.online)
        .await;
    assert_eq!(offline.last_seen_at, None, "Mike keeps his last seen");
    let view = harley
        .socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .unwrap()
        .chat;
    let seen = view.member(mike_id).unwrap();
    assert!(!seen.online);
    assert_eq!(seen.last_seen_at, None);
}

async fn a_blocked_person_cannot_message_and_sees_no_presence(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let sara = Person::join(app, "sara").await;
    let chat = create_direct(&harley.socket, "mike").await;
    let group = create_group(&harley.socket, "Crew", &["mike", "sara"]).await;
    // A second device of Harley's, connected before the block.
    let harley_phone = SocketClient::connect(app.addr, &harley.auth.token).await;

    mike.socket
        .emit(&BlockUser {
            user_id: harley.id(),
            blocked: true,
        })
        .await
        .unwrap();
    let hidden = harley
        .socket
        .next_where(|p: &Presence| p.user_id == mike.id())
        .await;
    assert!(!hidden.online && hidden.last_seen_at.is_none());
    let mikes_view = mike.hears_update(chat.id).await;
    assert!(mikes_view.blocked);

    for device in [&harley.socket, &harley_phone] {
        let refused = device
            .emit(&send(&chat, &Uuid::now_v7().to_string(), "hello?"))
            .await
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::Blocked);
        assert_eq!(refused.message, "you can't message this person");
    }
    // A new socket of Harley's is refused too (it learns the block on connect).
    let harley_laptop = SocketClient::connect(app.addr, &harley.auth.token).await;
    let refused = harley_laptop
        .emit(&send(&chat, "laptop-1", "hello?"))
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Blocked);
    // Starting a direct chat: refused; the group goes on.
    let sara_to_mike = create_direct(&sara.socket, "mike").await;
    assert_eq!(sara_to_mike.members.len(), 2, "others are unaffected");
    let again = harley
        .socket
        .emit(&CreateChat {
            kind: app::model::ChatKind::Direct,
            name: None,
            members: vec!["mike".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::Blocked);
    harley.says(&group, "group still works").await;
    // Harley sees no presence of Mike's in the group's member list.
    let view = harley
        .socket
        .emit(&JoinRoom { chat_id: group.id })
        .await
        .unwrap()
        .chat;
    assert!(!view.member(mike.id()).unwrap().online);
    // Blocking yourself or nobody.
    let me = mike
        .socket
        .emit(&BlockUser {
            user_id: mike.id(),
            blocked: true,
        })
        .await
        .unwrap_err();
    assert_eq!(me.code, ErrorCode::BadRequest);
    let nobody = mike
        .socket
        .emit(&BlockUser {
            user_id: UserId(Uuid::now_v7()),
            blocked: true,
        })
        .await
        .unwrap_err();
    assert_eq!(nobody.code, ErrorCode::UserNotFound);

    // Unblocked: messages flow, and Mike is online for Harley again.
    mike.socket
        .emit(&BlockUser {
            user_id: harley.id(),
            blocked: false,
        })
        .await
        .unwrap();
    let back = harley
        .socket
        .next_where(|p: &Presence| p.user_id == mike.id() && p.online)
        .await;
    assert!(back.online);
    harley_phone
        .emit(&send(&chat, "phone-2", "hello again"))
        .await
        .expect("allowed again");
}

/// Blocked, Harley cannot reach Mike in their direct chat by any way at all:
/// not a message or a reply, not an edit or a delete of an old message, not a
/// reaction, not typing (`blocked` each, one rule for every event that reaches
/// the other person), and Mike hears none of it. Reading stays Harley's.
async fn a_block_covers_every_way_to_reach_the_blocker(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let chat = create_direct(&harley.socket, "mike").await;
    let old = harley.says(&chat, "an old message").await;
    let mikes = mike.says(&chat, "Mike's message").await;
    mike.socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .unwrap();
    mike.socket
        .emit(&BlockUser {
            user_id: harley.id(),
            blocked: true,
        })
        .await
        .unwrap();
    mike.hears_update(chat.id).await;
    // From here on, anything Mike hears comes after the block.
    mike.socket.sync().await;
    mike.socket.clear();

    let mut reply = send(&chat, "reply-1", "a reply");
    reply.reply_to_id = Some(mikes.id);
    let edit = EditMessage {
        chat_id: chat.id,
        message_id: old.id,
        body: "new words".into(),
    };
    let react = React {
        chat_id: chat.id,
        message_id: mikes.id,
        emoji: "👍".into(),
        on: true,
    };
    let typing = Typing {
        chat_id: chat.id,
        is_typing: true,
    };
    let delete = DeleteMessage {
        chat_id: chat.id,
        message_id: old.id,
    };
    let socket = &harley.socket;
    let refusals = [
        ("reply", refusal(socket, &reply).await),
        ("edit", refusal(socket, &edit).await),
        ("react", refusal(socket, &react).await),
        ("typing", refusal(socket, &typing).await),
        ("delete", refusal(socket, &delete).await),
    ];
    for (what, code) in refusals {
        assert_eq!(code, Some(ErrorCode::Blocked), "{what}");
    }
    // Nor do Harley's receipts: reading Mike's message tells Mike nothing.
    let opened = harley
        .socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .unwrap();
    assert!(opened.messages.iter().any(|m| m.id == mikes.id));
    harley
        .socket
        .emit(&app::protocol::MarkSeen {
            chat_id: chat.id,
            seq: mikes.seq,
        })
        .await
        .expect("reading is not reaching");
    mike.socket.assert_none::<NewMessage>().await;
    mike.socket.assert_none::<MessageUpdated>().await;
    mike.socket.assert_none::<ShowTyping>().await;
    mike.socket.assert_none::<StatusUpdate>().await;
    // The words stand as Mike last saw them; Harley still reads the chat.
    let history = harley
        .socket
        .emit(&History::latest(chat.id))
        .await
        .expect("reading is not reaching");
    let bodies: Vec<&str> = history.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["an old message", "Mike's message"]);
}

/// The code `event` is refused with; `None` when it is accepted.
async fn refusal<E: app::protocol::ClientEvent>(
    socket: &SocketClient,
    event: &E,
) -> Option<ErrorCode> {
    socket.emit(event).await.err().map(|error| error.code)
}

async fn chat_preferences_follow_the_person_across_devices(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let harley_phone = SocketClient::connect(app.addr, &harley.auth.token).await;
    let mut chats = Vec::new();
    for name in ["mike", "sara", "tom", "ann", "joe", "kim"] {
        let friend = Person::join(app, name).await;
        let chat = create_direct(&friend.socket, "harley").await;
        friend.says(&chat, &format!("hi from {name}")).await;
        chats.push((friend, chat));
    }
    let prefs = |chat: &Chat| UpdateChatPrefs::of(chat.id);

    // Pinning: up to five, and pinned chats come first.
    for (_, chat) in &chats[..5] {
        let pinned = harley
            .socket
            .emit(&UpdateChatPrefs {
                pinned: Some(true),
                ..prefs(chat)
            })
            .await
            .unwrap();
        assert!(pinned.pinned);
        let on_phone = harley_phone
            .next_where(|ChatUpdated(s): &ChatUpdated| s.chat.id == chat.id)
            .await;
        assert!(on_phone.0.pinned, "the phone follows");
    }
    let sixth = harley
        .socket
        .emit(&UpdateChatPrefs {
            pinned: Some(true),
            ..prefs(&chats[5].1)
        })
        .await
        .unwrap_err();
    assert_eq!(sixth.code, ErrorCode::TooManyPinned);
    let list = harley.chats().await;
    assert!(list[..5].iter().all(|s| s.pinned));
    assert_eq!(list[5].chat.id, chats[5].1.id);

    // Archiving: out of the main list until a new message arrives...
    let (kim, kims) = &chats[5];
    let archived = harley
        .socket
        .emit(&UpdateChatPrefs {
            archived: Some(true),
            ..prefs(kims)
        })
        .await
        .unwrap();
    assert!(archived.archived);
    kim.says(kims, "anyone?").await;
    let list = harley.chats().await;
    let kim_row = list.iter().find(|s| s.chat.id == kims.id).unwrap();
    assert!(!kim_row.archived, "a new message brings it back");
    // ...unless it is muted: then it stays archived.
    harley
        .socket
        .emit(&UpdateChatPrefs {
            archived: Some(true),
            muted: Some(true),
            ..prefs(kims)
        })
        .await
        .unwrap();
    kim.says(kims, "hello??").await;
    let list = harley.chats().await;
    let kim_row = list.iter().find(|s| s.chat.id == kims.id).unwrap();
    assert!(kim_row.archived && kim_row.muted);

    // Marked unread until opened, on every device.
    let (_, mikes) = &chats[0];
    harley
        .socket
        .emit(&JoinRoom { chat_id: mikes.id })
        .await
        .unwrap();
    let marked = harley
        .socket
        .emit(&UpdateChatPrefs {
            marked_unread: Some(true),
            ..prefs(mikes)
        })
        .await
        .unwrap();
    assert!(marked.marked_unread);
    harley_phone.clear();
    harley_phone
        .emit(&JoinRoom { chat_id: mikes.id })
        .await
        .unwrap();
    let cleared = harley
        .socket
        .next_where(|ChatUpdated(s): &ChatUpdated| s.chat.id == mikes.id && !s.marked_unread)
        .await;
    assert!(!cleared.0.marked_unread);
    // Someone else's chat: not a member.
    let stranger = Person::join(app, "stranger").await;
    let refused = stranger
        .socket
        .emit(&UpdateChatPrefs {
            muted: Some(true),
            ..prefs(mikes)
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotMember);
}

#[tokio::test]
async fn a_member_removed_on_one_node_is_out_on_the_other_at_once() {
    let Some(nodes) = two_nodes().await else {
        return;
    };
    let harley = Person::join(&nodes.a, "harley").await;
    let mike_auth = nodes.b.signup("mike", "mike password").await;
    let mike = Person {
        socket: SocketClient::connect(nodes.b.addr, &mike_auth.token).await,
        auth: mike_auth,
    };
    let sara = Person::join(&nodes.b, "sara").await;
    let group = create_group(&harley.socket, "Crew", &["mike", "sara"]).await;
    mike.socket
        .emit(&JoinRoom { chat_id: group.id })
        .await
        .unwrap();
    // Node B has read the group's members for Mike's sends before.
    mike.says(&group, "hi from node b").await;

    harley
        .socket
        .emit(&RemoveMember {
            chat_id: group.id,
            user_id: mike.id(),
        })
        .await
        .unwrap();
    let told = mike.hears_update(group.id).await;
    assert!(told.chat.member(mike.id()).is_none());
    let refused = mike
        .socket
        .emit(&send(&group, "after", "am I out?"))
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotMember);
    mike.socket.clear();
    harley.says(&group, "only us now").await;
    sara.socket
        .next_where(|NewMessage(m): &NewMessage| m.body == "only us now")
        .await;
    mike.socket.assert_none::<NewMessage>().await;
}

#[tokio::test]
async fn a_display_name_can_be_changed_and_others_see_it() {
    let app = spawn_app().await;
    let harley = Person::join(&app, "harley").await;
    let mike = Person::join(&app, "mike").await;
    let chat = create_direct(&harley.socket, "mike").await;
    let patch = |name: &str| {
        app.http
            .patch(app.url("/api/me"))
            .bearer_auth(&harley.auth.token)
            .json(&serde_json::json!({"displayName": name}))
            .send()
    };
    let renamed: app::model::User = patch("  Harley Q ").await.unwrap().json().await.unwrap();
    assert_eq!(renamed.display_name, "Harley Q");
    let refused = patch("   ").await.unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let body = crate::support::app::error_of(refused).await;
    assert_eq!(body.error.code, ErrorCode::InvalidDisplayName);
    let seen_by_mike = mike
        .socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .unwrap()
        .chat;
    assert_eq!(
        seen_by_mike.member(harley.id()).unwrap().display_name,
        "Harley Q"
    );
}

/// Making a group of 30 and adding 10 more costs look-ups of who is online
/// in proportion to the members, not to their square (each member's copy of
/// the group used to ask about every member again).
#[tokio::test]
async fn a_big_group_costs_online_look_ups_in_proportion_to_its_members() {
    let app = spawn_app().await;
    let harley = Person::join(&app, "harley").await;
    let names: Vec<String> = (0..39).map(|i| format!("member{i}")).collect();
    for name in &names {
        app.signup(name, "a good password").await;
    }
    let first: Vec<&str> = names[..29].iter().map(String::as_str).collect();
    let lookups = || app.metric("parley_room_lookups_total");
    let before = lookups().await;
    let group = create_group(&harley.socket, "Everyone", &first).await;
    let creating = lookups().await - before;
    assert!(
        creating <= 3.0 * 30.0,
        "{creating} look-ups to make a group of 30"
    );

    let before = lookups().await;
    harley
        .socket
        .emit(&AddMembers {
            chat_id: group.id,
            members: names[29..].to_vec(),
        })
        .await
        .unwrap();
    let adding = lookups().await - before;
    assert!(
        adding <= 3.0 * 40.0,
        "{adding} look-ups to add 10 to a group of 30"
    );
}

/// `groupAdds`: Sara says who may put her in a group. `nobody` refuses
/// everyone; `contacts` lets in only those she has written to in a direct
/// chat. A refusal names her, and nothing is created or changed.
async fn nobody_is_put_in_a_group_against_their_settings(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let sara = Person::join(app, "sara").await;
    let choose = |group_adds| UpdateSettings {
        group_adds: Some(group_adds),
        ..Default::default()
    };
    let saved = sara.socket.emit(&choose(GroupAdds::Nobody)).await.unwrap();
    assert_eq!(saved.group_adds, GroupAdds::Nobody);
    let make = |members: &[&str]| CreateChat {
        kind: app::model::ChatKind::Group,
        name: Some("Plans".into()),
        members: members.iter().map(|&name| name.into()).collect(),
    };
    let refused = harley
        .socket
        .emit(&make(&["mike", "sara"]))
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::CannotAdd);
    assert!(refused.message.starts_with("sara "), "{}", refused.message);
    assert!(harley.chats().await.is_empty(), "no group was made");
    let group = harley
        .socket
        .emit(&make(&["mike"]))
        .await
        .expect("Mike lets anyone");
    let add_sara = AddMembers {
        chat_id: group.id,
        members: vec!["sara".into()],
    };
    let refused = harley.socket.emit(&add_sara).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::CannotAdd);

    // Contacts: people she has written to in a direct chat.
    sara.socket
        .emit(&choose(GroupAdds::Contacts))
        .await
        .unwrap();
    let direct = create_direct(&harley.socket, "sara").await;
    harley.says(&direct, "hi Sara").await;
    let refused = harley.socket.emit(&add_sara).await.unwrap_err();
    assert_eq!(
        refused.code,
        ErrorCode::CannotAdd,
        "Harley wrote; she did not"
    );
    sara.says(&direct, "hi Harley").await;
    let added = harley
        .socket
        .emit(&add_sara)
        .await
        .expect("she wrote to Harley");
    assert!(added.members.iter().any(|member| member.id == sara.id()));
    let refused = mike.socket.emit(&make(&["sara"])).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::CannotAdd, "but never to Mike");
}
