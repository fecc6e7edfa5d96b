//! A body drawn as [`crate::format`] reads it: the same elements on the
//! server and after hydration, since both run this.

use leptos::prelude::*;

use crate::format::{self, Block, Inline};

/// Who an `@name` may be: the chat's members, and which of them is the reader
/// (their mentions stand out). Other `@words` stay words.
#[derive(Clone, Copy)]
pub struct Mentionable<'a> {
    pub usernames: &'a [String],
    pub me: Option<&'a str>,
}

impl Mentionable<'_> {
    pub const NOBODY: Mentionable<'static> = Mentionable {
        usernames: &[],
        me: None,
    };
}

/// `body`'s words, drawn in an element of class `formatted` and `class` (`data-testid` as given): one
/// paragraph inline in a `<span>`, read as the words they are (a screen
/// reader hears "You: Yes, 9 pm edited", not a paragraph); code, quotes,
/// lists and several paragraphs as blocks in a `<div>`.
pub fn formatted(
    body: &str,
    mentionable: Mentionable<'_>,
    class: &'static str,
    testid: &'static str,
) -> AnyView {
    let mut blocks = format::parse(body);
    if let [Block::Paragraph(_)] = blocks.as_slice()
        && let Some(Block::Paragraph(runs)) = blocks.pop()
    {
        let words = runs_view(runs, mentionable);
        return view! { <span class=format!("formatted {class}") data-testid=testid>{words}</span> }
            .into_any();
    }
    let blocks = blocks
        .into_iter()
        .map(|block| block_view(block, mentionable))
        .collect_view();
    view! { <div class=format!("formatted {class}") data-testid=testid>{blocks}</div> }.into_any()
}

fn block_view(block: Block, mentionable: Mentionable<'_>) -> AnyView {
    match block {
        Block::Paragraph(runs) => view! { <p>{runs_view(runs, mentionable)}</p> }.into_any(),
        // Scrolls on its own (tabindex: so a keyboard can scroll it too).
        Block::Code(code) => view! { <pre tabindex="0"><code>{code}</code></pre> }.into_any(),
        Block::Quote(runs) => {
            view! { <blockquote>{runs_view(runs, mentionable)}</blockquote> }.into_any()
        }
        Block::List { start, items } => {
            let items = items
                .into_iter()
                .map(|item| view! { <li>{runs_view(item, mentionable)}</li> })
                .collect_view();
            match start {
                None => view! { <ul>{items}</ul> }.into_any(),
                Some(start) => view! { <ol start=start.to_string()>{items}</ol> }.into_any(),
            }
        }
    }
}

fn runs_view(runs: Vec<Inline>, mentionable: Mentionable<'_>) -> AnyView {
    let mut views = Vec::new();
    // Text and line ends join into one text node (the element keeps them
    // apart with `white-space: pre-wrap`), and copied text keeps its lines.
    let mut text = String::new();
    for run in runs {
        match run {
            Inline::Text(words) => text.push_str(&words),
            Inline::Break => text.push('\n'),
            other => {
                if !text.is_empty() {
                    views.push(std::mem::take(&mut text).into_any());
                }
                views.push(run_view(other, mentionable));
            }
        }
    }
    if !text.is_empty() {
        views.push(text.into_any());
    }
    views.into_iter().collect_view().into_any()
}

fn run_view(run: Inline, mentionable: Mentionable<'_>) -> AnyView {
    match run {
        Inline::Text(words) => words.into_any(),
        Inline::Break => "\n".into_any(),
        Inline::Bold(inner) => view! { <strong>{runs_view(inner, mentionable)}</strong> }.into_any(),
        Inline::Italic(inner) => view! { <em>{runs_view(inner, mentionable)}</em> }.into_any(),
        Inline::Strike(inner) => view! { <s>{runs_view(inner, mentionable)}</s> }.into_any(),
        Inline::Code(code) => view! { <code>{code}</code> }.into_any(),
        Inline::Link(link) => view! {
            <a href=link.href target="_blank" rel="noopener noreferrer nofollow" data-testid="message-link">{link.text}</a>
        }
        .into_any(),
        Inline::Mention { text, username } => {
            if mentionable.usernames.contains(&username) {
                let mine = mentionable.me == Some(username.as_str());
                view! { <span class="mention" class:me=mine data-testid="mention">{text}</span> }.into_any()
            } else {
                text.into_any()
            }
        }
    }
}
