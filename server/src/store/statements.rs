//! Counting the SQL statements a piece of work runs (`parley_event_statements_total`):
//! how many reads an event costs, and proof that it does not grow with the
//! data (the chat list runs the same few whatever the number of chats).
//!
//! Every pooled connection reports each statement to [`counted`]; work run
//! inside [`counting`] is charged with the statements it awaits on its own
//! task (what it spawns elsewhere, and the SQLite message writer's own
//! thread, are not).

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

tokio::task_local! {
    static STATEMENTS: Arc<AtomicU64>;
}

/// Runs `work`, and says how many statements it ran.
pub async fn counting<F: Future>(work: F) -> (F::Output, u64) {
    let count = Arc::new(AtomicU64::new(0));
    let output = STATEMENTS.scope(count.clone(), work).await;
    (output, count.load(Ordering::Relaxed))
}

/// One statement ran (SeaORM's callback, on the task that awaited it).
pub(super) fn counted() {
    let _ = STATEMENTS.try_with(|count| count.fetch_add(1, Ordering::Relaxed));
}
