//! The registry's administrative commands: `get`, `list`, `delete`,
//! `config get|set`, `mode get|set`.

use clap::{Args, Subcommand};
use herald_client::registry::{DeletedFilter, Version};
use herald_schema::CompatibilityLevel;

use super::{RegistryFlag, registry_error};

/// Flags of `herald schema get`.
#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// The subject.
    subject: String,
    /// The version (a number or `latest`).
    #[arg(default_value = "latest", value_parser = parse_version)]
    version: Version,
    /// Print only the schema text, pretty-printed.
    #[arg(long)]
    schema_only: bool,
    #[command(flatten)]
    registry: RegistryFlag,
}

/// Flags of `herald schema list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// List this subject's versions instead of the subjects.
    subject: Option<String>,
    /// Only subjects starting with this prefix.
    #[arg(long)]
    prefix: Option<String>,
    /// Include soft-deleted subjects or versions.
    #[arg(long)]
    deleted: bool,
    #[command(flatten)]
    registry: RegistryFlag,
}

/// Flags of `herald schema delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// The subject.
    subject: String,
    /// Only this version (a number or `latest`); the whole subject when absent.
    #[arg(value_parser = parse_version)]
    version: Option<Version>,
    /// Delete for good (only after a soft delete, as Confluent requires).
    #[arg(long)]
    permanent: bool,
    #[command(flatten)]
    registry: RegistryFlag,
}

/// Flags of `herald schema config`.
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the compatibility level (of SUBJECT, else the global one).
    Get {
        /// The subject; the global level when absent.
        subject: Option<String>,
        #[command(flatten)]
        registry: RegistryFlag,
    },
    /// Set the compatibility level (of SUBJECT, else the global one).
    Set {
        /// NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE.
        level: CompatibilityLevel,
        /// The subject; the global level when absent.
        subject: Option<String>,
        #[command(flatten)]
        registry: RegistryFlag,
    },
}

/// Flags of `herald schema mode`.
#[derive(Debug, Args)]
pub(crate) struct ModeArgs {
    #[command(subcommand)]
    command: ModeCommand,
}

#[derive(Debug, Subcommand)]
enum ModeCommand {
    /// Print the mode (of SUBJECT, else the global one).
    Get {
        /// The subject; the global mode when absent.
        subject: Option<String>,
        #[command(flatten)]
        registry: RegistryFlag,
    },
    /// Set the mode (of SUBJECT, else the global one).
    Set {
        /// READWRITE, READONLY, READONLY_OVERRIDE or IMPORT.
        #[arg(value_parser = ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"], ignore_case = true)]
        mode: String,
        /// The subject; the global mode when absent.
        subject: Option<String>,
        /// Allow IMPORT while schemas exist.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        registry: RegistryFlag,
    },
}

fn parse_version(s: &str) -> Result<Version, String> {
    if s.eq_ignore_ascii_case("latest") || s == "-1" {
        return Ok(Version::Latest);
    }
    match s.parse::<i32>() {
        Ok(n) if n > 0 => Ok(Version::Number(n)),
        _ => Err(format!(
            "`{s}` is not a version: expected a number from 1, or `latest`"
        )),
    }
}

pub(crate) async fn get(args: GetArgs) -> anyhow::Result<u8> {
    let client = args.registry.client()?;
    let v = client
        .version(&args.subject, args.version)
        .await
        .map_err(|e| registry_error(e, &format!("reading {}", args.subject)))?;
    if args.schema_only {
        let pretty = serde_json::from_str::<serde_json::Value>(&v.schema)
            .and_then(|j| serde_json::to_string_pretty(&j))
            .unwrap_or(v.schema);
        println!("{pretty}");
    } else {
        println!("{}", serde_json::to_string_pretty(&v)?);
    }
    Ok(0)
}

pub(crate) async fn list(args: ListArgs) -> anyhow::Result<u8> {
    let client = args.registry.client()?;
    let deleted = if args.deleted {
        DeletedFilter::Include
    } else {
        DeletedFilter::Live
    };
    match &args.subject {
        Some(subject) => {
            let versions = client
                .versions(subject, deleted)
                .await
                .map_err(|e| registry_error(e, &format!("listing versions of {subject}")))?;
            for v in versions {
                println!("{v}");
            }
        }
        None => {
            let subjects = client
                .subjects(deleted)
                .await
                .map_err(|e| registry_error(e, "listing subjects"))?;
            let prefix = args.prefix.as_deref().unwrap_or("");
            for s in subjects.iter().filter(|s| s.starts_with(prefix)) {
                println!("{s}");
            }
        }
    }
    Ok(0)
}

pub(crate) async fn delete(args: DeleteArgs) -> anyhow::Result<u8> {
    let client = args.registry.client()?;
    let kind = if args.permanent {
        "permanently deleted"
    } else {
        "deleted"
    };
    match args.version {
        Some(version) => {
            let v = client
                .delete_version(&args.subject, version, args.permanent)
                .await
                .map_err(|e| registry_error(e, &format!("deleting {}", args.subject)))?;
            println!("{kind} {} version {v}", args.subject);
        }
        None => {
            let versions = client
                .delete_subject(&args.subject, args.permanent)
                .await
                .map_err(|e| registry_error(e, &format!("deleting {}", args.subject)))?;
            let list: Vec<String> = versions.iter().map(i32::to_string).collect();
            println!("{kind} {} (versions {})", args.subject, list.join(", "));
        }
    }
    Ok(0)
}

pub(crate) async fn config(args: ConfigArgs) -> anyhow::Result<u8> {
    match args.command {
        ConfigCommand::Get { subject, registry } => {
            let client = registry.client()?;
            let level = match &subject {
                Some(s) => super::check::registry_level(&client, s).await?,
                None => client
                    .config_of(None, false)
                    .await
                    .map_err(|e| registry_error(e, "reading the global level"))?
                    .compatibility_level
                    .and_then(|l| l.parse().ok())
                    .unwrap_or_default(),
            };
            println!("{level}");
        }
        ConfigCommand::Set {
            level,
            subject,
            registry,
        } => {
            let client = registry.client()?;
            client
                .set_compatibility(subject.as_deref(), level)
                .await
                .map_err(|e| registry_error(e, "setting the level"))?;
            println!("{}: {level}", subject.as_deref().unwrap_or("global"));
        }
    }
    Ok(0)
}

pub(crate) async fn mode(args: ModeArgs) -> anyhow::Result<u8> {
    match args.command {
        ModeCommand::Get { subject, registry } => {
            let client = registry.client()?;
            let mode = client
                .mode(subject.as_deref(), true)
                .await
                .map_err(|e| registry_error(e, "reading the mode"))?;
            println!("{}", mode.mode);
        }
        ModeCommand::Set {
            mode,
            subject,
            force,
            registry,
        } => {
            let client = registry.client()?;
            let set = client
                .set_mode(subject.as_deref(), &mode.to_ascii_uppercase(), force)
                .await
                .map_err(|e| registry_error(e, "setting the mode"))?;
            println!("{}: {}", subject.as_deref().unwrap_or("global"), set.mode);
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_numbers_from_one_or_latest() {
        assert_eq!(parse_version("latest"), Ok(Version::Latest));
        assert_eq!(parse_version("3"), Ok(Version::Number(3)));
        assert!(parse_version("0").is_err());
        assert!(parse_version("two").is_err());
    }
}
