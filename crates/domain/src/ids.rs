//! Identifier formats: server IDs, access tokens, API keys, credential IDs and user IDs.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};

use crate::error::{ErrorCode, FieldError};

/// Prefix of every server access token.
pub const ACCESS_TOKEN_PREFIX: &str = "mcp_token_";
/// Prefix of the API keys this server generates (operator-supplied keys may have any prefix).
pub const API_KEY_PREFIX: &str = "alloy_";
/// Minimum length of an API key.
pub const API_KEY_MIN_LEN: usize = 16;
/// Maximum length of a user ID, in characters.
pub const USER_ID_MAX_LEN: usize = 10_000;

/// `text` lower-cased, every run of characters outside `[a-z0-9]` turned into one hyphen,
/// trimmed of hyphens (possibly empty): the readable head of server and connector IDs.
pub fn slug(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let mut pending_hyphen = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if pending_hyphen && !slug.is_empty() {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.push(c);
        } else {
            pending_hyphen = true;
        }
    }
    slug
}

/// The server ID for a name: the name lower-cased, every run of characters outside `[a-z0-9]`
/// turned into one hyphen, trimmed of hyphens, then `-` and 8 random hex characters.
pub fn server_id_for(name: &str) -> String {
    let mut slug = slug(name);
    // A name of only non-ASCII letters leaves nothing; the ID still needs a readable head.
    if slug.is_empty() {
        slug.push_str("server");
    }
    let suffix: u32 = rand::rng().random();
    format!("{slug}-{suffix:08x}")
}

/// A new server access token: `mcp_token_` and 40 random base62 characters (~238 bits).
pub fn generate_access_token() -> String {
    format!(
        "{ACCESS_TOKEN_PREFIX}{}",
        Alphanumeric.sample_string(&mut rand::rng(), 40)
    )
}

/// A new API key: `alloy_` and 40 random base62 characters.
pub fn generate_api_key() -> String {
    format!(
        "{API_KEY_PREFIX}{}",
        Alphanumeric.sample_string(&mut rand::rng(), 40)
    )
}

/// Whether `key` has the API-key format: at least 16 characters of `[A-Za-z0-9_-]`.
pub fn is_api_key_format(key: &str) -> bool {
    key.len() >= API_KEY_MIN_LEN
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether `token` is shaped like a compact JWS (three base64url segments). API keys cannot
/// contain a dot, so the two never overlap.
pub fn looks_like_jwt(token: &str) -> bool {
    let mut parts = token.split('.');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
    };
    ok(parts.next()) && ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// Validates a user ID (from `x-alloy-userid`, a path or a body): 1 to 10,000 characters.
pub fn validate_user_id(field: &str, user_id: &str) -> Result<(), FieldError> {
    if user_id.is_empty() {
        return Err(FieldError::new(
            ErrorCode::ValueTooShort,
            field,
            "minLength",
            1,
            "User ID must not be empty",
        ));
    }
    if user_id.chars().count() > USER_ID_MAX_LEN {
        return Err(FieldError::new(
            ErrorCode::ValueTooLong,
            field,
            "maxLength",
            USER_ID_MAX_LEN,
            "User ID must not exceed 10000 characters",
        ));
    }
    if user_id.chars().any(char::is_control) {
        return Err(FieldError::new(
            ErrorCode::InvalidFormat,
            field,
            "pattern",
            "no control characters",
            "User ID must not contain control characters",
        ));
    }
    Ok(())
}

/// A new credential ID in the MongoDB ObjectId layout: 4 bytes of seconds since the epoch,
/// 5 random bytes fixed per process, 3 bytes of a counter; 24 lower-case hex characters.
pub fn generate_credential_id() -> String {
    static PROCESS: OnceLock<[u8; 5]> = OnceLock::new();
    static COUNTER: OnceLock<AtomicU32> = OnceLock::new();
    let process = PROCESS.get_or_init(|| rand::rng().random());
    let counter = COUNTER.get_or_init(|| AtomicU32::new(rand::rng().random::<u32>() & 0x00ff_ffff));
    let secs = u32::try_from(chrono::Utc::now().timestamp()).unwrap_or(u32::MAX);
    let count = counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&secs.to_be_bytes());
    bytes[4..9].copy_from_slice(process);
    bytes[9..].copy_from_slice(&count.to_be_bytes()[1..]);
    hex::encode(bytes)
}

/// Whether `id` is a credential ID: exactly 24 lower- or upper-case hex characters.
pub fn is_credential_id(id: &str) -> bool {
    id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_ids_follow_the_rule() {
        let id = server_id_for("My Production Server");
        assert!(id.starts_with("my-production-server-"), "{id}");
        assert_eq!(id.len(), "my-production-server-".len() + 8);
        assert!(server_id_for("  --Customer__Support_Bot").starts_with("customer-support-bot-"));
        assert!(server_id_for("test-server-01").starts_with("test-server-01-"));
        assert!(server_id_for("日本").starts_with("server-"));
        let suffix = &id[id.len() - 8..];
        assert!(
            suffix
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    #[test]
    fn tokens_and_keys() {
        let t = generate_access_token();
        assert!(t.starts_with("mcp_token_") && t.len() == 50);
        assert!(t[10..].bytes().all(|b| b.is_ascii_alphanumeric()));
        let k = generate_api_key();
        assert!(is_api_key_format(&k));
        assert_ne!(generate_api_key(), k);
        assert!(!is_api_key_format("short_key"));
        assert!(!is_api_key_format("has.a.dot.in.it.long"));
        assert!(is_api_key_format("ABCDEFGHijklmnop"));
        assert!(looks_like_jwt("eyJh.eyJz.c2ln"));
        assert!(!looks_like_jwt("alloy_abcdefghijklmnop"));
    }

    #[test]
    fn credential_ids_are_object_ids() {
        let a = generate_credential_id();
        let b = generate_credential_id();
        assert!(is_credential_id(&a) && is_credential_id(&b));
        assert_ne!(a, b);
        assert_eq!(&a[8..18], &b[8..18], "process part is fixed");
        assert!(!is_credential_id("cred_abc123"));
    }

    #[test]
    fn user_ids() {
        assert!(validate_user_id("x", "682a9d8bf35534170bcb457b").is_ok());
        assert!(validate_user_id("x", "user_xyz789").is_ok());
        assert!(validate_user_id("x", "550e8400-e29b-41d4-a716").is_ok());
        assert_eq!(
            validate_user_id("x", "").unwrap_err().code,
            Some(ErrorCode::ValueTooShort)
        );
        assert!(validate_user_id("x", &"a".repeat(10_000)).is_ok());
        assert_eq!(
            validate_user_id("x", &"a".repeat(10_001)).unwrap_err().code,
            Some(ErrorCode::ValueTooLong)
        );
    }
}
