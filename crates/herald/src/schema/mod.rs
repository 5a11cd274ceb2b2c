//! `herald schema …`: contracts kept in a repository and enforced in CI.
//!
//! Exit codes: 0 when everything passes, 1 when a contract is broken (an
//! incompatible change, an invalid schema given to `validate`, a lint
//! warning under `--deny-warnings`), 2 on usage, I/O, network or manifest
//! errors.

mod admin;
mod check;
mod diff;
mod hints;
mod lint;
mod load;
mod locate;
mod manifest;
mod register;
mod report;
mod source;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use herald_client::{ClientError, RegistryConfig, SchemaRegistryClient};

pub(crate) use report::Format;

/// Flags of `herald schema`.
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    #[command(subcommand)]
    command: SchemaCommand,
}

/// Where the registry is.
#[derive(Debug, Clone, Args)]
pub(crate) struct RegistryFlag {
    /// Schema registry URL (comma-separated for several).
    #[arg(long, env = "HERALD_REGISTRY", default_value = "http://localhost:8081")]
    pub registry: String,
}

impl RegistryFlag {
    /// A client with short retries: a person or a CI job is waiting.
    pub fn client(&self) -> anyhow::Result<SchemaRegistryClient> {
        let mut config = RegistryConfig::new(&self.registry);
        config.max_retries = 2;
        config.retry_wait = Duration::from_millis(200);
        config.retry_max_wait = Duration::from_secs(2);
        config.request_timeout = Duration::from_secs(30);
        SchemaRegistryClient::new(config)
            .with_context(|| format!("registry URL {:?}", self.registry))
    }
}

/// Where the manifest is.
#[derive(Debug, Clone, Args)]
pub(crate) struct ManifestFlag {
    /// The contract manifest.
    #[arg(long, env = "HERALD_MANIFEST", default_value = "schemas/herald.toml")]
    pub manifest: PathBuf,
}

#[derive(Debug, Subcommand)]
enum SchemaCommand {
    /// Check every manifest entry against the registry or a git revision.
    Check(CheckArgs),
    /// Register every manifest entry (idempotent).
    Register(register::RegisterArgs),
    /// Parse one schema file and report errors with line and column.
    Validate(lint::ValidateArgs),
    /// Style warnings: missing docs, fields without defaults, enums without a default symbol.
    Lint(lint::LintArgs),
    /// A readable diff between two versions of a subject (or a file and a version).
    Diff(diff::DiffArgs),
    /// Print a registered version of a subject.
    Get(admin::GetArgs),
    /// List subjects (or a subject's versions).
    List(admin::ListArgs),
    /// Delete a subject or one version (soft, or --permanent).
    Delete(admin::DeleteArgs),
    /// Read or set the compatibility level (global or per subject).
    Config(admin::ConfigArgs),
    /// Read or set the registry mode (READWRITE, READONLY, IMPORT).
    Mode(admin::ModeArgs),
}

/// Flags of `herald schema check`.
#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    manifest: ManifestFlag,
    #[command(flatten)]
    registry: RegistryFlag,
    /// Baseline: `registry` (default), `git:<rev>` (offline, e.g. git:origin/main)
    /// or `dir:<path>` (another checkout's manifest directory).
    #[arg(long, default_value = "registry")]
    against: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Check only these subjects (repeatable).
    #[arg(long = "subject")]
    subjects: Vec<String>,
}

/// Runs a `herald schema` command and turns its outcome into the exit code.
pub(crate) fn run(args: SchemaArgs) -> ExitCode {
    crate::tool::run(async move {
        match args.command {
            SchemaCommand::Check(a) => run_check(a).await,
            SchemaCommand::Register(a) => register::run(a).await,
            SchemaCommand::Validate(a) => lint::validate(a),
            SchemaCommand::Lint(a) => lint::run(a),
            SchemaCommand::Diff(a) => diff::run(a).await,
            SchemaCommand::Get(a) => admin::get(a).await,
            SchemaCommand::List(a) => admin::list(a).await,
            SchemaCommand::Delete(a) => admin::delete(a).await,
            SchemaCommand::Config(a) => admin::config(a).await,
            SchemaCommand::Mode(a) => admin::mode(a).await,
        }
    })
}

async fn run_check(args: CheckArgs) -> anyhow::Result<u8> {
    let manifest = manifest::Manifest::load(&args.manifest.manifest)?;
    let entries = manifest.select(&args.subjects)?;
    let new = load::load(
        &manifest,
        &source::WorkTree {
            dir: manifest.dir.clone(),
        },
    )?;
    let client;
    let baseline = match args.against.split_once(':') {
        None if args.against == "registry" => {
            client = args.registry.client()?;
            check::Baseline::Registry(&client)
        }
        Some(("git", rev)) => {
            let files = source::GitRevision::open(&manifest.dir, rev)?;
            tree_baseline(&manifest, &files)?
        }
        Some(("dir", dir)) => {
            let files = source::WorkTree {
                dir: PathBuf::from(dir),
            };
            tree_baseline(&manifest, &files)?
        }
        _ => bail!(
            "--against {:?}: expected `registry`, `git:<rev>` or `dir:<path>`",
            args.against
        ),
    };
    let report = check::run(&entries, &new, &baseline).await?;
    let stdout = std::io::stdout();
    let color = anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never;
    report::write(&report, args.format, color, &mut stdout.lock())?;
    Ok(report.exit_code())
}

/// The manifest of the same name in another tree, loaded as a baseline.
fn tree_baseline(
    manifest: &manifest::Manifest,
    files: &dyn source::Files,
) -> anyhow::Result<check::Baseline<'static>> {
    let old = manifest::Manifest::load_from(files, &manifest.path)?;
    let side = match &old {
        Some(m) => load::load(m, files)?,
        None => load::Side::default(),
    };
    Ok(check::Baseline::Tree {
        description: files.describe(),
        manifest: old,
        side,
    })
}

/// A registry error with what was being done, and a hint when the
/// registry is simply not there.
pub(crate) fn registry_error(e: ClientError, doing: &str) -> anyhow::Error {
    let hint = if matches!(e, ClientError::RegistryUnreachable { .. }) {
        "\nhint: is the registry running? (`herald serve`, or pass --registry / set HERALD_REGISTRY)"
    } else {
        ""
    };
    anyhow::anyhow!("{doing}: {e}{hint}")
}
