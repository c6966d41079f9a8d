//! Content type detection from the first bytes of a blob, and the inline allow-list.
//!
//! The type is taken from the content only: a client's file name or declared type is an
//! assertion by the uploader and decides nothing here.

/// How many leading bytes are kept while streaming to decide the type.
pub(super) const SNIFF_LEN: usize = 8 * 1024;

const OCTET_STREAM: &str = "application/octet-stream";
const TEXT_PLAIN: &str = "text/plain";

/// Types a browser may render in place. Everything else is a download: SVG, HTML and XML
/// can carry script, and any type not listed here has not been reviewed.
const INLINE_SAFE: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "video/mp4",
    "video/webm",
];

/// True when a blob of this type may be served with `Content-Disposition: inline`.
/// Parameters (`; charset=...`) and case are ignored.
pub fn is_inline_safe(mime: &str) -> bool {
    let essence = mime.split(';').next().unwrap_or("").trim();
    INLINE_SAFE
        .iter()
        .any(|safe| safe.eq_ignore_ascii_case(essence))
}

/// Detects the type of a blob from its first bytes. `complete` says whether `prefix` is
/// the whole blob; when it is not, a UTF-8 sequence cut at the end still counts as text.
pub(super) fn detect(prefix: &[u8], complete: bool) -> &'static str {
    if let Some(kind) = infer::get(prefix) {
        let mime = kind.mime_type();
        if signature_confirmed(mime, prefix) {
            return mime;
        }
    }
    if looks_like_text(prefix, complete) {
        TEXT_PLAIN
    } else {
        OCTET_STREAM
    }
}

/// infer accepts any buffer starting with "GIF" as a GIF and anything with "WEBP" at
/// offset 8 as WebP, so plain text can pass for an image. Types that may be shown inline
/// must carry their full signature before we believe them.
fn signature_confirmed(mime: &str, buf: &[u8]) -> bool {
    match mime {
        "image/png" => buf.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/gif" => buf.starts_with(b"GIF87a") || buf.starts_with(b"GIF89a"),
        "image/webp" => buf.starts_with(b"RIFF") && buf.get(8..12) == Some(b"WEBP".as_slice()),
        _ => true,
    }
}

fn looks_like_text(buf: &[u8], complete: bool) -> bool {
    if buf.is_empty() {
        return false;
    }
    let valid = match std::str::from_utf8(buf) {
        Ok(text) => text,
        // `error_len() == None` means the input ended inside a multi-byte sequence: the
        // 8 KiB cut fell there, not a decoding error.
        Err(err) if !complete && err.error_len().is_none() => {
            match std::str::from_utf8(&buf[..err.valid_up_to()]) {
                Ok(text) => text,
                Err(_) => return false,
            }
        }
        Err(_) => return false,
    };
    // NUL and most C0 controls do not occur in text people write; they mark binary data
    // that happens to be valid UTF-8.
    !valid
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_allow_list() {
        for ok in [
            "image/png",
            "IMAGE/JPEG",
            "image/gif",
            "image/webp",
            "video/mp4",
            "video/webm; codecs=vp9",
        ] {
            assert!(is_inline_safe(ok), "{ok}");
        }
        for bad in [
            "image/svg+xml",
            "text/html",
            "text/html; charset=utf-8",
            "application/xhtml+xml",
            "text/xml",
            "application/xml",
            "application/pdf",
            "text/plain",
            "image/bmp",
            "image/png+xml",
            "",
        ] {
            assert!(!is_inline_safe(bad), "{bad}");
        }
    }

    #[test]
    fn text_that_starts_like_a_weak_signature_is_not_an_image() {
        assert_eq!(detect(b"GIF or JPEG? Let us discuss.", true), TEXT_PLAIN);
        assert_eq!(detect(b"Hello, WEBP is a format", true), TEXT_PLAIN);
    }

    #[test]
    fn utf8_cut_at_the_sniff_boundary_is_still_text() {
        let text = "Ä".repeat(SNIFF_LEN);
        let prefix = &text.as_bytes()[..SNIFF_LEN - 1];
        assert_eq!(detect(prefix, false), TEXT_PLAIN);
        assert_eq!(detect(prefix, true), OCTET_STREAM);
    }

    #[test]
    fn binary_and_empty_are_octet_stream() {
        assert_eq!(detect(b"", true), OCTET_STREAM);
        assert_eq!(detect(b"abc\0def", true), OCTET_STREAM);
        assert_eq!(detect(&[0xff, 0xfe, 0x00, 0x41], true), OCTET_STREAM);
    }
}
