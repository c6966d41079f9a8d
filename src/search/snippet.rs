//! Snippets with highlight ranges. tantivy's `SnippetGenerator::create` only knows the
//! exact terms of a query, so prefix and typo matches would go unmarked; instead each
//! token of the document is checked against the query words the way they matched, and the
//! fragment is chosen as `SnippetGenerator` chooses it (the window of at most
//! [`SNIPPET_CHARS`] bytes with the most marked tokens, the earliest among equals). Doing
//! both in one pass stems every stored text once per language instead of twice, and
//! stemming is most of what a snippet costs.

use std::collections::HashSet;
use std::ops::Range;

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

/// The stems a document token must equal, start with, or (when the query allowed typos)
/// be one edit away from to be marked: the same ways a word matched in the query.
struct LangTerms {
    exact: HashSet<String>,
    expanded: Vec<(String, Vec<char>)>,
    typos: bool,
}

pub struct Highlighter {
    en: LangTerms,
    de: LangTerms,
}

impl Highlighter {
    pub fn new(parsed: &ParsedText, typos: bool) -> Highlighter {
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
            LangTerms {
                exact,
                expanded,
                typos,
            }
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

    /// The best fragment of `text` in one language, or `None` when nothing in it matched.
    fn fragment(&self, lang: Lang, analyzer: &mut TextAnalyzer, text: &str) -> Option<Snippet> {
        let terms = self.terms(lang);
        let mut best: Option<Fragment> = None;
        let mut current = Fragment::at(0);
        let mut stream = analyzer.token_stream(text);
        while let Some(token) = stream.next() {
            if token.offset_to - current.start > SNIPPET_CHARS {
                std::mem::replace(&mut current, Fragment::at(token.offset_from))
                    .offer_to(&mut best);
            }
            current.end = token.offset_to;
            if terms.matches(&token.text) {
                current.highlights.push(token.offset_from..token.offset_to);
            }
        }
        current.offer_to(&mut best);
        let best = best?;
        Some(Snippet {
            text: text.get(best.start..best.end)?.to_owned(),
            highlights: best
                .highlights
                .iter()
                .map(|r| r.start - best.start..r.end - best.start)
                .collect(),
        })
    }

    /// The better of the English and German readings of `text`, or `None` when neither
    /// marks anything.
    pub fn snippet(&self, analyzers: &mut Analyzers, text: &str) -> Option<Snippet> {
        let mut best: Option<Snippet> = None;
        for lang in [Lang::En, Lang::De] {
            let Some(candidate) = self.fragment(lang, analyzers.for_lang(lang), text) else {
                continue;
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

impl LangTerms {
    fn matches(&self, token: &str) -> bool {
        self.exact.contains(token)
            || self
                .expanded
                .iter()
                .any(|(prefix, _)| token.starts_with(prefix.as_str()))
            || (self.typos && {
                let chars: Vec<char> = token.chars().collect();
                self.expanded
                    .iter()
                    .any(|(_, stem)| within_one_edit(stem, &chars))
            })
    }
}

/// A candidate window of the text: byte offsets and the marked tokens in it.
struct Fragment {
    start: usize,
    end: usize,
    highlights: Vec<Range<usize>>,
}

impl Fragment {
    fn at(start: usize) -> Fragment {
        Fragment {
            start,
            end: start,
            highlights: Vec::new(),
        }
    }

    /// Keeps this fragment in `best` if it marks more than the one there, so the earliest
    /// wins a tie.
    fn offer_to(self, best: &mut Option<Fragment>) {
        if !self.highlights.is_empty()
            && best
                .as_ref()
                .is_none_or(|b| self.highlights.len() > b.highlights.len())
        {
            *best = Some(self);
        }
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

    /// The fragment choice must stay what `SnippetGenerator` picked before snippets were
    /// made in one pass.
    #[test]
    fn fragments_match_tantivys_snippet_generator() {
        use std::collections::BTreeMap;
        use tantivy::schema::Field;
        use tantivy::snippet::SnippetGenerator;

        let mut analyzers = Analyzers::new();
        let text = format!(
            "{} Der Drucker druckt nicht. {} Druckertreiber fehlt, drucker {}",
            "Wort ".repeat(50),
            "Füll ".repeat(40),
            "Ende ".repeat(30)
        );
        for query in ["drucker", "druker", "wort ende", "füll", "nichts"] {
            let parsed = super::super::query::parse(query, &mut analyzers);
            let highlighter = Highlighter::new(&parsed, true);
            for lang in [Lang::En, Lang::De] {
                let analyzer = analyzers.for_lang(lang);
                let mut terms = BTreeMap::new();
                {
                    let mut stream = analyzer.token_stream(&text);
                    while let Some(t) = stream.next() {
                        if highlighter.terms(lang).matches(&t.text) {
                            terms.insert(t.text.clone(), 1.0);
                        }
                    }
                }
                let field = Field::from_field_id(0);
                let expected = SnippetGenerator::new(terms, analyzer.clone(), field, SNIPPET_CHARS)
                    .snippet(&text);
                match highlighter.fragment(lang, analyzer, &text) {
                    None => assert!(expected.highlighted().is_empty(), "{query}"),
                    Some(got) => {
                        assert_eq!(got.text, expected.fragment(), "{query}");
                        assert_eq!(got.highlights, expected.highlighted(), "{query}");
                    }
                }
            }
        }
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
