//! `limit`/`offset` paging of list endpoints.

use crate::error::{ErrorCode, FieldError};

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page size (the reference's 1,000-item array limit).
pub const MAX_LIMIT: u64 = 1000;
/// Largest offset: what a database takes as a (signed 64-bit) `OFFSET`.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

/// One page of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Items per page, 1–1000.
    pub limit: u64,
    /// Items skipped.
    pub offset: u64,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

impl Page {
    /// Reads `limit` and `offset` from parsed query pairs; other pairs are ignored.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, FieldError> {
        let mut page = Page::default();
        for (k, v) in pairs {
            match k {
                "limit" => {
                    let n = parse(k, v)?;
                    if n < 1 {
                        return Err(FieldError::new(
                            ErrorCode::ValidationError,
                            "limit",
                            "min",
                            1,
                            "limit must be at least 1",
                        ));
                    }
                    if n > MAX_LIMIT {
                        return Err(FieldError::new(
                            ErrorCode::ValidationError,
                            "limit",
                            "max",
                            MAX_LIMIT,
                            "limit must not exceed 1000",
                        ));
                    }
                    page.limit = n;
                }
                "offset" => {
                    let n = parse(k, v)?;
                    if n > MAX_OFFSET {
                        return Err(FieldError::new(
                            ErrorCode::ValidationError,
                            "offset",
                            "max",
                            MAX_OFFSET,
                            format!("offset must not exceed {MAX_OFFSET}"),
                        ));
                    }
                    page.offset = n;
                }
                _ => {}
            }
        }
        Ok(page)
    }
}

fn parse(field: &str, v: &str) -> Result<u64, FieldError> {
    v.trim().parse::<u64>().map_err(|_| {
        FieldError::new(
            ErrorCode::InvalidFormat,
            field,
            "type",
            "non-negative integer",
            format!("{field} must be a non-negative integer"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_bounds() {
        assert_eq!(
            Page::from_pairs([]).unwrap(),
            Page {
                limit: 50,
                offset: 0
            }
        );
        assert_eq!(
            Page::from_pairs([("limit", "10"), ("offset", "20")]).unwrap(),
            Page {
                limit: 10,
                offset: 20
            }
        );
        assert!(Page::from_pairs([("limit", "1001")]).is_err());
        assert!(Page::from_pairs([("limit", "0")]).is_err());
        assert!(Page::from_pairs([("offset", "-1")]).is_err());
        assert_eq!(
            Page::from_pairs([("offset", "9223372036854775807")])
                .unwrap()
                .offset,
            MAX_OFFSET
        );
        let e = Page::from_pairs([("offset", "9223372036854775808")]).unwrap_err();
        assert_eq!((e.field.as_str(), e.constraint.as_str()), ("offset", "max"));
        assert!(Page::from_pairs([("limit", "ten")]).is_err());
    }
}
