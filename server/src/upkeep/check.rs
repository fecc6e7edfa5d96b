//! `parley check`: whether the database is sound (SQLite's
//! `integrity_check`, the search index's own `integrity-check`) and the
//! uploads match it (every stored file named, none named missing).

use super::{files_under, instance, open};
use crate::config::Settings;
use std::collections::HashSet;

/// What was found wrong; nothing: sound.
pub fn check(settings: &Settings) -> anyhow::Result<Vec<String>> {
    let (database, media) = instance(settings)?;
    anyhow::ensure!(database.is_file(), "{} does not exist", database.display());
    let connection = open(&database)?;
    let mut problems = Vec::new();
    let mut statement = connection.prepare("PRAGMA integrity_check")?;
    let verdicts: Vec<String> = statement
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if verdicts != ["ok"] {
        problems.extend(verdicts.into_iter().map(|line| format!("database: {line}")));
    }
    if let Err(error) = connection.execute(
        "INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')",
        [],
    ) {
        problems.push(format!("search index: {error} (rebuild it: it is derived)"));
    }
    println!(
        "database: {}",
        if problems.is_empty() { "ok" } else { "damaged" }
    );
    let Some(dir) = media else {
        println!("uploads: in a bucket, not checked");
        return Ok(problems);
    };
    let mut named: HashSet<String> = HashSet::new();
    let mut statement = connection.prepare("SELECT object_key, thumbnail_key FROM attachments")?;
    let rows = statement.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
    })?;
    for row in rows {
        let (object, thumbnail) = row?;
        named.insert(object);
        named.extend(thumbnail);
    }
    let stored: HashSet<String> = files_under(&dir)?.into_iter().map(|(key, _)| key).collect();
    let mut missing: Vec<&String> = named.difference(&stored).collect();
    missing.sort();
    problems.extend(
        missing
            .iter()
            .map(|key| format!("uploads: {key} is named but missing")),
    );
    let orphans = stored.difference(&named).count();
    println!(
        "uploads: {} named, {} missing, {orphans} stored but named by nothing",
        named.len(),
        missing.len()
    );
    Ok(problems)
}
