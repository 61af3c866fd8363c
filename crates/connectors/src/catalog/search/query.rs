//! Querying a [`SearchIndex`]: term postings added up document by document, skipping the
//! documents that can no longer reach the top results (MaxScore).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::ops::Range;

use super::super::terms::terms;

use super::{Hit, SearchIndex};

/// Inflates score bounds before pruning on them, so that f32 rounding of sums taken in different
/// orders can never prune a document that would have made the cut.
const SLACK: f32 = 1.0 + 1e-4;

/// A candidate in the top-`limit` selection; greater means better: a higher score, then a lower
/// document number so that ties always come out the same way.
#[derive(Clone, Copy)]
struct Ranked {
    score: f32,
    doc: u32,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.doc.cmp(&self.doc))
    }
}

/// Where a query term's postings have been read up to, during [`SearchIndex::search`].
struct Cursor<'a> {
    docs: &'a [u32],
    impacts: &'a [f32],
    at: usize,
    /// The term's position among the query's distinct terms.
    slot: usize,
}

impl Cursor<'_> {
    fn current(&self) -> Option<u32> {
        self.docs.get(self.at).copied()
    }

    /// Moves to `doc` or past it; its impact if the term occurs in `doc`.
    fn seek(&mut self, doc: u32) -> Option<f32> {
        self.at = gallop(self.docs, self.at, doc);
        (self.current() == Some(doc)).then(|| self.impacts[self.at])
    }
}

/// The first position at or after `from` in the ascending `docs` whose document is not below
/// `doc`. Probing 1, 2, 4, ... ahead before bisecting keeps a walk through many nearby targets
/// close to a linear merge, and one through few far-apart targets close to plain bisection.
fn gallop(docs: &[u32], from: usize, doc: u32) -> usize {
    let mut low = from;
    let mut step = 1;
    while let Some(&probe) = docs.get(low + step - 1) {
        if probe >= doc {
            break;
        }
        low += step;
        step *= 2;
    }
    let high = (low + step - 1).min(docs.len());
    low + docs
        .get(low..high)
        .map_or(0, |window| window.partition_point(|&d| d < doc))
}

impl SearchIndex {
    /// Number of documents indexed.
    pub fn len(&self) -> usize {
        self.doc_count
    }

    /// Whether no document was indexed.
    pub fn is_empty(&self) -> bool {
        self.doc_count == 0
    }

    /// Top `limit` documents for `query`, best first, only those for which `allow(doc)` is true.
    /// Ties: lower doc number first (deterministic). Empty/stop-word-only query => empty Vec.
    ///
    /// `allow` is called at most once per document, and only for documents that could still
    /// make the cut, so it may be moderately expensive.
    pub fn search(&self, query: &str, limit: usize, allow: impl Fn(u32) -> bool) -> Vec<Hit> {
        if limit == 0 {
            return Vec::new();
        }
        let mut distinct: Vec<String> = Vec::new();
        let mut postings_by_slot: Vec<&[u32]> = Vec::new();
        let mut cursors: Vec<(f32, Cursor<'_>)> = Vec::new();
        for text in terms(query) {
            if distinct.contains(&text) {
                continue;
            }
            if let Some((postings, bound)) = self.postings(&text) {
                let cursor = Cursor {
                    docs: &self.docs[postings.clone()],
                    impacts: &self.impacts[postings],
                    at: 0,
                    slot: distinct.len(),
                };
                postings_by_slot.push(cursor.docs);
                cursors.push((bound, cursor));
                distinct.push(text);
            }
        }
        if cursors.is_empty() {
            return Vec::new();
        }

        // MaxScore: with the terms ordered by the most they can add, `reach[i]` bounds the score
        // of a document found only by terms 0..=i. Once the top `limit` are all above it, those
        // terms no longer propose documents (they are "non-essential"); they are only probed for
        // documents the others propose, and only while such a document can still make the cut.
        // Documents arrive in increasing number, so a newcomer must beat the worst kept one
        // strictly: on a tie, the earlier document stays.
        cursors.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut reach = Vec::with_capacity(cursors.len());
        let mut total = 0.0_f32;
        for (bound, _) in &cursors {
            total += bound;
            reach.push(total);
        }
        let mut cursors: Vec<Cursor<'_>> = cursors.into_iter().map(|(_, cursor)| cursor).collect();
        let mut first_essential = 0;
        let mut threshold = f32::NEG_INFINITY;
        let mut best: BinaryHeap<Reverse<Ranked>> = BinaryHeap::with_capacity(limit.min(1024) + 1);
        // Summed in query order rather than as found, so that a document's score does not depend
        // on which terms were essential when it came up: equal documents tie exactly.
        let mut contributions = vec![0.0_f32; cursors.len()];
        'documents: while let Some(doc) = cursors[first_essential..]
            .iter()
            .filter_map(Cursor::current)
            .min()
        {
            contributions.fill(0.0);
            let mut partial = 0.0;
            for cursor in &mut cursors[first_essential..] {
                if cursor.current() == Some(doc) {
                    let impact = cursor.impacts[cursor.at];
                    contributions[cursor.slot] = impact;
                    partial += impact;
                    cursor.at += 1;
                }
            }
            for index in (0..first_essential).rev() {
                if (partial + reach[index]) * SLACK <= threshold {
                    continue 'documents;
                }
                let cursor = &mut cursors[index];
                if let Some(impact) = cursor.seek(doc) {
                    contributions[cursor.slot] = impact;
                    partial += impact;
                }
            }
            let score: f32 = contributions.iter().sum();
            if score <= threshold || !allow(doc) {
                continue;
            }
            let candidate = Ranked { score, doc };
            if best.len() < limit {
                best.push(Reverse(candidate));
            } else if let Some(mut worst) = best.peek_mut() {
                *worst = Reverse(candidate);
            }
            if best.len() == limit
                && let Some(Reverse(worst)) = best.peek()
            {
                threshold = worst.score;
                while first_essential < cursors.len() && reach[first_essential] * SLACK <= threshold
                {
                    first_essential += 1;
                }
            }
        }

        best.into_sorted_vec()
            .into_iter()
            .map(|Reverse(Ranked { score, doc })| Hit {
                doc,
                score,
                matched: distinct
                    .iter()
                    .zip(&postings_by_slot)
                    .filter(|(_, docs)| docs.binary_search(&doc).is_ok())
                    .map(|(text, _)| text.clone())
                    .collect(),
            })
            .collect()
    }

    /// Approximate heap bytes used (for a benchmark that prints memory).
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.text_bounds.capacity() * size_of::<usize>()
            + self.posting_bounds.capacity() * size_of::<usize>()
            + self.docs.capacity() * size_of::<u32>()
            + self.impacts.capacity() * size_of::<f32>()
            + self.max_impacts.capacity() * size_of::<f32>()
    }

    pub(super) fn term_count(&self) -> usize {
        self.text_bounds.len().saturating_sub(1)
    }

    fn term_text(&self, id: usize) -> &str {
        self.arena
            .get(self.text_bounds[id]..self.text_bounds[id + 1])
            .unwrap_or_default()
    }

    /// The range of `term`'s postings and its largest impact, if it scores anywhere.
    fn postings(&self, term: &str) -> Option<(Range<usize>, f32)> {
        let (mut low, mut high) = (0, self.term_count());
        while low < high {
            let middle = low + (high - low) / 2;
            match self.term_text(middle).cmp(term) {
                Ordering::Less => low = middle + 1,
                Ordering::Greater => high = middle,
                Ordering::Equal => {
                    let range = self.posting_bounds[middle]..self.posting_bounds[middle + 1];
                    return (!range.is_empty()).then(|| (range, self.max_impacts[middle]));
                }
            }
        }
        None
    }
}
