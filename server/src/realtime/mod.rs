//! Real time over Socket.IO: the handshake, one typed handler per client event,
//! and who is where. Handlers are thin: authorize, commit, announce, then the ack.
//!
//! | file | events |
//! |---|---|
//! | `chats.rs`    | `createChat`, `listChats` |
//! | `rooms.rs`    | `joinRoom`, `leaveRoom`, `markSeen`, `history` |
//! | `messages.rs` | `sendMessage` |
//! | `changes.rs`  | `editMessage`, `deleteMessage`, `react` |
//! | `groups.rs`   | `updateChat`, `addMembers`, `removeMember`, `leaveChat`, `setRole` |
//! | `settings.rs` | `getSettings`, `updateSettings`, `blockUser`, `updateChatPrefs` |
//! | `search.rs`   | `search` |
//! | `invites.rs`  | `createInviteLink`, `revokeInviteLink`, `inviteInfo`, `joinByInvite` |
//! | `typing.rs`   | `typing` |
//! | `presence.rs` | connect and disconnect: delivered receipts, `presence` |
//! | `people.rs`   | each person's share of a node: sockets, one event budget |
//! | `accounts.rs` | accounts deactivated from the command line: their sockets end |
//! | `sessions.rs` | one session look-up per sign-in in a burst; ending sessions |
//! | `fanout.rs`   | live delivery between nodes watched: `resync` when it comes back |
//! | `paging.rs`   | what paged events share: a page's size and its cursor |
//!
//! What every handler shares: `access.rs` (who may do what in a chat: the one
//! place membership and blocks are checked), `projection.rs` (what a reader
//! sees: members' presence, messages' ticks), `receipts.rs` (who hears of a
//! watermark's move), `cluster.rs` (who is online and where, on every node).

mod access;
mod accounts;
mod changes;
mod chats;
mod cluster;
mod connection;
mod dispatch;
mod fanout;
mod groups;
mod handshake;
mod invites;
mod messages;
mod paging;
mod people;
mod presence;
mod projection;
mod rate_limit;
mod receipts;
mod redis_driver;
mod rooms;
mod search;
mod sessions;
mod settings;
mod typing;

pub use cluster::{Cluster, SessionSockets, Sessions};
pub use fanout::FanOut;
pub use groups::GroupChanges;
pub use handshake::{Intake, own_request_head};
pub use people::Shares;
pub use rate_limit::RateLimit;
pub use redis_driver::{ReconnectingRedisDriver, resp3_url};
pub use sessions::{SessionEnds, SessionGate};

use crate::{
    auth::{AuthService, OriginPolicy},
    metrics::Metrics,
    store::Store,
};
use app::protocol;
use connection::Connection;
use dispatch::{Ctx, on};
use socketioxide::{
    SocketIo,
    adapter::Adapter,
    extract::{SocketRef, TryData},
    handler::ConnectHandler,
};
use socketioxide_core::adapter::DefinedAdapter;
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};
use tokio::task::JoinHandle;

/// What every handler reaches: the store, the cluster-wide view of sockets and
/// the metrics. Every socket's handlers hold a copy, so it is kept to pointers.
pub struct Realtime<A: Adapter> {
    pub store: Arc<Store>,
    pub cluster: Cluster<A>,
    pub metrics: Arc<Metrics>,
    pub presence: presence::PresenceDesk,
    pub lifecycle: Lifecycle,
    /// Where attachments' bytes are (a deleted message's are deleted).
    pub media: crate::media::Media,
    /// Each person's share of this node's sockets and events.
    pub people: Arc<people::People>,
    /// Sessions looked up lately (see `sessions.rs`).
    pub sessions: SessionGate,
    /// Wakes this node's push sender when a message queued pushes.
    pub pushes: crate::push::Pushes,
    /// What links to this instance start with (an invite link's `url`).
    pub public_url: Arc<str>,
}

/// The real-time side's background work, and whether the server is shutting
/// down (then sockets closing announce nothing: the namespace goes with them).
#[derive(Clone, Default)]
pub struct Lifecycle(Arc<LifecycleState>);

#[derive(Default)]
struct LifecycleState {
    closing: AtomicBool,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Lifecycle {
    pub fn is_closing(&self) -> bool {
        self.0.closing.load(Ordering::SeqCst)
    }

    fn keep(&self, task: JoinHandle<()>) {
        if let Ok(mut tasks) = self.0.tasks.lock() {
            tasks.push(task);
        }
    }

    /// Stops announcing and stops the background work; call before closing
    /// the sockets.
    pub async fn close(&self) {
        self.0.closing.store(true, Ordering::SeqCst);
        let tasks = self
            .0
            .tasks
            .lock()
            .map(|mut tasks| std::mem::take(&mut *tasks))
            .unwrap_or_default();
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
    }
}

/// Watches live delivery between nodes for as long as the node runs (see
/// `fanout.rs`).
pub fn watch_fan_out<A: Adapter>(
    io: &SocketIo<A>,
    driver: ReconnectingRedisDriver,
    fan_out: FanOut,
    config: &RealtimeConfig,
) {
    let cluster = Cluster::new(io.clone(), config.metrics.room_lookups());
    let hear = sessions::hear_ended(driver.clone(), config.sessions.clone(), cluster.clone());
    config.lifecycle.keep(tokio::spawn(hear));
    let watch = fanout::watch(
        driver,
        cluster,
        fan_out,
        config.sessions.clone(),
        config.metrics.clone(),
    );
    config.lifecycle.keep(tokio::spawn(watch));
}

// Not derived: the derive would demand `A: Clone`, which adapters are not.
impl<A: Adapter> Clone for Realtime<A> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            cluster: self.cluster.clone(),
            metrics: self.metrics.clone(),
            presence: self.presence.clone(),
            lifecycle: self.lifecycle.clone(),
            media: self.media.clone(),
            people: self.people.clone(),
            sessions: self.sessions.clone(),
            pushes: self.pushes.clone(),
            public_url: self.public_url.clone(),
        }
    }
}

/// Everything the namespace needs besides the `SocketIo` itself.
#[derive(Clone)]
pub struct RealtimeConfig {
    pub store: Store,
    pub auth: AuthService,
    pub origins: OriginPolicy,
    pub rate_limit: RateLimit,
    /// What one person may hold of a node.
    pub shares: Shares,
    pub metrics: Arc<Metrics>,
    pub lifecycle: Lifecycle,
    /// How often users recorded online are checked against their sockets.
    pub presence_recheck: std::time::Duration,
    pub media: crate::media::Media,
    /// Sessions looked up lately, shared with what ends them.
    pub sessions: SessionGate,
    /// Handshakes taken in turns.
    pub intake: handshake::Intake,
    /// With several nodes: whether they see each other (see `fanout`).
    pub fan_out: Option<FanOut>,
    pub pushes: crate::push::Pushes,
    pub public_url: Arc<str>,
    /// Whether a socket's address is the proxy's `X-Forwarded-For` entry
    /// (see `--trust-forwarded-for`).
    pub trust_forwarded_for: bool,
}

/// What the HTTP side reaches of the sockets' world: the pages' chat lists,
/// and the group changes some routes make.
pub struct Desks {
    pub chats: Arc<dyn app::ui::ChatSource>,
    pub groups: Arc<dyn GroupChanges>,
}

/// Registers the default namespace `/` on `io`: the handshake checks who is
/// connecting and sets the socket up, then the connect handler announces them.
/// Also gives the chat lists the pages render (see `app::ui::ChatSource`).
pub fn register<A: Adapter + DefinedAdapter>(
    io: &SocketIo<A>,
    config: RealtimeConfig,
) -> (A::InitRes, Desks) {
    let (desk, queue) = presence::PresenceDesk::new(config.metrics.clone(), config.fan_out.clone());
    let realtime = Realtime {
        store: Arc::new(config.store.clone()),
        cluster: Cluster::new(io.clone(), config.metrics.room_lookups()),
        metrics: config.metrics.clone(),
        presence: desk,
        lifecycle: config.lifecycle.clone(),
        media: config.media.clone(),
        people: people::People::new(config.shares),
        sessions: config.sessions.clone(),
        pushes: config.pushes.clone(),
        public_url: config.public_url.clone(),
    };
    let pages_view = realtime.clone();
    let lifecycle = &config.lifecycle;
    lifecycle.keep(tokio::spawn(presence::run(realtime.clone(), queue)));
    lifecycle.keep(tokio::spawn(presence::recheck_every(
        realtime.clone(),
        config.presence_recheck,
    )));
    lifecycle.keep(tokio::spawn(accounts::watch_deactivations(
        realtime.clone(),
    )));
    let handshake = {
        let realtime = realtime.clone();
        move |socket: SocketRef<A>, TryData(auth): TryData<handshake::HandshakeAuth>| {
            let (config, realtime) = (config.clone(), realtime.clone());
            async move {
                let started = std::time::Instant::now();
                let _turn = config.intake.turn().await;
                let let_in = async {
                    let signed_in = handshake::check(
                        &socket,
                        auth.ok(),
                        &config.auth,
                        &config.origins,
                        &realtime.sessions,
                        config.trust_forwarded_for,
                    )
                    .await?;
                    let seat = realtime
                        .people
                        .seat(signed_in.user.id)
                        .map_err(|_| handshake::HandshakeError::TooManySockets)?;
                    let blocks = realtime
                        .store
                        .blocks_of(signed_in.user.id)
                        .await
                        .map_err(|_| handshake::HandshakeError::Unavailable)?;
                    let connection =
                        Connection::new(signed_in.user, signed_in.from, config.rate_limit, seat);
                    set_up(&realtime, &socket, connection, &blocks);
                    Ok::<(), handshake::HandshakeError>(())
                }
                .await;
                realtime.metrics.handshake_took(started.elapsed());
                let_in
            }
        }
    };
    let on_connect = move |socket: SocketRef<A>| {
        let realtime = realtime.clone();
        async move {
            if let Some(connection) = socket.extensions.get::<Arc<Connection>>() {
                presence::came_online(&Ctx {
                    realtime,
                    connection,
                    socket,
                });
            }
        }
    };
    let desks = Desks {
        chats: Arc::new(pages_view.clone()),
        groups: Arc::new(pages_view),
    };
    (io.ns("/", on_connect.with(handshake)), desks)
}

/// Everything a socket needs before the client hears "connected": the
/// server sends the connect packet before it runs the (spawned) connect
/// handler, and a client may emit the moment it has it. So the event handlers,
/// the personal room and the disconnect handler are in place here, in the
/// handshake, which runs before that packet. (It is in its user's and
/// session's rooms already: `handshake::check`.)
fn set_up<A: Adapter>(
    realtime: &Realtime<A>,
    socket: &SocketRef<A>,
    connection: Connection,
    blocks: &crate::store::Blocks,
) {
    let connection = Arc::new(connection);
    // Where blocks are known without a query (see `Cluster`).
    let blocked_by = blocks
        .blockers
        .iter()
        .map(|&them| Cluster::<A>::blocked_by_room(them));
    let blocking = blocks
        .blocked
        .iter()
        .map(|&them| Cluster::<A>::blocking_room(them));
    socket.join(blocked_by.chain(blocking).collect::<Vec<_>>());
    realtime.metrics.socket_connected(connection.user.id);

    on::<protocol::CreateChat, A, _, _>(socket, realtime, &connection, chats::create_chat);
    on::<protocol::ListChats, A, _, _>(socket, realtime, &connection, chats::list_chats);
    on::<protocol::JoinRoom, A, _, _>(socket, realtime, &connection, rooms::join_room);
    on::<protocol::LeaveRoom, A, _, _>(socket, realtime, &connection, rooms::leave_room);
    on::<protocol::MarkSeen, A, _, _>(socket, realtime, &connection, rooms::mark_seen);
    on::<protocol::History, A, _, _>(socket, realtime, &connection, rooms::history);
    on::<protocol::SendMessage, A, _, _>(socket, realtime, &connection, messages::send_message);
    on::<protocol::Typing, A, _, _>(socket, realtime, &connection, typing::typing);
    on::<protocol::EditMessage, A, _, _>(socket, realtime, &connection, changes::edit_message);
    on::<protocol::DeleteMessage, A, _, _>(socket, realtime, &connection, changes::delete_message);
    on::<protocol::React, A, _, _>(socket, realtime, &connection, changes::react);
    on::<protocol::UpdateChat, A, _, _>(socket, realtime, &connection, groups::update_chat);
    on::<protocol::AddMembers, A, _, _>(socket, realtime, &connection, groups::add_members);
    on::<protocol::RemoveMember, A, _, _>(socket, realtime, &connection, groups::remove_member);
    on::<protocol::LeaveChat, A, _, _>(socket, realtime, &connection, groups::leave_chat);
    on::<protocol::SetRole, A, _, _>(socket, realtime, &connection, groups::set_role);
    on::<protocol::GetSettings, A, _, _>(socket, realtime, &connection, settings::get_settings);
    on::<protocol::UpdateSettings, A, _, _>(
        socket,
        realtime,
        &connection,
        settings::update_settings,
    );
    on::<protocol::BlockUser, A, _, _>(socket, realtime, &connection, settings::block_user);
    on::<protocol::Search, A, _, _>(socket, realtime, &connection, search::search);
    on::<protocol::CreateInviteLink, A, _, _>(
        socket,
        realtime,
        &connection,
        invites::create_invite_link,
    );
    on::<protocol::RevokeInviteLink, A, _, _>(
        socket,
        realtime,
        &connection,
        invites::revoke_invite_link,
    );
    on::<protocol::InviteInfo, A, _, _>(socket, realtime, &connection, invites::invite_info);
    on::<protocol::JoinByInvite, A, _, _>(socket, realtime, &connection, invites::join_by_invite);
    on::<protocol::UpdateChatPrefs, A, _, _>(
        socket,
        realtime,
        &connection,
        settings::update_chat_prefs,
    );

    socket.on_disconnect({
        let realtime = realtime.clone();
        let connection = connection.clone();
        move |socket: SocketRef<A>| async move {
            connection.release_seat();
            presence::went_away(Ctx {
                realtime,
                connection,
                socket,
            })
            .await;
        }
    });
    socket.extensions.insert(connection);
}
