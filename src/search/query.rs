//! Turns what a person typed into a tantivy query. The text is tokenized here with the
//! index's own analyzers and never handed to tantivy's query parser, so field names,
//! operators, wildcards and brackets in the input are just words: user input can only
//! ever add text clauses *inside* the scope filters built in code.

use std::collections::BTreeMap;

use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, DfaWrapper, FuzzyTermQuery, Occur, PhraseQuery,
    Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

use super::Scope;
use super::any_of::AnyOf;
use super::schema::{self, Fields, Lang, VIS_PUBLIC};
use crate::domain::ids::TenantId;

/// Longer input is cut: nobody types more into a search box, and every word costs a few
/// term-dictionary walks.
const MAX_QUERY_CHARS: usize = 512;
/// Words plus phrases; beyond this a query stops getting more precise and only slower.
const MAX_CLAUSES: usize = 16;
const MAX_PHRASE_TOKENS: usize = 16;
/// Stems at least this long also match with one typo and as a prefix; shorter stems have
/// too many neighbours ("geh" ~ "get", "gel", "gen"; "lauf" → "laufwerk").
pub const EXPAND_MIN_CHARS: usize = 5;
/// A subject match says more about a ticket than a match somewhere in a long body.
const TITLE_BOOST: f32 = 2.0;
/// Fuzzy and prefix clauses score a constant; kept low so an exact match always ranks
/// above a typo or a longer word.
const EXPANDED_BOOST: f32 = 0.3;
/// Index terms one word may stand for besides its own stem, per field. Every term adds a
/// posting list to the union that each candidate document is checked against; past a few
/// dozen ("netzw" → every network compound) more terms add cost, not findings.
const MAX_EXPANSIONS: usize = 32;

/// How far a word reaches beyond its exact stem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Prefixes only: German compounds are how people write, not a mistake.
    Prefix,
    /// Prefixes and one typo. Costs a Levenshtein walk of every term dictionary and pulls in
    /// many more documents ("passwort" ~ "password"), so it is the second attempt, made only
    /// when the first finds too little.
    Typos,
}

/// The analyzers a query needs; cloned per query because tokenizing needs `&mut`.
#[derive(Clone)]
pub struct Analyzers {
    pub en: TextAnalyzer,
    pub de: TextAnalyzer,
    words: TextAnalyzer,
    stops: TextAnalyzer,
}

impl Analyzers {
    pub fn new() -> Analyzers {
        Analyzers {
            en: schema::analyzer(Lang::En),
            de: schema::analyzer(Lang::De),
            words: schema::word_analyzer(),
            stops: schema::stop_word_analyzer(),
        }
    }

    pub fn for_lang(&mut self, lang: Lang) -> &mut TextAnalyzer {
        match lang {
            Lang::En => &mut self.en,
            Lang::De => &mut self.de,
        }
    }
}

/// One typed word, stemmed for each language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub en: String,
    pub de: String,
    /// Stop words may match but are not required, so "printer is not printing" still
    /// finds "printer doesn't print".
    pub stop: bool,
    /// Quoted single words are meant exactly.
    pub exact: bool,
}

impl Word {
    pub fn stem(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::De => &self.de,
        }
    }

    /// Whether the stem also matches as a prefix and, when that finds too little (see
    /// [`Reach`]), with one typo. Prefixes matter most for German compounds ("Drucker" →
    /// "Druckertreiber") and bridge what the English stemmer keeps apart ("printing" →
    /// "print" → "printer").
    pub fn expand(&self, lang: Lang) -> bool {
        !self.exact && !self.stop && self.stem(lang).chars().count() >= EXPAND_MIN_CHARS
    }
}

/// A quoted phrase as (position, stem) per language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    pub en: Vec<(usize, String)>,
    pub de: Vec<(usize, String)>,
}

impl Phrase {
    pub fn terms(&self, lang: Lang) -> &[(usize, String)] {
        match lang {
            Lang::En => &self.en,
            Lang::De => &self.de,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedText {
    pub words: Vec<Word>,
    pub phrases: Vec<Phrase>,
}

impl ParsedText {
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty()
    }

    fn clauses(&self) -> usize {
        self.words.len() + self.phrases.len()
    }

    /// Whether [`Reach::Typos`] could find more than [`Reach::Prefix`].
    pub fn may_have_typos(&self) -> bool {
        self.words
            .iter()
            .any(|w| w.expand(Lang::En) || w.expand(Lang::De))
    }
}

fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(t) = stream.next() {
        out.push((t.position, t.text.clone()));
    }
    out
}

fn first_token(analyzer: &mut TextAnalyzer, text: &str) -> Option<String> {
    let mut stream = analyzer.token_stream(text);
    stream.next().map(|t| t.text.clone())
}

/// Splits on double quotes (German „…“ and typographic “…” included); an unpaired quote
/// is ignored rather than turning the rest of the input into one long phrase.
pub fn parse(text: &str, analyzers: &mut Analyzers) -> ParsedText {
    let text = match text.char_indices().nth(MAX_QUERY_CHARS) {
        // Back to a word boundary, so the last word is not searched as a fragment.
        Some((cut, _)) => text[..cut]
            .rsplit_once(char::is_whitespace)
            .map_or(&text[..cut], |(head, _)| head),
        None => text,
    };
    let normalized: String = text
        .chars()
        .map(|c| match c {
            '„' | '“' | '”' | '«' | '»' => '"',
            c => c,
        })
        .collect();
    let parts: Vec<&str> = normalized.split('"').collect();
    let unpaired_last = parts.len().is_multiple_of(2);
    let mut parsed = ParsedText::default();
    for (i, part) in parts.iter().enumerate() {
        let quoted = i % 2 == 1 && !(unpaired_last && i + 1 == parts.len());
        if quoted {
            add_phrase(part, analyzers, &mut parsed);
        } else {
            add_words(part, analyzers, &mut parsed, false);
        }
    }
    parsed
}

fn add_words(text: &str, analyzers: &mut Analyzers, parsed: &mut ParsedText, exact: bool) {
    for (_, word) in tokens(&mut analyzers.words, text) {
        if parsed.clauses() >= MAX_CLAUSES {
            return;
        }
        let (Some(en), Some(de)) = (
            first_token(&mut analyzers.en, &word),
            first_token(&mut analyzers.de, &word),
        ) else {
            continue;
        };
        let stop = !exact && first_token(&mut analyzers.stops, &word).is_none();
        let w = Word {
            en,
            de,
            stop,
            exact,
        };
        if !parsed.words.contains(&w) {
            parsed.words.push(w);
        }
    }
}

fn add_phrase(text: &str, analyzers: &mut Analyzers, parsed: &mut ParsedText) {
    let mut en = tokens(&mut analyzers.en, text);
    let mut de = tokens(&mut analyzers.de, text);
    if en.len() <= 1 || de.len() <= 1 {
        add_words(text, analyzers, parsed, true);
        return;
    }
    if parsed.clauses() >= MAX_CLAUSES {
        return;
    }
    en.truncate(MAX_PHRASE_TOKENS);
    de.truncate(MAX_PHRASE_TOKENS);
    parsed.phrases.push(Phrase { en, de });
}

/// A filter that restricts without changing scores, so relevance depends on text only.
fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON {
        query
    } else {
        Box::new(BoostQuery::new(query, boost))
    }
}

/// The mandatory clauses: tenant always; for customers also their own tickets and public
/// documents only, which keeps internal notes out of hits *and* snippets.
pub fn scope_filters(
    fields: &Fields,
    tenant: TenantId,
    scope: Scope,
) -> Vec<(Occur, Box<dyn Query>)> {
    let term =
        |t: Term| -> Box<dyn Query> { Box::new(TermQuery::new(t, IndexRecordOption::Basic)) };
    let mut clauses = vec![filter(term(Term::from_field_u64(fields.tenant, tenant.0)))];
    if let Scope::Customer(account) = scope {
        clauses.push(filter(term(Term::from_field_u64(
            fields.customer,
            account.0,
        ))));
        clauses.push(filter(term(Term::from_field_text(
            fields.visibility,
            VIS_PUBLIC,
        ))));
    }
    clauses
}

/// The index terms other than `stem` that start with it or, with [`Reach::Typos`], are one
/// edit away from it; the most frequent first when there are too many.
///
/// Resolved here, per segment, rather than with `FuzzyTermQuery`: its scorer decodes the
/// posting lists of every expanded term of every tenant into a bitset of the whole segment
/// before the tenant filter can skip anything, which made each common word cost
/// milliseconds. Plain term queries are advanced lazily and skip other tenants' blocks.
fn expansions(
    searcher: &Searcher,
    field: Field,
    stem: &str,
    typos: Option<&DfaWrapper>,
) -> tantivy::Result<Vec<Term>> {
    // Term → documents containing it, summed over segments.
    let mut found: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    let mut note = |key: &[u8], doc_freq: u32| {
        if key != stem.as_bytes() {
            *found.entry(key.to_vec()).or_default() += u64::from(doc_freq);
        }
    };
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let terms = inverted.terms();
        let mut prefixed = terms.range().ge(stem.as_bytes()).into_stream()?;
        while prefixed.advance() && prefixed.key().starts_with(stem.as_bytes()) {
            note(prefixed.key(), prefixed.value().doc_freq);
        }
        if let Some(automaton) = typos {
            let mut near = terms.search(automaton).into_stream()?;
            while near.advance() {
                note(near.key(), near.value().doc_freq);
            }
        }
    }
    let mut found: Vec<(Vec<u8>, u64)> = found.into_iter().collect();
    if found.len() > MAX_EXPANSIONS {
        found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        found.truncate(MAX_EXPANSIONS);
    }
    Ok(found
        .into_iter()
        .filter_map(|(key, _)| String::from_utf8(key).ok())
        .map(|text| Term::from_field_text(field, &text))
        .collect())
}

/// `lazy` picks how the alternatives of the word are unioned. A customer's filters leave
/// few of the word's documents, so [`AnyOf`] only scores those. For staff nearly every
/// document of the word in the tenant matches anyway, and tantivy's buffered union goes
/// through dense postings faster (measured on 1M tickets: 2.4 against 3.6 ms for
/// "drucker").
fn word_query(
    searcher: &Searcher,
    fields: &Fields,
    word: &Word,
    reach: Reach,
    lazy: bool,
) -> tantivy::Result<Box<dyn Query>> {
    let mut should: Vec<Box<dyn Query>> = Vec::new();
    // Building a Levenshtein automaton allocates a transition table for every state, so
    // each stem gets one, shared by its title and body fields.
    let mut automata: Vec<(&str, DfaWrapper)> = Vec::new();
    for (field, lang) in fields.text_fields() {
        let boost = if fields.is_title(field) {
            TITLE_BOOST
        } else {
            1.0
        };
        let stem = word.stem(lang);
        if word.expand(lang) {
            let typos = match reach {
                Reach::Prefix => None,
                Reach::Typos => {
                    if !automata.iter().any(|(s, _)| *s == stem) {
                        let query =
                            FuzzyTermQuery::new(Term::from_field_text(field, stem), 1, true);
                        automata.push((stem, query.automaton()?));
                    }
                    automata.iter().find(|(s, _)| *s == stem).map(|(_, a)| a)
                }
            };
            let near: Vec<Box<dyn Query>> = expansions(searcher, field, stem, typos)?
                .into_iter()
                .map(|t| -> Box<dyn Query> {
                    Box::new(TermQuery::new(t, IndexRecordOption::Basic))
                })
                .collect();
            if !near.is_empty() {
                let score = boost * EXPANDED_BOOST;
                should.push(if lazy {
                    Box::new(AnyOf::constant(near, score))
                } else {
                    let near = near.into_iter().map(|q| (Occur::Should, q)).collect();
                    Box::new(ConstScoreQuery::new(
                        Box::new(BooleanQuery::new(near)),
                        score,
                    ))
                });
            }
        }
        let exact = TermQuery::new(
            Term::from_field_text(field, stem),
            IndexRecordOption::WithFreqs,
        );
        should.push(boosted(Box::new(exact), boost));
    }
    Ok(if lazy {
        Box::new(AnyOf::sum(should))
    } else {
        let should = should.into_iter().map(|q| (Occur::Should, q)).collect();
        Box::new(BooleanQuery::new(should))
    })
}

fn phrase_query(fields: &Fields, phrase: &Phrase) -> Box<dyn Query> {
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, lang) in fields.text_fields() {
        let boost = if fields.is_title(field) {
            TITLE_BOOST
        } else {
            1.0
        };
        let terms: Vec<(usize, Term)> = phrase
            .terms(lang)
            .iter()
            .map(|(pos, text)| (*pos, Term::from_field_text(field, text)))
            .collect();
        let query = PhraseQuery::new_with_offset(terms);
        should.push((Occur::Should, boosted(Box::new(query), boost)));
    }
    Box::new(BooleanQuery::new(should))
}

/// `None` when the text holds nothing searchable (only punctuation, `*`, …): an empty
/// query matches nothing rather than everything. The searcher supplies the term
/// dictionaries that prefixes and typos are resolved against; search with the same one.
pub fn build(
    parsed: &ParsedText,
    fields: &Fields,
    tenant: TenantId,
    scope: Scope,
    searcher: &Searcher,
    reach: Reach,
) -> tantivy::Result<Option<Box<dyn Query>>> {
    if parsed.is_empty() {
        return Ok(None);
    }
    // A query of stop words only ("was ist das") still has to require something.
    let all_stop = parsed.phrases.is_empty() && parsed.words.iter().all(|w| w.stop);
    let mut clauses = scope_filters(fields, tenant, scope);
    for word in &parsed.words {
        let occur = if word.stop && !all_stop {
            Occur::Should
        } else {
            Occur::Must
        };
        let lazy = matches!(scope, Scope::Customer(_));
        clauses.push((occur, word_query(searcher, fields, word, reach, lazy)?));
    }
    for phrase in &parsed.phrases {
        clauses.push((Occur::Must, phrase_query(fields, phrase)));
    }
    Ok(Some(Box::new(BooleanQuery::new(clauses))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> ParsedText {
        parse(s, &mut Analyzers::new())
    }

    #[test]
    fn syntax_is_just_words() {
        let p = parse_str("tenant:2 AND (title:x) *");
        let en: Vec<&str> = p.words.iter().map(|w| w.en.as_str()).collect();
        assert_eq!(en, ["tenant", "2", "and", "titl", "x"]);
        assert!(p.phrases.is_empty());
        assert!(parse_str("* ( ) : \" ~ ^").is_empty());
    }

    #[test]
    fn quotes_make_phrases_and_unpaired_quotes_are_ignored() {
        let p = parse_str("„Drucker druckt“ nicht");
        assert_eq!(p.phrases.len(), 1);
        assert_eq!(p.words.len(), 1);
        assert!(p.words[0].stop);
        let p = parse_str("\"drucker druckt");
        assert!(p.phrases.is_empty());
        assert_eq!(p.words.len(), 2);
        let p = parse_str("\"lüfter\"");
        assert!(p.phrases.is_empty());
        assert!(p.words[0].exact);
    }

    #[test]
    fn input_is_bounded() {
        let long = "wort ".repeat(1000);
        let p = parse_str(&long);
        assert_eq!(p.words.len(), 1);
        let many: String = (0..100).map(|i| format!("w{i} ")).collect();
        assert_eq!(parse_str(&many).clauses(), MAX_CLAUSES);
    }
}
