//! Everyone reconnecting at once (a deploy restarts the server): presence is
//! announced once per change, a burst bigger than the database pool is
//! answered, and shutting down under load is orderly.

use crate::{
    support::app::spawn_app,
    support::chats::{create_direct, create_group, send},
    support::process::{Process, signup},
    support::socket_client::{Credentials, SocketClient},
};
use app::{
    model::ReceiptKind,
    protocol::{ListChats, Presence, StatusUpdate},
};
use futures::future::join_all;
use std::collections::HashSet;
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

#[tokio::test]
async fn many_sockets_of_one_person_make_one_announcement_per_change() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    let harley_socket = SocketClient::connect(app.addr, &harley.token).await;
    create_direct(&harley_socket, "mike").await;

    // Mike's phone, laptop and a dozen tabs, all at once.
    let tabs = join_all((0..15).map(|_| SocketClient::connect(app.addr, &mike.token))).await;
    let online = harley_socket.next::<Presence>().await;
    assert_eq!((online.user_id, online.online), (mike.user.id, true));

    for tab in tabs {
        tab.disconnect().await;
    }
    let offline = harley_socket.next::<Presence>().await;
    assert_eq!((offline.user_id, offline.online), (mike.user.id, false));
    // Every report settled: nothing more was said.
    app.disconnects_handled(15).await;
    app.presence_settled().await;
    harley_socket.assert_none::<Presence>().await;
}

#[tokio::test]
async fn a_burst_of_one_persons_sockets_costs_one_session_look_up_one_presence_check_and_one_delivered_move()
 {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    app.signup("sara", "sara password").await;
    let harley_socket = SocketClient::connect(app.addr, &harley.token).await;
    // Three chats with Mike, each with a message he has not received (✓).
    let chats = [
        create_direct(&harley_socket, "mike").await,
        create_group(&harley_socket, "Climbing", &["mike", "sara"]).await,
        create_group(&harley_socket, "Books", &["mike"]).await,
    ];
    for (n, chat) in chats.iter().enumerate() {
        let sent = harley_socket
            .emit(&send(chat, &format!("h-{n}"), "are you there?"))
            .await
            .expect("sent");
        assert_eq!(sent.status, app::model::MessageStatus::Sent);
    }
    app.presence_settled().await;
    let lookups = app.metric("parley_session_lookups_total").await;
    let moves = app.metric("parley_delivered_moves_total").await;
    let checks = app.metric("parley_presence_checks_total").await;

    // The server restarted: Mike's phone, laptop and tabs all come back at once.
    let tabs = join_all((0..12).map(|_| SocketClient::connect(app.addr, &mike.token))).await;

    // Harley sees ✓✓ in each chat, once.
    let mut delivered = HashSet::new();
    while delivered.len() < chats.len() {
        let update = harley_socket
            .next_where::<StatusUpdate>(|update| update.status == ReceiptKind::Delivered)
            .await;
        assert_eq!(update.user_id, mike.user.id);
        assert!(delivered.insert(update.chat_id), "told twice: {update:?}");
    }
    app.presence_settled().await;
    harley_socket.sync().await;
    assert!(
        harley_socket
            .drain::<StatusUpdate>()
            .iter()
            .all(|update| update.status != ReceiptKind::Delivered),
        "a delivered receipt was announced twice"
    );
    assert_eq!(
        app.metric("parley_session_lookups_total").await - lookups,
        1.0,
        "one session look-up for the twelve sockets of one sign-in"
    );
    assert_eq!(
        app.metric("parley_delivered_moves_total").await - moves,
        1.0,
        "one delivered move for the person, however many sockets"
    );
    assert_eq!(
        app.metric("parley_presence_checks_total").await - checks,
        1.0,
        "one presence check for the person: the other tabs change nothing"
    );
    for tab in tabs {
        assert!(tab.is_open());
    }
}

#[tokio::test]
async fn a_burst_of_connects_larger_than_the_pool_is_answered_in_full() {
    let app = spawn_app().await;
    app.signup("mike", "mike password").await;
    // Five people, each with a chat (each may hold 50 sockets on a node).
    let mut people = Vec::new();
    for n in 0..5 {
        let name = format!("person{n}");
        let person = app.signup(&name, "a good password").await;
        let socket = SocketClient::connect(app.addr, &person.token).await;
        create_direct(&socket, "mike").await;
        socket.disconnect().await;
        people.push(person);
    }

    // 200 sockets connect together and each asks for its chats at once, as
    // pages do after a restart (the read pool has far fewer connections).
    let answers = join_all((0..200).map(|i| {
        let token = people[i % people.len()].token.clone();
        let addr = app.addr;
        async move {
            let socket = SocketClient::connect(addr, &token).await;
            let chats = socket.emit(&ListChats::first()).await;
            socket.disconnect().await;
            chats
        }
    }))
    .await;
    let failed: Vec<_> = answers.iter().filter_map(|a| a.as_ref().err()).collect();
    assert!(failed.is_empty(), "refused: {failed:?}");
    assert!(
        answers
            .iter()
            .all(|a| a.as_ref().is_ok_and(|page| page.chats.len() == 1))
    );
}

#[tokio::test]
async fn stopping_under_a_storm_of_connects_is_orderly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Process::start(&dir.path().join("parley.db"));
    let addr = server.addr;
    let names: Vec<String> = (0..5).map(|n| format!("user{n}")).collect();
    let people: Vec<_> = join_all(names.iter().map(|name| signup(addr, name))).await;

    // Sockets keep connecting (and announcing) while the server is told to stop.
    let connected = Arc::new(AtomicUsize::new(0));
    let storm = tokio::spawn({
        let connected = connected.clone();
        async move {
            let mut open = Vec::new();
            loop {
                let connects = people.iter().map(|person| {
                    SocketClient::try_connect(addr, Credentials::Token(&person.token), None)
                });
                let sockets: Vec<_> = join_all(connects).await.into_iter().flatten().collect();
                if sockets.is_empty() {
                    return;
                }
                connected.fetch_add(sockets.len(), Ordering::SeqCst);
                open.extend(sockets);
            }
        }
    });
    // Once a good number are in, SIGTERM: the deploy's stop.
    while connected.load(Ordering::SeqCst) < 25 {
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (status, output) = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .expect("stopped");
    storm.await.expect("the storm ends when the server is gone");
    assert!(status.success(), "exit status {status}");
    let panics: Vec<_> = output
        .iter()
        .filter(|line| line.contains("panicked"))
        .collect();
    assert!(panics.is_empty(), "{panics:#?}");
}
