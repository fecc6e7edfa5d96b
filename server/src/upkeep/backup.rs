//! `parley backup DIR` and `parley restore DIR`.

use super::{DATABASE, MEDIA, files_under, instance, open};
use crate::config::Settings;
use anyhow::{Context, ensure};
use std::{path::Path, time::Instant};

/// Writes a consistent snapshot of the instance's database into `to` (which
/// must not exist yet) with `VACUUM INTO`: a running server goes on writing
/// meanwhile, and the copy holds everything committed before it began. Then
/// the uploads: every one the snapshot names was written before it.
pub fn backup(settings: &Settings, to: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let (database, media) = instance(settings)?;
    ensure!(
        !to.exists(),
        "{} exists: a backup never overwrites",
        to.display()
    );
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let snapshot = to.join(DATABASE);
    let connection = open(&database)?;
    connection
        .execute("VACUUM INTO ?1", [snapshot.to_string_lossy()])
        .context("the snapshot failed")?;
    let messages: i64 =
        connection.query_row("SELECT COUNT(*) FROM messages", [], |row| row.get(0))?;
    println!("database: {messages} messages → {}", snapshot.display());
    match media {
        Some(dir) => {
            let (files, bytes) = copy_files(&dir, &to.join(MEDIA))?;
            println!(
                "uploads: {files} files, {bytes} bytes → {}",
                to.join(MEDIA).display()
            );
        }
        None => {
            println!("uploads: in a bucket, not copied (back the bucket up with its own tools)")
        }
    }
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Puts a backup made by [`backup`] where the configuration says the
/// instance lives. Refuses when a database is there already: a restore never
/// overwrites (and so never a live instance).
pub fn restore(settings: &Settings, from: &Path) -> anyhow::Result<()> {
    let (database, media) = instance(settings)?;
    let snapshot = from.join(DATABASE);
    ensure!(
        snapshot.is_file(),
        "{} is no backup: it has no {DATABASE}",
        from.display()
    );
    let taken = |path: &Path| path.metadata().is_ok_and(|meta| meta.len() > 0);
    ensure!(
        !taken(&database) && !taken(&database.with_extension("db-wal")),
        "{} holds a database already: restore into an instance that has none",
        database.display()
    );
    if let Some(parent) = database
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)?;
    }
    // Whole or not at all: copied beside, then renamed into place.
    let beside = database.with_extension("db.restoring");
    std::fs::copy(&snapshot, &beside)?;
    std::fs::rename(&beside, &database)?;
    println!("database: {} → {}", snapshot.display(), database.display());
    match media {
        Some(dir) => {
            ensure!(
                files_under(&dir)?.is_empty(),
                "{} holds uploads already: restore into an instance that has none",
                dir.display()
            );
            let (files, bytes) = copy_files(&from.join(MEDIA), &dir)?;
            println!("uploads: {files} files, {bytes} bytes → {}", dir.display());
        }
        None => {
            println!("uploads: the configuration names a bucket; restore it with its own tools")
        }
    }
    Ok(())
}

/// Copies every file under `from` to the same place under `to`; how many
/// files and bytes.
fn copy_files(from: &Path, to: &Path) -> anyhow::Result<(usize, u64)> {
    let files = files_under(from)?;
    let mut bytes = 0;
    for (key, _) in &files {
        let target = to.join(key);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        bytes +=
            std::fs::copy(from.join(key), &target).with_context(|| format!("cannot copy {key}"))?;
    }
    std::fs::create_dir_all(to)?;
    Ok((files.len(), bytes))
}
