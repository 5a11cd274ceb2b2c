//! Integration tests of `herald-schema`, compiled into one test binary: one
//! binary per crate keeps link time and the target directory small
//! (every binary would otherwise link the whole dependency tree).
//! Run one module with `cargo test -p herald-schema --test integration <module>::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod avro_canonical;
mod avro_compat;
mod avro_fuzz;
mod avro_props;
mod avro_stored;
mod avro_validation;
mod json_compat;
mod json_findings;
mod json_parse;
mod json_props;
