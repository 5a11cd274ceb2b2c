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
    /// A Kafka client property for the registry's clients, `key=value`
    /// (repeatable), e.g. `security.protocol=SASL_SSL`.
    #[arg(long = "kafka-property", value_parser = parse_property)]
    kafka_properties: Vec<(String, String)>,
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
    let mut config = herald_registry::Config::with_bootstrap(args.kafka_bootstrap);
    config.topic = args.topic;
    for (key, value) in args.kafka_properties {
        config.kafka = config.kafka.with(key, value);
    }
    runtime()?.block_on(async move {
        let registry = BoundRegistry::bind(args.listen, config).await?;
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
}
