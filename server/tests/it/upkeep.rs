//! `parley backup`, `restore` and `check`: the release binary, against a
//! SQLite instance that is running and being written to.

use crate::{
    attachments::{pdf, upload_to, uploaded},
    support::{
        chats::{create_direct, send},
        process::{Process, login, run_parley, signup},
        socket_client::SocketClient,
    },
};
use app::protocol::SendMessage;
use std::{
    collections::HashSet,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

/// `parley ARGS…` against the SQLite file `db`: whether it succeeded, and
/// what it said.
async fn parley(db: &Path, args: &[&str]) -> (bool, String) {
    let database = (
        "DATABASE_URL",
        format!("sqlite://{}?mode=rwc", db.display()),
    );
    run_parley(args, &[database], "").await
}

#[tokio::test]
async fn a_backup_taken_while_twenty_senders_write_restores_everything_acked_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parley.db");
    let server = Process::start(&db);
    let ann = signup(server.addr, "ann").await;
    let bob = signup(server.addr, "bob").await;
    let setup = SocketClient::connect(server.addr, &ann.token).await;
    let chat = create_direct(&setup, "bob").await;
    let file = pdf(50_000);
    let attachment = uploaded(
        upload_to(
            server.addr,
            &ann.token,
            &chat,
            "notes.pdf",
            "application/pdf",
            file.clone(),
        )
        .await,
    )
    .await;
    let with_file = SendMessage {
        attachment_ids: vec![attachment.id],
        ..send(&chat, "with-file", "the notes")
    };
    setup.emit(&with_file).await.expect("sent with its file");

    // Twenty sockets send as fast as their acks come back, before, during
    // and after the backup.
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let enough = Arc::new(tokio::sync::Notify::new());
    let mut senders = Vec::new();
    for s in 0..20 {
        let token = if s % 2 == 0 { &ann.token } else { &bob.token };
        let socket = SocketClient::connect(server.addr, token).await;
        let (chat, acked, stop, enough) =
            (chat.clone(), acked.clone(), stop.clone(), enough.clone());
        senders.push(tokio::spawn(async move {
            let mut k = 0;
            while !stop.load(Ordering::SeqCst) {
                let client_id = format!("s{s}-{k}");
                k += 1;
                socket
                    .emit(&send(&chat, &client_id, &client_id))
                    .await
                    .expect("acked");
                let mut acked = acked.lock().unwrap();
                acked.insert(client_id);
                if acked.len() >= 300 {
                    enough.notify_one();
                }
            }
        }));
    }
    enough.notified().await;
    let acked_before: HashSet<String> = acked.lock().unwrap().clone();
    let backup = dir.path().join("backup");
    let (ok, said) = parley(&db, &["backup", backup.to_str().unwrap()]).await;
    assert!(ok, "{said}");
    stop.store(true, Ordering::SeqCst);
    for sender in senders {
        sender.await.expect("sender");
    }
    let (ok, said) = parley(&db, &["backup", backup.to_str().unwrap()]).await;
    assert!(!ok && said.contains("never overwrites"), "{said}");
    server.terminate();

    // Restored into a fresh place: everything acked before the backup began.
    let elsewhere = tempfile::tempdir().unwrap();
    let restored = elsewhere.path().join("parley.db");
    let (ok, said) = parley(&restored, &["restore", backup.to_str().unwrap()]).await;
    assert!(ok, "{said}");
    let (ok, said) = parley(&restored, &["restore", backup.to_str().unwrap()]).await;
    assert!(!ok && said.contains("holds a database already"), "{said}");
    let (ok, said) = parley(&restored, &["check"]).await;
    assert!(
        ok && said.contains("database: ok") && said.contains("1 named, 0 missing"),
        "{said}"
    );
    let stored: HashSet<String> = {
        let connection = rusqlite::Connection::open(&restored).unwrap();
        let mut statement = connection
            .prepare("SELECT client_id FROM messages")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let lost: Vec<&String> = acked_before.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "acked before the backup, not in it: {lost:?}"
    );
    assert!(stored.contains("with-file"));

    // The restored instance serves, its file included.
    let server = Process::start(&restored);
    let token = login(server.addr, "ann").await;
    let ann_again = SocketClient::connect(server.addr, &token).await;
    ann_again.sync().await;
    let bytes = reqwest::Client::new()
        .get(format!("http://{}{}", server.addr, attachment.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("the file");
    assert_eq!(bytes.as_ref(), file.as_slice());
    server.terminate();

    // A file gone from under it is what `check` finds.
    let media = elsewhere.path().join("media");
    let mut under = vec![media.clone()];
    let mut stored_file = None;
    while let Some(next) = under.pop() {
        for path in std::fs::read_dir(&next)
            .unwrap()
            .flatten()
            .map(|entry| entry.path())
        {
            if path.is_dir() {
                under.push(path);
            } else {
                stored_file = Some(path);
            }
        }
    }
    let stored_file = stored_file.unwrap_or_else(|| panic!("the upload under {}", media.display()));
    std::fs::remove_file(&stored_file).unwrap();
    let (ok, said) = parley(&restored, &["check"]).await;
    assert!(!ok && said.contains("is named but missing"), "{said}");
}
