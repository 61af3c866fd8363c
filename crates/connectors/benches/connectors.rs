//! Benchmarks of the connector engine (placeholder until written).
fn main() {}
