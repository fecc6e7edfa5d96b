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
