//! The line that says who is typing.

use super::*;

/// "Mike is typing…", "Mike and Sara are typing…", "3 people are typing…".
pub fn typing_sentence(names: &[String]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("{one} is typing…")),
        [one, two] => Some(format!("{one} and {two} are typing…")),
        many => Some(format!("{} people are typing…", many.len())),
    }
}

#[component]
pub(super) fn TypingLine(chat_id: ChatId) -> impl IntoView {
    let live = expect_context::<Live>();
    let sentence = move || {
        let members = live
            .conversation
            .chat
            .with(|c| c.as_ref().map(|c| c.members.clone()).unwrap_or_default());
        let names: Vec<String> = live
            .typists(chat_id)
            .into_iter()
            .map(|t| {
                members
                    .iter()
                    .find(|m| m.id == t.user_id)
                    .map(|m| m.display_name.clone())
                    .unwrap_or(t.username)
            })
            .collect();
        typing_sentence(&names)
    };
    view! { <p class="typing-line" data-testid="typing" aria-live="polite">{sentence}</p> }
}

#[cfg(test)]
mod tests {
    use super::typing_sentence;

    #[test]
    fn the_typing_line_reads_naturally() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(typing_sentence(&[]), None);
        assert_eq!(
            typing_sentence(&names(&["Mike"])).unwrap(),
            "Mike is typing…"
        );
        assert_eq!(
            typing_sentence(&names(&["Mike", "Sara"])).unwrap(),
            "Mike and Sara are typing…"
        );
        assert_eq!(
            typing_sentence(&names(&["A", "B", "C"])).unwrap(),
            "3 people are typing…"
        );
    }
}
