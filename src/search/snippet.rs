//! Snippets with highlight ranges. tantivy's `SnippetGenerator::create` only knows the
//! exact terms of a query, so fuzzy matches would go unmarked; instead the terms to mark
//! are worked out per document (the document's own tokens that a query word matched) and
//! handed to `SnippetGenerator::new`.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use tantivy::schema::Field;
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;

use super::query::{Analyzers, ParsedText};
use super::schema::Lang;

/// Long enough for a line of context in a result list, short enough for a phone.
pub const SNIPPET_CHARS: usize = 200;

/// A piece of stored text and where the query matched in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    /// Byte ranges into `text`, on char boundaries, sorted and non-overlapping. Plain
    /// ranges rather than HTML so the view escapes the text itself.
    pub highlights: Vec<Range<usize>>,
}

/// The stems a document token must equal, be one edit away from, or start with to be
/// marked: the same three ways a word matches in the query.
struct LangTerms {
    exact: HashSet<String>,
    expanded: Vec<(String, Vec<char>)>,
}

pub struct Highlighter {
    en: LangTerms,
    de: LangTerms,
}

impl Highlighter {
    pub fn new(parsed: &ParsedText) -> Highlighter {
        let collect = |lang: Lang| {
            let mut exact: HashSet<String> = HashSet::new();
            let mut expanded = Vec::new();
            for w in &parsed.words {
                let stem = w.stem(lang);
                exact.insert(stem.to_owned());
                if w.expand(lang) {
                    expanded.push((stem.to_owned(), stem.chars().collect()));
                }
            }
            for p in &parsed.phrases {
                exact.extend(p.terms(lang).iter().map(|(_, t)| t.clone()));
            }
            LangTerms { exact, expanded }
        };
        Highlighter {
            en: collect(Lang::En),
            de: collect(Lang::De),
        }
    }

    fn terms(&self, lang: Lang) -> &LangTerms {
        match lang {
            Lang::En => &self.en,
            Lang::De => &self.de,
        }
    }

    /// The document's own tokens that the query matched, as the generator wants them.
    fn matched_tokens(
        &self,
        lang: Lang,
        analyzer: &mut TextAnalyzer,
        text: &str,
    ) -> BTreeMap<String, f32> {
        let terms = self.terms(lang);
        let mut out = BTreeMap::new();
        let mut stream = analyzer.token_stream(text);
        while let Some(token) = stream.next() {
            if out.contains_key(&token.text) {
                continue;
            }
            let hit = terms.exact.contains(&token.text) || {
                let chars: Vec<char> = token.text.chars().collect();
                terms.expanded.iter().any(|(prefix, stem)| {
                    token.text.starts_with(prefix.as_str()) || within_one_edit(stem, &chars)
                })
            };
            if hit {
                out.insert(token.text.clone(), 1.0);
            }
        }
        out
    }

    /// The better of the English and German readings of `text`, or `None` when neither
    /// marks anything.
    pub fn snippet(&self, analyzers: &mut Analyzers, field: Field, text: &str) -> Option<Snippet> {
        let mut best: Option<Snippet> = None;
        for lang in [Lang::En, Lang::De] {
            let analyzer = analyzers.for_lang(lang);
            let terms = self.matched_tokens(lang, analyzer, text);
            if terms.is_empty() {
                continue;
            }
            let generator = SnippetGenerator::new(terms, analyzer.clone(), field, SNIPPET_CHARS);
            let s = generator.snippet(text);
            if s.highlighted().is_empty() {
                continue;
            }
            let candidate = Snippet {
                text: s.fragment().to_owned(),
                highlights: s.highlighted().to_vec(),
            };
            if best
                .as_ref()
                .is_none_or(|b| candidate.highlights.len() > b.highlights.len())
            {
                best = Some(candidate);
            }
        }
        best
    }
}

/// The start of `text` when nothing in it matched (the hit came from the subject),
/// cut at a word boundary.
pub fn lead(text: &str) -> Snippet {
    let cut = text
        .char_indices()
        .nth(SNIPPET_CHARS)
        .map_or(text.len(), |(i, _)| i);
    let mut end = cut;
    if cut < text.len()
        && let Some(space) = text[..cut].rfind(char::is_whitespace)
        && space > 0
    {
        end = space;
    }
    Snippet {
        text: text[..end].trim_end().to_owned(),
        highlights: Vec::new(),
    }
}

/// Damerau-Levenshtein distance ≤ 1 with adjacent transposition costing one, the same
/// rule `FuzzyTermQuery::new(_, 1, true)` applies in the index.
fn within_one_edit(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let diffs: Vec<usize> = (0..short.len()).filter(|&i| short[i] != long[i]).collect();
            match diffs.as_slice() {
                [] | [_] => true,
                [i, j] => *j == *i + 1 && short[*i] == long[*j] && short[*j] == long[*i],
                _ => false,
            }
        }
        1 => {
            let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
            short[prefix..] == long[prefix + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(a: &str, b: &str) -> bool {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        within_one_edit(&a, &b)
    }

    #[test]
    fn edit_distance_one() {
        assert!(one("printer", "printer"));
        assert!(one("pirnter", "printer"));
        assert!(one("printr", "printer"));
        assert!(one("printerx", "printer"));
        assert!(one("prinxer", "printer"));
        assert!(!one("pritner", "printre"));
        assert!(!one("prnter", "printerx"));
        assert!(!one("abcde", "badce"));
    }

    #[test]
    fn lead_cuts_on_char_and_word_boundaries() {
        let text = "ä".repeat(150) + " " + &"ö".repeat(150);
        let s = lead(&text);
        assert_eq!(s.text, "ä".repeat(150));
        assert_eq!(lead("kurz").text, "kurz");
        assert_eq!(lead("").text, "");
    }
}
