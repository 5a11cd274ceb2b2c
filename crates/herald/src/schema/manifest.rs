//! The contract manifest (`schemas/herald.toml`): which schema file is
//! registered under which subject, with its format, compatibility level,
//! references to other entries, earlier versions and ignored rules.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use herald_schema::{CompatibilityLevel, JsonCompatibilityPolicy, SchemaType};
use serde::Deserialize;

use super::source::Files;

/// The manifest as written; unknown keys are an error so a typo never
/// silently disables a setting.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default, rename = "subject")]
    subjects: Vec<RawEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    compatibility: Option<String>,
    json_policy: Option<JsonCompatibilityPolicy>,
    #[serde(default)]
    ignore: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    name: String,
    file: String,
    #[serde(rename = "type")]
    schema_type: Option<String>,
    compatibility: Option<String>,
    json_policy: Option<JsonCompatibilityPolicy>,
    #[serde(default)]
    references: Vec<RawReference>,
    #[serde(default)]
    history: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReference {
    name: String,
    subject: String,
}

/// A reference from one entry to another, by the name the schema uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryReference {
    /// The Avro full name or JSON Schema `$ref` the referring schema uses.
    pub name: String,
    /// The subject of the referenced entry (always an entry of the manifest).
    pub subject: String,
}

/// One subject of the manifest.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The subject it is registered under.
    pub subject: String,
    /// The schema file, relative to the manifest's directory.
    pub file: String,
    /// Its format.
    pub schema_type: SchemaType,
    /// The level the manifest asks for (its own or the manifest default).
    pub compatibility: Option<CompatibilityLevel>,
    /// How strictly JSON Schema changes are judged (Confluent's
    /// `compatibilityPolicy`; STRICT unless the manifest says LENIENT).
    pub json_policy: JsonCompatibilityPolicy,
    /// Entries it references.
    pub references: Vec<EntryReference>,
    /// Files of earlier versions, oldest first.
    pub history: Vec<String>,
    /// Rule ids whose findings are reported but do not fail (its own and the defaults).
    pub ignore: Vec<String>,
}

impl Entry {
    /// Whether findings of `rule_id` are ignored for this subject.
    pub fn ignores(&self, rule_id: &str) -> bool {
        self.ignore.iter().any(|r| r == rule_id)
    }
}

/// A parsed and validated manifest: subjects are unique, every reference
/// names another entry, references have no cycle, and `entries` lists every
/// entry after the entries it references.
#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    /// The manifest's own path, as the user gave it (for messages).
    pub path: PathBuf,
    /// The directory schema files are relative to, as the user gave it.
    pub dir: PathBuf,
    /// The entries, dependencies first.
    pub entries: Vec<Entry>,
}

impl Manifest {
    /// Reads and validates the manifest at `path` from the working tree.
    pub fn load(path: &Path) -> anyhow::Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading manifest {}", path.display()))?;
        Manifest::parse(path, &text)
    }

    /// Reads the manifest named `file_name` in `files` (`None` when that
    /// tree has no manifest, e.g. a git revision from before it existed).
    pub fn load_from(files: &dyn Files, path: &Path) -> anyhow::Result<Option<Manifest>> {
        let name = file_name(path)?;
        match files.read(&name)? {
            Some(text) => Manifest::parse(path, &text)
                .with_context(|| format!("manifest {name} in {}", files.describe()))
                .map(Some),
            None => Ok(None),
        }
    }

    /// Parses and validates manifest text; `path` is where it came from.
    pub fn parse(path: &Path, text: &str) -> anyhow::Result<Manifest> {
        let raw: RawManifest =
            toml::from_str(text).with_context(|| format!("parsing manifest {}", path.display()))?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let default_level = raw
            .defaults
            .compatibility
            .as_deref()
            .map(parse_level)
            .transpose()
            .context("[defaults] compatibility")?;
        check_rule_ids(&raw.defaults.ignore).context("[defaults] ignore")?;
        let mut entries = Vec::with_capacity(raw.subjects.len());
        let mut seen = HashSet::new();
        for e in raw.subjects {
            let what = format!("subject {:?}", e.name);
            if e.name.trim().is_empty() {
                bail!("a [[subject]] has an empty name");
            }
            if !seen.insert(e.name.clone()) {
                bail!("{what} appears twice in {}", path.display());
            }
            let schema_type = match &e.schema_type {
                Some(t) => t
                    .parse::<SchemaType>()
                    .map_err(|err| anyhow::anyhow!("{what}: {err}"))?,
                None => type_from_extension(&e.file)
                    .with_context(|| format!("{what}: set `type` (AVRO or JSON)"))?,
            };
            if schema_type == SchemaType::Protobuf {
                bail!("{what}: PROTOBUF schemas are not supported yet");
            }
            let compatibility = match &e.compatibility {
                Some(l) => Some(parse_level(l).with_context(|| what.clone())?),
                None => default_level,
            };
            check_rule_ids(&e.ignore).with_context(|| format!("{what}: ignore"))?;
            let mut ignore = raw.defaults.ignore.clone();
            ignore.extend(e.ignore);
            entries.push(Entry {
                subject: e.name,
                file: e.file,
                schema_type,
                compatibility,
                json_policy: e
                    .json_policy
                    .or(raw.defaults.json_policy)
                    .unwrap_or_default(),
                references: e
                    .references
                    .into_iter()
                    .map(|r| EntryReference {
                        name: r.name,
                        subject: r.subject,
                    })
                    .collect(),
                history: e.history,
                ignore,
            });
        }
        let entries = dependencies_first(entries)?;
        Ok(Manifest {
            path: path.to_path_buf(),
            dir,
            entries,
        })
    }

    /// The entry for `subject`.
    pub fn entry(&self, subject: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.subject == subject)
    }

    /// The path of an entry's file as the user would type it.
    pub fn file_path(&self, file: &str) -> PathBuf {
        if self.dir.as_os_str().is_empty() {
            PathBuf::from(file)
        } else {
            self.dir.join(file)
        }
    }

    /// The entries whose subjects are in `only` (all when `only` is empty);
    /// an unknown subject is an error.
    pub fn select(&self, only: &[String]) -> anyhow::Result<Vec<&Entry>> {
        for s in only {
            if self.entry(s).is_none() {
                bail!("subject {s:?} is not in {}", self.path.display());
            }
        }
        Ok(self
            .entries
            .iter()
            .filter(|e| only.is_empty() || only.contains(&e.subject))
            .collect())
    }
}

fn file_name(path: &Path) -> anyhow::Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .with_context(|| format!("{} has no file name", path.display()))
}

fn parse_level(s: &str) -> anyhow::Result<CompatibilityLevel> {
    s.parse::<CompatibilityLevel>()
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The format a file's extension implies.
pub(crate) fn type_from_extension(file: &str) -> anyhow::Result<SchemaType> {
    let ext = Path::new(file)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "avsc" => Ok(SchemaType::Avro),
        "json" => Ok(SchemaType::Json),
        _ => bail!(
            "cannot tell the schema type of {file:?} from its extension (.avsc is AVRO, .json is JSON)"
        ),
    }
}

/// Rule ids are `format/NAME`; anything else is a typo that would ignore nothing.
fn check_rule_ids(ids: &[String]) -> anyhow::Result<()> {
    for id in ids {
        let ok = id.split_once('/').is_some_and(|(format, name)| {
            ["avro", "json", "schema", "lint"].contains(&format)
                && !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        });
        if !ok {
            bail!(
                "{id:?} is not a rule id (expected e.g. avro/READER_FIELD_MISSING_DEFAULT_VALUE, json/TYPE_NARROWED, lint/MISSING_DOC)"
            );
        }
    }
    Ok(())
}

/// Orders entries so that every entry comes after those it references,
/// keeping the manifest's order otherwise; unknown references and cycles
/// are errors.
fn dependencies_first(entries: Vec<Entry>) -> anyhow::Result<Vec<Entry>> {
    let index: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.subject.as_str(), i))
        .collect();
    for e in &entries {
        for r in &e.references {
            if !index.contains_key(r.subject.as_str()) {
                bail!(
                    "subject {:?} references {:?}, which is not a subject of the manifest",
                    e.subject,
                    r.subject
                );
            }
        }
    }
    // 0 = not visited, 1 = on the stack, 2 = placed.
    let mut state = vec![0u8; entries.len()];
    let mut order = Vec::with_capacity(entries.len());
    fn visit(
        i: usize,
        entries: &[Entry],
        index: &HashMap<&str, usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
        chain: &mut Vec<String>,
    ) -> anyhow::Result<()> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                chain.push(entries[i].subject.clone());
                bail!("references form a cycle: {}", chain.join(" -> "));
            }
            _ => {}
        }
        state[i] = 1;
        chain.push(entries[i].subject.clone());
        for r in &entries[i].references {
            if let Some(&j) = index.get(r.subject.as_str()) {
                visit(j, entries, index, state, order, chain)?;
            }
        }
        chain.pop();
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..entries.len() {
        visit(i, &entries, &index, &mut state, &mut order, &mut Vec::new())?;
    }
    let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<Manifest> {
        Manifest::parse(Path::new("schemas/herald.toml"), text)
    }

    #[test]
    fn entries_come_after_their_references_and_inherit_defaults() {
        let m = parse(
            r#"
            [defaults]
            compatibility = "FULL"
            ignore = ["lint/MISSING_DOC"]
            [[subject]]
            name = "orders-value"
            file = "orders.avsc"
            references = [{ name = "acme.Money", subject = "money" }]
            ignore = ["avro/TYPE_MISMATCH"]
            [[subject]]
            name = "money"
            file = "money.avsc"
            compatibility = "none"
            json_policy = "LENIENT"
            "#,
        )
        .unwrap();
        let subjects: Vec<_> = m.entries.iter().map(|e| e.subject.as_str()).collect();
        assert_eq!(subjects, ["money", "orders-value"]);
        let orders = m.entry("orders-value").unwrap();
        assert_eq!(orders.schema_type, SchemaType::Avro);
        assert_eq!(orders.compatibility, Some(CompatibilityLevel::Full));
        assert!(orders.ignores("avro/TYPE_MISMATCH") && orders.ignores("lint/MISSING_DOC"));
        assert_eq!(
            m.entry("money").unwrap().compatibility,
            Some(CompatibilityLevel::None)
        );
        assert_eq!(
            m.entry("money").unwrap().json_policy,
            JsonCompatibilityPolicy::Lenient
        );
        assert_eq!(orders.json_policy, JsonCompatibilityPolicy::Strict);
        assert_eq!(
            m.file_path("money.avsc"),
            PathBuf::from("schemas/money.avsc")
        );
    }

    #[test]
    fn mistakes_are_errors_that_say_what_is_wrong() {
        let cases = [
            ("[[subject]]\nname = \"a\"\nfile = \"a.txt\"", "extension"),
            (
                "[[subject]]\nname = \"a\"\nfile = \"a.avsc\"\ncompat = \"FULL\"",
                "unknown field",
            ),
            (
                "[[subject]]\nname = \"a\"\nfile = \"a.avsc\"\n[[subject]]\nname = \"a\"\nfile = \"b.avsc\"",
                "twice",
            ),
            (
                "[[subject]]\nname = \"a\"\nfile = \"a.avsc\"\nreferences = [{name = \"X\", subject = \"nope\"}]",
                "not a subject",
            ),
            (
                "[[subject]]\nname = \"a\"\nfile = \"a.avsc\"\nreferences = [{name = \"B\", subject = \"b\"}]\n[[subject]]\nname = \"b\"\nfile = \"b.avsc\"\nreferences = [{name = \"A\", subject = \"a\"}]",
                "cycle",
            ),
            (
                "[[subject]]\nname = \"a\"\nfile = \"a.avsc\"\nignore = [\"TYPE_MISMATCH\"]",
                "not a rule id",
            ),
            (
                "[[subject]]\nname = \"a\"\nfile = \"a.avsc\"\ncompatibility = \"SIDEWAYS\"",
                "unknown compatibility level",
            ),
        ];
        for (text, expected) in cases {
            let err = format!("{:#}", parse(text).unwrap_err());
            assert!(err.contains(expected), "{text}\n=> {err}");
        }
    }
}
