//! Messages on their way: shown with a clock, sent again with the same
//! client id after a reconnect; and changes to messages already sent.

use super::*;

/// How often a message is sent while connected before it shows as not sent
/// (with its Retry button): each try waits `client::ACK_TIMEOUT`.
pub(super) const SEND_ATTEMPTS: u32 = 3;

/// A message on its way: shown with a clock, resent with the same client id
/// after a reconnect, marked for retry if it failed.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub chat_id: ChatId,
    pub client_id: String,
    pub body: String,
    /// The message it answers.
    pub reply_to: Option<MessageId>,
    /// Uploaded already; the message takes them when it is stored.
    pub attachments: Vec<Attachment>,
    pub failed: bool,
}

impl Live {
    /// Sends `body` to the open chat. A refusal comes back as its message (the
    /// caller keeps the draft); a lost connection leaves the message in the
    /// outbox, to be resent with the same client id on reconnecting; a server
    /// that answers none of `SEND_ATTEMPTS` tries marks it not sent.
    pub async fn send(
        self,
        chat_id: ChatId,
        body: String,
        reply_to: Option<MessageId>,
        attachments: Vec<Attachment>,
    ) -> Result<(), String> {
        let pending = Outgoing {
            chat_id,
            client_id: new_client_id(),
            body,
            reply_to,
            attachments,
            failed: false,
        };
        self.outbox.update(|outbox| outbox.push(pending.clone()));
        self.deliver(pending).await
    }

    pub(super) async fn deliver(self, pending: Outgoing) -> Result<(), String> {
        let request = SendMessage {
            chat_id: pending.chat_id,
            client_id: pending.client_id.clone(),
            body: pending.body.clone(),
            reply_to_id: pending.reply_to,
            attachment_ids: pending.attachments.iter().map(|a| a.id).collect(),
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.emit(request.clone()).await {
                // The ack is this tab's copy (the server sends `newMessage` to
                // my other tabs only).
                Ok(message) => {
                    self.on_new_message(message);
                    return Ok(());
                }
                Err(EmitError::Refused(error)) => {
                    self.outbox
                        .update(|outbox| outbox.retain(|p| p.client_id != pending.client_id));
                    return Err(error.message);
                }
                // Sent again on reconnecting (`flush_outbox`).
                Err(EmitError::Offline) => return Ok(()),
                // Stored or not, asking again is safe: the server answers a
                // repeated client id with the message it stored. Without this
                // a slow answer left the message pending until a reconnect.
                Err(EmitError::Timeout) if attempts < SEND_ATTEMPTS => {}
                Err(other) => {
                    self.mark_failed(&pending.client_id);
                    return Err(other.message());
                }
            }
        }
    }

    pub(super) fn mark_failed(self, client_id: &str) {
        self.outbox.update(|outbox| {
            if let Some(pending) = outbox.iter_mut().find(|p| p.client_id == client_id) {
                pending.failed = true;
            }
        });
    }

    /// Tries a failed message again, with its original client id.
    pub fn retry(self, client_id: String) {
        let Some(mut pending) = self
            .outbox
            .with_untracked(|o| o.iter().find(|p| p.client_id == client_id).cloned())
        else {
            return;
        };
        pending.failed = false;
        self.outbox.update(|outbox| {
            if let Some(entry) = outbox.iter_mut().find(|p| p.client_id == client_id) {
                entry.failed = false;
            }
        });
        spawn_local(async move {
            if let Err(error) = self.deliver(pending).await {
                self.conversation.error.set(Some(error));
            }
        });
    }

    pub(super) async fn flush_outbox(self) {
        for pending in self.outbox.get_untracked() {
            if let Err(error) = self.deliver(pending).await {
                self.conversation.error.set(Some(error));
            }
        }
    }

    /// A stored message replaces its pending twin and joins the conversation.
    pub(super) fn settle(self, message: &Message) {
        self.outbox
            .update(|outbox| outbox.retain(|p| p.client_id != message.client_id));
        if self.open.get_untracked() == Some(message.chat_id) {
            let mut message = message.clone();
            // A receipt can overtake the message it covers: the reader opened
            // the chat while this tab's ack was still on its way. The ticks
            // follow the receipts held, once the open chat's are (joined).
            let conversation = self.conversation;
            let joined = conversation.chat.with_untracked(|chat| {
                chat.as_ref().is_some_and(|chat| chat.id == message.chat_id)
            });
            if joined {
                let by_receipts = conversation.receipts.with_untracked(|receipts| {
                    message_status(receipts, message.sender_id, message.seq)
                });
                message.status = message.status.max(by_receipts);
            }
            conversation.messages.update(|all| upsert(all, message));
        }
    }

    /// Replaces a message's text; the server's reason if it refused.
    pub async fn edit(self, message: &Message, body: String) -> Result<(), String> {
        let request = EditMessage {
            chat_id: message.chat_id,
            message_id: message.id,
            body,
        };
        self.change(request).await
    }

    /// Deletes a message for everyone.
    pub async fn delete(self, message: &Message) -> Result<(), String> {
        let request = DeleteMessage {
            chat_id: message.chat_id,
            message_id: message.id,
        };
        self.change(request).await
    }

    /// Puts or takes back my `emoji` on a message.
    pub async fn react(self, message: &Message, emoji: &str, on: bool) -> Result<(), String> {
        let request = React {
            chat_id: message.chat_id,
            message_id: message.id,
            emoji: emoji.to_owned(),
            on,
        };
        self.change(request).await
    }

    pub(super) async fn change<E: ClientEvent<Reply = Message>>(
        self,
        request: E,
    ) -> Result<(), String> {
        let message = self.emit(request).await.map_err(|error| error.message())?;
        self.on_message_updated(message);
        Ok(())
    }

    pub(super) fn on_new_message(self, message: Message) {
        let mine = self.my_id() == Some(message.sender_id);
        let on_screen = self.open.get_untracked() == Some(message.chat_id) && tab_visible();
        self.settle(&message);
        self.typing.update(|typing| {
            typing.retain(|t| !(t.chat_id == message.chat_id && t.user_id == message.sender_id))
        });
        let mut known = false;
        let me = self.my_id();
        self.chats.update(|chats| {
            known = take_new_message(chats, &message, !mine && !on_screen, me);
        });
        self.listing.update_value(|listing| {
            if listing.asked > 0 {
                listing.taken.push((message.clone(), !mine && !on_screen));
            }
        });
        if !mine && !on_screen {
            let summary = self.chats.with_untracked(|chats| {
                chats
                    .iter()
                    .find(|summary| summary.chat.id == message.chat_id)
                    .cloned()
            });
            if let Some(summary) = summary {
                self.me
                    .with_untracked(|me| super::notify::announce(me.as_ref(), &summary, &message));
            }
        }
        self.see_if_missed(&message, mine, on_screen);
        if !known {
            spawn_local(self.list_chats());
        }
    }
}
