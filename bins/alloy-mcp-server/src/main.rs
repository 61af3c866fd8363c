//! alloy-mcp-server binary.
#![forbid(unsafe_code)]
fn main() {}
