//! Integration tests of `herald-client`, compiled into one test binary: one
//! binary per crate keeps link time and the target directory small
//! (every binary would otherwise link the whole dependency tree).
//! Run one module with `cargo test -p herald-client --test integration <module>::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod membership;
mod registry_endpoints;
mod sasl_front;
mod secure_connections;
mod share_consumer;
#[path = "../../../../tests/support/tls_proxy.rs"]
mod tls_proxy;
mod transport;
