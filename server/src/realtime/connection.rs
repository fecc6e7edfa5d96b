//! What the server keeps about one socket while it is connected: who it is, its
//! rate-limit bucket, and where it is typing. It lives with the socket on the
//! node that holds the socket, which is where every event of that socket lands.

use super::{
    people::Seat,
    rate_limit::{RateLimit, TokenBucket},
};
use app::model::{ChatId, User};
use std::{collections::HashSet, sync::Mutex};

pub struct Connection {
    pub user: User,
    /// Where the socket connected from (as the throttles count it).
    pub from: std::net::IpAddr,
    bucket: Mutex<TokenBucket>,
    /// Its place in its person's share of the node (released with it).
    seat: Seat,
    typing_in: Mutex<HashSet<ChatId>>,
}

impl Connection {
    pub fn new(user: User, from: std::net::IpAddr, rate_limit: RateLimit, seat: Seat) -> Self {
        Self {
            user,
            from,
            bucket: Mutex::new(TokenBucket::new(rate_limit)),
            seat,
            typing_in: Mutex::default(),
        }
    }

    /// Takes one event's worth from the socket's bucket and its person's;
    /// false when either is spent (the client, or the person, is too fast).
    pub fn admit(&self) -> bool {
        let socket = self
            .bucket
            .lock()
            .map(|mut bucket| bucket.take())
            .unwrap_or(true);
        socket && self.seat.admit()
    }

    /// The socket is gone: its place in its person's share is free.
    pub fn release_seat(&self) {
        self.seat.release();
    }

    /// Records whether this socket is typing in `chat`.
    pub fn set_typing(&self, chat: ChatId, is_typing: bool) {
        if let Ok(mut typing_in) = self.typing_in.lock() {
            if is_typing {
                typing_in.insert(chat);
            } else {
                typing_in.remove(&chat);
            }
        }
    }

    /// Stops typing in `chat`; true if it was typing there.
    pub fn stop_typing(&self, chat: ChatId) -> bool {
        self.typing_in
            .lock()
            .map(|mut typing_in| typing_in.remove(&chat))
            .unwrap_or(false)
    }

    /// Stops typing everywhere; the chats it was typing in.
    pub fn stop_typing_everywhere(&self) -> Vec<ChatId> {
        self.typing_in
            .lock()
            .map(|mut typing_in| typing_in.drain().collect())
            .unwrap_or_default()
    }
}
