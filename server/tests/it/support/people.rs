//! People: signed up (one helper for every test, [`sign_up`]) and connected.

use super::{app::TestApp, chats::send, socket_client::SocketClient};
use app::{
    model::{Chat, ChatId, ChatSummary, Message, SystemAction, UserId},
    protocol::{AuthReply, ChatUpdated, ListChats, NewMessage},
};
use std::net::SocketAddr;
use uuid::Uuid;

/// Signs `username` up through the JSON API of the server at `addr`.
pub async fn sign_up(
    http: &reqwest::Client,
    addr: SocketAddr,
    username: &str,
    password: &str,
) -> AuthReply {
    let response = http
        .post(format!("http://{addr}/api/auth/signup"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .expect("request");
    assert_eq!(
        response.status(),
        reqwest::StatusCode::CREATED,
        "signup of {username}"
    );
    response.json().await.expect("auth reply")
}

/// A person signed up and connected.
pub struct Person {
    pub auth: AuthReply,
    pub socket: SocketClient,
}

impl Person {
    pub async fn join(app: &TestApp, name: &str) -> Self {
        let auth = app.signup(name, &format!("{name} password")).await;
        let socket = SocketClient::connect(app.addr, &auth.token).await;
        Self { auth, socket }
    }

    pub fn id(&self) -> UserId {
        self.auth.user.id
    }

    pub async fn says(&self, chat: &Chat, body: &str) -> Message {
        self.socket
            .emit(&send(chat, &Uuid::now_v7().to_string(), body))
            .await
            .expect("sent")
    }

    /// The next system line of `chat` this person hears.
    pub async fn hears_line(&self, chat: ChatId, action: SystemAction) -> Message {
        self.socket
            .next_where(|NewMessage(m): &NewMessage| {
                m.chat_id == chat && m.system.as_ref().is_some_and(|e| e.action == action)
            })
            .await
            .0
    }

    pub async fn hears_update(&self, chat: ChatId) -> ChatSummary {
        self.socket
            .next_where(|ChatUpdated(s): &ChatUpdated| s.chat.id == chat)
            .await
            .0
    }

    pub async fn chats(&self) -> Vec<ChatSummary> {
        self.socket
            .emit(&ListChats::first())
            .await
            .expect("chats")
            .chats
    }
}
