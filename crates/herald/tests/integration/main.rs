//! Integration tests of `herald`, compiled into one test binary: one
//! binary per crate keeps link time and the target directory small
//! (every binary would otherwise link the whole dependency tree).
//! Run one module with `cargo test -p herald --test integration <module>::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod bench_cli;
mod broker_cli;
mod compose;
mod data_cli;
mod keys_groups_cli;
mod schema_cli;
mod serve_cli;
