//! A body's lines into blocks. Which block a line starts is decided by its
//! first characters only; consecutive lines of one kind make one block.

use super::{Block, Inline, inline};

const FENCE: &str = "```";

pub(super) fn parse(body: &str) -> Vec<Block> {
    let lines: Vec<&str> = body
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    let closes = fence_closers(&lines);
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        if let Some((code, next)) = code_block(&lines, &closes, at) {
            flush(&mut blocks, &mut paragraph);
            blocks.push(Block::Code(code));
            at = next;
        } else if quoted(lines[at]).is_some() {
            flush(&mut blocks, &mut paragraph);
            let from = at;
            while at < lines.len() && quoted(lines[at]).is_some() {
                at += 1;
            }
            let quote = lines[from..at].iter().filter_map(|line| quoted(line));
            blocks.push(Block::Quote(joined(quote)));
        } else if let Some((kind, _)) = list_item(lines[at]) {
            flush(&mut blocks, &mut paragraph);
            let mut items = Vec::new();
            let start = kind;
            while let Some((next_kind, text)) = lines.get(at).and_then(|line| list_item(line)) {
                if next_kind.is_some() != start.is_some() {
                    break;
                }
                items.push(inline::parse(text));
                at += 1;
            }
            blocks.push(Block::List { start, items });
        } else {
            paragraph.push(lines[at]);
            at += 1;
        }
    }
    flush(&mut blocks, &mut paragraph);
    blocks
}

/// The lines so far as one paragraph, if there are any.
fn flush(blocks: &mut Vec<Block>, paragraph: &mut Vec<&str>) {
    if !paragraph.is_empty() {
        blocks.push(Block::Paragraph(joined(paragraph.drain(..))));
    }
}

/// Lines as one run of text, a break between each two.
fn joined<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<Inline> {
    let mut runs = Vec::new();
    for (index, line) in lines.enumerate() {
        if index > 0 {
            runs.push(Inline::Break);
        }
        runs.extend(inline::parse(line));
    }
    runs
}

/// For each line, the first line at or after it that ends a code block (ends
/// with ```` ``` ````): one backward pass, so finding a block's end never
/// rescans the body.
fn fence_closers(lines: &[&str]) -> Vec<Option<usize>> {
    let mut closes = vec![None; lines.len()];
    let mut next = None;
    for (index, line) in lines.iter().enumerate().rev() {
        if line.ends_with(FENCE) {
            next = Some(index);
        }
        closes[index] = next;
    }
    closes
}

/// A code block opening at line `at`: its text and the line after it. It opens
/// with a line starting ```` ``` ```` and closes at the first line (the same
/// one included) ending with ```` ``` ````; an empty one is no block.
fn code_block(lines: &[&str], closes: &[Option<usize>], at: usize) -> Option<(String, usize)> {
    let first = lines[at].strip_prefix(FENCE)?;
    if first.len() >= FENCE.len() && first.ends_with(FENCE) {
        let code = &first[..first.len() - FENCE.len()];
        return (!code.trim().is_empty()).then(|| (code.to_owned(), at + 1));
    }
    let last_line = (*closes.get(at + 1)?)?;
    let last = &lines[last_line][..lines[last_line].len() - FENCE.len()];
    let mut parts: Vec<&str> = Vec::new();
    if !first.is_empty() {
        parts.push(first);
    }
    parts.extend(&lines[at + 1..last_line]);
    if !last.is_empty() {
        parts.push(last);
    }
    let code = parts.join("\n");
    (!code.trim().is_empty()).then_some((code, last_line + 1))
}

/// A quote line's text.
fn quoted(line: &str) -> Option<&str> {
    line.strip_prefix("> ").or((line == ">").then_some(""))
}

/// A list item: `Some(number)` for `1. `, `None` for `- ` or `* `; its text.
fn list_item(line: &str) -> Option<(Option<u32>, &str)> {
    let bulleted = line.strip_prefix("- ").or_else(|| line.strip_prefix("* "));
    let (kind, text) = match bulleted {
        Some(text) => (None, text),
        None => {
            // Up to three digits: "2024. What a year" is a sentence.
            let (number, text) = line.split_once(". ")?;
            if !(1..=3).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (Some(number.parse().ok()?), text)
        }
    };
    (!text.trim().is_empty()).then_some((kind, text))
}
