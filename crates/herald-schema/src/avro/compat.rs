//! Avro reader/writer compatibility. PLACEHOLDER.

use super::AvroSchema;
use crate::{Direction, Finding};

/// Compares `new` with `old` in `direction`.
pub(crate) fn check(new: &AvroSchema, old: &AvroSchema, direction: Direction) -> Vec<Finding> {
    let _ = (new, old, direction);
    Vec::new()
}
