//! What a file is, from its first bytes: the allow-list of
//! `app::media::ALLOWED_TYPES`, each recognised by its signature. The name
//! and the declared `Content-Type` are never believed.

/// How many leading bytes [`sniff`] needs to decide.
pub const NEEDED: usize = 16;

/// The content type of `head` (a file's first bytes), if it is one we take.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    let starts = |signature: &[u8]| head.starts_with(signature);
    let at = |offset: usize, signature: &[u8]| {
        head.get(offset..offset + signature.len()) == Some(signature)
    };
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"RIFF") && at(8, b"WEBP") {
        Some("image/webp")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if starts(b"%PDF-") {
        Some("application/pdf")
    } else if starts(b"PK\x03\x04") {
        Some("application/zip")
    } else if starts(b"ID3")
        || starts(&[0xFF, 0xFB])
        || starts(&[0xFF, 0xF3])
        || starts(&[0xFF, 0xF2])
    {
        Some("audio/mpeg")
    } else if starts(b"OggS") {
        Some("audio/ogg")
    } else if at(4, b"ftyp") {
        Some("video/mp4")
    } else if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("video/webm")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_decide_and_names_do_not() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE1, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), Some("image/gif"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42"), Some("video/mp4"));
        // A script, whatever it is called.
        assert_eq!(sniff(b"<script>alert(1)</script>"), None);
        assert_eq!(sniff(b"#!/bin/sh\nrm -rf /"), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"RIFF"), None);
    }

    #[test]
    fn every_sniffed_type_is_on_the_documented_list() {
        let samples: [&[u8]; 10] = [
            b"\xFF\xD8\xFF",
            b"\x89PNG\r\n\x1a\n",
            b"RIFF\0\0\0\0WEBP",
            b"GIF87a",
            b"%PDF-",
            b"PK\x03\x04",
            b"ID3",
            b"OggS",
            b"\0\0\0\0ftyp",
            b"\x1A\x45\xDF\xA3",
        ];
        for sample in samples {
            let sniffed = sniff(sample).expect("recognised");
            assert!(
                app::media::ALLOWED_TYPES.iter().any(|(t, _)| *t == sniffed),
                "{sniffed} is not documented"
            );
        }
    }
}
