//! Collapses matching documents to tickets: a ticket and its messages are separate
//! documents, but people look for tickets, and the count shown must be of tickets.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// Ticket number → the best-scoring document of that ticket.
pub type Best = HashMap<u64, (Score, DocAddress)>;

pub struct BestPerTicket {
    /// Name of the fast u64 field holding the ticket number.
    pub number_field: &'static str,
}

pub struct BestPerTicketSegment {
    segment: SegmentOrdinal,
    numbers: Column<u64>,
    best: Best,
}

fn keep_better(best: &mut Best, number: u64, score: Score, addr: DocAddress) {
    best.entry(number)
        .and_modify(|e| {
            if score > e.0 {
                *e = (score, addr);
            }
        })
        .or_insert((score, addr));
}

impl Collector for BestPerTicket {
    type Fruit = Best;
    type Child = BestPerTicketSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<BestPerTicketSegment> {
        Ok(BestPerTicketSegment {
            segment,
            numbers: reader.fast_fields().u64(self.number_field)?,
            best: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Best>) -> tantivy::Result<Best> {
        let mut fruits = fruits.into_iter();
        let mut merged = fruits.next().unwrap_or_default();
        for fruit in fruits {
            for (number, (score, addr)) in fruit {
                keep_better(&mut merged, number, score, addr);
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for BestPerTicketSegment {
    type Fruit = Best;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(number) = self.numbers.first(doc) {
            keep_better(
                &mut self.best,
                number,
                score,
                DocAddress::new(self.segment, doc),
            );
        }
    }

    fn harvest(self) -> Best {
        self.best
    }
}

/// Best first; among equal scores the higher (newer) ticket number first, so the order is
/// stable across calls.
pub fn ranked(best: Best) -> Vec<(u64, Score, DocAddress)> {
    let mut out: Vec<(u64, Score, DocAddress)> =
        best.into_iter().map(|(n, (s, a))| (n, s, a)).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    out
}
