//! `herald registry`: the schema registry alone, on any Kafka cluster —
//! the embedded broker of another `herald serve`, or Apache Kafka when one
//! machine is not enough.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;

use crate::broker::{runtime, shutdown_signal};

/// Flags of `herald registry`.
#[derive(Debug, Args)]
pub(crate) struct RegistryArgs {
    /// Address to listen on for HTTP (the Confluent Schema Registry API).
    #[arg(long, env = "HERALD_REGISTRY_LISTEN", default_value = "0.0.0.0:8081")]
    listen: SocketAddr,
    /// The Kafka cluster holding the registry's topic, `host:port[,host:port…]`.
    #[arg(long, env = "HERALD_KAFKA_BOOTSTRAP")]
    kafka_bootstrap: String,
    /// The compacted topic holding schemas, configs and modes (Confluent's
    /// `kafkastore.topic`): point it at an existing Confluent registry's
    /// topic to take over its schemas and ids.
    #[arg(long, env = "HERALD_REGISTRY_TOPIC", default_value = "_schemas")]
    topic: String,
    /// A Kafka client property for the registry's clients and its leader
    /// election, `key=value` (repeatable), e.g. `security.protocol=SASL_SSL`.
    /// Security settings take the Java client's names, read by every
    /// connection: `ssl.truststore.location` / `ssl.truststore.certificates`
    /// (PEM), `ssl.keystore.location` (PEM key and chain) or
    /// `ssl.keystore.key` with `ssl.keystore.certificate.chain`,
    /// `sasl.mechanism`, `sasl.jaas.config`. librdkafka's `ssl.ca.location`, `ssl.ca.pem`,
    /// `ssl.certificate.location`, `ssl.key.location`, `sasl.username` and
    /// `sasl.password` are accepted as aliases of them.
    #[arg(long = "kafka-property", value_parser = parse_property)]
    kafka_properties: Vec<(String, String)>,
    /// The group in which instances over the same topic elect the leader
    /// that takes every write (Confluent's `schema.registry.group.id`).
    #[arg(
        long,
        env = "HERALD_REGISTRY_GROUP_ID",
        default_value = "schema-registry"
    )]
    group_id: String,
    /// Whether this instance may become the leader (Confluent's
    /// `leader.eligibility`); a non-eligible one forwards every write.
    #[arg(long, env = "HERALD_REGISTRY_LEADER_ELIGIBILITY", default_value_t = true, action = clap::ArgAction::Set)]
    leader_eligibility: bool,
    /// The host other instances reach this one at (Confluent's `host.name`);
    /// default: the listen address, or this machine's host name when
    /// listening on all interfaces.
    #[arg(long, env = "HERALD_REGISTRY_ADVERTISED_HOST")]
    advertised_host: Option<String>,
    /// The port other instances reach this one at; default: the listen port.
    #[arg(long, env = "HERALD_REGISTRY_ADVERTISED_PORT")]
    advertised_port: Option<u16>,
    /// `http` or `https`: how other instances reach this one.
    #[arg(long, env = "HERALD_REGISTRY_ADVERTISED_SCHEME", default_value = "http", value_parser = ["http", "https"])]
    advertised_scheme: String,
}

/// The election settings from the flags, for a registry bound at `bound`.
fn election(args: &RegistryArgs, bound: SocketAddr) -> herald_registry::ElectionConfig {
    let host = args.advertised_host.clone().unwrap_or_else(|| {
        if bound.ip().is_unspecified() {
            host_name()
        } else {
            bound.ip().to_string()
        }
    });
    let mut election =
        herald_registry::ElectionConfig::new(host, args.advertised_port.unwrap_or(bound.port()));
    election.group_id = args.group_id.clone();
    election.eligible = args.leader_eligibility;
    election.scheme = args.advertised_scheme.clone();
    election
}

/// This machine's host name, as Confluent advertises by default (read
/// from the kernel: no crate needed for one file).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| {
            tracing::warn!(
                "cannot read the host name; advertising localhost (set --advertised-host)"
            );
            "localhost".to_owned()
        })
}

fn parse_property(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("`{s}` is not key=value")),
    }
}

/// A registry whose HTTP listener is bound, not yet serving.
pub(crate) struct BoundRegistry {
    listener: tokio::net::TcpListener,
    config: herald_registry::Config,
}

impl BoundRegistry {
    /// Binds `listen` for a registry storing its state through `config.kafka`.
    pub(crate) async fn bind(
        listen: SocketAddr,
        mut config: herald_registry::Config,
    ) -> anyhow::Result<BoundRegistry> {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let bound = listener.local_addr().context("reading the bound address")?;
        config.listen = bound;
        tracing::info!(
            listen = %bound,
            kafka = %config.kafka.bootstrap,
            topic = %config.topic,
            "herald registry listening"
        );
        Ok(BoundRegistry { listener, config })
    }

    /// Serves the REST API until `shutdown` completes; the registry keeps
    /// retrying to reach its Kafka cluster in the meantime (answering 50003
    /// until it has replayed its topic).
    pub(crate) async fn serve_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        herald_registry::serve(self.listener, self.config, shutdown)
            .await
            .context("schema registry")
    }
}

/// Runs the registry until SIGTERM or ctrl-c.
pub(crate) fn run(args: RegistryArgs) -> anyhow::Result<()> {
    let mut config = herald_registry::Config::with_bootstrap(args.kafka_bootstrap.clone());
    config.topic = args.topic.clone();
    for (key, value) in &args.kafka_properties {
        config.kafka = config.kafka.with(key.clone(), value.clone());
    }
    runtime()?.block_on(async move {
        let mut registry = BoundRegistry::bind(args.listen, config).await?;
        let election = election(&args, registry.config.listen);
        tracing::info!(
            group = %election.group_id,
            url = %election.identity().url(),
            eligible = election.eligible,
            "herald registry takes part in the leader election"
        );
        registry.config.election = Some(election);
        registry.serve_until(shutdown_signal()).await?;
        tracing::info!("stopped cleanly");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_parsing() {
        assert_eq!(
            parse_property("sasl.mechanism=PLAIN"),
            Ok(("sasl.mechanism".to_owned(), "PLAIN".to_owned()))
        );
        assert_eq!(
            parse_property("a=b=c"),
            Ok(("a".to_owned(), "b=c".to_owned()))
        );
        assert!(parse_property("novalue").is_err());
        assert!(parse_property("=x").is_err());
    }

    #[test]
    fn election_flags_default_as_confluent() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            args: RegistryArgs,
        }
        let cli = Cli::parse_from(["x", "--kafka-bootstrap", "k:9092"]);
        let e = election(&cli.args, "10.0.0.7:8081".parse().unwrap());
        assert_eq!(e.group_id, "schema-registry");
        assert!(e.eligible);
        assert_eq!(e.identity().url(), "http://10.0.0.7:8081");
        let cli = Cli::parse_from([
            "x",
            "--kafka-bootstrap",
            "k:9092",
            "--leader-eligibility",
            "false",
            "--advertised-host",
            "sr-2",
            "--advertised-port",
            "18081",
            "--group-id",
            "sr",
        ]);
        let e = election(&cli.args, "0.0.0.0:8081".parse().unwrap());
        assert!(!e.eligible);
        assert_eq!(
            (e.group_id.as_str(), e.identity().url()),
            ("sr", "http://sr-2:18081".to_owned())
        );
        assert!(!host_name().is_empty());
    }
}
