//! Backup and restore timing (see BENCHMARKS.md).
fn main() {}
