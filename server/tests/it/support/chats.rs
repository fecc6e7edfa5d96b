//! Chats made over the socket, and a message to send.

use super::socket_client::SocketClient;
use app::{
    model::{Chat, ChatKind},
    protocol::{CreateChat, SendMessage},
};

pub async fn create_direct(client: &SocketClient, with: &str) -> Chat {
    client
        .emit(&CreateChat {
            kind: ChatKind::Direct,
            name: None,
            members: vec![with.into()],
        })
        .await
        .expect("direct chat created")
}

pub async fn create_group(client: &SocketClient, name: &str, members: &[&str]) -> Chat {
    client
        .emit(&CreateChat {
            kind: ChatKind::Group,
            name: Some(name.into()),
            members: members.iter().map(|&member| member.into()).collect(),
        })
        .await
        .expect("group created")
}

pub fn send(chat: &Chat, client_id: &str, body: &str) -> SendMessage {
    SendMessage::new(chat.id, client_id, body)
}
