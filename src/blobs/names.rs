//! File names as users see them: cleaned for storage and display, and encoded for the
//! `Content-Disposition` header (RFC 6266 with the RFC 5987 `filename*` parameter).
//!
//! The name never reaches the file system: blobs are stored under their hash. These rules
//! exist so that a name cannot lie about the file (bidi overrides that turn `exe` into
//! `gpj`), break the header, or become a path on the machine that downloads it.

const MAX_CHARS: usize = 200;
/// Longer "extensions" are really parts of the name; keeping them whole would leave
/// little of the rest.
const MAX_EXT_CHARS: usize = 16;
const FALLBACK: &str = "file";

/// Characters Windows refuses in names, plus both separators.
const FORBIDDEN: &[char] = &['/', '\\', ':', '*', '?', '"', '<', '>', '|'];

/// Device names that Windows opens as devices whatever the extension.
const WINDOWS_RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Turns an uploaded name into one that is safe to show and to offer as a download name:
/// only the last path component, no control, bidi or zero-width characters, no
/// characters Windows forbids, no leading or trailing dots and spaces, at most 200
/// characters with the extension kept, never empty.
pub fn sanitize_filename(name: &str) -> String {
    let cleaned = name
        .rsplit(['/', '\\'])
        .map(clean_component)
        .find(|part| !part.is_empty())
        .unwrap_or_default();
    let mut name = truncate_keeping_extension(cleaned);
    if name.is_empty() {
        return FALLBACK.to_owned();
    }
    let stem = name.split('.').next().unwrap_or("").trim_end();
    if WINDOWS_RESERVED
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(stem))
    {
        name.insert(0, '_');
    }
    name
}

/// The `Content-Disposition` value for a download of `name` (sanitised here again, so a
/// raw name cannot inject into the header). `filename` carries an ASCII fallback for old
/// clients; `filename*` carries the exact UTF-8 name.
pub fn content_disposition(name: &str, inline: bool) -> String {
    let name = sanitize_filename(name);
    let kind = if inline { "inline" } else { "attachment" };
    format!(
        "{kind}; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_fallback(&name),
        percent_encode(&name)
    )
}

fn clean_component(part: &str) -> String {
    let kept: String = part
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(|c| if FORBIDDEN.contains(&c) { '_' } else { c })
        .collect();
    trim_dots_and_spaces(&kept).to_owned()
}

fn trim_dots_and_spaces(s: &str) -> &str {
    s.trim_matches(|c: char| c == '.' || c.is_whitespace())
}

/// Characters that change how a name is displayed without being visible themselves.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'                   // soft hyphen
            | '\u{061C}'                 // Arabic letter mark
            | '\u{180E}'                 // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}'    // zero-width space/joiners, LRM, RLM
            | '\u{2028}'..='\u{2029}'    // line and paragraph separators
            | '\u{202A}'..='\u{202E}'    // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'    // word joiner, invisible operators
            | '\u{2066}'..='\u{206F}'    // bidi isolates, deprecated format characters
            | '\u{FEFF}'                 // zero-width no-break space (BOM)
            | '\u{FFF9}'..='\u{FFFB}'    // interlinear annotation
            | '\u{E0000}'..='\u{E007F}' // tag characters
        )
}

fn truncate_keeping_extension(name: String) -> String {
    if name.chars().count() <= MAX_CHARS {
        return name;
    }
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 && name[dot..].chars().count() <= MAX_EXT_CHARS + 1 => {
            name.split_at(dot)
        }
        _ => (name.as_str(), ""),
    };
    let keep = MAX_CHARS - ext.chars().count();
    let stem: String = stem.chars().take(keep).collect();
    format!("{}{ext}", trim_dots_and_spaces(&stem))
}

/// Clients without RFC 5987 support see this name: printable ASCII only, with German
/// umlauts spelled out because most users write German names.
fn ascii_fallback(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            // A quoted-string would need escapes for these, which clients handle badly;
            // `%` might be percent-decoded by some of them.
            '"' | '\\' | '%' => out.push('_'),
            ' '..='~' => out.push(c),
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'Ä' => out.push_str("Ae"),
            'Ö' => out.push_str("Oe"),
            'Ü' => out.push_str("Ue"),
            'ß' => out.push_str("ss"),
            _ => out.push('_'),
        }
    }
    out
}

/// RFC 5987 `value-chars`: every byte outside `attr-char` is percent-encoded.
fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        let attr_char = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if attr_char {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_last_path_component() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("C:\\x\\y.txt"), "y.txt");
        assert_eq!(sanitize_filename("/abs/dir/"), "dir");
        assert_eq!(sanitize_filename(".."), "file");
        assert_eq!(sanitize_filename("a/../.."), "a");
    }

    #[test]
    fn strips_bidi_overrides_and_invisible_characters() {
        assert_eq!(sanitize_filename("a\u{202E}gpj.exe"), "agpj.exe");
        assert_eq!(
            sanitize_filename("in\u{200B}voice\u{2066}.pdf"),
            "invoice.pdf"
        );
        assert_eq!(sanitize_filename("a\u{FEFF}b\u{00AD}c"), "abc");
    }

    #[test]
    fn control_characters_and_empty_names_fall_back() {
        assert_eq!(sanitize_filename("\0"), "file");
        assert_eq!(sanitize_filename(""), "file");
        assert_eq!(sanitize_filename(" . . "), "file");
        assert_eq!(sanitize_filename("\u{202E}"), "file");
        assert_eq!(sanitize_filename("re\r\nport\t.txt"), "report.txt");
        assert_eq!(sanitize_filename("a\u{7f}\u{85}b"), "ab");
    }

    #[test]
    fn replaces_characters_windows_forbids() {
        assert_eq!(
            sanitize_filename("a:b*c?d\"e<f>g|h.txt"),
            "a_b_c_d_e_f_g_h.txt"
        );
    }

    #[test]
    fn trims_dots_and_spaces() {
        assert_eq!(sanitize_filename("  .hidden. "), "hidden");
        assert_eq!(sanitize_filename("report.pdf..."), "report.pdf");
    }

    #[test]
    fn windows_device_names_are_defused() {
        assert_eq!(sanitize_filename("CON"), "_CON");
        assert_eq!(sanitize_filename("nul.txt"), "_nul.txt");
        assert_eq!(sanitize_filename("console.txt"), "console.txt");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pdf", "x".repeat(500));
        let got = sanitize_filename(&long);
        assert_eq!(got.chars().count(), 200);
        assert!(got.ends_with("xx.pdf"));

        let umlauts = format!("{}.docx", "ä".repeat(300));
        let got = sanitize_filename(&umlauts);
        assert_eq!(got.chars().count(), 200);
        assert!(got.ends_with("ä.docx"));

        let no_ext = "y".repeat(300);
        assert_eq!(sanitize_filename(&no_ext), "y".repeat(200));

        // A "extension" of 40 characters is part of the name, not kept whole.
        let odd = format!("{}.{}", "a".repeat(300), "b".repeat(40));
        assert_eq!(sanitize_filename(&odd), "a".repeat(200));

        // Cutting must not leave a trailing space before the extension.
        let spaced = format!("{} tail.txt", "z".repeat(195));
        assert_eq!(
            sanitize_filename(&spaced),
            format!("{}.txt", "z".repeat(195))
        );
    }

    #[test]
    fn sanitising_is_idempotent() {
        for raw in [
            "../../etc/passwd",
            "a\u{202E}gpj.exe",
            "Bericht Ä.pdf",
            "CON",
            &"q".repeat(400),
        ] {
            let once = sanitize_filename(raw);
            assert_eq!(sanitize_filename(&once), once, "{raw}");
        }
    }

    #[test]
    fn disposition_for_a_german_name() {
        assert_eq!(
            content_disposition("Bericht Ä.pdf", false),
            "attachment; filename=\"Bericht Ae.pdf\"; filename*=UTF-8''Bericht%20%C3%84.pdf"
        );
        assert_eq!(
            content_disposition("Foto.jpg", true),
            "inline; filename=\"Foto.jpg\"; filename*=UTF-8''Foto.jpg"
        );
    }

    #[test]
    fn disposition_cannot_be_broken_by_quotes_or_newlines() {
        let value = content_disposition("a\"; filename=evil.exe\r\nX-Injected: 1.txt", false);
        assert!(!value.contains('\r') && !value.contains('\n'));
        // Exactly the two quotes that delimit the fallback name.
        assert_eq!(value.matches('"').count(), 2);
        assert_eq!(
            value,
            "attachment; filename=\"a_; filename=evil.exeX-Injected_ 1.txt\"; \
             filename*=UTF-8''a_%3B%20filename%3Devil.exeX-Injected_%201.txt"
        );
    }

    #[test]
    fn disposition_fallback_is_ascii_and_star_value_is_attr_chars() {
        let value = content_disposition("报告 100%\\x.pdf", false);
        assert!(value.is_ascii());
        assert!(value.contains("filename=\"x.pdf\""));
        let value = content_disposition("报告 100%.pdf", false);
        assert!(value.contains("filename=\"__ 100_.pdf\""));
        assert!(value.ends_with("filename*=UTF-8''%E6%8A%A5%E5%91%8A%20100%25.pdf"));
    }
}
