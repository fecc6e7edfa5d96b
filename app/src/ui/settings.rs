//! The privacy part of the settings page: read receipts, typing indicators,
//! last seen, who may add you to groups, who sees your photo and what
//! notifications show, saved
//! as soon as they change (over the socket); and whether this device gets
//! notifications while Parley is closed (Web Push).

use crate::live::{Live, notify, push};
use crate::{
    client::ConnectionState,
    model::{GroupAdds, LastSeenVisibility, PhotoVisibility, Settings},
    protocol::{GetSettings, UpdateSettings},
};
use leptos::{prelude::*, task::spawn_local};

#[component]
pub fn PrivacySettings(user: crate::model::User) -> impl IntoView {
    let live = expect_context::<Live>();
    let settings = RwSignal::new(None::<Settings>);
    let status = RwSignal::new(None::<String>);
    // In the browser only: the socket is the way to the settings.
    Effect::new(move |_| live.start(user.clone()));
    // Asked once the socket is up (and again after a reconnect, if need be).
    Effect::new(move |_| {
        if live.connection.get() == ConnectionState::Connected
            && settings.with_untracked(Option::is_none)
        {
            spawn_local(async move {
                match live.ask(GetSettings {}).await {
                    Ok(loaded) => settings.set(Some(loaded)),
                    Err(reason) => status.set(Some(reason)),
                }
            });
        }
    });
    let save = move |change: UpdateSettings| {
        spawn_local(async move {
            match live.ask(change).await {
                Ok(saved) => {
                    settings.set(Some(saved));
                    status.set(Some("Saved.".to_owned()));
                }
                Err(reason) => status.set(Some(reason)),
            }
        });
    };
    let checked =
        move |pick: fn(&Settings) -> bool| move || settings.with(|s| s.as_ref().is_some_and(pick));
    let disabled = move || settings.with(Option::is_none);
    view! {
        <div class="privacy" data-testid="privacy">
            <label class="toggle">
                <input type="checkbox" data-testid="read-receipts" prop:checked=checked(|s| s.read_receipts)
                    prop:disabled=disabled
                    on:change=move |ev| save(UpdateSettings { read_receipts: Some(event_target_checked(&ev)), ..Default::default() })/>
                <span>"Read receipts"</span>
                <span class="hint">"Off: others see “delivered”, never “seen”, from you, and you see nobody’s “seen”."</span>
            </label>
            <label class="toggle">
                <input type="checkbox" data-testid="typing-indicators" prop:checked=checked(|s| s.typing_indicators)
                    prop:disabled=disabled
                    on:change=move |ev| save(UpdateSettings { typing_indicators: Some(event_target_checked(&ev)), ..Default::default() })/>
                <span>"Typing indicators"</span>
                <span class="hint">"Off: nobody sees when you are typing."</span>
            </label>
            <label class="select">
                <span>"Who sees when you were last online"</span>
                <select data-testid="last-seen" prop:disabled=disabled
                    on:change=move |ev| {
                        let last_seen = if event_target_value(&ev) == "nobody" { LastSeenVisibility::Nobody } else { LastSeenVisibility::Everyone };
                        save(UpdateSettings { last_seen: Some(last_seen), ..Default::default() })
                    }>
                    <option value="everyone" prop:selected=move || settings.with(|s| s.as_ref().is_some_and(|s| s.last_seen == LastSeenVisibility::Everyone))>"Everyone"</option>
                    <option value="nobody" prop:selected=move || settings.with(|s| s.as_ref().is_some_and(|s| s.last_seen == LastSeenVisibility::Nobody))>"Nobody"</option>
                </select>
            </label>
            <label class="select">
                <span>"Who may add you to groups"</span>
                <select data-testid="group-adds" prop:disabled=disabled
                    on:change=move |ev| {
                        let group_adds = GroupAdds::parse(&event_target_value(&ev));
                        save(UpdateSettings { group_adds: Some(group_adds), ..Default::default() })
                    }>
                    {[
                        (GroupAdds::Everyone, "Everyone"),
                        (GroupAdds::Contacts, "People I have written to"),
                        (GroupAdds::Nobody, "Nobody"),
                    ]
                        .map(|(choice, label)| view! {
                            <option value=choice.as_str()
                                prop:selected=move || settings.with(|s| s.as_ref().is_some_and(|s| s.group_adds == choice))>
                                {label}
                            </option>
                        })}
                </select>
            </label>
            <label class="select">
                <span>"Who sees your profile photo"</span>
                <select data-testid="profile-photo" prop:disabled=disabled
                    on:change=move |ev| {
                        let profile_photo = PhotoVisibility::parse(&event_target_value(&ev));
                        save(UpdateSettings { profile_photo: Some(profile_photo), ..Default::default() })
                    }>
                    {[
                        (PhotoVisibility::Everyone, "Everyone"),
                        (PhotoVisibility::Contacts, "People in my chats"),
                        (PhotoVisibility::Nobody, "Nobody"),
                    ]
                        .map(|(choice, label)| view! {
                            <option value=choice.as_str()
                                prop:selected=move || settings.with(|s| s.as_ref().is_some_and(|s| s.profile_photo == choice))>
                                {label}
                            </option>
                        })}
                </select>
            </label>
            <label class="toggle">
                <input type="checkbox" data-testid="notification-preview" prop:checked=checked(|s| s.notification_preview)
                    prop:disabled=disabled
                    on:change=move |ev| save(UpdateSettings { notification_preview: Some(event_target_checked(&ev)), ..Default::default() })/>
                <span>"Show message text in notifications"</span>
                <span class="hint">"Off: notifications say “New message”, never what it says."</span>
            </label>
            <DeviceNotifications status/>
            <p class="hint" role="status" data-testid="settings-status">{move || status.get()}</p>
        </div>
    }
}

/// One's own profile photo: choose one, or take it away.
#[component]
pub fn MyPhoto(user: crate::model::User) -> impl IntoView {
    let live = expect_context::<Live>();
    let photo = RwSignal::new(user.photo_url.clone());
    let on_changed = Callback::new(move |url: Option<String>| {
        photo.set(url.clone());
        live.set_my_photo(url);
    });
    view! {
        <super::widgets::PhotoPicker path=crate::media::MY_PHOTO_PATH.to_owned()
            name=user.display_name.clone() label="Choose a photo" photo on_changed/>
    }
}

/// "Notifications on this device": subscribes this browser to Web Push (asking
/// for permission first, on this click), or unsubscribes it.
#[component]
fn DeviceNotifications(status: RwSignal<Option<String>>) -> impl IntoView {
    // `None` until the browser said (and where it has no push at all).
    let on = RwSignal::new(None::<bool>);
    Effect::new(move |_| {
        spawn_local(async move { on.set(Some(push::subscribed().await)) });
    });
    let change = move |wanted: bool| {
        spawn_local(async move {
            let done = if wanted {
                match notify::ask().await {
                    Some(web_sys::NotificationPermission::Granted) => push::subscribe().await,
                    _ => Err(
                        "Notifications are blocked for Parley in this browser's settings."
                            .to_owned(),
                    ),
                }
            } else {
                push::unsubscribe().await
            };
            match done {
                Ok(()) => status.set(Some("Saved.".to_owned())),
                Err(refusal) => status.set(Some(refusal)),
            }
            on.set(Some(push::subscribed().await));
        });
    };
    view! {
        <label class="toggle">
            <input type="checkbox" data-testid="device-notifications"
                prop:checked=move || on.get() == Some(true)
                prop:disabled=move || on.get().is_none()
                on:change=move |ev| change(event_target_checked(&ev))/>
            <span>"Notifications on this device"</span>
            <span class="hint">"Messages reach this device while Parley is closed."</span>
        </label>
    }
}
