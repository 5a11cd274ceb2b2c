//! The kinds of Avro compatibility finding.

/// What an Avro finding reports. The names are Apache Avro's
/// `SchemaIncompatibilityType`s, which Confluent reports, plus Herald's
/// warning for changed logical types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AvroFindingKind {
    /// A record, enum or fixed has a different name and no alias for the old one.
    NameMismatch,
    /// A fixed type changed its size.
    FixedSizeMismatch,
    /// The writer can produce enum symbols the reader does not know, and the
    /// reader enum has no default symbol.
    MissingEnumSymbols,
    /// A reader field has no counterpart in the writer and no default.
    ReaderFieldMissingDefaultValue,
    /// The writer's type cannot be read as the reader's type.
    TypeMismatch,
    /// The writer can produce a type the reader's union has no branch for.
    MissingUnionBranch,
    /// A reader field matches several writer fields through its aliases.
    AmbiguousFieldAlias,
    /// The logical type changed (decimal precision or scale, timestamp unit,
    /// added or removed). Data stays readable, its meaning may not: a warning.
    LogicalTypeChanged,
}

impl AvroFindingKind {
    /// The name Confluent reports (`TYPE_MISMATCH`, …); Herald's own kinds
    /// follow the same style.
    pub fn name(&self) -> &'static str {
        match self {
            AvroFindingKind::NameMismatch => "NAME_MISMATCH",
            AvroFindingKind::FixedSizeMismatch => "FIXED_SIZE_MISMATCH",
            AvroFindingKind::MissingEnumSymbols => "MISSING_ENUM_SYMBOLS",
            AvroFindingKind::ReaderFieldMissingDefaultValue => "READER_FIELD_MISSING_DEFAULT_VALUE",
            AvroFindingKind::TypeMismatch => "TYPE_MISMATCH",
            AvroFindingKind::MissingUnionBranch => "MISSING_UNION_BRANCH",
            AvroFindingKind::AmbiguousFieldAlias => "AMBIGUOUS_FIELD_ALIAS",
            AvroFindingKind::LogicalTypeChanged => "LOGICAL_TYPE_CHANGED",
        }
    }
}
