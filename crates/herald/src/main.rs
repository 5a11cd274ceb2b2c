//! `herald`: one binary for Herald's services and tools.
//!
//! It parses flags (each also readable from a `HERALD_*` environment
//! variable), turns them into the library crates' typed configuration, and
//! runs them; it holds no domain logic of its own.
//!
//! Exit codes: 0 after a clean run or shutdown, 1 when the service failed
//! (cannot bind, cannot open the data directory, storage failure at
//! shutdown), 2 for invalid arguments. Tool commands (`schema`, `topic`,
//! `group`, `produce`, `consume`, `bench`): 0 when everything passed, 1 when a
//! contract or an input record was refused, 2 on usage, I/O or network errors.

mod bench;
mod broker;
mod completions;
mod data;
mod registry;
mod schema;
mod serve;
mod tool;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Herald: schema-registry-centric messaging.
#[derive(Debug, Parser)]
#[command(name = "herald", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the broker and the schema registry together (data under ./data).
    Serve(serve::ServeArgs),
    /// Run the Kafka-compatible broker.
    Broker(broker::BrokerArgs),
    /// Run the schema registry on a Kafka cluster (Herald's or Apache Kafka).
    Registry(registry::RegistryArgs),
    /// Contracts: check, register, lint, diff and administer schemas.
    Schema(schema::SchemaArgs),
    /// Create, list, describe, alter and delete topics.
    Topic(data::topic::TopicArgs),
    /// List and describe consumer groups, reset their offsets.
    Group(data::group::GroupArgs),
    /// Send JSON lines as records encoded with a registered schema.
    Produce(data::produce::ProduceArgs),
    /// Print records as JSON lines, decoded with their schemas.
    Consume(data::consume::ConsumeArgs),
    /// Measure throughput and latency of the SDK against a running cluster.
    Bench(bench::BenchArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Services log what they do; tools print their own results, so the
    // Kafka client's informational chatter would only bury them.
    let default_filter = match cli.command {
        Command::Serve(_) | Command::Broker(_) | Command::Registry(_) => "info",
        _ => "warn,confluent_kafka=error",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HERALD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Broker(args) => broker::run(args),
        Command::Registry(args) => registry::run(args),
        // Tool commands report on stdout/stderr themselves and have their
        // own exit codes: 0 pass, 1 a contract or record refused, 2 error.
        Command::Schema(args) => return schema::run(args),
        Command::Topic(args) => return tool::run(data::topic::run(args)),
        Command::Group(args) => return tool::run(data::group::run(args)),
        Command::Produce(args) => return tool::run(data::produce::run(args)),
        Command::Consume(args) => return tool::run(data::consume::run(args)),
        Command::Bench(args) => return tool::run(bench::run(args)),
        Command::Completions { shell } => {
            return completions::print(shell, &mut <Cli as clap::CommandFactory>::command());
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("herald: {e:#}");
            ExitCode::from(1)
        }
    }
}
