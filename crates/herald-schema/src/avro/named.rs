//! Parsing the named types (record, enum, fixed) and record fields.

use std::collections::HashMap;

use serde_json::Value;

use super::json_in::Json;

use super::defaults;
use super::model::{Field, Kind, Name, NodeId, Order, Primitive};
use super::names::{check_namespace, full_name, identifier_problem, is_identifier};
use super::parse::{
    Builder, FIELD_RESERVED, Located, Object, PendingDefault, Seg, json_kind, render,
};

/// Largest fixed size Java accepts (its maximum byte-array length).
const MAX_FIXED_SIZE: u64 = i32::MAX as u64 - 8;

/// Records with more fields than this get a name index; smaller ones are
/// searched directly, which is faster than hashing.
const INDEX_FROM: usize = 8;

impl Builder {
    /// Reads `name` and `namespace` into a full name.
    fn parse_name(&mut self, obj: &Object, space: Option<&str>) -> Result<Name, Located> {
        let written = match obj.get("name") {
            Some(Json::String(s)) => s.as_str(),
            None | Some(Json::Null) => return Err(self.at("a named type needs a \"name\"")),
            Some(other) => {
                let reason = format!("\"name\" must be a string, found {}", json_kind(other));
                return Err(self.at_key("name", reason));
            }
        };
        let namespace_attr = match obj.get("namespace") {
            Some(Json::String(s)) => {
                if let Err(reason) = check_namespace(s) {
                    return Err(self.at_key("namespace", reason));
                }
                Some(s.as_str())
            }
            None | Some(Json::Null) => None,
            Some(other) => {
                let reason = format!("\"namespace\" must be a string, found {}", json_kind(other));
                return Err(self.at_key("namespace", reason));
            }
        };
        full_name(written, namespace_attr, space).map_err(|reason| self.at_key("name", reason))
    }

    /// Makes `name` refer to node `id`; a second definition of a name is
    /// allowed only if it is identical, which is checked at the end.
    fn define(&mut self, name: &Name, id: NodeId) {
        match self.names.get(&name.full) {
            Some(&existing) => self.redefinitions.push((existing, id, render(&self.path))),
            None => {
                self.names.insert(name.full.clone(), id);
            }
        }
    }

    fn parse_doc(&mut self, obj: &mut Object) -> Result<Option<String>, Located> {
        match obj.take("doc") {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s)),
            Some(other) => {
                let reason = format!("\"doc\" must be a string, found {}", json_kind(&other));
                Err(self.at_key("doc", reason))
            }
        }
    }

    fn parse_type_aliases(&mut self, obj: &mut Object, name: &Name) -> Result<Vec<Name>, Located> {
        let mut out: Vec<Name> = Vec::new();
        for (i, alias) in self.string_list(obj, "aliases")?.into_iter().enumerate() {
            let parsed = full_name(&alias, None, name.space())
                .map_err(|reason| self.at_index("aliases", i, format!("alias: {reason}")))?;
            if !out.contains(&parsed) {
                out.push(parsed);
            }
        }
        Ok(out)
    }

    /// Takes an optional array of strings.
    fn string_list(&mut self, obj: &mut Object, key: &'static str) -> Result<Vec<String>, Located> {
        match obj.take(key) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    match item {
                        Json::String(s) => out.push(s),
                        other => {
                            let reason = format!("expected a string, found {}", json_kind(&other));
                            return Err(self.at_index(key, i, reason));
                        }
                    }
                }
                Ok(out)
            }
            Some(other) => {
                let reason = format!(
                    "\"{key}\" must be an array of strings, found {}",
                    json_kind(&other)
                );
                Err(self.at_key(key, reason))
            }
        }
    }

    pub(crate) fn parse_record(
        &mut self,
        mut obj: Object,
        space: Option<&str>,
        is_error: bool,
    ) -> Result<NodeId, Located> {
        let name = self.parse_name(&obj, space)?;
        let doc = self.parse_doc(&mut obj)?;
        let aliases = self.parse_type_aliases(&mut obj, &name)?;
        let field_values = match obj.take("fields") {
            Some(Json::Array(fields)) => fields,
            Some(other) => {
                let reason = format!("\"fields\" must be an array, found {}", json_kind(&other));
                return Err(self.at_key("fields", reason));
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
            obj.props,
        );
        self.define(&name, id);
        let mut fields: Vec<Field> = Vec::with_capacity(field_values.len());
        let mut index = HashMap::new();
        let indexed = field_values.len() > INDEX_FROM;
        self.path.push(Seg::Key("fields"));
        for (i, value) in field_values.into_iter().enumerate() {
            self.path.push(Seg::Index(i));
            let refs_before = self.refs.len();
            let field = self.parse_field(value, name.space())?;
            let duplicate = if indexed {
                index.insert(field.name.clone(), i).is_some()
            } else {
                fields.iter().any(|f| f.name == field.name)
            };
            if duplicate {
                let reason = format!("duplicate field name {:?}", field.name);
                return Err(self.at_key("name", reason));
            }
            if let Some(default) = &field.default
                && self.validate_defaults
            {
                self.path.push(Seg::Key("default"));
                if self.refs.len() == refs_before {
                    // Every type the field uses is already known: check now.
                    if let Err(reason) =
                        defaults::check_field_default(&self.nodes, field.ty, default)
                    {
                        return Err(self.at(format!(
                            "invalid default for field {:?}: {reason}",
                            field.name
                        )));
                    }
                } else {
                    self.defaults.push(PendingDefault {
                        record: id,
                        field: i,
                        pointer: render(&self.path),
                    });
                }
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

    fn parse_field(&mut self, value: Json, space: Option<&str>) -> Result<Field, Located> {
        let Json::Object(map) = value else {
            return Err(self.at(format!(
                "a field must be an object, found {}",
                json_kind(&value)
            )));
        };
        let mut obj = Object::split(map, &FIELD_RESERVED);
        let name = match obj.take("name") {
            Some(Json::String(s)) if is_identifier(&s) => s,
            Some(Json::String(s)) => {
                return Err(self.at_key("name", identifier_problem("field name", &s)));
            }
            None | Some(Json::Null) => return Err(self.at("a field needs a \"name\"")),
            Some(other) => {
                let reason = format!(
                    "a field's \"name\" must be a string, found {}",
                    json_kind(&other)
                );
                return Err(self.at_key("name", reason));
            }
        };
        let doc = self.parse_doc(&mut obj)?;
        let ty_value = obj
            .take("type")
            .ok_or_else(|| self.at(format!("field {name:?} needs a \"type\"")))?;
        self.path.push(Seg::Key("type"));
        let ty = self.parse(ty_value, space)?;
        self.path.pop();
        let order = match obj.take("order") {
            None => Order::Ascending,
            Some(Json::String(s)) => match s.to_ascii_uppercase().as_str() {
                "ASCENDING" => Order::Ascending,
                "DESCENDING" => Order::Descending,
                "IGNORE" => Order::Ignore,
                _ => {
                    let reason = format!(
                        "\"order\" must be \"ascending\", \"descending\" or \"ignore\", found {s:?}"
                    );
                    return Err(self.at_key("order", reason));
                }
            },
            Some(other) => {
                let reason = format!("\"order\" must be a string, found {}", json_kind(&other));
                return Err(self.at_key("order", reason));
            }
        };
        let mut aliases: Vec<String> = Vec::new();
        for alias in self.string_list(&mut obj, "aliases")? {
            if !aliases.contains(&alias) {
                aliases.push(alias);
            }
        }
        let mut default = obj.take("default").map(Json::into_value);
        // Java turns a string default of a float or double field into a number.
        if let (Some(Value::String(text)), Kind::Primitive(Primitive::Float | Primitive::Double)) =
            (&default, &self.nodes[ty].kind)
        {
            match parse_java_double(text) {
                Some(v) => default = Some(v),
                None => {
                    let reason = format!(
                        "{text:?} is not a number, so it cannot be the default of a floating-point field"
                    );
                    return Err(self.at_key("default", reason));
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
            props: obj.props,
        })
    }

    pub(crate) fn parse_enum(
        &mut self,
        mut obj: Object,
        space: Option<&str>,
    ) -> Result<NodeId, Located> {
        let name = self.parse_name(&obj, space)?;
        let doc = self.parse_doc(&mut obj)?;
        let aliases = self.parse_type_aliases(&mut obj, &name)?;
        if !matches!(obj.get("symbols"), Some(Json::Array(_))) {
            return Err(self.at("an enum needs \"symbols\", an array of names"));
        }
        let symbols = self.string_list(&mut obj, "symbols")?;
        for (i, symbol) in symbols.iter().enumerate() {
            let problem = if !is_identifier(symbol) {
                Some(identifier_problem("symbol", symbol))
            } else if symbols[..i].contains(symbol) {
                Some(format!("duplicate symbol {symbol:?}"))
            } else {
                None
            };
            if let Some(reason) = problem {
                return Err(self.at_index("symbols", i, reason));
            }
        }
        let default = match obj.take("default") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if symbols.contains(&s) => Some(s),
            Some(Json::String(s)) => {
                let reason =
                    format!("the enum default {s:?} is not one of its symbols {symbols:?}");
                return Err(self.at_key("default", reason));
            }
            Some(other) => {
                let reason = format!(
                    "an enum default must be one of its symbols, found {}",
                    json_kind(&other)
                );
                return Err(self.at_key("default", reason));
            }
        };
        let id = self.push(
            Kind::Enum {
                name: name.clone(),
                doc,
                symbols,
                default,
                aliases,
            },
            obj.props,
        );
        self.define(&name, id);
        Ok(id)
    }

    pub(crate) fn parse_fixed(
        &mut self,
        mut obj: Object,
        space: Option<&str>,
    ) -> Result<NodeId, Located> {
        let name = self.parse_name(&obj, space)?;
        let doc = self.parse_doc(&mut obj)?;
        let aliases = self.parse_type_aliases(&mut obj, &name)?;
        let size = match obj.take("size") {
            Some(Json::Number(n)) => match n.as_u64() {
                Some(s) if s <= MAX_FIXED_SIZE => s as u32,
                _ => {
                    let reason = format!(
                        "\"size\" must be a whole number from 0 to {MAX_FIXED_SIZE}, found {n}"
                    );
                    return Err(self.at_key("size", reason));
                }
            },
            Some(other) => {
                let reason = format!(
                    "\"size\" must be a whole number, found {}",
                    json_kind(&other)
                );
                return Err(self.at_key("size", reason));
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
            obj.props,
        );
        self.define(&name, id);
        Ok(id)
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
