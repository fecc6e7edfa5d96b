//! Each person's share of this node: at most `max_sockets` sockets, and one
//! event bucket that all their sockets here draw from besides each socket's
//! own, so that opening more sockets buys no more of the server.
//!
//! Per node on purpose: sockets and the CPU their events cost are this node's
//! to give. (Everything a *behaviour* depends on lives in the store or the
//! adapter; this only refuses excess.)

use super::rate_limit::{RateLimit, TokenBucket};
use app::model::UserId;
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

/// How much of a node one person may hold.
#[derive(Clone, Copy, Debug)]
pub struct Shares {
    pub max_sockets: usize,
    /// All of a person's sockets on the node together.
    pub events: RateLimit,
}

/// Everyone's share of this node.
pub struct People {
    shares: Shares,
    by_user: Mutex<HashMap<UserId, Held>>,
}

struct Held {
    sockets: usize,
    bucket: Arc<Mutex<TokenBucket>>,
}

/// A person already holds their `max_sockets`.
#[derive(Debug, thiserror::Error)]
#[error("too many sockets for one person")]
pub struct TooManySockets;

impl People {
    pub fn new(shares: Shares) -> Arc<Self> {
        Arc::new(Self {
            shares,
            by_user: Mutex::default(),
        })
    }

    /// One more socket for `user`, held until the [`Seat`] drops.
    pub fn seat(self: &Arc<Self>, user: UserId) -> Result<Seat, TooManySockets> {
        let mut by_user = self.by_user.lock().map_err(|_| TooManySockets)?;
        let held = by_user.entry(user).or_insert_with(|| Held {
            sockets: 0,
            bucket: Arc::new(Mutex::new(TokenBucket::new(self.shares.events))),
        });
        if held.sockets >= self.shares.max_sockets {
            return Err(TooManySockets);
        }
        held.sockets += 1;
        Ok(Seat {
            people: self.clone(),
            user,
            bucket: held.bucket.clone(),
            released: AtomicBool::new(false),
        })
    }

    fn release(&self, user: UserId) {
        if let Ok(mut by_user) = self.by_user.lock()
            && let Some(held) = by_user.get_mut(&user)
        {
            held.sockets = held.sockets.saturating_sub(1);
            if held.sockets == 0 {
                by_user.remove(&user);
            }
        }
    }
}

/// One socket's place in its person's share.
pub struct Seat {
    people: Arc<People>,
    user: UserId,
    bucket: Arc<Mutex<TokenBucket>>,
    released: AtomicBool,
}

impl Seat {
    /// Gives the place back (once: at disconnect, or when dropped).
    pub fn release(&self) {
        if !self.released.swap(true, Ordering::SeqCst) {
            self.people.release(self.user);
        }
    }

    /// Takes one event from the person's bucket; false when they are too fast.
    pub fn admit(&self) -> bool {
        self.bucket
            .lock()
            .map(|mut bucket| bucket.take())
            .unwrap_or(true)
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn people(max_sockets: usize, burst: f64) -> Arc<People> {
        People::new(Shares {
            max_sockets,
            events: RateLimit {
                per_second: 0.0,
                burst,
            },
        })
    }

    #[test]
    fn a_person_holds_at_most_their_sockets_and_gets_each_back() {
        let people = people(2, 10.0);
        let (harley, mike) = (UserId(Uuid::from_u128(1)), UserId(Uuid::from_u128(2)));
        let first = people.seat(harley).unwrap();
        let _second = people.seat(harley).unwrap();
        assert!(people.seat(harley).is_err());
        assert!(
            people.seat(mike).is_ok(),
            "others are not counted against her"
        );
        first.release();
        let third = people.seat(harley).unwrap();
        drop(first);
        assert!(people.seat(harley).is_err(), "a seat is given back once");
        drop(third);
        assert!(people.seat(harley).is_ok());
    }

    #[test]
    fn all_of_a_persons_sockets_draw_from_one_bucket() {
        let people = people(5, 3.0);
        let harley = UserId(Uuid::from_u128(1));
        let (one, two) = (people.seat(harley).unwrap(), people.seat(harley).unwrap());
        assert!(one.admit() && two.admit() && one.admit());
        assert!(
            !two.admit(),
            "three events between two sockets spend a burst of three"
        );
    }
}
