//! A field-weighted BM25 (BM25F) inverted index, built once, that ranks catalog entries (actions,
//! connectors) against a short plain-language goal such as "refund a charge".
//!
//! Documents are a fixed list of text fields, each with its own weight and length normalisation
//! ([`FieldSpec`]). [`terms`](super::terms::terms) reads documents and queries the same way.
//! Since nothing changes after [`SearchIndexBuilder::build`], every posting stores its
//! finished BM25F contribution; a query adds those up document by document, skipping the
//! documents that can no longer reach its top results (MaxScore).

use std::fmt;

mod build;
mod query;

pub use build::SearchIndexBuilder;

/// BM25's term-frequency saturation; 1.2 is the customary value and suits short fields.
const K1: f64 = 1.2;

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
