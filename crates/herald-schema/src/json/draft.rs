//! The JSON Schema drafts Herald accepts, and how a document names its draft.

use std::fmt;

use serde_json::Value;

/// A JSON Schema draft (specification version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum JsonDraft {
    /// Draft 4 (`http://json-schema.org/draft-04/schema#`).
    Draft4,
    /// Draft 6 (`http://json-schema.org/draft-06/schema#`).
    Draft6,
    /// Draft 7 (`http://json-schema.org/draft-07/schema#`), the default when
    /// `$schema` is absent or names no draft Herald knows, as in Confluent.
    Draft7,
    /// Draft 2019-09 (`https://json-schema.org/draft/2019-09/schema`).
    Draft201909,
    /// Draft 2020-12 (`https://json-schema.org/draft/2020-12/schema`).
    Draft202012,
}

impl JsonDraft {
    /// The draft a document declares with `$schema`; draft 7 when it declares
    /// none or one Herald does not know (Confluent's loader does the same).
    pub fn of(document: &Value) -> JsonDraft {
        document
            .get("$schema")
            .and_then(Value::as_str)
            .and_then(JsonDraft::from_meta_schema_uri)
            .unwrap_or(JsonDraft::Draft7)
    }

    /// The draft a meta-schema URI names, accepting `http` or `https` and an
    /// optional empty fragment.
    pub fn from_meta_schema_uri(uri: &str) -> Option<JsonDraft> {
        let uri = uri.trim().trim_end_matches('#');
        let rest = uri
            .strip_prefix("https://")
            .or_else(|| uri.strip_prefix("http://"))?;
        match rest {
            "json-schema.org/draft-04/schema" => Some(JsonDraft::Draft4),
            "json-schema.org/draft-06/schema" => Some(JsonDraft::Draft6),
            "json-schema.org/draft-07/schema" => Some(JsonDraft::Draft7),
            "json-schema.org/draft/2019-09/schema" => Some(JsonDraft::Draft201909),
            "json-schema.org/draft/2020-12/schema" => Some(JsonDraft::Draft202012),
            _ => None,
        }
    }

    /// The keyword that gives a schema resource its URI (`id` before draft 6).
    pub(crate) fn id_keyword(self) -> &'static str {
        match self {
            JsonDraft::Draft4 => "id",
            _ => "$id",
        }
    }

    /// Whether `$ref` replaces its sibling keywords (drafts 4–7) rather than
    /// applying next to them (2019-09 onwards).
    pub(crate) fn ref_overrides_siblings(self) -> bool {
        self <= JsonDraft::Draft7
    }

    pub(crate) fn engine(self) -> jsonschema::Draft {
        match self {
            JsonDraft::Draft4 => jsonschema::Draft::Draft4,
            JsonDraft::Draft6 => jsonschema::Draft::Draft6,
            JsonDraft::Draft7 => jsonschema::Draft::Draft7,
            JsonDraft::Draft201909 => jsonschema::Draft::Draft201909,
            JsonDraft::Draft202012 => jsonschema::Draft::Draft202012,
        }
    }

    pub(crate) fn from_engine(draft: jsonschema::Draft) -> JsonDraft {
        match draft {
            jsonschema::Draft::Draft4 => JsonDraft::Draft4,
            jsonschema::Draft::Draft6 => JsonDraft::Draft6,
            jsonschema::Draft::Draft201909 => JsonDraft::Draft201909,
            jsonschema::Draft::Draft202012 => JsonDraft::Draft202012,
            _ => JsonDraft::Draft7,
        }
    }
}

impl fmt::Display for JsonDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonDraft::Draft4 => "draft 4",
            JsonDraft::Draft6 => "draft 6",
            JsonDraft::Draft7 => "draft 7",
            JsonDraft::Draft201909 => "draft 2019-09",
            JsonDraft::Draft202012 => "draft 2020-12",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn draft_comes_from_schema_keyword_with_draft7_default() {
        assert_eq!(JsonDraft::of(&json!({})), JsonDraft::Draft7);
        assert_eq!(JsonDraft::of(&json!(true)), JsonDraft::Draft7);
        assert_eq!(
            JsonDraft::of(&json!({"$schema": "http://json-schema.org/draft-04/schema#"})),
            JsonDraft::Draft4
        );
        assert_eq!(
            JsonDraft::of(&json!({"$schema": "https://json-schema.org/draft-06/schema"})),
            JsonDraft::Draft6
        );
        assert_eq!(
            JsonDraft::of(&json!({"$schema": "https://json-schema.org/draft/2019-09/schema"})),
            JsonDraft::Draft201909
        );
        assert_eq!(
            JsonDraft::of(&json!({"$schema": "https://json-schema.org/draft/2020-12/schema#"})),
            JsonDraft::Draft202012
        );
        assert_eq!(
            JsonDraft::of(&json!({"$schema": "http://example.com/my-meta"})),
            JsonDraft::Draft7
        );
        for d in [
            JsonDraft::Draft4,
            JsonDraft::Draft6,
            JsonDraft::Draft7,
            JsonDraft::Draft201909,
            JsonDraft::Draft202012,
        ] {
            assert_eq!(JsonDraft::from_engine(d.engine()), d);
        }
    }
}
