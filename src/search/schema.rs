//! The index layout: one tantivy index shared by every tenant, its analyzers, and the
//! version stamp that tells a stale index from a usable one.

use std::fs;
use std::io;
use std::path::Path;

use tantivy::Index;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};

/// Bump on any change to fields, options or analyzers: a different number makes `open`
/// report `NeedsRebuild`, because tantivy would happily read old postings that were
/// produced by another analyzer and silently miss matches.
pub const SCHEMA_VERSION: u32 = 2;

/// Lives inside the index directory; tantivy's garbage collector only removes files it
/// created itself, so the stamp survives merges.
pub const VERSION_FILE: &str = "schema_version";

/// The fast field the result collector groups by.
pub const NUMBER_FIELD: &str = "number";

pub const EN_STEM: &str = "en_stem";
pub const DE_STEM: &str = "de_stem";

/// German compounds run long ("Druckertreiberinstallationsprogramm"); anything longer than
/// this is almost certainly a hash, token or base64 blob that nobody searches for.
const MAX_TOKEN_BYTES: usize = 64;

pub const KIND_TICKET: &str = "ticket";
pub const KIND_MESSAGE: &str = "message";
pub const VIS_PUBLIC: &str = "public";
pub const VIS_INTERNAL: &str = "internal";

/// Field handles, resolved once so that no query is ever built from field names.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// "t{tenant}:{number}": one term that reaches every document of a ticket, so an
    /// upsert or delete is a single `delete_term`.
    pub key: Field,
    pub tenant: Field,
    pub number: Field,
    pub kind: Field,
    pub seq: Field,
    pub customer: Field,
    pub visibility: Field,
    pub status: Field,
    pub title_en: Field,
    pub title_de: Field,
    pub body_en: Field,
    pub body_de: Field,
    /// Stored only on ticket documents; message documents show their own body.
    pub subject_raw: Field,
    pub text_raw: Field,
    pub updated: Field,
}

impl Fields {
    /// The text fields a free-text term may match, with the language of each.
    pub fn text_fields(&self) -> [(Field, Lang); 4] {
        [
            (self.title_en, Lang::En),
            (self.body_en, Lang::En),
            (self.title_de, Lang::De),
            (self.body_de, Lang::De),
        ]
    }

    pub fn is_title(&self, field: Field) -> bool {
        field == self.title_en || field == self.title_de
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
}

pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analyzed = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        tenant: b.add_u64_field("tenant", INDEXED | FAST),
        number: b.add_u64_field(NUMBER_FIELD, INDEXED | FAST | STORED),
        kind: b.add_text_field("kind", STRING),
        seq: b.add_u64_field("seq", STORED),
        customer: b.add_u64_field("customer", INDEXED),
        visibility: b.add_text_field("visibility", STRING),
        status: b.add_u64_field("status", INDEXED | FAST),
        title_en: b.add_text_field("title_en", analyzed(EN_STEM)),
        title_de: b.add_text_field("title_de", analyzed(DE_STEM)),
        body_en: b.add_text_field("body_en", analyzed(EN_STEM)),
        body_de: b.add_text_field("body_de", analyzed(DE_STEM)),
        subject_raw: b.add_text_field("subject_raw", STORED),
        text_raw: b.add_text_field("text_raw", STORED),
        updated: b.add_i64_field("updated", FAST),
    };
    (b.build(), fields)
}

/// Folding comes before stemming so that "drücker", "Drucker" and "drucker" share one stem
/// whether or not the person typing has umlauts on their keyboard.
pub fn analyzer(lang: Lang) -> TextAnalyzer {
    let language = match lang {
        Lang::En => Language::English,
        Lang::De => Language::German,
    };
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(language))
        .build()
}

/// Splits user text into the words the analyzers see, unstemmed, so a query can decide per
/// word whether it is a stop word and how long it is.
pub fn word_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .build()
}

/// Yields nothing for a word that is a stop word in English or German.
pub fn stop_word_analyzer() -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .dynamic();
    let builder = match StopWordFilter::new(Language::English) {
        Some(f) => builder.filter_dynamic(f),
        None => builder,
    };
    let builder = match StopWordFilter::new(Language::German) {
        Some(f) => builder.filter_dynamic(f),
        None => builder,
    };
    builder.build()
}

/// Tokenizers are not persisted by tantivy, so every opened or created index needs them.
pub fn register_analyzers(index: &Index) {
    index.tokenizers().register(EN_STEM, analyzer(Lang::En));
    index.tokenizers().register(DE_STEM, analyzer(Lang::De));
}

/// `Ok(None)` when the stamp is missing; unreadable content counts as "another version".
pub fn read_version(dir: &Path) -> io::Result<Option<String>> {
    match fs::read_to_string(dir.join(VERSION_FILE)) {
        Ok(s) => Ok(Some(s.trim().to_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => Ok(Some(String::from("<binary>"))),
        Err(e) => Err(e),
    }
}

/// Written through a temporary file so a crash never leaves a half-written stamp that
/// could be mistaken for a valid one.
pub fn write_version(dir: &Path) -> io::Result<()> {
    let tmp = dir.join(format!("{VERSION_FILE}.tmp"));
    fs::write(&tmp, format!("{SCHEMA_VERSION}\n"))?;
    fs::rename(&tmp, dir.join(VERSION_FILE))
}

/// What a commit of the index records about itself (its payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// Complete up to outbox sequence `seq` of the database of `generation`; the seq lets
    /// the indexer replay only the outbox gap after a restart.
    Complete { seq: u64, generation: u128 },
    /// Emptied for a rebuild that has not committed yet. A crash before the rebuild's own
    /// commit leaves this, and the next start rebuilds again. A fresh index has no payload
    /// at all, which means the same.
    Rebuilding { generation: u128 },
}

impl Payload {
    pub fn encode(self) -> String {
        match self {
            Payload::Complete { seq, generation } => {
                format!("outbox_seq={seq};generation={generation:032x}")
            }
            Payload::Rebuilding { generation } => {
                format!("rebuilding;generation={generation:032x}")
            }
        }
    }

    /// `None` for anything this build did not write.
    pub fn decode(text: &str) -> Option<Payload> {
        let (head, generation) = text.split_once(";generation=")?;
        if generation.len() != 32 {
            return None;
        }
        let generation = u128::from_str_radix(generation, 16).ok()?;
        if head == "rebuilding" {
            return Some(Payload::Rebuilding { generation });
        }
        let seq = head.strip_prefix("outbox_seq=")?.parse().ok()?;
        Some(Payload::Complete { seq, generation })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(lang: Lang, text: &str) -> Vec<String> {
        let mut a = analyzer(lang);
        let mut s = a.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = s.next() {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn umlauts_fold_before_stemming() {
        assert_eq!(tokens(Lang::De, "Drücker"), tokens(Lang::De, "drucker"));
        assert_eq!(tokens(Lang::De, "Lüfter"), tokens(Lang::De, "lufter"));
        assert_eq!(tokens(Lang::En, "Lüfter"), tokens(Lang::En, "LUFTER"));
    }

    #[test]
    fn payload_round_trips() {
        for payload in [
            Payload::Complete {
                seq: 42,
                generation: u128::MAX - 7,
            },
            Payload::Rebuilding { generation: 1 },
        ] {
            assert_eq!(Payload::decode(&payload.encode()), Some(payload));
        }
        assert_eq!(Payload::decode("garbage"), None);
        // What builds before the generation wrote: rebuilt, never trusted.
        assert_eq!(Payload::decode("outbox_seq=1"), None);
        assert_eq!(Payload::decode("outbox_seq=1;generation=12"), None);
        assert_eq!(
            Payload::decode("outbox_seq=x;generation=00000000000000000000000000000001"),
            None
        );
    }
}
