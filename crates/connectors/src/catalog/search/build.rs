//! Building a [`SearchIndex`]: documents are collected as term occurrences, then laid out once
//! with every posting's finished BM25F contribution.

use std::collections::HashMap;
use std::fmt;

use super::super::terms::for_each_term;

use super::{FieldSpec, K1, SearchIndex};

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
