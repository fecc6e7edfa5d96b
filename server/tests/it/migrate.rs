//! `parley migrate`: a grown SQLite instance onto PostgreSQL and its uploads
//! into a bucket, judged by what people see: every read answers the same
//! before and after, on either of two nodes, and the chats go on.

use crate::{
    attachments::{png, upload_to, uploaded},
    support::app::{TestApp, spawn_app, spawn_app_with},
    support::chats::{create_direct, create_group},
    support::people::Person,
    support::process::run_parley,
    support::services::{Postgres, RedisServer, S3Server},
    support::socket_client::SocketClient,
};
use app::{
    media::Attachment,
    model::{Chat, Message, Role},
    protocol::{
        BlockUser, DeleteMessage, EditMessage, MarkSeen, NewMessage, React, SendMessage, SetRole,
        UpdateChatPrefs, UpdateSettings,
    },
};
use serde_json::{Value, json};
use std::net::SocketAddr;
use uuid::Uuid;

#[tokio::test]
async fn a_grown_instance_moves_to_postgres_and_s3_and_answers_the_same_on_two_nodes() {
    let (Some(postgres), Some(s3), Some(redis)) =
        (Postgres::start(), S3Server::start(), RedisServer::start())
    else {
        return;
    };
    let app = spawn_app().await;
    let instance = grow(&app).await;
    let before = reads(app.addr, &instance).await;
    reads_are_answers(&before);
    let sqlite = app.stop().await;

    let target = postgres.new_database().await;
    let mut env = s3.env();
    env.push((
        "DATABASE_URL",
        format!(
            "sqlite://{}?mode=rwc",
            sqlite.path().join("parley.db").display()
        ),
    ));
    let media_to = format!("s3://{}", S3Server::BUCKET);
    let args = ["migrate", "--to", target.as_str(), "--media-to", &media_to];
    let (migrated, said) = run_parley(&args, &env, "").await;
    assert!(migrated, "parley migrate failed:\n{said}");
    assert!(said.contains("messages/s"), "it says how fast:\n{said}");
    // A second run finds the target taken and leaves it alone.
    let (again, refusal) = run_parley(&args, &env, "").await;
    assert!(
        !again,
        "a second migration into the same database is refused"
    );
    assert!(refusal.contains("empty"), "{refusal}");

    // Two nodes on PostgreSQL, Redis and the bucket.
    let node = || {
        let (target, redis_url) = (target.clone(), redis.url());
        let s3 = &s3;
        async move {
            spawn_app_with(tempfile::tempdir().expect("temp dir"), move |settings| {
                settings.database_url = target;
                settings.redis_url = Some(redis_url);
                s3.configure(settings);
            })
            .await
        }
    };
    let (a, b) = tokio::join!(node(), node());
    // Everyone is still signed in (sessions came along) and sees the same.
    assert_eq!(reads(a.addr, &instance).await, before, "node A reads");
    assert_eq!(reads(b.addr, &instance).await, before, "node B reads");

    // The chats go on: the next message takes the next seq, and reaches
    // someone on the other node live.
    let harley = SocketClient::connect(a.addr, &instance.tokens[0].1).await;
    let mike = SocketClient::connect(b.addr, &instance.tokens[1].1).await;
    let next: Message = harley
        .emit(&SendMessage::new(
            instance.group.id,
            Uuid::now_v7().to_string(),
            "we moved",
        ))
        .await
        .expect("sent on PostgreSQL");
    assert_eq!(
        next.seq,
        instance.group_seq + 1,
        "the group's seq goes on without a gap"
    );
    let NewMessage(heard) = mike
        .next_where(|NewMessage(m): &NewMessage| m.id == next.id)
        .await;
    assert_eq!(heard.body, "we moved");
}

/// What the instance holds that the reads look at.
struct Instance {
    /// (username, session token), Harley first, Mike second.
    tokens: Vec<(String, String)>,
    chats: Vec<Chat>,
    group: Chat,
    /// The group's last seq before the move.
    group_seq: i64,
    attachments: Vec<Attachment>,
}

/// A SQLite instance with every kind of record: a direct chat and a group
/// with roles and system lines, replies, edits, deletes, reactions,
/// mentions, an upload, receipts at several watermarks, privacy settings, a
/// block, pinned, muted and archived chats, an invitation and the audit trail.
async fn grow(app: &TestApp) -> Instance {
    let harley = Person::join(app, "harley").await; // the instance's admin
    let mike = Person::join(app, "mike").await;
    let sara = Person::join(app, "sara").await;
    let tom = Person::join(app, "tom").await;
    let direct = create_direct(&harley.socket, "mike").await;
    let group = create_group(&harley.socket, "Trip", &["mike", "sara"]).await;
    let toms = create_direct(&tom.socket, "sara").await;
    harley
        .socket
        .emit(&SetRole {
            chat_id: group.id,
            user_id: mike.id(),
            role: Role::Admin,
        })
        .await
        .expect("mike is made an admin");

    let hello = harley.says(&direct, "hello mike, the zebra crossing").await;
    let reply = mike
        .socket
        .emit(&SendMessage {
            reply_to_id: Some(hello.id),
            ..SendMessage::new(direct.id, "m-1", "which zebra?")
        })
        .await
        .expect("reply");
    harley
        .socket
        .emit(&EditMessage {
            chat_id: direct.id,
            message_id: hello.id,
            body: "hello mike, the zebra crossing at noon".into(),
        })
        .await
        .expect("edited");
    let oops = mike.says(&direct, "oops, wrong chat").await;
    mike.socket
        .emit(&DeleteMessage {
            chat_id: direct.id,
            message_id: oops.id,
        })
        .await
        .expect("deleted");
    let plan = harley.says(&group, "@sara the zebra plan is ready").await;
    sara.socket
        .emit(&React {
            chat_id: group.id,
            message_id: plan.id,
            emoji: "👍".into(),
            on: true,
        })
        .await
        .expect("reacted");
    let photo = uploaded(
        upload_to(
            app.addr,
            &harley.auth.token,
            &group,
            "map.png",
            "image/png",
            png(64, 48),
        )
        .await,
    )
    .await;
    let with_photo = harley
        .socket
        .emit(&SendMessage {
            attachment_ids: vec![photo.id],
            ..SendMessage::new(group.id, "h-photo", "the map")
        })
        .await
        .expect("photo sent");
    for n in 0..5 {
        mike.says(&group, &format!("group line {n}")).await;
    }
    tom.says(&toms, "hi sara").await;

    // Receipts at several watermarks: Mike has seen the direct chat up to
    // the reply, Sara the group up to the photo; Harley has seen nothing since.
    mike.socket
        .emit(&MarkSeen {
            chat_id: direct.id,
            seq: reply.seq,
        })
        .await
        .expect("seen");
    sara.socket
        .emit(&MarkSeen {
            chat_id: group.id,
            seq: with_photo.seq,
        })
        .await
        .expect("seen");
    sara.socket
        .emit(&UpdateSettings {
            read_receipts: Some(false),
            ..UpdateSettings::default()
        })
        .await
        .expect("privacy");
    sara.socket
        .emit(&BlockUser {
            user_id: tom.id(),
            blocked: true,
        })
        .await
        .expect("blocked");
    let prefs = |chat: &Chat, muted, pinned, archived| UpdateChatPrefs {
        muted,
        pinned,
        archived,
        ..UpdateChatPrefs::of(chat.id)
    };
    harley
        .socket
        .emit(&prefs(&group, None, Some(true), None))
        .await
        .expect("pinned");
    mike.socket
        .emit(&prefs(&group, Some(true), None, None))
        .await
        .expect("muted");
    sara.socket
        .emit(&prefs(&toms, None, None, Some(true)))
        .await
        .expect("archived");
    let invitation = reqwest::Client::new()
        .post(app.url("/api/admin/invitations"))
        .bearer_auth(&harley.auth.token)
        .json(&json!({"maxUses": 3}))
        .send()
        .await
        .expect("request");
    assert!(invitation.status().is_success(), "an invitation");

    let group_seq = harley
        .socket
        .emit_raw("history", json!({"chatId": group.id, "limit": 1}))
        .await["ok"][0]["seq"]
        .as_i64()
        .expect("the group's last seq");
    let tokens = [&harley, &mike, &sara, &tom]
        .iter()
        .map(|person| (person.auth.user.username.clone(), person.auth.token.clone()))
        .collect();
    Instance {
        tokens,
        chats: vec![direct, group.clone(), toms],
        group,
        group_seq,
        attachments: vec![photo],
    }
}

/// Everything each person can read, as JSON: their chat list (unread and
/// mention counts, pins, mutes, archives, blocks), every chat's history
/// (statuses from the watermarks, edits, deletes, reactions, replies),
/// what changed since the start, a search, their settings, the admin's
/// view, and the uploads' bytes.
async fn reads(addr: SocketAddr, instance: &Instance) -> Value {
    let mut seen = serde_json::Map::new();
    for (name, token) in &instance.tokens {
        let socket = SocketClient::connect(addr, token).await;
        let mut mine = serde_json::Map::new();
        mine.insert(
            "chats".into(),
            socket.emit_raw("listChats", json!({})).await,
        );
        for chat in &instance.chats {
            let id = chat.id.to_string();
            let history = socket
                .emit_raw("history", json!({"chatId": id, "limit": 100}))
                .await;
            let older = socket
                .emit_raw("history", json!({"chatId": id, "beforeSeq": 4, "limit": 2}))
                .await;
            let changed = socket
                .emit_raw("history", json!({"chatId": id, "changedAfter": 0}))
                .await;
            mine.insert(format!("{id} history"), history);
            mine.insert(format!("{id} older"), older);
            mine.insert(format!("{id} changed"), changed);
        }
        mine.insert(
            "search".into(),
            socket.emit_raw("search", json!({"query": "zebra"})).await,
        );
        mine.insert(
            "settings".into(),
            socket.emit_raw("getSettings", json!({})).await,
        );
        for upload in &instance.attachments {
            for url in std::iter::once(&upload.url).chain(&upload.thumbnail_url) {
                let response = reqwest::Client::new()
                    .get(format!("http://{addr}{url}"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .expect("request");
                let status = response.status().as_u16();
                let bytes = response.bytes().await.expect("bytes");
                mine.insert(
                    url.clone(),
                    json!({"status": status, "bytes": bytes.to_vec()}),
                );
            }
        }
        let admin = reqwest::Client::new()
            .get(format!("http://{addr}/api/admin/audit"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = admin.status().as_u16();
        let audit: Value = admin.json().await.unwrap_or(Value::Null);
        mine.insert("audit".into(), json!({"status": status, "page": audit}));
        socket.disconnect().await;
        seen.insert(name.clone(), Value::Object(mine));
    }
    comparable(Value::Object(seen))
}

/// The reads are answers, not refusals that would compare equal anyway.
fn reads_are_answers(reads: &Value) {
    let chats = |name: &str| {
        reads[name]["chats"]["ok"]["chats"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(chats("harley").len(), 2, "{}", reads["harley"]["chats"]);
    assert!(
        chats("harley")
            .iter()
            .any(|chat| chat["unreadCount"].as_u64() > Some(0)),
        "Harley has unread messages"
    );
    assert!(chats("mike").iter().any(|chat| chat["muted"] == true));
    assert!(chats("sara").iter().any(|chat| chat["archived"] == true));
    assert!(chats("harley").iter().any(|chat| chat["pinned"] == true));
    let hits = reads["harley"]["search"]["ok"]["results"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(hits >= 2, "zebra is found: {}", reads["harley"]["search"]);
    assert_eq!(reads["sara"]["settings"]["ok"]["readReceipts"], false);
    assert_eq!(reads["harley"]["audit"]["status"], 200);
    assert_eq!(reads["mike"]["audit"]["status"], 403);
    let harley = reads["harley"].as_object().expect("harley's reads");
    let uploads: Vec<&Value> = harley
        .iter()
        .filter(|(key, _)| key.starts_with("/api/"))
        .map(|(_, read)| read)
        .collect();
    assert!(!uploads.is_empty() && uploads.iter().all(|read| read["status"] == 200));
    // Harley's two chats, full; Tom and Sara's direct chat is not his.
    let histories: Vec<&Value> = harley
        .iter()
        .filter(|(key, _)| key.ends_with(" history"))
        .map(|(_, history)| history)
        .collect();
    let full = |history: &&&Value| history["ok"].as_array().is_some_and(|m| !m.is_empty());
    assert_eq!(histories.iter().filter(full).count(), 2, "{histories:?}");
    assert!(
        histories
            .iter()
            .any(|history| history["error"]["code"] == "not_member")
    );
}

/// Presence left out (who is online is now, not data), and times to the
/// microsecond: PostgreSQL keeps microseconds, SQLite the nanoseconds the
/// clock gave, a difference nobody can see.
fn comparable(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(key, _)| !matches!(key.as_str(), "online" | "lastSeenAt"))
                .map(|(key, value)| (key, comparable(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(comparable).collect()),
        Value::String(text) => match chrono::DateTime::parse_from_rfc3339(&text) {
            Ok(at) => Value::String(
                at.to_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
            Err(_) => Value::String(text),
        },
        other => other,
    }
}
