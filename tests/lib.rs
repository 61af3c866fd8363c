//! End-to-end test support lives in `it/`.
#![forbid(unsafe_code)]
