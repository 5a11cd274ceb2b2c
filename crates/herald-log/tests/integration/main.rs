//! Integration tests of `herald-log`, compiled into one test binary: one
//! binary per crate keeps link time and the target directory small
//! (every binary would otherwise link the whole dependency tree).
//! Run one module with `cargo test -p herald-log --test integration <module>::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod append_read;
mod concurrency;
mod garbage;
mod log_dir;
mod maintenance;
mod model;
mod recovery;
