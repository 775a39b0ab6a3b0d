//! Recordings and pictures for activities, uploaded by teachers and kept in the object store
//! under `content/`: which files are taken, recognised by their bytes, not by what the client
//! says they are.

/// At most this large.
pub const MAX_FILE: usize = 10 * 1024 * 1024;

/// The media type and extension the file's first bytes say, if it is one we take: MP3, Ogg,
/// WAV, PNG, JPEG, WebP or SVG.
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if let Some(image) = crate::features::drawings::sniff(bytes) {
        return Some(image);
    }
    let mp3_frame = bytes.len() >= 2 && bytes[0] == 0xFF && (bytes[1] & 0xE0) == 0xE0;
    if bytes.starts_with(b"ID3") || mp3_frame {
        Some(("audio/mpeg", "mp3"))
    } else if bytes.starts_with(b"OggS") {
        Some(("audio/ogg", "ogg"))
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE" {
        Some(("audio/wav", "wav"))
    } else if is_svg(bytes) {
        Some(("image/svg+xml", "svg"))
    } else {
        None
    }
}

/// An SVG document: UTF-8 text whose first element (after an optional BOM, XML declaration,
/// comments and a doctype) is `<svg`.
fn is_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let Ok(text) = std::str::from_utf8(head).or_else(|e| {
        // A multi-byte character cut at 4 KiB.
        std::str::from_utf8(&head[..e.valid_up_to()])
    }) else {
        return false;
    };
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            let Some(end) = after.find("?>") else {
                return false;
            };
            rest = after[end + 2..].trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            let Some(end) = after.find("-->") else {
                return false;
            };
            rest = after[end + 3..].trim_start();
        } else if let Some(after) = rest.strip_prefix("<!DOCTYPE") {
            let Some(end) = after.find('>') else {
                return false;
            };
            rest = after[end + 1..].trim_start();
        } else {
            return rest.starts_with("<svg");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_bytes() {
        assert_eq!(sniff(b"ID3\x04rest").unwrap().0, "audio/mpeg");
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x00]).unwrap().0, "audio/mpeg");
        assert_eq!(sniff(b"OggS\x00\x02").unwrap().0, "audio/ogg");
        assert_eq!(
            sniff(b"RIFF\x24\x00\x00\x00WAVEfmt ").unwrap().0,
            "audio/wav"
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n").unwrap().0, "image/png");
        assert_eq!(
            sniff(b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- a cat -->\n<svg xmlns=\"x\"/>")
                .unwrap()
                .0,
            "image/svg+xml"
        );
        assert!(sniff(b"<html><svg/></html>").is_none());
        assert!(sniff(b"GIF89a").is_none());
        assert!(sniff(b"RIFF\x00\x00\x00\x00AVI ").is_none());
        assert!(sniff(b"").is_none());
    }
}
