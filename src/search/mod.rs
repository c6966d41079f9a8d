//! Full-text search over tickets and their messages (docs/search.md), tantivy only.
//!
//! One index serves every tenant; isolation comes from filter clauses that are built in
//! code from the caller's scope ([`query::scope_filters`]) and that user text cannot reach.
//! The service layer owns the indexer task: it feeds [`TicketDoc`]s from the outbox,
//! calls [`SearchIndex::commit`] with the last applied outbox sequence, and on
//! [`OpenState::NeedsRebuild`] refills the index from redb.
//!
//! Every method except the small getters blocks (disk I/O, index merges, waiting for the
//! writer lock): call them from `spawn_blocking`, never on an async worker thread.
//!
//! Decisions worth knowing:
//! * A ticket is one document for subject + description and one per message; every
//!   document carries the scope fields (tenant, customer, visibility), so a customer's
//!   query never matches an internal note and no snippet can come from one.
//! * Message documents also index the ticket subject, so a query may combine a subject
//!   word with a word from a reply. Results are collapsed to one hit per ticket, the
//!   best-scoring document, whose kind says where to jump to.
//! * Each typed word must match (title or body, English or German stem). Stems of five
//!   or more characters also match as a prefix and, when that finds fewer tickets than
//!   asked for, with one typo; stop words are optional.
//! * Rebuild: `begin_rebuild(generation)`, `upsert` everything, `commit(seq)` once at the
//!   end with the outbox head read before the rebuild, `set_rebuilding(false)`. Every
//!   commit records the database generation; an index of another generation (a restored
//!   database) is rebuilt at open (docs/search.md, "Generation").
//!   After `NeedsRebuild`, commit even when there was nothing to add, or the next start
//!   rebuilds again.

mod any_of;
mod collector;
mod open;
mod query;
pub mod schema;
mod snippet;
#[cfg(test)]
mod tests;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::indexer::UserOperation;
use tantivy::schema::Value;
use tantivy::{IndexReader, IndexWriter, Searcher, TantivyDocument, TantivyError, Term};

use crate::domain::ids::{AccountId, TenantId};
use crate::domain::ticket::{Status, Visibility};
use collector::{BestTickets, NumberColumns, Ranked};
use query::{Analyzers, Reach};
use schema::Fields;
use snippet::Highlighter;

pub use open::OpenState;
pub use snippet::Snippet;

/// Snippets cost a stored-document read each; a result page never shows more.
pub const MAX_HITS: usize = 100;
/// Enough for the ticket-management filter to intersect with its other filters.
pub const MAX_NUMBERS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Tantivy(#[from] TantivyError),
    #[error("search index I/O: {0}")]
    Io(#[from] io::Error),
    /// Another process (or another `SearchIndex` in this one) holds the index writer.
    #[error("the search index is in use by another process")]
    Busy,
    /// A thread panicked while holding the writer; the process should restart the indexer.
    #[error("the search index writer is unusable after a panic")]
    Poisoned,
}

/// One thread entry of a ticket, as the index needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageDoc {
    pub seq: u32,
    pub visibility: Visibility,
    pub body: String,
}

/// Everything searchable about one ticket. Trashed tickets are not documents: the
/// indexer calls [`SearchIndex::delete`] for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketDoc {
    pub tenant: TenantId,
    pub number: u64,
    pub customer: AccountId,
    pub status: Status,
    pub subject: String,
    pub body: String,
    pub updated_micros: i64,
    pub messages: Vec<MessageDoc>,
}

/// Whose eyes the results are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Supporters and admins: every ticket of the tenant, internal notes included.
    Staff,
    /// Only this customer's tickets and only public text.
    Customer(AccountId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub tenant: TenantId,
    pub scope: Scope,
    /// As typed; any syntax in it is treated as words.
    pub text: String,
    pub limit: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitKind {
    /// Subject or description of the ticket.
    Ticket,
    /// A message of the thread, for linking to `#m{seq}`.
    Message { seq: u32 },
}

/// One ticket in the results, pointing at its best-matching document.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub number: u64,
    pub kind: HitKind,
    pub score: f32,
    pub snippet: Snippet,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResults {
    /// At most one per ticket, best first.
    pub hits: Vec<Hit>,
    /// Distinct tickets matching, beyond `limit` too.
    pub total_tickets: usize,
    /// A rebuild is running: results may be incomplete.
    pub rebuilding: bool,
}

/// Cheap to clone; all clones share one reader and one writer.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

struct Inner {
    reader: IndexReader,
    /// tantivy allows one writer per index; the mutex also orders delete-then-add of an
    /// upsert against a concurrent commit.
    writer: Mutex<IndexWriter>,
    fields: Fields,
    analyzers: Analyzers,
    numbers: NumberColumns,
    last_applied: AtomicU64,
    /// The database generation this index is derived from, recorded with every commit.
    generation: Mutex<u128>,
    rebuilding: AtomicBool,
}

fn key_text(tenant: TenantId, number: u64) -> String {
    format!("t{}:{number}", tenant.0)
}

fn key_term(fields: &Fields, tenant: TenantId, number: u64) -> Term {
    Term::from_field_text(fields.key, &key_text(tenant, number))
}

fn visibility_code(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => schema::VIS_PUBLIC,
        Visibility::Internal => schema::VIS_INTERNAL,
    }
}

impl SearchIndex {
    fn writer(&self) -> Result<MutexGuard<'_, IndexWriter>, SearchError> {
        self.inner.writer.lock().map_err(|_| SearchError::Poisoned)
    }

    /// Base document shared by a ticket and each of its messages: the scope fields must
    /// be on every document, because each one can be a hit on its own.
    fn base_doc(&self, doc: &TicketDoc, kind: &str, seq: u64, vis: Visibility) -> TantivyDocument {
        let f = &self.inner.fields;
        let mut d = TantivyDocument::default();
        d.add_text(f.key, key_text(doc.tenant, doc.number));
        d.add_u64(f.tenant, doc.tenant.0);
        d.add_u64(f.number, doc.number);
        d.add_text(f.kind, kind);
        d.add_u64(f.seq, seq);
        d.add_u64(f.customer, doc.customer.0);
        d.add_text(f.visibility, visibility_code(vis));
        d.add_u64(f.status, u64::from(doc.status.as_u8()));
        // The subject on message documents lets "drucker lüfter" match a ticket whose
        // subject has one word and a reply the other.
        d.add_text(f.title_en, &doc.subject);
        d.add_text(f.title_de, &doc.subject);
        d.add_i64(f.updated, doc.updated_micros);
        d
    }

    /// Replaces every document of the ticket. Visible after the next [`commit`](Self::commit).
    pub fn upsert(&self, doc: &TicketDoc) -> Result<(), SearchError> {
        let f = self.inner.fields;
        let mut ticket = self.base_doc(doc, schema::KIND_TICKET, 0, Visibility::Public);
        ticket.add_text(f.body_en, &doc.body);
        ticket.add_text(f.body_de, &doc.body);
        ticket.add_text(f.subject_raw, &doc.subject);
        ticket.add_text(f.text_raw, &doc.body);
        let mut ops = Vec::with_capacity(doc.messages.len() + 2);
        ops.push(UserOperation::Delete(key_term(&f, doc.tenant, doc.number)));
        ops.push(UserOperation::Add(ticket));
        for m in &doc.messages {
            let mut d = self.base_doc(doc, schema::KIND_MESSAGE, u64::from(m.seq), m.visibility);
            d.add_text(f.body_en, &m.body);
            d.add_text(f.body_de, &m.body);
            d.add_text(f.text_raw, &m.body);
            ops.push(UserOperation::Add(d));
        }
        // One batch lands in one segment, its documents next to each other and in order;
        // the result collector relies on that to collapse a ticket without a hash map.
        self.writer()?.run(ops)?;
        Ok(())
    }

    /// Removes the ticket and its messages. Visible after the next commit.
    pub fn delete(&self, tenant: TenantId, number: u64) -> Result<(), SearchError> {
        let writer = self.writer()?;
        writer.delete_term(key_term(&self.inner.fields, tenant, number));
        Ok(())
    }

    /// Drops everything, committed or pending, for a rebuild. Visible after the next
    /// commit, so searches keep the old results until the rebuild commits.
    pub fn delete_all(&self) -> Result<(), SearchError> {
        let mut writer = self.writer()?;
        // Without the rollback, documents still buffered in the writer would survive.
        writer.rollback()?;
        writer.delete_all_documents()?;
        Ok(())
    }

    /// Makes all changes durable and searchable, recording `last_applied_seq` (the outbox
    /// sequence of the last change fed in) in the commit so a restart replays only the gap.
    /// A rebuild should commit once, at the end: an earlier commit would make a half-filled
    /// index look complete if the process died before the rebuild finished.
    pub fn commit(&self, last_applied_seq: u64) -> Result<(), SearchError> {
        let generation = *self
            .inner
            .generation
            .lock()
            .map_err(|_| SearchError::Poisoned)?;
        self.commit_payload(schema::Payload::Complete {
            seq: last_applied_seq,
            generation,
        })?;
        self.inner
            .last_applied
            .store(last_applied_seq, Ordering::SeqCst);
        Ok(())
    }

    /// Starts a rebuild for the database of `generation`: drops every document and commits
    /// the empty index at once, marked as unfinished. Searches from now on find only what
    /// the rebuild has committed, never text of the data a restore replaced, and a crash
    /// before the rebuild's final [`commit`](Self::commit) makes the next start rebuild
    /// again.
    pub fn begin_rebuild(&self, generation: u128) -> Result<(), SearchError> {
        self.set_rebuilding(true);
        *self
            .inner
            .generation
            .lock()
            .map_err(|_| SearchError::Poisoned)? = generation;
        self.delete_all()?;
        self.commit_payload(schema::Payload::Rebuilding { generation })?;
        self.inner.last_applied.store(0, Ordering::SeqCst);
        Ok(())
    }

    fn commit_payload(&self, payload: schema::Payload) -> Result<(), SearchError> {
        {
            let mut writer = self.writer()?;
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&payload.encode());
            prepared.commit()?;
        }
        self.inner.reader.reload()?;
        Ok(())
    }

    /// The outbox sequence of the last commit (0 for a fresh index).
    pub fn last_applied_seq(&self) -> u64 {
        self.inner.last_applied.load(Ordering::SeqCst)
    }

    /// Committed documents: tickets plus messages.
    pub fn doc_count(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    pub fn is_rebuilding(&self) -> bool {
        self.inner.rebuilding.load(Ordering::SeqCst)
    }

    pub fn set_rebuilding(&self, rebuilding: bool) {
        self.inner.rebuilding.store(rebuilding, Ordering::SeqCst);
    }

    /// Runs the scoped query for the best `want` tickets; `None` when the text holds
    /// nothing searchable. Typos are tried only when exact words and prefixes find fewer
    /// than `want` tickets: a correctly typed common word then costs no fuzzy walk and no
    /// look-alike postings, and a mistyped one still finds something.
    fn matches(&self, q: &SearchQuery, want: usize) -> Result<Option<Matches>, SearchError> {
        let mut analyzers = self.inner.analyzers.clone();
        let parsed = query::parse(&q.text, &mut analyzers);
        let searcher = self.inner.reader.searcher();
        let collector = BestTickets {
            numbers: self.inner.numbers.for_searcher(&searcher)?,
            limit: want,
        };
        let run = |reach| -> Result<Option<Ranked>, SearchError> {
            let fields = &self.inner.fields;
            match query::build(&parsed, fields, q.tenant, q.scope, &searcher, reach)? {
                Some(query) => Ok(Some(searcher.search(&*query, &collector)?)),
                None => Ok(None),
            }
        };
        let Some(mut ranked) = run(Reach::Prefix)? else {
            return Ok(None);
        };
        let mut typos = false;
        if ranked.total < want
            && parsed.may_have_typos()
            && let Some(wider) = run(Reach::Typos)?
        {
            ranked = wider;
            typos = true;
        }
        Ok(Some(Matches {
            searcher,
            ranked,
            parsed,
            typos,
            analyzers,
        }))
    }

    /// Matching tickets, best first, one hit each with a snippet of the best-matching
    /// document. Text without searchable words gives no hits, not an error.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        let rebuilding = self.is_rebuilding();
        let Some(Matches {
            searcher,
            ranked,
            parsed,
            typos,
            mut analyzers,
        }) = self.matches(q, q.limit.min(MAX_HITS))?
        else {
            return Ok(SearchResults {
                rebuilding,
                ..SearchResults::default()
            });
        };
        let f = self.inner.fields;
        let total_tickets = ranked.total;
        let highlighter = Highlighter::new(&parsed, typos);
        let mut hits = Vec::with_capacity(ranked.tickets.len());
        for collector::TicketHit { number, score, doc } in ranked.tickets {
            let doc: TantivyDocument = searcher.doc(doc)?;
            let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
            let seq = doc.get_first(f.seq).and_then(|v| v.as_u64()).unwrap_or(0);
            let kind = match u32::try_from(seq) {
                Ok(seq) if seq > 0 => HitKind::Message { seq },
                _ => HitKind::Ticket,
            };
            let body = text(f.text_raw);
            let subject = text(f.subject_raw);
            let snippet = highlighter
                .snippet(&mut analyzers, body)
                .or_else(|| highlighter.snippet(&mut analyzers, subject))
                .unwrap_or_else(|| snippet::lead(body));
            hits.push(Hit {
                number,
                kind,
                score,
                snippet,
            });
        }
        Ok(SearchResults {
            hits,
            total_tickets,
            rebuilding,
        })
    }

    /// Distinct matching ticket numbers, best first, at most `limit` (capped at
    /// [`MAX_NUMBERS`]): the free-text part of the ticket-management filter.
    pub fn search_numbers(&self, q: &SearchQuery) -> Result<Vec<u64>, SearchError> {
        let Some(m) = self.matches(q, q.limit.min(MAX_NUMBERS))? else {
            return Ok(Vec::new());
        };
        Ok(m.ranked.tickets.iter().map(|t| t.number).collect())
    }
}

struct Matches {
    searcher: Searcher,
    ranked: Ranked,
    parsed: query::ParsedText,
    /// Whether words matched with a typo, so the snippets mark those too.
    typos: bool,
    analyzers: Analyzers,
}
