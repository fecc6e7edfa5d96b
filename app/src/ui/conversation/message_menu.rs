//! A message's menu: reply, react (quick and more), edit, delete for
//! everyone (confirmed in a dialog of its own), message info.

use super::*;

/// How far from the window's top a message's menu needs to open upwards
/// (its height with the emoji row, and the header above it), in CSS pixels.
pub(super) const MENU_ROOM: f64 = 360.0;

/// The quick reactions, and the rest of the picker.
pub(super) const QUICK_EMOJI: [&str; 6] = ["👍", "❤️", "😂", "😮", "😢", "🙏"];
pub(super) const MORE_EMOJI: [&str; 30] = [
    "😀", "😁", "😊", "😍", "🥰", "😘", "😎", "🤔", "🙄", "😴", "😅", "🤣", "😭", "😡", "🥳", "😱",
    "🤯", "🙌", "👏", "👋", "👎", "💪", "🔥", "🎉", "💯", "✅", "❌", "👀", "☕", "🍕",
];

/// The "⋯" beside a bubble: Reply, React, Edit, Delete, Message info. Shown on
/// hover or focus, opened by click, long press or keyboard; Escape closes it
/// and gives focus back to the button.
#[component]
pub(super) fn MessageMenu(message: Message, mine: bool, group: bool) -> impl IntoView {
    let live = expect_context::<Live>();
    let actions = expect_context::<Actions>();
    let id = message.id;
    let open = move || actions.menu_for.get() == Some(id);
    let picking = RwSignal::new(false);
    let more = RwSignal::new(false);
    let button = NodeRef::<html::Button>::new();
    let menu = NodeRef::<html::Div>::new();
    // Opened: focus goes to its first item, so the keyboard is in the menu.
    Effect::new(move |_| {
        if let Some(menu) = menu.get() {
            focus_first(&menu, "[role=menuitem]");
        }
    });
    let close = move || {
        actions.menu_for.set(None);
        picking.set(false);
        more.set(false);
        if let Some(button) = button.get_untracked() {
            let _ = button.focus();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.stop_propagation();
            close();
        }
    };
    let react = {
        let message = message.clone();
        move |emoji: &'static str| {
            let message = message.clone();
            close();
            spawn_local(async move {
                let mine = live.me.get_untracked().map(|me| me.id);
                let already = message
                    .reactions
                    .iter()
                    .any(|r| r.emoji == emoji && mine.is_some_and(|me| r.user_ids.contains(&me)));
                if let Err(reason) = live.react(&message, emoji, !already).await {
                    live.conversation.error.set(Some(reason));
                }
            });
        }
    };
    let emoji_button = move |emoji: &'static str| {
        let react = react.clone();
        view! {
            <button type="button" role="menuitem" class="emoji-choice" aria-label=format!("React {emoji}")
                on:click=move |_| react(emoji)>{emoji}</button>
        }
    };
    let reply = {
        let message = message.clone();
        move |_| {
            live.conversation.editing.set(None);
            live.conversation.replying_to.set(Some(message.clone()));
            actions.menu_for.set(None);
            focus_composer();
        }
    };
    let edit = {
        let message = message.clone();
        move |_| {
            live.conversation.replying_to.set(None);
            live.conversation.editing.set(Some(message.clone()));
            actions.menu_for.set(None);
        }
    };
    let delete = {
        let message = message.clone();
        move |_| {
            // Focus on ⋯ first: the dialog hands it back there when it closes.
            close();
            actions.confirm_delete.set(Some(message.clone()));
        }
    };
    let seq = message.seq;
    view! {
        <div class="message-menu" class:open=open on:keydown=on_keydown>
            <button type="button" class="menu-button" node_ref=button aria-label="Message actions"
                aria-haspopup="menu" aria-expanded=move || open().to_string()
                on:click=move |_| if open() { close() } else { actions.menu_for.set(Some(id)) }>
                <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
                    <circle cx="5" cy="12" r="2"/><circle cx="12" cy="12" r="2"/><circle cx="19" cy="12" r="2"/>
                </svg>
            </button>
            {move || open().then(|| {
                let emoji_button = emoji_button.clone();
                let (reply, edit, delete) = (reply.clone(), edit.clone(), delete.clone());
                // Near the top of the window it opens downwards: upwards it
                // would go under the conversation's header.
                let below = button
                    .get_untracked()
                    .is_some_and(|button| button.get_bounding_client_rect().top() < MENU_ROOM);
                view! {
                    <div class="menu" class:below=below role="menu" aria-label="Message actions" node_ref=menu>
                        {move || picking.get().then(|| {
                            let emoji_button = emoji_button.clone();
                            view! {
                                <div class="emoji-row" role="group" aria-label="React">
                                    {QUICK_EMOJI.into_iter().map(emoji_button.clone()).collect_view()}
                                    <button type="button" role="menuitem" class="emoji-more" aria-expanded=move || more.get().to_string()
                                        on:click=move |_| more.update(|more| *more = !*more)>"More…"</button>
                                </div>
                                {move || more.get().then(|| view! {
                                    <div class="emoji-grid" role="group" aria-label="More reactions">
                                        {MORE_EMOJI.into_iter().map(emoji_button.clone()).collect_view()}
                                    </div>
                                })}
                            }
                        })}
                        <button type="button" role="menuitem" on:click=reply>"Reply"</button>
                        <button type="button" role="menuitem" on:click=move |_| {
                            picking.set(true);
                            // The emoji row comes first in the menu: focus goes there.
                            request_animation_frame(move || {
                                if let Some(menu) = menu.get_untracked() {
                                    focus_first(&menu, ".emoji-choice");
                                }
                            });
                        }>"React"</button>
                        {mine.then(|| view! {
                            <button type="button" role="menuitem" on:click=edit.clone()>"Edit"</button>
                            <button type="button" role="menuitem" class="danger" on:click=delete.clone()>"Delete"</button>
                        })}
                        {(mine && group).then(|| view! {
                            <button type="button" role="menuitem"
                                on:click=move |_| { close(); actions.info_for.set(Some(seq)); }>"Message info"</button>
                        })}
                    </div>
                }
            })}
        </div>
    }
}

/// "Delete for everyone?": the one confirmation before text is gone for good,
/// a WebAssembly chunk of its own (see `widgets::loaded_later`).
#[leptos::wasm_split::wasm_split(
    confirm_delete_dialog,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(preload_confirm_delete_dialog)
)]
pub(in crate::ui) fn confirm_delete_dialog(message: Message) -> Result<AnyView, NotLoaded> {
    Ok(built_alone(move || {
        view! { <ConfirmDelete message/> }.into_any()
    }))
}

#[component]
pub(super) fn ConfirmDelete(message: Message) -> impl IntoView {
    let live = expect_context::<Live>();
    let actions = expect_context::<Actions>();
    let cancel = move || actions.confirm_delete.set(None);
    let confirm = move |_| {
        let message = message.clone();
        actions.confirm_delete.set(None);
        spawn_local(async move {
            if let Err(reason) = live.delete(&message).await {
                live.conversation.error.set(Some(reason));
            }
        });
    };
    view! {
        <Modal labelled_by="delete-title" described_by="delete-text" alert=true
            on_close=Callback::new(move |()| cancel())>
            <h2 id="delete-title">"Delete message?"</h2>
            <p id="delete-text">"It will be deleted for everyone in this chat."</p>
            <div class="dialog-actions">
                // First, so focus starts on the harmless choice.
                <button type="button" on:click=move |_| cancel()>"Cancel"</button>
                <button type="button" class="danger" on:click=confirm>"Delete for everyone"</button>
            </div>
        </Modal>
    }
}
