//! `parley`: the chat server. Everything of substance lives in the library.

use parley_server::{
    admin,
    config::{self, Command, ConfigError},
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
    let mut loaded = match config::load() {
        Ok(loaded) => loaded,
        // `--help`, `--version` and refused flags: clap says it and exits.
        Err(ConfigError::Arguments(error)) => error.exit(),
        Err(error) => {
            eprintln!("parley: {error}");
            std::process::exit(2);
        }
    };
    let command = loaded.settings.command.take();
    let settings = &loaded.settings;
    if let Some(command) = command.filter(|command| !matches!(command, Command::Serve)) {
        // The operator reads what the command prints, not the server's log.
        // (sqlx's slow-statement warnings are for a server's log, not a
        // bulk copy's screen.)
        telemetry::init("warn,sqlx=error");
        return match command {
            Command::Serve => Ok(()),
            Command::Config { table: false } => {
                print!("{}", loaded.report());
                Ok(())
            }
            Command::Config { table: true } => {
                print!("{}", config::markdown_table());
                Ok(())
            }
            Command::Admin(command) => admin::cli::run(settings, command).await,
            Command::Backup { dir } => upkeep::backup(settings, &dir),
            Command::Restore { dir } => upkeep::restore(settings, &dir),
            Command::Migrate { to, media_to } => {
                upkeep::migrate(settings, &to, media_to.as_deref()).await
            }
            Command::Check => {
                let problems = upkeep::check(settings)?;
                for problem in &problems {
                    eprintln!("{problem}");
                }
                anyhow::ensure!(problems.is_empty(), "{} problems found", problems.len());
                Ok(())
            }
        };
    }
    telemetry::init(&settings.log);
    let application = Application::build(loaded.settings).await?;
    application
        .run_until_stopped(parley_server::shutdown::signal())
        .await?;
    Ok(())
}
