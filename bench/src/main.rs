//! `parley-bench`: throughput, latency percentiles and memory per connection of
//! a Parley server, on loopback. See docs/PERFORMANCE.md.

mod avalanche;
mod chat_list;
mod pages;
mod report;
mod scenarios;
mod search;
mod server;
mod wire;

use clap::{Parser, ValueEnum};
use report::Report;
use scenarios::Limits;
use server::{Launch, Server};
use std::{net::SocketAddr, path::PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// N authenticated sockets held open: memory per socket.
    Idle,
    /// Pairs chatting as fast as the server takes.
    Direct,
    /// Groups of 50, every message fanned out to 49.
    Group,
    /// A user with 10 000 unread messages opens the chat.
    Unread,
    /// Signed-in page loads (`/`, `/chats/:id`) and `/login`, `--queries`
    /// each at every `--concurrency`, for a person in `--chats` chats.
    Pages,
    /// `direct` with senders on one node and receivers on another (needs
    /// `--database-url postgres://…` and `--redis-url`).
    MultiNode,
    /// A restart under `--users` × `--sockets-each` sockets (needs --addr and
    /// --restart-command).
    Avalanche,
    /// `--messages` messages over `--chats` chats, then `--queries` searches.
    Search,
    /// One person in `--chats` groups: `--queries` first pages of their
    /// chat list, every later page, and the first HTML of `/`.
    ChatList,
}

#[derive(Debug, Parser)]
#[command(
    name = "parley-bench",
    about = "Load, latency and memory figures for a Parley server"
)]
struct Args {
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// The `parley` binary to start (the bench reads its /proc). Ignored with --addr.
    #[arg(long, default_value = "target/release/parley")]
    server: PathBuf,
    /// Use a server that is already running on this loopback address instead.
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// Database for the started server(s); a temp SQLite file by default.
    #[arg(long)]
    database_url: Option<String>,
    /// Redis for the started server(s) (multi-node).
    #[arg(long)]
    redis_url: Option<String>,
    /// idle: sockets to hold.
    #[arg(long, default_value_t = 10_000)]
    sockets: usize,
    /// direct, multi-node: chatting pairs.
    #[arg(long, default_value_t = 50)]
    pairs: usize,
    /// group: how many groups, of how many members, with how many senders each.
    #[arg(long, default_value_t = 4)]
    groups: usize,
    #[arg(long, default_value_t = 50)]
    group_size: usize,
    #[arg(long, default_value_t = 5)]
    senders_per_group: usize,
    /// unread: messages waiting.
    #[arg(long, default_value_t = 10_000)]
    unread: u64,
    /// Messages each sender sends at most…
    #[arg(long, default_value_t = 1_000)]
    messages: u64,
    /// …and for at most this long.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// avalanche: people, and sockets each.
    #[arg(long, default_value_t = 100)]
    users: usize,
    #[arg(long, default_value_t = 50)]
    sockets_each: usize,
    /// avalanche: restarts the server (on the same address and database) and
    /// returns, e.g. `kill -TERM $(cat pid) && ./start-again`.
    #[arg(long)]
    restart_command: Option<String>,
    /// search: chats to spread the messages over, and searches to time;
    /// chat-list: chats the person is in, and first pages to time.
    #[arg(long, default_value_t = 1_000)]
    chats: usize,
    #[arg(long, default_value_t = 500)]
    queries: usize,
    /// pages: how many requests are in flight at once, each run in turn.
    #[arg(long, value_delimiter = ',', default_value = "1,4,32")]
    concurrency: Vec<usize>,
    /// The started server's worker threads (tokio's; default: one per core).
    #[arg(long)]
    server_threads: Option<usize>,
    /// Print one JSON record instead of the table.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let launch = Launch {
        binary: args.server.clone(),
        database_url: args.database_url.clone(),
        redis_url: args.redis_url.clone(),
        threads: args.server_threads,
    };
    let start = || async {
        match args.addr {
            Some(addr) => Server::existing(addr).await,
            None => Server::start(&launch).await,
        }
    };
    let limits = Limits {
        messages_per_sender: args.messages,
        seconds: args.seconds,
    };
    let database = match &args.database_url {
        Some(url) if url.starts_with("postgres") => "PostgreSQL",
        _ => "SQLite",
    };
    let mut report = Report {
        scenario: format!("{:?}", args.scenario).to_lowercase(),
        database: database.into(),
        nodes: 1,
        ..Default::default()
    };
    match args.scenario {
        Scenario::Idle => scenarios::idle(&start().await?, args.sockets, &mut report).await?,
        Scenario::Direct => {
            let server = start().await?;
            scenarios::direct(&server, &server, args.pairs, limits, &mut report).await?;
        }
        Scenario::Group => {
            let server = start().await?;
            scenarios::group(
                &server,
                args.groups,
                args.group_size,
                args.senders_per_group,
                limits,
                &mut report,
            )
            .await?;
        }
        Scenario::Unread => scenarios::unread(&start().await?, args.unread, &mut report).await?,
        Scenario::Search => {
            let server = start().await?;
            search::search(
                &server,
                args.chats,
                args.messages,
                args.queries,
                &mut report,
            )
            .await?;
        }
        Scenario::Pages => {
            let server = start().await?;
            pages::pages(
                &server,
                args.chats,
                args.queries,
                &args.concurrency,
                &mut report,
            )
            .await?;
        }
        Scenario::ChatList => {
            let server = start().await?;
            chat_list::chat_list(&server, args.chats, args.queries, &mut report).await?;
        }
        Scenario::Avalanche => {
            let (Some(_), Some(restart)) = (args.addr, args.restart_command.as_deref()) else {
                anyhow::bail!(
                    "avalanche restarts a running server: give --addr and --restart-command"
                );
            };
            let server = start().await?;
            let accounts = scenarios::accounts(&server, "a", args.users).await?;
            avalanche::avalanche(&server, &accounts, args.sockets_each, restart, &mut report)
                .await?;
        }
        Scenario::MultiNode => {
            anyhow::ensure!(
                args.redis_url.is_some() && args.addr.is_none(),
                "multi-node starts two servers: give --redis-url (and --database-url postgres://…)"
            );
            let (a, b) = (Server::start(&launch).await?, Server::start(&launch).await?);
            report.nodes = 2;
            eprintln!("nodes: {}", scenarios::describe(&[a.addr, b.addr]));
            scenarios::direct(&a, &b, args.pairs, limits, &mut report).await?;
        }
    }
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}
