//! Two nodes sharing PostgreSQL and Redis behave as one: Harley on node A, Mike
//! on node B.

use crate::support::{
    app::{TestApp, spawn_app_with},
    chats::{create_direct, send},
    nodes::{two_nodes, two_nodes_with},
    services::Postgres,
    socket_client::{PATIENCE, SocketClient},
};
use app::{
    model::MessageStatus,
    protocol::{
        History, JoinRoom, NewMessage, Presence, ReceiptKind, Resync, ShowTyping, StatusUpdate,
        Typing,
    },
};
use serde_json::Value;
use std::time::Duration;

async fn health(app: &TestApp) -> Value {
    app.http
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_seed_story_holds_with_harley_on_one_node_and_mike_on_the_other() {
    let Some(nodes) = two_nodes().await else {
        return;
    };
    let harley = nodes.a.signup("harley", "harley password").await;
    let mike = nodes.b.signup("mike", "mike password").await;
    let harley_socket = SocketClient::connect(nodes.a.addr, &harley.token).await;
    let chat = create_direct(&harley_socket, "mike").await;
    let message = |client_id: &str, body: &str| send(&chat, client_id, body);

    // Mike offline: sent. He connects on B: delivered, announced on A.
    assert_eq!(
        harley_socket
            .emit(&message("1", "hi"))
            .await
            .unwrap()
            .status,
        MessageStatus::Sent
    );
    let mike_socket = SocketClient::connect(nodes.b.addr, &mike.token).await;
    let delivered = harley_socket.next::<StatusUpdate>().await;
    assert_eq!(
        (delivered.user_id, delivered.status),
        (mike.user.id, ReceiptKind::Delivered)
    );
    assert!(harley_socket.next::<Presence>().await.online);

    // Online on B: a new message is delivered at once.
    assert_eq!(
        harley_socket
            .emit(&message("2", "there?"))
            .await
            .unwrap()
            .status,
        MessageStatus::Delivered
    );
    assert_eq!(mike_socket.next::<NewMessage>().await.0.body, "there?");

    // He opens the chat on B: seen, announced on A; the next one is seen at once.
    mike_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .unwrap();
    let seen = harley_socket
        .next_where(|u: &StatusUpdate| u.status == ReceiptKind::Seen)
        .await;
    assert_eq!(seen.up_to_seq, 2);
    assert_eq!(
        harley_socket
            .emit(&message("3", "hello"))
            .await
            .unwrap()
            .status,
        MessageStatus::Seen
    );

    // Typing crosses nodes, and not back to the typer.
    harley_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .unwrap();
    mike_socket
        .emit(&Typing {
            chat_id: chat.id,
            is_typing: true,
        })
        .await
        .unwrap();
    let typing = harley_socket.next::<ShowTyping>().await;
    assert_eq!((typing.username.as_str(), typing.is_typing), ("mike", true));
    mike_socket.assert_none::<ShowTyping>().await;

    // A resend through the other node returns the original and announces nothing.
    let harley_on_b = SocketClient::connect(nodes.b.addr, &harley.token).await;
    mike_socket.clear();
    let again = harley_on_b.emit(&message("3", "hello")).await.unwrap();
    assert_eq!(again.seq, 3);
    mike_socket.assert_none::<NewMessage>().await;
    let history = harley_on_b.emit(&History::latest(chat.id)).await.unwrap();
    assert_eq!(history.iter().map(|m| m.seq).collect::<Vec<_>>(), [1, 2, 3]);

    // Presence: Mike with a tab on each node is online until the last one
    // closes, and a second tab changes nothing to announce.
    let checks_a = nodes.a.metric("parley_presence_checks_total").await as u32;
    let checks_b = nodes.b.metric("parley_presence_checks_total").await as u32;
    let mike_on_a = SocketClient::connect(nodes.a.addr, &mike.token).await;
    nodes.a.presence_checked(checks_a + 1).await;
    mike_socket.disconnect().await;
    nodes.b.disconnects_handled(1).await;
    nodes.b.presence_checked(checks_b + 1).await;
    // Anything node B announced before that reaches node A before a message
    // node B broadcasts after it (one Redis connection, one channel, in order).
    harley_on_b
        .emit(&message("4", "after mike left b"))
        .await
        .unwrap();
    harley_socket
        .next_where(|NewMessage(m)| m.body == "after mike left b")
        .await;
    harley_socket.assert_none::<Presence>().await;
    mike_on_a.disconnect().await;
    let offline = harley_socket.next_where(|p: &Presence| !p.online).await;
    assert_eq!(offline.user_id, mike.user.id);
    assert!(offline.last_seen_at.is_some());
    assert_eq!(health(&nodes.a).await["redis"], "up");
}

#[tokio::test]
async fn a_redis_restart_is_survived_without_losing_what_was_acked() {
    let Some(mut nodes) = two_nodes().await else {
        return;
    };
    let (harley_socket, mike_socket, chat) = nodes.harley_and_mike().await;
    let message = |client_id: &str| send(&chat, client_id, &format!("#{client_id}"));
    harley_socket.emit(&message("before")).await.unwrap();
    assert_eq!(mike_socket.next::<NewMessage>().await.0.body, "#before");

    nodes.redis.stop();
    let down = health(&nodes.a).await;
    assert_eq!(
        (down["status"].as_str(), down["redis"].as_str()),
        (Some("degraded"), Some("down"))
    );
    // While Redis is away the message is still stored and acked.
    let during = harley_socket
        .emit(&message("during"))
        .await
        .expect("stored while redis is down");
    assert_eq!(during.seq, 2);

    nodes.redis.restart();
    let deadline = tokio::time::Instant::now() + PATIENCE * 3;
    while health(&nodes.a).await["redis"] != "up" || health(&nodes.b).await["redis"] != "up" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nodes did not reconnect to redis"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Re-subscription follows the reconnect; retry the first message until it flows.
    let mut delivered = false;
    for attempt in 0..20 {
        mike_socket.clear();
        harley_socket
            .emit(&message(&format!("after-{attempt}")))
            .await
            .unwrap();
        if tokio::time::timeout(Duration::from_millis(500), mike_socket.next::<NewMessage>())
            .await
            .is_ok()
        {
            delivered = true;
            break;
        }
    }
    assert!(
        delivered,
        "broadcasts across nodes resume after redis comes back"
    );
    let history = mike_socket.emit(&History::latest(chat.id)).await.unwrap();
    assert!(
        history.iter().any(|m| m.body == "#during"),
        "nothing acked was lost"
    );
}

#[tokio::test]
async fn a_database_restart_fails_requests_clearly_then_recovers_by_itself() {
    let Some(mut postgres) = Postgres::start() else {
        return;
    };
    let database_url = postgres.new_database().await;
    let app = spawn_app_with(tempfile::tempdir().unwrap(), move |settings| {
        settings.database_url = database_url
    })
    .await;
    let harley = app.signup("harley", "harley password").await;
    app.signup("mike", "mike password").await;
    let socket = SocketClient::connect(app.addr, &harley.token).await;
    let chat = create_direct(&socket, "mike").await;
    let message = |client_id: &str| send(&chat, client_id, client_id);
    socket.emit(&message("before")).await.expect("stored");

    postgres.stop();
    let refused = socket
        .emit(&message("during"))
        .await
        .expect_err("no database, no message");
    assert_eq!(
        refused.code,
        app::protocol::ErrorCode::Unavailable,
        "{refused:?}"
    );
    let down = health(&app).await;
    assert_eq!(
        (down["status"].as_str(), down["database"].as_str()),
        (Some("degraded"), Some("down"))
    );

    postgres.start_again();
    let deadline = tokio::time::Instant::now() + PATIENCE * 3;
    while health(&app).await["database"] != "up" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the node did not reconnect to the database"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The client retries with the same client id, as the browser's outbox does.
    let retried = socket.emit(&message("during")).await.expect("served again");
    assert_eq!(retried.seq, 2);
    let history = socket.emit(&History::latest(chat.id)).await.unwrap();
    assert_eq!(
        history.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["before", "during"]
    );
}

/// What takes live delivery between the nodes away.
#[derive(Clone, Copy, Debug)]
enum Outage {
    /// Redis itself stops, then starts again on its port (empty).
    Redis,
    /// Node A alone is cut from Redis; node B keeps it.
    NodeA,
}

/// `/readyz` of a node: its status code.
async fn readiness(app: &TestApp) -> u16 {
    let response = app.http.get(app.url("/readyz")).send().await.unwrap();
    response.status().as_u16()
}

/// Waits until the node's `/readyz` answers `status` (it follows the node's
/// own watch on Redis, which looks twice a second).
async fn until_ready_is(app: &TestApp, status: u16) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while readiness(app).await != status {
        assert!(
            tokio::time::Instant::now() < deadline,
            "/readyz never answered {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Harley on node A writes to Mike on node B before, during and after an
/// outage of live delivery between the nodes. Nobody asks `/healthz` (whose
/// PING would mend the connection by itself): the nodes must heal alone.
/// Within 5 s of the end of the outage Mike is told to `resync`; what he
/// fetches then and what reached him live hold every acked message, none
/// twice; and live delivery is back.
async fn nothing_is_missed_through(outage: Outage) {
    let Some(mut nodes) = two_nodes_with(matches!(outage, Outage::NodeA)).await else {
        return;
    };
    let (harley_socket, mike_socket, chat) = nodes.harley_and_mike().await;
    let mut acked = Vec::new();
    let mut says = async |body: String| {
        let sent = harley_socket
            .emit(&send(&chat, &body, &body))
            .await
            .expect("stored and acked, whatever Redis does");
        acked.push(sent.seq);
        sent.seq
    };
    for n in 0..3 {
        let seq = says(format!("before {n}")).await;
        mike_socket.next_where(|NewMessage(m)| m.seq == seq).await;
    }

    match outage {
        Outage::Redis => nodes.redis.stop(),
        Outage::NodeA => nodes.a_to_redis.as_ref().expect("a proxy").cut(),
    }
    until_ready_is(&nodes.a, 503).await;
    match outage {
        Outage::Redis => until_ready_is(&nodes.b, 503).await,
        // Node B still reaches Redis: only A is cut off.
        Outage::NodeA => assert_eq!(readiness(&nodes.b).await, 200),
    }
    for n in 0..10 {
        says(format!("during {n}")).await;
    }

    match outage {
        Outage::Redis => nodes.redis.restart(),
        Outage::NodeA => nodes.a_to_redis.as_ref().expect("a proxy").restore(),
    }
    mike_socket.next::<Resync>().await;
    let live: Vec<i64> = mike_socket
        .drain::<NewMessage>()
        .into_iter()
        .map(|NewMessage(m)| m.seq)
        .collect();
    let fetched = mike_socket
        .emit(&History::latest(chat.id))
        .await
        .expect("what he missed");
    for n in 0..3 {
        let seq = says(format!("after {n}")).await;
        mike_socket.next_where(|NewMessage(m)| m.seq == seq).await;
    }
    until_ready_is(&nodes.a, 200).await;
    until_ready_is(&nodes.b, 200).await;

    let mut held: Vec<i64> = live.clone();
    held.extend(fetched.iter().map(|m| m.seq));
    for seq in &acked[3..13] {
        assert!(held.contains(seq), "message {seq} never reached Mike");
    }
    let mut once = live.clone();
    once.sort_unstable();
    once.dedup();
    assert_eq!(once.len(), live.len(), "no message reached Mike live twice");
}

#[tokio::test]
async fn a_redis_blink_heals_and_nothing_sent_meanwhile_is_missed() {
    nothing_is_missed_through(Outage::Redis).await;
}

#[tokio::test]
async fn a_node_cut_from_redis_heals_and_nothing_sent_meanwhile_is_missed() {
    nothing_is_missed_through(Outage::NodeA).await;
}
