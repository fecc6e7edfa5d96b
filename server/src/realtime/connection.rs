//! What the server keeps about one socket while it is connected: who it is, its
//! rate-limit bucket, and where it is typing. It lives with the socket on the
//! node that holds the socket, which is where every event of that socket lands.

use super::rate_limit::{RateLimit, TokenBucket};
use app::model::{ChatId, User};
use std::{collections::HashSet, sync::Mutex};

pub struct Connection {
    pub user: User,
    bucket: Mutex<TokenBucket>,
    typing_in: Mutex<HashSet<ChatId>>,
}

impl Connection {
    pub fn new(user: User, rate_limit: RateLimit) -> Self {
        Self {
            user,
            bucket: Mutex::new(TokenBucket::new(rate_limit)),
            typing_in: Mutex::default(),
        }
    }

    /// Takes one event's worth from the bucket; false when the client is too fast.
    pub fn admit(&self) -> bool {
        self.bucket
            .lock()
            .map(|mut bucket| bucket.take())
            .unwrap_or(true)
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
