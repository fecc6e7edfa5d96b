//! Deleted means gone. SQLite runs with `secure_delete` on, so a deleted
//! message's text is overwritten with zeros where it lay in the database file;
//! but until a checkpoint the old pages also sit in the write-ahead log. After
//! a delete this task checkpoints the log into the database and truncates it,
//! so within moments no copy of the words is left in either file. (PostgreSQL
//! clears the body in the row; its own storage is its business.)

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use std::time::Duration;
use tokio::sync::mpsc;

/// How often a checkpoint that readers held up is tried again.
const RETRY_AFTER: Duration = Duration::from_millis(250);
/// Tries per scrub before waiting for the next delete.
const TRIES: usize = 40;

/// Asks for a scrub after a delete; cheap to clone. Deletes in quick
/// succession share one scrub.
#[derive(Clone, Debug)]
pub(super) struct Scrubber(Option<mpsc::Sender<()>>);

impl Scrubber {
    /// A scrubber for `db` where it has a log to truncate (a SQLite file); it
    /// runs until the store is dropped.
    pub fn start(db: &DatabaseConnection, in_memory: bool) -> Self {
        if db.get_database_backend() != DbBackend::Sqlite || in_memory {
            return Self(None);
        }
        let (wake, mut woken) = mpsc::channel::<()>(1);
        let db = db.clone();
        tokio::spawn(async move {
            while woken.recv().await.is_some() {
                truncate_log(&db).await;
            }
        });
        Self(Some(wake))
    }

    /// A message was deleted: scrub soon.
    pub fn deleted(&self) {
        if let Some(wake) = &self.0 {
            // Full means a scrub is already due; it will cover this delete too.
            let _ = wake.try_send(());
        }
    }
}

async fn truncate_log(db: &DatabaseConnection) {
    for _ in 0..TRIES {
        match checkpoint(db).await {
            Ok(true) => return,
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "cannot checkpoint the log after a delete"),
        }
        tokio::time::sleep(RETRY_AFTER).await;
    }
    tracing::warn!("the log still holds deleted pages: readers kept it busy");
}

/// One `wal_checkpoint(TRUNCATE)`; whether it completed (a reader or writer
/// in the way makes it give up, busy).
async fn checkpoint(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ))
        .await?;
    let busy: i64 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 1,
    };
    Ok(busy == 0)
}
