//! Web Push: a person whose Parley is closed hears of a message from their
//! push service. Every push service here is a real HTTP server on loopback
//! (`support/push_service.rs`); each device decrypts with its own keys.

use crate::support::{
    app::{TestApp, error_of, spawn_app},
    chats::{create_direct, create_group},
    nodes::two_nodes,
    people::Person,
    process::{Process, signup},
    push_service::{Device, PushService, Received, check_vapid},
    socket_client::SocketClient,
};
use app::{
    model::{Chat, ChatId, MessageId},
    protocol::{ErrorCode, JoinRoom, PushKey, PushPayload, UpdateChatPrefs, UpdateSettings},
};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// Long enough for a retry (a `Retry-After` of a second, a sweep of five).
const PUSH_PATIENCE: Duration = Duration::from_secs(30);

async fn public_key(app: &TestApp) -> String {
    app.http
        .get(app.url("/api/push/key"))
        .send()
        .await
        .expect("request")
        .json::<PushKey>()
        .await
        .expect("the key")
        .public_key
}

/// Subscribes `device` under the session of `token`; the answer.
async fn subscribe(
    app: &TestApp,
    token: &str,
    device: &Device,
    service: &PushService,
) -> reqwest::Response {
    app.http
        .post(app.url("/api/push/subscriptions"))
        .bearer_auth(token)
        .json(&device.subscription(service))
        .send()
        .await
        .expect("request")
}

async fn subscribed(app: &TestApp, token: &str, device: &Device, service: &PushService) {
    let answer = subscribe(app, token, device, service).await;
    assert_eq!(answer.status(), StatusCode::CREATED);
}

fn message_of(payload: &PushPayload) -> (ChatId, MessageId) {
    let PushPayload::Message {
        chat_id,
        message_id,
        ..
    } = payload;
    (*chat_id, *message_id)
}

fn header<'a>(received: &'a Received, name: &str) -> &'a str {
    received
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("a {name} header"))
        .to_str()
        .expect("text")
}

#[tokio::test]
async fn a_message_reaches_a_closed_parley_encrypted_signed_and_collapsed_per_chat() {
    let app = spawn_app().await;
    let service = PushService::start().await;
    let harley = Person::join(&app, "harley").await;
    // Mike's Parley is closed: no socket, only his phone's subscription.
    let mike = app.signup("mike", "mike password").await;
    let phone = Device::new("mikes-phone");
    subscribed(&app, &mike.token, &phone, &service).await;
    let chat = create_direct(&harley.socket, "mike").await;

    let sent = harley
        .says(&chat, "Dinner at eight?\nI'll book the table")
        .await;

    let received = service.until_received(1, PUSH_PATIENCE).await;
    let push = &received[0];
    assert_eq!(push.device, "mikes-phone");
    assert_eq!(
        phone.read(push),
        PushPayload::Message {
            chat_id: chat.id,
            message_id: sent.id,
            sender_name: "harley".into(),
            chat_name: None,
            preview: "Dinner at eight?".into(),
        }
    );
    assert_eq!(header(push, "content-encoding"), "aes128gcm");
    assert_eq!(header(push, "topic"), chat.id.0.simple().to_string());
    assert_eq!(header(push, "urgency"), "high", "a direct message");
    let ttl: u64 = header(push, "ttl").parse().expect("seconds");
    assert!(ttl >= 60 * 60, "kept for a phone that is away a while");
    // The audience is the push service's origin (scheme and host).
    check_vapid(
        push,
        &public_key(&app).await,
        &format!("http://{}", service.addr.ip()),
    );
    app.metric_reaches("parley_pushes_total{outcome=\"sent\"}", 1)
        .await;
}

#[tokio::test]
async fn no_push_to_an_open_chat_to_the_sender_or_for_a_muted_chat_unless_mentioned() {
    let app = spawn_app().await;
    let service = PushService::start().await;
    let harley = Person::join(&app, "harley").await;
    let mike = Person::join(&app, "mike").await;
    let sara = Person::join(&app, "sara").await;
    for (person, device) in [(&harley, "harleys"), (&mike, "mikes"), (&sara, "saras")] {
        subscribed(&app, &person.auth.token, &Device::new(device), &service).await;
    }
    let sara_phone = Device::new("saras-phone");
    subscribed(&app, &sara.auth.token, &sara_phone, &service).await;
    let group = create_group(&harley.socket, "Band", &["mike", "sara"]).await;
    // Mike has the group open; Sara muted it.
    mike.socket
        .emit(&JoinRoom { chat_id: group.id })
        .await
        .expect("mike opens the group");
    sara.socket
        .emit(&UpdateChatPrefs {
            muted: Some(true),
            ..UpdateChatPrefs::of(group.id)
        })
        .await
        .expect("sara mutes it");

    harley.says(&group, "rehearsal moved to six").await;
    let mention = harley.says(&group, "@sara can you bring the amp?").await;

    // Queued only for Sara's two devices, each time: none for Mike (the
    // chat is open) or for Harley (he sent it).
    assert_eq!(app.metric("parley_pushes_queued_total").await, 4.0);
    app.metric_reaches("parley_pushes_total{outcome=\"skipped\"}", 2)
        .await;
    app.metric_reaches("parley_pushes_total{outcome=\"sent\"}", 2)
        .await;
    let received = service.received();
    assert_eq!(
        received.len(),
        2,
        "only the mention, on each of her devices"
    );
    let on_phone = received
        .iter()
        .find(|push| push.device == "saras-phone")
        .expect("her phone was told");
    let told = sara_phone.read(on_phone);
    assert_eq!(message_of(&told), (group.id, mention.id));
    let PushPayload::Message {
        chat_name,
        sender_name,
        ..
    } = told;
    assert_eq!(chat_name.as_deref(), Some("Band"));
    assert_eq!(sender_name, "harley");
    assert_eq!(header(on_phone, "urgency"), "high", "a mention");
}

#[tokio::test]
async fn previews_off_say_new_message() {
    let app = spawn_app().await;
    let service = PushService::start().await;
    let harley = Person::join(&app, "harley").await;
    let mike = Person::join(&app, "mike").await;
    let settings = mike
        .socket
        .emit(&UpdateSettings {
            notification_preview: Some(false),
            ..Default::default()
        })
        .await
        .expect("settings");
    assert!(!settings.notification_preview);
    let phone = Device::new("mikes-phone");
    subscribed(&app, &mike.auth.token, &phone, &service).await;
    let chat = create_direct(&harley.socket, "mike").await;

    harley.says(&chat, "the door code is 4711").await;

    let received = service.until_received(1, PUSH_PATIENCE).await;
    let PushPayload::Message { preview, .. } = phone.read(&received[0]);
    assert_eq!(preview, PushPayload::NO_PREVIEW);
}

#[tokio::test]
async fn a_gone_device_is_forgotten_and_a_throttled_push_comes_after_retry_after() {
    let app = spawn_app().await;
    let service = PushService::start().await;
    let harley = Person::join(&app, "harley").await;
    let mike = app.signup("mike", "mike password").await;
    let old_phone = Device::new("old-phone");
    let laptop = Device::new("laptop");
    subscribed(&app, &mike.token, &old_phone, &service).await;
    subscribed(&app, &mike.token, &laptop, &service).await;
    service.answer_next("old-phone", 410, None);
    service.answer_next("laptop", 429, Some(1));
    let chat = create_direct(&harley.socket, "mike").await;

    let first = harley.says(&chat, "are you there?").await;

    let received = service.until_received(3, PUSH_PATIENCE).await;
    let to_laptop: Vec<&Received> = received.iter().filter(|r| r.device == "laptop").collect();
    assert_eq!(to_laptop.len(), 2, "throttled once, then taken");
    assert_eq!(to_laptop[0].status, 429);
    assert_eq!(to_laptop[1].status, 201);
    assert_eq!(message_of(&laptop.read(to_laptop[1])).1, first.id);
    app.metric_reaches("parley_pushes_total{outcome=\"removed\"}", 1)
        .await;
    app.metric_reaches("parley_pushes_total{outcome=\"sent\"}", 1)
        .await;

    // The old phone is no longer subscribed: the next message is queued
    // for the laptop alone.
    let queued = app.metric("parley_pushes_queued_total").await;
    harley.says(&chat, "never mind").await;
    assert_eq!(app.metric("parley_pushes_queued_total").await, queued + 1.0);
    let received = service.until_received(4, PUSH_PATIENCE).await;
    assert_eq!(received[3].device, "laptop");
}

#[tokio::test]
async fn signing_out_unsubscribes_that_sessions_device_and_no_other() {
    let app = spawn_app().await;
    let service = PushService::start().await;
    let harley = Person::join(&app, "harley").await;
    let mike = app.signup("mike", "mike password").await;
    let on_laptop = app.login("mike", "mike password").await;
    let phone = Device::new("phone");
    let laptop = Device::new("laptop");
    subscribed(&app, &mike.token, &phone, &service).await;
    subscribed(&app, &on_laptop.token, &laptop, &service).await;
    let chat = create_direct(&harley.socket, "mike").await;

    let logout = app
        .http
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&on_laptop.token)
        .send()
        .await
        .expect("request");
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    harley.says(&chat, "still on your phone?").await;

    assert_eq!(app.metric("parley_pushes_queued_total").await, 1.0);
    let received = service.until_received(1, PUSH_PATIENCE).await;
    assert_eq!(received[0].device, "phone");
}

#[tokio::test]
async fn subscriptions_need_a_session_and_a_public_https_endpoint_and_real_keys() {
    let app = spawn_app().await;
    let service = PushService::start().await;
    let mike = app.signup("mike", "mike password").await;
    let device = Device::new("phone");

    let stranger = app
        .http
        .post(app.url("/api/push/subscriptions"))
        .json(&device.subscription(&service))
        .send()
        .await
        .expect("request");
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);

    for endpoint in [
        "http://push.example.com/x",
        "https://10.1.2.3/x",
        "https://169.254.169.254/latest",
        "https://[fd00::1]/x",
        "not a url",
    ] {
        let mut subscription = device.subscription(&service);
        subscription.endpoint = endpoint.into();
        let answer = app
            .http
            .post(app.url("/api/push/subscriptions"))
            .bearer_auth(&mike.token)
            .json(&subscription)
            .send()
            .await
            .expect("request");
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{endpoint}");
        assert_eq!(
            error_of(answer).await.error.code,
            ErrorCode::InvalidSubscription,
            "{endpoint}"
        );
    }
    let mut bad_keys = device.subscription(&service);
    bad_keys.keys.p256dh = "AAAA".into();
    let answer = app
        .http
        .post(app.url("/api/push/subscriptions"))
        .bearer_auth(&mike.token)
        .json(&bad_keys)
        .send()
        .await
        .expect("request");
    assert_eq!(
        error_of(answer).await.error.code,
        ErrorCode::InvalidSubscription
    );

    // Subscribed, then unsubscribed: nothing is queued for it.
    subscribed(&app, &mike.token, &device, &service).await;
    let gone = app
        .http
        .delete(app.url("/api/push/subscriptions"))
        .bearer_auth(&mike.token)
        .json(&json!({"endpoint": device.endpoint(&service)}))
        .send()
        .await
        .expect("request");
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let harley = Person::join(&app, "harley").await;
    let chat: Chat = create_direct(&harley.socket, "mike").await;
    harley.says(&chat, "hello?").await;
    assert_eq!(app.metric("parley_pushes_queued_total").await, 0.0);
}

/// Two nodes on one database: the message stored on node A is pushed once
/// per device, whichever node sends it.
#[tokio::test]
async fn across_two_nodes_each_message_is_pushed_once_per_device() {
    let Some(nodes) = two_nodes().await else {
        return;
    };
    let service = PushService::start().await;
    let harley = nodes.a.signup("harley", "harley password").await;
    let mike = nodes.b.signup("mike", "mike password").await;
    let phone = Device::new("phone");
    let laptop = Device::new("laptop");
    subscribed(&nodes.b, &mike.token, &phone, &service).await;
    subscribed(&nodes.a, &mike.token, &laptop, &service).await;
    let harley_socket = SocketClient::connect(nodes.a.addr, &harley.token).await;
    let chat = create_direct(&harley_socket, "mike").await;

    let mut sent = Vec::new();
    for n in 0..5 {
        let message = harley_socket
            .emit(&crate::support::chats::send(
                &chat,
                &uuid::Uuid::now_v7().to_string(),
                &format!("message {n}"),
            ))
            .await
            .expect("sent");
        sent.push(message.id);
    }

    let received = service.until_received(10, PUSH_PATIENCE).await;
    // The nodes count a push once its row is settled, just after the service
    // took it: ten in all, whichever node sent which.
    let sent_by_both = || async {
        nodes
            .a
            .metric("parley_pushes_total{outcome=\"sent\"}")
            .await
            + nodes
                .b
                .metric("parley_pushes_total{outcome=\"sent\"}")
                .await
    };
    let deadline = tokio::time::Instant::now() + PUSH_PATIENCE;
    while sent_by_both().await < 10.0 {
        assert!(tokio::time::Instant::now() < deadline, "ten pushes settled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sent_by_both().await, 10.0);
    assert_eq!(service.received().len(), 10, "none twice");
    for (device, name) in [(&phone, "phone"), (&laptop, "laptop")] {
        let mut told: Vec<MessageId> = received
            .iter()
            .filter(|push| push.device == name)
            .map(|push| message_of(&device.read(push)).1)
            .collect();
        told.sort();
        let mut expected = sent.clone();
        expected.sort();
        assert_eq!(told, expected, "each message once on the {name}");
    }
}

/// A node killed outright after storing a message but before its push was
/// taken sends it once it is back: the queue is in the database.
#[tokio::test]
async fn a_push_owed_when_the_node_was_killed_is_sent_after_the_restart_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("parley.db");
    let service = PushService::start().await;
    // The push service fails the first push (it stays queued, to retry).
    service.answer_next("phone", 503, None);
    let node = start_with_loopback_pushes(&db);
    let harley = signup(node.addr, "harley").await;
    let mike = signup(node.addr, "mike").await;
    let phone = Device::new("phone");
    let http = reqwest::Client::new();
    let answer = http
        .post(format!("http://{}/api/push/subscriptions", node.addr))
        .bearer_auth(&mike.token)
        .json(&phone.subscription(&service))
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), StatusCode::CREATED);
    let harley_socket = SocketClient::connect(node.addr, &harley.token).await;
    let chat = create_direct(&harley_socket, "mike").await;
    let message = harley_socket
        .emit(&crate::support::chats::send(&chat, "kill-1", "are you up?"))
        .await
        .expect("stored");
    service.until_received(1, PUSH_PATIENCE).await;
    drop(harley_socket);
    node.kill();

    let node = start_with_loopback_pushes(&db);
    let received = service.until_received(2, PUSH_PATIENCE).await;
    assert_eq!(received[1].status, 201);
    assert_eq!(message_of(&phone.read(&received[1])).1, message.id);
    // A later message is pushed too, and the first never again.
    let harley_socket = SocketClient::connect(node.addr, &harley.token).await;
    let later = harley_socket
        .emit(&crate::support::chats::send(&chat, "kill-2", "hello?"))
        .await
        .expect("stored");
    let received = service.until_received(3, PUSH_PATIENCE).await;
    assert_eq!(message_of(&phone.read(&received[2])).1, later.id);
    let first_accepted = received
        .iter()
        .filter(|push| push.status == 201 && message_of(&phone.read(push)).1 == message.id)
        .count();
    assert_eq!(first_accepted, 1);
    node.terminate();
}

fn start_with_loopback_pushes(db: &std::path::Path) -> Process {
    Process::start_with(db, &[("PARLEY_PUSH_ALLOW_HTTP_LOOPBACK", "true")])
}
