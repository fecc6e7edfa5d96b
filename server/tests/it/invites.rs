//! Group invite links, and the description their page shows. An admin makes
//! a link, someone not in the group looks at
//! it and joins, reading from the join on; every refusal (not an admin, a
//! link stopped, reset, used up or unknown, a person the admins removed or
//! the link's maker blocked, a full group, too many guesses), on SQLite and
//! PostgreSQL, and a join on one node heard on the other.

use crate::{
    on_both,
    support::{
        app::spawn_app_with,
        backends::{Backend, Running},
        chats::{create_direct, create_group},
        nodes::two_nodes,
        people::Person,
        socket_client::SocketClient,
    },
};
use app::{
    model::{Chat, ChatKind, MessageKind, SystemAction},
    protocol::{
        AddMembers, BlockUser, CreateChat, CreateInviteLink, ErrorCode, History, InviteInfo,
        InviteLink, JoinByInvite, LeaveChat, RemoveMember, RevokeInviteLink, UpdateChat,
    },
};
use tempfile::TempDir;

on_both!(
    someone_joins_by_link_and_reads_from_their_joining_on,
    every_refusal_of_an_invite_link,
    admins_describe_a_group,
);

async fn make_link(admin: &Person, chat: &Chat, max_uses: Option<u32>) -> InviteLink {
    admin
        .socket
        .emit(&CreateInviteLink {
            chat_id: chat.id,
            expires_in_hours: Some(24),
            max_uses,
        })
        .await
        .expect("an admin makes a link")
}

/// Why `who` may not make a link for `chat`.
async fn link_refused(who: &Person, chat: &Chat) -> ErrorCode {
    let asked = CreateInviteLink {
        chat_id: chat.id,
        expires_in_hours: None,
        max_uses: None,
    };
    who.socket.emit(&asked).await.unwrap_err().code
}

async fn join(person: &Person, link: &InviteLink) -> Result<Chat, ErrorCode> {
    person
        .socket
        .emit(&JoinByInvite {
            token: link.token.clone(),
        })
        .await
        .map_err(|error| error.code)
}

async fn someone_joins_by_link_and_reads_from_their_joining_on(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let sara = Person::join(app, "sara").await;
    let group = create_group(&harley.socket, "Crew", &["mike"]).await;
    harley.says(&group, "said before Sara came").await;

    let link = make_link(&harley, &group, None).await;
    // Unguessable: 256 random bits, base64url; the address is this instance's.
    assert!(link.token.len() >= 43, "{}", link.token);
    assert!(
        link.url
            .ends_with(&format!("{}/invite/{}", app.addr, link.token)),
        "{}",
        link.url
    );
    assert!(link.expires_at.is_some());

    // What the link shows before joining: the group, not what was said.
    let preview = sara
        .socket
        .emit(&InviteInfo {
            token: link.token.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        (preview.chat_id, preview.name.as_str(), preview.member_count),
        (group.id, "Crew", 2)
    );

    let joined = join(&sara, &link).await.expect("Sara joins");
    assert!(joined.member(sara.id()).is_some());
    assert_eq!(joined.members.len(), 3);
    for member in [&harley, &mike] {
        let line = member
            .hears_line(group.id, SystemAction::JoinedByLink)
            .await;
        let event = line.system.expect("a system line");
        assert_eq!(event.actor_id, sara.id());
        assert_eq!(event.actor_name, "sara");
        assert_eq!(
            event.describe(Some(harley.id())),
            "sara joined using this group's invite link"
        );
        let told = member.hears_update(group.id).await;
        assert!(told.chat.member(sara.id()).is_some());
    }
    // Sara's list has the group; her history starts at her joining.
    assert!(sara.chats().await.iter().any(|s| s.chat.id == group.id));
    let history = sara.socket.emit(&History::latest(group.id)).await.unwrap();
    assert!(
        history.iter().all(|m| m.kind == MessageKind::System),
        "{history:?}"
    );
    assert_eq!(
        history
            .last()
            .and_then(|m| m.system.as_ref())
            .map(|e| e.action),
        Some(SystemAction::JoinedByLink)
    );
    // She speaks, and everyone hears.
    sara.says(&group, "hi, I'm Sara").await;

    // Joining again changes nothing (no second line).
    let again = join(&sara, &link).await.expect("already in");
    assert_eq!(again.members.len(), 3);
    let lines = harley
        .socket
        .emit(&History::latest(group.id))
        .await
        .unwrap();
    let joins = lines
        .iter()
        .filter(|m| {
            m.system
                .as_ref()
                .is_some_and(|e| e.action == SystemAction::JoinedByLink)
        })
        .count();
    assert_eq!(joins, 1);
}

async fn every_refusal_of_an_invite_link(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let sara = Person::join(app, "sara").await;
    let dan = Person::join(app, "dan").await;
    let eve = Person::join(app, "eve").await;
    let group = create_group(&harley.socket, "Crew", &["mike"]).await;

    // Only admins make or stop links; a direct chat has none.
    assert_eq!(link_refused(&mike, &group).await, ErrorCode::NotAdmin);
    let stop_by_mike = mike
        .socket
        .emit(&RevokeInviteLink { chat_id: group.id })
        .await;
    assert_eq!(stop_by_mike.unwrap_err().code, ErrorCode::NotAdmin);
    assert_eq!(link_refused(&sara, &group).await, ErrorCode::NotMember);
    let direct = create_direct(&harley.socket, "mike").await;
    assert_eq!(link_refused(&harley, &direct).await, ErrorCode::NotGroup);

    // Reset: the old link stops at once, the new one works.
    let old = make_link(&harley, &group, None).await;
    let new = make_link(&harley, &group, None).await;
    assert_ne!(old.token, new.token);
    assert_eq!(join(&sara, &old).await.unwrap_err(), ErrorCode::NotFound);
    let info = sara
        .socket
        .emit(&InviteInfo {
            token: old.token.clone(),
        })
        .await;
    assert_eq!(info.unwrap_err().code, ErrorCode::NotFound);
    join(&sara, &new).await.expect("the new link works");

    // Stopped: not found.
    harley
        .socket
        .emit(&RevokeInviteLink { chat_id: group.id })
        .await
        .unwrap();
    assert_eq!(join(&dan, &new).await.unwrap_err(), ErrorCode::NotFound);

    // Used up: one use, then not found.
    let once = make_link(&harley, &group, Some(1)).await;
    assert_eq!(once.max_uses, Some(1));
    join(&dan, &once).await.expect("the one use");
    assert_eq!(join(&eve, &once).await.unwrap_err(), ErrorCode::NotFound);

    // Removed by the admins: not through a link; added again, it works again.
    let link = make_link(&harley, &group, None).await;
    harley
        .socket
        .emit(&RemoveMember {
            chat_id: group.id,
            user_id: mike.id(),
        })
        .await
        .unwrap();
    assert_eq!(join(&mike, &link).await.unwrap_err(), ErrorCode::NotAllowed);
    harley
        .socket
        .emit(&AddMembers {
            chat_id: group.id,
            members: vec!["mike".into()],
        })
        .await
        .unwrap();
    mike.socket
        .emit(&LeaveChat { chat_id: group.id })
        .await
        .unwrap();
    join(&mike, &link).await.expect("who left may come back");

    // Blocked by the link's maker: refused.
    harley
        .socket
        .emit(&BlockUser {
            user_id: eve.id(),
            blocked: true,
        })
        .await
        .unwrap();
    assert_eq!(join(&eve, &link).await.unwrap_err(), ErrorCode::NotAllowed);
    let members = harley
        .socket
        .emit(&History::latest(group.id))
        .await
        .unwrap();
    assert!(members.iter().all(|m| m.sender_id != eve.id()));
}

/// A person who keeps naming links that do not work is told to wait (the
/// count is in the database: every node sees it); others are not.
#[tokio::test]
async fn guessing_links_is_rate_limited_per_person() {
    let app = spawn_app_with(TempDir::new().unwrap(), |_| {}).await;
    let harley = Person::join(&app, "harley").await;
    let guesser = Person::join(&app, "guesser").await;
    let sara = Person::join(&app, "sara").await;
    Person::join(&app, "mike").await;
    let group = create_group(&harley.socket, "Crew", &["mike"]).await;
    let link = make_link(&harley, &group, None).await;

    let mut answers = Vec::new();
    for guess in 0..12 {
        let answer = guesser
            .socket
            .emit(&InviteInfo {
                token: format!("guess-{guess}"),
            })
            .await
            .unwrap_err()
            .code;
        answers.push(answer);
    }
    let not_found = answers
        .iter()
        .filter(|&&c| c == ErrorCode::NotFound)
        .count();
    assert_eq!(not_found, 11, "{answers:?}");
    assert_eq!(answers.last(), Some(&ErrorCode::RateLimited));
    // While told to wait, even a real link is refused...
    assert_eq!(
        join(&guesser, &link).await.unwrap_err(),
        ErrorCode::RateLimited
    );
    // ...but nobody else is.
    join(&sara, &link).await.expect("Sara is not the guesser");
}

/// Many people from one address (accounts made to spread the guesses) are
/// told to wait together once the address has named fifty links that do not
/// work, though none of them passed their own ten.
#[tokio::test]
async fn guessing_links_is_rate_limited_per_address() {
    let app = spawn_app_with(TempDir::new().unwrap(), |settings| {
        settings.signups_per_hour = 1_000;
    })
    .await;
    let harley = Person::join(&app, "harley").await;
    Person::join(&app, "mike").await;
    let group = create_group(&harley.socket, "Crew", &["mike"]).await;
    let link = make_link(&harley, &group, None).await;
    let mut answers = Vec::new();
    for person in 0..6 {
        let guesser = Person::join(&app, &format!("guesser{person}")).await;
        for guess in 0..9 {
            let asked = InviteInfo {
                token: format!("guess-{person}-{guess}"),
            };
            answers.push(guesser.socket.emit(&asked).await.unwrap_err().code);
        }
    }
    let not_found = answers
        .iter()
        .filter(|&&c| c == ErrorCode::NotFound)
        .count();
    assert_eq!(not_found, 51, "the fifty-first is counted, then the wait");
    assert_eq!(answers.last(), Some(&ErrorCode::RateLimited));
    let newcomer = Person::join(&app, "newcomer").await;
    assert_eq!(
        join(&newcomer, &link).await.unwrap_err(),
        ErrorCode::RateLimited,
        "the same address waits"
    );
}

/// A group of 256 is full: nobody more joins, by a link or otherwise.
#[tokio::test]
async fn a_full_group_takes_nobody_through_its_link() {
    let app = spawn_app_with(TempDir::new().unwrap(), |settings| {
        settings.signups_per_hour = 1_000;
    })
    .await;
    let harley = Person::join(&app, "harley").await;
    let names: Vec<String> = (0..Chat::MAX_GROUP_MEMBERS - 1)
        .map(|i| format!("member{i}"))
        .collect();
    // One at a time: sign-ups take turns at hashing (a burst is `unavailable`).
    for name in &names {
        app.signup(name, "a good password").await;
    }
    let group = harley
        .socket
        .emit(&CreateChat {
            kind: ChatKind::Group,
            name: Some("Everyone".into()),
            members: names.clone(),
        })
        .await
        .unwrap();
    assert_eq!(group.members.len(), Chat::MAX_GROUP_MEMBERS);
    let link = make_link(&harley, &group, None).await;
    let late = Person::join(&app, "late").await;
    assert_eq!(
        join(&late, &link).await.unwrap_err(),
        ErrorCode::InvalidMembers
    );
}

/// A link made on one node, used on the other: the members on both hear it.
#[tokio::test]
async fn a_join_on_one_node_is_heard_on_the_other() {
    let Some(nodes) = two_nodes().await else {
        return;
    };
    let harley = Person::join(&nodes.a, "harley").await;
    let mike = Person::join(&nodes.a, "mike").await;
    let sara_auth = nodes.b.signup("sara", "sara password").await;
    let sara = Person {
        socket: SocketClient::connect(nodes.b.addr, &sara_auth.token).await,
        auth: sara_auth,
    };
    let group = create_group(&harley.socket, "Crew", &["mike"]).await;
    let link = make_link(&harley, &group, None).await;

    let joined = join(&sara, &link).await.expect("joins on node B");
    assert_eq!(joined.members.len(), 3);
    let line = mike.hears_line(group.id, SystemAction::JoinedByLink).await;
    assert_eq!(line.system.map(|e| e.actor_id), Some(sara.id()));
    harley.hears_update(group.id).await;
    // And she hears the group from node B.
    harley.says(&group, "welcome Sara").await;
    sara.socket
        .next_where(|app::protocol::NewMessage(m): &app::protocol::NewMessage| {
            m.body == "welcome Sara"
        })
        .await;
}

/// A group's description: its admins set, change and take it away, each a
/// line in the timeline; members hear it; a link's preview shows it.
async fn admins_describe_a_group(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let sara = Person::join(app, "sara").await;
    let group = create_group(&harley.socket, "Crew", &["mike"]).await;

    let described = harley
        .socket
        .emit(&UpdateChat::describe(
            group.id,
            "  Weekly *climbing*, bring shoes  ",
        ))
        .await
        .unwrap();
    assert_eq!(
        described.description.as_deref(),
        Some("Weekly *climbing*, bring shoes")
    );
    let line = mike.hears_line(group.id, SystemAction::Description).await;
    assert_eq!(
        line.system.map(|e| e.describe(Some(mike.id()))).as_deref(),
        Some("harley changed the group description")
    );
    let told = mike.hears_update(group.id).await;
    assert_eq!(
        told.chat.description.as_deref(),
        Some("Weekly *climbing*, bring shoes")
    );
    let link = make_link(&harley, &group, None).await;
    let preview = sara
        .socket
        .emit(&InviteInfo {
            token: link.token.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        preview.description.as_deref(),
        Some("Weekly *climbing*, bring shoes")
    );

    // Refused: not an admin, too long, nothing asked, a direct chat.
    let by_mike = mike
        .socket
        .emit(&UpdateChat::describe(group.id, "mine now"))
        .await;
    assert_eq!(by_mike.unwrap_err().code, ErrorCode::NotAdmin);
    let too_long = harley
        .socket
        .emit(&UpdateChat::describe(group.id, "x".repeat(501)))
        .await;
    assert_eq!(too_long.unwrap_err().code, ErrorCode::InvalidDescription);
    let nothing = harley
        .socket
        .emit(&UpdateChat {
            chat_id: group.id,
            name: None,
            description: None,
        })
        .await;
    assert_eq!(nothing.unwrap_err().code, ErrorCode::BadRequest);
    let direct = create_direct(&harley.socket, "sara").await;
    let on_direct = harley
        .socket
        .emit(&UpdateChat::describe(direct.id, "us"))
        .await;
    assert_eq!(on_direct.unwrap_err().code, ErrorCode::NotGroup);

    // The same again changes nothing; empty takes it away.
    harley
        .socket
        .emit(&UpdateChat::describe(
            group.id,
            "Weekly *climbing*, bring shoes",
        ))
        .await
        .unwrap();
    let cleared = harley
        .socket
        .emit(&UpdateChat::describe(group.id, ""))
        .await
        .unwrap();
    assert_eq!(cleared.description, None);
    let line = mike.hears_line(group.id, SystemAction::Description).await;
    assert_eq!(
        line.system.map(|e| e.describe(None)).as_deref(),
        Some("harley removed the group description")
    );
    let history = harley
        .socket
        .emit(&History::latest(group.id))
        .await
        .unwrap();
    let lines = history
        .iter()
        .filter(|m| {
            m.system
                .as_ref()
                .is_some_and(|e| e.action == SystemAction::Description)
        })
        .count();
    assert_eq!(lines, 2, "set once, taken away once");
}
