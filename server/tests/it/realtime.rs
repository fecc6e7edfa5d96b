//! The real-time core with real Socket.IO clients: the seed's story (Harley and
//! Mike), groups, history, idempotency and every refusal.

use crate::support::{
    app::{TestApp, spawn_app, spawn_app_with},
    chats::{create_direct, create_group, send},
    socket_client::{Credentials, SocketClient},
};
use app::{
    model::{Chat, ChatId, ChatKind, MessageStatus},
    protocol::{
        AuthReply, ChatCreated, CreateChat, ErrorCode, History, JoinRoom, LeaveRoom, ListChats,
        MarkSeen, NewMessage, Presence, ReceiptKind, ShowTyping, StatusUpdate, Typing,
    },
};
use serde_json::json;
use std::time::Duration;

/// Harley (connected) and Mike (signed up, not connected) with a direct chat.
async fn harley_and_mike(app: &TestApp) -> (AuthReply, AuthReply, SocketClient, Chat) {
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    let harley_socket = SocketClient::connect(app.addr, &harley.token).await;
    let chat = create_direct(&harley_socket, "mike").await;
    (harley, mike, harley_socket, chat)
}

#[tokio::test]
async fn mike_in_the_room_makes_harleys_message_seen_at_once() {
    let app = spawn_app().await;
    let (_, mike, harley_socket, chat) = harley_and_mike(&app).await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    mike_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .expect("mike joins");

    let sent = harley_socket
        .emit(&send(&chat, "h-1", "  Hi Mike!  "))
        .await
        .expect("sent");
    assert_eq!(sent.status, MessageStatus::Seen);
    assert_eq!(sent.body, "Hi Mike!", "bodies are trimmed");
    assert_eq!(sent.seq, 1);

    let NewMessage(received) = mike_socket.next::<NewMessage>().await;
    assert_eq!(received.id, sent.id);
    assert_eq!(received.body, "Hi Mike!");
    let update = harley_socket.next::<StatusUpdate>().await;
    assert_eq!(
        (update.user_id, update.status, update.up_to_seq),
        (mike.user.id, ReceiptKind::Seen, 1)
    );
}

#[tokio::test]
async fn a_message_comes_back_to_the_senders_other_devices_not_to_the_one_that_sent_it() {
    let app = spawn_app().await;
    let (harley, _, harley_socket, chat) = harley_and_mike(&app).await;
    let harley_phone = SocketClient::connect(app.addr, &harley.token).await;

    let sent = harley_socket
        .emit(&send(&chat, "h-1", "from the laptop"))
        .await
        .expect("sent");
    let NewMessage(on_phone) = harley_phone.next::<NewMessage>().await;
    assert_eq!(on_phone, sent, "the phone's copy is the ack's");
    // The laptop has it from its ack: no second copy to reconcile.
    harley_socket.assert_none::<NewMessage>().await;
}

#[tokio::test]
async fn mike_online_elsewhere_gets_delivered_then_seen_when_he_opens_the_chat() {
    let app = spawn_app().await;
    let (_, mike, harley_socket, chat) = harley_and_mike(&app).await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;

    let sent = harley_socket
        .emit(&send(&chat, "h-1", "are you there?"))
        .await
        .expect("sent");
    assert_eq!(sent.status, MessageStatus::Delivered);
    // Mike's chat list hears of it through his personal room.
    assert_eq!(mike_socket.next::<NewMessage>().await.0.id, sent.id);
    let delivered = harley_socket.next::<StatusUpdate>().await;
    assert_eq!(
        (delivered.status, delivered.up_to_seq),
        (ReceiptKind::Delivered, 1)
    );

    let joined = mike_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .expect("joins");
    assert_eq!(joined.messages.len(), 1);
    assert_eq!(joined.messages[0].status, MessageStatus::Seen);
    let seen = harley_socket.next::<StatusUpdate>().await;
    assert_eq!(
        (seen.user_id, seen.status, seen.up_to_seq),
        (mike.user.id, ReceiptKind::Seen, 1)
    );
}

#[tokio::test]
async fn mike_answering_without_opening_the_chat_has_seen_what_he_answers() {
    let app = spawn_app().await;
    let (harley, mike, harley_socket, chat) = harley_and_mike(&app).await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    harley_socket
        .emit(&send(&chat, "h-1", "are you there?"))
        .await
        .expect("sent");
    mike_socket.next::<NewMessage>().await;
    let delivered = harley_socket.next::<StatusUpdate>().await;
    assert_eq!(delivered.status, ReceiptKind::Delivered);

    // From a notification, say: he answers without joining the chat's room.
    mike_socket
        .emit(&send(&chat, "m-1", "here"))
        .await
        .expect("mike answers");
    let seen = harley_socket.next::<StatusUpdate>().await;
    assert_eq!(
        (seen.user_id, seen.status, seen.up_to_seq),
        (mike.user.id, ReceiptKind::Seen, 2)
    );
    // What she is told live is what a reload reads.
    let harley_again = SocketClient::connect(app.addr, &harley.token).await;
    let opened = harley_again
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .expect("harley opens the chat");
    assert_eq!(opened.messages[0].status, MessageStatus::Seen);
    // (Opening it, she read his answer: her own watermark moves.)
    let hers = harley_socket.next::<StatusUpdate>().await;
    assert_eq!((hers.user_id, hers.up_to_seq), (harley.user.id, 2));

    // Answering again, up to date, tells her nothing new.
    mike_socket
        .emit(&send(&chat, "m-2", "still here"))
        .await
        .expect("mike again");
    harley_socket.next::<NewMessage>().await;
    harley_socket.next::<NewMessage>().await;
    harley_socket.assert_none::<StatusUpdate>().await;
}

#[tokio::test]
async fn mike_offline_gets_sent_then_delivered_when_he_connects_then_seen_when_he_opens_it() {
    let app = spawn_app().await;
    let (_, mike, harley_socket, chat) = harley_and_mike(&app).await;

    let first = harley_socket
        .emit(&send(&chat, "h-1", "ping"))
        .await
        .expect("sent");
    let second = harley_socket
        .emit(&send(&chat, "h-2", "ping again"))
        .await
        .expect("sent");
    assert_eq!(
        (first.status, second.status),
        (MessageStatus::Sent, MessageStatus::Sent)
    );
    harley_socket.assert_none::<StatusUpdate>().await;

    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    let delivered = harley_socket.next::<StatusUpdate>().await;
    assert_eq!(
        (delivered.user_id, delivered.status, delivered.up_to_seq),
        (mike.user.id, ReceiptKind::Delivered, 2)
    );
    let summaries = mike_socket
        .emit(&ListChats::first())
        .await
        .expect("list")
        .chats;
    assert_eq!(summaries[0].unread_count, 2);

    mike_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .expect("joins");
    let seen = harley_socket.next::<StatusUpdate>().await;
    assert_eq!((seen.status, seen.up_to_seq), (ReceiptKind::Seen, 2));
    let summaries = mike_socket
        .emit(&ListChats::first())
        .await
        .expect("list")
        .chats;
    assert_eq!(summaries[0].unread_count, 0);
    let statuses: Vec<_> = harley_socket
        .emit(&History::latest(chat.id))
        .await
        .expect("history")
        .iter()
        .map(|m| m.status)
        .collect();
    assert_eq!(statuses, [MessageStatus::Seen, MessageStatus::Seen]);
}

#[tokio::test]
async fn typing_reaches_mike_and_not_harley_and_stops_when_she_leaves() {
    let app = spawn_app().await;
    let (harley, mike, harley_socket, chat) = harley_and_mike(&app).await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    harley_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .expect("harley joins");
    mike_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .expect("mike joins");

    harley_socket
        .emit(&Typing {
            chat_id: chat.id,
            is_typing: true,
        })
        .await
        .expect("typing");
    let typing = mike_socket.next::<ShowTyping>().await;
    assert_eq!(
        (typing.user_id, typing.username.as_str(), typing.is_typing),
        (harley.user.id, "harley", true)
    );
    harley_socket.assert_none::<ShowTyping>().await;

    // Leaving the room while typing tells the others she stopped.
    harley_socket
        .emit(&LeaveRoom { chat_id: chat.id })
        .await
        .expect("leaves");
    assert!(!mike_socket.next::<ShowTyping>().await.is_typing);

    // So does disconnecting.
    harley_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .expect("rejoins");
    harley_socket
        .emit(&Typing {
            chat_id: chat.id,
            is_typing: true,
        })
        .await
        .expect("typing");
    assert!(mike_socket.next::<ShowTyping>().await.is_typing);
    harley_socket.disconnect().await;
    assert!(!mike_socket.next::<ShowTyping>().await.is_typing);
}

#[tokio::test]
async fn a_group_message_is_as_far_as_its_slowest_member_with_receipts_per_member() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    let sara = app.signup("sara", "sara password").await;
    let harley_socket = SocketClient::connect(app.addr, &harley.token).await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    let sara_socket = SocketClient::connect(app.addr, &sara.token).await;

    let group = create_group(&harley_socket, "Crew", &["mike", "sara"]).await;
    assert_eq!(group.members.len(), 3);
    assert_eq!(sara_socket.next::<ChatCreated>().await.0.chat.id, group.id);
    mike_socket
        .emit(&JoinRoom { chat_id: group.id })
        .await
        .expect("mike joins");

    // Mike has it open, Sara is only online: the lowest wins.
    let sent = harley_socket
        .emit(&send(&group, "g-1", "hello crew"))
        .await
        .expect("sent");
    assert_eq!(sent.status, MessageStatus::Delivered);

    let info = harley_socket
        .emit(&JoinRoom { chat_id: group.id })
        .await
        .expect("harley opens it");
    let receipt_of = |user| {
        info.receipts
            .iter()
            .find(|r| r.user_id == user)
            .copied()
            .expect("receipt")
    };
    assert_eq!(
        (
            receipt_of(mike.user.id).seen_seq,
            receipt_of(mike.user.id).delivered_seq
        ),
        (1, 1)
    );
    assert_eq!(
        (
            receipt_of(sara.user.id).seen_seq,
            receipt_of(sara.user.id).delivered_seq
        ),
        (0, 1)
    );

    harley_socket.clear();
    sara_socket
        .emit(&JoinRoom { chat_id: group.id })
        .await
        .expect("sara joins");
    let seen = harley_socket.next::<StatusUpdate>().await;
    assert_eq!(
        (seen.user_id, seen.status, seen.up_to_seq),
        (sara.user.id, ReceiptKind::Seen, 1)
    );
    assert_eq!(
        harley_socket
            .emit(&History::latest(group.id))
            .await
            .expect("history")[0]
            .status,
        MessageStatus::Seen
    );

    // Everyone has it open and is up to date: Sara's message is seen at once,
    // her message info hears of each reader, and nobody else is told what
    // changes only her ticks.
    mike_socket.clear();
    let reply = sara_socket
        .emit(&send(&group, "g-2", "here too"))
        .await
        .expect("sent");
    assert_eq!(reply.status, MessageStatus::Seen);
    for reader in [harley.user.id, mike.user.id] {
        let seen = sara_socket
            .next_where(|update: &StatusUpdate| update.user_id == reader)
            .await;
        assert_eq!((seen.status, seen.up_to_seq), (ReceiptKind::Seen, 2));
    }
    mike_socket.next::<NewMessage>().await;
    mike_socket.assert_none::<StatusUpdate>().await;
}

#[tokio::test]
async fn history_pages_back_and_forward() {
    // A generous rate limit: this test sends as fast as it can.
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.events_per_second = 10_000.0;
        settings.event_burst = 10_000.0;
    })
    .await;
    let (_, _, harley_socket, chat) = harley_and_mike(&app).await;
    for n in 1..=120 {
        harley_socket
            .emit(&send(&chat, &format!("m-{n}"), &format!("message {n}")))
            .await
            .expect("sent");
    }
    let page = |before_seq, after_seq, limit| History {
        before_seq,
        after_seq,
        limit,
        ..History::latest(chat.id)
    };
    let seqs =
        |messages: Vec<app::model::Message>| messages.iter().map(|m| m.seq).collect::<Vec<_>>();

    let latest = seqs(
        harley_socket
            .emit(&page(None, None, None))
            .await
            .expect("latest"),
    );
    assert_eq!(
        latest,
        (71..=120).collect::<Vec<_>>(),
        "the latest 50, ascending"
    );
    let older = seqs(
        harley_socket
            .emit(&page(Some(71), None, Some(30)))
            .await
            .expect("older"),
    );
    assert_eq!(older, (41..=70).collect::<Vec<_>>());
    let oldest = seqs(
        harley_socket
            .emit(&page(Some(41), None, Some(100)))
            .await
            .expect("oldest"),
    );
    assert_eq!(oldest, (1..=40).collect::<Vec<_>>());
    let newer = seqs(
        harley_socket
            .emit(&page(None, Some(100), None))
            .await
            .expect("newer"),
    );
    assert_eq!(newer, (101..=120).collect::<Vec<_>>());
    let between = seqs(
        harley_socket
            .emit(&page(Some(15), Some(10), None))
            .await
            .expect("between"),
    );
    assert_eq!(between, (11..=14).collect::<Vec<_>>());
    let capped = harley_socket
        .emit(&page(None, Some(0), Some(1000)))
        .await
        .expect("capped");
    assert_eq!(capped.len(), 100, "limit is capped at 100");
    let zero = harley_socket
        .emit(&page(None, None, Some(0)))
        .await
        .unwrap_err();
    assert_eq!(zero.code, ErrorCode::BadRequest);
}

#[tokio::test]
async fn resending_with_the_same_client_id_returns_the_original_and_announces_nothing() {
    let app = spawn_app().await;
    let (_, mike, harley_socket, chat) = harley_and_mike(&app).await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;

    let first = harley_socket
        .emit(&send(&chat, "same-id", "only once"))
        .await
        .expect("sent");
    mike_socket.next::<NewMessage>().await;
    let again = harley_socket
        .emit(&send(&chat, "same-id", "only once"))
        .await
        .expect("resent");
    assert_eq!((again.id, again.seq), (first.id, first.seq));
    mike_socket.assert_none::<NewMessage>().await;
    assert_eq!(
        harley_socket
            .emit(&History::latest(chat.id))
            .await
            .expect("history")
            .len(),
        1
    );
}

/// A resend is the same chat, sender and client id. A client id the sender
/// gave a message of another chat is refused (`invalid_client_id`), never
/// answered with that chat's message: someone removed from a group could
/// otherwise read their old messages there as they stand now by "resending"
/// into a chat they still have.
#[tokio::test]
async fn a_client_id_of_another_chats_message_is_refused_never_answered_with_it() {
    let app = spawn_app().await;
    let (_, mike, harley_socket, direct) = harley_and_mike(&app).await;
    app.signup("sara", "sara password").await;
    let group = create_group(&harley_socket, "Crew", &["mike", "sara"]).await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    harley_socket
        .emit(&send(&group, "g-1", "the plan"))
        .await
        .expect("sent");
    mike_socket.next::<NewMessage>().await;

    let refused = harley_socket
        .emit(&send(&direct, "g-1", "hello Mike"))
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidClientId);
    mike_socket.assert_none::<NewMessage>().await;

    // Both at once, likely in one batch of the writer: one stands, the other
    // is refused; neither is answered with the other's message.
    let (crew, mike_only) = (
        send(&group, "both", "to the crew"),
        send(&direct, "both", "to Mike"),
    );
    let (to_group, to_direct) =
        tokio::join!(harley_socket.emit(&crew), harley_socket.emit(&mike_only));
    match (to_group, to_direct) {
        (Ok(stored), Err(refused)) => {
            assert_eq!(
                (stored.chat_id, stored.body.as_str()),
                (group.id, "to the crew")
            );
            assert_eq!(refused.code, ErrorCode::InvalidClientId);
        }
        (Err(refused), Ok(stored)) => {
            assert_eq!(
                (stored.chat_id, stored.body.as_str()),
                (direct.id, "to Mike")
            );
            assert_eq!(refused.code, ErrorCode::InvalidClientId);
        }
        other => panic!("one stands and one is refused, not {other:?}"),
    }
    let in_direct = harley_socket
        .emit(&History::latest(direct.id))
        .await
        .expect("history");
    assert!(
        in_direct.iter().all(|message| message.body != "the plan"),
        "{in_direct:?}"
    );
}

#[tokio::test]
async fn someone_outside_the_chat_cannot_join_send_type_or_read() {
    let app = spawn_app().await;
    let (_, _, _harley_socket, chat) = harley_and_mike(&app).await;
    let eve = app.signup("eve", "eve password").await;
    let eve_socket = SocketClient::connect(app.addr, &eve.token).await;

    let join = eve_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .unwrap_err();
    let send_error = eve_socket
        .emit(&send(&chat, "e-1", "let me in"))
        .await
        .unwrap_err();
    let typing = eve_socket
        .emit(&Typing {
            chat_id: chat.id,
            is_typing: true,
        })
        .await
        .unwrap_err();
    let seen = eve_socket
        .emit(&MarkSeen {
            chat_id: chat.id,
            seq: 1,
        })
        .await
        .unwrap_err();
    let history = eve_socket
        .emit(&History::latest(chat.id))
        .await
        .unwrap_err();
    for error in [&join, &send_error, &typing, &seen, &history] {
        assert_eq!(error.code, ErrorCode::NotMember, "{error:?}");
    }

    let nowhere = eve_socket
        .emit(&JoinRoom {
            chat_id: ChatId(uuid::Uuid::now_v7()),
        })
        .await
        .unwrap_err();
    assert_eq!(nowhere.code, ErrorCode::NotFound);
    let not_an_id = eve_socket
        .emit_raw("joinRoom", json!({"chatId": "nope"}))
        .await;
    assert_eq!(not_an_id["error"]["code"], "not_found");
    let malformed = eve_socket
        .emit_raw("sendMessage", json!({"chatId": chat.id, "body": 42}))
        .await;
    assert_eq!(malformed["error"]["code"], "bad_request");
    assert!(malformed.get("ok").is_none());
}

#[tokio::test]
async fn a_bad_token_no_token_or_a_foreign_origin_is_refused_at_the_handshake() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;

    let bad = SocketClient::try_connect(app.addr, Credentials::Token("not-a-token"), None).await;
    assert!(
        bad.as_ref()
            .is_err_and(|message| message.contains("unauthorized")),
        "{:?}",
        bad.err()
    );
    let none = SocketClient::try_connect(app.addr, Credentials::Nothing, None).await;
    assert!(
        none.as_ref()
            .is_err_and(|message| message.contains("unauthorized")),
        "{:?}",
        none.err()
    );
    let foreign = SocketClient::try_connect(
        app.addr,
        Credentials::Token(&harley.token),
        Some("https://evil.example"),
    )
    .await;
    assert!(
        foreign
            .as_ref()
            .is_err_and(|m| m.contains("origin_not_allowed")),
        "{:?}",
        foreign.err()
    );

    // The browser's way: the session cookie, from the server's own page.
    let own_origin = format!("http://{}", app.addr);
    let browser = SocketClient::try_connect(
        app.addr,
        Credentials::Cookie(&harley.token),
        Some(&own_origin),
    )
    .await;
    let browser = browser.expect("cookie and own origin are fine");
    browser
        .emit(&ListChats::first())
        .await
        .expect("and it works");
}

#[tokio::test]
async fn a_configured_origin_is_allowed() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.allowed_origins = vec!["https://chat.example.com".into()];
    })
    .await;
    let harley = app.signup("harley", "harley password").await;
    let allowed = SocketClient::try_connect(
        app.addr,
        Credentials::Token(&harley.token),
        Some("https://chat.example.com"),
    )
    .await;
    assert!(allowed.is_ok(), "{:?}", allowed.err());
}

/// Every client event the protocol names has its handler: a payload of the
/// wrong shape gets a typed `bad_request`, where an event nobody listens to
/// would get no answer at all (the new-event checklist, docs/ARCHITECTURE.md).
#[tokio::test]
async fn every_client_event_is_served() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let socket = SocketClient::connect(app.addr, &harley.token).await;
    let mut unanswered = Vec::new();
    for &name in app::protocol::CLIENT_EVENTS {
        match socket.ack_of(name, json!("not an object")).await {
            Some(ack) => assert_eq!(ack["error"]["code"], "bad_request", "{name}: {ack}"),
            None => unanswered.push(name),
        }
    }
    assert!(unanswered.is_empty(), "no handler answers {unanswered:?}");
}

#[tokio::test]
async fn a_bad_body_is_refused_and_the_connection_keeps_working() {
    let app = spawn_app().await;
    let (_, _, harley_socket, chat) = harley_and_mike(&app).await;
    for body in ["x".repeat(4001), "   \n ".into(), String::new()] {
        let error = harley_socket
            .emit(&send(&chat, "b-1", &body))
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidBody);
        assert!(!error.message.is_empty());
    }
    let fine = harley_socket
        .emit(&send(&chat, "b-1", &"y".repeat(4000)))
        .await
        .expect("4000 is fine");
    assert_eq!(fine.seq, 1, "nothing was stored for the refused ones");
}

#[tokio::test]
async fn a_client_flooding_the_server_is_rate_limited_but_stays_connected() {
    let app = spawn_app().await;
    let (_, _, harley_socket, chat) = harley_and_mike(&app).await;
    let mut limited = 0;
    for _ in 0..150 {
        if let Err(error) = harley_socket
            .emit(&Typing {
                chat_id: chat.id,
                is_typing: true,
            })
            .await
        {
            assert_eq!(error.code, ErrorCode::RateLimited);
            limited += 1;
        }
    }
    assert!(limited > 0, "150 events in a burst must hit the limit");
    // The bucket refills as time passes: asked again now and then, the same
    // socket is served again, however long this machine takes to get there.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match harley_socket
            .emit(&send(&chat, "after", "calm again"))
            .await
        {
            Ok(_) => break,
            Err(error) => assert_eq!(error.code, ErrorCode::RateLimited),
        }
        assert!(tokio::time::Instant::now() < deadline, "never served again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One account cannot hold a node's sockets: past its share the handshake
/// says `too_many_sockets`; others connect as ever, and a socket closed
/// gives its place back.
#[tokio::test]
async fn one_account_cannot_open_sockets_without_end() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.max_sockets_per_person = 3;
    })
    .await;
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    let mut tabs = Vec::new();
    for _ in 0..3 {
        tabs.push(SocketClient::connect(app.addr, &harley.token).await);
    }
    let refused =
        SocketClient::try_connect(app.addr, Credentials::Token(&harley.token), None).await;
    // The connect_error's payload is {"message": "too_many_sockets"}.
    let refusal = refused.err().unwrap_or_default();
    assert!(
        refusal.contains(r#"\"message\":\"too_many_sockets\""#),
        "{refusal}"
    );
    let _mike = SocketClient::connect(app.addr, &mike.token).await;
    tabs.pop().expect("three").disconnect().await;
    app.disconnects_handled(1).await;
    let again = SocketClient::try_connect(app.addr, Credentials::Token(&harley.token), None).await;
    assert!(again.is_ok(), "a closed socket's place is free again");
}

/// More sockets buy no more events: all of a person's sockets on a node
/// draw from one budget (twice one socket's), so four sockets that each
/// stay under their own limit are still refused past the person's.
#[tokio::test]
async fn one_account_spread_over_many_sockets_is_rate_limited_as_one() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        // Nothing refills during the test: only the bursts count.
        settings.events_per_second = 0.001;
        settings.event_burst = 5.0;
    })
    .await;
    let (harley, mike, _, chat) = harley_and_mike(&app).await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(SocketClient::connect(app.addr, &harley.token).await);
    }
    // harley_and_mike's socket spent a little of her budget (of 10); the
    // three new ones may send 5 each on their own, 15 in all.
    let mut answered = 0;
    let mut limited = 0;
    for socket in &sockets {
        for _ in 0..5 {
            match socket.emit(&History::latest(chat.id)).await {
                Ok(_) => answered += 1,
                Err(error) => {
                    assert_eq!(error.code, ErrorCode::RateLimited);
                    limited += 1;
                }
            }
        }
    }
    assert!(
        answered <= 10,
        "at most the person's burst: {answered} answered"
    );
    assert_eq!(answered + limited, 15);
    let mike = SocketClient::connect(app.addr, &mike.token).await;
    mike.emit(&History::latest(chat.id))
        .await
        .expect("others are not held back");
}

#[tokio::test]
async fn presence_follows_the_last_socket_of_a_user() {
    let app = spawn_app().await;
    let (_, mike, harley_socket, chat) = harley_and_mike(&app).await;

    let first_tab = SocketClient::connect(app.addr, &mike.token).await;
    let online = harley_socket.next::<Presence>().await;
    assert_eq!((online.user_id, online.online), (mike.user.id, true));
    let checks = app.metric("parley_presence_checks_total").await as u32;
    let reports = app.metric("parley_presence_reports_total").await as u32;
    let second_tab = SocketClient::connect(app.addr, &mike.token).await;
    app.presence_reports_settled(reports + 1).await;
    harley_socket.assert_none::<Presence>().await;

    first_tab.disconnect().await;
    app.disconnects_handled(1).await;
    app.presence_checked(checks + 1).await;
    harley_socket.assert_none::<Presence>().await;
    let summary = &harley_socket
        .emit(&ListChats::first())
        .await
        .expect("list")
        .chats[0];
    let mike_there = summary
        .chat
        .members
        .iter()
        .find(|m| m.id == mike.user.id)
        .expect("mike");
    assert!(mike_there.online, "one tab is still open");

    second_tab.disconnect().await;
    let offline = harley_socket.next_where(|p: &Presence| !p.online).await;
    assert_eq!(offline.user_id, mike.user.id);
    assert!(offline.last_seen_at.is_some());
    let joined = harley_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .expect("join");
    let mike_there = joined
        .chat
        .members
        .iter()
        .find(|m| m.id == mike.user.id)
        .expect("mike");
    assert!(!mike_there.online);
    assert!(mike_there.last_seen_at.is_some());
}

#[tokio::test]
async fn the_chat_list_is_newest_first_with_unread_counts() {
    let app = spawn_app().await;
    let (_, mike, harley_socket, with_mike) = harley_and_mike(&app).await;
    app.signup("sara", "sara password").await;
    let with_sara = create_direct(&harley_socket, "sara").await;
    harley_socket
        .emit(&send(&with_mike, "1", "to mike"))
        .await
        .expect("sent");
    harley_socket
        .emit(&send(&with_sara, "2", "to sara"))
        .await
        .expect("sent");

    let list = harley_socket
        .emit(&ListChats::first())
        .await
        .expect("list")
        .chats;
    let order: Vec<_> = list.iter().map(|summary| summary.chat.id).collect();
    assert_eq!(order, [with_sara.id, with_mike.id]);
    assert_eq!(
        list[0].last_message.as_ref().map(|m| m.body.as_str()),
        Some("to sara")
    );
    assert_eq!(list[0].unread_count, 0, "your own messages are not unread");

    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    mike_socket
        .emit(&send(&with_mike, "3", "back to you"))
        .await
        .expect("sent");
    let list = harley_socket
        .emit(&ListChats::first())
        .await
        .expect("list")
        .chats;
    assert_eq!(list[0].chat.id, with_mike.id, "new activity moves it up");
    assert_eq!(list[0].unread_count, 1);
    harley_socket
        .emit(&MarkSeen {
            chat_id: with_mike.id,
            seq: 2,
        })
        .await
        .expect("seen");
    assert_eq!(
        harley_socket
            .emit(&ListChats::first())
            .await
            .expect("list")
            .chats[0]
            .unread_count,
        0
    );
}

#[tokio::test]
async fn a_direct_chat_is_created_once_whoever_asks() {
    let app = spawn_app().await;
    let (_, mike, harley_socket, chat) = harley_and_mike(&app).await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    let again = create_direct(&harley_socket, "MIKE").await;
    let from_mike = create_direct(&mike_socket, "harley").await;
    assert_eq!((again.id, from_mike.id), (chat.id, chat.id));
    assert_eq!(chat.kind, ChatKind::Direct);
    mike_socket.assert_none::<ChatCreated>().await;
}

#[tokio::test]
async fn creating_a_chat_with_bad_members_says_why() {
    let app = spawn_app().await;
    let (_, _, harley_socket, _) = harley_and_mike(&app).await;
    app.signup("sara", "sara password").await;
    let create = |kind, name: Option<&str>, members: &[&str]| CreateChat {
        kind,
        name: name.map(Into::into),
        members: members.iter().map(|m| m.to_string()).collect(),
    };
    let cases = [
        (
            create(ChatKind::Direct, None, &["nobody"]),
            ErrorCode::UserNotFound,
        ),
        (
            create(ChatKind::Direct, None, &["mike", "sara"]),
            ErrorCode::InvalidMembers,
        ),
        (
            create(ChatKind::Direct, None, &["harley"]),
            ErrorCode::InvalidMembers,
        ),
        (
            create(ChatKind::Group, None, &["mike"]),
            ErrorCode::InvalidGroupName,
        ),
        (
            create(ChatKind::Group, Some("Solo"), &[]),
            ErrorCode::InvalidMembers,
        ),
        (
            create(ChatKind::Group, Some("Crew"), &["mike", "ghost"]),
            ErrorCode::UserNotFound,
        ),
    ];
    for (request, code) in cases {
        let error = harley_socket.emit(&request).await.unwrap_err();
        assert_eq!(error.code, code, "{request:?}: {error:?}");
    }
}
