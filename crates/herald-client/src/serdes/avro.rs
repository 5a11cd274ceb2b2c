//! Avro datums straight from and into serde types, with `serde_avro_fast`
//! (no `apache_avro::types::Value` in between; see `benches/avro_serde.rs`
//! for the comparison with apache-avro's serde path that picked it).

use herald_schema::avro::AvroSchema;

use crate::ClientError;

/// One Avro schema in the forms the codec needs.
pub(crate) struct AvroCodec {
    /// The apache-avro model, which resolution plans are compiled from.
    pub(crate) apache: apache_avro::Schema,
    /// The serde_avro_fast model, which encodes and decodes.
    pub(crate) fast: serde_avro_fast::Schema,
    /// Parsing Canonical Form: equal forms mean equal binary layouts.
    pub(crate) pcf: String,
}

impl std::fmt::Debug for AvroCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroCodec")
            .field("pcf", &self.pcf)
            .finish_non_exhaustive()
    }
}

impl AvroCodec {
    pub(crate) fn new(schema: &AvroSchema, what: &str) -> Result<AvroCodec, ClientError> {
        let bad = |reason: String| ClientError::Schema {
            what: what.to_owned(),
            reason,
        };
        let apache = schema
            .apache_avro_schema()
            .map_err(|e| bad(e.to_string()))?
            .clone();
        // apache-avro's model is self-contained (referenced named types are
        // inlined at first use), which is what serde_avro_fast needs.
        let json = serde_json::to_string(&apache).map_err(|e| bad(e.to_string()))?;
        let fast: serde_avro_fast::Schema = json
            .parse()
            .map_err(|e: serde_avro_fast::schema::SchemaError| bad(e.to_string()))?;
        Ok(AvroCodec {
            apache,
            fast,
            pcf: schema.parsing_canonical_form().to_owned(),
        })
    }

    /// Appends `value`'s datum to `out`.
    pub(crate) fn encode<T: serde::Serialize + ?Sized>(
        &self,
        value: &T,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let mut config = serde_avro_fast::ser::SerializerConfig::new(&self.fast);
        serde_avro_fast::to_datum(value, out, &mut config)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Reads a `T` from a datum written with this schema.
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(&self, datum: &[u8]) -> Result<T, String> {
        serde_avro_fast::from_datum_slice(datum, &self.fast).map_err(|e| e.to_string())
    }
}
