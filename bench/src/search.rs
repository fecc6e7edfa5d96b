//! `search`: a store of `--messages` messages over `--chats` direct chats,
//! then `--queries` searches by one person, timed. Words come from a fixed
//! vocabulary with a skewed use (a few words are everywhere, most are rare),
//! from a seeded generator, so every run searches the same store.

use crate::{
    report::{Latency, Report},
    scenarios::accounts,
    server::Server,
    wire::Socket,
};
use app::{
    model::{Chat, ChatKind},
    protocol::{CreateChat, Search, SendMessage},
};
use futures::{StreamExt, stream};
use hdrhistogram::Histogram;
use std::{sync::Arc, time::Instant};

/// Messages each loading socket keeps in flight.
const IN_FLIGHT: usize = 64;
/// Words in the vocabulary, and words per message.
const VOCABULARY: usize = 5_000;
const WORDS_PER_MESSAGE: usize = 8;

/// xorshift64*: enough for picking words, and the same every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A word index, small ones far more often (roughly Zipf).
    fn word(&mut self) -> usize {
        let uniform = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((VOCABULARY as f64).powf(uniform) as usize).saturating_sub(1)
    }
}

/// The vocabulary's `n`th word: syllables, so words share prefixes as real ones do.
fn word(n: usize) -> String {
    const SYLLABLES: [&str; 20] = [
        "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "va", "zo", "ba", "fe", "gu", "hi",
        "jo", "ku", "le", "mo", "nu",
    ];
    let mut word = String::new();
    let mut rest = n + 20;
    while rest > 0 {
        word.push_str(SYLLABLES[rest % 20]);
        rest /= 20;
    }
    word
}

fn body(dice: &mut Dice) -> String {
    (0..WORDS_PER_MESSAGE)
        .map(|_| word(dice.word()))
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn search(
    server: &Server,
    chats: usize,
    messages: u64,
    queries: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    // Enough people that each pair of them can have its own chat.
    let people = (2..).find(|n| n * (n - 1) / 2 >= chats).unwrap_or(2);
    let users = accounts(server, "s", people).await?;
    let mut sockets = Vec::with_capacity(people);
    for user in &users {
        let (socket, mut inbox) = Socket::connect(server.addr, &user.token).await?;
        // Nobody reads the events: drop them as they come.
        tokio::spawn(async move { while inbox.recv().await.is_some() {} });
        sockets.push(Arc::new(socket));
    }
    let mut pairs = Vec::with_capacity(chats);
    'pairs: for a in 0..people {
        for b in a + 1..people {
            if pairs.len() == chats {
                break 'pairs;
            }
            pairs.push((a, b));
        }
    }
    let mut created: Vec<(usize, Chat)> = Vec::with_capacity(chats);
    for &(a, b) in &pairs {
        let chat = sockets[a]
            .request(&CreateChat {
                kind: ChatKind::Direct,
                name: None,
                members: vec![users[b].user.username.clone()],
            })
            .await?;
        created.push((a, chat));
    }

    // Load: message n goes to chat n mod chats, sent by that chat's creator.
    let loading = Instant::now();
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let plan: Vec<(usize, SendMessage)> = (0..messages)
        .map(|n| {
            let (sender, chat) = &created[n as usize % created.len()];
            (
                *sender,
                SendMessage::new(chat.id, format!("s{n}"), body(&mut dice)),
            )
        })
        .collect();
    let sent = stream::iter(plan)
        .map(|(sender, request)| {
            let socket = sockets[sender].clone();
            async move { socket.emit(&request).await }
        })
        .buffer_unordered(IN_FLIGHT * 4)
        .fold(0_u64, |errors, sent| async move {
            errors + u64::from(!matches!(sent, Ok(Ok(_))))
        })
        .await;
    report.errors = sent;
    report.messages = messages;
    report.elapsed_seconds = loading.elapsed().as_secs_f64();
    report.messages_per_second = messages as f64 / report.elapsed_seconds;
    eprintln!(
        "loaded {messages} messages in {:.1} s ({sent} refused)",
        report.elapsed_seconds
    );

    // Search as the first person (in `people - 1` of the chats): common and
    // rare words, by a prefix of four letters or whole, one or two words.
    let mut timings = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut found = 0_u64;
    let searcher = &sockets[0];
    for n in 0..queries {
        let first = word(dice.word());
        let query = match n % 3 {
            0 => first.chars().take(4).collect(),
            1 => first,
            _ => format!("{first} {}", word(dice.word())),
        };
        let asked = Instant::now();
        let results = searcher.request(&Search::new(query)).await?;
        let _ = timings.record(asked.elapsed().as_micros().max(1) as u64);
        found += results.results.len() as u64;
    }
    report.search_latency = Some(Latency::of(&timings));
    report.deliveries = found;
    Ok(())
}
