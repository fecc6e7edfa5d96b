//! `parley`: the chat server. Everything of substance lives in the library.

use clap::Parser;
use parley_server::{config::Settings, startup::Application, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::parse();
    telemetry::init(&settings.log);
    let application = Application::build(settings).await?;
    application
        .run_until_stopped(parley_server::shutdown::signal())
        .await?;
    Ok(())
}
