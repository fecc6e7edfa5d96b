//! Who is online and who has a chat open, across every node.
//!
//! Nothing here is kept in this process: the facts live in Socket.IO rooms,
//! which the adapter (local, or Redis for several nodes) spans.
//!
//! - `user:<userId>`: every socket of that user → "is online".
//! - `chat:<chatId>`: every socket with the chat open → broadcasts to the chat.
//! - `viewer:<chatId>:<userId>`: that user's sockets with the chat open → "is in
//!   the room". (The adapter can list a room's sockets but not who owns them.)
//! - `session:<tokenHash>`: the sockets of one sign-in, so signing out ends them.
//! - `blocked-by:<userId>`: the sockets of everyone that user has blocked, so
//!   a send is refused without asking the database.
//! - `blocking:<userId>`: the sockets of everyone who blocked that user, so
//!   what the user announces of themselves passes them by.

use app::{
    model::{ChatId, UserId},
    protocol::{ServerEvent, SessionEndReason, SessionEnded},
};
use futures::future::{BoxFuture, join_all};
use socketioxide::{SocketIo, adapter::Adapter, extract::SocketRef, operators::BroadcastOperators};
use std::{collections::HashSet, time::Duration};
use tokio::time::timeout;

/// How long to wait for the other nodes before answering for this one alone.
const REMOTE_PATIENCE: Duration = Duration::from_secs(1);

pub struct Cluster<A: Adapter> {
    io: SocketIo<A>,
    /// Counts how many times a room's sockets were counted (the cost of
    /// "who is online", which must grow with members, not their square).
    lookups: prometheus::IntCounter,
}

impl<A: Adapter> Clone for Cluster<A> {
    fn clone(&self) -> Self {
        Self {
            io: self.io.clone(),
            lookups: self.lookups.clone(),
        }
    }
}

/// Where one member is: the seed's two questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Whereabouts {
    pub user_id: UserId,
    pub in_room: bool,
    pub online: bool,
}

impl<A: Adapter> Cluster<A> {
    pub fn new(io: SocketIo<A>, lookups: prometheus::IntCounter) -> Self {
        Self { io, lookups }
    }

    pub fn user_room(user: UserId) -> String {
        format!("user:{user}")
    }

    pub fn chat_room(chat: ChatId) -> String {
        format!("chat:{chat}")
    }

    pub fn viewer_room(chat: ChatId, user: UserId) -> String {
        format!("viewer:{chat}:{user}")
    }

    pub fn session_room(token_hash: &str) -> String {
        format!("session:{token_hash}")
    }

    /// The sockets of everyone `blocker` blocked.
    pub fn blocked_by_room(blocker: UserId) -> String {
        format!("blocked-by:{blocker}")
    }

    /// The sockets of everyone who blocked `blocked`.
    pub fn blocking_room(blocked: UserId) -> String {
        format!("blocking:{blocked}")
    }

    /// Puts `user`'s sockets in `rooms` (or takes them out), on every node.
    pub async fn move_user_sockets(&self, user: UserId, rooms: Vec<String>, join: bool) {
        let Some(namespace) = self.namespace() else {
            return;
        };
        let sockets = namespace.to(Self::user_room(user));
        let moved = if join {
            timeout(REMOTE_PATIENCE, sockets.join(rooms.clone())).await
        } else {
            timeout(REMOTE_PATIENCE, sockets.leave(rooms.clone())).await
        };
        if moved.is_ok_and(|moved| moved.is_ok()) {
            return;
        }
        tracing::warn!("cannot reach the other nodes; moving this node's sockets");
        if let Some(namespace) = self.namespace() {
            let local = namespace.local().to(Self::user_room(user));
            let _ = if join {
                local.join(rooms).await
            } else {
                local.leave(rooms).await
            };
        }
    }

    /// Tells the sockets in `rooms` on this node why their session ended, then
    /// disconnects them. Every node does so when it hears of the end (see
    /// `sessions.rs`: first it forgets the sessions it remembered).
    pub async fn end_here(&self, rooms: Vec<String>, reason: SessionEndReason) {
        let Some(namespace) = self.namespace().filter(|_| !rooms.is_empty()) else {
            return;
        };
        let local = namespace.local().to(rooms);
        if let Err(error) = local
            .clone()
            .emit(SessionEnded::NAME, &SessionEnded { reason })
            .await
        {
            tracing::debug!(%error, "cannot tell sockets their session ended");
        }
        let _ = local.disconnect().await;
    }

    /// The namespace's operators; `None` once it is closed (the server is
    /// shutting down and there is nobody left to tell).
    fn namespace(&self) -> Option<BroadcastOperators<A>> {
        self.io.of("/")
    }

    /// How many sockets are in `room` on all nodes. When the other nodes cannot
    /// be asked (Redis down), this node's own sockets are the answer: it errs
    /// towards "offline", which only delays a tick.
    async fn sockets_in(&self, room: String) -> usize {
        self.lookups.inc();
        let Some(namespace) = self.namespace() else {
            return 0;
        };
        match timeout(REMOTE_PATIENCE, namespace.to(room.clone()).fetch_sockets()).await {
            Ok(Ok(sockets)) => sockets.len(),
            failed => {
                tracing::warn!(error = ?failed.err(), "cannot ask the other nodes; answering for this one");
                let Some(namespace) = self.namespace() else {
                    return 0;
                };
                namespace
                    .local()
                    .to(room)
                    .fetch_sockets()
                    .await
                    .map(|sockets| sockets.len())
                    .unwrap_or(0)
            }
        }
    }

    /// How many sockets are connected, on every node (this node's alone
    /// when the others cannot be asked). Lists them all: for the Admin
    /// page, not for a hot path.
    pub async fn connected(&self) -> usize {
        let Some(namespace) = self.namespace() else {
            return 0;
        };
        match timeout(REMOTE_PATIENCE, namespace.fetch_sockets()).await {
            Ok(Ok(sockets)) => sockets.len(),
            _ => self.io.sockets().len(),
        }
    }

    pub async fn is_online(&self, user: UserId) -> bool {
        self.sockets_in(Self::user_room(user)).await > 0
    }

    /// Each of `users`: in the chat's room, online at all (looked up concurrently).
    pub async fn whereabouts(&self, chat: ChatId, users: &[UserId]) -> Vec<Whereabouts> {
        join_all(users.iter().map(|&user_id| async move {
            let in_room = self.sockets_in(Self::viewer_room(chat, user_id)).await > 0;
            let online = in_room || self.is_online(user_id).await;
            Whereabouts {
                user_id,
                in_room,
                online,
            }
        }))
        .await
    }

    /// Which of `users` are online.
    pub async fn online_among(&self, users: &[UserId]) -> HashSet<UserId> {
        let online = join_all(
            users
                .iter()
                .map(|&user| async move { (user, self.is_online(user).await) }),
        )
        .await;
        online
            .into_iter()
            .filter_map(|(user, online)| online.then_some(user))
            .collect()
    }

    /// The chat's room and every member's personal room.
    fn chat_audience(chat: ChatId, members: &[UserId]) -> Vec<String> {
        let mut rooms = vec![Self::chat_room(chat)];
        rooms.extend(members.iter().map(|&member| Self::user_room(member)));
        rooms
    }

    /// What `from` announces about themselves (a receipt) to the chat's
    /// audience or to `users`, except to anyone who blocked them: a block
    /// covers every way to reach the blocker.
    pub async fn emit_from<E: ServerEvent>(&self, from: UserId, to: Listeners<'_>, event: &E) {
        let rooms = match to {
            Listeners::Chat { chat, members } => Self::chat_audience(chat, members),
            Listeners::Users([]) => return,
            Listeners::Users(users) => users.iter().map(|&user| Self::user_room(user)).collect(),
        };
        let blockers = Self::blocking_room(from);
        broadcast(
            || Some(self.namespace()?.to(rooms.clone()).except(blockers.clone())),
            event,
        )
        .await;
    }

    /// Emits to the chat's room and to each member's personal room; a socket in
    /// several of them gets the event once.
    pub async fn emit_to_chat<E: ServerEvent>(&self, chat: ChatId, members: &[UserId], event: &E) {
        self.emit_to_rooms(Self::chat_audience(chat, members), event)
            .await;
    }

    /// As [`Self::emit_to_chat`], except to `socket` itself (the sender's,
    /// which has what it sent in its ack).
    pub async fn emit_to_chat_except<E: ServerEvent>(
        &self,
        socket: &SocketRef<A>,
        chat: ChatId,
        members: &[UserId],
        event: &E,
    ) {
        let rooms = Self::chat_audience(chat, members);
        broadcast(|| Some(socket.to(rooms.clone())), event).await;
    }

    /// As [`Self::emit_to_chat_except`], but the members in `apart` (every
    /// socket of theirs, in the chat's room or not) get `theirs` instead:
    /// how one message reaches readers who may see different parts of it.
    pub async fn emit_to_chat_apart<E: ServerEvent>(
        &self,
        socket: &SocketRef<A>,
        chat: ChatId,
        members: &[UserId],
        event: &E,
        apart: &[UserId],
        theirs: &E,
    ) {
        let rooms = Self::chat_audience(chat, members);
        let set_apart: Vec<String> = apart.iter().map(|&user| Self::user_room(user)).collect();
        broadcast(
            || Some(socket.to(rooms.clone()).except(set_apart.clone())),
            event,
        )
        .await;
        self.emit_to_users(apart, theirs).await;
    }

    /// Emits to every socket of every node.
    pub async fn emit_to_everyone<E: ServerEvent>(&self, event: &E) {
        broadcast(|| self.namespace(), event).await;
    }

    /// Emits to each user's personal room.
    pub async fn emit_to_users<E: ServerEvent>(&self, users: &[UserId], event: &E) {
        if users.is_empty() {
            return;
        }
        self.emit_to_rooms(
            users.iter().map(|&user| Self::user_room(user)).collect(),
            event,
        )
        .await;
    }

    async fn emit_to_rooms<E: ServerEvent>(&self, rooms: Vec<String>, event: &E) {
        broadcast(|| Some(self.namespace()?.to(rooms.clone())), event).await;
    }

    /// Emits to a room, except to `socket` itself (`socket.to(room)`).
    pub async fn emit_to_room_except<E: ServerEvent>(
        &self,
        socket: &SocketRef<A>,
        room: String,
        event: &E,
    ) {
        broadcast(|| Some(socket.to(room.clone())), event).await;
    }
}

/// Emits through `operators` on every node. The Redis adapter gives up before
/// its local part when Redis is away, so then at least this node's sockets
/// hear of it.
async fn broadcast<A: Adapter, E: ServerEvent>(
    operators: impl Fn() -> Option<BroadcastOperators<A>>,
    event: &E,
) {
    // No namespace: it closed under us (shutting down); nobody to tell.
    let Some(everywhere) = operators().map(|operators| operators.emit(E::NAME, event)) else {
        return;
    };
    if timeout(REMOTE_PATIENCE, everywhere)
        .await
        .is_ok_and(|sent| sent.is_ok())
    {
        return;
    }
    tracing::warn!(
        event = E::NAME,
        "cannot reach the other nodes; broadcasting on this one"
    );
    if let Some(operators) = operators() {
        let _ = operators.local().emit(E::NAME, event).await;
    }
}

/// Who hears of something (see [`Cluster::emit_from`]).
#[derive(Clone, Copy, Debug)]
pub enum Listeners<'a> {
    /// The chat's room and every member's personal room.
    Chat { chat: ChatId, members: &'a [UserId] },
    /// These people's personal rooms.
    Users(&'a [UserId]),
}

/// Whose sockets to end.
#[derive(Clone, Debug)]
pub enum Sessions {
    /// These sign-ins (token hashes).
    Tokens(Vec<String>),
    /// Every sign-in of this user.
    OfUser(UserId),
}

/// Ending sessions' sockets, for the HTTP side (sign-out, password change,
/// deactivation), which does not know the adapter's type; and counting them
/// (the Admin page's figures).
pub trait SessionSockets: Send + Sync + 'static {
    fn end(&self, sessions: Sessions, reason: SessionEndReason) -> BoxFuture<'_, ()>;

    /// Sockets connected on every node.
    fn connected(&self) -> BoxFuture<'_, usize>;
}

impl Sessions {
    /// The rooms their sockets are in.
    pub fn rooms<A: Adapter>(&self) -> Vec<String> {
        match self {
            Sessions::Tokens(hashes) => hashes
                .iter()
                .map(|hash| Cluster::<A>::session_room(hash))
                .collect(),
            Sessions::OfUser(user) => vec![Cluster::<A>::user_room(*user)],
        }
    }
}
