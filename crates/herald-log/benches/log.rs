//! Placeholder written by the coordinator so the workspace builds; replace it.
fn main() {}
