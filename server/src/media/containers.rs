//! Whether audio and video are what their signature says: a signature is a
//! few bytes anyone can put at the start of a web page, so a file is taken as
//! MP3, Ogg, MP4 or WebM only when that container's own header parses (an
//! MPEG audio frame, after any ID3 tag; an Ogg page that opens a known codec;
//! an EBML header whose DocType is `webm`; an MP4 `ftyp` box and the box after
//! it), and never when its head holds markup a browser would run.

/// How much of a file's head the checks read (less when the file is shorter).
pub const PROBE: usize = 64 * 1024;

/// Whether `head` (the first [`PROBE`] bytes of the file, or all of it when
/// `whole`) parses as `content_type`. Types other than audio and video pass:
/// images are decoded anyway, and PDF and ZIP are downloads.
pub fn parses(content_type: &str, head: &[u8], whole: bool) -> bool {
    let parsed = match content_type {
        "audio/mpeg" => mpeg_audio(head, whole),
        "audio/ogg" => ogg(head),
        "video/mp4" => mp4(head, whole),
        "video/webm" => webm(head),
        _ => return true,
    };
    parsed && !holds_markup(head)
}

/// HTML, SVG or script anywhere in the head: never media.
fn holds_markup(head: &[u8]) -> bool {
    const MARKUP: [&[u8]; 8] = [
        b"<html",
        b"<!doctype",
        b"<script",
        b"<svg",
        b"<body",
        b"<head",
        b"<iframe",
        b"<?php",
    ];
    head.windows(2).enumerate().any(|(at, pair)| {
        pair[0] == b'<'
            && MARKUP.iter().any(|tag| {
                head.get(at..at + tag.len())
                    .is_some_and(|found| found.eq_ignore_ascii_case(tag))
            })
    })
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// An ID3v2 tag (if any) and then an MPEG audio frame header, and the frame
/// after it where the head reaches that far.
fn mpeg_audio(head: &[u8], whole: bool) -> bool {
    let start = if head.starts_with(b"ID3") {
        match id3_length(head) {
            Some(length) => length,
            None => return false,
        }
    } else {
        0
    };
    if start + 4 > head.len() {
        // A tag longer than the probe: its frames must parse as far as we read.
        return !whole && id3_frames_parse(head);
    }
    let Some(length) = mpeg_frame_length(&head[start..]) else {
        return false;
    };
    match head.get(start + length..start + length + 4) {
        Some(next) => mpeg_frame_length(next).is_some(),
        None => true,
    }
}

/// The whole ID3v2 tag's length (header, frames, footer): version 2–4, sizes
/// in seven-bit bytes.
fn id3_length(head: &[u8]) -> Option<usize> {
    let header = head.get(..10)?;
    let (major, revision, flags) = (header[3], header[4], header[5]);
    if !(2..=4).contains(&major) || revision == 0xFF || flags & 0x0F != 0 {
        return None;
    }
    let size = header[6..10].iter().try_fold(0usize, |size, &byte| {
        (byte < 0x80).then_some((size << 7) | usize::from(byte))
    })?;
    let footer = if flags & 0x10 != 0 { 10 } else { 0 };
    Some(10 + size + footer)
}

/// The tag's frames, as far as the head goes: each a name of capitals and
/// digits and a size that stays inside the tag, until padding.
fn id3_frames_parse(head: &[u8]) -> bool {
    let Some(end) = id3_length(head) else {
        return false;
    };
    let (name_len, header_len) = if head[3] == 2 { (3, 6) } else { (4, 10) };
    let mut at = 10;
    let mut frames = 0;
    while at + header_len <= head.len().min(end) {
        let name = &head[at..at + name_len];
        if name.iter().all(|&byte| byte == 0) {
            return frames > 0;
        }
        if !name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return false;
        }
        // v2.4 writes sizes in seven-bit bytes, v2.2 and v2.3 in eight.
        let bits = if head[3] == 4 { 7 } else { 8 };
        let size = head[at + name_len..at + header_len - if name_len == 3 { 0 } else { 2 }]
            .iter()
            .fold(0usize, |size, &byte| (size << bits) | usize::from(byte));
        if size == 0 || at + header_len + size > end {
            return false;
        }
        frames += 1;
        at += header_len + size;
    }
    frames > 0
}

/// The length of the MPEG audio frame whose header starts `bytes` (layer
/// III, MPEG-1, 2 or 2.5), if it is one.
fn mpeg_frame_length(bytes: &[u8]) -> Option<usize> {
    let header = u32_at(bytes, 0)?;
    if header >> 21 != 0x7FF {
        return None;
    }
    let version = (header >> 19) & 0b11; // 0: 2.5, 2: 2, 3: 1
    let layer = (header >> 17) & 0b11; // 1: III
    let bitrate_index = ((header >> 12) & 0b1111) as usize;
    let rate_index = ((header >> 10) & 0b11) as usize;
    let padding = ((header >> 9) & 1) as usize;
    if version == 1 || layer != 1 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    const MPEG1: [usize; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const MPEG2: [usize; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    const RATES: [usize; 3] = [44_100, 48_000, 32_000];
    let (kbps, rate, per_frame) = match version {
        3 => (MPEG1[bitrate_index], RATES[rate_index], 144),
        2 => (MPEG2[bitrate_index], RATES[rate_index] / 2, 72),
        _ => (MPEG2[bitrate_index], RATES[rate_index] / 4, 72),
    };
    Some(per_frame * kbps * 1000 / rate + padding)
}

/// The first Ogg page: version 0, beginning a stream, its first packet the
/// header of Vorbis, Opus, FLAC or Speex.
fn ogg(head: &[u8]) -> bool {
    let Some(&[version, flags]) = head.get(4..6) else {
        return false;
    };
    let Some(&segments) = head.get(26) else {
        return false;
    };
    if version != 0 || flags & 0x02 == 0 || segments == 0 {
        return false;
    }
    let Some(packet) = head.get(27 + usize::from(segments)..) else {
        return false;
    };
    let codecs: [&[u8]; 4] = [b"\x01vorbis", b"OpusHead", b"\x7FFLAC", b"Speex   "];
    codecs.iter().any(|codec| packet.starts_with(codec))
}

/// An EBML variable-length integer at `at`: its value and length.
fn vint(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let first = *bytes.get(at)?;
    let length = first.leading_zeros() as usize + 1;
    if length > 8 {
        return None;
    }
    let mut value = u64::from(first) & (0xFF >> length);
    for &byte in bytes.get(at + 1..at + length)? {
        value = (value << 8) | u64::from(byte);
    }
    Some((value, length))
}

/// The EBML header, read element by element, names `webm` as its DocType.
fn webm(head: &[u8]) -> bool {
    let Some((size, length)) = vint(head, 4) else {
        return false;
    };
    let start = 4 + length;
    let Some(end) = usize::try_from(size).ok().map(|size| start + size) else {
        return false;
    };
    if end > head.len() || size > 256 {
        return false;
    }
    let mut at = start;
    while at < end {
        // Element ids keep their length marker: one to four bytes.
        let Some(&first) = head.get(at) else {
            return false;
        };
        let id_length = first.leading_zeros() as usize + 1;
        if id_length > 4 {
            return false;
        }
        let id = head.get(at..at + id_length);
        let Some((size, size_length)) = vint(head, at + id_length) else {
            return false;
        };
        let data = at + id_length + size_length;
        let Some(data_end) = usize::try_from(size).ok().map(|size| data + size) else {
            return false;
        };
        if data_end > end {
            return false;
        }
        if id == Some(&[0x42, 0x82]) {
            return &head[data..data_end] == b"webm";
        }
        at = data_end;
    }
    false
}

/// An `ftyp` box of brands (four printable characters each) first, and a
/// well-formed box header after it where the head reaches that far.
fn mp4(head: &[u8], whole: bool) -> bool {
    let Some(size) = u32_at(head, 0).map(|size| size as usize) else {
        return false;
    };
    if !(16..=1024).contains(&size) || size % 4 != 0 || head.get(4..8) != Some(b"ftyp") {
        return false;
    }
    let Some(brands) = head.get(8..size) else {
        return false;
    };
    let printable = |bytes: &[u8]| bytes.iter().all(|b| (0x20..0x7F).contains(b));
    // Major brand, minor version (any number), then compatible brands.
    if !printable(&brands[..4]) || !brands[8..].chunks(4).all(printable) {
        return false;
    }
    match (u32_at(head, size), head.get(size + 4..size + 8)) {
        (Some(next), Some(kind)) => {
            (next == 1 || next >= 8) && kind.iter().all(|b| b.is_ascii_alphanumeric() || *b == b' ')
        }
        // The file ends with its ftyp box: not a video.
        _ if whole && head.len() == size => false,
        _ => !whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An MPEG-1 layer III frame header (128 kb/s, 44.1 kHz) and its body.
    fn mp3_frame() -> Vec<u8> {
        let mut frame = vec![0xFF, 0xFB, 0x90, 0x00];
        frame.resize(417, 0);
        frame
    }

    fn id3(frames: &[u8]) -> Vec<u8> {
        let size = frames.len();
        let mut tag = b"ID3\x04\x00\x00".to_vec();
        tag.extend(
            (0..4)
                .rev()
                .map(|shift| ((size >> (7 * shift)) & 0x7F) as u8),
        );
        tag.extend_from_slice(frames);
        tag
    }

    #[test]
    fn mp3_is_a_frame_after_its_tag() {
        let frames = [mp3_frame(), mp3_frame()].concat();
        assert!(parses("audio/mpeg", &frames, true));
        let title = b"TIT2\x00\x00\x00\x06\x00\x00\x03Song!";
        let tagged = [id3(title), frames.clone()].concat();
        assert!(parses("audio/mpeg", &tagged, true));
        // "ID3" and then a web page.
        let page = [
            id3(title),
            b"<html><script>steal()</script></html>".to_vec(),
        ]
        .concat();
        assert!(!parses("audio/mpeg", &page, true));
        assert!(!parses("audio/mpeg", b"ID3 is what I wrote about", true));
        let mut broken = frames;
        broken[417] = b'<';
        assert!(
            !parses("audio/mpeg", &broken, true),
            "the second frame must follow"
        );
    }

    #[test]
    fn ogg_opens_a_known_codec() {
        let mut page = b"OggS\x00\x02".to_vec();
        page.resize(26, 0);
        page.push(1);
        page.push(30);
        page.extend_from_slice(b"OpusHead\x01\x02");
        assert!(parses("audio/ogg", &page, true));
        let mut other = page.clone();
        other[28..36].copy_from_slice(b"<script>");
        assert!(!parses("audio/ogg", &other, true));
    }

    #[test]
    fn webm_is_an_ebml_header_naming_webm() {
        let mut file = vec![0x1A, 0x45, 0xDF, 0xA3, 0x8B];
        file.extend_from_slice(&[0x42, 0x86, 0x81, 0x01]); // EBMLVersion 1
        file.extend_from_slice(&[0x42, 0x82, 0x84]); // DocType, 4 bytes
        file.extend_from_slice(b"webm");
        file.extend_from_slice(&[0x18, 0x53, 0x80, 0x67]);
        assert!(parses("video/webm", &file, false));
        let mut other = file.clone();
        other[12..16].copy_from_slice(b"html");
        assert!(!parses("video/webm", &other, false));
        assert!(!parses("video/webm", b"\x1A\x45\xDF\xA3<html>", true));
    }

    #[test]
    fn mp4_is_an_ftyp_box_then_another_box() {
        let mut file = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42".to_vec();
        file.extend_from_slice(b"\x00\x00\x00\x08free\x00\x00\x00\x10mdat");
        assert!(parses("video/mp4", &file, true));
        // What "invoice.html" was: a page with "ftyp" at byte 4.
        let page = b"<ht ftyp mp42 and then <html><body>pay here</body></html>";
        assert!(!parses("video/mp4", &page[..], true));
        let mut markup = file.clone();
        markup.extend_from_slice(b"<script>x()</script>");
        assert!(!parses("video/mp4", &markup, true), "markup is never media");
        assert!(!parses("video/mp4", &file[..24], true), "only an ftyp box");
    }

    #[test]
    fn other_types_are_not_checked_here() {
        assert!(parses("application/pdf", b"%PDF-<html>", true));
        assert!(parses("image/png", b"anything", true));
    }
}
