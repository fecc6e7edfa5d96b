//! "Message info": each member's delivered and read, live.

use super::*;

/// Who has received and seen a message, a WebAssembly chunk of its own (see
/// `widgets::loaded_later`).
#[leptos::wasm_split::wasm_split(
    message_info_dialog,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(preload_message_info_dialog)
)]
pub(in crate::ui) fn message_info_dialog(
    seq: i64,
    on_close: Callback<()>,
) -> Result<AnyView, NotLoaded> {
    Ok(built_alone(move || {
        view! { <MessageInfo seq on_close=move || on_close.run(())/> }.into_any()
    }))
}

#[component]
pub(super) fn MessageInfo(
    seq: i64,
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let live = expect_context::<Live>();
    let rows = move || {
        let me = live.me.get().map(|me| me.id);
        let members = live
            .conversation
            .chat
            .with(|c| c.as_ref().map(|c| c.members.clone()).unwrap_or_default());
        let receipts = live.conversation.receipts.get();
        members
            .into_iter()
            .filter(|member| Some(member.id) != me)
            .map(|member| {
                let receipt = receipts.iter().find(|r| r.user_id == member.id).copied().unwrap_or(Receipt {
                    user_id: member.id,
                    delivered_seq: 0,
                    seen_seq: 0,
                });
                let (state, label) = match member_status(&receipt, seq) {
                    MessageStatus::Seen => ("seen", "Seen"),
                    MessageStatus::Delivered => ("delivered", "Delivered"),
                    MessageStatus::Sent => ("sent", "Not yet delivered"),
                };
                view! {
                    <li data-testid="receipt-row" data-user=member.username.clone() data-state=state>
                        <span class="receipt-name">{member.display_name.clone()}</span>
                        <span class=format!("receipt-state {state}")>{label}</span>
                    </li>
                }
            })
            .collect_view()
    };
    let close = Callback::new({
        let on_close = on_close.clone();
        move |()| on_close()
    });
    view! {
        <Modal labelled_by="info-title" on_close=close>
            <h2 id="info-title">"Message info"</h2>
            <ul class="receipt-list">{rows}</ul>
            <div class="dialog-actions">
                <button class="primary" on:click=move |_| on_close()>"Close"</button>
            </div>
        </Modal>
    }
}
