//! A field-weighted BM25 (BM25F) inverted index, built once, that ranks catalog entries (actions,
//! connectors) against a short plain-language goal such as "refund a charge".
//!
//! Documents are a fixed list of text fields, each with its own weight and length normalisation
//! ([`FieldSpec`]). [`terms`](super::terms::terms) reads documents and queries the same way.
//! Since nothing changes after [`SearchIndexBuilder::build`], every posting stores its
//! finished BM25F contribution; a query adds those up document by document, skipping the
//! documents that can no longer reach its top results (MaxScore).

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::ops::Range;

use super::terms::{for_each_term, terms};

/// BM25's term-frequency saturation; 1.2 is the customary value and suits short fields.
const K1: f64 = 1.2;

/// Inflates score bounds before pruning on them, so that f32 rounding of sums taken in different
/// orders can never prune a document that would have made the cut.
const SLACK: f32 = 1.0 + 1e-4;

/// One field of the indexed documents and how much a match in it counts.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// How much a match in this field counts relative to the others; negative counts as zero,
    /// and a field of weight zero is indexed but never scores.
    pub weight: f32,
    /// BM25 length normalisation for this field, from 0 (a match counts the same in a long text
    /// as in a short one) to 1 (fully relative to the field's average length); clamped to that
    /// range.
    pub b: f32,
}

/// One term occurrence count of a document being added, before the index is laid out.
#[derive(Clone, Copy)]
struct Occurrence {
    term: u32,
    field: u16,
    count: u16,
}

/// Collects documents, then lays them out as a [`SearchIndex`].
pub struct SearchIndexBuilder {
    specs: Vec<FieldSpec>,
    dictionary: HashMap<String, u32>,
    /// Every document's occurrences, grouped by document and sorted by (term, field) within it.
    occurrences: Vec<Occurrence>,
    /// Where each document's occurrences start in `occurrences`.
    doc_starts: Vec<usize>,
    /// Token count of every (document, field), row-major; saturating, since past 65,535 tokens
    /// the length normalisation no longer changes anything that matters.
    lengths: Vec<u16>,
    /// Reused between documents to avoid an allocation per `add`.
    pending: Vec<(u32, u16)>,
}

impl SearchIndexBuilder {
    /// A builder for documents made of `fields.len()` fields described by `fields`, in order.
    pub fn new(fields: &[FieldSpec]) -> Self {
        Self {
            // Field numbers are stored as u16; no real document type comes near that many.
            specs: fields.iter().take(usize::from(u16::MAX)).copied().collect(),
            dictionary: HashMap::new(),
            occurrences: Vec::new(),
            doc_starts: Vec::new(),
            lengths: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Adds a document; `fields[i]` is the text of field i (fields.len() == specs.len(); missing
    /// => treat as empty, extra ones are ignored). Returns its doc number (0,1,2,... in insertion
    /// order).
    pub fn add(&mut self, fields: &[&str]) -> u32 {
        let doc = u32::try_from(self.doc_starts.len()).unwrap_or(u32::MAX);
        self.doc_starts.push(self.occurrences.len());
        self.pending.clear();
        let field_count = u16::try_from(self.specs.len()).unwrap_or(u16::MAX);
        for field in 0..field_count {
            let text = fields.get(usize::from(field)).copied().unwrap_or("");
            let mut length: u16 = 0;
            let dictionary = &mut self.dictionary;
            let pending = &mut self.pending;
            for_each_term(text, |term| {
                length = length.saturating_add(1);
                let next_id = u32::try_from(dictionary.len()).unwrap_or(u32::MAX);
                let id = match dictionary.get(term) {
                    Some(&id) => id,
                    None => *dictionary.entry(term.to_owned()).or_insert(next_id),
                };
                pending.push((id, field));
            });
            self.lengths.push(length);
        }
        self.pending.sort_unstable();
        for chunk in self.pending.chunk_by(|a, b| a == b) {
            let (term, field) = chunk[0];
            let count = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
            self.occurrences.push(Occurrence { term, field, count });
        }
        doc
    }

    /// Adds every document of `other` (built with the same fields) after this builder's, in
    /// order: builders filled on several threads then make the same index as one builder
    /// filled with every document in turn.
    pub fn append(&mut self, other: SearchIndexBuilder) {
        let mut remap = vec![0_u32; other.dictionary.len()];
        for (text, id) in other.dictionary {
            let next = u32::try_from(self.dictionary.len()).unwrap_or(u32::MAX);
            remap[id as usize] = *self.dictionary.entry(text).or_insert(next);
        }
        for (doc, &start) in other.doc_starts.iter().enumerate() {
            let end = other
                .doc_starts
                .get(doc + 1)
                .copied()
                .unwrap_or(other.occurrences.len());
            let from = self.occurrences.len();
            self.doc_starts.push(from);
            self.occurrences
                .extend(other.occurrences[start..end].iter().map(|o| Occurrence {
                    term: remap[o.term as usize],
                    ..*o
                }));
            // `build` reads each document's occurrences grouped by term.
            self.occurrences[from..].sort_unstable_by_key(|o| (o.term, o.field));
        }
        self.lengths.extend(other.lengths);
    }

    /// Computes the collection statistics and every posting's score contribution, and returns
    /// the finished index.
    pub fn build(self) -> SearchIndex {
        let doc_count = self.doc_starts.len();
        let field_count = self.specs.len();
        let weights: Vec<f64> = self
            .specs
            .iter()
            .map(|s| f64::from(s.weight.max(0.0)))
            .collect();
        let bs: Vec<f64> = self
            .specs
            .iter()
            .map(|s| f64::from(s.b.clamp(0.0, 1.0)))
            .collect();

        let mut average_lengths = vec![0.0_f64; field_count];
        for row in self.lengths.chunks_exact(field_count.max(1)) {
            for (sum, &length) in average_lengths.iter_mut().zip(row) {
                *sum += f64::from(length);
            }
        }
        for average in &mut average_lengths {
            *average /= doc_count.max(1) as f64;
        }

        // Term ids follow the sorted text so that the dictionary is a plain string arena searched
        // by bisection: far smaller than a hash map of boxed strings.
        let mut sorted: Vec<(&str, u32)> = self
            .dictionary
            .iter()
            .map(|(text, &id)| (text.as_str(), id))
            .collect();
        sorted.sort_unstable();
        let mut new_id = vec![0_u32; sorted.len()];
        let mut arena = String::with_capacity(sorted.iter().map(|(text, _)| text.len()).sum());
        let mut text_bounds = Vec::with_capacity(sorted.len() + 1);
        text_bounds.push(0);
        for (rank, &(text, old)) in sorted.iter().enumerate() {
            new_id[old as usize] = u32::try_from(rank).unwrap_or(u32::MAX);
            arena.push_str(text);
            text_bounds.push(arena.len());
        }

        let doc_ranges = |doc: usize| {
            let start = self.doc_starts[doc];
            let end = self
                .doc_starts
                .get(doc + 1)
                .copied()
                .unwrap_or(self.occurrences.len());
            &self.occurrences[start..end]
        };

        // df counts every document holding the term; only those where it lands in a field of
        // positive weight get a posting, because the others would add nothing to a score.
        let mut document_frequency = vec![0_u32; sorted.len()];
        let mut stored = vec![0_usize; sorted.len()];
        for doc in 0..doc_count {
            for group in doc_ranges(doc).chunk_by(|a, b| a.term == b.term) {
                let term = new_id[group[0].term as usize] as usize;
                document_frequency[term] += 1;
                if group.iter().any(|o| weights[usize::from(o.field)] > 0.0) {
                    stored[term] += 1;
                }
            }
        }
        let mut posting_bounds = Vec::with_capacity(sorted.len() + 1);
        posting_bounds.push(0);
        let mut total = 0;
        for count in &stored {
            total += count;
            posting_bounds.push(total);
        }
        let idf: Vec<f64> = document_frequency
            .iter()
            .map(|&df| {
                let df = f64::from(df);
                (1.0 + (doc_count as f64 - df + 0.5) / (df + 0.5)).ln()
            })
            .collect();

        // Documents are visited in order, so every term's postings come out sorted by document.
        let mut docs = vec![0_u32; total];
        let mut impacts = vec![0.0_f32; total];
        let mut cursor = posting_bounds.clone();
        for doc in 0..doc_count {
            let lengths = &self.lengths[doc * field_count..(doc + 1) * field_count];
            for group in doc_ranges(doc).chunk_by(|a, b| a.term == b.term) {
                let term = new_id[group[0].term as usize] as usize;
                let pseudo_frequency: f64 = group
                    .iter()
                    .map(|o| {
                        let field = usize::from(o.field);
                        let relative = if average_lengths[field] > 0.0 {
                            f64::from(lengths[field]) / average_lengths[field]
                        } else {
                            1.0
                        };
                        let norm = 1.0 - bs[field] + bs[field] * relative;
                        weights[field] * f64::from(o.count) / norm
                    })
                    .sum();
                if pseudo_frequency > 0.0 {
                    let slot = cursor[term];
                    cursor[term] += 1;
                    docs[slot] = u32::try_from(doc).unwrap_or(u32::MAX);
                    impacts[slot] = (idf[term] * pseudo_frequency * (K1 + 1.0)
                        / (pseudo_frequency + K1)) as f32;
                }
            }
        }

        let max_impacts = posting_bounds
            .windows(2)
            .map(|bounds| {
                impacts[bounds[0]..bounds[1]]
                    .iter()
                    .copied()
                    .fold(0.0, f32::max)
            })
            .collect();

        SearchIndex {
            doc_count,
            arena,
            text_bounds,
            posting_bounds,
            docs,
            impacts,
            max_impacts,
        }
    }
}

impl fmt::Debug for SearchIndexBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndexBuilder")
            .field("fields", &self.specs)
            .field("docs", &self.doc_starts.len())
            .field("terms", &self.dictionary.len())
            .finish_non_exhaustive()
    }
}

/// An immutable BM25F index over the documents given to a [`SearchIndexBuilder`].
pub struct SearchIndex {
    doc_count: usize,
    /// Every term's text, concatenated in sorted order; term `i` is
    /// `arena[text_bounds[i]..text_bounds[i + 1]]`.
    arena: String,
    text_bounds: Vec<usize>,
    /// Term `i`'s postings are `posting_bounds[i]..posting_bounds[i + 1]` of `docs`/`impacts`.
    posting_bounds: Vec<usize>,
    /// Document numbers, ascending within each term.
    docs: Vec<u32>,
    /// The finished BM25F contribution of the term to the document alongside.
    impacts: Vec<f32>,
    /// Every term's largest impact: what it can add to any document at most.
    max_impacts: Vec<f32>,
}

/// One document found by [`SearchIndex::search`].
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The document number returned by [`SearchIndexBuilder::add`].
    pub doc: u32,
    /// Its BM25F score for the query; only comparable within one index.
    pub score: f32,
    /// The query's terms (normalised form) that this doc contains, in query order.
    pub matched: Vec<String>,
}

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

    fn term_count(&self) -> usize {
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

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex")
            .field("docs", &self.doc_count)
            .field("terms", &self.term_count())
            .field("postings", &self.docs.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: FieldSpec = FieldSpec {
        weight: 3.0,
        b: 0.5,
    };
    const DESCRIPTION: FieldSpec = FieldSpec {
        weight: 1.0,
        b: 0.75,
    };

    fn index(docs: &[[&str; 2]]) -> SearchIndex {
        let mut builder = SearchIndexBuilder::new(&[NAME, DESCRIPTION]);
        for (n, doc) in docs.iter().enumerate() {
            assert_eq!(builder.add(doc) as usize, n);
        }
        builder.build()
    }

    fn ranked(index: &SearchIndex, query: &str) -> Vec<u32> {
        index
            .search(query, 10, |_| true)
            .into_iter()
            .map(|hit| hit.doc)
            .collect()
    }

    #[test]
    fn a_name_match_beats_a_description_mention() {
        let index = index(&[
            [
                "List invoices",
                "Returns the refunds issued for an account.",
            ],
            [
                "Create a refund",
                "Refunds a charge that was previously created.",
            ],
            ["Get balance", "Shows the balance."],
        ]);
        let hits = index.search("refund a charge", 10, |_| true);
        assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), [1, 0]);
        assert_eq!(hits[0].matched, ["refund", "charg"]);
        assert_eq!(hits[1].matched, ["refund"]);
        assert!(hits[0].score > hits[1].score);
    }

    #[test]
    fn more_query_terms_matched_ranks_higher() {
        let index = index(&[
            ["Send message", "Sends a message."],
            [
                "Post message to channel",
                "Posts a message to a Slack channel.",
            ],
            ["Archive channel", "Archives a channel."],
        ]);
        assert_eq!(ranked(&index, "post message to slack channel")[0], 1);
    }

    #[test]
    fn a_rare_term_outweighs_a_common_one() {
        let mut docs = vec![["Get user", "Returns a user."]; 20];
        docs.push(["Get invoice", "Returns an invoice."]);
        docs.push(["Delete user", "Deletes a user."]);
        let index = index(&docs);
        // Both match one term each; `invoice` is in 1 document, `user` in 21.
        assert_eq!(ranked(&index, "invoice user")[0], 20);
        // `delete` is rare, `user` common: the document with both wins, then `invoice` alone
        // outranks every `user` alone.
        assert_eq!(ranked(&index, "delete user invoice")[..2], [21, 20]);
    }

    #[test]
    fn allow_excludes_documents_and_limit_truncates() {
        let index = index(&[["Send email", ""], ["Send email", ""], ["Send email", ""]]);
        let docs: Vec<u32> = index
            .search("send email", 10, |doc| doc != 1)
            .iter()
            .map(|h| h.doc)
            .collect();
        assert_eq!(docs, [0, 2]);
        assert_eq!(index.search("send email", 1, |_| true).len(), 1);
        assert!(index.search("send email", 0, |_| true).is_empty());
        assert!(index.search("send email", 10, |_| false).is_empty());

        let asked = std::cell::RefCell::new(Vec::new());
        index.search("send email", 10, |doc| {
            asked.borrow_mut().push(doc);
            true
        });
        assert_eq!(asked.into_inner(), [0, 1, 2]);
    }

    #[test]
    fn ties_come_out_in_document_order() {
        let docs = vec![["Send email", "Sends an email."]; 50];
        let index = index(&docs);
        for limit in [1, 7, 50, 100] {
            let expected: Vec<u32> = (0..limit.min(50)).collect();
            let docs: Vec<u32> = index
                .search("send email", limit as usize, |_| true)
                .iter()
                .map(|h| h.doc)
                .collect();
            assert_eq!(docs, expected);
        }
    }

    #[test]
    fn empty_and_unknown_queries_find_nothing() {
        let index = index(&[["Send email", "Sends an email."]]);
        assert!(index.search("", 10, |_| true).is_empty());
        assert!(index.search("the of to", 10, |_| true).is_empty());
        assert!(index.search("teleport", 10, |_| true).is_empty());
        let empty = SearchIndexBuilder::new(&[NAME]).build();
        assert!(empty.is_empty());
        assert!(empty.search("send", 10, |_| true).is_empty());
    }

    #[test]
    fn repeated_query_terms_count_once() {
        let index = index(&[["Send email", ""], ["Send message", ""]]);
        let once = index.search("send email", 10, |_| true);
        let twice = index.search("send emails email sending", 10, |_| true);
        assert_eq!(once, twice);
        assert_eq!(once[0].matched, ["send", "email"]);
    }

    #[test]
    fn missing_fields_are_empty_and_zero_weight_fields_never_score() {
        let mut builder = SearchIndexBuilder::new(&[
            NAME,
            FieldSpec {
                weight: 0.0,
                b: 0.5,
            },
        ]);
        builder.add(&["Send email"]);
        builder.add(&["", "send email"]);
        builder.add(&["", "", "ignored extra field"]);
        let index = builder.build();
        assert_eq!(index.len(), 3);
        assert_eq!(ranked(&index, "send email"), [0]);
        assert!(ranked(&index, "ignored").is_empty());
    }

    #[test]
    fn scores_follow_the_bm25f_formula() {
        let index = index(&[["refund", "refund refund charge"], ["charge", ""]]);
        let hits = index.search("refund", 10, |_| true);
        // N = 2, df = 1; name: tf 1, len 1, avg 1; description: tf 2, len 3, avg 1.5.
        let idf = (1.0_f64 + (2.0 - 1.0 + 0.5) / (1.0 + 0.5)).ln();
        let tf = 3.0 * 1.0 / (1.0 - 0.5 + 0.5 * 1.0) + 1.0 * 2.0 / (1.0 - 0.75 + 0.75 * 2.0);
        let expected = idf * tf * (K1 + 1.0) / (tf + K1);
        assert_eq!(hits.len(), 1);
        assert!((f64::from(hits[0].score) - expected).abs() < 1e-5);
    }

    #[test]
    fn an_allow_that_searches_again_is_fine() {
        let index = index(&[["Send email", ""], ["Send message", ""]]);
        let hits = index.search("send", 10, |doc| {
            !index
                .search("email", 10, |_| true)
                .iter()
                .any(|hit| hit.doc == doc)
        });
        assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn pruned_search_matches_exhaustive_ranking() {
        const WORDS: &[&str] = &[
            "list", "get", "create", "delete", "send", "message", "channel", "user", "email",
            "refund", "charge", "invoice", "customer", "file", "folder", "trash", "team", "issue",
            "repo", "comment", "label", "archive", "move", "post", "slack", "drive", "status",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Squaring skews picks towards the first words, as in real text.
            let unit = (seed >> 11) as f64 / (1_u64 << 53) as f64;
            (unit * unit * n as f64) as usize
        };
        let mut sentence = |len: usize| -> String {
            (0..len)
                .map(|_| WORDS[next(WORDS.len())])
                .collect::<Vec<_>>()
                .join(" ")
        };
        let docs: Vec<[String; 2]> = (0..3000).map(|_| [sentence(3), sentence(12)]).collect();
        let queries: Vec<String> = (0..200).map(|n| sentence(1 + n % 4)).collect();
        let mut builder = SearchIndexBuilder::new(&[NAME, DESCRIPTION]);
        for doc in &docs {
            builder.add(&[&doc[0], &doc[1]]);
        }
        let index = builder.build();
        // The same documents added to three builders and appended make the same index.
        let mut parts = docs.chunks(1100).map(|chunk| {
            let mut part = SearchIndexBuilder::new(&[NAME, DESCRIPTION]);
            for doc in chunk {
                part.add(&[&doc[0], &doc[1]]);
            }
            part
        });
        let mut appended = parts.next().unwrap();
        for part in parts {
            appended.append(part);
        }
        let appended = appended.build();
        for query in &queries {
            assert_eq!(
                appended.search(query, usize::MAX, |_| true),
                index.search(query, usize::MAX, |_| true),
                "{query}"
            );
        }
        for query in &queries {
            for modulo in [1, 3] {
                let allow = |doc: u32| doc.is_multiple_of(modulo);
                let all = index.search(query, usize::MAX, allow);
                for limit in [1, 3, 10] {
                    let top = index.search(query, limit, allow);
                    assert_eq!(top, all[..limit.min(all.len())], "{query} / {limit}");
                }
            }
        }
    }

    #[test]
    fn index_is_send_sync_and_debug() {
        fn assert_send_sync<T: Send + Sync + fmt::Debug>() {}
        assert_send_sync::<SearchIndex>();
        let index = index(&[["Send email", ""]]);
        assert!(format!("{index:?}").contains("docs: 1"));
        assert!(index.heap_bytes() > 0);
    }
}
