//! The store's contract, run against SQLite and against PostgreSQL.

use crate::support::services::Postgres;
use app::{
    model::{Body, ClientId, DisplayName, GroupName, UserId, Username},
    protocol::ReceiptKind,
};
use chrono::{Duration, Utc};
use futures::future::join_all;
use parley_server::store::{
    AppendMessage, Appended, NewSession, NewUser, Page, Store, StoreError, Unread,
};

#[tokio::test]
async fn the_store_contract_holds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("store.db").display()
    );
    store_contract(Store::connect(&url).await.expect("sqlite store")).await;
}

#[tokio::test]
async fn the_store_contract_holds_on_postgres() {
    let Some(postgres) = Postgres::start() else {
        return;
    };
    let url = postgres.new_database().await;
    store_contract(Store::connect(&url).await.expect("postgres store")).await;
}

pub(crate) async fn user(store: &Store, name: &str) -> UserId {
    let username = Username::parse(name).unwrap();
    let display_name = DisplayName::from_username(&username);
    let new = NewUser {
        username: &username,
        display_name: &display_name,
        password_hash: "hash".into(),
        admin: false,
    };
    store.create_user(new).await.expect("user created").id
}

async fn append(
    store: &Store,
    chat: app::model::ChatId,
    sender: UserId,
    client_id: &str,
) -> Appended {
    append_landing(store, chat, sender, client_id, &[], &[]).await
}

/// Appends a message that others have seen (`seen_by`) or got (`delivered_to`).
async fn append_landing(
    store: &Store,
    chat: app::model::ChatId,
    sender: UserId,
    client_id: &str,
    seen_by: &[UserId],
    delivered_to: &[UserId],
) -> Appended {
    let client_id = ClientId::parse(client_id).unwrap();
    let body = Body::parse(&format!("message {}", client_id.as_str())).unwrap();
    let new = AppendMessage {
        chat_id: chat,
        sender_id: sender,
        client_id: &client_id,
        body: &body,
        reply_to_id: None,
        mentions: &[],
        attachment_ids: &[],
        seen_by,
        delivered_to,
        push_to: &[],
    };
    store.append_message(new).await.expect("appended")
}

/// The user's chats as their list orders them.
async fn chat_order(store: &Store, user: UserId) -> Vec<app::model::ChatId> {
    store
        .chat_page(user, None, 100)
        .await
        .unwrap()
        .0
        .iter()
        .map(|(chat, _)| chat.id)
        .collect()
}

pub(crate) fn seq_of(appended: &Appended) -> i64 {
    match appended {
        Appended::New(arrival) => arrival.message.seq,
        Appended::Existing(message) => message.seq,
    }
}

async fn store_contract(store: Store) {
    // Accounts: usernames are unique.
    let harley = user(&store, "harley").await;
    let mike = user(&store, "mike").await;
    let sara = user(&store, "sara").await;
    let taken = Username::parse("harley").unwrap();
    let name = DisplayName::from_username(&taken);
    let again = store
        .create_user(NewUser {
            username: &taken,
            display_name: &name,
            password_hash: "x".into(),
            admin: false,
        })
        .await;
    assert!(matches!(again, Err(StoreError::Conflict)));
    admin_contract(&store, harley, mike).await;
    assert_eq!(
        store
            .find_user_by_username(&taken)
            .await
            .unwrap()
            .map(|u| u.user.id),
        Some(harley)
    );

    // Sessions: found while live, gone when expired or deleted.
    let now = Utc::now();
    store
        .create_session(NewSession {
            token_hash: "live",
            user_id: mike,
            expires_at: now + Duration::days(1),
        })
        .await
        .unwrap();
    store
        .create_session(NewSession {
            token_hash: "old",
            user_id: mike,
            expires_at: now - Duration::seconds(1),
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .find_session("live", now)
            .await
            .unwrap()
            .map(|session| session.user.id),
        Some(mike)
    );
    assert!(store.find_session("old", now).await.unwrap().is_none());
    store.delete_session("live").await.unwrap();
    assert!(store.find_session("live", now).await.unwrap().is_none());
    // Sweeping deletes the expired ones, and only those.
    store
        .create_session(NewSession {
            token_hash: "fresh",
            user_id: mike,
            expires_at: now + Duration::days(1),
        })
        .await
        .unwrap();
    assert_eq!(store.sweep_expired_sessions(now).await.unwrap(), 1);
    assert_eq!(store.sweep_expired_sessions(now).await.unwrap(), 0);
    assert!(store.find_session("fresh", now).await.unwrap().is_some());
    // Ending every other session keeps the one asked for.
    let ended = store.delete_sessions_of(mike, Some("fresh")).await.unwrap();
    assert!(ended.is_empty());
    assert_eq!(
        store.delete_sessions_of(mike, None).await.unwrap(),
        ["fresh"]
    );

    // Attempts: counted per key, refused while blocked, forgotten on request.
    // (Whole seconds: PostgreSQL keeps microseconds, not nanoseconds.)
    let now = chrono::SubsecRound::trunc_subsecs(now, 0);
    let rule = parley_server::store::Rule {
        free_attempts: 1,
        window: std::time::Duration::from_secs(60),
        first_block: std::time::Duration::from_secs(30),
        max_block: std::time::Duration::from_secs(60),
    };
    store.count_attempt("k", &rule, now).await.unwrap();
    assert_eq!(store.blocked_for(&["k", "other"], now).await.unwrap(), None);
    let blocked = store.count_attempt("k", &rule, now).await.unwrap();
    assert_eq!(blocked.attempts, 2);
    assert_eq!(
        store.blocked_for(&["other", "k"], now).await.unwrap(),
        Some(std::time::Duration::from_secs(30))
    );
    store.forget_attempts("k").await.unwrap();
    assert_eq!(store.blocked_for(&["k"], now).await.unwrap(), None);

    // A direct chat exists once, whoever starts it.
    let (chat, created) = store.direct_chat(harley, mike).await.unwrap();
    let (same, created_again) = store.direct_chat(mike, harley).await.unwrap();
    assert!(created && !created_again);
    assert_eq!(same.id, chat.id);

    // Messages get gap-free seqs, even when sent at once; a resend is the original.
    let first = append(&store, chat.id, harley, "c-1").await;
    assert!(matches!(first, Appended::New(ref a) if a.message.seq == 1));
    let resend = append(&store, chat.id, harley, "c-1").await;
    assert!(matches!(resend, Appended::Existing(ref m) if m.seq == 1));
    let burst = join_all((2..=21).map(|n| {
        let store = store.clone();
        async move { seq_of(&append(&store, chat.id, mike, &format!("m-{n}")).await) }
    }))
    .await;
    let mut seqs = burst;
    seqs.sort();
    assert_eq!(seqs, (2..=21).collect::<Vec<_>>());
    assert_eq!(
        store.chat(chat.id).await.unwrap().map(|c| c.last_seq),
        Some(21)
    );

    // Sending moves the sender's own watermarks.
    let mike_receipt = store
        .membership(chat.id, mike)
        .await
        .unwrap()
        .expect("member")
        .receipt;
    assert_eq!(mike_receipt.seen_seq, mike_receipt.delivered_seq);
    assert!(mike_receipt.seen_seq >= 2);

    // Watermarks only move forward; seen carries delivered along.
    let harley_receipt = store
        .membership(chat.id, harley)
        .await
        .unwrap()
        .unwrap()
        .receipt;
    assert_eq!(
        (harley_receipt.delivered_seq, harley_receipt.seen_seq),
        (1, 1)
    );
    let moved = store
        .advance_receipt(chat.id, harley, ReceiptKind::Delivered, 10)
        .await
        .unwrap();
    assert_eq!(moved, Some(ReceiptKind::Delivered));
    assert!(
        store
            .advance_receipt(chat.id, harley, ReceiptKind::Delivered, 10)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .advance_receipt(chat.id, harley, ReceiptKind::Delivered, 5)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .advance_receipt(chat.id, harley, ReceiptKind::Seen, 4)
            .await
            .unwrap(),
        Some(ReceiptKind::Seen)
    );
    let harley_receipt = store
        .membership(chat.id, harley)
        .await
        .unwrap()
        .unwrap()
        .receipt;
    assert_eq!(
        (harley_receipt.delivered_seq, harley_receipt.seen_seq),
        (10, 4)
    );
    let unread = |through| Unread {
        seen_seq: 4,
        through,
    };
    assert_eq!(
        store
            .unread_counts(harley, &[(chat.id, unread(21))])
            .await
            .unwrap()[&chat.id],
        17
    );
    // Counted only through the given message: one stored later is not in it.
    assert_eq!(
        store
            .unread_counts(harley, &[(chat.id, unread(10))])
            .await
            .unwrap()[&chat.id],
        6
    );

    // Coming online delivers everything everywhere.
    assert_eq!(
        store.deliver_everything_to(harley).await.unwrap(),
        vec![(chat.id, 21)]
    );
    assert!(
        store
            .deliver_everything_to(harley)
            .await
            .unwrap()
            .is_empty()
    );

    // Pages are ascending.
    let seqs = |messages: Vec<parley_server::store::StoredMessage>| {
        messages.iter().map(|m| m.seq).collect::<Vec<_>>()
    };
    assert_eq!(
        seqs(store.messages(chat.id, Page::Latest, 3, 0).await.unwrap()),
        [19, 20, 21]
    );
    assert_eq!(
        seqs(
            store
                .messages(chat.id, Page::Before(3), 50, 0)
                .await
                .unwrap()
        ),
        [1, 2]
    );
    let after = Page::After {
        after: 18,
        before: Some(21),
    };
    assert_eq!(
        seqs(store.messages(chat.id, after, 50, 0).await.unwrap()),
        [19, 20]
    );

    // Groups, the chat list order, contacts.
    let group_name = GroupName::parse("Crew").unwrap();
    let group = store
        .create_group(&group_name, &[harley, mike, sara])
        .await
        .unwrap();
    assert_eq!(store.members(group.id).await.unwrap().len(), 3);

    // A message moves the watermarks of those it reached, with it, and tells
    // how they stood before.
    let Appended::New(arrival) =
        append_landing(&store, group.id, harley, "g-1", &[mike], &[sara]).await
    else {
        panic!("a new message")
    };
    let sorted = |mut rows: Vec<(UserId, i64, i64)>| {
        rows.sort();
        rows
    };
    let watermarks = |receipts: Vec<app::model::Receipt>| {
        sorted(
            receipts
                .iter()
                .map(|r| (r.user_id, r.delivered_seq, r.seen_seq))
                .collect(),
        )
    };
    assert_eq!(
        watermarks(arrival.receipts_before.receipts),
        sorted(vec![(harley, 0, 0), (mike, 0, 0), (sara, 0, 0)])
    );
    assert_eq!(
        watermarks(store.receipts(group.id).await.unwrap().receipts),
        sorted(vec![(harley, 1, 1), (mike, 1, 1), (sara, 1, 0)])
    );
    assert_eq!(
        chat_order(&store, harley).await,
        [group.id, chat.id],
        "newest activity first"
    );
    append(&store, chat.id, harley, "c-2").await;
    assert_eq!(chat_order(&store, harley).await, [chat.id, group.id]);
    let mut contacts = store.contacts_of(sara).await.unwrap();
    contacts.sort();
    let mut expected = vec![harley, mike];
    expected.sort();
    assert_eq!(contacts, expected);

    // Presence is recorded once per change, whoever asks: the first to say
    // "online" changes the record, the second does not; going offline
    // stamps last seen.
    assert!(store.set_presence(mike, true, now).await.unwrap());
    assert!(!store.set_presence(mike, true, now).await.unwrap());
    assert_eq!(store.recorded_online().await.unwrap(), vec![mike]);
    let went = store.set_presence(mike, false, now);
    let again = store.set_presence(mike, false, now);
    let (went, again) = futures::join!(went, again);
    assert_eq!(
        [went.unwrap(), again.unwrap()]
            .iter()
            .filter(|&&changed| changed)
            .count(),
        1,
        "of two nodes recording the same change, one hears it changed"
    );
    let mike_row = store
        .find_user_by_username(&Username::parse("mike").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(mike_row.user.last_seen_at.is_some());
    assert!(store.recorded_online().await.unwrap().is_empty());
}

/// Instance admins: the first account is one; invitations and reset links
/// run out by use and by time (the time is passed in, so no test waits for
/// a clock); deactivation ends sessions.
async fn admin_contract(store: &Store, first: UserId, second: UserId) {
    let stored = |user| async move { store.stored_user(user).await.unwrap().unwrap().user };
    assert!(stored(first).await.admin, "the first account is an admin");
    assert!(!stored(second).await.admin);

    let now = Utc::now();
    store
        .create_invitation("once", None, Some(now + Duration::hours(1)), Some(1))
        .await
        .unwrap();
    assert!(
        !store
            .take_invitation("once", now + Duration::hours(2))
            .await
            .unwrap(),
        "expired"
    );
    assert!(store.take_invitation("once", now).await.unwrap());
    assert!(
        !store.take_invitation("once", now).await.unwrap(),
        "used up"
    );
    store.give_back_invitation("once").await.unwrap();
    assert!(store.revoke_invitation("once").await.unwrap());
    assert!(
        !store.take_invitation("once", now).await.unwrap(),
        "revoked"
    );
    assert!(!store.take_invitation("no such", now).await.unwrap());

    store
        .create_password_reset("reset-hash", second, now + Duration::hours(24))
        .await
        .unwrap();
    assert_eq!(
        store
            .spend_password_reset("reset-hash", now + Duration::hours(25))
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store.spend_password_reset("reset-hash", now).await.unwrap(),
        Some(second)
    );
    assert_eq!(
        store.spend_password_reset("reset-hash", now).await.unwrap(),
        None,
        "used"
    );

    store
        .create_session(NewSession {
            token_hash: "before deactivation",
            user_id: second,
            expires_at: now + Duration::days(1),
        })
        .await
        .unwrap();
    assert!(store.deactivate(second, now).await.unwrap());
    assert!(!store.deactivate(second, now).await.unwrap(), "once");
    assert!(
        store
            .find_session("before deactivation", now)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .deactivated_since(now - Duration::seconds(1))
            .await
            .unwrap(),
        vec![second]
    );
    assert!(stored(second).await.deactivated);
    assert!(store.reactivate(second).await.unwrap());
    assert!(!stored(second).await.deactivated);
    assert!(
        store
            .deactivated_since(now - Duration::seconds(1))
            .await
            .unwrap()
            .is_empty()
    );
}
