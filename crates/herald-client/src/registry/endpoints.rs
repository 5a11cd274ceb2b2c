//! One method per registry endpoint (Confluent's REST API, registry.md
//! §1.3). Paths are built from segments, so subjects are percent-encoded.

use std::sync::Arc;

use reqwest::Method;
use uuid::Uuid;

use super::http::json_body;
use super::types::{
    Compatibility, ConfigEntry, ContextId, ModeEntry, Registered, SchemaRequest, SchemaText,
    ServerVersion, SubjectSchema, SubjectVersion,
};
use super::{SchemaRegistryClient, Version};
use crate::ClientError;

/// Whether the registry canonicalizes a schema before registering or
/// looking it up (`normalize=true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Normalize {
    /// Send the schema as it is (Confluent's default).
    #[default]
    No,
    /// Ask the registry to normalize it.
    Yes,
}

impl Normalize {
    fn query(self) -> (&'static str, String) {
        ("normalize", (self == Normalize::Yes).to_string())
    }
}

/// Which versions a list or lookup sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeletedFilter {
    /// Live versions only (the default).
    #[default]
    Live,
    /// Live and soft-deleted versions (`deleted=true`).
    Include,
    /// Soft-deleted versions only (`deletedOnly=true`).
    Only,
}

impl DeletedFilter {
    fn query(self) -> Vec<(&'static str, String)> {
        match self {
            DeletedFilter::Live => vec![],
            DeletedFilter::Include => vec![("deleted", "true".to_owned())],
            DeletedFilter::Only => vec![("deletedOnly", "true".to_owned())],
        }
    }
}

fn permanent(p: bool) -> Vec<(&'static str, String)> {
    if p {
        vec![("permanent", "true".to_owned())]
    } else {
        vec![]
    }
}

impl SchemaRegistryClient {
    /// `GET /schemas/ids/{id}`: the schema with that id (cached forever).
    pub async fn schema_by_id(&self, id: u32) -> Result<Arc<SchemaText>, ClientError> {
        if let Some(s) = self.inner.by_id.read().get(&id) {
            return Ok(s.clone());
        }
        let id_text = id.to_string();
        let text: Arc<SchemaText> = Arc::new(
            self.http()
                .json(Method::GET, &["schemas", "ids", &id_text], &[], None)
                .await?,
        );
        self.inner.by_id.write().insert(id, text.clone());
        Ok(text)
    }

    /// `GET /schemas/guids/{guid}`: the schema with that GUID (cached forever).
    pub async fn schema_by_guid(&self, guid: Uuid) -> Result<Arc<SchemaText>, ClientError> {
        if let Some(s) = self.inner.by_guid.read().get(&guid) {
            return Ok(s.clone());
        }
        let g = guid.to_string();
        let text: Arc<SchemaText> = Arc::new(
            self.http()
                .json(Method::GET, &["schemas", "guids", &g], &[], None)
                .await?,
        );
        self.inner.by_guid.write().insert(guid, text.clone());
        Ok(text)
    }

    /// `GET /schemas/guids/{guid}/ids`: the ids the GUID has per context.
    pub async fn ids_by_guid(&self, guid: Uuid) -> Result<Vec<ContextId>, ClientError> {
        let g = guid.to_string();
        self.http()
            .json(Method::GET, &["schemas", "guids", &g, "ids"], &[], None)
            .await
    }

    /// `GET /schemas/ids/{id}/schema`: the raw schema text.
    pub async fn raw_schema_by_id(&self, id: u32) -> Result<String, ClientError> {
        self.http()
            .text(&["schemas", "ids", &id.to_string(), "schema"], &[])
            .await
    }

    /// `GET /schemas/ids/{id}/subjects`: the subjects that hold the id.
    pub async fn subjects_by_id(
        &self,
        id: u32,
        deleted: DeletedFilter,
    ) -> Result<Vec<String>, ClientError> {
        self.http()
            .json(
                Method::GET,
                &["schemas", "ids", &id.to_string(), "subjects"],
                &deleted.query(),
                None,
            )
            .await
    }

    /// `GET /schemas/ids/{id}/versions`: the (subject, version) pairs of the id.
    pub async fn versions_by_id(
        &self,
        id: u32,
        deleted: DeletedFilter,
    ) -> Result<Vec<SubjectVersion>, ClientError> {
        self.http()
            .json(
                Method::GET,
                &["schemas", "ids", &id.to_string(), "versions"],
                &deleted.query(),
                None,
            )
            .await
    }

    /// `GET /schemas`: registered schemas whose subject starts with
    /// `subject_prefix`; only each subject's latest when `latest_only`.
    pub async fn schemas(
        &self,
        subject_prefix: &str,
        latest_only: bool,
        deleted: DeletedFilter,
    ) -> Result<Vec<SubjectSchema>, ClientError> {
        let mut query = deleted.query();
        query.push(("subjectPrefix", subject_prefix.to_owned()));
        query.push(("latestOnly", latest_only.to_string()));
        self.http()
            .json(Method::GET, &["schemas"], &query, None)
            .await
    }

    /// `GET /schemas/types`: the formats the registry accepts.
    pub async fn schema_types(&self) -> Result<Vec<String>, ClientError> {
        self.http()
            .json(Method::GET, &["schemas", "types"], &[], None)
            .await
    }

    /// `GET /subjects`: every subject.
    pub async fn subjects(&self, deleted: DeletedFilter) -> Result<Vec<String>, ClientError> {
        self.http()
            .json(Method::GET, &["subjects"], &deleted.query(), None)
            .await
    }

    /// `GET /subjects/{s}/versions`: the subject's version numbers.
    pub async fn versions(
        &self,
        subject: &str,
        deleted: DeletedFilter,
    ) -> Result<Vec<i32>, ClientError> {
        self.http()
            .json(
                Method::GET,
                &["subjects", subject, "versions"],
                &deleted.query(),
                None,
            )
            .await
    }

    /// `GET /subjects/{s}/versions/{v}`: one version (not cached; see
    /// [`latest`](Self::latest) for the cached latest version).
    pub async fn version(
        &self,
        subject: &str,
        version: Version,
    ) -> Result<SubjectSchema, ClientError> {
        self.http()
            .json(
                Method::GET,
                &["subjects", subject, "versions", &version.segment()],
                &[],
                None,
            )
            .await
    }

    /// `GET /subjects/{s}/versions/{v}/schema`: one version's raw text.
    pub async fn raw_version(
        &self,
        subject: &str,
        version: Version,
    ) -> Result<String, ClientError> {
        self.http()
            .text(
                &[
                    "subjects",
                    subject,
                    "versions",
                    &version.segment(),
                    "schema",
                ],
                &[],
            )
            .await
    }

    /// `GET /subjects/{s}/versions/{v}/referencedby`: ids of schemas that
    /// reference this version.
    pub async fn referenced_by(
        &self,
        subject: &str,
        version: Version,
    ) -> Result<Vec<u32>, ClientError> {
        self.http()
            .json(
                Method::GET,
                &[
                    "subjects",
                    subject,
                    "versions",
                    &version.segment(),
                    "referencedby",
                ],
                &[],
                None,
            )
            .await
    }

    /// `GET /subjects/{s}/metadata`: the latest version whose metadata
    /// properties include every pair given.
    pub async fn latest_with_metadata(
        &self,
        subject: &str,
        properties: &[(&str, &str)],
    ) -> Result<SubjectSchema, ClientError> {
        let mut query = Vec::new();
        for (k, v) in properties {
            query.push(("key", (*k).to_owned()));
            query.push(("value", (*v).to_owned()));
        }
        self.http()
            .json(
                Method::GET,
                &["subjects", subject, "metadata"],
                &query,
                None,
            )
            .await
    }

    /// `POST /subjects/{s}/versions`: registers a schema (or returns the
    /// existing id). Successful answers are cached per (subject, schema).
    pub async fn register(
        &self,
        subject: &str,
        schema: &SchemaRequest,
        normalize: Normalize,
    ) -> Result<Registered, ClientError> {
        let key = (
            subject.to_owned(),
            cache_key(schema),
            normalize == Normalize::Yes,
        );
        if let Some(hit) = self.inner.registered.read().get(&key) {
            return Ok(hit.clone());
        }
        let registered: Registered = self
            .http()
            .json(
                Method::POST,
                &["subjects", subject, "versions"],
                &[normalize.query()],
                json_body(schema)?,
            )
            .await?;
        self.forget_latest(subject);
        self.inner
            .registered
            .write()
            .insert(key, registered.clone());
        Ok(registered)
    }

    /// `POST /subjects/{s}`: is this schema registered under the subject?
    /// Successful answers are cached per (subject, schema).
    pub async fn lookup(
        &self,
        subject: &str,
        schema: &SchemaRequest,
        normalize: Normalize,
    ) -> Result<SubjectSchema, ClientError> {
        self.http()
            .json(
                Method::POST,
                &["subjects", subject],
                &[normalize.query()],
                json_body(schema)?,
            )
            .await
    }

    /// The id of `schema` under `subject` without registering it (a cached
    /// [`lookup`](Self::lookup)).
    pub async fn registered_id(
        &self,
        subject: &str,
        schema: &SchemaRequest,
        normalize: Normalize,
    ) -> Result<Registered, ClientError> {
        let key = (
            subject.to_owned(),
            cache_key(schema),
            normalize == Normalize::Yes,
        );
        if let Some(hit) = self.inner.registered.read().get(&key) {
            return Ok(hit.clone());
        }
        let found = self.lookup(subject, schema, normalize).await?;
        let registered = Registered {
            id: found.id,
            version: Some(found.version),
            guid: found.guid,
        };
        self.inner
            .registered
            .write()
            .insert(key, registered.clone());
        Ok(registered)
    }

    /// `DELETE /subjects/{s}`: deletes a subject (soft, or hard after a
    /// soft delete when `permanent`); returns the versions deleted.
    pub async fn delete_subject(
        &self,
        subject: &str,
        permanent_delete: bool,
    ) -> Result<Vec<i32>, ClientError> {
        self.forget_latest(subject);
        self.http()
            .json(
                Method::DELETE,
                &["subjects", subject],
                &permanent(permanent_delete),
                None,
            )
            .await
    }

    /// `DELETE /subjects/{s}/versions/{v}`: deletes one version.
    pub async fn delete_version(
        &self,
        subject: &str,
        version: Version,
        permanent_delete: bool,
    ) -> Result<i32, ClientError> {
        self.forget_latest(subject);
        self.http()
            .json(
                Method::DELETE,
                &["subjects", subject, "versions", &version.segment()],
                &permanent(permanent_delete),
                None,
            )
            .await
    }

    /// `POST /compatibility/subjects/{s}/versions/{v}?verbose=true`: may
    /// `schema` follow that version under the subject's compatibility level?
    pub async fn check_against(
        &self,
        subject: &str,
        version: Version,
        schema: &SchemaRequest,
    ) -> Result<Compatibility, ClientError> {
        self.http()
            .json(
                Method::POST,
                &[
                    "compatibility",
                    "subjects",
                    subject,
                    "versions",
                    &version.segment(),
                ],
                &[("verbose", "true".to_owned())],
                json_body(schema)?,
            )
            .await
    }

    /// `POST /compatibility/subjects/{s}/versions?verbose=true`: may
    /// `schema` join the subject, checked against the versions its level names?
    pub async fn check_compatibility(
        &self,
        subject: &str,
        schema: &SchemaRequest,
    ) -> Result<Compatibility, ClientError> {
        self.http()
            .json(
                Method::POST,
                &["compatibility", "subjects", subject, "versions"],
                &[("verbose", "true".to_owned())],
                json_body(schema)?,
            )
            .await
    }

    /// `GET /config` (or `GET /config/{s}` for a subject; with
    /// `default_to_global` the global level fills in when the subject has none).
    pub async fn config_of(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Result<ConfigEntry, ClientError> {
        let query = [("defaultToGlobal", default_to_global.to_string())];
        match subject {
            Some(s) => {
                self.http()
                    .json(Method::GET, &["config", s], &query, None)
                    .await
            }
            None => {
                self.http()
                    .json(Method::GET, &["config"], &query, None)
                    .await
            }
        }
    }

    /// `PUT /config` / `PUT /config/{s}`: sets the compatibility level.
    pub async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: herald_schema::CompatibilityLevel,
    ) -> Result<ConfigEntry, ClientError> {
        let body = json_body(&serde_json::json!({ "compatibility": level.as_str() }))?;
        match subject {
            Some(s) => {
                self.http()
                    .json(Method::PUT, &["config", s], &[], body)
                    .await
            }
            None => self.http().json(Method::PUT, &["config"], &[], body).await,
        }
    }

    /// `DELETE /config` / `DELETE /config/{s}`: removes the configuration,
    /// returning what it was.
    pub async fn delete_config(&self, subject: Option<&str>) -> Result<ConfigEntry, ClientError> {
        match subject {
            Some(s) => {
                self.http()
                    .json(Method::DELETE, &["config", s], &[], None)
                    .await
            }
            None => {
                self.http()
                    .json(Method::DELETE, &["config"], &[], None)
                    .await
            }
        }
    }

    /// `GET /mode` / `GET /mode/{s}`.
    pub async fn mode(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Result<ModeEntry, ClientError> {
        let query = [("defaultToGlobal", default_to_global.to_string())];
        match subject {
            Some(s) => {
                self.http()
                    .json(Method::GET, &["mode", s], &query, None)
                    .await
            }
            None => self.http().json(Method::GET, &["mode"], &query, None).await,
        }
    }

    /// `PUT /mode` / `PUT /mode/{s}` (`force` for IMPORT over live schemas).
    pub async fn set_mode(
        &self,
        subject: Option<&str>,
        mode: &str,
        force: bool,
    ) -> Result<ModeEntry, ClientError> {
        let body = json_body(&ModeEntry {
            mode: mode.to_owned(),
        })?;
        let query = [("force", force.to_string())];
        match subject {
            Some(s) => {
                self.http()
                    .json(Method::PUT, &["mode", s], &query, body)
                    .await
            }
            None => self.http().json(Method::PUT, &["mode"], &query, body).await,
        }
    }

    /// `DELETE /mode` / `DELETE /mode/{s}`: returns the previous mode.
    pub async fn delete_mode(&self, subject: Option<&str>) -> Result<ModeEntry, ClientError> {
        match subject {
            Some(s) => {
                self.http()
                    .json(Method::DELETE, &["mode", s], &[], None)
                    .await
            }
            None => self.http().json(Method::DELETE, &["mode"], &[], None).await,
        }
    }

    /// `GET /contexts`: the registry's contexts (`.` is the default).
    pub async fn contexts(&self) -> Result<Vec<String>, ClientError> {
        self.http()
            .json(Method::GET, &["contexts"], &[], None)
            .await
    }

    /// `DELETE /contexts/{ctx}`: deletes an empty context.
    pub async fn delete_context(&self, context: &str) -> Result<(), ClientError> {
        let _: serde_json::Value = self
            .http()
            .json(Method::DELETE, &["contexts", context], &[], None)
            .await
            .or_else(|e| match e {
                // 204 has no body; the JSON parse of nothing fails harmlessly.
                ClientError::Registry {
                    status: 200,
                    error_code: 50005,
                    ..
                } => Ok(serde_json::Value::Null),
                other => Err(other),
            })?;
        Ok(())
    }

    /// `POST /subjects/{s}/versions/{v}/tags`: adds and removes schema
    /// tags, registering the result as a new version.
    pub async fn update_tags(
        &self,
        subject: &str,
        version: Version,
        request: &serde_json::Value,
    ) -> Result<Registered, ClientError> {
        self.forget_latest(subject);
        self.http()
            .json(
                Method::POST,
                &["subjects", subject, "versions", &version.segment(), "tags"],
                &[],
                json_body(request)?,
            )
            .await
    }

    /// `GET /v1/metadata/id`: the registry's cluster ids.
    pub async fn cluster_metadata(&self) -> Result<serde_json::Value, ClientError> {
        self.http()
            .json(Method::GET, &["v1", "metadata", "id"], &[], None)
            .await
    }

    /// `GET /v1/metadata/version`: the registry's version.
    pub async fn server_version(&self) -> Result<ServerVersion, ClientError> {
        self.http()
            .json(Method::GET, &["v1", "metadata", "version"], &[], None)
            .await
    }
}

/// The cache key of a schema request: its text, format and references.
fn cache_key(schema: &SchemaRequest) -> String {
    serde_json::to_string(schema).unwrap_or_else(|_| schema.schema.clone())
}
