//! Photos and files: which kinds are taken, how big, where they go,
//! and how one is shown where there is no room for it (the chat list).

/// What an upload is belongs to the domain (a message carries them); the
/// rules for taking one are here.
pub use crate::model::{Attachment, is_image};
use crate::model::{ChatId, UserId};

/// The most attachments one message carries.
pub const MAX_PER_MESSAGE: usize = 10;
/// A thumbnail's long side, in pixels.
pub const THUMBNAIL_EDGE: u32 = 320;
/// The longest file name kept (longer ones are cut, keeping the extension).
pub const MAX_NAME_CHARS: usize = 200;

/// What may be uploaded, by what its bytes are (never by its name or the
/// declared type). Images are shown inline; everything else is a download.
pub const ALLOWED_TYPES: &[(&str, &str)] = &[
    ("image/jpeg", "JPEG image"),
    ("image/png", "PNG image"),
    ("image/webp", "WebP image"),
    ("image/gif", "GIF image"),
    ("application/pdf", "PDF document"),
    (
        "application/zip",
        "ZIP archive (also .docx, .xlsx, .pptx, .odt)",
    ),
    ("audio/mpeg", "MP3 audio"),
    ("audio/ogg", "Ogg audio"),
    ("video/mp4", "MP4 video"),
    ("video/webm", "WebM video"),
];

/// Where a chat's uploads go: `POST` the bytes here, `?name=` the file name.
pub fn upload_path(chat_id: ChatId) -> String {
    format!("/api/chats/{chat_id}/attachments")
}

/// Profile and group photos: square, in two sizes (the long side in pixels).
pub const PHOTO_EDGE: u32 = 512;
pub const PHOTO_SMALL_EDGE: u32 = 96;

/// Where one's own profile photo is set (`POST` the bytes) and taken away
/// (`DELETE`).
pub const MY_PHOTO_PATH: &str = "/api/me/photo";

/// Where a group's photo is set and taken away (its admins).
pub fn group_photo_path(chat_id: ChatId) -> String {
    format!("/api/chats/{chat_id}/photo")
}

/// A person's photo as served: `version` names the bytes (a hash of them),
/// so the URL changes when the photo does and may be cached for good.
pub fn user_photo_url(user_id: UserId, version: &str) -> String {
    format!("/api/users/{user_id}/photos/{version}")
}

/// A group's photo as served (see [`user_photo_url`]).
pub fn chat_photo_url(chat_id: ChatId, version: &str) -> String {
    format!("/api/chats/{chat_id}/photos/{version}")
}

/// The small size of a photo URL (`?size=small`, after any query it has).
pub fn small_photo(url: &str) -> String {
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}size=small")
}

/// A message's one line in the chat list (and a notification's): its words
/// without formatting markers, else what it carries.
pub fn preview(body: &str, attachments: &[Attachment]) -> String {
    if !body.trim().is_empty() {
        return crate::format::plain(body);
    }
    let photos = attachments.iter().filter(|a| a.is_image()).count();
    match (attachments.first(), photos) {
        (None, _) => String::new(),
        (Some(_), 1) if attachments.len() == 1 => "📷 Photo".to_owned(),
        (Some(_), n) if n == attachments.len() => format!("📷 {n} photos"),
        (Some(first), _) if attachments.len() == 1 => format!("📎 {}", first.name),
        (Some(_), _) => format!("📎 {} files", attachments.len()),
    }
}

/// A size as people read it: "980 B", "14 KB", "2.4 MB" (decimal units).
pub fn human_size(bytes: u64) -> String {
    const KB: u64 = 1000;
    const MB: u64 = 1000 * KB;
    match bytes {
        b if b < KB => format!("{b} B"),
        b if b < MB => format!("{} KB", b.div_ceil(KB)),
        b => {
            let tenths = b.div_ceil(MB / 10);
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    }
}

/// A file name fit to keep: no path, no control characters, at most
/// [`MAX_NAME_CHARS`]; "file" when nothing is left.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.');
    if cleaned.is_empty() {
        return "file".to_owned();
    }
    let chars = cleaned.chars().count();
    if chars <= MAX_NAME_CHARS {
        return cleaned.to_owned();
    }
    // Keep the extension: "a very long … name.pdf".
    let extension = cleaned
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| ext.chars().count() <= 10);
    let keep = MAX_NAME_CHARS - extension.map_or(0, |ext| ext.chars().count() + 1);
    let stem: String = cleaned.chars().take(keep).collect();
    match extension {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AttachmentId;
    use uuid::Uuid;

    fn attachment(name: &str, content_type: &str) -> Attachment {
        let id = AttachmentId(Uuid::nil());
        Attachment {
            id,
            name: name.into(),
            content_type: content_type.into(),
            size: 10,
            width: None,
            height: None,
            url: Attachment::url_of(id),
            thumbnail_url: None,
        }
    }

    #[test]
    fn the_list_says_what_a_message_carries_when_it_has_no_text() {
        let photo = attachment("a.jpg", "image/jpeg");
        let pdf = attachment("report.pdf", "application/pdf");
        assert_eq!(preview("look", std::slice::from_ref(&photo)), "look");
        assert_eq!(preview("", std::slice::from_ref(&photo)), "📷 Photo");
        assert_eq!(preview("", &[photo.clone(), photo.clone()]), "📷 2 photos");
        assert_eq!(preview("", std::slice::from_ref(&pdf)), "📎 report.pdf");
        assert_eq!(preview("", &[photo, pdf]), "📎 2 files");
        assert_eq!(preview("", &[]), "");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1000), "1 KB");
        assert_eq!(human_size(14_200), "15 KB");
        assert_eq!(human_size(2_400_000), "2.4 MB");
        assert_eq!(human_size(25_000_000), "25.0 MB");
    }

    #[test]
    fn names_lose_paths_and_control_characters_and_keep_their_extension() {
        assert_eq!(clean_name("C:\\Users\\me\\photo.jpg"), "photo.jpg");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\u{0}b\nc.pdf"), "abc.pdf");
        assert_eq!(clean_name("  "), "file");
        assert_eq!(clean_name(".hidden"), "hidden");
        let long = format!("{}.pdf", "x".repeat(500));
        let kept = clean_name(&long);
        assert_eq!(kept.chars().count(), MAX_NAME_CHARS);
        assert!(kept.ends_with(".pdf"));
    }

    #[test]
    fn only_the_four_image_kinds_show_inline() {
        for (content_type, _) in ALLOWED_TYPES {
            let inline = is_image(content_type);
            assert_eq!(inline, content_type.starts_with("image/"), "{content_type}");
        }
        assert!(!is_image("image/svg+xml"));
    }
}
