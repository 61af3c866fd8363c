//! Reading a goal and an action's names as words: camelCase and punctuation split, plurals
//! removed, a few synonyms folded, verbs read as intents.

use std::collections::BTreeSet;

/// What a verb asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Intent {
    Create,
    /// Sending is creating something that goes to someone (a message, an email).
    Send,
    Read,
    Update,
    Delete,
}

impl Intent {
    /// Sending is a kind of creating: a goal to send partly matches an action that creates.
    pub(super) fn family(self) -> Intent {
        match self {
            Intent::Send => Intent::Create,
            other => other,
        }
    }

    /// How a reason reads: "it creates".
    pub(super) fn verb(self) -> &'static str {
        match self {
            Intent::Create => "it creates",
            Intent::Send => "it sends",
            Intent::Read => "it reads",
            Intent::Update => "it updates",
            Intent::Delete => "it deletes",
        }
    }
}

pub(super) fn intent_of(word: &str) -> Option<Intent> {
    Some(match word {
        "send" | "post" | "publish" | "reply" | "compose" | "write" => Intent::Send,
        "create" | "add" | "new" | "make" | "submit" | "insert" | "invite" | "schedule"
        | "upload" | "open" | "book" | "refund" | "transfer" | "pay" => Intent::Create,
        "list" | "get" | "fetch" | "find" | "search" | "show" | "read" | "retrieve" | "view"
        | "lookup" | "look" | "browse" | "query" | "see" | "check" | "count" | "display"
        | "download" | "export" | "history" => Intent::Read,
        "update" | "edit" | "change" | "modify" | "set" | "rename" | "patch" | "move"
        | "assign" | "close" | "reopen" | "archive" | "mark" | "transition" | "replace" => {
            Intent::Update
        }
        "delete" | "remove" | "destroy" | "erase" | "cancel" | "trash" | "unsubscribe"
        | "revoke" | "clear" => Intent::Delete,
        _ => return None,
    })
}

/// Folds verbs that name the same operation, for matching a goal's verb in an action's name.
pub(super) fn canonical_verb(word: &str) -> &str {
    match word {
        "find" | "lookup" | "look" | "query" => "search",
        "browse" | "show" | "view" | "display" => "list",
        "fetch" | "retrieve" | "read" | "see" | "check" => "get",
        "post" => "send",
        "add" | "new" | "make" | "insert" => "create",
        "remove" | "destroy" | "erase" | "trash" => "delete",
        "edit" | "change" | "modify" | "set" | "patch" => "update",
        other => other,
    }
}

/// Verbs that also name the thing they make ("*refund* a charge" creates a refund): the goal
/// keeps them as words too.
const NOUN_VERBS: &[&str] = &["refund", "transfer", "reply", "upload", "invite"];

/// The other noun a goal's word is often called on a platform: an email is a message in
/// Gmail's API.
pub(super) fn alternate(word: &str) -> Option<&'static str> {
    match word {
        "email" => Some("message"),
        _ => None,
    }
}

/// Spellings of one word, made the same before anything compares them.
fn spelling(word: String) -> String {
    match word.as_str() {
        "mail" => "email".to_owned(),
        "repository" => "repo".to_owned(),
        "msg" => "message".to_owned(),
        _ => word,
    }
}

/// Words after which the rest of a goal is context ("send a message *to a channel*"): those
/// words count less than the goal's object.
pub(super) const PREPOSITIONS: &[&str] = &[
    "in", "to", "into", "for", "from", "by", "with", "on", "of", "at", "within", "inside",
];

/// Folds a few nouns that mean the same thing on most platforms.
pub(super) fn canonical(word: &str) -> &str {
    match word {
        "msg" | "dm" => "message",
        "conversation" | "room" => "channel",
        "member" | "people" | "person" | "teammate" => "user",
        "ticket" | "bug" => "issue",
        "mail" => "email",
        "repository" => "repo",
        "meeting" | "appointment" => "event",
        "pr" => "pull",
        "me" | "mine" | "authenticated" | "current" | "self" => "my",
        other => other,
    }
}

pub(super) const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "to", "in", "on", "of", "for", "and", "or", "with", "from", "by", "i", "we",
    "you", "it", "its", "this", "that", "these", "those", "all", "any", "some", "into", "at", "as",
    "is", "are", "be", "was", "please", "want", "need", "would", "like", "can", "could", "should",
    "how", "do", "does", "what", "which", "who", "via", "using", "about", "them", "their", "our",
    "your", "then", "there", "up", "out", "api", "v1", "v2", "v3", "alloy",
];

/// Lower-case words of `text`, split at camelCase humps and punctuation, plurals removed.
pub(super) fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if !c.is_alphanumeric() {
            flush(&mut current, &mut out);
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            flush(&mut current, &mut out);
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    flush(&mut current, &mut out);
    out
}

pub(super) fn flush(current: &mut String, out: &mut Vec<String>) {
    if !current.is_empty() {
        out.push(spelling(stem(current)));
        current.clear();
    }
}

/// Removes a simple English plural: `companies` → `company`, `messages` → `message`.
pub(super) fn stem(word: &str) -> String {
    let n = word.chars().count();
    if n > 4 && word.ends_with("ies") {
        return format!("{}y", &word[..word.len() - 3]);
    }
    if n > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
    {
        return word[..word.len() - 1].to_owned();
    }
    word.to_owned()
}

/// A goal word as written (stemmed) and with synonyms folded.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Term {
    pub(super) literal: String,
    pub(super) canonical: String,
    /// Another name the thing has on some platforms ([`alternate`]).
    pub(super) alternate: Option<&'static str>,
    /// The word came after a preposition: it says where or for what, not what.
    pub(super) context: bool,
}

/// A goal, read as intents (with the verbs that said them) and the other words.
pub(super) struct Goal {
    pub(super) intents: BTreeSet<Intent>,
    pub(super) verbs: Vec<String>,
    /// The goal's verbs as written (`trash`, not `delete`).
    pub(super) verb_literals: Vec<String>,
    pub(super) terms: Vec<Term>,
}

impl Goal {
    pub(super) fn parse(text: &str) -> Self {
        let mut intents = BTreeSet::new();
        let mut verbs = Vec::new();
        let mut verb_literals = Vec::new();
        let mut terms: Vec<Term> = Vec::new();
        let mut context = false;
        for w in words(text) {
            if PREPOSITIONS.contains(&w.as_str()) {
                context = !terms.is_empty();
                continue;
            }
            if STOP_WORDS.contains(&w.as_str()) {
                continue;
            }
            if let Some(intent) = intent_of(&w) {
                intents.insert(intent);
                verbs.push(canonical_verb(&w).to_owned());
                verb_literals.push(w.clone());
                if !NOUN_VERBS.contains(&w.as_str()) {
                    continue;
                }
            }
            let canonical = canonical(&w).to_owned();
            if !terms.iter().any(|t| t.canonical == canonical) {
                terms.push(Term {
                    alternate: alternate(&canonical),
                    canonical,
                    literal: w,
                    context,
                });
            }
        }
        Goal {
            intents,
            verbs,
            verb_literals,
            terms,
        }
    }

    /// Whether the goal's object (not its context) is `word`.
    pub(super) fn mentions(&self, word: &str) -> bool {
        self.terms.iter().any(|t| {
            !t.context
                && (t.literal == word
                    || t.canonical == canonical(word)
                    || t.alternate == Some(word))
        })
    }
}
