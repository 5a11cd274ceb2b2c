//! Qualified subject names: a subject may carry a context prefix
//! (`:.ctx:orders-value`); a subject without one lives in the default
//! context `.`. Ids are allocated per context.

use crate::RegistryError;

/// The default context's name.
pub const DEFAULT_CONTEXT: &str = ".";

/// A subject split into its context and its name within the context.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedSubject {
    /// The context (`.` or `.ctx`).
    pub context: String,
    /// The name within the context; empty for the context itself (the key
    /// its context-level config and mode are stored under).
    pub name: String,
}

impl QualifiedSubject {
    /// Splits a subject as clients send it. `:.ctx:name` is `name` in
    /// context `.ctx`; anything else is a name in the default context.
    pub fn parse(subject: &str) -> QualifiedSubject {
        if let Some(rest) = subject.strip_prefix(":.")
            && let Some(colon) = rest.find(':')
        {
            let context = format!(".{}", &rest[..colon]);
            let name = rest[colon + 1..].to_owned();
            let context = if context == "." {
                DEFAULT_CONTEXT.to_owned()
            } else {
                context
            };
            return QualifiedSubject { context, name };
        }
        QualifiedSubject {
            context: DEFAULT_CONTEXT.to_owned(),
            name: subject.to_owned(),
        }
    }

    /// The subject in a context; `name` may itself be qualified, in which
    /// case its own context wins.
    pub fn in_context(context: &str, name: &str) -> QualifiedSubject {
        let parsed = QualifiedSubject::parse(name);
        if parsed.context != DEFAULT_CONTEXT || name.starts_with(":.") {
            return parsed;
        }
        QualifiedSubject {
            context: normalize_context(context),
            name: name.to_owned(),
        }
    }

    /// The canonical spelling: `name` in the default context, `:.ctx:name`
    /// elsewhere. This is the key the state machine and `_schemas` use.
    pub fn qualified(&self) -> String {
        if self.context == DEFAULT_CONTEXT {
            self.name.clone()
        } else {
            format!(":{}:{}", self.context, self.name)
        }
    }

    /// Whether this names a context rather than a subject in it.
    pub fn is_context_level(&self) -> bool {
        self.name.is_empty()
    }
}

/// A context name with its leading dot (`ctx` → `.ctx`).
pub fn normalize_context(context: &str) -> String {
    if context.is_empty() || context == DEFAULT_CONTEXT {
        DEFAULT_CONTEXT.to_owned()
    } else if context.starts_with('.') {
        context.to_owned()
    } else {
        format!(".{context}")
    }
}

/// Checks a subject a client wants to write to: not empty, no control
/// characters, not one of the reserved context markers (42208 otherwise).
pub fn validate(subject: &str) -> Result<QualifiedSubject, RegistryError> {
    let q = QualifiedSubject::parse(subject);
    let invalid = q.name.trim().is_empty()
        || subject.chars().any(char::is_control)
        || q.context == ".__GLOBAL"
        || q.context == ".__EMPTY"
        || q.context.contains('*');
    if invalid {
        return Err(RegistryError::InvalidSubject {
            subject: subject.to_owned(),
        });
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_parse_and_print() {
        let q = QualifiedSubject::parse(":.prod:orders");
        assert_eq!((q.context.as_str(), q.name.as_str()), (".prod", "orders"));
        assert_eq!(q.qualified(), ":.prod:orders");
        let d = QualifiedSubject::parse("orders");
        assert_eq!(
            (d.context.as_str(), d.qualified().as_str()),
            (".", "orders")
        );
        // The default context spelled out is the plain name.
        assert_eq!(QualifiedSubject::parse(":.:orders").qualified(), "orders");
        // A context on its own.
        let c = QualifiedSubject::parse(":.prod:");
        assert!(c.is_context_level());
        assert_eq!(c.qualified(), ":.prod:");
        // A colon that is not a context prefix is part of the name.
        assert_eq!(QualifiedSubject::parse("a:b").qualified(), "a:b");
    }

    #[test]
    fn in_context_keeps_an_explicit_context() {
        assert_eq!(
            QualifiedSubject::in_context("prod", "x").qualified(),
            ":.prod:x"
        );
        assert_eq!(
            QualifiedSubject::in_context(".prod", ":.dev:x").qualified(),
            ":.dev:x"
        );
        assert_eq!(QualifiedSubject::in_context(".", "x").qualified(), "x");
    }

    #[test]
    fn invalid_subjects_are_refused() {
        for s in ["", "  ", "a\u{1}b", ":.__GLOBAL:x", ":.prod:"] {
            assert!(validate(s).is_err(), "{s:?}");
        }
        assert!(validate("orders-value").is_ok());
    }
}
