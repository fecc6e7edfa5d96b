//! `pages`: signed-in page loads, as many at once as `--concurrency` says.
//! One person in `--chats` groups (one message each), one of which holds 50
//! messages; `/` and that chat's `/chats/:id` fetched with their cookie and
//! `/login` without one, `--queries` times at each concurrency, asking for
//! brotli as a browser does. Pages per second, percentiles, and the
//! server's CPU for each.

use crate::{
    chat_list::reader_in_groups,
    report::{Latency, PageRun, Report},
    server::{ProcStats, Server},
};
use app::protocol::SendMessage;
use futures::{StreamExt, stream};
use hdrhistogram::Histogram;
use std::time::Instant;

/// Messages in the open chat.
const OPEN_CHAT_MESSAGES: usize = 50;

pub async fn pages(
    server: &Server,
    chats: usize,
    queries: usize,
    concurrency: &[usize],
    report: &mut Report,
) -> anyhow::Result<()> {
    let (reader, person, made) = reader_in_groups(server, "p", chats.max(1)).await?;
    report.chats = made.len() as u64;
    let open = &made[0];
    for n in 1..OPEN_CHAT_MESSAGES {
        let line = format!("line {n} of the open chat, long enough to read like one");
        person
            .request(&SendMessage::new(open.id, format!("o{n}"), line))
            .await?;
    }

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let cookie = format!("parley_session={}", reader.token);
    let chat_page = format!("/chats/{}", open.id);
    for (path, signed_in) in [("/", true), (chat_page.as_str(), true), ("/login", false)] {
        for &at_once in concurrency {
            let url = format!("http://{}{path}", server.addr);
            let cookie = signed_in.then_some(cookie.as_str());
            let stats = || server.pid().and_then(|pid| ProcStats::read(Some(pid)));
            let before = stats();
            let mut run = load(&http, &url, cookie, at_once.max(1), queries).await?;
            if let (Some(before), Some(after)) = (before, stats()) {
                run.server_cpu_seconds = Some(after.cpu_seconds - before.cpu_seconds);
            }
            run.path = if signed_in && path != "/" {
                "/chats/:id".into()
            } else {
                path.into()
            };
            eprintln!(
                "{}: {:.0} pages/s at {at_once}",
                run.path, run.pages_per_second
            );
            report.pages.push(run);
        }
    }
    Ok(())
}

/// `queries` fetches of `url`, `at_once` in flight.
async fn load(
    http: &reqwest::Client,
    url: &str,
    cookie: Option<&str>,
    at_once: usize,
    queries: usize,
) -> anyhow::Result<PageRun> {
    let started = Instant::now();
    let fetched: Vec<anyhow::Result<(u64, usize)>> = stream::iter(0..queries)
        .map(|_| async move {
            let asked = Instant::now();
            let mut request = http.get(url).header("accept-encoding", "br");
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            let body = request.send().await?.error_for_status()?.bytes().await?;
            Ok((asked.elapsed().as_micros().max(1) as u64, body.len()))
        })
        .buffer_unordered(at_once)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut bytes = 0;
    for result in fetched {
        let (micros, size) = result?;
        let _ = latency.record(micros);
        bytes = size;
    }
    Ok(PageRun {
        path: String::new(),
        concurrency: at_once,
        pages_per_second: queries as f64 / elapsed,
        latency: Latency::of(&latency),
        bytes: bytes as u64,
        server_cpu_seconds: None,
    })
}
