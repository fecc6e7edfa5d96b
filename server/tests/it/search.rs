//! Finding what was said: prefix, case and accents, membership and joining,
//! deletes and edits, paging and bad queries, on SQLite and PostgreSQL; and
//! mentions, resolved for members only.

use crate::{
    on_both,
    support::chats::{create_direct, create_group},
    support::{backends::Running, people::Person},
};
use app::{
    model::{Chat, Message},
    protocol::{
        AddMembers, DeleteMessage, EditMessage, ErrorCode, History, JoinRoom, MarkSeen, Search,
        SearchResults,
    },
};

on_both!(
    words_match_by_prefix_whatever_their_case_and_accents,
    only_what_the_searcher_may_read_is_found,
    results_come_newest_first_in_pages,
    bad_queries_are_refused_and_nothing_is_syntax,
    mentions_name_members_and_count_until_read,
);

async fn search(person: &Person, query: &str) -> SearchResults {
    person
        .socket
        .emit(&Search::new(query))
        .await
        .expect("search")
}

fn bodies(results: &SearchResults) -> Vec<&str> {
    results
        .results
        .iter()
        .map(|hit| hit.message.body.as_str())
        .collect()
}

async fn words_match_by_prefix_whatever_their_case_and_accents(
    backend: crate::support::backends::Backend,
) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let _mike = Person::join(app, "mike").await;
    let chat = create_direct(&harley.socket, "mike").await;
    harley.says(&chat, "Meet me at the Café Noir at five").await;
    harley.says(&chat, "the cafeteria is closed").await;
    harley.says(&chat, "nothing to see here").await;

    assert_eq!(
        bodies(&search(&harley, "cafe").await),
        [
            "the cafeteria is closed",
            "Meet me at the Café Noir at five"
        ]
    );
    assert_eq!(
        bodies(&search(&harley, "CAFÉ noi").await),
        ["Meet me at the Café Noir at five"],
        "every word must match"
    );
    assert!(bodies(&search(&harley, "noir elephant").await).is_empty());
    let hit = &search(&harley, "noir").await.results[0];
    assert_eq!(hit.chat.id, chat.id);
    let marked: Vec<&str> = hit
        .snippet
        .iter()
        .filter(|part| part.is_match)
        .map(|part| part.text.as_str())
        .collect();
    assert_eq!(marked, ["Noir"]);
    let text: String = hit.snippet.iter().map(|part| part.text.as_str()).collect();
    assert_eq!(text, "Meet me at the Café Noir at five");
}

async fn only_what_the_searcher_may_read_is_found(backend: crate::support::backends::Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let sara = Person::join(app, "sara").await;
    let direct = create_direct(&harley.socket, "mike").await;
    harley.says(&direct, "secret plan alpha").await;
    let group = create_group(&harley.socket, "Crew", &["mike"]).await;
    harley.says(&group, "plan before sara").await;
    harley
        .socket
        .emit(&AddMembers {
            chat_id: group.id,
            members: vec!["sara".into()],
        })
        .await
        .unwrap();
    harley.says(&group, "plan after sara").await;
    let doomed = harley.says(&group, "plan to delete").await;
    let edited = harley.says(&group, "plan typo").await;

    // Sara: only the group, only from her joining on.
    assert_eq!(
        bodies(&search(&sara, "plan").await),
        ["plan typo", "plan to delete", "plan after sara"]
    );
    // Deleted: found by nobody; edited: by its new words only.
    harley
        .socket
        .emit(&DeleteMessage {
            chat_id: group.id,
            message_id: doomed.id,
        })
        .await
        .unwrap();
    harley
        .socket
        .emit(&EditMessage {
            chat_id: group.id,
            message_id: edited.id,
            body: "blueprint fixed".into(),
        })
        .await
        .unwrap();
    assert_eq!(bodies(&search(&sara, "plan").await), ["plan after sara"]);
    assert_eq!(bodies(&search(&sara, "typo").await), Vec::<&str>::new());
    assert_eq!(bodies(&search(&sara, "bluep").await), ["blueprint fixed"]);
    // Mike: his direct chat and the whole group.
    assert_eq!(
        bodies(&search(&mike, "plan").await),
        ["plan after sara", "plan before sara", "secret plan alpha"]
    );
    // Narrowed to one chat; someone else's chat is not theirs to search.
    let narrowed = mike
        .socket
        .emit(&Search {
            chat_id: Some(direct.id),
            ..Search::new("plan")
        })
        .await
        .unwrap();
    assert_eq!(bodies(&narrowed), ["secret plan alpha"]);
    let refused = sara
        .socket
        .emit(&Search {
            chat_id: Some(direct.id),
            ..Search::new("plan")
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotMember);
}

async fn results_come_newest_first_in_pages(backend: crate::support::backends::Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let _mike = Person::join(app, "mike").await;
    let chat = create_direct(&harley.socket, "mike").await;
    let mut sent: Vec<Message> = Vec::new();
    for n in 0..7 {
        sent.push(harley.says(&chat, &format!("report number {n}")).await);
    }
    let mut found: Vec<String> = Vec::new();
    let mut before = None;
    loop {
        let page = harley
            .socket
            .emit(&Search {
                limit: Some(3),
                before: before.clone(),
                ..Search::new("report")
            })
            .await
            .unwrap();
        assert!(page.results.len() <= 3);
        found.extend(page.results.iter().map(|hit| hit.message.body.clone()));
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    let newest_first: Vec<String> = sent.iter().rev().map(|m| m.body.clone()).collect();
    assert_eq!(found, newest_first);

    // Landing on a hit: the messages around it.
    let hit = &sent[3];
    let around = harley
        .socket
        .emit(&History {
            around_seq: Some(hit.seq),
            limit: Some(4),
            ..History::latest(chat.id)
        })
        .await
        .unwrap();
    let seqs: Vec<i64> = around.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [hit.seq - 2, hit.seq - 1, hit.seq, hit.seq + 1]);
    let mixed = harley
        .socket
        .emit(&History {
            around_seq: Some(hit.seq),
            before_seq: Some(hit.seq),
            ..History::latest(chat.id)
        })
        .await
        .unwrap_err();
    assert_eq!(mixed.code, ErrorCode::BadRequest);
}

async fn bad_queries_are_refused_and_nothing_is_syntax(backend: crate::support::backends::Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let _mike = Person::join(app, "mike").await;
    let chat = create_direct(&harley.socket, "mike").await;
    harley
        .says(&chat, "a \"quoted\" thing AND more - NEAR(x)")
        .await;
    for bad in ["a", &"x".repeat(201), "\"*\"", "   "] {
        let refused = harley.socket.emit(&Search::new(bad)).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::BadRequest, "{bad:?}");
    }
    for odd in [
        "\"quoted",
        "thing*",
        "AND more",
        "NEAR(x",
        "-more",
        "quoted\" OR \"x",
        "x:*|",
    ] {
        harley
            .socket
            .emit(&Search::new(odd))
            .await
            .unwrap_or_else(|error| panic!("{odd:?} is just words: {error:?}"));
    }
    assert_eq!(
        bodies(&search(&harley, "\"quoted\" AND").await),
        ["a \"quoted\" thing AND more - NEAR(x)"]
    );
    let forged = harley
        .socket
        .emit(&Search {
            before: Some("not-a-cursor".into()),
            ..Search::new("thing")
        })
        .await
        .unwrap_err();
    assert_eq!(forged.code, ErrorCode::BadRequest);
    // The server goes on serving.
    assert_eq!(search(&harley, "thing").await.results.len(), 1);
}

async fn mentions_name_members_and_count_until_read(backend: crate::support::backends::Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let app = &running.app;
    let harley = Person::join(app, "harley").await;
    let mike = Person::join(app, "mike").await;
    let _stranger = Person::join(app, "stranger").await;
    let group: Chat = create_group(&mike.socket, "Crew", &["harley"]).await;
    let sent = mike
        .says(
            &group,
            "@harley look, and @stranger and @nobody and email a@b.c",
        )
        .await;
    assert_eq!(sent.mentions, [harley.id()], "members only");
    mike.says(&group, "no mention here").await;
    let list = harley.chats().await;
    let row = list.iter().find(|s| s.chat.id == group.id).unwrap();
    assert_eq!((row.unread_count, row.mention_count), (2, 1));
    // An edit resolves again.
    let edited = mike
        .socket
        .emit(&EditMessage {
            chat_id: group.id,
            message_id: sent.id,
            body: "never mind".into(),
        })
        .await
        .unwrap();
    assert!(edited.mentions.is_empty());
    let again = mike.says(&group, "ping @Harley!").await;
    assert_eq!(again.mentions, [harley.id()]);
    // Read: the badge goes.
    harley
        .socket
        .emit(&MarkSeen {
            chat_id: group.id,
            seq: again.seq,
        })
        .await
        .unwrap();
    let list = harley.chats().await;
    let row = list.iter().find(|s| s.chat.id == group.id).unwrap();
    assert_eq!(row.mention_count, 0);
    // Direct chats resolve none.
    let direct = create_direct(&mike.socket, "harley").await;
    assert!(mike.says(&direct, "@harley hi").await.mentions.is_empty());
    let opened = harley
        .socket
        .emit(&JoinRoom { chat_id: group.id })
        .await
        .unwrap();
    assert!(opened.messages.iter().any(|m| m.mentions == [harley.id()]));
}
