//! Each person's turns at uploading on this node: at most `each` of their
//! uploads are read at once, and the next waits for one to finish. One
//! person trickling bytes into many uploads holds only their own turns,
//! never anyone else's.

use app::model::UserId;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct Turns {
    each: usize,
    by_user: Mutex<HashMap<UserId, Arc<Semaphore>>>,
}

/// One upload's turn; the next of the person's waiting uploads goes when it
/// drops.
pub struct Turn {
    turns: Arc<Turns>,
    user: UserId,
    permit: Option<OwnedSemaphorePermit>,
}

impl Turns {
    pub fn new(each: usize) -> Arc<Self> {
        Arc::new(Self {
            each: each.max(1),
            by_user: Mutex::default(),
        })
    }

    /// Waits for one of `user`'s turns.
    pub async fn take(self: &Arc<Self>, user: UserId) -> Turn {
        let queue = self.by_user.lock().ok().map(|mut by_user| {
            by_user
                .entry(user)
                .or_insert_with(|| Arc::new(Semaphore::new(self.each)))
                .clone()
        });
        // Never closed; a poisoned lock lets the upload through unqueued.
        let permit = match queue {
            Some(queue) => queue.acquire_owned().await.ok(),
            None => None,
        };
        Turn {
            turns: self.clone(),
            user,
            permit,
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.permit.take());
        // The last one out (nobody holding or waiting) forgets the queue.
        if let Ok(mut by_user) = self.turns.by_user.lock()
            && by_user
                .get(&self.user)
                .is_some_and(|queue| Arc::strong_count(queue) == 1)
        {
            by_user.remove(&self.user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[tokio::test]
    async fn a_person_waits_for_their_own_turns_only() {
        use futures::FutureExt;
        let turns = Turns::new(2);
        let (harley, mike) = (UserId(Uuid::from_u128(1)), UserId(Uuid::from_u128(2)));
        let first = turns.take(harley).await;
        let second = turns.take(harley).await;
        assert!(
            turns.take(harley).now_or_never().is_none(),
            "her third waits"
        );
        let mikes = turns.take(mike).now_or_never();
        assert!(mikes.is_some(), "his first does not wait for her");
        drop(first);
        let third = turns.take(harley).now_or_never();
        assert!(third.is_some(), "her third goes once one is done");
        drop((second, third));
        let queues: Vec<UserId> = turns.by_user.lock().unwrap().keys().copied().collect();
        assert_eq!(queues, [mike], "hers is forgotten when she has none");
    }
}
