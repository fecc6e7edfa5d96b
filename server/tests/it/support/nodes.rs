//! Two nodes on one PostgreSQL database and one Redis: a cluster of two.

use super::{
    app::{TestApp, spawn_app_with},
    chats::create_direct,
    services::{Postgres, RedisServer, TcpProxy},
    socket_client::SocketClient,
};
use app::model::Chat;

pub struct TwoNodes {
    pub a: TestApp,
    pub b: TestApp,
    pub redis: RedisServer,
    /// Between node A and Redis, when asked for.
    pub a_to_redis: Option<TcpProxy>,
    _postgres: Postgres,
}

impl TwoNodes {
    /// Harley on node A and Mike on node B, signed up and connected, with
    /// their direct chat.
    pub async fn harley_and_mike(&self) -> (SocketClient, SocketClient, Chat) {
        let harley = self.a.signup("harley", "harley password").await;
        let mike = self.b.signup("mike", "mike password").await;
        let harley_socket = SocketClient::connect(self.a.addr, &harley.token).await;
        let mike_socket = SocketClient::connect(self.b.addr, &mike.token).await;
        let chat = create_direct(&harley_socket, "mike").await;
        (harley_socket, mike_socket, chat)
    }
}

/// Two nodes on one fresh PostgreSQL database and one Redis (`None`, and the
/// test skips, where those are not installed).
pub async fn two_nodes() -> Option<TwoNodes> {
    two_nodes_with(false).await
}

/// [`two_nodes`], with node A reaching Redis through a proxy the test
/// controls when `a_through_a_proxy`.
pub async fn two_nodes_with(a_through_a_proxy: bool) -> Option<TwoNodes> {
    let postgres = Postgres::start()?;
    let redis = RedisServer::start()?;
    let a_to_redis = match a_through_a_proxy {
        true => Some(TcpProxy::start(redis.port()).await),
        false => None,
    };
    let a_redis = a_to_redis
        .as_ref()
        .map_or_else(|| redis.url(), |proxy| proxy.url("redis"));
    let database_url = postgres.new_database().await;
    let node = |database_url: String, redis_url: String| async move {
        spawn_app_with(tempfile::tempdir().unwrap(), move |settings| {
            settings.database_url = database_url;
            settings.redis_url = Some(redis_url);
        })
        .await
    };
    // Started together on a fresh database: they take turns to migrate it.
    let (a, b) = tokio::join!(
        node(database_url.clone(), a_redis),
        node(database_url, redis.url())
    );
    Some(TwoNodes {
        a,
        b,
        redis,
        a_to_redis,
        _postgres: postgres,
    })
}
