//! `herald`: one binary for Herald's services and tools.
//!
//! It parses flags (each also readable from a `HERALD_*` environment
//! variable), turns them into the library crates' typed configuration, and
//! runs them; it holds no domain logic of its own.
//!
//! Exit codes: 0 after a clean run or shutdown, 1 when the service failed
//! (cannot bind, cannot open the data directory, storage failure at
//! shutdown), 2 for invalid arguments.

mod broker;
mod registry;
mod serve;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HERALD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Broker(args) => broker::run(args),
        Command::Registry(args) => registry::run(args),
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
