//! The write path under load: messages arriving together are committed
//! together (group commit), and still every one gets a gap-free seq of its
//! own, a resend is stored once, one bad message does not sink the others, a
//! database outage answers each message with an error, and a crash loses
//! nothing that was acknowledged.

use crate::{
    store::{seq_of, user},
    support::{
        chats::{create_direct, send},
        process::{Process, login, signup},
        services::Postgres,
        socket_client::SocketClient,
    },
};
use app::{
    model::{Body, ChatId, ClientId, GroupName, UserId},
    protocol::History,
};
use futures::future::join_all;
use parley_server::store::{
    AppendMessage, Appended, Change, ChatRecord, Store, StoreError, StoredMessage,
};
use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

async fn append(
    store: &Store,
    chat: ChatId,
    sender: UserId,
    client_id: &str,
) -> Result<Appended, StoreError> {
    let client_id = ClientId::parse(client_id).expect("a client id");
    let body = Body::parse(&format!("body of {}", client_id.as_str())).expect("a body");
    store
        .append_message(AppendMessage {
            chat_id: chat,
            sender_id: sender,
            client_id: &client_id,
            body: &body,
            reply_to_id: None,
            mentions: &[],
            attachment_ids: &[],
            seen_by: &[],
            delivered_to: &[],
            push_to: &[],
        })
        .await
}

/// A SQLite file in a temp dir: its URL, and the dir that holds it.
fn sqlite_file() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
    (url, dir)
}

async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let (url, dir) = sqlite_file();
    (Store::connect(&url).await.expect("sqlite store"), dir)
}

/// Ann and Bob, and their direct chat.
async fn ann_and_bob(store: &Store) -> (UserId, UserId, ChatRecord) {
    let ann = user(store, "ann").await;
    let bob = user(store, "bob").await;
    let (chat, _) = store.direct_chat(ann, bob).await.unwrap();
    (ann, bob, chat)
}

#[tokio::test]
async fn concurrent_senders_get_consecutive_seqs_on_sqlite() {
    let (store, _dir) = sqlite_store().await;
    many_senders_at_once(store).await;
}

#[tokio::test]
async fn concurrent_senders_get_consecutive_seqs_on_postgres() {
    let Some(postgres) = Postgres::start() else {
        return;
    };
    let store = Store::connect(&postgres.new_database().await)
        .await
        .expect("postgres store");
    many_senders_at_once(store).await;
}

/// Five members of a group and a second chat, all sending at once, with every
/// message sent twice (a resend racing its original): each chat's seqs are
/// 1..=n with no gap or repeat, and each resend answers with its original.
async fn many_senders_at_once(store: Store) {
    let mut members = Vec::new();
    for name in ["ann", "bob", "cat", "dan", "eve"] {
        members.push(user(&store, name).await);
    }
    let group = store
        .create_group(&GroupName::parse("Five").unwrap(), &members)
        .await
        .unwrap()
        .id;
    let (pair, _) = store.direct_chat(members[0], members[1]).await.unwrap();
    let mut sends = Vec::new();
    for (n, &sender) in members.iter().enumerate() {
        for k in 0..40 {
            for _copy in 0..2 {
                sends.push((group, sender, format!("g-{n}-{k}")));
            }
        }
    }
    for k in 0..30 {
        sends.push((pair.id, members[k % 2], format!("p-{k}")));
    }
    let outcomes = join_all(sends.iter().map(|(chat, sender, client_id)| {
        let store = store.clone();
        async move {
            let appended = append(&store, *chat, *sender, client_id)
                .await
                .expect("stored");
            (*chat, client_id.clone(), appended)
        }
    }))
    .await;

    let mut by_client: HashMap<String, StoredMessage> = HashMap::new();
    let mut seqs: HashMap<ChatId, Vec<i64>> = HashMap::new();
    for (chat, client_id, appended) in &outcomes {
        let message = match appended {
            Appended::New(arrival) => {
                seqs.entry(*chat).or_default().push(arrival.message.seq);
                &arrival.message
            }
            Appended::Existing(message) => message,
        };
        let first = by_client
            .entry(client_id.clone())
            .or_insert_with(|| message.clone());
        assert_eq!(first, message, "{client_id}: a resend is its original");
    }
    // What each sender was answered is what anyone reads back afterwards,
    // to the nanosecond of its time.
    for (chat, client_id, _) in &outcomes {
        let answered = &by_client[client_id];
        let read = store.message(*chat, answered.id).await.unwrap();
        assert_eq!(read.as_ref(), Some(answered), "{client_id} as stored");
    }
    for (chat, expected) in [(group, 200), (pair.id, 30)] {
        let mut got = seqs.remove(&chat).unwrap_or_default();
        got.sort();
        assert_eq!(
            got,
            (1..=expected).collect::<Vec<_>>(),
            "one seq each, no gaps"
        );
        assert_eq!(
            store.chat(chat).await.unwrap().map(|c| c.last_seq),
            Some(expected)
        );
    }
    // Every sender's own watermark reached their last message.
    let receipts = store.receipts(group).await.unwrap().receipts;
    for member in &members {
        let last_own = outcomes
            .iter()
            .filter(|(chat, _, appended)| {
                *chat == group
                    && matches!(appended, Appended::New(a) if a.message.sender_id == *member)
            })
            .map(|(_, _, appended)| seq_of(appended))
            .max()
            .unwrap();
        let receipt = receipts.iter().find(|r| r.user_id == *member).unwrap();
        assert!(receipt.seen_seq >= last_own && receipt.delivered_seq >= last_own);
    }
}

#[tokio::test]
async fn a_bad_message_in_a_batch_fails_alone() {
    let (store, _dir) = sqlite_store().await;
    let (ann, _bob, chat) = ann_and_bob(&store).await;
    let nowhere = ChatId(uuid::Uuid::now_v7());
    let outcomes = join_all((0..40).map(|k| {
        let store = store.clone();
        let target = if k % 10 == 3 { nowhere } else { chat.id };
        async move { (target, append(&store, target, ann, &format!("c-{k}")).await) }
    }))
    .await;
    let mut seqs = Vec::new();
    for (target, outcome) in outcomes {
        if target == nowhere {
            assert!(outcome.is_err(), "a message to no chat is refused");
        } else {
            seqs.push(seq_of(&outcome.expect("the others are stored")));
        }
    }
    seqs.sort();
    assert_eq!(seqs, (1..=36).collect::<Vec<_>>());
}

/// New messages have a connection of their own on SQLite; edits and
/// reactions go through the pool's. Racing each other on one chat, every one
/// of them lands, and the chat's seqs and versions stay one each.
#[tokio::test]
async fn edits_and_reactions_racing_new_messages_all_land_on_sqlite() {
    let (store, _dir) = sqlite_store().await;
    let (ann, bob, chat) = ann_and_bob(&store).await;
    let first = match append(&store, chat.id, ann, "first").await.unwrap() {
        Appended::New(arrival) => arrival.message,
        Appended::Existing(_) => panic!("a new message"),
    };
    let emoji = app::model::Emoji::parse("👍").unwrap();
    let bodies: Vec<Body> = (0..30)
        .map(|k| Body::parse(&format!("edit {k}")).unwrap())
        .collect();
    let sends = (0..120).map(|k| {
        let store = store.clone();
        let sender = if k % 2 == 0 { ann } else { bob };
        async move {
            append(&store, chat.id, sender, &format!("m-{k}"))
                .await
                .map(|a| seq_of(&a))
        }
    });
    let edits = bodies
        .iter()
        .map(|body| store.change_message(chat.id, first.id, ann, 1, Change::Edit(body, &[])));
    let reactions = (0..30).map(|k| {
        let change = Change::React {
            emoji: &emoji,
            on: k % 2 == 0,
        };
        store.change_message(chat.id, first.id, bob, 1, change)
    });
    let (sent, edited, reacted) =
        tokio::join!(join_all(sends), join_all(edits), join_all(reactions));

    let mut seqs: Vec<i64> = sent.into_iter().map(|s| s.expect("stored")).collect();
    seqs.sort();
    assert_eq!(seqs, (2..=121).collect::<Vec<_>>(), "one seq each, no gaps");
    let mut versions = HashSet::new();
    let mut last_edit = (0, String::new());
    for (k, changed) in edited.into_iter().chain(reacted).enumerate() {
        let changed = changed.expect("changed");
        if changed.changed {
            assert!(versions.insert(changed.message.version), "one version each");
        }
        if k < bodies.len() {
            last_edit = last_edit.max((changed.message.version, changed.message.body));
        }
    }
    let after = store.message(chat.id, first.id).await.unwrap().unwrap();
    assert_eq!(after.body, last_edit.1, "the last edit stands");
    let chat_now = store.chat(chat.id).await.unwrap().unwrap();
    assert_eq!(chat_now.last_seq, 121);
}

/// Another connection holding SQLite's write lock past the busy timeout is
/// the database away for the writer: every message of the batch is answered
/// `unavailable`, and once the lock is gone their resends are stored once,
/// after the one acknowledged before.
#[tokio::test]
async fn a_locked_database_answers_each_message_and_loses_nothing_acked() {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let (url, _dir) = sqlite_file();
    let store = Store::connect(&url).await.expect("sqlite store");
    let (ann, _bob, chat) = ann_and_bob(&store).await;
    assert_eq!(
        seq_of(&append(&store, chat.id, ann, "before").await.unwrap()),
        1
    );

    let other = sea_orm::Database::connect(&url).await.unwrap();
    let write_lock = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    let lock = other.begin_with_options(write_lock).await.unwrap();
    let refused = join_all((0..10).map(|k| {
        let store = &store;
        async move { append(store, chat.id, ann, &format!("during-{k}")).await }
    }))
    .await;
    for outcome in &refused {
        assert!(
            matches!(outcome, Err(StoreError::Unavailable(_))),
            "{outcome:?}"
        );
    }
    lock.rollback().await.unwrap();

    let mut seqs = Vec::new();
    for k in 0..10 {
        let outcome = append(&store, chat.id, ann, &format!("during-{k}")).await;
        let Ok(Appended::New(arrival)) = outcome else {
            panic!("stored now, as new: {outcome:?}");
        };
        seqs.push(arrival.message.seq);
    }
    assert_eq!(seqs, (2..=11).collect::<Vec<_>>());
    let again = append(&store, chat.id, ann, "before").await.unwrap();
    assert!(matches!(again, Appended::Existing(m) if m.seq == 1));
}

#[tokio::test]
async fn a_database_outage_mid_load_answers_each_message_and_loses_nothing_acked() {
    let Some(mut postgres) = Postgres::start() else {
        return;
    };
    let store = Store::connect(&postgres.new_database().await)
        .await
        .expect("postgres store");
    let (ann, _bob, chat) = ann_and_bob(&store).await;
    let acked: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let (outage_tx, outage_rx) = tokio::sync::oneshot::channel::<()>();
    let outage_tx = Arc::new(Mutex::new(Some(outage_tx)));

    // Ten senders, each sending one message after another until one fails;
    // the database goes away once 50 are acknowledged.
    let senders = (0..10).map(|s| {
        let (store, acked, outage_tx) = (store.clone(), acked.clone(), outage_tx.clone());
        tokio::spawn(async move {
            for k in 0.. {
                let client_id = format!("s{s}-{k}");
                match append(&store, chat.id, ann, &client_id).await {
                    Ok(appended) => {
                        let mut acked = acked.lock().unwrap();
                        acked.insert(client_id, seq_of(&appended));
                        if acked.len() >= 50
                            && let Some(tx) = outage_tx.lock().unwrap().take()
                        {
                            let _ = tx.send(());
                        }
                    }
                    Err(error) => {
                        assert!(
                            matches!(error, StoreError::Unavailable(_) | StoreError::Database(_)),
                            "{error}"
                        );
                        return k; // this one's fate is unknown to its sender
                    }
                }
            }
            unreachable!()
        })
    });
    let senders: Vec<_> = senders.collect();
    outage_rx.await.expect("50 acknowledged");
    postgres.stop();
    let stopped_at: Vec<u64> = join_all(senders)
        .await
        .into_iter()
        .map(|k| k.expect("sender task"))
        .collect();
    postgres.start_again();

    // Back: every sender resends the one that failed, as a client's outbox does.
    let acked = acked.lock().unwrap().clone();
    for (s, k) in stopped_at.iter().enumerate() {
        let client_id = format!("s{s}-{k}");
        let mut outcome = append(&store, chat.id, ann, &client_id).await;
        for _ in 0..50 {
            if outcome.is_ok() {
                break;
            }
            // The pool reconnects by itself; the outbox retries.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            outcome = append(&store, chat.id, ann, &client_id).await;
        }
        outcome.expect("stored once the database is back");
    }
    let stored = store
        .messages(
            chat.id,
            parley_server::store::Page::After {
                after: 0,
                before: None,
            },
            1000,
            0,
        )
        .await
        .unwrap();
    let seqs: Vec<i64> = stored.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=stored.len() as i64).collect::<Vec<_>>(),
        "no gaps"
    );
    let client_ids: HashSet<&str> = stored.iter().map(|m| m.client_id.as_str()).collect();
    assert_eq!(client_ids.len(), stored.len(), "nothing twice");
    for (client_id, seq) in &acked {
        let kept = stored.iter().find(|m| &m.client_id == client_id);
        assert_eq!(
            kept.map(|m| m.seq),
            Some(*seq),
            "{client_id} was acknowledged"
        );
    }
    assert_eq!(stored.len(), acked.len() + stopped_at.len());
}

#[tokio::test]
async fn a_crash_mid_load_loses_nothing_acknowledged_and_resends_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let server = Process::start(&db);
    let ann = signup(server.addr, "ann").await;
    let bob = signup(server.addr, "bob").await;
    let setup = SocketClient::connect(server.addr, &ann.token).await;
    let chat = create_direct(&setup, "bob").await;

    // Eight sockets send as fast as their acks come back.
    let acked: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let (crash_tx, crash_rx) = tokio::sync::oneshot::channel::<()>();
    let crash_tx = Arc::new(Mutex::new(Some(crash_tx)));
    let mut senders = Vec::new();
    for s in 0..8 {
        let token = if s % 2 == 0 { &ann.token } else { &bob.token };
        let socket = SocketClient::connect(server.addr, token).await;
        let (chat, acked, crash_tx) = (chat.clone(), acked.clone(), crash_tx.clone());
        senders.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            for k in 0..1000 {
                let client_id = format!("s{s}-{k}");
                sent.push(client_id.clone());
                let ack = socket.try_emit(&send(&chat, &client_id, &client_id)).await;
                match ack {
                    Some(Ok(message)) => {
                        let mut acked = acked.lock().unwrap();
                        acked.insert(client_id, message.seq);
                        if acked.len() >= 200
                            && let Some(tx) = crash_tx.lock().unwrap().take()
                        {
                            let _ = tx.send(());
                        }
                    }
                    // The server is gone: what was sent and not acked is in flight.
                    _ => break,
                }
            }
            sent
        }));
    }
    crash_rx.await.expect("200 acknowledged");
    server.kill();
    let sent: Vec<Vec<String>> = join_all(senders)
        .await
        .into_iter()
        .map(|sent| sent.expect("sender"))
        .collect();
    let acked = acked.lock().unwrap().clone();

    // Restarted on the same file: resend everything that was sent (acked or
    // not), as outboxes do.
    let server = Process::start(&db);
    let ann_socket = SocketClient::connect(server.addr, &login(server.addr, "ann").await).await;
    let bob_socket = SocketClient::connect(server.addr, &login(server.addr, "bob").await).await;
    for (s, client_ids) in sent.iter().enumerate() {
        let socket = if s % 2 == 0 { &ann_socket } else { &bob_socket };
        for client_id in client_ids {
            let message = socket
                .emit(&send(&chat, client_id, client_id))
                .await
                .expect("stored or already there");
            if let Some(seq) = acked.get(client_id) {
                assert_eq!(message.seq, *seq, "{client_id} kept its seq");
            }
        }
    }
    let mut stored = Vec::new();
    let mut after = 0;
    loop {
        let page = ann_socket
            .emit(&History {
                after_seq: Some(after),
                limit: Some(History::MAX_LIMIT),
                ..History::latest(chat.id)
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        stored.extend(page);
    }
    let total: usize = sent.iter().map(Vec::len).sum();
    assert_eq!(stored.len(), total, "every message once");
    let seqs: Vec<i64> = stored.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=total as i64).collect::<Vec<_>>());
    let unique: HashSet<&str> = stored.iter().map(|m| m.client_id.as_str()).collect();
    assert_eq!(unique.len(), total, "none twice");
    server.kill();
}
