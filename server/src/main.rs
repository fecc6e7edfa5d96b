//! `parley`: the chat server. Everything of substance lives in the library.

use clap::Parser;
use parley_server::{
    admin,
    config::{Command, Settings},
    startup::Application,
    telemetry,
};

/// mimalloc rather than glibc's malloc: glibc keeps what argon2's 19 MiB
/// hashes and thousands of sockets' buffers once used in per-thread arenas,
/// mimalloc hands it back (see docs/PERFORMANCE.md for the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut settings = Settings::parse();
    if let Some(Command::Admin(command)) = settings.command.take() {
        // The operator reads what the command prints, not the server's log.
        telemetry::init("warn");
        return admin::cli::run(&settings, command).await;
    }
    telemetry::init(&settings.log);
    let application = Application::build(settings).await?;
    application
        .run_until_stopped(parley_server::shutdown::signal())
        .await?;
    Ok(())
}
