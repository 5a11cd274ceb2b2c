//! JSON in, Confluent wire format out, and back: how `produce` encodes a
//! line with a registered schema and `consume` turns a record into JSON.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use herald_client::SchemaRegistryClient;
use herald_client::registry::{DeletedFilter, Normalize, SchemaRequest, SubjectVersion};
use herald_client::wire::{SchemaRef, frame_with_id};
use herald_schema::Schema;
use serde_json::Value;

/// Encodes JSON values with one registered schema.
#[derive(Debug, Clone)]
pub(crate) enum Encoder {
    /// Avro: JSON is resolved against the schema (unions take a plain value,
    /// missing fields take their defaults), then written as Avro binary.
    Avro {
        /// The schema id written in front.
        id: u32,
        /// The schema as the encoder models it.
        schema: Arc<apache_avro::Schema>,
    },
    /// JSON Schema: the document is validated, then written as JSON text.
    Json {
        /// The schema id written in front.
        id: u32,
        /// The schema, for validation.
        schema: Arc<Schema>,
    },
}

impl Encoder {
    /// An encoder for schema `id`, parsed as `schema`.
    pub fn new(id: u32, schema: Arc<Schema>) -> anyhow::Result<Encoder> {
        match &*schema {
            Schema::Avro(avro) => Ok(Encoder::Avro {
                id,
                schema: Arc::new(
                    avro.apache_avro_schema()
                        .context("preparing the Avro encoder")?
                        .clone(),
                ),
            }),
            Schema::Json(_) => Ok(Encoder::Json { id, schema }),
            _ => anyhow::bail!("schema {id} has a format herald produce cannot write"),
        }
    }

    /// The framed payload for `value`, or why it does not match the schema.
    pub fn encode(&self, value: &Value) -> Result<Vec<u8>, String> {
        match self {
            Encoder::Avro { id, schema } => {
                let avro = apache_avro::types::Value::try_from(value.clone())
                    .map_err(|e| format!("cannot be read as Avro: {e}"))?;
                let resolved = avro
                    .resolve(schema)
                    .map_err(|e| format!("does not match the Avro schema: {e}"))?;
                let datum = apache_avro::writer::datum::GenericDatumWriter::builder(schema)
                    .build()
                    .and_then(|w| w.write_value_to_vec(resolved))
                    .map_err(|e| format!("cannot be written as Avro: {e}"))?;
                Ok(frame_with_id(*id, &datum))
            }
            Encoder::Json { id, schema } => {
                if let Schema::Json(json) = &**schema {
                    json.validate(value).map_err(|errors| {
                        format!("does not match the JSON Schema: {}", errors.join("; "))
                    })?;
                }
                let text = serde_json::to_vec(value).map_err(|e| e.to_string())?;
                Ok(frame_with_id(*id, &text))
            }
        }
    }
}

/// Decodes framed payloads, fetching each writer schema once.
#[derive(Debug)]
pub(crate) struct Decoder {
    registry: SchemaRegistryClient,
    avro: HashMap<SchemaRef, Arc<apache_avro::Schema>>,
    /// The subjects and versions of each schema id shown so far.
    versions: HashMap<u32, Vec<SubjectVersion>>,
    /// The id of each schema GUID shown so far, where one was found.
    guid_ids: HashMap<SchemaRef, Option<u32>>,
}

impl Decoder {
    /// A decoder that looks schemas up in `registry`.
    pub fn new(registry: SchemaRegistryClient) -> Decoder {
        Decoder {
            registry,
            avro: HashMap::new(),
            versions: HashMap::new(),
            guid_ids: HashMap::new(),
        }
    }

    /// The JSON for a record's key or value, and which schema wrote it.
    /// `header` is the record's `__key_schema_id` / `__value_schema_id`
    /// header (Confluent's header framing): when there is one, `bytes` is
    /// the bare datum. Bytes without any framing are shown as JSON when
    /// they are JSON, as a string when they are UTF-8, else as
    /// `{"hex": …}`.
    pub async fn decode_with(
        &mut self,
        bytes: &[u8],
        header: Option<&[u8]>,
    ) -> Result<(Value, Option<SchemaRef>), String> {
        let (reference, payload) = match header {
            Some(h) => {
                let (reference, _) =
                    SchemaRef::split(h).map_err(|e| format!("schema header: {e}"))?;
                (reference, bytes)
            }
            None => {
                let framed = matches!(bytes.first(), Some(0) | Some(1)) && bytes.len() > 5;
                if !framed {
                    return Ok((plain(bytes), None));
                }
                SchemaRef::split(bytes).map_err(|e| e.to_string())?
            }
        };
        self.decode_datum(reference, payload)
            .await
            .map(|v| (v, Some(reference)))
    }

    /// Which registered schema `reference` is, for a person: its id (and
    /// GUID when the record named it so) with the subject and version
    /// holding it, the one named `preferred_subject` when several do.
    pub async fn describe(&mut self, reference: SchemaRef, preferred_subject: &str) -> Value {
        let mut out = serde_json::Map::new();
        let id = match reference {
            SchemaRef::Id(id) => id,
            SchemaRef::Guid(guid) => {
                out.insert("guid".to_owned(), Value::String(guid.to_string()));
                if !self.guid_ids.contains_key(&reference) {
                    let id = self.id_of_guid(reference, preferred_subject).await;
                    self.guid_ids.insert(reference, id);
                }
                match self.guid_ids.get(&reference).copied().flatten() {
                    Some(id) => id,
                    None => return Value::Object(out),
                }
            }
        };
        out.insert("id".to_owned(), Value::from(id));
        if !self.versions.contains_key(&id) {
            // A registry that cannot say still leaves the id to show.
            let found = self
                .registry
                .versions_by_id(id, DeletedFilter::Include)
                .await
                .unwrap_or_default();
            self.versions.insert(id, found);
        }
        let versions = self
            .versions
            .get(&id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if let Some(v) = versions
            .iter()
            .find(|v| v.subject == preferred_subject)
            .or_else(|| versions.first())
        {
            out.insert("subject".to_owned(), Value::String(v.subject.clone()));
            out.insert("version".to_owned(), Value::from(v.version));
        }
        Value::Object(out)
    }

    /// The id of the schema a GUID names, in the default context: as the
    /// registry lists it, or else as `subject` has it registered (a
    /// registry need not serve `GET /schemas/guids/{guid}/ids`).
    async fn id_of_guid(&self, reference: SchemaRef, subject: &str) -> Option<u32> {
        if let SchemaRef::Guid(guid) = reference
            && let Ok(ids) = self.registry.ids_by_guid(guid).await
            && let Some(c) = ids
                .iter()
                .find(|c| c.context.is_empty() || c.context == ".")
        {
            return Some(c.id);
        }
        let text = self.registry.schema_by_ref(reference).await.ok()?;
        let request = SchemaRequest {
            schema: text.schema.clone(),
            schema_type: text.schema_type.clone(),
            references: text.references.clone(),
        };
        self.registry
            .lookup(subject, &request, Normalize::No)
            .await
            .ok()
            .map(|found| found.id)
    }

    async fn decode_datum(
        &mut self,
        reference: SchemaRef,
        payload: &[u8],
    ) -> Result<Value, String> {
        if let Some(schema) = self.avro.get(&reference) {
            return avro_to_json(schema, payload);
        }
        let schema = self
            .registry
            .parsed_schema(reference)
            .await
            .map_err(|e| format!("writer schema {reference}: {e}"))?;
        match &*schema {
            Schema::Avro(a) => {
                let apache = Arc::new(
                    a.apache_avro_schema()
                        .map_err(|e| format!("writer schema {reference}: {e}"))?
                        .clone(),
                );
                self.avro.insert(reference, apache.clone());
                avro_to_json(&apache, payload)
            }
            Schema::Json(_) => serde_json::from_slice(payload)
                .map_err(|e| format!("the payload of a JSON Schema record is not JSON: {e}")),
            _ => Err(format!(
                "writer schema {reference} has an unsupported format"
            )),
        }
    }
}

fn avro_to_json(schema: &apache_avro::Schema, mut payload: &[u8]) -> Result<Value, String> {
    let value = apache_avro::reader::datum::GenericDatumReader::builder(schema)
        .build()
        .and_then(|r| r.read_value(&mut payload))
        .map_err(|e| format!("not valid Avro for its writer schema: {e}"))?;
    Value::try_from(value).map_err(|e| format!("cannot be shown as JSON: {e}"))
}

/// Unframed bytes as JSON.
pub(crate) fn plain(bytes: &[u8]) -> Value {
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        return v;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Value::String(s.to_owned()),
        Err(_) => {
            serde_json::json!({ "hex": bytes.iter().map(|b| format!("{b:02x}")).collect::<String>() })
        }
    }
}

#[cfg(test)]
mod tests {
    use herald_schema::{NoReferences, SchemaType};

    use super::*;

    const ORDER: &str = r#"{"type":"record","name":"Order","fields":[
        {"name":"id","type":"string"},
        {"name":"qty","type":"int","default":1},
        {"name":"coupon","type":["null","string"],"default":null},
        {"name":"status","type":{"type":"enum","name":"S","symbols":["A","B"]},"default":"A"}]}"#;

    fn avro_encoder() -> Encoder {
        let s = Schema::parse(SchemaType::Avro, ORDER, &[], &NoReferences).unwrap();
        Encoder::new(7, Arc::new(s)).unwrap()
    }

    #[test]
    fn avro_lines_take_plain_json_and_defaults_and_read_back() {
        let enc = avro_encoder();
        let bytes = enc
            .encode(&serde_json::json!({"id": "o-1", "coupon": "X", "status": "B"}))
            .unwrap();
        assert_eq!(&bytes[..5], &[0, 0, 0, 0, 7]);
        let Encoder::Avro { schema, .. } = &enc else {
            unreachable!()
        };
        let back = avro_to_json(schema, &bytes[5..]).unwrap();
        assert_eq!(
            back,
            serde_json::json!({"id": "o-1", "qty": 1, "coupon": "X", "status": "B"})
        );
    }

    #[test]
    fn values_that_do_not_fit_are_refused_with_a_reason() {
        let enc = avro_encoder();
        for bad in [
            serde_json::json!({"qty": 2}),
            serde_json::json!({"id": 5}),
            serde_json::json!({"id": "x", "status": "Z"}),
            serde_json::json!([1, 2]),
        ] {
            let err = enc.encode(&bad).unwrap_err();
            assert!(
                err.starts_with("does not match the Avro schema"),
                "{bad}: {err}"
            );
        }
        let json = Schema::parse(
            SchemaType::Json,
            r#"{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}"#,
            &[],
            &NoReferences,
        )
        .unwrap();
        let enc = Encoder::new(3, Arc::new(json)).unwrap();
        assert!(enc.encode(&serde_json::json!({"n": 1})).is_ok());
        let err = enc.encode(&serde_json::json!({"n": "one"})).unwrap_err();
        assert!(err.starts_with("does not match the JSON Schema"), "{err}");
    }

    #[test]
    fn unframed_bytes_are_shown_as_json_text_or_hex() {
        assert_eq!(plain(b"{\"a\":1}"), serde_json::json!({"a": 1}));
        assert_eq!(plain(b"o-1"), serde_json::json!("o-1"));
        assert_eq!(plain(&[0xff, 0x00]), serde_json::json!({"hex": "ff00"}));
    }
}
