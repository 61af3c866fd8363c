//! How catalog text and goals are read into search terms: words and camelCase humps,
//! lower-cased, stop words dropped, lightly stemmed so that `charges`, `charged` and `charge`
//! meet. Documents and queries go through the same function, so they always agree.

/// Words too common in goals and descriptions to tell documents apart. Verbs such as `get`,
/// `list` or `send` are deliberately absent: they are what distinguishes one action from another.
const STOP_WORDS: &[&str] = &[
    "a", "about", "all", "an", "and", "any", "are", "as", "at", "be", "by", "can", "could", "do",
    "does", "for", "from", "how", "i", "in", "into", "is", "it", "its", "like", "me", "my", "need",
    "of", "on", "or", "our", "out", "please", "should", "some", "that", "the", "their", "them",
    "then", "there", "these", "this", "those", "to", "up", "using", "via", "want", "was", "we",
    "what", "which", "who", "with", "would", "you", "your",
];

/// Three-letter plurals common in API vocabulary; shorter words otherwise keep their `s`, so that
/// `aws`, `sms` or `dns` survive intact.
const SHORT_PLURALS: &[&str] = &["ads", "ids", "ips", "ops", "prs", "vms"];

/// The terms of `text`, for documents and queries alike.
///
/// Splits on anything not alphanumeric and between camelCase humps (`listHTTPRoutes` is `list`,
/// `http`, `routes`; `getUserIDs` keeps `IDs` whole), never between letters and digits (`v2`,
/// `ec2`, `s3` stay intact); lower-cases; drops stop words and one-letter words except digits;
/// then lightly stems words made only of ASCII letters, so that inflections share a key that is
/// not always a dictionary word (`create`, `creating`, `created` all give `creat`; `companies`
/// gives `compani`).
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |term| out.push(term.to_owned()));
    out
}

/// [`terms`] without allocating a `String` per term, for indexing.
pub(crate) fn for_each_term(text: &str, mut emit: impl FnMut(&str)) {
    let mut word = String::new();
    let mut run: Vec<char> = Vec::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        run.clear();
        run.extend(chars.by_ref().take_while(|c| c.is_alphanumeric()));
        let mut start = 0;
        for at in 1..=run.len() {
            if at == run.len() || is_hump_start(&run, at) {
                word.clear();
                word.extend(run[start..at].iter().flat_map(|c| c.to_lowercase()));
                if let Some(term) = normalise(&mut word) {
                    emit(term);
                }
                start = at;
            }
        }
    }
}

/// Whether a new camelCase hump starts at `run[at]` (`at > 0`).
fn is_hump_start(run: &[char], at: usize) -> bool {
    let (previous, current) = (run[at - 1], run[at]);
    if !current.is_uppercase() {
        return false;
    }
    if previous.is_lowercase() {
        return true;
    }
    if previous.is_numeric() {
        // `S3Bucket` splits after `S3`, but `3DSecure` keeps `3D`: a digit run only ends a word
        // when letters came before it.
        let before_digits = run[..at].iter().rposition(|c| !c.is_numeric());
        return before_digits.is_some_and(|i| run[i].is_alphabetic());
    }
    // An acronym ends before a capital followed by lower case (`HTTPRoutes`), except for a
    // plural `s` ending the word (`URLs`, `IDsFor`).
    let lower_at = |i: usize| run.get(i).is_some_and(|c| c.is_lowercase());
    let plural_s = run.get(at + 1) == Some(&'s') && !lower_at(at + 2);
    previous.is_uppercase() && lower_at(at + 1) && !plural_s
}

/// Drops stop words and one-letter words, stems the rest; `None` when the word is dropped.
fn normalise(word: &mut String) -> Option<&str> {
    if STOP_WORDS.binary_search(&word.as_str()).is_ok() {
        return None;
    }
    if word.bytes().all(|b| b.is_ascii_lowercase()) {
        stem(word);
    }
    let mut chars = word.chars();
    match (chars.next(), chars.next()) {
        (Some(only), None) if !only.is_numeric() => None,
        (None, _) => None,
        _ => Some(word.as_str()),
    }
}

/// A deliberately light English stemmer. It does not aim at dictionary roots, only at giving
/// the common inflections of one word the same key: `create`, `creates`, `creating` and `created`
/// all become `creat`; `company` and `companies` become `compani`; `cancelled` and `canceled`
/// become `cancel`. Steps, in order: drop a plural `s`, drop `ed`/`ing`, turn a final `y` after a
/// consonant into `i`, drop a final `e`, undouble a final consonant.
fn stem(word: &mut String) {
    let n = word.len();
    let keeps_s = word.ends_with("ss")
        || (n > 4 && (word.ends_with("us") || word.ends_with("is") || word.ends_with("ias")));
    if word.ends_with('s') && ((n > 3 && !keeps_s) || SHORT_PLURALS.contains(&word.as_str())) {
        word.pop();
    }

    // The remaining stem must keep a vowel, so `string`, `thing` or `shed` stay whole.
    for suffix in ["ed", "ing"] {
        if let Some(rest) = word.strip_suffix(suffix)
            && rest.len() >= 2
            && rest.bytes().any(is_vowel)
        {
            word.truncate(rest.len());
            break;
        }
    }

    let bytes = word.as_bytes();
    let n = bytes.len();
    if n >= 3 && bytes[n - 1] == b'y' && !is_vowel(bytes[n - 2]) {
        word.pop();
        word.push('i');
    }

    if word.len() >= 3 && word.ends_with('e') {
        word.pop();
    }

    let bytes = word.as_bytes();
    let n = bytes.len();
    if n >= 4 && bytes[n - 1] == bytes[n - 2] && bytes[n - 1] != b's' && !is_vowel(bytes[n - 1]) {
        word.pop();
    }
}

fn is_vowel(byte: u8) -> bool {
    matches!(byte, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stem_of(word: &str) -> String {
        let found = terms(word);
        assert_eq!(found.len(), 1, "{word} gave {found:?}");
        found.into_iter().next().unwrap()
    }

    #[test]
    fn stop_words_are_sorted_for_bisection() {
        assert!(STOP_WORDS.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn inflections_share_a_stem() {
        let groups: &[&[&str]] = &[
            &["refund", "refunds", "refunded", "refunding"],
            &["charge", "charges", "charged"],
            &["create", "creating", "created", "creates"],
            &["delete", "deleted", "deleting", "deletes"],
            &["email", "emails"],
            &["message", "messages"],
            &["subscription", "subscriptions"],
            &["company", "companies"],
            &["address", "addresses"],
            &["list", "lists", "listing"],
            &["trash", "trashed"],
            &["cancel", "cancels", "cancelled", "canceled", "cancelling"],
            &["update", "updates", "updated", "updating"],
            &["move", "moving", "moved"],
            &["reply", "replies", "replied"],
            &["status", "statuses"],
            &["process", "processes", "processed"],
            &["setting", "settings"],
            &["id", "ids", "IDs"],
            &["url", "urls", "URLs"],
            &["api", "apis", "APIs"],
            &["schema", "schemas"],
            &["add", "added", "adding"],
            &["use", "used", "uses"],
        ];
        for group in groups {
            let first = stem_of(group[0]);
            for word in &group[1..] {
                assert_eq!(stem_of(word), first, "{word} vs {}", group[0]);
            }
        }
    }

    #[test]
    fn unrelated_words_stay_apart() {
        for (a, b) in [
            ("string", "sting"),
            ("address", "add"),
            ("status", "state"),
            ("sms", "sm"),
        ] {
            assert_ne!(terms(a), terms(b), "{a} vs {b}");
        }
        assert_eq!(terms("string things"), ["string", "thing"]);
        assert_eq!(terms("aws sms dns"), ["aws", "sms", "dns"]);
    }

    #[test]
    fn splits_camel_case_snake_case_and_paths() {
        assert_eq!(terms("chatPostMessage"), ["chat", "post", "messag"]);
        assert_eq!(terms("listHTTPRoutes"), ["list", "http", "rout"]);
        assert_eq!(terms("get_user_by_id"), ["get", "user", "id"]);
        assert_eq!(terms("getUserIDsForTeam"), ["get", "user", "id", "team"]);
        assert_eq!(
            terms("/repos/{owner}/{repo}/issues"),
            ["repo", "owner", "repo", "issu"]
        );
        assert_eq!(
            terms("/v1/customers/{customer}/subscriptions"),
            ["v1", "customer", "customer", "subscription"]
        );
        assert_eq!(terms("describeEC2Instances"), ["describ", "ec2", "instanc"]);
        assert_eq!(terms("S3Bucket v2 s3"), ["s3", "bucket", "v2", "s3"]);
        assert_eq!(terms("3DSecure"), ["3d", "secur"]);
        assert_eq!(terms("Äpfel ÜBER straße"), ["äpfel", "über", "straße"]);
    }

    #[test]
    fn drops_stop_words_and_single_letters_but_keeps_digits_and_verbs() {
        assert_eq!(
            terms("Please move an email to the trash"),
            ["mov", "email", "trash"]
        );
        assert_eq!(
            terms("x 7 get list create delete send"),
            ["7", "get", "list", "creat", "delet", "send"]
        );
        assert!(terms("the of and to a").is_empty());
        assert!(terms("  --- ").is_empty());
    }
}
