//! `chat-list`: one person in `--chats` groups (made by a few others, each
//! with a message from its maker, three of them pinned), then `--queries`
//! first pages of their `listChats`, a walk through every later page, and
//! `/` (the first HTML, which holds one page) fetched and weighed.

use crate::{
    report::{Latency, Report},
    scenarios::accounts,
    server::Server,
    wire::Socket,
};
use app::{
    model::{Chat, ChatKind},
    protocol::{ClientEvent, CreateChat, ListChats, SendMessage, UpdateChatPrefs},
};
use futures::{StreamExt, stream};
use hdrhistogram::Histogram;
use std::{sync::Arc, time::Instant};

/// Makers of groups, and requests each keeps in flight.
const MAKERS: usize = 4;
const IN_FLIGHT: usize = 16;
/// Chats the person pins.
const PINNED: usize = 3;

pub async fn chat_list(
    server: &Server,
    chats: usize,
    queries: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let (reader, person, made) = reader_in_groups(server, "l", chats).await?;
    report.chats = made.len() as u64;
    for chat in made.iter().step_by(made.len() / PINNED + 1).take(PINNED) {
        let pin = UpdateChatPrefs {
            pinned: Some(true),
            ..UpdateChatPrefs::of(chat.id)
        };
        person.request(&pin).await?;
    }

    // The first page, again and again (what every page load and reconnect asks).
    let mut first = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let server_before = server.event_seconds(ListChats::NAME).await;
    let started = Instant::now();
    let mut listed = 0;
    for _ in 0..queries {
        let asked = Instant::now();
        let page = person.request(&ListChats::first()).await?;
        let _ = first.record(asked.elapsed().as_micros().max(1) as u64);
        listed = page.chats.len();
    }
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    report.first_page = Some(Latency::of(&first));
    // The same requests as the server timed them, without the trip.
    if let (Some(before), Some(after)) =
        (server_before, server.event_seconds(ListChats::NAME).await)
    {
        report.first_page_server = after.since(&before);
    }
    eprintln!("first page: {listed} chats");

    // Every later page, in turn (scrolling to the very end).
    let mut later = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut next = person.request(&ListChats::first()).await?.next;
    let mut seen = listed;
    while let Some(before) = next {
        let asked = Instant::now();
        let page = person.request(&ListChats::after(before)).await?;
        let _ = later.record(asked.elapsed().as_micros().max(1) as u64);
        seen += page.chats.len();
        next = page.next;
    }
    report.later_pages = Some(Latency::of(&later));
    anyhow::ensure!(seen == chats, "the pages listed {seen} of {chats} chats");

    // The first HTML of `/`, as the browser gets it (uncompressed).
    let http = reqwest::Client::new();
    let mut pages = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut bytes = 0;
    for _ in 0..queries.clamp(1, 100) {
        let asked = Instant::now();
        let html = http
            .get(format!("http://{}/", server.addr))
            .header("cookie", format!("parley_session={}", reader.token))
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let _ = pages.record(asked.elapsed().as_micros().max(1) as u64);
        bytes = html.len();
    }
    report.page_latency = Some(Latency::of(&pages));
    report.page_bytes = Some(bytes as u64);
    Ok(())
}

/// One person (signed up, their socket connected) in `chats` groups made by a few
/// others (accounts named after `prefix`), each with a message from its maker.
pub(crate) async fn reader_in_groups(
    server: &Server,
    prefix: &str,
    chats: usize,
) -> anyhow::Result<(app::protocol::AuthReply, Socket, Vec<Chat>)> {
    let users = accounts(server, prefix, MAKERS + 1).await?;
    let (reader, makers) = users.split_first().expect("accounts made");
    let mut sockets = Vec::new();
    for maker in makers {
        let (socket, mut inbox) = Socket::connect(server.addr, &maker.token).await?;
        tokio::spawn(async move { while inbox.recv().await.is_some() {} });
        sockets.push(Arc::new(socket));
    }
    let (person, mut inbox) = Socket::connect(server.addr, &reader.token).await?;
    tokio::spawn(async move { while inbox.recv().await.is_some() {} });
    let made = make_groups(&sockets, &reader.user.username, chats).await?;
    Ok((reader.clone(), person, made))
}

/// `chats` groups of the reader and one maker each, each with a message
/// from its maker; shows progress as it goes (counts, rate, time left).
async fn make_groups(
    makers: &[Arc<Socket>],
    reader: &str,
    chats: usize,
) -> anyhow::Result<Vec<Chat>> {
    let started = Instant::now();
    let made = stream::iter(0..chats)
        .map(|n| {
            let maker = makers[n % makers.len()].clone();
            let reader = reader.to_owned();
            async move {
                let chat = maker
                    .request(&CreateChat {
                        kind: ChatKind::Group,
                        name: Some(format!("group {n}")),
                        members: vec![reader],
                    })
                    .await?;
                maker
                    .request(&SendMessage::new(chat.id, format!("l{n}"), "hello there"))
                    .await?;
                anyhow::Ok(chat)
            }
        })
        .buffer_unordered(IN_FLIGHT * makers.len())
        .enumerate()
        .map(|(done, chat)| {
            let done = done + 1;
            if done % 1000 == 0 || done == chats {
                let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-9);
                let left = (chats - done) as f64 / rate;
                eprintln!("groups: {done}/{chats} ({rate:.0}/s, {left:.0} s left)");
            }
            chat
        })
        .collect::<Vec<_>>()
        .await;
    made.into_iter().collect()
}
