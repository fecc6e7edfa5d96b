//! How a message's words are drawn: links you can open and the light
//! formatting people type in chats (`*bold*`, `_italic_`, `~strike~`,
//! `` `code` ``, ```` ``` ```` blocks, `> quote` lines, `- ` and `1. ` lists).
//!
//! A body stays plain text on the wire and in the database; [`parse`] reads it
//! into [`Block`]s the page draws (the same on the server and after hydration:
//! one parser, both sides), and [`plain`] is the same words without the
//! markers, for the places with no room for formatting (the chat list,
//! notifications, quotes, search results).
//!
//! The rules are WhatsApp's, so what people already type reads as they meant:
//! formatting never spans lines; a marker opens before a non-space and closes
//! after one, at a word's edge (`snake_case_name` and `2*3*4` stay as typed);
//! code spans, links and mentions are taken first and hold markers as text.
//! Everything runs in time linear in the body (a body of asterisks included).
//!
//! # Layout
//! - [`blocks`]: lines into blocks (paragraphs, code, quotes, lists).
//! - [`inline`]: one line into styled runs.
//! - [`links`]: which words are links, where they go and how they are shown.

mod blocks;
mod inline;
mod links;
#[cfg(test)]
mod tests;

pub use links::Link;

/// A run of text as drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    /// The end of a line inside a paragraph, quote or list item.
    Break,
    Bold(Vec<Inline>),
    Italic(Vec<Inline>),
    Strike(Vec<Inline>),
    Code(String),
    Link(Link),
    /// `@name` as typed, and the username it names (the page decides whether
    /// that is a member, and so a mention).
    Mention {
        text: String,
        username: String,
    },
}

/// A body's parts, top to bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    /// A ```` ``` ```` block: monospace, as typed.
    Code(String),
    /// Consecutive `> ` lines.
    Quote(Vec<Inline>),
    /// Consecutive `- ` lines (`start: None`) or `1. ` lines (numbered from
    /// the first one's number).
    List {
        start: Option<u32>,
        items: Vec<Vec<Inline>>,
    },
}

/// A body as drawn.
pub fn parse(body: &str) -> Vec<Block> {
    blocks::parse(body)
}

/// A body's words without formatting markers: what a one-line preview, a
/// notification or a quote shows.
pub fn plain(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    for (index, block) in parse(body).iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        match block {
            Block::Paragraph(runs) | Block::Quote(runs) => push_plain(&mut out, runs),
            Block::Code(text) => out.push_str(text),
            Block::List { start, items } => {
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push('\n');
                    }
                    match start {
                        Some(first) => out.push_str(&format!("{}. ", u64::from(*first) + n as u64)),
                        None => out.push_str("- "),
                    }
                    push_plain(&mut out, item);
                }
            }
        }
    }
    out
}

fn push_plain(out: &mut String, runs: &[Inline]) {
    for run in runs {
        match run {
            Inline::Text(text) | Inline::Code(text) => out.push_str(text),
            Inline::Mention { text, .. } => out.push_str(text),
            Inline::Break => out.push('\n'),
            Inline::Bold(inner) | Inline::Italic(inner) | Inline::Strike(inner) => {
                push_plain(out, inner)
            }
            Inline::Link(link) => out.push_str(&link.text),
        }
    }
}

/// `text` with the part a composer has selected wrapped in `marker` (as
/// Ctrl+B or Ctrl+I does), and the selection after: the same words, now
/// inside the markers; with nothing selected, the caret between the two.
/// Offsets are UTF-16 code units, as the browser counts them; ones past the
/// end or inside a character are clamped to where they fall.
pub fn wrap_selection(text: &str, start: u32, end: u32, marker: char) -> (String, u32, u32) {
    let byte_at = |units: u32| {
        let mut counted = 0;
        for (index, c) in text.char_indices() {
            if counted >= units {
                return index;
            }
            counted += c.len_utf16() as u32;
        }
        text.len()
    };
    let (from, to) = (byte_at(start.min(end)), byte_at(start.max(end)));
    let wrapped = format!(
        "{}{marker}{}{marker}{}",
        &text[..from],
        &text[from..to],
        &text[to..]
    );
    let utf16 = |s: &str| s.encode_utf16().count() as u32;
    let inner_start = utf16(&text[..from]) + 1;
    (wrapped, inner_start, inner_start + utf16(&text[from..to]))
}
