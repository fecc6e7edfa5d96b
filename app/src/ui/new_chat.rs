//! The "new chat" dialog: a direct chat by username, or a named group.

use super::navigation::Location;
use super::widgets::{Modal, NotLoaded, built_alone};
use crate::live::Live;
use crate::{model::ChatKind, protocol::CreateChat};
use leptos::{prelude::*, task::spawn_local};

/// The dialog, a WebAssembly chunk of its own (see `widgets::loaded_later`).
#[leptos::wasm_split::wasm_split(
    new_chat_dialog,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(preload_new_chat_dialog)
)]
pub fn new_chat_dialog(on_close: Callback<()>) -> Result<AnyView, NotLoaded> {
    Ok(built_alone(move || {
        view! { <NewChatDialog on_close=move || on_close.run(())/> }.into_any()
    }))
}

#[component]
pub fn NewChatDialog(on_close: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let live = expect_context::<Live>();
    let location = Location::current();
    let kind = RwSignal::new(ChatKind::Direct);
    let username = RwSignal::new(String::new());
    let group_name = RwSignal::new(String::new());
    let members = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = {
        let on_close = on_close.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let request = match kind.get_untracked() {
                ChatKind::Direct => CreateChat {
                    kind: ChatKind::Direct,
                    name: None,
                    members: vec![username.get_untracked().trim().to_owned()],
                },
                ChatKind::Group => CreateChat {
                    kind: ChatKind::Group,
                    name: Some(group_name.get_untracked()),
                    members: members
                        .get_untracked()
                        .split([',', ' '])
                        .map(str::trim)
                        .filter(|name| !name.is_empty())
                        .map(str::to_owned)
                        .collect(),
                },
            };
            busy.set(true);
            let on_close = on_close.clone();
            spawn_local(async move {
                match live.create_chat(request).await {
                    Ok(chat_id) => {
                        location.navigate(&format!("/chats/{chat_id}"));
                        on_close();
                    }
                    Err(message) => {
                        error.set(Some(message));
                        busy.set(false);
                    }
                }
            });
        }
    };
    let close = Callback::new({
        let on_close = on_close.clone();
        move |()| on_close()
    });
    view! {
        <Modal labelled_by="new-chat-title" on_close=close>
                <h2 id="new-chat-title">"New chat"</h2>
                <form class="auth-form" on:submit=submit>
                    <div class="segmented" role="radiogroup" aria-label="Kind of chat">
                        <label>
                            <input type="radio" name="kind" checked=move || kind.get() == ChatKind::Direct
                                on:change=move |_| kind.set(ChatKind::Direct)/>
                            "Direct"
                        </label>
                        <label>
                            <input type="radio" name="kind" checked=move || kind.get() == ChatKind::Group
                                on:change=move |_| kind.set(ChatKind::Group)/>
                            "Group"
                        </label>
                    </div>
                    <Show
                        when=move || kind.get() == ChatKind::Direct
                        fallback=move || view! {
                            <label>"Group name"
                                <input autofocus maxlength="64" prop:value=move || group_name.get()
                                    on:input=move |ev| group_name.set(event_target_value(&ev))/>
                            </label>
                            <label>"Members (usernames, comma-separated)"
                                <input placeholder="mike, sara" prop:value=move || members.get()
                                    on:input=move |ev| members.set(event_target_value(&ev))/>
                            </label>
                        }
                    >
                        <label>"Username"
                            <input autofocus placeholder="mike" prop:value=move || username.get()
                                on:input=move |ev| username.set(event_target_value(&ev))/>
                        </label>
                    </Show>
                    {move || error.get().map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
                    <div class="dialog-actions">
                        <button type="button" class="link-button" on:click={
                            let on_close = on_close.clone();
                            move |_| on_close()
                        }>"Cancel"</button>
                        <button type="submit" class="primary" disabled=move || busy.get()>"Start chat"</button>
                    </div>
                </form>
        </Modal>
    }
}
