//! Why a text is not a valid Avro schema.

/// Why a text is not a valid Avro schema. Every variant says where (a JSON
/// pointer into the document concerned, `""` for its root) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AvroError {
    /// The text is not JSON.
    #[error("the schema is not valid JSON (line {line}, column {column}): {reason}")]
    Json {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the JSON parser expected.
        reason: String,
    },
    /// The JSON is not a valid Avro schema.
    #[error("invalid Avro schema at {}: {reason}", display_pointer(pointer))]
    Invalid {
        /// JSON pointer to the offending place in the submitted schema.
        pointer: String,
        /// What is wrong and, where it helps, how to fix it.
        reason: String,
    },
    /// A referenced schema is not a valid Avro schema.
    #[error(
        "referenced schema {name:?} (subject {subject:?}, version {version}) is invalid at {}: {reason}",
        display_pointer(pointer)
    )]
    Reference {
        /// The reference's name.
        name: String,
        /// The subject it points at.
        subject: String,
        /// The version it points at.
        version: i32,
        /// JSON pointer into the referenced schema.
        pointer: String,
        /// What is wrong.
        reason: String,
    },
    /// The schema is valid Avro, but the `apache-avro` crate that Herald's
    /// SDK encodes with cannot use it (for example a `uuid` default that is
    /// not a UUID).
    #[error("the schema cannot be used by Herald's Avro encoder (apache-avro): {reason}")]
    Unsupported {
        /// The encoder's complaint.
        reason: String,
    },
}

impl AvroError {
    /// The JSON pointer of the problem (`""` when it concerns the whole text).
    pub fn pointer(&self) -> &str {
        match self {
            AvroError::Invalid { pointer, .. } | AvroError::Reference { pointer, .. } => pointer,
            AvroError::Json { .. } | AvroError::Unsupported { .. } => "",
        }
    }

    /// What is wrong, without the location.
    pub fn reason(&self) -> &str {
        match self {
            AvroError::Json { reason, .. }
            | AvroError::Invalid { reason, .. }
            | AvroError::Reference { reason, .. }
            | AvroError::Unsupported { reason } => reason,
        }
    }
}

fn display_pointer(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}
