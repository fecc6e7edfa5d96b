//! The pub/sub driver behind socketioxide-redis, on redis-rs's
//! `ConnectionManager`: it reconnects by itself when Redis comes back and
//! re-subscribes to every channel, so a node survives a Redis restart. (The
//! driver socketioxide-redis ships holds one plain connection that stays broken
//! once Redis has gone away.)

use redis::{
    AsyncCommands, FromRedisValue, PushInfo, PushKind, RedisResult,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::sync::mpsc;

type Handlers = Arc<RwLock<HashMap<String, mpsc::Sender<ChanItem>>>>;

#[derive(Clone)]
pub struct ReconnectingRedisDriver {
    handlers: Handlers,
    conn: ConnectionManager,
    /// The connection broke since this was last taken (see [`Self::broke`]).
    broke: Arc<AtomicBool>,
}

impl ReconnectingRedisDriver {
    pub async fn connect(client: redis::Client) -> RedisResult<Self> {
        let handlers = Handlers::default();
        let broke = Arc::new(AtomicBool::new(false));
        let (routing, breaking) = (handlers.clone(), broke.clone());
        let config = ConnectionManagerConfig::new()
            .set_push_sender(move |message: PushInfo| {
                if message.kind == PushKind::Disconnection {
                    breaking.store(true, Ordering::SeqCst);
                }
                route(message, &routing);
                Ok::<(), Infallible>(())
            })
            .set_automatic_resubscription()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_max_delay(Duration::from_secs(1));
        let conn = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self {
            handlers,
            conn,
            broke,
        })
    }

    /// A handle for other commands (the health check's PING).
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Whether Redis answers a PING within `patience`. Asking is also what
    /// makes a broken connection build itself again.
    pub async fn answers(&self, patience: Duration) -> bool {
        let mut conn = self.connection();
        let ping = redis::cmd("PING");
        let pong = tokio::time::timeout(patience, ping.query_async::<String>(&mut conn)).await;
        matches!(pong, Ok(Ok(_)))
    }

    /// Whether the connection broke since the last time this was asked: a
    /// blink too short for anyone to find Redis not answering still lost
    /// what was published meanwhile.
    pub fn broke(&self) -> bool {
        self.broke.swap(false, Ordering::SeqCst)
    }

    /// Subscribes again to every channel the adapter listens on. The
    /// connection does so by itself as it comes back, without waiting for
    /// the answers; this waits for them (subscribing twice is harmless).
    pub async fn subscribe_again(&self) -> RedisResult<()> {
        let channels: Vec<String> = match self.handlers.read() {
            Ok(handlers) => handlers.keys().cloned().collect(),
            Err(poisoned) => poisoned.into_inner().keys().cloned().collect(),
        };
        if channels.is_empty() {
            return Ok(());
        }
        self.conn.clone().subscribe(channels).await
    }
}

/// Hands a published message to the stream subscribed to its channel.
fn route(message: PushInfo, handlers: &Handlers) {
    if !matches!(message.kind, PushKind::Message | PushKind::SMessage) || message.data.len() < 2 {
        return;
    }
    let mut data = message.data.into_iter();
    let (Some(channel), Some(payload)) = (data.next(), data.next()) else {
        return;
    };
    let (Ok(channel), Ok(payload)) = (
        String::from_redis_value(channel),
        Vec::<u8>::from_redis_value(payload),
    ) else {
        tracing::warn!("unreadable message from redis");
        return;
    };
    let handlers = match handlers.read() {
        Ok(handlers) => handlers,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(sender) = handlers.get(&channel)
        && let Err(error) = sender.try_send((channel, payload))
    {
        tracing::warn!(%error, "redis message dropped: the adapter is not keeping up");
    }
}

impl Driver for ReconnectingRedisDriver {
    type Error = redis::RedisError;

    async fn publish(&self, chan: String, val: Vec<u8>) -> Result<(), Self::Error> {
        self.conn
            .clone()
            .publish::<_, _, redis::Value>(chan, val)
            .await?;
        Ok(())
    }

    async fn subscribe(
        &self,
        chan: String,
        size: usize,
    ) -> Result<MessageStream<ChanItem>, Self::Error> {
        let (tx, rx) = mpsc::channel(size);
        if let Ok(mut handlers) = self.handlers.write() {
            handlers.insert(chan.clone(), tx);
        }
        self.conn.clone().subscribe(chan).await?;
        Ok(MessageStream::new(rx))
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), Self::Error> {
        if let Ok(mut handlers) = self.handlers.write() {
            handlers.remove(&chan);
        }
        self.conn.clone().unsubscribe(chan).await?;
        Ok(())
    }

    async fn num_serv(&self, chan: &str) -> Result<u16, Self::Error> {
        let (_, count): (String, u16) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(chan)
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(count)
    }
}

/// Redis URLs must ask for RESP3 (pub/sub messages arrive as pushes on the same
/// connection): add `protocol=resp3` when it is missing, refuse another protocol.
pub fn resp3_url(url: &str) -> Result<String, String> {
    if url.contains("protocol=resp3") {
        return Ok(url.to_owned());
    }
    if url.contains("protocol=") {
        return Err(format!(
            "REDIS_URL must use protocol=resp3 (the Socket.IO adapter needs it): {url}"
        ));
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{separator}protocol=resp3"))
}

#[cfg(test)]
mod tests {
    use super::resp3_url;

    #[test]
    fn resp3_is_added_when_missing_and_kept_when_present() {
        assert_eq!(
            resp3_url("redis://127.0.0.1:6379").unwrap(),
            "redis://127.0.0.1:6379?protocol=resp3"
        );
        assert_eq!(
            resp3_url("redis://h/0?foo=1").unwrap(),
            "redis://h/0?foo=1&protocol=resp3"
        );
        assert_eq!(
            resp3_url("redis://h?protocol=resp3").unwrap(),
            "redis://h?protocol=resp3"
        );
        assert!(resp3_url("redis://h?protocol=resp2").is_err());
    }
}
