//! A client for the Confluent Schema Registry REST API (Herald's registry,
//! Confluent's, Karapace, …).
//!
//! Caching follows what the ids mean: a schema id or GUID names one schema
//! forever, so id → schema and GUID → schema are cached without expiry, as
//! is "this schema is registered under this subject with this id"; a
//! subject's latest version changes, so it is cached for
//! [`RegistryConfig::latest_ttl`]. Errors are never cached: the next call asks
//! again.

mod cache;
mod endpoints;
mod http;
mod types;

use std::collections::HashMap;
use std::sync::Arc;

use herald_schema::{MapResolver, NoReferences, Reference, ResolvedReference, Schema};
use parking_lot::{Mutex, RwLock};
use uuid::Uuid;

pub use endpoints::{DeletedFilter, Normalize};
pub use http::{Auth, RegistryConfig};
pub use types::{
    Compatibility, ConfigEntry, ContextId, ModeEntry, Registered, SchemaRequest, SchemaText,
    ServerVersion, SubjectSchema, SubjectVersion,
};

use crate::ClientError;
use crate::wire::SchemaRef;
use cache::TtlCache;
use http::Http;

/// How many subjects' latest versions are kept.
const LATEST_CAPACITY: usize = 1000;

/// A registry client. Cloning is cheap and clones share the caches.
#[derive(Debug, Clone)]
pub struct SchemaRegistryClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: Http,
    by_id: RwLock<HashMap<u32, Arc<SchemaText>>>,
    by_guid: RwLock<HashMap<Uuid, Arc<SchemaText>>>,
    parsed: RwLock<HashMap<SchemaRef, Arc<Schema>>>,
    registered: RwLock<HashMap<(String, String, bool), Registered>>,
    latest: Mutex<TtlCache<String, Arc<SubjectSchema>>>,
}

impl SchemaRegistryClient {
    /// A client for the registry `config` names. No request is made yet.
    pub fn new(config: RegistryConfig) -> Result<SchemaRegistryClient, ClientError> {
        let ttl = config.latest_ttl;
        Ok(SchemaRegistryClient {
            inner: Arc::new(Inner {
                http: Http::new(config)?,
                by_id: RwLock::new(HashMap::new()),
                by_guid: RwLock::new(HashMap::new()),
                parsed: RwLock::new(HashMap::new()),
                registered: RwLock::new(HashMap::new()),
                latest: Mutex::new(TtlCache::new(ttl, LATEST_CAPACITY)),
            }),
        })
    }

    /// A client for comma-separated `urls` with default settings.
    pub fn with_urls(urls: &str) -> Result<SchemaRegistryClient, ClientError> {
        SchemaRegistryClient::new(RegistryConfig::new(urls))
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &RegistryConfig {
        self.inner.http.config()
    }

    fn http(&self) -> &Http {
        &self.inner.http
    }

    /// The schema a record's framing names, by id or GUID (cached forever).
    pub async fn schema_by_ref(
        &self,
        reference: SchemaRef,
    ) -> Result<Arc<SchemaText>, ClientError> {
        match reference {
            SchemaRef::Id(id) => self.schema_by_id(id).await,
            SchemaRef::Guid(guid) => self.schema_by_guid(guid).await,
        }
    }

    /// The schema a record's framing names, parsed with its references
    /// resolved (cached forever: an id always names the same schema).
    pub async fn parsed_schema(&self, reference: SchemaRef) -> Result<Arc<Schema>, ClientError> {
        if let Some(s) = self.inner.parsed.read().get(&reference) {
            return Ok(s.clone());
        }
        let text = self.schema_by_ref(reference).await?;
        let schema = Arc::new(self.parse(&text, &format!("{reference}")).await?);
        self.inner.parsed.write().insert(reference, schema.clone());
        Ok(schema)
    }

    /// Parses `text`, fetching every schema it references, transitively.
    pub async fn parse(&self, text: &SchemaText, what: &str) -> Result<Schema, ClientError> {
        let format = text.format()?;
        let invalid = |e: herald_schema::SchemaError| ClientError::Schema {
            what: what.to_owned(),
            reason: e.to_string(),
        };
        if text.references.is_empty() {
            return Schema::parse(format, &text.schema, &[], &NoReferences).map_err(invalid);
        }
        let resolver = self.resolver(&text.references).await?;
        Schema::parse(format, &text.schema, &text.references, &resolver).map_err(invalid)
    }

    /// Fetches the transitive closure of `references` into a resolver.
    async fn resolver(&self, references: &[Reference]) -> Result<MapResolver, ClientError> {
        let mut resolver = MapResolver::new();
        let mut pending: Vec<Reference> = references.to_vec();
        let mut seen = std::collections::HashSet::new();
        // Bounded by the number of distinct (subject, version) pairs; a
        // cycle ends because each pair is fetched once.
        while let Some(r) = pending.pop() {
            if !seen.insert((r.subject.clone(), r.version)) {
                continue;
            }
            let version = self.version(&r.subject, Version::Number(r.version)).await?;
            pending.extend(version.references.iter().cloned());
            resolver.insert(
                r.subject.clone(),
                r.version,
                ResolvedReference {
                    schema_type: types::parse_type(version.schema_type.as_deref())?,
                    text: version.schema.clone(),
                    references: version.references.clone(),
                },
            );
        }
        Ok(resolver)
    }

    /// The subject's latest version, cached for the configured TTL.
    pub async fn latest(&self, subject: &str) -> Result<Arc<SubjectSchema>, ClientError> {
        if let Some(hit) = self.inner.latest.lock().get(&subject.to_owned()) {
            return Ok(hit);
        }
        let latest = Arc::new(self.version(subject, Version::Latest).await?);
        self.inner
            .latest
            .lock()
            .insert(subject.to_owned(), latest.clone());
        Ok(latest)
    }

    /// Forgets the cached latest version of `subject`.
    pub fn forget_latest(&self, subject: &str) {
        self.inner.latest.lock().remove(&subject.to_owned());
    }
}

/// A version of a subject, as the API's `{version}` path segment takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// The newest live version.
    Latest,
    /// A version number (1, 2, …).
    Number(i32),
}

impl Version {
    fn segment(self) -> String {
        match self {
            Version::Latest => "latest".to_owned(),
            Version::Number(n) => n.to_string(),
        }
    }
}
