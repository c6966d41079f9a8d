//! Collapses matching documents to tickets: a ticket and its messages are separate
//! documents, but people look for tickets, and the count shown must be of tickets.
//!
//! Common words match tens of thousands of documents per tenant, so nothing here grows with
//! the number of matches: [`SearchIndex::upsert`](super::SearchIndex::upsert) adds all
//! documents of a ticket in one batch, which tantivy keeps together and in order in one
//! segment (merges keep that order), and documents arrive here in segment order. A ticket
//! is therefore one run of consecutive matches: its best document is known when the run
//! ends, and only the best `limit` tickets are kept.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnIndex, ColumnValues};
use tantivy::index::SegmentId;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use super::schema::NUMBER_FIELD;

/// The ticket-number column of each segment, kept between queries: opening a column
/// decodes the header of every block of it, which for a segment of a million documents
/// cost more than the rest of a query that matches nothing.
#[derive(Default)]
pub struct NumberColumns {
    cached: Mutex<Vec<(SegmentId, Column<u64>)>>,
}

impl NumberColumns {
    /// The columns of the segments of `searcher`. Segments that are no longer searched leave
    /// the cache, so it holds no merged-away files open for long.
    pub fn for_searcher(
        &self,
        searcher: &Searcher,
    ) -> tantivy::Result<Vec<(SegmentId, Column<u64>)>> {
        // The cache only ever holds complete entries, so a panic elsewhere leaves it valid.
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        let mut columns = Vec::with_capacity(searcher.segment_readers().len());
        for reader in searcher.segment_readers() {
            let id = reader.segment_id();
            let column = match cached.iter().find(|(cached_id, _)| *cached_id == id) {
                Some((_, column)) => column.clone(),
                None => reader.fast_fields().u64(NUMBER_FIELD)?,
            };
            columns.push((id, column));
        }
        cached.clone_from(&columns);
        Ok(columns)
    }
}

/// One ticket and its best-scoring document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TicketHit {
    pub number: u64,
    pub score: Score,
    pub doc: DocAddress,
}

/// Best first; among equal scores the higher (newer) ticket number first, so the order is
/// stable across calls and segments.
fn best_first(a: &TicketHit, b: &TicketHit) -> Ordering {
    b.score
        .total_cmp(&a.score)
        .then_with(|| b.number.cmp(&a.number))
}

#[derive(Debug, Default)]
pub struct Ranked {
    /// At most `limit`, best first, one per ticket.
    pub tickets: Vec<TicketHit>,
    /// Distinct matching tickets, beyond `limit` too.
    pub total: usize,
}

/// The best `limit` tickets with a buffer of at most twice that: when it fills up, the
/// better half is kept and the worst kept ticket becomes the bar for the rest.
struct Top {
    limit: usize,
    kept: Vec<TicketHit>,
    bar: Option<TicketHit>,
}

impl Top {
    fn new(limit: usize) -> Top {
        Top {
            limit,
            kept: Vec::new(),
            bar: None,
        }
    }

    fn push(&mut self, hit: TicketHit) {
        if self.limit == 0 {
            return;
        }
        if let Some(bar) = &self.bar
            && best_first(&hit, bar) != Ordering::Less
        {
            return;
        }
        if self.kept.len() >= 2 * self.limit {
            self.shrink();
        }
        self.kept.push(hit);
    }

    fn shrink(&mut self) {
        if self.kept.len() > self.limit {
            let (_, worst, _) = self.kept.select_nth_unstable_by(self.limit - 1, best_first);
            self.bar = Some(*worst);
            self.kept.truncate(self.limit);
        }
    }

    fn into_sorted(mut self) -> Vec<TicketHit> {
        self.shrink();
        self.kept.sort_unstable_by(best_first);
        self.kept
    }
}

pub struct BestTickets {
    /// From [`NumberColumns::for_searcher`], by segment ordinal.
    pub numbers: Vec<(SegmentId, Column<u64>)>,
    pub limit: usize,
}

/// A ticket number per document, read without the column index when every document has
/// one (always, for this field): this runs for every matching document.
enum Numbers {
    Dense(Arc<dyn ColumnValues<u64>>),
    Sparse(Column<u64>),
}

impl Numbers {
    fn get(&self, doc: DocId) -> Option<u64> {
        match self {
            Numbers::Dense(values) => Some(values.get_val(doc)),
            Numbers::Sparse(column) => column.first(doc),
        }
    }
}

pub struct BestTicketsSegment {
    segment: SegmentOrdinal,
    numbers: Numbers,
    /// The ticket whose documents are arriving, with its best document so far.
    run: Option<TicketHit>,
    top: Top,
    total: usize,
}

impl BestTicketsSegment {
    fn finish_run(&mut self) {
        if let Some(hit) = self.run.take() {
            self.total += 1;
            self.top.push(hit);
        }
    }
}

impl Collector for BestTickets {
    type Fruit = Ranked;
    type Child = BestTicketsSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<BestTicketsSegment> {
        let column = match self.numbers.get(segment as usize) {
            Some((id, column)) if *id == reader.segment_id() => column.clone(),
            // Run on another searcher than the columns came from: correct, only slower.
            _ => reader.fast_fields().u64(NUMBER_FIELD)?,
        };
        let numbers = match column.index {
            ColumnIndex::Full => Numbers::Dense(column.values),
            _ => Numbers::Sparse(column),
        };
        Ok(BestTicketsSegment {
            segment,
            numbers,
            run: None,
            top: Top::new(self.limit),
            total: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Ranked>) -> tantivy::Result<Ranked> {
        let total = fruits.iter().map(|f| f.total).sum();
        let mut tickets: Vec<TicketHit> = fruits.into_iter().flat_map(|f| f.tickets).collect();
        tickets.sort_unstable_by(best_first);
        // A ticket lives in one segment, so this removes nothing unless that stops being
        // true; then the better document still wins, as it comes first.
        let mut seen = HashSet::with_capacity(tickets.len());
        tickets.retain(|t| seen.insert(t.number));
        tickets.truncate(self.limit);
        Ok(Ranked { tickets, total })
    }
}

impl SegmentCollector for BestTicketsSegment {
    type Fruit = Ranked;

    fn collect(&mut self, doc: DocId, score: Score) {
        let Some(number) = self.numbers.get(doc) else {
            return;
        };
        match &mut self.run {
            // Ties keep the earlier document: the ticket itself before its messages.
            Some(run) if run.number == number => {
                if score > run.score {
                    run.score = score;
                    run.doc = DocAddress::new(self.segment, doc);
                }
            }
            _ => {
                self.finish_run();
                self.run = Some(TicketHit {
                    number,
                    score,
                    doc: DocAddress::new(self.segment, doc),
                });
            }
        }
    }

    fn harvest(mut self) -> Ranked {
        self.finish_run();
        Ranked {
            tickets: self.top.into_sorted(),
            total: self.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(number: u64, score: Score) -> TicketHit {
        TicketHit {
            number,
            score,
            doc: DocAddress::new(0, number as DocId),
        }
    }

    #[test]
    fn top_keeps_the_best_whatever_the_order() {
        let hits: Vec<TicketHit> = (0..1000u64)
            .map(|n| hit(n, ((n * 7919) % 101) as Score))
            .collect();
        let mut expected = hits.clone();
        expected.sort_by(best_first);
        for limit in [0, 1, 3, 50, 999, 1000, 2000] {
            let mut top = Top::new(limit);
            for h in &hits {
                top.push(*h);
            }
            let got = top.into_sorted();
            assert_eq!(got, expected[..limit.min(1000)], "{limit}");
        }
    }

    #[test]
    fn equal_scores_rank_newer_tickets_first() {
        let mut top = Top::new(2);
        for n in [5, 9, 1, 7] {
            top.push(hit(n, 1.0));
        }
        let numbers: Vec<u64> = top.into_sorted().iter().map(|h| h.number).collect();
        assert_eq!(numbers, [9, 7]);
    }
}
