//! [`Serializer<T>`]: a type bound to a subject, encoding to the wire format.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use herald_schema::{CheckOptions, CompatibilityLevel, Previous, Schema, check, is_compatible};
use parking_lot::RwLock;
use serde::Serialize;
use uuid::Uuid;

use super::plan::{Plan, compile};
use super::{IdLocation, Local, SchemaSelection, SchemaSource, SerializerConfig};
use crate::ClientError;
use crate::registry::SchemaRegistryClient;
use crate::wire::{SchemaRef, schema_id_header};

/// A type `T` bound to its schema: encodes values for the topics it was
/// bound to, in the Confluent wire format. Cloning is cheap.
///
/// Guarantee: every payload it returns names (by id or GUID) a registered
/// schema that the payload's bytes were written with.
pub struct Serializer<T> {
    inner: Arc<Inner>,
    _type: PhantomData<fn(&T)>,
}

impl<T> Clone for Serializer<T> {
    fn clone(&self) -> Self {
        Serializer {
            inner: self.inner.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Serializer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serializer")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

struct Inner {
    registry: SchemaRegistryClient,
    local: Local,
    config: SerializerConfig,
    bound: RwLock<HashMap<String, Arc<Bound>>>,
}

/// What a topic was bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The subject.
    pub subject: String,
    /// The id of the schema payloads are written with.
    pub id: u32,
    /// Its GUID, when the registry reports one.
    pub guid: Option<Uuid>,
}

struct Bound {
    binding: Binding,
    write: Write,
}

/// One topic's binding, held by a producer of that topic so that encoding
/// skips the lookup [`Serializer::encode`] makes per value.
#[derive(Clone)]
pub(crate) struct BoundTopic(Arc<Bound>);

enum Write {
    /// Encode with the local schema: it is the registered one.
    Local,
    /// Encode with the local schema, then resolve into the registered one.
    Via(Plan),
    /// JSON, validated against the registered schema when asked.
    Json(Option<Arc<Schema>>),
}

/// An encoded record side: the payload and, in header mode, the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The bytes for the record's key or value.
    pub payload: Vec<u8>,
    /// The schema-id header to add (header mode only).
    pub header: Option<(&'static str, Vec<u8>)>,
}

impl<T: Serialize> Serializer<T> {
    /// Parses the local schema (fetching any references). No subject is
    /// touched until [`bind`](Self::bind).
    pub async fn new(
        registry: &SchemaRegistryClient,
        source: &SchemaSource,
        config: SerializerConfig,
    ) -> Result<Serializer<T>, ClientError> {
        let local = Local::parse(source, registry).await?;
        Ok(Serializer {
            inner: Arc::new(Inner {
                registry: registry.clone(),
                local,
                config,
                bound: RwLock::new(HashMap::new()),
            }),
            _type: PhantomData,
        })
    }

    /// Resolves the subject and schema for `topic` (registering, looking
    /// up, or checking compatibility, as the selection says). Fails with
    /// [`ClientError::Incompatible`] carrying the findings when the local
    /// type does not fit the subject.
    pub async fn bind(&self, topic: &str) -> Result<Binding, ClientError> {
        if let Some(b) = self.inner.bound.read().get(topic) {
            return Ok(b.binding.clone());
        }
        let bound = Arc::new(self.resolve(topic).await?);
        let binding = bound.binding.clone();
        self.inner.bound.write().insert(topic.to_owned(), bound);
        Ok(binding)
    }

    /// Encodes `value` for `topic`, which must have been bound. Never
    /// touches the network.
    pub fn encode(&self, topic: &str, value: &T) -> Result<Encoded, ClientError> {
        let bound = self.inner.bound.read().get(topic).cloned().ok_or_else(|| {
            ClientError::config(format!("serializer not bound to topic {topic:?}"))
        })?;
        self.encode_with(&bound, topic, value)
    }

    /// `topic`'s binding, if [`bind`](Self::bind) made one.
    pub(crate) fn bound_topic(&self, topic: &str) -> Option<BoundTopic> {
        self.inner.bound.read().get(topic).cloned().map(BoundTopic)
    }

    /// [`encode`](Self::encode) with the binding at hand; `topic` is the
    /// topic `bound` was made for (it names the topic in errors).
    pub(crate) fn encode_bound(
        &self,
        bound: &BoundTopic,
        topic: &str,
        value: &T,
    ) -> Result<Encoded, ClientError> {
        self.encode_with(&bound.0, topic, value)
    }

    /// Binds `topic` if needed, then encodes.
    pub async fn serialize(&self, topic: &str, value: &T) -> Result<Encoded, ClientError> {
        self.bind(topic).await?;
        self.encode(topic, value)
    }

    fn encode_with(&self, bound: &Bound, topic: &str, value: &T) -> Result<Encoded, ClientError> {
        let fail = |reason: String| ClientError::Encode {
            topic: topic.to_owned(),
            reason,
        };
        let header_mode = self.inner.config.id_location == IdLocation::Header;
        let mut payload = Vec::with_capacity(128);
        if !header_mode {
            SchemaRef::Id(bound.binding.id).write_to(&mut payload);
        }
        match &bound.write {
            Write::Local => {
                let codec = self
                    .inner
                    .local
                    .avro
                    .as_ref()
                    .ok_or_else(|| fail("no Avro codec".into()))?;
                codec.encode(value, &mut payload).map_err(fail)?;
            }
            Write::Via(plan) => {
                let codec = self
                    .inner
                    .local
                    .avro
                    .as_ref()
                    .ok_or_else(|| fail("no Avro codec".into()))?;
                let mut local = Vec::with_capacity(64);
                codec.encode(value, &mut local).map_err(fail)?;
                plan.transcode(&local, &mut payload).map_err(fail)?;
            }
            Write::Json(validate) => {
                let json = serde_json::to_value(value).map_err(|e| fail(e.to_string()))?;
                if let Some(Schema::Json(schema)) = validate.as_deref()
                    && let Err(errors) = schema.validate(&json)
                {
                    return Err(fail(format!(
                        "does not match the schema: {}",
                        errors.join("; ")
                    )));
                }
                serde_json::to_writer(&mut payload, &json).map_err(|e| fail(e.to_string()))?;
            }
        }
        let header = if header_mode {
            let guid = bound
                .binding
                .guid
                .ok_or_else(|| fail("header mode needs the schema's GUID".into()))?;
            Some((
                schema_id_header(self.inner.config.side),
                SchemaRef::Guid(guid).to_bytes(),
            ))
        } else {
            None
        };
        Ok(Encoded { payload, header })
    }

    async fn resolve(&self, topic: &str) -> Result<Bound, ClientError> {
        let config = &self.inner.config;
        let local = &self.inner.local;
        let registry = &self.inner.registry;
        let subject = config
            .strategy
            .subject(topic, config.side, local.record_name.as_deref())?;
        let request = local.request();
        let (id, version, guid, writer) = match config.selection {
            SchemaSelection::AutoRegister => {
                let r = registry
                    .register(&subject, &request, config.normalize)
                    .await
                    .map_err(|e| incompatible(&subject, e))?;
                (r.id, r.version, r.guid, None)
            }
            SchemaSelection::Registered => {
                let r = registry
                    .registered_id(&subject, &request, config.normalize)
                    .await
                    .map_err(|e| match e.error_code() {
                        Some(40401 | 40403) => ClientError::config(format!(
                            "the local schema is not registered under subject {subject:?}, and auto-registration is off"
                        )),
                        _ => e,
                    })?;
                (r.id, r.version, r.guid, None)
            }
            SchemaSelection::Latest {
                check_compatibility,
            } => {
                let latest = registry.latest(&subject).await?;
                let writer = registry.parsed_schema(SchemaRef::Id(latest.id)).await?;
                (
                    latest.id,
                    Some(latest.version),
                    latest.guid.clone(),
                    Some((writer, check_compatibility)),
                )
            }
            SchemaSelection::Id {
                id,
                check_compatibility,
            } => {
                let writer = registry.parsed_schema(SchemaRef::Id(id)).await?;
                (id, None, None, Some((writer, check_compatibility)))
            }
        };
        let write = match writer {
            None => match local.schema.as_ref() {
                Schema::Json(_) => Write::Json(config.validate.then(|| local.schema.clone())),
                _ => Write::Local,
            },
            Some((writer, check_it)) => {
                if check_it {
                    let findings = check(
                        CompatibilityLevel::Backward,
                        &writer,
                        &[Previous {
                            version: version.unwrap_or(0),
                            schema: &local.schema,
                        }],
                        &CheckOptions::default(),
                    );
                    if !is_compatible(&findings) {
                        return Err(ClientError::Incompatible {
                            subject,
                            messages: findings.into_iter().map(|f| f.message).collect(),
                        });
                    }
                }
                write_mode(local, &writer, config.validate, &subject)?
            }
        };
        let guid = match guid {
            Some(g) => Some(g),
            None => registry
                .schema_by_id(id)
                .await
                .ok()
                .and_then(|s| s.guid.clone()),
        };
        let guid = guid.and_then(|g| Uuid::parse_str(&g).ok());
        if config.id_location == IdLocation::Header && guid.is_none() {
            return Err(ClientError::config(format!(
                "header mode needs schema GUIDs, and the registry reports none for id {id}"
            )));
        }
        Ok(Bound {
            binding: Binding { subject, id, guid },
            write,
        })
    }
}

fn write_mode(
    local: &Local,
    writer: &Arc<Schema>,
    validate: bool,
    subject: &str,
) -> Result<Write, ClientError> {
    match (local.schema.as_ref(), writer.as_ref()) {
        (Schema::Avro(_), Schema::Avro(w)) => {
            let codec = local
                .avro
                .as_ref()
                .ok_or_else(|| ClientError::config("no Avro codec"))?;
            if w.parsing_canonical_form() == codec.pcf {
                return Ok(Write::Local);
            }
            let target = w.apache_avro_schema().map_err(|e| ClientError::Schema {
                what: format!("registered under {subject}"),
                reason: e.to_string(),
            })?;
            let plan =
                compile(&codec.apache, target).map_err(|reason| ClientError::Incompatible {
                    subject: subject.to_owned(),
                    messages: vec![reason],
                })?;
            Ok(Write::Via(plan))
        }
        (Schema::Json(_), Schema::Json(_)) => Ok(Write::Json(validate.then(|| writer.clone()))),
        (l, w) => Err(ClientError::Schema {
            what: format!("registered under {subject}"),
            reason: format!(
                "is {}, the local type is {}",
                w.schema_type(),
                l.schema_type()
            ),
        }),
    }
}

/// A 409 from registering carries the registry's findings.
fn incompatible(subject: &str, e: ClientError) -> ClientError {
    match e {
        ClientError::Registry {
            error_code: 40901,
            message,
            ..
        } => ClientError::Incompatible {
            subject: subject.to_owned(),
            messages: vec![message],
        },
        other => other,
    }
}
