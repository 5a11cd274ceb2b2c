//! Avro name rules: identifiers, namespaces and how a written name becomes
//! a full name.

use super::model::{Name, Primitive};

/// Whether `s` is an Avro identifier: `[A-Za-z_][A-Za-z0-9_]*`.
///
/// Java Avro also admits non-ASCII letters; the Avro specification and the
/// `apache-avro` crate (which Herald's SDK encodes with) do not, so neither
/// does Herald.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Why `s` is not an identifier, for error messages.
pub(crate) fn identifier_problem(what: &str, s: &str) -> String {
    if s.is_empty() {
        format!("{what} is empty")
    } else {
        format!(
            "{what} {s:?} is not a valid Avro name: it must start with a letter or `_` and contain only letters, digits and `_`"
        )
    }
}

/// Checks a namespace: empty, or dot-separated identifiers.
pub(crate) fn check_namespace(space: &str) -> Result<(), String> {
    if space.is_empty() || space.split('.').all(is_identifier) {
        Ok(())
    } else {
        Err(format!(
            "namespace {space:?} is not valid: it must be dot-separated names, each starting with a letter or `_` and containing only letters, digits and `_`"
        ))
    }
}

/// Builds the full name of a named type from its `name` attribute, its
/// `namespace` attribute (if any) and the namespace in force, as Java does:
/// a dotted name carries its own namespace; otherwise the `namespace`
/// attribute wins over the enclosing one; an empty namespace means none.
pub(crate) fn full_name(
    written: &str,
    namespace_attr: Option<&str>,
    enclosing: Option<&str>,
) -> Result<Name, String> {
    let (space, short) = match written.rfind('.') {
        Some(dot) => (Some(&written[..dot]), &written[dot + 1..]),
        None => (namespace_attr.or(enclosing), written),
    };
    if !is_identifier(short) {
        return Err(identifier_problem("name", short));
    }
    if let Some(space) = space {
        check_namespace(space)?;
    }
    let name = Name::new(short, space);
    if Primitive::from_name(&name.full).is_some() {
        return Err(format!(
            "a named type may not be called `{}`, which is a primitive type",
            name.full
        ));
    }
    Ok(name)
}

/// The full name a type reference `written` means inside namespace `space`.
pub(crate) fn qualify(written: &str, space: Option<&str>) -> String {
    match space {
        Some(space) if !space.is_empty() && !written.contains('.') => format!("{space}.{written}"),
        _ => written.strip_prefix('.').unwrap_or(written).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_identifier("a"));
        assert!(is_identifier("_a1"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier("a-b"));
        assert!(!is_identifier("é"));
    }

    #[test]
    fn full_names_follow_java() {
        let n = full_name("Foo", None, Some("a.b")).unwrap();
        assert_eq!(n.full, "a.b.Foo");
        let n = full_name("Foo", Some("x"), Some("a.b")).unwrap();
        assert_eq!(n.full, "x.Foo");
        let n = full_name("c.Foo", Some("x"), Some("a.b")).unwrap();
        assert_eq!(
            (n.full.as_str(), n.name(), n.space()),
            ("c.Foo", "Foo", Some("c"))
        );
        let n = full_name("Foo", Some(""), Some("a.b")).unwrap();
        assert_eq!(n.full, "Foo");
        let n = full_name(".Foo", None, Some("a.b")).unwrap();
        assert_eq!(n.full, "Foo");
        assert!(full_name("int", None, None).is_err());
        assert!(full_name("x.int", None, None).is_ok());
        assert!(full_name("1a.Foo", None, None).is_err());
        assert!(full_name("Fo o", None, None).is_err());
    }

    #[test]
    fn qualify_references() {
        assert_eq!(qualify("Foo", Some("a")), "a.Foo");
        assert_eq!(qualify("b.Foo", Some("a")), "b.Foo");
        assert_eq!(qualify("Foo", None), "Foo");
        assert_eq!(qualify(".Foo", Some("a")), "Foo");
    }
}
