//! Avro reader/writer compatibility (temporary: filled in next).

use super::AvroSchema;
use crate::{Direction, Finding};

/// Compares `new` with `old` in `direction`.
pub fn check(new: &AvroSchema, old: &AvroSchema, direction: Direction) -> Vec<Finding> {
    let _ = (new.tree(), old.tree(), direction);
    Vec::new()
}
