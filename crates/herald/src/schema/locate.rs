//! From a JSON pointer to a line and column in the file a person edits, so
//! findings can point at `orders.avsc:58:7` rather than `/fields/7`.
//!
//! serde_json keeps no positions, so the text is parsed a second time with
//! `jsonc-parser`, whose syntax tree carries byte ranges.

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// Where the value at `pointer` starts in `text` (for an object member, where
/// its name starts). Falls back to the deepest ancestor found, and to line 1
/// when the text does not parse. Never panics.
pub(crate) fn locate(text: &str, pointer: &str) -> Position {
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        ..ParseOptions::default()
    };
    let Ok(parsed) = parse_to_ast(text, &CollectOptions::default(), &options) else {
        return Position { line: 1, column: 1 };
    };
    let Some(root) = parsed.value.as_ref() else {
        return Position { line: 1, column: 1 };
    };
    let mut offset = root.start();
    let mut node = root;
    for token in tokens(pointer) {
        match node {
            Value::Object(object) => {
                let Some(prop) = object
                    .properties
                    .iter()
                    .find(|p| prop_name(&p.name) == token)
                else {
                    break;
                };
                offset = prop.range.start;
                node = &prop.value;
            }
            Value::Array(array) => {
                let Some(element) = token
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| array.elements.get(i))
                else {
                    break;
                };
                offset = element.start();
                node = element;
            }
            _ => break,
        }
    }
    position_of(text, offset)
}

fn prop_name<'a>(name: &'a ObjectPropName<'a>) -> &'a str {
    name.as_str()
}

/// The unescaped reference tokens of a JSON pointer (RFC 6901).
fn tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
}

/// The line and column of byte `offset` (clamped to the text).
pub(crate) fn position_of(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = text[line_start..offset].chars().count() + 1;
    Position { line, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{\n  \"type\": \"record\",\n  \"fields\": [\n    {\"name\": \"a\", \"type\": \"int\"},\n    {\n      \"name\": \"b/c\",\n      \"type\": \"string\"\n    }\n  ]\n}\n";

    #[test]
    fn pointers_map_to_the_member_or_element_they_name() {
        assert_eq!(locate(DOC, ""), Position { line: 1, column: 1 });
        assert_eq!(locate(DOC, "/type"), Position { line: 2, column: 3 });
        assert_eq!(locate(DOC, "/fields/0"), Position { line: 4, column: 5 });
        assert_eq!(
            locate(DOC, "/fields/0/type"),
            Position {
                line: 4,
                column: 19
            }
        );
        assert_eq!(
            locate(DOC, "/fields/1/type"),
            Position { line: 7, column: 7 }
        );
    }

    #[test]
    fn unknown_paths_stop_at_the_deepest_known_ancestor_and_bad_text_is_line_one() {
        assert_eq!(
            locate(DOC, "/fields/9/type"),
            Position { line: 3, column: 3 }
        );
        assert_eq!(locate(DOC, "/nope"), Position { line: 1, column: 1 });
        assert_eq!(locate("{not json", "/a"), Position { line: 1, column: 1 });
        assert_eq!(locate("", ""), Position { line: 1, column: 1 });
    }

    #[test]
    fn escaped_tokens_and_multibyte_text() {
        let doc = "{\"a/b\": {\"é~\": 1}}";
        assert_eq!(
            locate(doc, "/a~1b/é~0"),
            Position {
                line: 1,
                column: 10
            }
        );
        assert_eq!(position_of("é\né", 100), Position { line: 2, column: 2 });
    }
}
