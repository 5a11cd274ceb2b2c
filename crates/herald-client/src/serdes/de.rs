//! [`Deserializer<T>`]: reads the wire format into a type, resolving the
//! writer's schema into the reader's.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use herald_schema::Schema;
use parking_lot::RwLock;
use serde::de::DeserializeOwned;

use super::plan::{Plan, compile};
use super::{DeserializerConfig, Local, SchemaSource};
use crate::registry::SchemaRegistryClient;
use crate::wire::{SchemaRef, locate};
use crate::{ClientError, DecodeError};

/// Where a record came from, for the [`DecodeError`] a failure carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    /// The topic.
    pub topic: &'a str,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
}

/// Reads records into `T`. The writer's schema comes from the record; the
/// reader's is `T`'s. For Avro, a resolution plan is compiled once per
/// writer schema and cached; when both schemas have the same layout the
/// datum is decoded directly. Cloning is cheap.
pub struct Deserializer<T> {
    inner: Arc<Inner>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Deserializer<T> {
    fn clone(&self) -> Self {
        Deserializer {
            inner: self.inner.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Deserializer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deserializer")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

struct Inner {
    registry: SchemaRegistryClient,
    local: Local,
    config: DeserializerConfig,
    /// Successful plans only: a writer that could not be resolved is tried
    /// again next time (the registry may have been down).
    plans: RwLock<HashMap<SchemaRef, Arc<Read>>>,
}

enum Read {
    AvroDirect,
    AvroVia(Plan),
    Json(Option<Arc<Schema>>),
}

/// Why one record could not be read: transient (fetching its schema failed
/// and may succeed later) or about the record itself.
enum Failure {
    Transient(Box<ClientError>),
    Record(Option<SchemaRef>, String),
}

impl<T: DeserializeOwned> Deserializer<T> {
    /// Parses the local schema (fetching any references).
    pub async fn new(
        registry: &SchemaRegistryClient,
        source: &SchemaSource,
        config: DeserializerConfig,
    ) -> Result<Deserializer<T>, ClientError> {
        let local = Local::parse(source, registry).await?;
        Ok(Deserializer {
            inner: Arc::new(Inner {
                registry: registry.clone(),
                local,
                config,
                plans: RwLock::new(HashMap::new()),
            }),
            _type: PhantomData,
        })
    }

    /// Asks the registry whether the local type may read `topic`'s subject
    /// (its compatibility check at the subject's level, verbose). An
    /// unknown subject passes: there is nothing to disagree with yet.
    pub async fn check(&self, topic: &str) -> Result<(), ClientError> {
        let config = &self.inner.config;
        let subject =
            config
                .strategy
                .subject(topic, config.side, self.inner.local.record_name.as_deref())?;
        match self
            .inner
            .registry
            .check_compatibility(&subject, &self.inner.local.request())
            .await
        {
            Ok(c) if c.is_compatible => Ok(()),
            Ok(c) => Err(ClientError::Incompatible {
                subject,
                messages: c.messages,
            }),
            Err(e) if matches!(e.error_code(), Some(40401 | 40402)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Decodes one side of a record. `header` is the side's schema-id
    /// header, if the record has one. A malformed record is a
    /// [`ClientError::Decode`]; a registry that cannot be reached is
    /// reported as such (retriable), not as a bad record.
    pub async fn deserialize(
        &self,
        origin: Origin<'_>,
        header: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<T, ClientError> {
        match self.read(header, payload).await {
            Ok(v) => Ok(v),
            Err(Failure::Transient(e)) => Err(*e),
            Err(Failure::Record(schema, reason)) => Err(ClientError::Decode(DecodeError {
                topic: origin.topic.to_owned(),
                partition: origin.partition,
                offset: origin.offset,
                schema,
                reason,
            })),
        }
    }

    async fn read(&self, header: Option<&[u8]>, payload: &[u8]) -> Result<T, Failure> {
        let (reference, datum) =
            locate(header, payload).map_err(|e| Failure::Record(None, e.to_string()))?;
        let plan = self.plan(reference).await?;
        let bad = |reason: String| Failure::Record(Some(reference), reason);
        match plan.as_ref() {
            Read::AvroDirect => self.avro()?.decode(datum).map_err(bad),
            Read::AvroVia(plan) => {
                let mut resolved = Vec::with_capacity(datum.len() + 16);
                plan.transcode(datum, &mut resolved).map_err(bad)?;
                self.avro()?.decode(&resolved).map_err(bad)
            }
            Read::Json(None) => serde_json::from_slice(datum).map_err(|e| bad(e.to_string())),
            Read::Json(Some(schema)) => {
                let value: serde_json::Value =
                    serde_json::from_slice(datum).map_err(|e| bad(e.to_string()))?;
                if let Schema::Json(s) = schema.as_ref()
                    && let Err(errors) = s.validate(&value)
                {
                    return Err(bad(format!(
                        "does not match its schema: {}",
                        errors.join("; ")
                    )));
                }
                serde_json::from_value(value).map_err(|e| bad(e.to_string()))
            }
        }
    }

    fn avro(&self) -> Result<&super::avro::AvroCodec, Failure> {
        self.inner
            .local
            .avro
            .as_deref()
            .ok_or_else(|| Failure::Record(None, "the local type has no Avro schema".to_owned()))
    }

    async fn plan(&self, reference: SchemaRef) -> Result<Arc<Read>, Failure> {
        if let Some(p) = self.inner.plans.read().get(&reference) {
            return Ok(p.clone());
        }
        let writer = self
            .inner
            .registry
            .parsed_schema(reference)
            .await
            .map_err(|e| match e.error_code() {
                Some(40403) => Failure::Record(
                    Some(reference),
                    format!("the registry has no schema {reference}"),
                ),
                _ if e.is_retriable() => Failure::Transient(Box::new(e)),
                _ => Failure::Record(Some(reference), e.to_string()),
            })?;
        let bad = |reason: String| Failure::Record(Some(reference), reason);
        let read = match (self.inner.local.schema.as_ref(), writer.as_ref()) {
            (Schema::Avro(_), Schema::Avro(w)) => {
                let local = self.avro()?;
                if w.parsing_canonical_form() == local.pcf {
                    Read::AvroDirect
                } else {
                    let apache = w.apache_avro_schema().map_err(|e| bad(e.to_string()))?;
                    let plan = compile(apache, &local.apache).map_err(|e| {
                        bad(format!(
                            "the reader type cannot read the writer's schema: {e}"
                        ))
                    })?;
                    Read::AvroVia(plan)
                }
            }
            (Schema::Json(_), Schema::Json(_)) => {
                Read::Json(self.inner.config.validate.then(|| writer.clone()))
            }
            (l, w) => {
                return Err(bad(format!(
                    "written as {}, the reader type is {}",
                    w.schema_type(),
                    l.schema_type()
                )));
            }
        };
        let read = Arc::new(read);
        self.inner.plans.write().insert(reference, read.clone());
        Ok(read)
    }
}
