//! The conversation's info dialog. For a group: its members with their
//! roles, and — for its admins — renaming, adding, removing and appointing,
//! and the group's invite link; leaving for anyone. For a direct chat: block or unblock the other person.

use super::widgets::{Avatar, Modal, NotLoaded, PhotoPicker, built_alone};
use crate::live::Live;
use crate::{
    model::{Chat, ChatId, ChatKind, ChatMember, Role, UserId},
    protocol::{
        AddMembers, BlockUser, CreateInviteLink, InviteLink, LeaveChat, RemoveMember,
        RevokeInviteLink, SetRole, UpdateChat,
    },
};
use leptos::{prelude::*, task::spawn_local};

/// The dialog, a WebAssembly chunk of its own (see `widgets::loaded_later`).
#[leptos::wasm_split::wasm_split(
    chat_info_dialog,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(preload_chat_info_dialog)
)]
pub fn chat_info_dialog(on_close: Callback<()>) -> Result<AnyView, NotLoaded> {
    Ok(built_alone(move || {
        view! { <ChatInfo on_close/> }.into_any()
    }))
}

#[component]
pub fn ChatInfo(on_close: Callback<()>) -> impl IntoView {
    let live = expect_context::<Live>();
    let error = RwSignal::new(None::<String>);
    // Runs a request; its refusal shows in the dialog.
    let run = move |work: Work| {
        spawn_local(async move {
            match work.await {
                Ok(()) => error.set(None),
                Err(reason) => error.set(Some(reason)),
            }
        });
    };
    let body = move || {
        let chat = live.conversation.chat.get()?;
        let me = live.me.get()?.id;
        Some(match chat.kind {
            ChatKind::Group => view! { <GroupInfo chat me run on_close/> }.into_any(),
            ChatKind::Direct => view! { <DirectInfo chat me run/> }.into_any(),
        })
    };
    view! {
        <Modal labelled_by="chat-info-title" on_close>
            {body}
            {move || error.get().map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
            <div class="dialog-actions">
                <button type="button" on:click=move |_| on_close.run(())>"Close"</button>
            </div>
        </Modal>
    }
}

type Work = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>>>>;

#[component]
fn GroupInfo(
    chat: Chat,
    me: UserId,
    run: impl Fn(Work) + Copy + 'static,
    on_close: Callback<()>,
) -> impl IntoView {
    let live = expect_context::<Live>();
    let admin = chat.is_admin(me);
    let chat_id = chat.id;
    let name = RwSignal::new(chat.name.clone().unwrap_or_default());
    let description = RwSignal::new(chat.description.clone().unwrap_or_default());
    let adding = RwSignal::new(String::new());
    let rename = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = UpdateChat::rename(chat_id, name.get_untracked());
        run(Box::pin(async move { live.ask(request).await.map(drop) }));
    };
    let describe = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = UpdateChat::describe(chat_id, description.get_untracked());
        run(Box::pin(async move { live.ask(request).await.map(drop) }));
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let members: Vec<String> = adding
            .get_untracked()
            .split([',', ' '])
            .map(|name| name.trim().trim_start_matches('@').to_owned())
            .filter(|name| !name.is_empty())
            .collect();
        if members.is_empty() {
            return;
        }
        adding.set(String::new());
        run(Box::pin(async move {
            live.ask(AddMembers { chat_id, members }).await.map(drop)
        }));
    };
    let leave = move |_| {
        on_close.run(());
        run(Box::pin(async move {
            live.ask(LeaveChat { chat_id }).await.map(drop)
        }));
    };
    // Admins first, each part in the order they joined.
    let mut members = chat.members.clone();
    members.sort_by_key(|member| member.role != Role::Admin);
    let members = members
        .into_iter()
        .map(|member| view! { <MemberRow member chat_id me admin run/> })
        .collect_view();
    let group_name = chat.name.clone().unwrap_or_default();
    let photo = Signal::derive(move || {
        (live.conversation.chat).with(|chat| chat.as_ref().and_then(|chat| chat.photo_url.clone()))
    });
    let face = if admin {
        // The new photo arrives with `chatUpdated`, as any group change.
        let on_changed = Callback::new(|_: Option<String>| {});
        view! {
            <PhotoPicker path=crate::media::group_photo_path(chat_id) name=group_name.clone()
                label="Change group photo" photo on_changed/>
        }
        .into_any()
    } else {
        view! { <Avatar name=group_name.clone() photo=photo.get_untracked() large=true/> }
            .into_any()
    };
    view! {
        {face}
        <h2 id="chat-info-title">{group_name.clone()}</h2>
        {chat.description.as_deref().map(|text| {
            super::formatted::formatted(
                text,
                super::formatted::Mentionable::NOBODY,
                "group-description",
                "group-description",
            )
        })}
        {admin.then(|| view! {
            <form class="inline-form" on:submit=rename>
                <label>"Group name"
                    <input bind:value=name maxlength="64" required data-testid="group-name"/>
                </label>
                <button type="submit" class="secondary">"Rename"</button>
            </form>
            <form class="inline-form" on:submit=describe>
                <label>"Description"
                    <textarea rows="3" maxlength="500" data-testid="group-description-input"
                        prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                </label>
                <button type="submit" class="secondary">"Save description"</button>
            </form>
        })}
        <h3>{format!("{} members", chat.members.len())}</h3>
        <ul class="member-list" data-testid="member-list">{members}</ul>
        {admin.then(|| view! {
            <form class="inline-form" on:submit=add>
                <label>"Add people (usernames)"
                    <input bind:value=adding autocomplete="off" data-testid="add-members"/>
                </label>
                <button type="submit" class="secondary">"Add"</button>
            </form>
            <InviteLinkPanel chat_id/>
        })}
        <button type="button" class="secondary danger" on:click=leave data-testid="leave-group">"Leave group"</button>
    }
}

/// A group's invite link, for its admins: make one (how long it lasts, how
/// many may use it), copy it, make a new one (the old one stops at once), or
/// stop it. Shown once made: the server keeps it for joining, not for
/// showing again.
#[component]
fn InviteLinkPanel(chat_id: ChatId) -> impl IntoView {
    let live = expect_context::<Live>();
    let link = RwSignal::new(None::<InviteLink>);
    let error = RwSignal::new(None::<String>);
    let hours = RwSignal::new(String::new());
    let uses = RwSignal::new(String::new());
    let copied = RwSignal::new(false);
    let make = move |_| {
        let request = CreateInviteLink {
            chat_id,
            expires_in_hours: hours.get_untracked().parse().ok(),
            max_uses: uses.get_untracked().parse().ok(),
        };
        copied.set(false);
        spawn_local(async move {
            match live.ask(request).await {
                Ok(made) => {
                    link.set(Some(made));
                    error.set(None);
                }
                Err(reason) => error.set(Some(reason)),
            }
        });
    };
    let stop = move |_| {
        spawn_local(async move {
            match live.ask(RevokeInviteLink { chat_id }).await {
                Ok(_) => {
                    link.set(None);
                    error.set(None);
                }
                Err(reason) => error.set(Some(reason)),
            }
        });
    };
    let copy = move |_| {
        let Some(url) = link.with_untracked(|link| link.as_ref().map(|l| l.url.clone())) else {
            return;
        };
        let clipboard = window().navigator().clipboard();
        spawn_local(async move {
            let written = wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&url)).await;
            copied.set(written.is_ok());
        });
    };
    view! {
        <section class="invite-link-panel" aria-labelledby="invite-link-title">
            <h3 id="invite-link-title">"Invite link"</h3>
            <p class="hint">"Anyone with the link can join this group. Making a new link stops the old one."</p>
            {move || link.get().map(|made| view! {
                <input class="invite-url" readonly value=made.url aria-label="Invite link" data-testid="invite-url"/>
                <div class="invite-actions">
                    <button type="button" class="secondary" on:click=copy>
                        {move || if copied.get() { "Copied" } else { "Copy link" }}
                    </button>
                    <button type="button" class="secondary danger" on:click=stop>"Stop link"</button>
                </div>
            })}
            <div class="inline-form">
                <label>"Expires"
                    <select on:change=move |ev| hours.set(event_target_value(&ev))>
                        <option value="">"Never"</option>
                        <option value="1">"In an hour"</option>
                        <option value="24">"In a day"</option>
                        <option value="168">"In a week"</option>
                    </select>
                </label>
                <label>"Uses"
                    <select on:change=move |ev| uses.set(event_target_value(&ev))>
                        <option value="">"Any number"</option>
                        <option value="1">"1"</option>
                        <option value="10">"10"</option>
                        <option value="100">"100"</option>
                    </select>
                </label>
                <button type="button" class="secondary" on:click=make data-testid="make-invite-link">
                    {move || if link.with(Option::is_some) { "New link" } else { "Create link" }}
                </button>
            </div>
            {move || error.get().map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
        </section>
    }
}

#[component]
fn MemberRow(
    member: ChatMember,
    chat_id: crate::model::ChatId,
    me: UserId,
    admin: bool,
    run: impl Fn(Work) + Copy + 'static,
) -> impl IntoView {
    let live = expect_context::<Live>();
    let user_id = member.id;
    let is_admin = member.role == Role::Admin;
    let name = if user_id == me {
        format!("{} (you)", member.display_name)
    } else {
        member.display_name.clone()
    };
    let set_role = move |role: Role| {
        run(Box::pin(async move {
            live.ask(SetRole {
                chat_id,
                user_id,
                role,
            })
            .await
            .map(drop)
        }));
    };
    let remove = move |_| {
        run(Box::pin(async move {
            live.ask(RemoveMember { chat_id, user_id }).await.map(drop)
        }));
    };
    let display = member.display_name.clone();
    view! {
        <li class="member" data-testid="member">
            <Avatar name=member.display_name.clone() photo=member.photo_url.clone()/>
            <span class="member-name">{name}</span>
            {is_admin.then(|| view! { <span class="role-badge">"admin"</span> })}
            {(admin && user_id != me).then(|| view! {
                <span class="member-actions">
                    {if is_admin {
                        view! { <button type="button" class="link-button" on:click=move |_| set_role(Role::Member)
                            aria-label=format!("Remove {display} as admin")>"Remove as admin"</button> }.into_any()
                    } else {
                        view! { <button type="button" class="link-button" on:click=move |_| set_role(Role::Admin)
                            aria-label=format!("Make {display} an admin")>"Make admin"</button> }.into_any()
                    }}
                    <button type="button" class="link-button danger" on:click=remove
                        aria-label=format!("Remove {} from the group", member.display_name)>"Remove"</button>
                </span>
            })}
        </li>
    }
}

#[component]
fn DirectInfo(chat: Chat, me: UserId, run: impl Fn(Work) + Copy + 'static) -> impl IntoView {
    let live = expect_context::<Live>();
    let me_user = live.me.get_untracked();
    let other = chat.other_member(me_user.as_ref()).cloned();
    let chat_id = chat.id;
    let blocked = move || {
        live.chats.with(|chats| {
            chats
                .iter()
                .any(|summary| summary.chat.id == chat_id && summary.blocked)
        })
    };
    let Some(other) = other.filter(|other| other.id != me) else {
        return ().into_any();
    };
    let user_id = other.id;
    let toggle = move |_| {
        let blocked_now = !blocked();
        run(Box::pin(async move {
            live.ask(BlockUser {
                user_id,
                blocked: blocked_now,
            })
            .await
            .map(drop)
        }));
    };
    view! {
        <Avatar name=other.display_name.clone() photo=other.photo_url.clone() large=true/>
        <h2 id="chat-info-title">{other.display_name.clone()}</h2>
        <p class="hint">"@"{other.username.clone()}</p>
        <p>{move || if blocked() {
            "You have blocked this person: they cannot message you or see when you are online."
        } else {
            "Blocking stops this person from messaging you and from seeing when you are online. Groups you share are not affected."
        }}</p>
        <button type="button" class="secondary danger" on:click=toggle data-testid="block-toggle">
            {move || if blocked() { "Unblock" } else { "Block" }}
        </button>
    }
    .into_any()
}
