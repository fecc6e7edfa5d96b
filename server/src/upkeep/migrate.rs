//! `parley migrate --to postgres://… [--media-to s3://…]`: a SQLite instance
//! onto PostgreSQL (and its uploads into a bucket), for when one machine is
//! not enough.
//!
//! The rows go all or nothing (`store::Transfer`: one snapshot read, one
//! transaction written); the uploads go first, each put whole, so a second
//! run after a failure simply puts them again. The source is only read.

use super::progress::Progress;
use crate::{
    config::Settings,
    media::{Location, Media},
    store::Transfer,
};
use anyhow::{Context, bail};
use std::{collections::HashMap, time::Instant};

pub async fn migrate(settings: &Settings, to: &str, media_to: Option<&str>) -> anyhow::Result<()> {
    let started = Instant::now();
    if crate::config::sqlite_file(&settings.database_url).is_none() {
        bail!("migrate copies a SQLite instance (--database-url sqlite://…) to PostgreSQL");
    }
    let transfer = Transfer::open(&settings.database_url, to)
        .await
        .context("cannot start the migration")?;
    let tables = transfer.tables().await?;
    let total: u64 = tables.iter().map(|table| table.rows).sum();
    println!("{total} rows in {} tables to copy", tables.len());
    if let Some(bucket) = media_to {
        copy_uploads(settings, &transfer, bucket).await?;
    }
    let mut offsets = HashMap::new();
    let mut before = 0;
    for table in &tables {
        offsets.insert(table.table, before);
        before += table.rows;
    }
    let progress = Progress::new("rows", total);
    let copied = transfer
        .run(&mut |table, rows| {
            progress.set(offsets.get(table).copied().unwrap_or(0) + rows, table)
        })
        .await
        .context("the copy failed; the target is left as empty as it was")?;
    progress.finish();
    for table in &copied {
        println!("{:>18}: {} rows", table.table, table.rows);
    }
    let seconds = started.elapsed().as_secs_f64().max(0.001);
    let messages = copied
        .iter()
        .find(|table| table.table == "messages")
        .map_or(0, |table| table.rows);
    println!(
        "copied {total} rows ({messages} messages) in {seconds:.1} s: {:.0} rows/s, {:.0} messages/s",
        total as f64 / seconds,
        messages as f64 / seconds
    );
    println!("serve it with --database-url set to the target (and --redis-url for several nodes)");
    Ok(())
}

/// Every upload the database names, from the local directory into `bucket`
/// (with the `--media-*` / `AWS_*` endpoint and credentials).
async fn copy_uploads(
    settings: &Settings,
    transfer: &Transfer,
    bucket: &str,
) -> anyhow::Result<()> {
    let Location::Directory(dir) = settings.media_location() else {
        bail!("the uploads are in a bucket already (--media-url): leave out --media-to");
    };
    let from = Media::open(&Location::Directory(dir), u64::MAX)?;
    let to = Media::open(
        &Location::S3 {
            url: bucket.to_owned(),
            endpoint: settings.media_endpoint.clone(),
            region: settings.media_region.clone(),
            access_key: settings.media_access_key.clone(),
            secret_key: settings.media_secret_key.clone(),
        },
        u64::MAX,
    )
    .context("cannot open the bucket")?;
    let keys = transfer.upload_keys().await?;
    let progress = Progress::new("uploads", keys.len() as u64);
    let mut bytes = 0;
    for (done, key) in keys.iter().enumerate() {
        bytes += from.copy_to(&to, key).await.with_context(|| {
            format!("cannot copy the upload {key} (`parley check` lists missing ones)")
        })?;
        progress.set(done as u64 + 1, "uploads");
    }
    progress.finish();
    println!("uploads: {} files, {bytes} bytes → {bucket}", keys.len());
    Ok(())
}
