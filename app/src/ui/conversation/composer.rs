//! Writing a message: replying, editing, attaching, sent by Enter, with the
//! draft kept per chat across reloads.

use super::*;

/// How often "typing" is repeated while typing, and how long after the last
/// key it stops.
const TYPING_REPEAT_MS: f64 = 3_000.0;
const TYPING_IDLE: Duration = Duration::from_secs(3);

/// Unsent text per chat, in the browser's local storage (this device only).
pub(super) mod drafts {
    use crate::model::ChatId;

    fn key(chat_id: ChatId) -> String {
        format!("parley.draft.{chat_id}")
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    pub fn load(chat_id: ChatId) -> String {
        storage()
            .and_then(|storage| storage.get_item(&key(chat_id)).ok().flatten())
            .unwrap_or_default()
    }

    pub fn save(chat_id: ChatId, text: &str) {
        let Some(storage) = storage() else { return };
        let _ = if text.trim().is_empty() {
            storage.remove_item(&key(chat_id))
        } else {
            storage.set_item(&key(chat_id), text)
        };
    }
}

#[component]
pub(super) fn Composer(chat_id: ChatId) -> impl IntoView {
    let live = expect_context::<Live>();
    let conversation = live.conversation;
    // What was typed here and not sent survives a reload (or another chat).
    let draft = RwSignal::new(String::new());
    Effect::new(move |_| draft.set(drafts::load(chat_id)));
    Effect::new(move |first: Option<()>| {
        let text = draft.get();
        if first.is_some() && conversation.editing.with_untracked(Option::is_none) {
            drafts::save(chat_id, &text);
        }
    });
    let typing_sent_at = StoredValue::new(0.0_f64);
    let idle_timer = StoredValue::new(None::<TimeoutHandle>);
    let textarea = NodeRef::<html::Textarea>::new();
    let uploads = expect_context::<Uploads>();
    let file_input = NodeRef::<html::Input>::new();
    // Send was pressed while files were still going up: send once they are.
    let send_when_ready = RwSignal::new(false);

    // Editing starts: the message's text in the composer, focus in it.
    Effect::new(move |_| {
        if let Some(message) = conversation.editing.get() {
            draft.set(message.body.clone());
            if let Some(textarea) = textarea.get_untracked() {
                let _ = textarea.focus();
            }
        }
    });

    // `@` + the start of a member's name: a list to pick them from.
    let picker = MentionPicker::new(draft, textarea);
    let stop_typing = move || {
        if let Some(timer) = idle_timer.try_update_value(Option::take).flatten() {
            timer.clear();
        }
        if typing_sent_at.get_value() > 0.0 {
            typing_sent_at.set_value(0.0);
            live.typing(chat_id, false);
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        draft.set(event_target_value(&ev));
        picker.typed();
        if conversation.editing.get_untracked().is_some() {
            return;
        }
        let now = crate::live::now_ms();
        if now - typing_sent_at.get_value() > TYPING_REPEAT_MS {
            typing_sent_at.set_value(now);
            live.typing(chat_id, true);
        }
        if let Some(timer) = idle_timer.try_update_value(Option::take).flatten() {
            timer.clear();
        }
        let timer = set_timeout_with_handle(stop_typing, TYPING_IDLE).ok();
        idle_timer.set_value(timer);
    };
    let cancel_edit = move || {
        conversation.editing.set(None);
        draft.set(drafts::load(chat_id));
    };
    let save_edit = move |message: Message, text: String| {
        spawn_local(async move {
            match live.edit(&message, text).await {
                Ok(()) => cancel_edit(),
                Err(reason) => conversation.error.set(Some(reason)),
            }
        });
    };
    let send = move || {
        let text = draft.get_untracked();
        if let Some(message) = conversation.editing.get_untracked() {
            if !text.trim().is_empty() {
                conversation.error.set(None);
                save_edit(message, text);
            }
            return;
        }
        if uploads.busy_untracked() {
            send_when_ready.set(true);
            return;
        }
        if text.trim().is_empty() && !uploads.any_done_untracked() {
            return;
        }
        conversation.error.set(None);
        let attachments = uploads.take_done();
        draft.set(String::new());
        stop_typing();
        let reply_to = conversation
            .replying_to
            .try_update(Option::take)
            .flatten()
            .map(|m| m.id);
        spawn_local(async move {
            let sent = live
                .send(chat_id, text.clone(), reply_to, attachments.clone())
                .await;
            if let Err(reason) = sent {
                // Refused: say why and give the text and files back.
                conversation.error.set(Some(reason));
                if draft.get_untracked().is_empty() {
                    draft.set(text);
                }
                uploads.put_back(attachments);
            }
        });
    };
    Effect::new(move |_| {
        if send_when_ready.get() && !uploads.busy() {
            send_when_ready.set(false);
            send();
        }
    });
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        let files = ev.clipboard_data().and_then(|data| data.files());
        if files.as_ref().is_some_and(|files| files.length() > 0) {
            ev.prevent_default();
            uploads.add_all(chat_id, files);
        }
    };
    let on_files_picked = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        uploads.add_all(chat_id, input.files());
        // The same file can be picked again.
        input.set_value("");
        focus_composer();
    };
    let wrap_in = move |marker: char| {
        let Some(textarea) = textarea.get_untracked() else {
            return;
        };
        let text = textarea.value();
        let start = textarea.selection_start().ok().flatten().unwrap_or(0);
        let end = textarea.selection_end().ok().flatten().unwrap_or(start);
        let (wrapped, from, to) = crate::format::wrap_selection(&text, start, end, marker);
        // The element first, so the selection set next stays (the draft's
        // update then writes the same value: no caret move).
        textarea.set_value(&wrapped);
        let _ = textarea.set_selection_range(from, to);
        draft.set(wrapped);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if picker.key(&ev) {
            return;
        }
        let shortcut = (ev.ctrl_key() || ev.meta_key()) && !ev.alt_key() && !ev.shift_key();
        match ev.key().as_str() {
            // Ctrl/Cmd+B and +I: the selection bold or italic, as typed markers.
            "b" | "B" | "i" | "I" if shortcut => {
                ev.prevent_default();
                let marker = if ev.key().eq_ignore_ascii_case("b") {
                    '*'
                } else {
                    '_'
                };
                wrap_in(marker);
            }
            "Enter" if !ev.shift_key() && !ev.is_composing() => {
                ev.prevent_default();
                send();
            }
            "Escape" if conversation.editing.get_untracked().is_some() => cancel_edit(),
            "Escape" => conversation.replying_to.set(None),
            // Up in an empty composer: edit my last message.
            "ArrowUp" if draft.with_untracked(String::is_empty) => {
                let me = live.me.get_untracked().map(|me| me.id);
                let last = conversation.messages.with_untracked(|messages| {
                    messages
                        .iter()
                        .rev()
                        .find(|m| Some(m.sender_id) == me && !m.is_deleted() && m.system.is_none())
                        .cloned()
                });
                if let Some(last) = last {
                    ev.prevent_default();
                    conversation.replying_to.set(None);
                    conversation.editing.set(Some(last));
                }
            }
            _ => {}
        }
    };
    let strip = move || {
        if conversation.editing.with(Option::is_some) {
            return Some(
                view! {
                    <div class="composer-strip" data-testid="editing">
                        <span class="strip-title">"Editing message"</span>
                        <button type="button" class="strip-close" aria-label="Cancel editing"
                            on:click=move |_| cancel_edit()><Icon shape=IconShape::Close/></button>
                    </div>
                }
                .into_any(),
            );
        }
        let message = conversation.replying_to.get()?;
        let me = live.me.get_untracked().map(|me| me.id);
        let members = conversation
            .chat
            .with(|c| c.as_ref().map(|c| c.members.clone()).unwrap_or_default());
        let who = names_of(&[message.sender_id], &members, me);
        Some(
            view! {
                <div class="composer-strip" data-testid="replying-to">
                    <span class="strip-title">{format!("Replying to {who}")}</span>
                    <span class="strip-text">{crate::format::plain(&message.body)}</span>
                    <button type="button" class="strip-close" aria-label="Cancel reply"
                        on:click=move |_| conversation.replying_to.set(None)><Icon shape=IconShape::Close/></button>
                </div>
            }
            .into_any(),
        )
    };
    view! {
        {strip}
        <UploadTray uploads/>
        {move || send_when_ready.get().then(|| view! {
            <p class="upload-wait" role="status">"Sending when the uploads finish…"</p>
        })}
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
            <button type="button" class="attach-button" aria-label="Attach photos or files"
                disabled=move || conversation.editing.with(Option::is_some)
                on:click=move |_| {
                    if let Some(input) = file_input.get_untracked() {
                        input.click();
                    }
                }><Icon shape=IconShape::Paperclip/></button>
            <input type="file" multiple class="visually-hidden" tabindex="-1" aria-hidden="true"
                data-testid="file-input" node_ref=file_input on:change=on_files_picked/>
            <MentionList picker/>
            <textarea
                rows="1"
                placeholder="Type a message"
                aria-label="Message"
                aria-describedby="composer-hint"
                aria-autocomplete="list"
                aria-controls=move || picker.is_open().then_some("mention-picker")
                aria-activedescendant=move || picker.active_option()
                node_ref=textarea
                prop:value=move || draft.get()
                on:input=on_input
                on:paste=on_paste
                on:keydown=on_keydown
                on:keyup=move |_| picker.track_caret()
                on:click=move |_| picker.track_caret()
            ></textarea>
            <button type="submit" class="primary send-button"
                aria-label=move || if conversation.editing.with(Option::is_some) { "Save" } else { "Send" }
                disabled=move || draft.with(|d| d.trim().is_empty()) && !uploads.any_done() && !uploads.busy()>
                {move || if conversation.editing.with(Option::is_some) { "Save" } else { "Send" }}
            </button>
        </form>
        // How to format, once there is something to format (read to screen
        // readers with the message box either way).
        <p id="composer-hint" class="composer-hint" data-testid="composer-hint"
            class:visually-hidden=move || draft.with(|d| d.trim().is_empty())>
            <code>"*bold*"</code>" "<code>"_italic_"</code>" "<code>"~strike~"</code>" "<code>"`code`"</code>
            <span class="hint-keys">" · Ctrl+B, Ctrl+I"</span>
        </p>
    }
}
