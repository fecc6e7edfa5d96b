//! One line into styled runs.
//!
//! First the parts that hold markers as text are taken whole: code spans,
//! then links, then `@mentions`. What is left is text and markers; a marker
//! may open where the next character is not a space (nor the same marker)
//! and the one before is not a letter or digit; it may close where the one
//! before is not a space (nor the same marker) and the next is not a letter
//! or digit. An opener pairs with the first closer of its kind after it; a
//! style never nests in itself.
//!
//! Linear time: the next closer of each kind is found for every position in
//! one backward pass, and each nesting level (at most one per style) reads
//! its part of the line once.

use super::{Inline, links};

const MARKERS: [char; 3] = ['*', '_', '~'];

enum Unit {
    Text(String),
    Atom(Inline),
    Marker {
        kind: usize,
        opens: bool,
        closes: bool,
    },
}

pub(super) fn parse(line: &str) -> Vec<Inline> {
    let units = units(line);
    let closers = closers(&units);
    let mut runs = Vec::new();
    styled(&units, &closers, 0..units.len(), [false; 3], &mut runs);
    runs
}

/// The line as text, markers and whole parts.
fn units(line: &str) -> Vec<Unit> {
    let mut units = Vec::new();
    for piece in code_spans(line) {
        match piece {
            Piece::Code(code) => units.push(Unit::Atom(Inline::Code(code.to_owned()))),
            Piece::Text(from, to) => {
                let mut at = from;
                for (range, link) in links::find(&line[from..to]) {
                    loose(line, at, from + range.start, &mut units);
                    units.push(Unit::Atom(Inline::Link(link)));
                    at = from + range.end;
                }
                loose(line, at, to, &mut units);
            }
        }
    }
    units
}

enum Piece<'a> {
    Code(&'a str),
    /// Byte offsets into the line.
    Text(usize, usize),
}

/// The line cut at its code spans: a backtick, something, the next backtick.
fn code_spans(line: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let (mut text_from, mut at) = (0, 0);
    while let Some(open) = line[at..].find('`').map(|i| at + i) {
        let Some(close) = line[open + 1..].find('`').map(|i| open + 1 + i) else {
            break;
        };
        if close == open + 1 {
            // "``": nothing inside, two backticks as typed.
            at = close + 1;
            continue;
        }
        if open > text_from {
            pieces.push(Piece::Text(text_from, open));
        }
        pieces.push(Piece::Code(&line[open + 1..close]));
        text_from = close + 1;
        at = close + 1;
    }
    if text_from < line.len() {
        pieces.push(Piece::Text(text_from, line.len()));
    }
    pieces
}

/// `line[from..to]`, which holds no code or link: its mentions whole, the rest
/// as text and markers.
fn loose(line: &str, from: usize, to: usize, units: &mut Vec<Unit>) {
    if from >= to {
        return;
    }
    let mut at = from;
    for (text, username) in crate::search::mention_parts(&line[from..to]) {
        let end = at + text.len();
        match username {
            Some(username) => units.push(Unit::Atom(Inline::Mention { text, username })),
            None => markers(line, at, end, units),
        }
        at = end;
    }
}

fn markers(line: &str, from: usize, to: usize, units: &mut Vec<Unit>) {
    let mut text_from = from;
    for (offset, c) in line[from..to].char_indices() {
        let Some(kind) = MARKERS.iter().position(|&m| m == c) else {
            continue;
        };
        let at = from + offset;
        if at > text_from {
            units.push(Unit::Text(line[text_from..at].to_owned()));
        }
        let before = line[..at].chars().next_back();
        let after = line[at + 1..].chars().next();
        let opens = after.is_some_and(|a| !a.is_whitespace() && a != c)
            && before.is_none_or(|b| !b.is_alphanumeric());
        let closes = before.is_some_and(|b| !b.is_whitespace() && b != c)
            && after.is_none_or(|a| !a.is_alphanumeric());
        units.push(Unit::Marker {
            kind,
            opens,
            closes,
        });
        text_from = at + 1;
    }
    if to > text_from {
        units.push(Unit::Text(line[text_from..to].to_owned()));
    }
}

/// For each unit and style, the first unit at or after it that may close it.
fn closers(units: &[Unit]) -> Vec<[usize; 3]> {
    let mut next = [usize::MAX; 3];
    let mut closers = vec![next; units.len() + 1];
    for (index, unit) in units.iter().enumerate().rev() {
        if let Unit::Marker {
            kind, closes: true, ..
        } = unit
        {
            next[*kind] = index;
        }
        closers[index] = next;
    }
    closers
}

fn styled(
    units: &[Unit],
    closers: &[[usize; 3]],
    range: std::ops::Range<usize>,
    open: [bool; 3],
    runs: &mut Vec<Inline>,
) {
    let mut at = range.start;
    while at < range.end {
        match &units[at] {
            Unit::Text(text) => push_text(runs, text),
            Unit::Atom(atom) => runs.push(atom.clone()),
            Unit::Marker { kind, opens, .. } => {
                let close = closers[at + 1][*kind];
                if *opens && !open[*kind] && close < range.end {
                    let mut inner_open = open;
                    inner_open[*kind] = true;
                    let mut inner = Vec::new();
                    styled(units, closers, at + 1..close, inner_open, &mut inner);
                    runs.push(match kind {
                        0 => Inline::Bold(inner),
                        1 => Inline::Italic(inner),
                        _ => Inline::Strike(inner),
                    });
                    at = close + 1;
                    continue;
                }
                push_text(runs, MARKERS[*kind].encode_utf8(&mut [0; 4]));
            }
        }
        at += 1;
    }
}

/// Text joins the text before it: one run per stretch of plain words.
fn push_text(runs: &mut Vec<Inline>, text: &str) {
    match runs.last_mut() {
        Some(Inline::Text(last)) => last.push_str(text),
        _ => runs.push(Inline::Text(text.to_owned())),
    }
}
