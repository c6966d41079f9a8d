//! "Any of these clauses" for the alternatives of one typed word (four fields, exact stem
//! and expansions), advanced lazily.
//!
//! tantivy's `BooleanQuery` unions its should-clauses through a buffered union that fills
//! a window of 4,096 documents at a time and scores every document in it. Inside the
//! intersection with the scope filters that is the wrong trade: for a customer, one
//! document in forty of the tenant survives the filters, yet every document of the word in
//! each window was scored. Here a clause only moves when asked to, and scores are only
//! computed for documents that passed every filter.

use std::fmt;

use tantivy::query::{ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError};

/// Matches what any clause matches. Scores the sum of the matching clauses' scores, or a
/// constant when built with [`AnyOf::constant`].
pub struct AnyOf {
    clauses: Vec<Box<dyn Query>>,
    constant: Option<Score>,
}

impl AnyOf {
    pub fn sum(clauses: Vec<Box<dyn Query>>) -> AnyOf {
        AnyOf {
            clauses,
            constant: None,
        }
    }

    /// The clauses are not scored at all, so their postings need no term frequencies.
    pub fn constant(clauses: Vec<Box<dyn Query>>, score: Score) -> AnyOf {
        AnyOf {
            clauses,
            constant: Some(score),
        }
    }
}

impl Clone for AnyOf {
    fn clone(&self) -> AnyOf {
        AnyOf {
            clauses: self.clauses.iter().map(|c| c.box_clone()).collect(),
            constant: self.constant,
        }
    }
}

impl fmt::Debug for AnyOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnyOf")
            .field("clauses", &self.clauses)
            .field("constant", &self.constant)
            .finish()
    }
}

impl Query for AnyOf {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let constant = self
            .constant
            .filter(|_| enable_scoring.is_scoring_enabled());
        let clause_scoring = match (constant, enable_scoring.searcher()) {
            (Some(_), Some(searcher)) => EnableScoring::disabled_from_searcher(searcher),
            (Some(_), None) => EnableScoring::disabled_from_schema(enable_scoring.schema()),
            (None, _) => enable_scoring,
        };
        let weights = self
            .clauses
            .iter()
            .map(|c| c.weight(clause_scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(AnyOfWeight { weights, constant }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for clause in &self.clauses {
            clause.query_terms(visitor);
        }
    }
}

struct AnyOfWeight {
    weights: Vec<Box<dyn Weight>>,
    constant: Option<Score>,
}

impl Weight for AnyOfWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut clauses = Vec::with_capacity(self.weights.len());
        for weight in &self.weights {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                clauses.push(scorer);
            }
        }
        let constant = self.constant.map(|c| c * boost);
        if clauses.len() <= 1 {
            return Ok(match (clauses.pop(), constant) {
                (None, _) => Box::new(EmptyScorer),
                (Some(only), None) => only,
                (Some(only), Some(score)) => Box::new(ConstScorer::new(only, score)),
            });
        }
        let doc = clauses.iter().map(|c| c.doc()).min().unwrap_or(TERMINATED);
        Ok(Box::new(AnyOfScorer {
            clauses,
            doc,
            constant,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document #{doc} does not match"
            )));
        }
        Ok(Explanation::new("any of", scorer.score()))
    }
}

struct AnyOfScorer {
    /// Never empty of live clauses while `doc` is not `TERMINATED`.
    clauses: Vec<Box<dyn Scorer>>,
    doc: DocId,
    constant: Option<Score>,
}

impl AnyOfScorer {
    fn settle(&mut self, next: DocId) -> DocId {
        if next == TERMINATED {
            self.clauses.clear();
        } else if self.clauses.iter().any(|c| c.doc() == TERMINATED) {
            // Finished clauses would otherwise be asked for their position on every step.
            self.clauses.retain(|c| c.doc() != TERMINATED);
        }
        self.doc = next;
        next
    }
}

impl DocSet for AnyOfScorer {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        let mut next = TERMINATED;
        for clause in &mut self.clauses {
            let mut doc = clause.doc();
            if doc == current {
                doc = clause.advance();
            }
            next = next.min(doc);
        }
        self.settle(next)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let mut next = TERMINATED;
        for clause in &mut self.clauses {
            let mut doc = clause.doc();
            if doc < target {
                doc = clause.seek(target);
            }
            next = next.min(doc);
        }
        self.settle(next)
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.clauses
            .iter()
            .map(|c| c.size_hint())
            .fold(0u32, u32::saturating_add)
    }

    fn cost(&self) -> u64 {
        self.clauses.iter().map(|c| c.cost()).sum()
    }
}

impl Scorer for AnyOfScorer {
    fn score(&mut self) -> Score {
        if let Some(score) = self.constant {
            return score;
        }
        let doc = self.doc;
        self.clauses
            .iter_mut()
            .filter(|c| c.doc() == doc)
            .map(|c| c.score())
            .sum()
    }
}
