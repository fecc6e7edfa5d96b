//! Words, as search and mentions see them: pure rules both sides share.
//!
//! - [`fold`]: lower case without accents, so "cafe" finds "Café".
//! - [`SearchQuery`]: a query parsed at the edge into its words.
//! - [`snippet`]: the part of a message to show for a hit, matched words marked.
//! - [`mentioned`]: the `@username`s a message names.

use crate::model::Username;
use serde::{Deserialize, Serialize};

/// Lower case with accents taken off ("Café" → "cafe"): decomposed (NFD),
/// then every combining mark dropped.
#[cfg(not(target_arch = "wasm32"))]
pub fn fold(text: &str) -> String {
    use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The same in the browser, with its own Unicode tables (`normalize`, `\p{M}`)
/// rather than a copy of them in the WebAssembly.
#[cfg(target_arch = "wasm32")]
pub fn fold(text: &str) -> String {
    let marks = js_sys::RegExp::new(r"\p{M}", "gu");
    let bare: String = js_sys::JsString::from(text)
        .normalize("NFD")
        .replace_by_pattern(&marks, "")
        .into();
    bare.chars().flat_map(char::to_lowercase).collect()
}

/// The words of `text`: runs of letters and digits.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
}

/// A search as asked: 2–200 characters, at least one word. Each word matches
/// words that start with it, whatever their case and accents; all must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("a search is 2–200 characters")]
    Length,
    #[error("a search needs a word (letters or digits)")]
    NoWords,
}

impl SearchQuery {
    pub const MIN_CHARS: usize = 2;
    pub const MAX_CHARS: usize = 200;
    /// More words than this add nothing but cost: the rest are ignored.
    pub const MAX_TERMS: usize = 8;

    pub fn parse(raw: &str) -> Result<Self, QueryError> {
        let raw = raw.trim();
        let chars = raw.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(QueryError::Length);
        }
        let folded = fold(raw);
        let mut terms: Vec<String> = Vec::new();
        for word in words(&folded) {
            if !terms.iter().any(|term| term == word) && terms.len() < Self::MAX_TERMS {
                terms.push(word.to_owned());
            }
        }
        if terms.is_empty() {
            return Err(QueryError::NoWords);
        }
        Ok(Self { terms })
    }

    /// The folded words, each matched as a prefix.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Whether a word of a message matches one of the terms.
    pub fn matches_word(&self, word: &str) -> bool {
        let word = fold(word);
        self.terms
            .iter()
            .any(|term| word.starts_with(term.as_str()))
    }
}

/// A piece of a snippet: plain text, `match: true` on the words that matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnippetPart {
    pub text: String,
    #[serde(rename = "match")]
    pub is_match: bool,
}

/// Characters of context shown before the first match.
const SNIPPET_BEFORE: usize = 40;
/// The most characters a snippet shows.
const SNIPPET_CHARS: usize = 160;

/// The part of `body` to show for a hit: from a little before the first
/// matching word, at most [`SNIPPET_CHARS`] characters, with "…" where it
/// was cut, and each matching word its own part.
pub fn snippet(body: &str, query: &SearchQuery) -> Vec<SnippetPart> {
    let mut spans: Vec<(usize, usize, bool)> = Vec::new();
    let mut at = 0;
    for (start, word) in word_spans(body) {
        if start > at {
            spans.push((at, start, false));
        }
        let end = start + word.len();
        spans.push((start, end, query.matches_word(word)));
        at = end;
    }
    if at < body.len() {
        spans.push((at, body.len(), false));
    }
    let first_match = spans
        .iter()
        .find(|(_, _, hit)| *hit)
        .map_or(0, |(start, _, _)| *start);
    let from = body[..first_match]
        .char_indices()
        .rev()
        .nth(SNIPPET_BEFORE.saturating_sub(1))
        .map_or(0, |(index, _)| index);
    let until = body[from..]
        .char_indices()
        .nth(SNIPPET_CHARS)
        .map_or(body.len(), |(index, _)| from + index);
    let mut parts: Vec<SnippetPart> = Vec::new();
    let mut push = |text: &str, is_match: bool| match parts.last_mut() {
        Some(last) if !last.is_match && !is_match => last.text.push_str(text),
        _ if text.is_empty() => {}
        _ => parts.push(SnippetPart {
            text: text.to_owned(),
            is_match,
        }),
    };
    if from > 0 {
        push("…", false);
    }
    for (start, end, hit) in spans {
        let (start, end) = (start.max(from), end.min(until));
        if start < end {
            push(&body[start..end], hit);
        }
    }
    if until < body.len() {
        push("…", false);
    }
    parts
}

/// Each word of `text` with its byte offset.
fn word_spans(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (index, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(index),
            (false, Some(from)) => {
                spans.push((from, &text[from..index]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        spans.push((from, &text[from..]));
    }
    spans.into_iter()
}

/// The usernames `@`-mentioned in `body`, each once, in order: `@` at the
/// start or after a space or punctuation, then a valid username.
pub fn mentioned(body: &str) -> Vec<Username> {
    let mut names: Vec<Username> = Vec::new();
    let mut previous: Option<char> = None;
    for (index, c) in body.char_indices() {
        let starts = c == '@' && previous.is_none_or(|p| !p.is_alphanumeric() && p != '@');
        previous = Some(c);
        if !starts {
            continue;
        }
        let rest = &body[index + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
            .unwrap_or(rest.len());
        // A sentence may end right after the name: "thanks @mike."
        let name = rest[..end].trim_end_matches(['.', '-']);
        if let Ok(name) = Username::parse(name)
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// `body` cut into plain text and `@username` parts (the name without `@`),
/// by the same rule as [`mentioned`]: to show mentions highlighted.
pub fn mention_parts(body: &str) -> Vec<(String, Option<String>)> {
    let mut parts: Vec<(String, Option<String>)> = Vec::new();
    let mut text_from = 0;
    let mut previous: Option<char> = None;
    let mut skip_until = 0;
    for (index, c) in body.char_indices() {
        let starts = index >= skip_until
            && c == '@'
            && previous.is_none_or(|p| !p.is_alphanumeric() && p != '@');
        previous = Some(c);
        if !starts {
            continue;
        }
        let rest = &body[index + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
            .unwrap_or(rest.len());
        let name = rest[..end].trim_end_matches(['.', '-']);
        let Ok(username) = Username::parse(name) else {
            continue;
        };
        if index > text_from {
            parts.push((body[text_from..index].to_owned(), None));
        }
        let until = index + 1 + name.len();
        parts.push((
            body[index..until].to_owned(),
            Some(username.as_str().to_owned()),
        ));
        text_from = until;
        skip_until = until;
    }
    if text_from < body.len() {
        parts.push((body[text_from..].to_owned(), None));
    }
    parts
}

/// The `@name` being typed just before `caret` (a byte offset), if any: its
/// start (where `@` is) and the partial name after it.
pub fn mention_at(text: &str, caret: usize) -> Option<(usize, &str)> {
    let before = text.get(..caret)?;
    let at = before.rfind('@')?;
    let partial = &before[at + 1..];
    let starts_word = before[..at]
        .chars()
        .next_back()
        .is_none_or(|p| !p.is_alphanumeric() && p != '@');
    let name_chars = partial
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    (starts_word && name_chars && partial.len() <= Username::MAX_LEN).then_some((at, partial))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(raw: &str) -> SearchQuery {
        SearchQuery::parse(raw).unwrap()
    }

    #[test]
    fn folding_drops_case_and_accents() {
        assert_eq!(fold("Café CRÈME Ångström"), "cafe creme angstrom");
    }

    #[test]
    fn queries_are_two_to_two_hundred_characters_of_words() {
        assert_eq!(SearchQuery::parse("a"), Err(QueryError::Length));
        assert_eq!(
            SearchQuery::parse(&"x".repeat(201)),
            Err(QueryError::Length)
        );
        assert_eq!(SearchQuery::parse("\"*:()"), Err(QueryError::NoWords));
        assert_eq!(
            query("  Café, café AND bar*").terms(),
            ["cafe", "and", "bar"]
        );
    }

    #[test]
    fn a_snippet_marks_matching_words_and_keeps_the_text() {
        let parts = snippet("Meet at the Café at 5?", &query("cafe"));
        assert_eq!(
            parts,
            [
                SnippetPart {
                    text: "Meet at the ".into(),
                    is_match: false
                },
                SnippetPart {
                    text: "Café".into(),
                    is_match: true
                },
                SnippetPart {
                    text: " at 5?".into(),
                    is_match: false
                },
            ]
        );
        let joined: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(joined, "Meet at the Café at 5?");
    }

    #[test]
    fn a_long_snippet_starts_near_its_first_match() {
        let body = format!("{} needle {}", "hay ".repeat(100), "straw ".repeat(100));
        let parts = snippet(&body, &query("need"));
        assert_eq!(parts.first().unwrap().text.chars().next(), Some('…'));
        assert!(parts.iter().any(|p| p.is_match && p.text == "needle"));
        assert_eq!(parts.last().unwrap().text.chars().last(), Some('…'));
        let shown: usize = parts.iter().map(|p| p.text.chars().count()).sum();
        assert!(shown <= SNIPPET_CHARS + 2);
    }

    #[test]
    fn mention_parts_cut_around_each_mention_and_keep_the_text() {
        let parts = mention_parts("hi @Mike, see a@b.c and @sara.");
        let joined: String = parts.iter().map(|(text, _)| text.as_str()).collect();
        assert_eq!(joined, "hi @Mike, see a@b.c and @sara.");
        let names: Vec<(&str, &str)> = parts
            .iter()
            .filter_map(|(text, name)| Some((text.as_str(), name.as_deref()?)))
            .collect();
        assert_eq!(names, [("@Mike", "mike"), ("@sara", "sara")]);
    }

    #[test]
    fn the_name_being_typed_is_found_before_the_caret() {
        assert_eq!(mention_at("hello @ma", 9), Some((6, "ma")));
        assert_eq!(mention_at("hello @", 7), Some((6, "")));
        assert_eq!(mention_at("mail a@b", 8), None);
        assert_eq!(mention_at("@mike done", 10), None);
    }

    #[test]
    fn mentions_are_at_names_at_a_word_start() {
        let names: Vec<String> = mentioned("hi @Mike and @sara. mail me@example.com @mike @x")
            .into_iter()
            .map(|name| name.as_str().to_owned())
            .collect();
        assert_eq!(names, ["mike", "sara"]);
    }
}
