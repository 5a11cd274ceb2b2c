//! Integration tests of `herald-registry`, compiled into one test binary: one
//! binary per crate keeps link time and the target directory small
//! (every binary would otherwise link the whole dependency tree).
//! Run one module with `cargo test -p herald-registry --test integration <module>::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "../../../../tests/python/pydeps.rs"]
mod pydeps;
#[path = "../../../../tests/support/tls_proxy.rs"]
mod tls_proxy;

mod api;
mod cluster;
mod cluster_tls;
mod compatibility;
mod concurrency;
mod confluent_topic;
mod guids;
mod python_client;
mod restart;
