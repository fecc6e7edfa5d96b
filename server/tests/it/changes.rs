//! Messages that change after the fact: edit, delete for everyone, reply,
//! react, and catching up on what changed while away.

use crate::{
    support::app::{TestApp, spawn_app},
    support::chats::{create_direct, create_group, send},
    support::nodes::two_nodes,
    support::socket_client::SocketClient,
};
use app::{
    model::{Chat, Message, MessageId, MessageStatus, Reaction, UserId},
    protocol::{
        AuthReply, DeleteMessage, EditMessage, ErrorCode, History, JoinRoom, ListChats,
        MessageUpdated, NewMessage, React, SendMessage,
    },
};
use std::time::Duration;
use uuid::Uuid;

/// Harley and Mike, both connected, in a direct chat Mike has open.
struct Pair {
    harley: AuthReply,
    mike: AuthReply,
    harley_socket: SocketClient,
    mike_socket: SocketClient,
    chat: Chat,
}

async fn pair(app: &TestApp) -> Pair {
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    let harley_socket = SocketClient::connect(app.addr, &harley.token).await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    let chat = create_direct(&harley_socket, "mike").await;
    mike_socket
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .expect("mike opens the chat");
    Pair {
        harley,
        mike,
        harley_socket,
        mike_socket,
        chat,
    }
}

impl Pair {
    /// Harley sends `body`; both sides have it afterwards (Mike by `newMessage`).
    async fn harley_says(&self, body: &str) -> Message {
        let sent = self
            .harley_socket
            .emit(&send(&self.chat, &Uuid::now_v7().to_string(), body))
            .await
            .expect("sent");
        self.mike_socket
            .next_where(|NewMessage(m): &NewMessage| m.id == sent.id)
            .await;
        sent
    }
}

fn edit(chat: &Chat, message: &Message, body: &str) -> EditMessage {
    EditMessage {
        chat_id: chat.id,
        message_id: message.id,
        body: body.into(),
    }
}

fn delete(chat: &Chat, message: &Message) -> DeleteMessage {
    DeleteMessage {
        chat_id: chat.id,
        message_id: message.id,
    }
}

fn react(chat: &Chat, message: &Message, emoji: &str, on: bool) -> React {
    React {
        chat_id: chat.id,
        message_id: message.id,
        emoji: emoji.into(),
        on,
    }
}

/// The next `messageUpdated` about `message`, as `socket` received it.
async fn update_of(socket: &SocketClient, message: &Message) -> Message {
    socket
        .next_where(|MessageUpdated(m): &MessageUpdated| m.id == message.id)
        .await
        .0
}

#[tokio::test]
async fn an_edit_reaches_both_sides_once_and_moves_nothing_else() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let original = p.harley_says("see you at 5").await;
    assert_eq!(original.status, MessageStatus::Seen);

    let edited = p
        .harley_socket
        .emit(&edit(&p.chat, &original, " see you at 6 "))
        .await
        .expect("edited");
    assert_eq!(edited.body, "see you at 6", "trimmed like a new message");
    assert!(edited.edited_at.is_some());
    assert!(edited.version > original.version);
    assert_eq!(
        (edited.id, edited.seq, edited.status, edited.created_at),
        (
            original.id,
            original.seq,
            original.status,
            original.created_at
        ),
        "an edit moves no seq, tick or time"
    );

    assert_eq!(update_of(&p.mike_socket, &original).await, edited);
    assert_eq!(update_of(&p.harley_socket, &original).await, edited);
    p.mike_socket.assert_none::<MessageUpdated>().await;
    p.harley_socket.assert_none::<MessageUpdated>().await;
    p.mike_socket.assert_none::<NewMessage>().await;

    // The same text again changes nothing and announces nothing.
    let again = p
        .harley_socket
        .emit(&edit(&p.chat, &edited, "see you at 6"))
        .await
        .expect("same text");
    assert_eq!(again.version, edited.version);
    p.mike_socket.assert_none::<MessageUpdated>().await;

    // Mike's view of the chat: the edit in history, no unread, no new seq.
    let page = p
        .mike_socket
        .emit(&History::latest(p.chat.id))
        .await
        .expect("history");
    assert_eq!(
        page,
        vec![edited.clone()]
            .into_iter()
            .map(|m| Message {
                status: MessageStatus::Seen,
                ..m
            })
            .collect::<Vec<_>>()
    );
    let chats = p
        .mike_socket
        .emit(&ListChats::first())
        .await
        .expect("chats")
        .chats;
    assert_eq!(chats[0].unread_count, 0);
    assert_eq!(
        chats[0].last_message.as_ref().map(|m| m.body.as_str()),
        Some("see you at 6"),
        "the list's preview follows the edit"
    );
}

#[tokio::test]
async fn a_delete_erases_the_text_and_reactions_for_everyone() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let message = p.harley_says("wrong chat, sorry").await;
    p.mike_socket
        .emit(&react(&p.chat, &message, "😂", true))
        .await
        .expect("reacted");
    update_of(&p.mike_socket, &message).await;

    let deleted = p
        .harley_socket
        .emit(&delete(&p.chat, &message))
        .await
        .expect("deleted");
    assert_eq!(deleted.body, "");
    assert!(deleted.deleted_at.is_some());
    assert_eq!(deleted.reactions, vec![]);
    assert_eq!(
        (deleted.seq, deleted.sender_id, deleted.status),
        (message.seq, message.sender_id, message.status)
    );
    assert_eq!(update_of(&p.mike_socket, &message).await, deleted);

    // Deleting again is the same as once: nothing new to announce.
    let again = p
        .harley_socket
        .emit(&delete(&p.chat, &message))
        .await
        .expect("again");
    assert_eq!(again.version, deleted.version);
    p.mike_socket.assert_none::<MessageUpdated>().await;

    // A deleted message takes no edit, no reaction and no reply.
    let refusals = [
        p.harley_socket
            .emit(&edit(&p.chat, &message, "back"))
            .await
            .map(|_| ()),
        p.mike_socket
            .emit(&react(&p.chat, &message, "👍", true))
            .await
            .map(|_| ()),
        p.mike_socket
            .emit(&SendMessage {
                reply_to_id: Some(message.id),
                ..send(&p.chat, "r-1", "what was it?")
            })
            .await
            .map(|_| ()),
    ];
    for refusal in refusals {
        assert_eq!(refusal.unwrap_err().code, ErrorCode::Deleted);
    }
}

#[tokio::test]
async fn a_reply_quotes_its_target_as_it_stands() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let long = "x".repeat(150);
    let question = p.harley_says(&long).await;

    let reply = p
        .mike_socket
        .emit(&SendMessage {
            reply_to_id: Some(question.id),
            ..send(&p.chat, "m-1", "yes")
        })
        .await
        .expect("replied");
    let quote = reply.reply_to.clone().expect("a quote");
    assert_eq!(
        (quote.message_id, quote.sender_id, quote.deleted),
        (question.id, Some(p.harley.user.id), false)
    );
    assert_eq!(quote.excerpt.as_deref(), Some("x".repeat(100).as_str()));
    let NewMessage(received) = p
        .harley_socket
        .next_where(|NewMessage(m): &NewMessage| m.id == reply.id)
        .await;
    assert_eq!(received.reply_to, reply.reply_to);

    // The quote follows an edit and then the delete of its target.
    p.harley_socket
        .emit(&edit(&p.chat, &question, "are you coming?"))
        .await
        .expect("edited");
    let quote_now = || async {
        let page = p
            .mike_socket
            .emit(&History::latest(p.chat.id))
            .await
            .expect("history");
        let reply = page
            .into_iter()
            .find(|m| m.id == reply.id)
            .expect("the reply");
        reply.reply_to.expect("a quote")
    };
    assert_eq!(
        quote_now().await.excerpt.as_deref(),
        Some("are you coming?")
    );
    p.harley_socket
        .emit(&delete(&p.chat, &question))
        .await
        .expect("deleted");
    let gone = quote_now().await;
    assert!(gone.deleted);
    assert_eq!(gone.excerpt, None);

    // A resend of the reply (same client id) still carries its quote.
    let resent = p
        .mike_socket
        .emit(&SendMessage {
            reply_to_id: Some(question.id),
            ..send(&p.chat, "m-1", "yes")
        })
        .await
        .expect("a resend is answered with the original");
    assert_eq!(resent.id, reply.id);
    assert!(resent.reply_to.expect("quote").deleted);
}

#[tokio::test]
async fn reactions_take_any_one_emoji_once_per_person_in_order_of_first_use() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let message = p.harley_says("we won").await;
    let (harley, mike) = (p.harley.user.id, p.mike.user.id);

    let thumbs_medium = "👍🏽";
    let family = "👩\u{200d}👩\u{200d}👧"; // a ZWJ sequence: one emoji
    let steps = [
        (&p.mike_socket, thumbs_medium, true),
        (&p.harley_socket, family, true),
        (&p.harley_socket, thumbs_medium, true),
        (&p.mike_socket, "🇫🇷", true),
    ];
    let mut last_version = message.version;
    for (socket, emoji, on) in steps {
        let now = socket
            .emit(&react(&p.chat, &message, emoji, on))
            .await
            .expect("reacted");
        assert!(
            now.version > last_version,
            "every change takes a new version"
        );
        last_version = now.version;
        assert_eq!(
            update_of(&p.mike_socket, &message).await,
            Message {
                status: now.status,
                ..now.clone()
            }
        );
    }
    let reaction = |emoji: &str, user_ids: Vec<UserId>| Reaction {
        emoji: emoji.into(),
        user_ids,
    };
    let expected = vec![
        reaction(thumbs_medium, vec![mike, harley]),
        reaction(family, vec![harley]),
        reaction("🇫🇷", vec![mike]),
    ];
    let page = p
        .harley_socket
        .emit(&History::latest(p.chat.id))
        .await
        .unwrap();
    assert_eq!(page[0].reactions, expected);

    // The same reaction again: nothing changes, nothing is announced.
    let again = p
        .mike_socket
        .emit(&react(&p.chat, &message, thumbs_medium, true))
        .await
        .expect("again");
    assert_eq!((again.version, again.reactions), (last_version, expected));
    p.mike_socket.assert_none::<MessageUpdated>().await;
    p.harley_socket
        .next_where(|MessageUpdated(m): &MessageUpdated| m.version == last_version)
        .await;
    p.harley_socket.assert_none::<MessageUpdated>().await;

    // Taken back: Mike's thumb goes, Harley's stays where it was.
    let off = p
        .mike_socket
        .emit(&react(&p.chat, &message, thumbs_medium, false))
        .await
        .expect("taken back");
    // The order is that of each emoji's earliest reaction still there.
    assert_eq!(
        off.reactions,
        vec![
            reaction(family, vec![harley]),
            reaction(thumbs_medium, vec![harley]),
            reaction("🇫🇷", vec![mike]),
        ]
    );
    // Taking back what is not there changes nothing.
    let none = p
        .mike_socket
        .emit(&react(&p.chat, &message, "🎉", false))
        .await
        .expect("nothing to take back");
    assert_eq!(none.version, off.version);

    // Not one emoji: text, two emoji, empty, a lone skin tone.
    for bad in ["ok", "👍👍", "", "🏽", "👍 "] {
        let refused = p
            .mike_socket
            .emit(&react(&p.chat, &message, bad, true))
            .await;
        assert_eq!(
            refused.unwrap_err().code,
            ErrorCode::InvalidEmoji,
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn a_person_has_at_most_twenty_emoji_on_one_message() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let message = p.harley_says("react to me").await;
    let palette = [
        "😀", "😂", "😍", "😎", "😢", "😡", "👍", "👎", "👏", "🙏", "🔥", "🎉", "💯", "❤️", "💔",
        "🤔", "🙈", "🚀", "🍕", "☕", "🌈",
    ];
    for emoji in &palette[..Reaction::MAX_PER_USER] {
        p.mike_socket
            .emit(&react(&p.chat, &message, emoji, true))
            .await
            .expect("within the limit");
    }
    let refused = p
        .mike_socket
        .emit(&react(
            &p.chat,
            &message,
            palette[Reaction::MAX_PER_USER],
            true,
        ))
        .await;
    assert_eq!(refused.unwrap_err().code, ErrorCode::TooManyReactions);
    // Harley still has his own twenty.
    p.harley_socket
        .emit(&react(&p.chat, &message, "🌈", true))
        .await
        .expect("Harley's own");
}

#[tokio::test]
async fn only_the_author_edits_or_deletes_and_only_members_change_anything() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let message = p.harley_says("mine").await;
    let code = |result: Result<Message, app::protocol::ApiError>| result.unwrap_err().code;

    assert_eq!(
        code(p.mike_socket.emit(&edit(&p.chat, &message, "his")).await),
        ErrorCode::NotAuthor
    );
    assert_eq!(
        code(p.mike_socket.emit(&delete(&p.chat, &message)).await),
        ErrorCode::NotAuthor
    );
    assert_eq!(
        code(p.harley_socket.emit(&edit(&p.chat, &message, "   ")).await),
        ErrorCode::InvalidBody
    );
    assert_eq!(
        code(
            p.harley_socket
                .emit(&edit(&p.chat, &message, &"y".repeat(4001)))
                .await
        ),
        ErrorCode::InvalidBody
    );

    // A message id that is unknown, or of another chat, is not found.
    let unknown = Message {
        id: MessageId(Uuid::now_v7()),
        ..message.clone()
    };
    assert_eq!(
        code(p.harley_socket.emit(&edit(&p.chat, &unknown, "x")).await),
        ErrorCode::NotFound
    );
    app.signup("sara", "sara password").await;
    let other_chat = create_direct(&p.harley_socket, "sara").await;
    let elsewhere = p
        .harley_socket
        .emit(&send(&other_chat, "s-1", "hi sara"))
        .await
        .expect("sent to sara");
    assert_eq!(
        code(p.harley_socket.emit(&edit(&p.chat, &elsewhere, "x")).await),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(
            p.harley_socket
                .emit(&react(&p.chat, &elsewhere, "👍", true))
                .await
        ),
        ErrorCode::NotFound
    );
    let reply_elsewhere = p
        .harley_socket
        .emit(&SendMessage {
            reply_to_id: Some(elsewhere.id),
            ..send(&p.chat, "h-x", "a reply across chats")
        })
        .await;
    assert_eq!(reply_elsewhere.unwrap_err().code, ErrorCode::NotFound);

    // Sara is no member of Harley and Mike's chat.
    let sara = app.login("sara", "sara password").await;
    let sara_socket = SocketClient::connect(app.addr, &sara.token).await;
    for result in [
        sara_socket
            .emit(&react(&p.chat, &message, "👍", true))
            .await,
        sara_socket.emit(&edit(&p.chat, &message, "x")).await,
        sara_socket.emit(&delete(&p.chat, &message)).await,
    ] {
        assert_eq!(code(result), ErrorCode::NotMember);
    }
    let untouched = p
        .harley_socket
        .emit(&History::latest(p.chat.id))
        .await
        .unwrap();
    assert_eq!(untouched[0].body, "mine");
    assert_eq!(untouched[0].version, message.version);
}

#[tokio::test]
async fn a_member_away_during_changes_catches_up_with_changed_after() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let mut sent = Vec::new();
    for n in 1..=4 {
        sent.push(p.harley_says(&format!("message {n}")).await);
    }
    let held = p
        .mike_socket
        .emit(&History::latest(p.chat.id))
        .await
        .unwrap();
    let high_water = held.iter().map(|m| m.version).max().expect("versions");
    p.mike_socket.disconnect().await;

    // While Mike is away: an edit, a delete, two reactions and a new message.
    let sara = app.signup("sara", "sara password").await;
    let _ = sara;
    p.harley_socket
        .emit(&edit(&p.chat, &sent[0], "message one"))
        .await
        .unwrap();
    p.harley_socket
        .emit(&delete(&p.chat, &sent[1]))
        .await
        .unwrap();
    p.harley_socket
        .emit(&react(&p.chat, &sent[2], "👍", true))
        .await
        .unwrap();
    p.harley_socket
        .emit(&react(&p.chat, &sent[3], "❤️", true))
        .await
        .unwrap();
    let fifth = p
        .harley_socket
        .emit(&send(&p.chat, "h-5", "message 5"))
        .await
        .unwrap();

    let mike_socket = SocketClient::connect(app.addr, &p.mike.token).await;
    let changed = mike_socket
        .emit(&History::changed_after(p.chat.id, high_water))
        .await
        .expect("what changed");
    let summary: Vec<(i64, &str, bool, Vec<&str>)> = changed
        .iter()
        .map(|m| {
            (
                m.seq,
                m.body.as_str(),
                m.deleted_at.is_some(),
                m.reactions.iter().map(|r| r.emoji.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "message one", false, vec![]),
            (2, "", true, vec![]),
            (3, "message 3", false, vec!["👍"]),
            (4, "message 4", false, vec!["❤️"]),
            (5, "message 5", false, vec![]),
        ]
    );
    assert!(changed.windows(2).all(|w| w[0].version < w[1].version));
    assert_eq!(changed.last().map(|m| m.id), Some(fifth.id));

    // In pages: the first two changes, then the rest from the second's version.
    let first = mike_socket
        .emit(&History {
            limit: Some(2),
            ..History::changed_after(p.chat.id, high_water)
        })
        .await
        .unwrap();
    assert_eq!(first, changed[..2]);
    let rest = mike_socket
        .emit(&History::changed_after(p.chat.id, first[1].version))
        .await
        .unwrap();
    assert_eq!(rest, changed[2..]);

    // changedAfter goes alone.
    let mixed = mike_socket
        .emit(&History {
            after_seq: Some(1),
            ..History::changed_after(p.chat.id, 0)
        })
        .await;
    assert_eq!(mixed.unwrap_err().code, ErrorCode::BadRequest);
}

#[tokio::test]
async fn deleted_text_is_gone_from_the_database_files() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let secret = "the vault code is 7741-zebra-quartz";
    for n in 0..30 {
        // Around the secret, so it shares pages with text that stays.
        p.harley_says(&format!("filler {n} before")).await;
    }
    let message = p.harley_says(secret).await;
    p.harley_says("filler after").await;
    let files = || {
        ["parley.db", "parley.db-wal"]
            .iter()
            .map(|name| std::fs::read(app.db_dir.path().join(name)).unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let holds_secret = |bytes: &Vec<u8>| {
        bytes
            .windows(secret.len())
            .any(|window| window == secret.as_bytes())
    };
    assert!(files().iter().any(holds_secret), "stored before the delete");

    p.harley_socket
        .emit(&delete(&p.chat, &message))
        .await
        .expect("deleted");
    // The log is checkpointed and truncated in the background: wait for it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while files().iter().any(holds_secret) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the deleted text is still in the database files"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kept = p
        .harley_socket
        .emit(&History::latest(p.chat.id))
        .await
        .unwrap();
    assert!(kept.iter().any(|m| m.body == "filler 29 before"));
}

#[tokio::test]
async fn in_a_group_every_member_sees_each_change_once() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    app.signup("mike", "mike password").await;
    app.signup("sara", "sara password").await;
    let harley_socket = SocketClient::connect(app.addr, &harley.token).await;
    let chat = create_group(&harley_socket, "Crew", &["mike", "sara"]).await;
    let mike = app.login("mike", "mike password").await;
    let sara = app.login("sara", "sara password").await;
    // Mike on two devices, one with the chat open; Sara with it closed.
    let mike_open = SocketClient::connect(app.addr, &mike.token).await;
    let mike_phone = SocketClient::connect(app.addr, &mike.token).await;
    let sara_socket = SocketClient::connect(app.addr, &sara.token).await;
    mike_open
        .emit(&JoinRoom { chat_id: chat.id })
        .await
        .unwrap();

    let message = harley_socket
        .emit(&send(&chat, "g-1", "lunch?"))
        .await
        .unwrap();
    let reacted = sara_socket
        .emit(&react(&chat, &message, "🍕", true))
        .await
        .expect("reacted");
    for socket in [&harley_socket, &mike_open, &mike_phone, &sara_socket] {
        assert_eq!(
            update_of(socket, &message).await.reactions,
            reacted.reactions
        );
        socket.assert_none::<MessageUpdated>().await;
    }
}

#[tokio::test]
async fn changes_made_on_two_nodes_converge_by_version_on_postgres() {
    let Some(nodes) = two_nodes().await else {
        return;
    };
    let (harley_socket, mike_socket, chat) = nodes.harley_and_mike().await;
    let message = harley_socket.emit(&send(&chat, "1", "hi")).await.unwrap();

    // Harley edits on A while Mike reacts on B, many times over, concurrently.
    let edits = async {
        for n in 0..10 {
            harley_socket
                .emit(&EditMessage {
                    chat_id: chat.id,
                    message_id: message.id,
                    body: format!("hi {n}"),
                })
                .await
                .expect("edited");
        }
    };
    let reactions = async {
        for n in 0..10 {
            mike_socket
                .emit(&React {
                    chat_id: chat.id,
                    message_id: message.id,
                    emoji: "👍".into(),
                    on: n % 2 == 0,
                })
                .await
                .expect("reacted");
        }
    };
    tokio::join!(edits, reactions);

    // Mike on B hears of every change, each once, whichever node made it;
    // applying the newest version wins gives him the final state. (Two nodes
    // announce independently, so arrival order across nodes is not version
    // order: that is why a message carries its version.)
    let last = harley_socket.emit(&History::latest(chat.id)).await.unwrap()[0].clone();
    assert_eq!(
        last.version,
        message.version + 20,
        "twenty changes, twenty versions"
    );
    let mut seen = Vec::new();
    let mut newest = message.clone();
    while seen.len() < 20 {
        let MessageUpdated(update) = mike_socket.next::<MessageUpdated>().await;
        seen.push(update.version);
        if update.version > newest.version {
            newest = update;
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        (message.version + 1..=last.version).collect::<Vec<_>>()
    );
    assert_eq!(
        (newest.body.as_str(), newest.version),
        ("hi 9", last.version)
    );
    let on_b = mike_socket
        .emit(&History::changed_after(chat.id, message.version))
        .await
        .unwrap();
    assert_eq!(on_b.len(), 1);
    assert_eq!(
        (on_b[0].body.as_str(), on_b[0].version),
        ("hi 9", last.version)
    );
    assert!(
        on_b[0].reactions.is_empty(),
        "the tenth toggle took it back"
    );
}

#[tokio::test]
async fn changed_after_gives_exactly_what_changed_after_any_version() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    // New messages and changes interleaved, so creation versions drift from
    // seqs by more at every step.
    let mut sent = Vec::new();
    for n in 0..6 {
        sent.push(p.harley_says(&format!("message {n}")).await);
        let target = &sent[n / 2];
        p.mike_socket
            .emit(&react(
                &p.chat,
                target,
                if n % 2 == 0 { "👍" } else { "🎉" },
                true,
            ))
            .await
            .expect("reacted");
        if n == 3 {
            p.harley_socket
                .emit(&edit(&p.chat, &sent[0], "message zero"))
                .await
                .expect("edited");
        }
    }
    let all = p
        .harley_socket
        .emit(&History::latest(p.chat.id))
        .await
        .expect("history");
    let newest = all.iter().map(|m| m.version).max().expect("versions");
    for version in 0..=newest {
        let mut expected: Vec<_> = all
            .iter()
            .filter(|m| m.version > version)
            .cloned()
            .collect();
        expected.sort_by_key(|m| m.version);
        let got = p
            .harley_socket
            .emit(&History::changed_after(p.chat.id, version))
            .await
            .expect("changed after");
        assert_eq!(got, expected, "after version {version}");
        let first_two = p
            .harley_socket
            .emit(&History {
                limit: Some(2),
                ..History::changed_after(p.chat.id, version)
            })
            .await
            .expect("a page");
        assert_eq!(
            first_two,
            expected.iter().take(2).cloned().collect::<Vec<_>>()
        );
    }
}
