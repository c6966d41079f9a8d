//! Input rules shared by every form and API call. Each failure names the field and an
//! i18n message key, so the page can show it next to the field in the person's language.

/// One refused field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message_key}")]
pub struct FieldError {
    pub field: &'static str,
    /// Key in the locale catalogs under `validation.`.
    pub message_key: &'static str,
}

impl FieldError {
    pub fn new(field: &'static str, message_key: &'static str) -> FieldError {
        FieldError { field, message_key }
    }
}

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_BYTES: usize = 1024;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// Characters that make text display differently from what it is: bidirectional
/// overrides and isolates (a name that reads "admin" but is not) and zero-width
/// characters (two names that look identical).
fn is_deceptive(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}' | '\u{00AD}')
}

/// A person's, tenant's, topic's or token's name: trimmed, 1..=max characters, no control
/// or deceptive characters.
pub fn name(field: &'static str, value: &str, max_chars: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    if trimmed.chars().count() > max_chars {
        return Err(FieldError::new(field, "too_long"));
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err(FieldError::new(field, "control_chars"));
    }
    if trimmed.chars().any(is_deceptive) {
        return Err(FieldError::new(field, "invisible_chars"));
    }
    Ok(trimmed.to_owned())
}

/// Longer free text (descriptions): newlines and tabs allowed, other controls and
/// deceptive characters refused; may be empty.
pub fn text(field: &'static str, value: &str, max_chars: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.chars().count() > max_chars {
        return Err(FieldError::new(field, "too_long"));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(FieldError::new(field, "control_chars"));
    }
    if trimmed.chars().any(is_deceptive) {
        return Err(FieldError::new(field, "invisible_chars"));
    }
    Ok(trimmed.replace("\r\n", "\n"))
}

/// An e-mail address, lower-cased so that uniqueness holds regardless of spelling.
pub fn email(field: &'static str, value: &str) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    if trimmed.chars().count() > MAX_EMAIL_CHARS {
        return Err(FieldError::new(field, "too_long"));
    }
    let valid = match trimmed.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && !trimmed.chars().any(|c| {
                    c.is_whitespace()
                        || c.is_control()
                        || is_deceptive(c)
                        || c == '<'
                        || c == '>'
                        || c == '"'
                        || c == ','
                        || c == ';'
                })
                && !domain.contains('@')
        }
        None => false,
    };
    if !valid {
        return Err(FieldError::new(field, "invalid_email"));
    }
    Ok(trimmed.to_lowercase())
}

/// A tenant slug for URLs: 2..=40 of a-z, 0-9 and inner hyphens.
pub fn slug(field: &'static str, value: &str) -> Result<String, FieldError> {
    let s = value.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    let ok = (2..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if !ok {
        return Err(FieldError::new(field, "invalid_slug"));
    }
    Ok(s.to_owned())
}

/// The least zxcvbn score a new password must reach: `Three` is "safely unguessable",
/// about 10^10 guesses, which an online attacker never gets and a stolen argon2id hash makes
/// slow enough offline.
const MIN_PASSWORD_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Passwords are never trimmed or truncated; length counts characters so that passphrases in
/// any script qualify. Beyond the length, a password must resist guessing: it is refused when
/// it is on the list below or when zxcvbn (common passwords, words, names, keyboard walks,
/// dates, repeats, and the person's own name and email in `personal`) estimates it below
/// [`MIN_PASSWORD_SCORE`].
pub fn password(field: &'static str, value: &str, personal: &[&str]) -> Result<(), FieldError> {
    if value.chars().count() < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(field, "password_short"));
    }
    if value.len() > MAX_PASSWORD_BYTES {
        return Err(FieldError::new(field, "too_long"));
    }
    let lowered = value.to_lowercase();
    if COMMON_PASSWORDS.contains(&lowered.as_str())
        || lowered
            .chars()
            .next()
            .is_some_and(|first| lowered.chars().all(|c| c == first))
    {
        return Err(FieldError::new(field, "password_common"));
    }
    // zxcvbn matches each input as one word: "Alma Admin" and "alma.admin@acme.example"
    // would not catch "almaadmin", their parts and their parts run together do.
    let mut words: Vec<String> = Vec::new();
    for input in personal {
        let parts: Vec<String> = input
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| p.chars().count() >= 3)
            .map(str::to_owned)
            .collect();
        words.push(parts.concat());
        words.extend(parts);
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    if zxcvbn::zxcvbn(value, &words).score() < MIN_PASSWORD_SCORE {
        return Err(FieldError::new(field, "password_weak"));
    }
    Ok(())
}

/// A phone number as people write it: digits, spaces and `+()-./`, up to 40 characters.
pub fn phone(field: &'static str, value: &str) -> Result<String, FieldError> {
    let s = value.trim();
    if s.chars().count() > 40 {
        return Err(FieldError::new(field, "too_long"));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || " +()-./".contains(c))
    {
        return Err(FieldError::new(field, "invalid_phone"));
    }
    Ok(s.to_owned())
}

/// A colour as `#rrggbb`.
pub fn colour(field: &'static str, value: &str) -> Result<String, FieldError> {
    let s = value.trim();
    let ok = s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if !ok {
        return Err(FieldError::new(field, "invalid_colour"));
    }
    Ok(s.to_ascii_lowercase())
}

/// Passwords of at least ten characters that breach corpora list first; refusing them
/// stops the guesses an attacker tries before anything else.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "1q2w3e4r5t",
    "qwertyuiop",
    "password12",
    "password123",
    "password1234",
    "passwort123",
    "passwort1234",
    "qwertzuiop",
    "1qaz2wsx3edc",
    "iloveyou123",
    "abcdefghij",
    "abc1234567",
    "0987654321",
    "letmein123",
    "welcome123",
    "willkommen",
    "willkommen1",
    "willkommen123",
    "sommer2024",
    "sommer2025",
    "sommer2026",
    "winter2024",
    "winter2025",
    "winter2026",
    "passwort1!",
    "password1!",
    "administrator",
    "admin12345",
    "admin123456",
    "supportbox",
    "supportbox1",
    "supportbox123",
    "helpdesk123",
    "football123",
    "baseball123",
    "princess123",
    "sunshine123",
    "qwerty1234",
    "qwerty12345",
    "zaq12wsxcde",
    "asdfghjkl1",
    "asdfghjkl;",
    "changeme123",
    "trustno1234",
    "starwars123",
    "dragon12345",
    "monkey12345",
    "master12345",
    "superman123",
    "hallo12345",
    "hallo123456",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_controls_and_deceptive_characters() {
        assert_eq!(
            name("name", "  Ada Lovelace ", 100).unwrap(),
            "Ada Lovelace"
        );
        assert_eq!(name("name", "", 100).unwrap_err().message_key, "required");
        assert_eq!(
            name("name", &"x".repeat(101), 100).unwrap_err().message_key,
            "too_long"
        );
        assert_eq!(
            name("name", "a\u{0007}b", 100).unwrap_err().message_key,
            "control_chars"
        );
        assert_eq!(
            name("name", "adm\u{202E}nimda", 100)
                .unwrap_err()
                .message_key,
            "invisible_chars"
        );
        assert_eq!(
            name("name", "ad\u{200B}min", 100).unwrap_err().message_key,
            "invisible_chars"
        );
        assert_eq!(name("name", "Jürgen Öztürk", 100).unwrap(), "Jürgen Öztürk");
    }

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(
            email("email", " Ada@Example.ORG ").unwrap(),
            "ada@example.org"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "a b@example.org",
            "ada@example",
            "a@b@c.de",
            "ada@.org",
            "<a@b.de>",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
        assert!(email("email", &format!("{}@example.org", "a".repeat(250))).is_err());
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slug("slug", "acme-it").unwrap(), "acme-it");
        for bad in [
            "A",
            "a",
            "-acme",
            "acme-",
            "ac me",
            "acme/",
            "äcme",
            &"a".repeat(41),
        ] {
            assert!(slug("slug", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_length_and_must_not_be_common() {
        assert!(password("password", "correct horse battery", &[]).is_ok());
        assert_eq!(
            password("password", "short", &[]).unwrap_err().message_key,
            "password_short"
        );
        assert_eq!(
            password("password", "Password123", &[])
                .unwrap_err()
                .message_key,
            "password_common"
        );
        assert_eq!(
            password("password", "aaaaaaaaaaaa", &[])
                .unwrap_err()
                .message_key,
            "password_common"
        );
        assert!(password("password", &"x".repeat(2000), &[]).is_err());
    }

    /// The most common passwords of ten or more characters in public breach corpora.
    const BREACHED: &[&str] = &[
        "1234567890",
        "qwertyuiop",
        "1q2w3e4r5t",
        "q1w2e3r4t5",
        "1234554321",
        "qwerty123456",
        "123456789a",
        "1qaz2wsx3edc",
        "password123",
        "iloveyou12",
        "abcd123456",
        "0987654321",
        "1111111111",
        "zaq12wsxcde",
        "qazwsxedcrfv",
        "1234qwerasdf",
        "qwe123qwe123",
        "a123456789",
        "123123123123",
        "asdfghjkl1",
        "football10",
        "baseball11",
        "michael123",
        "jennifer12",
        "superman12",
        "1q2w3e4r5t6y",
        "987654321a",
        "asdasdasdasd",
        "passw0rd123",
        "1234567890q",
        "abcdefghij",
        "1234512345",
        "1122334455",
        "qwertyqwerty",
        "princess12",
        "sunshine12",
        "trustno1234",
        "dragon1234",
        "monkey1234",
        "letmein123",
        "welcome123",
        "charlie123",
        "shadow1234",
        "master1234",
        "iloveyou123",
    ];

    #[test]
    fn the_most_common_long_passwords_are_refused() {
        let accepted: Vec<&str> = BREACHED
            .iter()
            .copied()
            .filter(|p| password("password", p, &[]).is_ok())
            .collect();
        assert!(accepted.is_empty(), "accepted: {accepted:?}");
    }

    #[test]
    fn passphrases_pass_and_the_persons_own_details_do_not() {
        for good in [
            "correct horse battery staple",
            "Mein Fahrrad ist blau 77",
            "t9#Lk2!vQw8z",
            "Drucker im 2. OG klemmt",
        ] {
            assert!(password("password", good, &[]).is_ok(), "{good}");
        }
        let personal = ["alma.admin@acme.example", "Alma Admin"];
        assert_eq!(
            password("password", "almaadmin2026", &personal)
                .unwrap_err()
                .message_key,
            "password_weak"
        );
    }

    #[test]
    fn phones_and_colours() {
        assert_eq!(
            phone("phone", "+49 (30) 123-45").unwrap(),
            "+49 (30) 123-45"
        );
        assert!(phone("phone", "call me").is_err());
        assert_eq!(colour("colour", "#A1B2C3").unwrap(), "#a1b2c3");
        assert!(colour("colour", "red").is_err());
    }
}
