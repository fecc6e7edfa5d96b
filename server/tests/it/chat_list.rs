//! The chat list of someone in many chats: paged (`listChats` with a
//! `before` cursor), pinned chats on the first page, newest activity first,
//! every chat exactly once however the list moves between pages; and the
//! first HTML holding one page. (Its speed at 10 000 chats is a benchmark:
//! `parley-bench chat-list`, figures in docs/PERFORMANCE.md.)

use crate::{
    on_both,
    support::chats::{create_direct, create_group},
    support::{
        backends::{Backend, Running},
        people::Person,
    },
};
use app::{
    model::{Chat, ChatId},
    protocol::{ChatPage, ErrorCode, ListChats, UpdateChatPrefs},
};

on_both!(a_person_in_many_chats_gets_their_list_a_page_at_a_time);

/// Mike puts Harley in `groups` groups, one after another (so each is newer
/// than the one before), and has a direct chat with her.
async fn harley_in_many_chats(app: &crate::support::app::TestApp, groups: usize) -> Many {
    let mike = Person::join(app, "mike").await;
    let harley = Person::join(app, "harley").await;
    let direct = create_direct(&mike.socket, "harley").await;
    let mut made = Vec::new();
    for n in 0..groups {
        made.push(create_group(&mike.socket, &format!("g{n:02}"), &["harley"]).await);
    }
    Many {
        mike,
        harley,
        direct,
        groups: made,
    }
}

struct Many {
    mike: Person,
    harley: Person,
    direct: Chat,
    /// Oldest first.
    groups: Vec<Chat>,
}

async fn page(person: &Person, before: Option<&str>, limit: u32) -> ChatPage {
    person
        .socket
        .emit(&ListChats {
            before: before.map(str::to_owned),
            limit: Some(limit),
        })
        .await
        .expect("a page of chats")
}

fn ids(page: &ChatPage) -> Vec<ChatId> {
    page.chats.iter().map(|summary| summary.chat.id).collect()
}

async fn a_person_in_many_chats_gets_their_list_a_page_at_a_time(backend: Backend) {
    let Some(running) = Running::start(backend).await else {
        return;
    };
    let Many {
        mike,
        harley,
        direct,
        groups,
    } = harley_in_many_chats(&running.app, 30).await;
    // Harley pins an old group and the direct chat; news comes to g05.
    for chat in [groups[3].id, direct.id] {
        let pin = UpdateChatPrefs {
            pinned: Some(true),
            ..UpdateChatPrefs::of(chat)
        };
        harley.socket.emit(&pin).await.expect("pinned");
    }
    mike.says(&groups[5], "news").await;

    // The first page: both pinned chats, then the ten of newest activity.
    let first = page(&harley, None, 10).await;
    let pinned: Vec<ChatId> = first
        .chats
        .iter()
        .take_while(|summary| summary.pinned)
        .map(|summary| summary.chat.id)
        .collect();
    assert_eq!(pinned.len(), 2, "{:?}", ids(&first));
    assert!(pinned.contains(&direct.id) && pinned.contains(&groups[3].id));
    let newest: Vec<ChatId> = [5, 29, 28, 27, 26, 25, 24, 23, 22, 21]
        .iter()
        .map(|&n| groups[n].id)
        .collect();
    assert_eq!(ids(&first)[2..], newest[..]);
    let next = first.next.expect("more to come");

    // News in the oldest group while Harley scrolls: it moves above the
    // pages already read (her page hears of it live), and the pages below
    // neither repeat a chat nor skip one.
    mike.says(&groups[0], "still there?").await;
    let second = page(&harley, Some(&next), 10).await;
    let third = page(&harley, Some(second.next.as_deref().expect("more")), 10).await;
    assert_eq!(third.next, None, "the last page says so");
    let rest: Vec<ChatId> = [
        20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 4, 2, 1,
    ]
    .iter()
    .map(|&n| groups[n].id)
    .collect();
    assert_eq!([ids(&second), ids(&third)].concat(), rest);
    assert!(
        second
            .chats
            .iter()
            .chain(&third.chats)
            .all(|summary| !summary.pinned),
        "pinned chats are on the first page only"
    );

    // The first page again has the moved chat on top of the unpinned.
    let again = page(&harley, None, 10).await;
    assert_eq!(ids(&again)[2], groups[0].id);
    let summary = &again.chats[2];
    let last = summary.last_message.as_ref().map(|m| m.body.as_str());
    assert_eq!((last, summary.unread_count), (Some("still there?"), 1));

    // A cursor the server never gave, or an empty page, is refused.
    for wrong in [
        ListChats::after("yesterday"),
        ListChats {
            before: None,
            limit: Some(0),
        },
    ] {
        let refused = harley.socket.emit(&wrong).await.expect_err("refused");
        assert_eq!(refused.code, ErrorCode::BadRequest, "{wrong:?}");
    }
}

/// The first HTML of `/` holds the first page of a long list (and the way to
/// the next), not the whole list.
#[tokio::test]
async fn the_first_html_holds_one_page_of_a_long_chat_list() {
    let app = crate::support::app::spawn_app().await;
    let shown = ListChats::DEFAULT_LIMIT as usize;
    let many = harley_in_many_chats(&app, shown + 5).await;
    app.post_form(
        "/login",
        &[("username", "harley"), ("password", "harley password")],
    )
    .await;
    let html = app.html("/").await;
    let rows = html.matches(r#"data-testid="chat-row""#).count();
    assert_eq!(rows, shown, "{html}");
    assert!(html.contains(r#"data-testid="more-chats""#), "{html}");
    // The newest are the ones shown; the oldest are not.
    let newest = format!(">g{:02}<", shown + 4);
    assert!(html.contains(&newest) && !html.contains(">g00<"), "{html}");
    drop(many);
}

/// The SQL statements one `listChats` of every chat runs (counted by the
/// server, per event).
async fn statements_of_listing(app: &crate::support::app::TestApp, person: &Person) -> f64 {
    const SERIES: &str = "parley_event_statements_total{event=\"listChats\"}";
    let before = app.metric(SERIES).await;
    let listed = page(person, None, ListChats::MAX_LIMIT).await;
    assert!(listed.next.is_none(), "one page holds them all");
    app.metric(SERIES).await - before
}

/// Every chat with an unread message, some mentioning Harley: each part of
/// the list (last messages, unread and mention counts) has work to do.
async fn with_news(many: &Many, from: usize) {
    for (n, group) in many.groups.iter().enumerate().skip(from) {
        let body = if n % 2 == 0 { "@harley look" } else { "news" };
        many.mike.says(group, body).await;
    }
    many.mike.says(&many.direct, "and here").await;
}

#[tokio::test]
async fn the_chat_list_runs_as_many_statements_for_fifty_chats_as_for_three() {
    // Mike makes a hundred chats and messages in a row: no rate limit for him.
    let app = crate::support::app::spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.event_burst = 1000.0;
    })
    .await;
    let mut many = harley_in_many_chats(&app, 2).await;
    with_news(&many, 0).await;
    let three = statements_of_listing(&app, &many.harley).await;
    assert!(three > 0.0, "the statements are counted");

    for n in 2..49 {
        let group = create_group(&many.mike.socket, &format!("g{n:02}"), &["harley"]).await;
        many.groups.push(group);
    }
    with_news(&many, 2).await;
    let fifty = statements_of_listing(&app, &many.harley).await;
    assert_eq!(fifty, three, "50 chats cost the statements 3 did ({three})");
}
