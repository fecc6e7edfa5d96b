//! `parley`: the chat server. Everything of substance lives in the library.

use clap::Parser;
use parley_server::{
    admin,
    config::{Command, Settings},
    startup::Application,
    telemetry, upkeep,
};

/// mimalloc rather than glibc's malloc: glibc keeps what argon2's 19 MiB
/// hashes and thousands of sockets' buffers once used in per-thread arenas,
/// mimalloc hands it back (see docs/PERFORMANCE.md for the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut settings = Settings::parse();
    if let Some(command) = settings.command.take() {
        // The operator reads what the command prints, not the server's log.
        telemetry::init("warn");
        return match command {
            Command::Admin(command) => admin::cli::run(&settings, command).await,
            Command::Backup { dir } => upkeep::backup(&settings, &dir),
            Command::Restore { dir } => upkeep::restore(&settings, &dir),
            Command::Check => {
                let problems = upkeep::check(&settings)?;
                for problem in &problems {
                    eprintln!("{problem}");
                }
                anyhow::ensure!(problems.is_empty(), "{} problems found", problems.len());
                Ok(())
            }
        };
    }
    telemetry::init(&settings.log);
    let application = Application::build(settings).await?;
    application
        .run_until_stopped(parley_server::shutdown::signal())
        .await?;
    Ok(())
}
