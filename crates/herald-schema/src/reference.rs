//! Schema references: a schema may use named types or documents that are
//! registered elsewhere (Confluent's `references`: name, subject, version).
//!
//! This crate does no I/O, so the caller supplies a [`ReferenceResolver`]; the
//! registry answers from its state, the CLI from its manifest.

use std::collections::{HashMap, HashSet};

use crate::SchemaType;

/// One entry of a registration's `references` array.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Reference {
    /// How the referring schema names it: an Avro full name (`com.acme.Money`)
    /// or a JSON Schema `$ref` URI (`money.json`).
    pub name: String,
    /// The subject the referenced schema is registered under.
    pub subject: String,
    /// The version of that subject (`-1` is resolved to the latest by the caller).
    pub version: i32,
}

/// A referenced schema as the resolver found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedReference {
    /// Its format; it must match the referring schema's.
    pub schema_type: SchemaType,
    /// Its text.
    pub text: String,
    /// Its own references, resolved in turn.
    pub references: Vec<Reference>,
}

/// Why a reference could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The resolver knows no such subject/version.
    #[error(
        "reference {name:?} points at subject {subject:?} version {version}, which does not exist"
    )]
    NotFound {
        /// The reference's name.
        name: String,
        /// The subject it points at.
        subject: String,
        /// The version it points at.
        version: i32,
    },
    /// Following references leads back to a schema already being resolved.
    #[error("reference cycle: {}", chain.join(" -> "))]
    Cycle {
        /// The subjects and versions on the cycle, in the order they were followed.
        chain: Vec<String>,
    },
    /// A referenced schema has another format than the referring one.
    #[error("reference {name:?} is a {found} schema, but the referring schema is {expected}")]
    TypeMismatch {
        /// The reference's name.
        name: String,
        /// The referring schema's type.
        expected: SchemaType,
        /// The referenced schema's type.
        found: SchemaType,
    },
    /// Two references in the closure use one name for different schemas.
    #[error("reference name {name:?} is used for two different schemas")]
    DuplicateName {
        /// The name used twice.
        name: String,
    },
}

/// Supplies the schemas that references point at.
pub trait ReferenceResolver {
    /// Looks a reference up. Returning an error stops parsing with that error.
    fn resolve(&self, reference: &Reference) -> Result<ResolvedReference, ReferenceError>;
}

/// A resolver for schemas that have no references: any reference is an error.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReferences;

impl ReferenceResolver for NoReferences {
    fn resolve(&self, reference: &Reference) -> Result<ResolvedReference, ReferenceError> {
        Err(not_found(reference))
    }
}

/// A resolver over an in-memory map of (subject, version) to schema, for the
/// CLI's manifest and for tests.
#[derive(Debug, Clone, Default)]
pub struct MapResolver {
    schemas: HashMap<(String, i32), ResolvedReference>,
}

impl MapResolver {
    /// An empty resolver.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `schema` resolvable as `subject` at `version`.
    pub fn insert(&mut self, subject: impl Into<String>, version: i32, schema: ResolvedReference) {
        self.schemas.insert((subject.into(), version), schema);
    }
}

impl ReferenceResolver for MapResolver {
    fn resolve(&self, reference: &Reference) -> Result<ResolvedReference, ReferenceError> {
        self.schemas
            .get(&(reference.subject.clone(), reference.version))
            .cloned()
            .ok_or_else(|| not_found(reference))
    }
}

fn not_found(reference: &Reference) -> ReferenceError {
    ReferenceError::NotFound {
        name: reference.name.clone(),
        subject: reference.subject.clone(),
        version: reference.version,
    }
}

/// A referenced schema together with the reference that named it.
#[derive(Debug, Clone)]
pub(crate) struct Dependency {
    pub reference: Reference,
    pub resolved: ResolvedReference,
}

/// Resolves the transitive closure of `references`, dependencies before the
/// schemas that use them, each (subject, version) once. A cycle is an error,
/// never a hang, and every referenced schema must be of `schema_type`.
pub(crate) fn resolve_closure(
    schema_type: SchemaType,
    references: &[Reference],
    resolver: &dyn ReferenceResolver,
) -> Result<Vec<Dependency>, ReferenceError> {
    struct Walk<'a> {
        schema_type: SchemaType,
        resolver: &'a dyn ReferenceResolver,
        done: HashSet<(String, i32)>,
        names: HashMap<String, (String, i32)>,
        stack: Vec<(String, i32)>,
        out: Vec<Dependency>,
    }

    impl Walk<'_> {
        fn visit(&mut self, reference: &Reference) -> Result<(), ReferenceError> {
            let key = (reference.subject.clone(), reference.version);
            match self.names.get(&reference.name) {
                Some(existing) if *existing != key => {
                    return Err(ReferenceError::DuplicateName {
                        name: reference.name.clone(),
                    });
                }
                _ => {
                    self.names.insert(reference.name.clone(), key.clone());
                }
            }
            if self.done.contains(&key) {
                return Ok(());
            }
            if self.stack.contains(&key) {
                let mut chain: Vec<String> = self
                    .stack
                    .iter()
                    .skip_while(|k| **k != key)
                    .map(|(s, v)| format!("{s}/{v}"))
                    .collect();
                chain.push(format!("{}/{}", key.0, key.1));
                return Err(ReferenceError::Cycle { chain });
            }
            let resolved = self.resolver.resolve(reference)?;
            if resolved.schema_type != self.schema_type {
                return Err(ReferenceError::TypeMismatch {
                    name: reference.name.clone(),
                    expected: self.schema_type,
                    found: resolved.schema_type,
                });
            }
            self.stack.push(key.clone());
            for inner in &resolved.references {
                self.visit(inner)?;
            }
            self.stack.pop();
            self.done.insert(key);
            self.out.push(Dependency {
                reference: reference.clone(),
                resolved,
            });
            Ok(())
        }
    }

    let mut walk = Walk {
        schema_type,
        resolver,
        done: HashSet::new(),
        names: HashMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for reference in references {
        walk.visit(reference)?;
    }
    Ok(walk.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str, subject: &str) -> Reference {
        Reference {
            name: name.into(),
            subject: subject.into(),
            version: 1,
        }
    }

    fn schema(refs: Vec<Reference>) -> ResolvedReference {
        ResolvedReference {
            schema_type: SchemaType::Avro,
            text: "\"string\"".into(),
            references: refs,
        }
    }

    #[test]
    fn closure_orders_dependencies_first_and_dedupes() {
        let mut m = MapResolver::new();
        m.insert("a", 1, schema(vec![r("B", "b"), r("C", "c")]));
        m.insert("b", 1, schema(vec![r("C", "c")]));
        m.insert("c", 1, schema(vec![]));
        let order: Vec<String> = resolve_closure(SchemaType::Avro, &[r("A", "a")], &m)
            .unwrap()
            .into_iter()
            .map(|d| d.reference.subject)
            .collect();
        assert_eq!(order, ["c", "b", "a"]);
    }

    #[test]
    fn cycle_is_an_error_not_a_hang() {
        let mut m = MapResolver::new();
        m.insert("a", 1, schema(vec![r("B", "b")]));
        m.insert("b", 1, schema(vec![r("A", "a")]));
        let err = resolve_closure(SchemaType::Avro, &[r("A", "a")], &m).unwrap_err();
        assert_eq!(
            err,
            ReferenceError::Cycle {
                chain: vec!["a/1".into(), "b/1".into(), "a/1".into()]
            }
        );
    }

    #[test]
    fn missing_and_mistyped_references_are_errors() {
        let mut m = MapResolver::new();
        m.insert(
            "j",
            1,
            ResolvedReference {
                schema_type: SchemaType::Json,
                text: "{}".into(),
                references: vec![],
            },
        );
        assert!(matches!(
            resolve_closure(SchemaType::Avro, &[r("X", "missing")], &m),
            Err(ReferenceError::NotFound { .. })
        ));
        assert!(matches!(
            resolve_closure(SchemaType::Avro, &[r("J", "j")], &m),
            Err(ReferenceError::TypeMismatch { .. })
        ));
    }
}
