//! The `@` picker: in a group, `@` and the start of a member's name offer
//! them in a list (a listbox the textarea points to, so a screen reader reads
//! the active option); arrows move, Enter or Tab picks, Escape closes.

use super::*;

/// How many members the list offers at most.
const MOST_SUGGESTED: usize = 6;

/// The picker of one composer: where the caret is in the draft, which option
/// is active, and what the text before the caret suggests.
#[derive(Clone, Copy)]
pub(super) struct MentionPicker {
    draft: RwSignal<String>,
    textarea: NodeRef<html::Textarea>,
    /// The caret, in bytes of the draft.
    caret: RwSignal<usize>,
    /// Escape closed it; typing opens it again.
    closed: RwSignal<bool>,
    active: RwSignal<usize>,
    suggestions: Memo<Vec<ChatMember>>,
}

impl MentionPicker {
    pub(super) fn new(draft: RwSignal<String>, textarea: NodeRef<html::Textarea>) -> Self {
        let live = expect_context::<Live>();
        let conversation = live.conversation;
        let caret = RwSignal::new(0_usize);
        let closed = RwSignal::new(false);
        let suggestions = Memo::new(move |_| {
            if closed.get() {
                return Vec::new();
            }
            let me = live.me.with(|me| me.as_ref().map(|me| me.id));
            let members = conversation.chat.with(|chat| match chat {
                Some(chat) if chat.kind == ChatKind::Group => chat.members.clone(),
                _ => Vec::new(),
            });
            draft.with(|text| suggested(text, caret.get(), members, me))
        });
        Self {
            draft,
            textarea,
            caret,
            closed,
            active: RwSignal::new(0),
            suggestions,
        }
    }

    /// Whether the list shows (tracked).
    pub(super) fn is_open(self) -> bool {
        !self.suggestions.with(Vec::is_empty)
    }

    /// The active option's id, for `aria-activedescendant` (tracked).
    pub(super) fn active_option(self) -> Option<String> {
        self.is_open()
            .then(|| format!("mention-option-{}", self.active.get()))
    }

    /// Reads where the caret is from the textarea.
    pub(super) fn track_caret(self) {
        if let Some(textarea) = self.textarea.get_untracked() {
            let at = textarea.selection_start().ok().flatten().unwrap_or(0) as usize;
            self.caret.set(byte_offset(&textarea.value(), at));
        }
    }

    /// Something was typed: the list follows the text, open again.
    pub(super) fn typed(self) {
        self.track_caret();
        self.closed.set(false);
        self.active.set(0);
    }

    /// Puts `@username ` in place of the partial name before the caret.
    fn pick(self, username: String) {
        let text = self.draft.get_untracked();
        let Some((at, _)) = crate::search::mention_at(&text, self.caret.get_untracked()) else {
            return;
        };
        let end = self.caret.get_untracked();
        let inserted = format!("@{username} ");
        let new_text = format!("{}{inserted}{}", &text[..at], &text[end..]);
        let new_caret = at + inserted.len();
        self.draft.set(new_text.clone());
        self.caret.set(new_caret);
        self.active.set(0);
        // At once, not on the next frame: keys typed right after the pick
        // (fast typists, a busy machine) must land after the name, not be
        // overwritten by it.
        if let Some(textarea) = self.textarea.get_untracked() {
            textarea.set_value(&new_text);
            let units = new_text[..new_caret].encode_utf16().count() as u32;
            let _ = textarea.set_selection_range(units, units);
            let _ = textarea.focus();
        }
    }

    /// A key pressed in the textarea while the list shows: whether the
    /// picker took it (moving, picking, closing).
    pub(super) fn key(self, ev: &leptos::ev::KeyboardEvent) -> bool {
        let options = self.suggestions.get_untracked();
        if options.is_empty() || ev.is_composing() {
            return false;
        }
        let count = options.len();
        match ev.key().as_str() {
            "ArrowDown" => self.active.update(|at| *at = (*at + 1) % count),
            "ArrowUp" => self.active.update(|at| *at = (*at + count - 1) % count),
            "Enter" | "Tab" => {
                let chosen = options[self.active.get_untracked().min(count - 1)]
                    .username
                    .clone();
                self.pick(chosen);
            }
            "Escape" => self.closed.set(true),
            _ => return false,
        }
        ev.prevent_default();
        true
    }
}

/// The members whose username or name starts with the partial `@name` before
/// `caret` in `text`, not `me`.
fn suggested(
    text: &str,
    caret: usize,
    members: Vec<ChatMember>,
    me: Option<UserId>,
) -> Vec<ChatMember> {
    let Some((_, partial)) = crate::search::mention_at(text, caret) else {
        return Vec::new();
    };
    let partial = crate::search::fold(partial);
    members
        .into_iter()
        .filter(|member| Some(member.id) != me)
        .filter(|member| {
            member.username.starts_with(&partial)
                || crate::search::fold(&member.display_name).starts_with(&partial)
        })
        .take(MOST_SUGGESTED)
        .collect()
}

/// The browser counts the caret in UTF-16 units; the draft is indexed in bytes.
fn byte_offset(text: &str, utf16_at: usize) -> usize {
    text.char_indices()
        .scan(0, |units, (index, c)| {
            let here = *units;
            *units += c.len_utf16();
            Some((here, index))
        })
        .find(|(units, _)| *units >= utf16_at)
        .map_or(text.len(), |(_, index)| index)
}

/// The list itself, above the composer.
#[component]
pub(super) fn MentionList(picker: MentionPicker) -> impl IntoView {
    move || {
        let options = picker.suggestions.get();
        (!options.is_empty()).then(|| {
            view! {
                <ul class="mention-picker" role="listbox" id="mention-picker" aria-label="Mention someone">
                    {options.into_iter().enumerate().map(|(index, member)| {
                        let username = member.username.clone();
                        let active = picker.active;
                        view! {
                            <li role="option" id=format!("mention-option-{index}")
                                aria-selected=move || (active.get() == index).to_string()
                                class:active=move || active.get() == index
                                on:mousedown=move |ev| { ev.prevent_default(); picker.pick(username.clone()); }>
                                <Avatar name=member.display_name.clone() photo=member.photo_url.clone()/>
                                <span class="member-name">{member.display_name.clone()}</span>
                                <span class="hint">"@"{member.username.clone()}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::byte_offset;

    #[test]
    fn a_caret_in_utf16_units_is_found_in_bytes() {
        assert_eq!(byte_offset("hi @mi", 6), 6);
        // "é" is one UTF-16 unit and two bytes; "😀" two units and four bytes.
        assert_eq!(byte_offset("é @mi", 2), 3);
        assert_eq!(byte_offset("😀 @mi", 3), 5);
        assert_eq!(byte_offset("abc", 10), 3);
    }
}
