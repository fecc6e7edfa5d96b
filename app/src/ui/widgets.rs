//! Small pieces shared by several pages.

use leptos::{html, prelude::*};

/// Up to two initials of a name, upper-cased: "Mike Ross" → "MR", "harley" → "H".
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// A round avatar: a person's or a group's photo (the small size, or the
/// large one where it is drawn `large`), else their initials. Decorative:
/// the name beside it says who it is.
#[component]
pub fn Avatar(
    #[prop(into)] name: String,
    #[prop(into, default = None)] photo: Option<String>,
    #[prop(optional)] large: bool,
) -> impl IntoView {
    let face = photo.map(|url| {
        let src = if large {
            url
        } else {
            crate::media::small_photo(&url)
        };
        view! { <img class="avatar-photo" src=src alt="" loading="lazy" decoding="async"/> }
    });
    let has_photo = face.is_some();
    let letters = (!has_photo).then(|| initials(&name));
    view! {
        <span class="avatar" class:large=large class:has-photo=has_photo aria-hidden="true">
            {face}{letters}
        </span>
    }
}

/// A photo shown large, with "Choose a photo" (a file picker, images only)
/// and "Remove photo" when there is one. The file goes to `path` as it is;
/// `on_changed` hears the new URL (or none). A refusal shows beside it.
#[component]
pub fn PhotoPicker(
    /// Where the photo is set and taken away.
    path: String,
    /// Whose photo, for the initials and the labels ("Your photo").
    #[prop(into)]
    name: String,
    #[prop(into)] label: String,
    #[prop(into)] photo: Signal<Option<String>>,
    on_changed: Callback<Option<String>>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let input_id = format!("photo-input-{}", path.replace('/', "-"));
    let picked = {
        let path = path.clone();
        move |ev: leptos::ev::Event| {
            let input: web_sys::HtmlInputElement = event_target(&ev);
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            input.set_value("");
            let path = path.clone();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let uploaded = crate::live::photos::upload(&path, file).await;
                // Redrawn meanwhile (a group's photo comes back with
                // `chatUpdated`, which draws its dialog anew): nothing to say.
                if busy.is_disposed() {
                    return;
                }
                match uploaded {
                    Ok(url) => {
                        error.set(None);
                        on_changed.run(Some(url));
                    }
                    Err(reason) => error.set(Some(reason)),
                }
                busy.set(false);
            });
        }
    };
    let remove = move |_| {
        let path = path.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let removed = crate::live::photos::remove(&path).await;
            if busy.is_disposed() {
                return;
            }
            match removed {
                Ok(()) => {
                    error.set(None);
                    on_changed.run(None);
                }
                Err(reason) => error.set(Some(reason)),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="photo-picker" data-testid="photo-picker" aria-busy=move || busy.get().to_string()>
            {move || {
                let name = name.clone();
                view! { <Avatar name photo=photo.get() large=true/> }
            }}
            <div class="photo-actions">
                <input id=input_id.clone() type="file" accept="image/jpeg,image/png,image/webp,image/gif"
                    class="visually-hidden" data-testid="photo-input" on:change=picked/>
                <label class="secondary photo-choose" for=input_id>{label}</label>
                {move || photo.get().is_some().then(|| view! {
                    <button type="button" class="link-button" data-testid="photo-remove"
                        on:click=remove.clone()>"Remove photo"</button>
                })}
            </div>
            {move || error.get().map(|text| view! {
                <p class="form-error" role="alert" data-testid="photo-error">{text}</p>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_take_the_first_letter_of_two_words() {
        assert_eq!(initials("Mike Ross"), "MR");
        assert_eq!(initials("harley"), "H");
        assert_eq!(initials("  a b c "), "AB");
        assert_eq!(initials(""), "");
    }

    /// Off the browser the reader's zone is UTC; the day is named relative
    /// to today, and older ones by day and month.
    #[test]
    fn a_moment_is_named_by_its_day() {
        use super::day_and_time_from;
        use chrono::{NaiveDate, TimeZone, Utc};
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let at = |d, h, m| Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap();
        assert_eq!(day_and_time_from(today, &at(28, 0, 5)), "today at 00:05");
        assert_eq!(
            day_and_time_from(today, &at(27, 23, 59)),
            "yesterday at 23:59"
        );
        assert_eq!(day_and_time_from(today, &at(3, 9, 0)), "03/11 at 09:00");
    }
}

/// A moment as `<time>`: "14:05", or with its day ("yesterday at 09:12"), in
/// the reader's time zone. The server can only render it in UTC; the page's
/// first script ([`super::LOCAL_TIMES`]) rewrites it in the reader's zone
/// before the first paint, so the page never shows another zone's time and
/// hydration finds what the browser itself renders.
pub fn local_time(at: &chrono::DateTime<chrono::Utc>, with_day: bool) -> impl IntoView + use<> {
    let text = if with_day {
        day_and_time(at)
    } else {
        clock_time(at)
    };
    let datetime = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    view! { <time datetime=datetime data-clock=if with_day { "day" } else { "" }>{text}</time> }
}

/// "14:05" in the reader's time zone (the browser's; UTC on the server, see
/// [`local_time`]).
pub fn clock_time(at: &chrono::DateTime<chrono::Utc>) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            at.timestamp_millis() as f64
        ));
        format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        at.format("%H:%M").to_string()
    }
}

/// "today at 14:05", "yesterday at 09:12" or "24/11 at 18:30", with the day
/// and the time both in the reader's time zone (so "today" turns at their
/// midnight, not at UTC's).
pub fn day_and_time(at: &chrono::DateTime<chrono::Utc>) -> String {
    day_and_time_from(local_date(&chrono::Utc::now()), at)
}

/// [`day_and_time`] as seen on the reader's day `today`.
fn day_and_time_from(today: chrono::NaiveDate, at: &chrono::DateTime<chrono::Utc>) -> String {
    let then = local_date(at);
    let day = match (today - then).num_days() {
        0 => "today".to_owned(),
        1 => "yesterday".to_owned(),
        // Not chrono's `format`: its pattern parser would ship in the
        // WebAssembly for this one line.
        _ => {
            use chrono::Datelike;
            format!("{:02}/{:02}", then.day(), then.month())
        }
    };
    format!("{day} at {}", clock_time(at))
}

/// The calendar date of `at` in the reader's time zone (UTC on the server).
fn local_date(at: &chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    #[cfg(target_arch = "wasm32")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            at.timestamp_millis() as f64
        ));
        chrono::NaiveDate::from_ymd_opt(
            date.get_full_year() as i32,
            date.get_month() + 1,
            date.get_date(),
        )
        .unwrap_or_else(|| at.date_naive())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        at.date_naive()
    }
}

/// The ticks of a message of one's own, drawn (not a font's glyphs) and
/// named for screen readers: a clock while pending, ✓ sent, ✓✓ delivered, and
/// ✓✓ in a filled badge when seen, so seen differs from delivered by shape
/// as well as by colour.
#[component]
pub fn Ticks(#[prop(into)] status: Signal<Option<crate::model::MessageStatus>>) -> impl IntoView {
    use crate::model::MessageStatus;
    const FIRST: &str = "M2.5 6.5l3 3 6.5-7";
    const SECOND: &str = "M7.5 9.5l6.5-7";
    move || {
        let (class, label) = match status.get() {
            None => ("ticks pending", "Sending"),
            Some(MessageStatus::Sent) => ("ticks sent", "Sent"),
            Some(MessageStatus::Delivered) => ("ticks delivered", "Delivered"),
            Some(MessageStatus::Seen) => ("ticks seen", "Seen"),
        };
        let marks = match status.get() {
            None => view! {
                <circle cx="9" cy="6" r="5" fill="none"/>
                <path d="M9 3.5V6l2 1.5" fill="none"/>
            }
            .into_any(),
            Some(MessageStatus::Sent) => view! { <path d=FIRST fill="none"/> }.into_any(),
            Some(MessageStatus::Delivered) => view! {
                <path d=FIRST fill="none"/>
                <path d=SECOND fill="none"/>
            }
            .into_any(),
            Some(MessageStatus::Seen) => view! {
                <rect class="seen-badge" x="0" y="0" width="18" height="12" rx="6"/>
                <path class="knockout" d=FIRST fill="none"/>
                <path class="knockout" d=SECOND fill="none"/>
            }
            .into_any(),
        };
        view! {
            <svg class=class viewBox="0 0 18 12" width="18" height="12" role="img" aria-label=label>
                <title>{label}</title>
                {marks}
            </svg>
        }
    }
}

/// What Tab can reach inside a dialog.
const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), textarea:not([disabled]), \
     select:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";

/// A view whose code is a WebAssembly chunk of its own (`cargo leptos
/// --split`), drawn once that has loaded; [`NotLoaded`] says so in a dialog
/// instead, which `on_close` closes. It waits in a `Suspense` of its own:
/// under the page's, the page would show its fallback while the chunk loads
/// and then draw itself anew, losing focus and scroll.
pub fn loaded_later<Load, Loading>(load: Load, on_close: Callback<()>) -> impl IntoView
where
    Load: Fn() -> Loading + Send + Sync + 'static,
    Loading: std::future::Future<Output = Result<AnyView, NotLoaded>> + Send + 'static,
{
    view! {
        <Suspense>
            {move || {
                let loading = load();
                Suspend::new(async move { loading.await.unwrap_or_else(|NotLoaded| not_loaded(on_close)) })
            }}
        </Suspense>
    }
}

/// How the fetch of a chunk drawn in place ([`drawn_in_place`]) stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fetch {
    #[default]
    Pending,
    Done,
    Failed,
}

/// A view whose code is a WebAssembly chunk of its own, drawn like any other
/// view once that is there: at once, under the current owner, so it is owned,
/// hydrated and disposed as if it were not split (a `Suspense` would build it
/// later, under another owner). Until then this draws nothing and fetches
/// the chunk, and `fetch` says when that is done, so that a caller reading it
/// draws again; `Some(Err(NotLoaded))` once the fetch failed.
pub fn drawn_in_place<Fetching, Failure>(
    draw: impl std::future::Future<Output = Result<AnyView, NotLoaded>>,
    fetching: impl FnOnce() -> Fetching,
    fetch: RwSignal<Fetch>,
) -> Option<Result<AnyView, NotLoaded>>
where
    Fetching: std::future::Future<Output = Result<(), Failure>> + 'static,
{
    if fetch.get() == Fetch::Failed {
        return Some(Err(NotLoaded));
    }
    // Loaded chunks resolve at the first poll; only a first use waits.
    let mut draw = std::pin::pin!(draw);
    let waker = std::task::Waker::noop();
    if let std::task::Poll::Ready(drawn) = draw
        .as_mut()
        .poll(&mut std::task::Context::from_waker(waker))
    {
        return Some(drawn);
    }
    let fetching = fetching();
    leptos::task::spawn_local(async move {
        let outcome = match fetching.await {
            Ok(()) => Fetch::Done,
            Err(_) => Fetch::Failed,
        };
        fetch.try_set(outcome);
    });
    None
}

/// What stands in for a view drawn in place ([`drawn_in_place`]) whose chunk
/// could not be fetched: a sentence naming it (`what`: "chat", "page"), in
/// the caller's `class`, and a button that fetches it again.
pub fn fetch_again(
    what: &'static str,
    class: &'static str,
    fetch: RwSignal<Fetch>,
) -> impl IntoView {
    view! {
        <p class=class role="alert">
            {format!("This {what} could not be downloaded. Try again once you are online.")}
        </p>
        <button type="button" class="secondary" on:click=move |_| fetch.set(Fetch::Pending)>
            "Try again"
        </button>
    }
}

/// A chunk's code could not be fetched (offline before the page had it).
/// Nothing is remembered: the next try fetches it again.
#[derive(Debug)]
pub struct NotLoaded;

impl From<leptos::wasm_split::SplitLoaderError> for NotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        NotLoaded
    }
}

fn not_loaded(on_close: Callback<()>) -> AnyView {
    view! {
        <Modal labelled_by="not-loaded-title" described_by="not-loaded-text" on_close>
            <h2 id="not-loaded-title">"Not downloaded yet"</h2>
            <p id="not-loaded-text">"This part of Parley could not be fetched. Try again once you are online."</p>
            <div class="dialog-actions">
                <button type="button" class="primary" on:click=move |_| on_close.run(())>"Close"</button>
            </div>
        </Modal>
    }
    .into_any()
}

/// A split function's view, built under an owner of its
/// own that also owns the view's render effects, so the two are disposed
/// together. Left to `Suspend`, the view's signals belong to the owner the
/// `Suspend` was made under and its render effects to wherever it is mounted:
/// a dialog closed by its own effect then outlived its signals. Built
/// untracked, or the `Suspend` would forward what the view reads to the view
/// around it, which would redraw (losing focus) whenever the dialog changed.
pub fn built_alone(build: impl FnOnce() -> AnyView) -> AnyView {
    let owner = Owner::current().unwrap_or_default().child();
    let view = owner.with(|| untrack(build));
    leptos::tachys::reactive_graph::OwnedView::new_with_owner(view, owner).into_any()
}

/// The open dialog and what had focus before it.
type Shown =
    StoredValue<Option<(web_sys::HtmlDialogElement, Option<web_sys::HtmlElement>)>, LocalStorage>;

/// Opens the dialog once it is in the document. A dialog from a chunk of its
/// own (`loaded_later`) is built before it is attached, and `showModal` refuses a
/// detached `<dialog>`; so it waits a frame at a time, for as long as the
/// `Modal` lives.
fn show_when_attached(
    dialog: web_sys::HtmlDialogElement,
    opener: Option<web_sys::HtmlElement>,
    shown: Shown,
) {
    if shown.is_disposed() {
        return;
    }
    if dialog.is_connected() {
        if !dialog.open() {
            let _ = dialog.show_modal();
        }
        shown.set_value(Some((dialog, opener)));
    } else {
        request_animation_frame(move || show_when_attached(dialog, opener, shown));
    }
}

/// A modal dialog on the browser's own `<dialog>` (`showModal`): focus moves
/// into it, Tab stays inside, Escape and a click on the backdrop close it, and
/// focus goes back to whatever had it before (the button that opened it).
/// It shows while it is mounted; `on_close` should unmount it.
#[component]
pub fn Modal(
    /// The id of the element that names it (its heading).
    labelled_by: &'static str,
    /// The id of the element that says what it is about, if any.
    #[prop(optional)]
    described_by: Option<&'static str>,
    /// A confirmation that interrupts (`alertdialog`), rather than a form.
    #[prop(optional)]
    alert: bool,
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let shown: Shown = StoredValue::new_local(None);
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        if !dialog.open() {
            let opener = document()
                .active_element()
                .and_then(|element| wasm_bindgen::JsCast::dyn_into(element).ok());
            show_when_attached(dialog, opener, shown);
        }
    });
    on_cleanup(move || {
        // Closed first: while it is modal, the rest of the page takes no focus.
        if let Some((dialog, opener)) = shown.try_get_value().flatten() {
            dialog.close();
            if let Some(opener) = opener {
                let _ = opener.focus();
            }
        }
    });
    // Escape: the browser's `cancel`; the page decides what closing means.
    let on_cancel = move |ev: leptos::ev::Event| {
        ev.prevent_default();
        on_close.run(());
    };
    // A click on the backdrop lands on the dialog element itself (its content
    // is a padded box inside it).
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let on_dialog = dialog.get_untracked().is_some_and(|dialog| {
            ev.target()
                .is_some_and(|target| target == wasm_bindgen::JsValue::from(dialog).into())
        });
        if on_dialog {
            on_close.run(());
        }
    };
    // Tab from the last control goes round to the first (and Shift+Tab the
    // other way), rather than out to the browser's own controls.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() != "Tab" {
            return;
        }
        let Some(dialog) = dialog.get_untracked() else {
            return;
        };
        let Ok(controls) = dialog.query_selector_all(FOCUSABLE) else {
            return;
        };
        let control = |index: u32| {
            controls
                .get(index)
                .and_then(|node| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(node).ok())
        };
        let (Some(first), Some(last)) = (control(0), control(controls.length().saturating_sub(1)))
        else {
            return;
        };
        let active = document().active_element();
        let at = |element: &web_sys::HtmlElement| {
            active
                .as_ref()
                .is_some_and(|active| active == element.as_ref() as &web_sys::Element)
        };
        let wrap_to = if ev.shift_key() && at(&first) {
            Some(last)
        } else if !ev.shift_key() && at(&last) {
            Some(first)
        } else {
            None
        };
        if let Some(target) = wrap_to {
            ev.prevent_default();
            let _ = target.focus();
        }
    };
    view! {
        <dialog class="dialog" node_ref=dialog role=alert.then_some("alertdialog")
            aria-labelledby=labelled_by aria-describedby=described_by
            on:cancel=on_cancel on:click=on_click on:keydown=on_keydown>
            <div class="dialog-body">{children()}</div>
        </dialog>
    }
}

/// A drawn icon (never a font's glyph, which may be missing): decorative, so
/// the control around it carries the name.
#[component]
pub fn Icon(shape: IconShape) -> impl IntoView {
    let path = match shape {
        IconShape::Back => "M15 5l-7 7 7 7",
        IconShape::Close => "M6 6l12 12M18 6L6 18",
        IconShape::Plus => "M12 5v14M5 12h14",
        IconShape::Warning => "M12 4l9 16H3zM12 10v4M12 17v.5",
        IconShape::Pin => "M9 4h6l-1 6 3 3H7l3-3zM12 13v7",
        IconShape::Muted => "M6 9h3l4-4v14l-4-4H6zM16 9l5 6M21 9l-5 6",
        IconShape::Info => "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18zM12 11v6M12 7.5v.5",
        IconShape::Paperclip => {
            "M20 11.5l-7.8 7.8a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8"
        }
    };
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
            <path d=path/>
        </svg>
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconShape {
    Back,
    Close,
    Plus,
    Warning,
    Pin,
    Muted,
    Info,
    Paperclip,
}
