//! Resolving schema references against the registry's own state.

use herald_schema::{Reference, ReferenceError, ReferenceResolver, ResolvedReference, Schema};

use crate::subject::QualifiedSubject;

use super::{State, StoredSchema, VersionSpec};

/// Resolves references as the registry does: a reference's subject is read
/// in the referring schema's context unless it names its own, and version
/// `-1` means the latest version. Soft-deleted versions still resolve, so a
/// schema that referenced them stays readable.
#[derive(Debug, Clone, Copy)]
pub struct StateResolver<'a> {
    state: &'a State,
    context: &'a str,
}

impl<'a> StateResolver<'a> {
    /// A resolver for schemas of `context`.
    pub fn new(state: &'a State, context: &'a str) -> Self {
        StateResolver { state, context }
    }
}

impl ReferenceResolver for StateResolver<'_> {
    fn resolve(&self, reference: &Reference) -> Result<ResolvedReference, ReferenceError> {
        let subject = QualifiedSubject::in_context(self.context, &reference.subject).qualified();
        let spec = if reference.version == -1 {
            VersionSpec::Latest
        } else {
            VersionSpec::Number(reference.version)
        };
        let found =
            self.state
                .version(&subject, spec, true)
                .map_err(|_| ReferenceError::NotFound {
                    name: reference.name.clone(),
                    subject: reference.subject.clone(),
                    version: reference.version,
                })?;
        Ok(ResolvedReference {
            schema_type: found.schema.schema_type,
            text: found.schema.text.to_string(),
            references: found.schema.references.clone(),
        })
    }
}

impl StoredSchema {
    /// The parsed schema, parsed on first use against `state` (for its
    /// references) as a stored schema: defaults that a newer registry would
    /// refuse in a new schema (as found in topics Confluent wrote) are kept.
    /// A stored schema that does not parse (a format Herald does not read,
    /// such as Protobuf) yields the reason.
    pub fn parsed(&self, state: &State) -> Result<Schema, String> {
        let parsed = self.parsed.get_or_init(|| {
            Box::new(
                Schema::parse_stored(
                    self.schema_type,
                    &self.text,
                    &self.references,
                    &StateResolver::new(state, &self.context),
                )
                .map_err(|e| e.to_string()),
            )
        });
        Result::clone(parsed)
    }
}
