//! Which words are links, where they go and how they are shown.
//!
//! Only `http://`, `https://`, `www.` and `mailto:` make links; nothing else
//! ever does (`javascript:`, `data:`, bare domains and addresses stay text).
//! Where a link ends (trailing punctuation, balanced parentheses) is
//! `linkify`'s call. A host written in another script is shown as the
//! punycode a browser would go to (`https://xn--pple-43d.com`), so a
//! look-alike of a known name cannot pass for it.

use std::ops::Range;

use linkify::{LinkFinder, LinkKind};
use url::Url;

/// A link as drawn: where it goes (an absolute URL) and the words shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub text: String,
}

/// The links in `text`, in order, with their byte ranges.
pub(super) fn find(text: &str) -> Vec<(Range<usize>, Link)> {
    let mut finder = LinkFinder::new();
    finder.url_must_have_scheme(false);
    finder
        .links(text)
        .filter_map(|found| {
            let (start, end) = (found.start(), found.end());
            match found.kind() {
                LinkKind::Url => Some((start..end, web(found.as_str())?)),
                LinkKind::Email => {
                    // Only an address written as `mailto:` is a link.
                    let from = start.checked_sub("mailto:".len())?;
                    let written = text.get(from..end)?;
                    let scheme = written.get(.."mailto:".len())?;
                    scheme
                        .eq_ignore_ascii_case("mailto:")
                        .then(|| (from..end, mail(written)))
                }
                _ => None,
            }
        })
        .collect()
}

/// A web or `mailto:` link as written, if it is one.
fn web(written: &str) -> Option<Link> {
    let lower = written.to_ascii_lowercase();
    let (url, host_from) = if lower.starts_with("http://") || lower.starts_with("https://") {
        (Url::parse(written).ok()?, written.find("://")? + 3)
    } else if lower.starts_with("www.") {
        (Url::parse(&format!("https://{written}")).ok()?, 0)
    } else if lower.starts_with("mailto:") {
        return Some(mail(written));
    } else {
        return None;
    };
    let host = url.host_str()?;
    Some(Link {
        href: url.as_str().to_owned(),
        text: shown(written, host_from, host),
    })
}

fn mail(written: &str) -> Link {
    Link {
        href: format!("mailto:{}", &written["mailto:".len()..]),
        text: written.to_owned(),
    }
}

/// The link as written, its host as the browser will read it if the writer's
/// is not plain ASCII.
fn shown(written: &str, host_from: usize, ascii_host: &str) -> String {
    let rest = &written[host_from..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host_end = authority[host_start..]
        .find(':')
        .map_or(authority.len(), |colon| host_start + colon);
    let host = &authority[host_start..host_end];
    if host.is_ascii() {
        return written.to_owned();
    }
    let at = host_from + host_start;
    format!(
        "{}{}{}",
        &written[..at],
        ascii_host,
        &written[at + host.len()..]
    )
}
