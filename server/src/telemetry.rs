//! Structured logs through `tracing`.

use std::io::IsTerminal;
use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber. A bad filter falls back to `info` rather than
/// refusing to start.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // A test binary may call this more than once; only the first call wins.
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_ansi(colour)
        .try_init();
}
