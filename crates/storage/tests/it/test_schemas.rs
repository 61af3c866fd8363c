//! Test schemas carry their run: a run drops only its own, and a leftover's age is in its name.

use std::time::{Duration, UNIX_EPOCH};

use alloy_storage::testing::schema_name;

#[test]
fn schema_names_carry_the_run_or_the_time() {
    let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let name = schema_name(Some("1790000000_ab12"), at);
    assert!(name.starts_with("t_1790000000_ab12_"), "{name}");
    assert_eq!(name.len(), "t_1790000000_ab12_".len() + 12);
    // Without a run, or with one that is not `<seconds>_<tag>`, the time stands in.
    for run in [
        None,
        Some("x; DROP SCHEMA public"),
        Some("_ab"),
        Some("12_AB"),
    ] {
        let name = schema_name(run, at);
        assert!(name.starts_with("t_1800000000_dev_"), "{run:?}: {name}");
    }
    // A valid PostgreSQL identifier, unquoted, well under 63 bytes; two calls differ.
    assert!(name.len() < 63);
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    );
    assert_ne!(schema_name(None, at), schema_name(None, at));
}
