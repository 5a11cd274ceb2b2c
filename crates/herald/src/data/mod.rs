//! `herald topic …`, `herald group …`, `herald produce` and
//! `herald consume`: topics and records from the shell.

pub(crate) mod codec;
pub(crate) mod consume;
pub(crate) mod envelope;
pub(crate) mod group;
pub(crate) mod produce;
pub(crate) mod sender;
pub(crate) mod topic;

use std::collections::BTreeMap;

use clap::Args;
use herald_client::transport::KafkaConfig;

/// Where the Kafka cluster is.
#[derive(Debug, Clone, Args)]
pub(crate) struct KafkaFlags {
    /// Kafka bootstrap servers (`host:port[,host:port…]`).
    #[arg(long, env = "HERALD_BOOTSTRAP", default_value = "localhost:9092")]
    pub bootstrap: String,
    /// Extra Kafka client property `key=value` (repeatable; e.g. security.protocol=SSL).
    #[arg(long = "kafka-property", value_parser = parse_key_value)]
    pub properties: Vec<(String, String)>,
}

impl KafkaFlags {
    /// The client configuration these flags describe.
    pub fn config(&self) -> KafkaConfig {
        let mut config = KafkaConfig::new(&self.bootstrap);
        config.client_id = "herald-cli".to_owned();
        for (k, v) in &self.properties {
            config = config.with(k, v);
        }
        config
    }
}

/// Parses `key=value`.
pub(crate) fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("`{s}` is not key=value")),
    }
}

/// `key=value` pairs as a map (the last value of a key wins).
pub(crate) fn to_map(pairs: &[(String, String)]) -> BTreeMap<String, String> {
    pairs.iter().cloned().collect()
}

/// A point in time for `--from` / `--to`: RFC 3339 (`2026-11-28T09:00:00Z`),
/// milliseconds since the epoch (`1764320400000` or `@1764320400000`, as
/// kcat's `s@`), or a duration ago (`15m`, `2h`, `1day`); milliseconds
/// since the epoch.
pub(crate) fn parse_time(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix('@').unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits
            .parse::<i64>()
            .map_err(|_| format!("`{s}` is too large for milliseconds since the epoch"));
    }
    let now = std::time::SystemTime::now();
    let at = if let Ok(t) = humantime::parse_rfc3339_weak(s) {
        t
    } else if let Ok(d) = humantime::parse_duration(s) {
        now.checked_sub(d)
            .ok_or_else(|| format!("`{s}` ago is before the epoch"))?
    } else {
        return Err(format!(
            "`{s}` is neither a time (2026-11-28T09:00:00Z, @<epoch ms>) nor a duration ago (15m, 2h)"
        ));
    };
    at.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .map_err(|_| format!("`{s}` is before the epoch"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_and_times() {
        assert_eq!(parse_key_value("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_key_value("novalue").is_err());
        assert_eq!(parse_time("1970-01-01T00:00:01Z"), Ok(1000));
        assert_eq!(parse_time("1764320400000"), Ok(1_764_320_400_000));
        assert_eq!(parse_time("@1764320400000"), Ok(1_764_320_400_000));
        assert!(parse_time("@").is_err());
        let ago = parse_time("1h").unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        assert!((now - ago - 3_600_000).abs() < 5_000);
        assert!(parse_time("yesterday-ish").is_err());
    }
}
