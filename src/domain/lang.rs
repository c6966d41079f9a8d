//! The interface languages Supportbox speaks.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    De,
    #[default]
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::De, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    /// The language's own name, shown in the language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::De => "Deutsch",
            Lang::En => "English",
        }
    }

    /// Accepts a primary tag ("de", "en") or a regional one ("de-AT", "en_GB").
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the best supported language from an `Accept-Language` header, honouring
    /// q-values; English when nothing matches.
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut best: Option<(u16, usize, Lang)> = None;
        for (position, item) in accept_language.split(',').enumerate().take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .map(|q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
                .unwrap_or(1000);
            if quality == 0 {
                continue;
            }
            if let Some(lang) = Lang::from_tag(tag) {
                // Higher quality wins; among equals, the earlier entry wins.
                let better = match best {
                    None => true,
                    Some((q, pos, _)) => quality > q || (quality == q && position < pos),
                };
                if better {
                    best = Some((quality, position, lang));
                }
            }
        }
        best.map(|(_, _, lang)| lang).unwrap_or_default()
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_honours_quality_and_order() {
        assert_eq!(Lang::negotiate("de-DE,de;q=0.9,en;q=0.8"), Lang::De);
        assert_eq!(Lang::negotiate("fr-FR, en;q=0.5, de;q=0.7"), Lang::De);
        assert_eq!(Lang::negotiate("en-GB, de"), Lang::En);
        assert_eq!(Lang::negotiate("de;q=0, en;q=0.1"), Lang::En);
        assert_eq!(Lang::negotiate("fr, es"), Lang::En);
        assert_eq!(Lang::negotiate(""), Lang::En);
        assert_eq!(Lang::negotiate(";;;,,q=x"), Lang::En);
    }

    #[test]
    fn tags_parse() {
        assert_eq!(Lang::from_tag("de_AT"), Some(Lang::De));
        assert_eq!(Lang::from_tag("EN"), Some(Lang::En));
        assert_eq!(Lang::from_tag("x"), None);
    }
}
