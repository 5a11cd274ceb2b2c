//! From JSON to the compiled [`Node`] arena, validating as Java Avro's
//! `Schema.Parser` does (and a little stricter where Java silently drops
//! input), with a JSON pointer on every error.
//!
//! Checking the JSON structure ourselves before `apache-avro` sees it is what
//! keeps odd input from reaching code paths that might panic, and it is the
//! only way to say *where* a schema is wrong.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::logical::logical_of;
use super::model::{Field, Kind, Name, Node, NodeId, Order, Primitive, Props, Tree};
use super::names::{check_namespace, full_name, identifier_problem, is_identifier, qualify};
use super::resolve;

/// A problem at a place in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub pointer: String,
    pub reason: String,
}

/// One step of a JSON pointer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg {
    Key(&'static str),
    Index(usize),
}

/// Renders segments as a JSON pointer (`/fields/2/default`).
pub(crate) fn render(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        s.push('/');
        match seg {
            Seg::Key(k) => s.push_str(k),
            Seg::Index(i) => s.push_str(&i.to_string()),
        }
    }
    s
}

const SCHEMA_RESERVED: [&str; 10] = [
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];
const FIELD_RESERVED: [&str; 6] = ["default", "doc", "name", "order", "type", "aliases"];

/// Largest fixed size Java accepts (its maximum byte-array length).
const MAX_FIXED_SIZE: u64 = i32::MAX as u64 - 8;

/// A field default still to be checked once every name is resolved.
pub(crate) struct PendingDefault {
    pub record: NodeId,
    pub field: usize,
    pub pointer: String,
}

/// Builds the arena document by document: referenced schemas first, so the
/// names they define are known to the schemas after them.
pub(crate) struct Builder {
    pub nodes: Vec<Node>,
    pub names: HashMap<String, NodeId>,
    path: Vec<Seg>,
    pub(crate) doc_start: NodeId,
    pub(crate) refs: Vec<NodeId>,
    pub(crate) unions: Vec<(NodeId, String)>,
    pub(crate) defaults: Vec<PendingDefault>,
    pub(crate) redefinitions: Vec<(NodeId, NodeId, String)>,
}

impl Builder {
    /// A builder that knows no names.
    pub(crate) fn new() -> Builder {
        Builder {
            nodes: Vec::new(),
            names: HashMap::new(),
            path: Vec::new(),
            doc_start: 0,
            refs: Vec::new(),
            unions: Vec::new(),
            defaults: Vec::new(),
            redefinitions: Vec::new(),
        }
    }

    /// A builder that knows the referenced schemas of `tree`.
    pub(crate) fn with_dependencies_of(tree: &Tree) -> Builder {
        let mut b = Builder::new();
        b.nodes = tree.nodes[..tree.main_start].to_vec();
        b.names = tree.dep_names.clone();
        b
    }

    /// Parses one document, resolves its names and checks its defaults.
    /// Returns the id of its root node.
    pub(crate) fn add_document(&mut self, value: &Value) -> Result<NodeId, Located> {
        self.doc_start = self.nodes.len();
        self.refs.clear();
        self.unions.clear();
        self.defaults.clear();
        self.redefinitions.clear();
        self.path.clear();
        let root = self.parse(value, None)?;
        resolve::finish_document(self, root)
    }

    fn at(&self, reason: impl Into<String>) -> Located {
        Located {
            pointer: render(&self.path),
            reason: reason.into(),
        }
    }

    fn at_key(&mut self, key: &'static str, reason: impl Into<String>) -> Located {
        self.path.push(Seg::Key(key));
        let e = self.at(reason);
        self.path.pop();
        e
    }

    fn push(&mut self, kind: Kind, props: Props) -> NodeId {
        let logical = logical_of(&kind, &props);
        self.nodes.push(Node {
            kind,
            props,
            logical,
        });
        self.nodes.len() - 1
    }

    fn parse(&mut self, value: &Value, space: Option<&str>) -> Result<NodeId, Located> {
        match value {
            Value::String(s) => Ok(self.parse_type_name(s, space)),
            Value::Array(branches) => self.parse_union(branches, space),
            Value::Object(map) => self.parse_object(map, space),
            other => Err(self.at(format!(
                "expected a type: a type name such as \"string\", a schema object or a union array, found {}",
                json_kind(other)
            ))),
        }
    }

    fn parse_type_name(&mut self, s: &str, space: Option<&str>) -> NodeId {
        if let Some(p) = Primitive::from_name(s) {
            return self.push(Kind::Primitive(p), Vec::new());
        }
        let id = self.push(
            Kind::Ref {
                full: qualify(s, space),
                written: s.to_owned(),
                pointer: render(&self.path),
            },
            Vec::new(),
        );
        self.refs.push(id);
        id
    }

    fn parse_union(&mut self, branches: &[Value], space: Option<&str>) -> Result<NodeId, Located> {
        let mut ids = Vec::with_capacity(branches.len());
        for (i, branch) in branches.iter().enumerate() {
            self.path.push(Seg::Index(i));
            let id = self.parse(branch, space)?;
            self.path.pop();
            ids.push(id);
        }
        let id = self.push(Kind::Union { branches: ids }, Vec::new());
        self.unions.push((id, render(&self.path)));
        Ok(id)
    }

    fn parse_object(
        &mut self,
        map: &Map<String, Value>,
        space: Option<&str>,
    ) -> Result<NodeId, Located> {
        let ty = match map.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Null) | None => {
                return Err(self.at("a schema object needs a \"type\""));
            }
            Some(other) => {
                return Err(self.at_key(
                    "type",
                    format!(
                        "the \"type\" of a schema object must be a string naming the type, found {}; \
                         write a union or nested type directly instead of wrapping it in {{\"type\": ...}}",
                        json_kind(other)
                    ),
                ));
            }
        };
        if let Some(p) = Primitive::from_name(ty) {
            let props = props_of(map, &SCHEMA_RESERVED);
            return Ok(self.push(Kind::Primitive(p), props));
        }
        match ty {
            "record" | "error" => self.parse_record(map, space, ty == "error"),
            "enum" => self.parse_enum(map, space),
            "fixed" => self.parse_fixed(map, space),
            "array" => {
                let items = map
                    .get("items")
                    .ok_or_else(|| self.at("an array needs \"items\""))?;
                self.path.push(Seg::Key("items"));
                let items = self.parse(items, space)?;
                self.path.pop();
                Ok(self.push(Kind::Array { items }, props_of(map, &SCHEMA_RESERVED)))
            }
            "map" => {
                let values = map
                    .get("values")
                    .ok_or_else(|| self.at("a map needs \"values\""))?;
                self.path.push(Seg::Key("values"));
                let values = self.parse(values, space)?;
                self.path.pop();
                Ok(self.push(Kind::Map { values }, props_of(map, &SCHEMA_RESERVED)))
            }
            // Java treats any other type string as a reference to a named type
            // and ignores the object's other keys.
            other => {
                self.path.push(Seg::Key("type"));
                let id = self.parse_type_name(other, space);
                self.path.pop();
                Ok(id)
            }
        }
    }

    /// Reads `name` and `namespace` and registers the name for `id`.
    fn parse_name(
        &mut self,
        map: &Map<String, Value>,
        space: Option<&str>,
    ) -> Result<Name, Located> {
        let written = match map.get("name") {
            Some(Value::String(s)) => s.as_str(),
            None | Some(Value::Null) => return Err(self.at("a named type needs a \"name\"")),
            Some(other) => {
                return Err(self.at_key(
                    "name",
                    format!("\"name\" must be a string, found {}", json_kind(other)),
                ));
            }
        };
        let namespace_attr = match map.get("namespace") {
            Some(Value::String(s)) => {
                if let Err(reason) = check_namespace(s) {
                    return Err(self.at_key("namespace", reason));
                }
                Some(s.as_str())
            }
            None | Some(Value::Null) => None,
            Some(other) => {
                return Err(self.at_key(
                    "namespace",
                    format!("\"namespace\" must be a string, found {}", json_kind(other)),
                ));
            }
        };
        full_name(written, namespace_attr, space).map_err(|reason| self.at_key("name", reason))
    }

    fn define(&mut self, name: &Name, id: NodeId) {
        match self.names.get(&name.full) {
            Some(&existing) => self.redefinitions.push((existing, id, render(&self.path))),
            None => {
                self.names.insert(name.full.clone(), id);
            }
        }
    }

    fn parse_doc(&mut self, map: &Map<String, Value>) -> Result<Option<String>, Located> {
        match map.get("doc") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.at_key(
                "doc",
                format!("\"doc\" must be a string, found {}", json_kind(other)),
            )),
        }
    }

    fn parse_type_aliases(
        &mut self,
        map: &Map<String, Value>,
        name: &Name,
    ) -> Result<Vec<Name>, Located> {
        let mut out: Vec<Name> = Vec::new();
        for (i, alias) in self.string_list(map, "aliases")?.into_iter().enumerate() {
            let parsed = full_name(&alias, None, name.space()).map_err(|reason| {
                self.path.push(Seg::Key("aliases"));
                self.path.push(Seg::Index(i));
                let e = self.at(format!("alias: {reason}"));
                self.path.truncate(self.path.len() - 2);
                e
            })?;
            if !out.contains(&parsed) {
                out.push(parsed);
            }
        }
        Ok(out)
    }

    /// Reads an optional array of strings.
    fn string_list(
        &mut self,
        map: &Map<String, Value>,
        key: &'static str,
    ) -> Result<Vec<String>, Located> {
        match map.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => {
                            self.path.push(Seg::Key(key));
                            self.path.push(Seg::Index(i));
                            let e =
                                self.at(format!("expected a string, found {}", json_kind(other)));
                            self.path.truncate(self.path.len() - 2);
                            return Err(e);
                        }
                    }
                }
                Ok(out)
            }
            Some(other) => Err(self.at_key(
                key,
                format!(
                    "\"{key}\" must be an array of strings, found {}",
                    json_kind(other)
                ),
            )),
        }
    }

    fn parse_record(
        &mut self,
        map: &Map<String, Value>,
        space: Option<&str>,
        is_error: bool,
    ) -> Result<NodeId, Located> {
        let name = self.parse_name(map, space)?;
        let doc = self.parse_doc(map)?;
        let aliases = self.parse_type_aliases(map, &name)?;
        let field_values = match map.get("fields") {
            Some(Value::Array(fields)) => fields,
            Some(other) => {
                return Err(self.at_key(
                    "fields",
                    format!("\"fields\" must be an array, found {}", json_kind(other)),
                ));
            }
            None => return Err(self.at("a record needs \"fields\" (an array, possibly empty)")),
        };
        // Register the record before its fields so they can refer to it.
        let id = self.push(
            Kind::Record {
                name: name.clone(),
                doc,
                fields: Vec::new(),
                aliases,
                is_error,
                index: HashMap::new(),
            },
            props_of(map, &SCHEMA_RESERVED),
        );
        self.define(&name, id);
        let mut fields = Vec::with_capacity(field_values.len());
        let mut index = HashMap::with_capacity(field_values.len());
        self.path.push(Seg::Key("fields"));
        for (i, value) in field_values.iter().enumerate() {
            self.path.push(Seg::Index(i));
            let field = self.parse_field(value, name.space())?;
            if index.insert(field.name.clone(), i).is_some() {
                return Err(self.at_key("name", format!("duplicate field name {:?}", field.name)));
            }
            if field.default.is_some() {
                self.path.push(Seg::Key("default"));
                self.defaults.push(PendingDefault {
                    record: id,
                    field: i,
                    pointer: render(&self.path),
                });
                self.path.pop();
            }
            fields.push(field);
            self.path.pop();
        }
        self.path.pop();
        if let Kind::Record {
            fields: f,
            index: ix,
            ..
        } = &mut self.nodes[id].kind
        {
            *f = fields;
            *ix = index;
        }
        Ok(id)
    }

    fn parse_field(&mut self, value: &Value, space: Option<&str>) -> Result<Field, Located> {
        let Value::Object(map) = value else {
            return Err(self.at(format!(
                "a field must be an object, found {}",
                json_kind(value)
            )));
        };
        let name = match map.get("name") {
            Some(Value::String(s)) if is_identifier(s) => s.clone(),
            Some(Value::String(s)) => {
                return Err(self.at_key("name", identifier_problem("field name", s)));
            }
            None | Some(Value::Null) => return Err(self.at("a field needs a \"name\"")),
            Some(other) => {
                return Err(self.at_key(
                    "name",
                    format!(
                        "a field's \"name\" must be a string, found {}",
                        json_kind(other)
                    ),
                ));
            }
        };
        let doc = self.parse_doc(map)?;
        let ty_value = map
            .get("type")
            .ok_or_else(|| self.at(format!("field {name:?} needs a \"type\"")))?;
        self.path.push(Seg::Key("type"));
        let ty = self.parse(ty_value, space)?;
        self.path.pop();
        let order = match map.get("order") {
            None => Order::Ascending,
            Some(Value::String(s)) => match s.to_ascii_uppercase().as_str() {
                "ASCENDING" => Order::Ascending,
                "DESCENDING" => Order::Descending,
                "IGNORE" => Order::Ignore,
                _ => {
                    return Err(self.at_key("order", format!("\"order\" must be \"ascending\", \"descending\" or \"ignore\", found {s:?}")));
                }
            },
            Some(other) => {
                return Err(self.at_key(
                    "order",
                    format!("\"order\" must be a string, found {}", json_kind(other)),
                ));
            }
        };
        let mut aliases = Vec::new();
        for alias in self.string_list(map, "aliases")? {
            if !aliases.contains(&alias) {
                aliases.push(alias);
            }
        }
        let mut default = map.get("default").cloned();
        // Java turns a string default of a float or double field into a number.
        if let (Some(Value::String(text)), Kind::Primitive(Primitive::Float | Primitive::Double)) =
            (&default, &self.nodes[ty].kind)
        {
            match parse_java_double(text) {
                Some(v) => default = Some(v),
                None => {
                    return Err(self.at_key("default", format!("{text:?} is not a number, so it cannot be the default of a floating-point field")));
                }
            }
        }
        Ok(Field {
            name,
            ty,
            doc,
            default,
            order,
            aliases,
            props: props_of(map, &FIELD_RESERVED),
        })
    }

    fn parse_enum(
        &mut self,
        map: &Map<String, Value>,
        space: Option<&str>,
    ) -> Result<NodeId, Located> {
        let name = self.parse_name(map, space)?;
        let doc = self.parse_doc(map)?;
        let aliases = self.parse_type_aliases(map, &name)?;
        if !matches!(map.get("symbols"), Some(Value::Array(_))) {
            return Err(self.at("an enum needs \"symbols\", an array of names"));
        }
        let symbols = self.string_list(map, "symbols")?;
        for (i, symbol) in symbols.iter().enumerate() {
            let problem = if !is_identifier(symbol) {
                Some(identifier_problem("symbol", symbol))
            } else if symbols[..i].contains(symbol) {
                Some(format!("duplicate symbol {symbol:?}"))
            } else {
                None
            };
            if let Some(reason) = problem {
                self.path.push(Seg::Key("symbols"));
                self.path.push(Seg::Index(i));
                let e = self.at(reason);
                self.path.truncate(self.path.len() - 2);
                return Err(e);
            }
        }
        let default = match map.get("default") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if symbols.contains(s) => Some(s.clone()),
            Some(Value::String(s)) => {
                return Err(self.at_key(
                    "default",
                    format!("the enum default {s:?} is not one of its symbols {symbols:?}"),
                ));
            }
            Some(other) => {
                return Err(self.at_key(
                    "default",
                    format!(
                        "an enum default must be one of its symbols, found {}",
                        json_kind(other)
                    ),
                ));
            }
        };
        let mut reserved = SCHEMA_RESERVED.to_vec();
        reserved.push("default");
        let id = self.push(
            Kind::Enum {
                name: name.clone(),
                doc,
                symbols,
                default,
                aliases,
            },
            props_of(map, &reserved),
        );
        self.define(&name, id);
        Ok(id)
    }

    fn parse_fixed(
        &mut self,
        map: &Map<String, Value>,
        space: Option<&str>,
    ) -> Result<NodeId, Located> {
        let name = self.parse_name(map, space)?;
        let doc = self.parse_doc(map)?;
        let aliases = self.parse_type_aliases(map, &name)?;
        let size = match map.get("size") {
            Some(Value::Number(n)) => {
                match n.as_u64() {
                    Some(s) if s <= MAX_FIXED_SIZE => s as u32,
                    _ => {
                        return Err(self.at_key("size", format!("\"size\" must be a whole number from 0 to {MAX_FIXED_SIZE}, found {n}")));
                    }
                }
            }
            Some(other) => {
                return Err(self.at_key(
                    "size",
                    format!(
                        "\"size\" must be a whole number, found {}",
                        json_kind(other)
                    ),
                ));
            }
            None => return Err(self.at("a fixed type needs a \"size\"")),
        };
        let id = self.push(
            Kind::Fixed {
                name: name.clone(),
                doc,
                size,
                aliases,
            },
            props_of(map, &SCHEMA_RESERVED),
        );
        self.define(&name, id);
        Ok(id)
    }
}

/// The keys of `map` that are not reserved, in their order.
fn props_of(map: &Map<String, Value>, reserved: &[&str]) -> Props {
    map.iter()
        .filter(|(k, _)| !reserved.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// What kind of JSON value this is, for messages.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Java's `Double.parseDouble` for the forms schemas use: decimal numbers
/// with an optional exponent and `f`/`d` suffix, `NaN` and `Infinity`.
/// Non-finite results stay strings, as Jackson writes them quoted.
fn parse_java_double(text: &str) -> Option<Value> {
    let t = text.trim_matches(|c: char| c <= ' ');
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'-') => ("-", &t[1..]),
        Some(b'+') => ("", &t[1..]),
        _ => ("", t),
    };
    match rest {
        "NaN" => return Some(Value::String("NaN".into())),
        "Infinity" => return Some(Value::String(format!("{sign}Infinity"))),
        _ => {}
    }
    let body = rest.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(rest);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok =
        digits(int_part) && digits(frac_part) && !(int_part.is_empty() && frac_part.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    let value: f64 = format!("{sign}{body}").parse().ok()?;
    if value.is_finite() {
        serde_json::Number::from_f64(value).map(Value::Number)
    } else if value > 0.0 {
        Some(Value::String("Infinity".into()))
    } else {
        Some(Value::String("-Infinity".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_parsing() {
        let num = |s: &str| parse_java_double(s).map(|v| v.to_string());
        assert_eq!(num("1"), Some("1.0".into()));
        assert_eq!(num(" 2.5e1 "), Some("25.0".into()));
        assert_eq!(num(".5"), Some("0.5".into()));
        assert_eq!(num("3d"), Some("3.0".into()));
        assert_eq!(num("NaN"), Some("\"NaN\"".into()));
        assert_eq!(num("-Infinity"), Some("\"-Infinity\"".into()));
        assert_eq!(num("1e999"), Some("\"Infinity\"".into()));
        assert_eq!(num("abc"), None);
        assert_eq!(num("inf"), None);
        assert_eq!(num(""), None);
        assert_eq!(num("."), None);
        assert_eq!(num("1e"), None);
    }
}
