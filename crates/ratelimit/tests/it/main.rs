//! Integration tests of alloy-ratelimit: one binary, one module per backend or scenario.

mod memory;
mod redis_outage;
mod redis_shared;
mod support;
