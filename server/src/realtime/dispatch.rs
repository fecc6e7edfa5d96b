//! One typed handler per client event: decode the payload into the event's
//! type, check the rate limit, run the handler, and answer the ack with exactly
//! `{"ok": reply}` or `{"error": {code, message}}`.

use super::{Realtime, connection::Connection};
use crate::metrics::Metrics;
use app::protocol::{Ack, ApiError, ClientEvent, ErrorCode};
use serde_json::Value;
use socketioxide::{
    adapter::Adapter,
    extract::{AckSender, SocketRef, TryData},
};
use std::{future::Future, sync::Arc, time::Instant};
use tracing::Instrument;

/// What a handler gets besides its payload.
pub struct Ctx<A: Adapter> {
    pub realtime: Realtime<A>,
    pub connection: Arc<Connection>,
    pub socket: SocketRef<A>,
}

/// Registers `handler` for `E` on this socket.
pub fn on<E, A, H, Fut>(
    socket: &SocketRef<A>,
    realtime: &Realtime<A>,
    connection: &Arc<Connection>,
    handler: H,
) where
    E: ClientEvent,
    A: Adapter,
    H: Fn(Ctx<A>, E) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<E::Reply, ApiError>> + Send + 'static,
{
    let realtime = realtime.clone();
    let connection = connection.clone();
    // The closure lives inside the socket, so it must not hold the socket itself
    // (a cycle that would never be freed): the socket comes in with each event.
    socket.on(
        E::NAME,
        move |socket: SocketRef<A>, TryData(payload): TryData<Value>, ack: AckSender<A>| {
            let realtime = realtime.clone();
            let handler = handler.clone();
            let connection = connection.clone();
            let payload = payload.unwrap_or(Value::Null);
            let chat = payload.get("chatId").and_then(|chat| chat.as_str());
            let span = tracing::info_span!(
                "event",
                event = E::NAME,
                user = %connection.user.id,
                chat,
            );
            async move {
                let started = Instant::now();
                let metrics = realtime.metrics.clone();
                let reply = if realtime.lifecycle.is_closing() {
                    // Shutting down: the namespace is going, and the next
                    // server will answer the resend.
                    Err(ApiError::new(
                        ErrorCode::Unavailable,
                        "the server is restarting; try again in a moment",
                    ))
                } else if !connection.admit() {
                    Err(ApiError::new(
                        ErrorCode::RateLimited,
                        "too many events; slow down",
                    ))
                } else {
                    match decode::<E>(payload) {
                        Ok(event) => {
                            let ctx = Ctx {
                                realtime,
                                connection,
                                socket,
                            };
                            let (reply, statements) =
                                crate::store::counting(handler(ctx, event)).await;
                            metrics.statements(E::NAME, statements);
                            reply
                        }
                        Err(error) => Err(error),
                    }
                };
                settle(&metrics, E::NAME, &reply);
                metrics.event_took(E::NAME, started.elapsed());
                // A client that asked for no ack gets none; that is its choice.
                if let Err(error) = ack.send(&Ack::from(reply)) {
                    tracing::warn!(%error, event = E::NAME, "cannot send the ack");
                }
            }
            .instrument(span)
        },
    );
}

/// Counts the outcome and logs a failure, once, with its cause: the one
/// place a socket event's failure is logged.
fn settle<T>(metrics: &Metrics, event: &'static str, reply: &Result<T, ApiError>) {
    match reply {
        Ok(_) => metrics.event(event, "ok"),
        Err(error) => {
            metrics.event(event, error.code.as_str());
            if error.is_failure() {
                tracing::warn!(
                    code = error.code.as_str(),
                    cause = error.cause.as_deref().unwrap_or(&error.message),
                    "event failed"
                );
            }
        }
    }
}

/// The payload as `E`, or a typed refusal. A chat id that is no id of ours is
/// an unknown chat (ids are opaque to clients), anything else malformed is
/// `bad_request`.
fn decode<E: ClientEvent>(payload: Value) -> Result<E, ApiError> {
    // An event sent with no argument reads as `{}` (e.g. `listChats`).
    let payload = if payload.is_null() {
        Value::Object(Default::default())
    } else {
        payload
    };
    let malformed_chat_id = payload.get("chatId").is_some_and(|id| {
        id.as_str()
            .is_none_or(|id| id.parse::<app::model::ChatId>().is_err())
    });
    serde_json::from_value(payload).map_err(|error| {
        if malformed_chat_id {
            ApiError::new(ErrorCode::NotFound, "no such chat")
        } else {
            ApiError::new(
                ErrorCode::BadRequest,
                format!("malformed {} payload: {error}", E::NAME),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::protocol::{ClientEventVisitor, ListChats, SendMessage, visit_client_events};
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn an_absent_payload_reads_as_empty() {
        assert_eq!(decode::<ListChats>(Value::Null), Ok(ListChats::first()));
    }

    #[test]
    fn a_chat_id_that_is_no_id_is_an_unknown_chat() {
        let error = decode::<SendMessage>(json!({"chatId": "nope", "clientId": "c", "body": "hi"}))
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::NotFound);
    }

    /// Any JSON, shaped like an event's payload or not: objects with the
    /// keys events use, holding anything.
    fn payloads() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,40}".prop_map(Value::from),
            Just(Value::from("00000000-0000-0000-0000-000000000001")),
        ];
        let any_json = leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::hash_map(".{0,8}", inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        });
        const KEYS: &[&str] = &[
            "chatId",
            "clientId",
            "body",
            "messageId",
            "replyToId",
            "attachmentIds",
            "emoji",
            "on",
            "seq",
            "isTyping",
            "kind",
            "name",
            "members",
            "userId",
            "role",
            "blocked",
            "query",
            "limit",
            "before",
            "after",
            "beforeSeq",
            "aroundSeq",
            "changedAfter",
            "readReceipts",
            "typingIndicators",
            "lastSeen",
            "muted",
            "pinned",
            "archived",
        ];
        let shaped = prop::collection::vec((prop::sample::select(KEYS), any_json.clone()), 0..8)
            .prop_map(|fields| {
                Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            });
        prop_oneof![any_json, shaped]
    }

    /// Decodes one payload as every event.
    struct DecodeAll(Value);

    impl ClientEventVisitor for DecodeAll {
        fn visit<E: ClientEvent>(&mut self) {
            if let Err(error) = decode::<E>(self.0.clone()) {
                assert!(
                    matches!(error.code, ErrorCode::BadRequest | ErrorCode::NotFound),
                    "{}: {error:?}",
                    E::NAME
                );
                assert!(!error.message.is_empty());
            }
        }
    }

    proptest! {
        /// Whatever arrives, every event's decoder answers with a value or a
        /// coded error, and never panics.
        #[test]
        fn any_json_decodes_or_is_a_coded_error(payload in payloads()) {
            visit_client_events(&mut DecodeAll(payload));
        }
    }

    #[test]
    fn other_malformed_payloads_are_bad_requests() {
        let chat = "00000000-0000-0000-0000-000000000001";
        let error = decode::<SendMessage>(json!({"chatId": chat, "body": 5})).unwrap_err();
        assert_eq!(error.code, ErrorCode::BadRequest);
        assert!(error.message.contains("sendMessage"));
    }
}
