//! Small pieces shared by several pages.

use leptos::prelude::*;

/// Up to two initials of a name, upper-cased: "Mike Ross" → "MR", "harley" → "H".
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// A round avatar with a person's or a group's initials.
#[component]
pub fn Avatar(#[prop(into)] name: String) -> impl IntoView {
    view! { <span class="avatar" aria-hidden="true">{initials(&name)}</span> }
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
}

/// "14:05" in the reader's time zone (the browser's; UTC on the server, which
/// never renders messages).
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
    let (now, then) = (local_date(&chrono::Utc::now()), local_date(at));
    let day = match (now - then).num_days() {
        0 => "today".to_owned(),
        1 => "yesterday".to_owned(),
        _ => then.format("%d/%m").to_string(),
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

/// The ticks of a message of one's own: a clock while pending, ✓ sent, ✓✓ grey
/// delivered, ✓✓ blue seen.
#[component]
pub fn Ticks(#[prop(into)] status: Signal<Option<crate::model::MessageStatus>>) -> impl IntoView {
    use crate::model::MessageStatus;
    move || {
        let (class, symbol, label) = match status.get() {
            None => ("ticks pending", "🕓", "Sending"),
            Some(MessageStatus::Sent) => ("ticks sent", "✓", "Sent"),
            Some(MessageStatus::Delivered) => ("ticks delivered", "✓✓", "Delivered"),
            Some(MessageStatus::Seen) => ("ticks seen", "✓✓", "Seen"),
        };
        view! { <span class=class role="img" aria-label=label title=label>{symbol}</span> }
    }
}
