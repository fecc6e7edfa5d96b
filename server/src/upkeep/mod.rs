//! The operator's upkeep of a SQLite instance, from the command line:
//! `parley backup DIR` (a consistent snapshot of a running instance, and its
//! uploads), `parley restore DIR` (into an instance that has nothing yet) and
//! `parley check` (is the database sound, are the uploads all there), and
//! `parley migrate` (onto PostgreSQL, its uploads into a bucket).
//!
//! PostgreSQL and S3 have their own tools for this (`pg_dump`, bucket
//! versioning); these commands say so rather than half-do it.

mod backup;
mod check;
mod migrate;
mod progress;

pub use backup::{backup, restore};
pub use check::check;
pub use migrate::migrate;

use crate::{config::Settings, media::Location};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// What a backup directory holds: the database, and the uploads beside it.
const DATABASE: &str = "parley.db";
const MEDIA: &str = "media";

/// The instance's SQLite file and its uploads' directory (`None`: in a bucket).
fn instance(settings: &Settings) -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
    let database = crate::config::sqlite_file(&settings.database_url)
        .context("this works on a SQLite instance; for PostgreSQL, use pg_dump and pg_restore")?;
    let media = match settings.media_location() {
        Location::Directory(dir) => Some(dir),
        Location::S3 { .. } => None,
    };
    Ok((database, media))
}

/// Opens the instance's database for the upkeep's own statements.
fn open(database: &Path) -> anyhow::Result<rusqlite::Connection> {
    let connection = rusqlite::Connection::open_with_flags(
        database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open {}", database.display()))?;
    // A running server writes meanwhile: wait for its turn, as it waits for ours.
    connection.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(connection)
}

/// Every file under `dir`, as the media store's keys (`a/b.jpg`), leaving
/// out the store's own half-written files (`#…`).
fn files_under(dir: &Path) -> anyhow::Result<Vec<(String, u64)>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
                continue;
            }
            let key = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .components()
                .map(|part| part.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if !key.contains('#') {
                found.push((key, entry.metadata()?.len()));
            }
        }
    }
    found.sort();
    Ok(found)
}
