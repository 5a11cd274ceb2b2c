//! Integration tests of `herald-broker`, compiled into one test binary: one
//! binary per crate keeps link time and the target directory small
//! (every binary would otherwise link the whole dependency tree).
//! Run one module with `cargo test -p herald-broker --test integration <module>::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "../../../../tests/python/pydeps.rs"]
mod pydeps;
mod share_common;

mod admin;
mod api_versions;
mod confluent_producer;
mod data_plane;
mod groups_confluent;
mod groups_raw;
mod groups_rdkafka;
mod hostile_frames;
mod rdkafka_admin;
mod rdkafka_data;
mod share_consumers;
mod share_python;
mod share_queue_topic;
mod share_restart;
