//! Subject name strategies: which registry subject a topic's keys or values
//! are checked against.

use crate::ClientError;

/// The side of a record a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The record key.
    Key,
    /// The record value.
    Value,
}

impl Side {
    /// `key` or `value`, as subject suffixes spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Key => "key",
            Side::Value => "value",
        }
    }
}

/// How a subject name is derived, as Confluent's serializers do it. Key and
/// value are configured independently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` / `<topic>-value`: one lineage per topic side (the default).
    #[default]
    TopicName,
    /// The record's full name (Avro `namespace.name`, JSON Schema `title`):
    /// one lineage per type, shared across topics and sides.
    RecordName,
    /// `<topic>-<record full name>`: many types per topic, evolution scoped
    /// per topic.
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// The subject for `side` of `topic` whose schema's record name is
    /// `record` (`None` when the schema has no name). Fails when the strategy
    /// needs a record name the schema does not have.
    pub fn subject(
        self,
        topic: &str,
        side: Side,
        record: Option<&str>,
    ) -> Result<String, ClientError> {
        let named = || {
            record.filter(|r| !r.is_empty()).ok_or_else(|| ClientError::Config {
                reason: format!(
                    "{self:?} strategy needs a named schema (an Avro record/enum/fixed or a JSON Schema with a title)"
                ),
            })
        };
        Ok(match self {
            SubjectNameStrategy::TopicName => format!("{topic}-{}", side.as_str()),
            SubjectNameStrategy::RecordName => named()?.to_owned(),
            SubjectNameStrategy::TopicRecordName => format!("{topic}-{}", named()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_name_subjects_as_confluent_does() {
        let s = SubjectNameStrategy::TopicName;
        assert_eq!(
            s.subject("orders", Side::Value, None).unwrap(),
            "orders-value"
        );
        assert_eq!(
            s.subject("orders", Side::Key, Some("a.B")).unwrap(),
            "orders-key"
        );
        let s = SubjectNameStrategy::RecordName;
        assert_eq!(
            s.subject("orders", Side::Value, Some("acme.Order"))
                .unwrap(),
            "acme.Order"
        );
        assert_eq!(
            s.subject("x", Side::Key, Some("acme.Order")).unwrap(),
            "acme.Order"
        );
        let s = SubjectNameStrategy::TopicRecordName;
        assert_eq!(
            s.subject("orders", Side::Value, Some("acme.Order"))
                .unwrap(),
            "orders-acme.Order"
        );
    }

    #[test]
    fn record_strategies_need_a_name() {
        for s in [
            SubjectNameStrategy::RecordName,
            SubjectNameStrategy::TopicRecordName,
        ] {
            assert!(s.subject("t", Side::Value, None).is_err());
            assert!(s.subject("t", Side::Value, Some("")).is_err());
        }
        assert_eq!(
            SubjectNameStrategy::default(),
            SubjectNameStrategy::TopicName
        );
    }
}
