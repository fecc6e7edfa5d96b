//! A light Socket.IO client (Engine.IO v4 over one WebSocket), enough for
//! load: connect with a token, emit typed events with acks, receive events,
//! answer pings. One tokio task per socket and no per-socket threads, so tens of
//! thousands fit in the bench process (rust_socketio holds far more per socket,
//! and its ack ids are drawn at random from 0..999, which collides at load).

use anyhow::{Context, bail};
use app::protocol::{Ack, ApiError, ClientEvent, ServerEvent};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as Frame;

/// A decoded Socket.IO packet of the kinds the bench meets.
#[derive(Debug, PartialEq)]
pub enum Packet {
    /// Engine.IO open.
    Open,
    /// Engine.IO ping: answer with pong.
    Ping,
    /// Namespace connect accepted.
    Connected,
    /// Namespace connect refused, with the server's reason.
    Refused(String),
    /// An event: its name and first argument.
    Event(String, Value),
    /// An ack: its id and first argument.
    Ack(u64, Value),
    Other,
}

/// Parses one text frame.
pub fn parse(frame: &str) -> Packet {
    let Some(engine) = frame.chars().next() else {
        return Packet::Other;
    };
    match engine {
        '0' => return Packet::Open,
        '2' => return Packet::Ping,
        '4' => {}
        _ => return Packet::Other,
    }
    let rest = &frame[1..];
    let Some(kind) = rest.chars().next() else {
        return Packet::Other;
    };
    let body = &rest[1..];
    match kind {
        '0' => Packet::Connected,
        '4' => {
            let reason = serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| body.to_owned());
            Packet::Refused(reason)
        }
        '2' => match serde_json::from_str::<Value>(body) {
            Ok(Value::Array(mut args)) if !args.is_empty() => {
                let name = args.remove(0).as_str().unwrap_or_default().to_owned();
                let first = if args.is_empty() {
                    Value::Null
                } else {
                    args.remove(0)
                };
                Packet::Event(name, first)
            }
            _ => Packet::Other,
        },
        '3' => {
            let digits: String = body.chars().take_while(char::is_ascii_digit).collect();
            let Ok(id) = digits.parse() else {
                return Packet::Other;
            };
            match serde_json::from_str::<Value>(&body[digits.len()..]) {
                Ok(Value::Array(mut args)) if !args.is_empty() => Packet::Ack(id, args.remove(0)),
                _ => Packet::Other,
            }
        }
        _ => Packet::Other,
    }
}

type AwaitedAcks = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

/// One connected socket.
pub struct Socket {
    outgoing: mpsc::UnboundedSender<String>,
    pending: AwaitedAcks,
    next_ack: AtomicU64,
}

/// Server events arrive here as (name, payload).
pub type Inbox = mpsc::UnboundedReceiver<(String, Value)>;

impl Socket {
    /// Connects and authenticates; returns once the server has let it in.
    pub async fn connect(addr: SocketAddr, token: &str) -> anyhow::Result<(Socket, Inbox)> {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        // No Nagle: a chat client wants each small frame out at once.
        let (stream, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
            .await
            .context("websocket")?;
        let (mut sink, mut stream) = stream.split();
        match stream.next().await {
            Some(Ok(Frame::Text(text))) if parse(&text) == Packet::Open => {}
            other => bail!("no engine.io open: {other:?}"),
        }
        let auth = serde_json::json!({ "token": token });
        sink.send(Frame::text(format!("40{auth}"))).await?;
        loop {
            match stream.next().await {
                Some(Ok(Frame::Text(text))) => match parse(&text) {
                    Packet::Connected => break,
                    Packet::Refused(reason) => bail!("refused: {reason}"),
                    Packet::Ping => sink.send(Frame::text("3")).await?,
                    _ => {}
                },
                Some(Ok(_)) => {}
                other => bail!("no connect answer: {other:?}"),
            }
        }
        let (outgoing, mut to_send) = mpsc::unbounded_channel::<String>();
        let (events, inbox) = mpsc::unbounded_channel();
        let pending = AwaitedAcks::default();
        tokio::spawn(async move {
            while let Some(text) = to_send.recv().await {
                if sink.send(Frame::text(text)).await.is_err() {
                    break;
                }
            }
        });
        let (pong, acks) = (outgoing.clone(), pending.clone());
        tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                let Frame::Text(text) = frame else { continue };
                match parse(&text) {
                    Packet::Ping => {
                        let _ = pong.send("3".into());
                    }
                    Packet::Event(name, payload) => {
                        let _ = events.send((name, payload));
                    }
                    Packet::Ack(id, payload) => {
                        if let Some(waiter) = acks.lock().ok().and_then(|mut p| p.remove(&id)) {
                            let _ = waiter.send(payload);
                        }
                    }
                    _ => {}
                }
            }
        });
        Ok((
            Socket {
                outgoing,
                pending,
                next_ack: AtomicU64::new(0),
            },
            inbox,
        ))
    }

    /// Leaves the namespace: the server closes the socket (and gives back its
    /// place in the person's share). Dropping a `Socket` does not: its reader
    /// keeps answering the server's pings.
    pub fn close(&self) {
        let _ = self.outgoing.send("41".into());
    }

    /// [`Self::emit`], with a refusal as an error too (for set-up steps that
    /// must succeed).
    pub async fn request<E: ClientEvent>(&self, event: &E) -> anyhow::Result<E::Reply> {
        self.emit(event)
            .await?
            .map_err(|refusal| anyhow::anyhow!(refusal.message))
    }

    /// Emits `event` and waits for its ack.
    pub async fn emit<E: ClientEvent>(
        &self,
        event: &E,
    ) -> anyhow::Result<Result<E::Reply, ApiError>> {
        let ack = self
            .round_trip(E::NAME, serde_json::to_value(event)?)
            .await?;
        let ack: Ack<E::Reply> = serde_json::from_value(ack)?;
        Ok(ack.into())
    }

    /// Emits `name` with `payload` and hands back the ack as it came (for a
    /// server whose replies have another shape: the Node peer's `listChats`
    /// answers the seed's bare array, not a page).
    pub async fn round_trip(&self, name: &str, payload: Value) -> anyhow::Result<Value> {
        let id = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .insert(id, tx);
        let args = serde_json::json!([name, payload]);
        self.outgoing
            .send(format!("42{id}{args}"))
            .context("socket closed")?;
        Ok(tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .context("ack timeout")??)
    }
}

/// Decodes an inbox item as `E` if it is one.
pub fn event_as<E: ServerEvent>(item: &(String, Value)) -> Option<E> {
    (item.0 == E::NAME)
        .then(|| serde_json::from_value(item.1.clone()).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frames_parse_into_packets() {
        assert_eq!(parse(r#"0{"sid":"x","pingInterval":25000}"#), Packet::Open);
        assert_eq!(parse("2"), Packet::Ping);
        assert_eq!(parse(r#"40{"sid":"abc"}"#), Packet::Connected);
        assert_eq!(
            parse(r#"44{"message":"unauthorized"}"#),
            Packet::Refused("unauthorized".into())
        );
        assert_eq!(
            parse(r#"42["newMessage",{"seq":3}]"#),
            Packet::Event("newMessage".into(), json!({"seq": 3}))
        );
        assert_eq!(
            parse(r#"4317[{"ok":{}}]"#),
            Packet::Ack(17, json!({"ok": {}}))
        );
        assert_eq!(parse("6"), Packet::Other);
    }
}
