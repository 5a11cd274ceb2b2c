//! `herald schema register`: publish every manifest entry, dependencies
//! first; an entry already registered is left alone, so running it twice
//! changes nothing.

use std::collections::HashMap;

use clap::Args;
use herald_client::SchemaRegistryClient;
use herald_client::registry::{DeletedFilter, Normalize, SchemaRequest};
use herald_schema::Reference;

use super::manifest::{Entry, Manifest};
use super::source::{Files, WorkTree};
use super::{ManifestFlag, RegistryFlag, registry_error};

/// Flags of `herald schema register`.
#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    #[command(flatten)]
    manifest: ManifestFlag,
    #[command(flatten)]
    registry: RegistryFlag,
    /// Show what would be registered or configured, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Register only these subjects (and nothing they reference; repeatable).
    #[arg(long = "subject")]
    subjects: Vec<String>,
}

/// What happened to one schema file.
enum Outcome {
    Unchanged {
        id: u32,
        version: i32,
    },
    Registered {
        id: u32,
        version: i32,
    },
    WouldRegister,
    /// The registry refused it as incompatible (HTTP 409).
    Refused(String),
}

pub(crate) async fn run(args: RegisterArgs) -> anyhow::Result<u8> {
    let manifest = Manifest::load(&args.manifest.manifest)?;
    let entries = manifest.select(&args.subjects)?;
    let client = args.registry.client()?;
    let files = WorkTree {
        dir: manifest.dir.clone(),
    };
    // The version each subject's current file has, for references.
    let mut versions: HashMap<String, i32> = HashMap::new();
    let bar = crate::tool::progress(Some(entries.len() as u64), "register");
    let (mut registered, mut unchanged, mut refused) = (0usize, 0usize, 0usize);
    for entry in entries {
        bar.set_message(entry.subject.clone());
        if let Some(level) = entry.compatibility {
            configure(&client, entry, level, args.dry_run).await?;
        }
        let existing = match client.versions(&entry.subject, DeletedFilter::Live).await {
            Ok(v) => v,
            Err(e) if e.error_code() == Some(40401) => Vec::new(),
            Err(e) => {
                return Err(registry_error(
                    e,
                    &format!("listing versions of {}", entry.subject),
                ));
            }
        };
        // History is only for a subject's first publication: on a subject
        // that has versions, an old file would become a new latest version.
        let mut files_to_publish: Vec<&str> = Vec::new();
        if existing.is_empty() {
            files_to_publish.extend(entry.history.iter().map(String::as_str));
        }
        files_to_publish.push(&entry.file);
        let references = resolve_references(&manifest, entry, &versions)?;
        for file in files_to_publish {
            let text = files.read(file)?.ok_or_else(|| {
                anyhow::anyhow!("{} does not exist", manifest.file_path(file).display())
            })?;
            let request = SchemaRequest::new(entry.schema_type, text, references.clone());
            let outcome = publish(&client, &entry.subject, &request, args.dry_run).await?;
            let path = manifest.file_path(file);
            let line = match outcome {
                Outcome::Unchanged { id, version } => {
                    unchanged += 1;
                    versions.insert(entry.subject.clone(), version);
                    format!(
                        "unchanged       {} version {version} (id {id}) {}",
                        entry.subject,
                        path.display()
                    )
                }
                Outcome::Registered { id, version } => {
                    registered += 1;
                    versions.insert(entry.subject.clone(), version);
                    format!(
                        "registered      {} version {version} (id {id}) {}",
                        entry.subject,
                        path.display()
                    )
                }
                Outcome::WouldRegister => {
                    registered += 1;
                    format!("would register  {} {}", entry.subject, path.display())
                }
                Outcome::Refused(message) => {
                    refused += 1;
                    format!(
                        "refused         {} {}: {message}",
                        entry.subject,
                        path.display()
                    )
                }
            };
            bar.suspend(|| println!("{line}"));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "{}{registered} registered, {unchanged} unchanged{}",
        if args.dry_run { "dry run: " } else { "" },
        if refused > 0 {
            format!(", {refused} refused as incompatible")
        } else {
            String::new()
        }
    );
    Ok(if refused > 0 { 1 } else { 0 })
}

/// References with the versions their subjects' current files have.
fn resolve_references(
    manifest: &Manifest,
    entry: &Entry,
    versions: &HashMap<String, i32>,
) -> anyhow::Result<Vec<Reference>> {
    entry
        .references
        .iter()
        .map(|r| {
            // An entry published earlier in this run has its version; one
            // that was not selected is referenced at its latest version.
            let version = versions.get(&r.subject).copied().unwrap_or(-1);
            if manifest.entry(&r.subject).is_none() {
                anyhow::bail!("{} references unknown subject {}", entry.subject, r.subject);
            }
            Ok(Reference {
                name: r.name.clone(),
                subject: r.subject.clone(),
                version,
            })
        })
        .collect()
}

async fn publish(
    client: &SchemaRegistryClient,
    subject: &str,
    request: &SchemaRequest,
    dry_run: bool,
) -> anyhow::Result<Outcome> {
    match client.lookup(subject, request, Normalize::No).await {
        Ok(found) => {
            return Ok(Outcome::Unchanged {
                id: found.id,
                version: found.version,
            });
        }
        // 40401 subject not found, 40403 schema not found: not registered yet.
        // In a dry run, a reference to a schema not registered yet (42201)
        // also means "would register".
        Err(e)
            if matches!(e.error_code(), Some(40401) | Some(40403))
                || (dry_run && e.error_code() == Some(42201)) => {}
        Err(e) => return Err(registry_error(e, &format!("looking up {subject}"))),
    }
    if dry_run {
        return Ok(Outcome::WouldRegister);
    }
    let registered = match client.register(subject, request, Normalize::No).await {
        Ok(r) => r,
        Err(herald_client::ClientError::Registry {
            status: 409,
            message,
            ..
        }) => {
            return Ok(Outcome::Refused(message));
        }
        Err(e) => return Err(registry_error(e, &format!("registering {subject}"))),
    };
    let version = match registered.version {
        Some(v) => v,
        None => {
            client
                .lookup(subject, request, Normalize::No)
                .await
                .map_err(|e| registry_error(e, &format!("looking up {subject}")))?
                .version
        }
    };
    Ok(Outcome::Registered {
        id: registered.id,
        version,
    })
}

/// Sets the subject's level when it differs from the manifest's.
async fn configure(
    client: &SchemaRegistryClient,
    entry: &Entry,
    level: herald_schema::CompatibilityLevel,
    dry_run: bool,
) -> anyhow::Result<()> {
    let current = match client.config_of(Some(&entry.subject), false).await {
        Ok(c) => c.compatibility_level.and_then(|l| l.parse().ok()),
        Err(e) if matches!(e.error_code(), Some(40401) | Some(40408)) => None,
        Err(e) => {
            return Err(registry_error(
                e,
                &format!("reading the level of {}", entry.subject),
            ));
        }
    };
    if current == Some(level) {
        return Ok(());
    }
    if dry_run {
        println!("would set       {} compatibility {level}", entry.subject);
        return Ok(());
    }
    client
        .set_compatibility(Some(&entry.subject), level)
        .await
        .map_err(|e| registry_error(e, &format!("setting the level of {}", entry.subject)))?;
    println!("configured      {} compatibility {level}", entry.subject);
    Ok(())
}
