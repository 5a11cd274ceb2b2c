//! Which keywords hold subschemas, so walks never mistake data (`enum`,
//! `const`, `default`, `examples`) for schemas.

use serde_json::{Map, Value};

use super::JsonDraft;

/// Keywords whose value is one subschema.
const SINGLE: &[&str] = &[
    "additionalItems",
    "additionalProperties",
    "contains",
    "contentSchema",
    "else",
    "if",
    "not",
    "propertyNames",
    "then",
    "unevaluatedItems",
    "unevaluatedProperties",
];

/// Keywords whose value is an array of subschemas.
const LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

/// Keywords whose value is an object of subschemas.
const MAP: &[&str] = &[
    "$defs",
    "definitions",
    "dependentSchemas",
    "patternProperties",
    "properties",
    "dependencies",
];

/// Calls `on_node` for `root` and every subschema below it, depth first, with
/// the JSON pointer of each. `on_node` returns the context its children see
/// (for example the base URI after an `$id`), or `None` to skip them.
pub(crate) fn walk<C>(
    root: &Value,
    draft: JsonDraft,
    context: &C,
    on_node: &mut dyn FnMut(&Value, &str, &C) -> Option<C>,
) {
    let mut pointer = String::new();
    visit(root, draft, &mut pointer, context, on_node);
}

fn visit<C>(
    value: &Value,
    draft: JsonDraft,
    pointer: &mut String,
    context: &C,
    on_node: &mut dyn FnMut(&Value, &str, &C) -> Option<C>,
) {
    let Some(inner) = on_node(value, pointer, context) else {
        return;
    };
    let Value::Object(map) = value else {
        return;
    };
    for_each_child(map, draft, &mut |step: Step<'_>, child: &Value| {
        let len = pointer.len();
        step.push_onto(pointer);
        visit(child, draft, pointer, &inner, on_node);
        pointer.truncate(len);
    });
}

/// Whether `pred` holds for `root` (`true` as second argument) or any
/// subschema below it; stops at the first that does. No pointers are built.
fn any_subschema(root: &Value, draft: JsonDraft, pred: &dyn Fn(&Value, bool) -> bool) -> bool {
    fn go(
        value: &Value,
        draft: JsonDraft,
        is_root: bool,
        pred: &dyn Fn(&Value, bool) -> bool,
    ) -> bool {
        if pred(value, is_root) {
            return true;
        }
        let Value::Object(map) = value else {
            return false;
        };
        let mut found = false;
        for_each_child(map, draft, &mut |_, child| {
            found = found || go(child, draft, false, pred);
        });
        found
    }
    go(root, draft, true, pred)
}

/// Where a subschema sits under its parent: a keyword, an index into a
/// keyword's array, or a member of a keyword's object.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(&'a str, usize),
    Member(&'a str, &'a str),
}

impl Step<'_> {
    fn push_onto(self, pointer: &mut String) {
        let (key, rest) = match self {
            Step::Key(k) => (k, None),
            Step::Index(k, i) => (k, Some(Err(i))),
            Step::Member(k, m) => (k, Some(Ok(m))),
        };
        pointer.push('/');
        push_escaped(pointer, key);
        match rest {
            Some(Ok(member)) => {
                pointer.push('/');
                push_escaped(pointer, member);
            }
            Some(Err(index)) => {
                use std::fmt::Write as _;
                let _ = write!(pointer, "/{index}");
            }
            None => {}
        }
    }
}

/// Calls `f` with the place and value of each direct subschema of `map`.
fn for_each_child(map: &Map<String, Value>, draft: JsonDraft, f: &mut dyn FnMut(Step<'_>, &Value)) {
    for (key, value) in map {
        let key = key.as_str();
        if SINGLE.contains(&key) || (key == "items" && !value.is_array()) {
            if is_schema(value) {
                f(Step::Key(key), value);
            }
        } else if LIST.contains(&key) || key == "items" {
            if let Value::Array(items) = value {
                for (i, item) in items.iter().enumerate() {
                    if is_schema(item) {
                        f(Step::Index(key, i), item);
                    }
                }
            }
        } else if MAP.contains(&key)
            && !(key == "$defs" && draft < JsonDraft::Draft201909)
            && let Value::Object(members) = value
        {
            for (name, member) in members {
                if is_schema(member) {
                    f(Step::Member(key, name), member);
                }
            }
        }
    }
}

fn is_schema(value: &Value) -> bool {
    value.is_object() || value.is_boolean()
}

/// Appends `segment` to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub(crate) fn push_escaped(pointer: &mut String, segment: &str) {
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// `/segment` as an escaped JSON pointer.
pub(crate) fn pointer_of(segments: &[&str]) -> String {
    let mut p = String::new();
    for s in segments {
        p.push('/');
        push_escaped(&mut p, s);
    }
    p
}

/// Whether `root` uses any reference keyword anywhere.
pub(crate) fn has_references(root: &Value, draft: JsonDraft) -> bool {
    any_subschema(root, draft, &|value, _| {
        value.as_object().is_some_and(|map| {
            map.contains_key("$ref")
                || map.contains_key("$dynamicRef")
                || map.contains_key("$recursiveRef")
        })
    })
}

/// Whether any subschema below the root declares its own `$id` (`id` in
/// draft 4), which would change the base URI references resolve against.
pub(crate) fn has_embedded_ids(root: &Value, draft: JsonDraft) -> bool {
    let id = draft.id_keyword();
    any_subschema(root, draft, &|value, is_root| {
        !is_root && value.get(id).is_some_and(Value::is_string)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn walk_visits_subschemas_but_not_data() {
        let doc = json!({
            "properties": {"a/b": {"type": "string"}, "c": true},
            "items": [{"type": "integer"}],
            "enum": [{"$ref": "not-a-schema"}],
            "default": {"properties": {}},
            "allOf": [{"not": {"type": "null"}}],
            "dependencies": {"a": ["c"], "c": {"required": ["a"]}}
        });
        let mut seen = Vec::new();
        walk(&doc, JsonDraft::Draft7, &(), &mut |_, p, _| {
            seen.push(p.to_owned());
            Some(())
        });
        seen.sort();
        assert_eq!(
            seen,
            [
                "",
                "/allOf/0",
                "/allOf/0/not",
                "/dependencies/c",
                "/items/0",
                "/properties/a~1b",
                "/properties/c"
            ]
        );
        assert!(!has_references(&doc, JsonDraft::Draft7));
        assert!(!has_embedded_ids(
            &json!({"$id": "http://x/y.json"}),
            JsonDraft::Draft7
        ));
        assert!(has_embedded_ids(
            &json!({"definitions": {"a": {"$id": "#a"}}}),
            JsonDraft::Draft7
        ));
        assert!(has_references(
            &json!({"properties": {"x": {"$ref": "#"}}}),
            JsonDraft::Draft7
        ));
    }
}
