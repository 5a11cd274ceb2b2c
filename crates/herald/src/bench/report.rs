//! What a bench prints: throughput and latency percentiles, as text for a
//! person or JSON for a script.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latencies in microseconds, from 1 µs to an hour, to 3 significant
/// digits (HdrHistogram keeps percentiles exact to that precision in a
/// fixed amount of memory, however many records a run sends).
#[derive(Debug, Clone)]
pub(crate) struct Latencies(Histogram<u64>);

impl Latencies {
    pub fn new() -> Latencies {
        // The bounds are constants that HdrHistogram accepts.
        #[allow(clippy::expect_used)]
        Latencies(Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds"))
    }

    /// Records one latency (clamped into the histogram's range).
    pub fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.0.saturating_record(us.max(1));
    }

    /// Records a latency given in microseconds (a negative one, from a
    /// clock step, counts as the smallest).
    pub fn record_us(&mut self, us: i64) {
        self.0
            .saturating_record(u64::try_from(us).unwrap_or(0).max(1));
    }

    /// The summary, in milliseconds; `None` when nothing was recorded.
    pub fn summary(&self, what: &str) -> Option<LatencySummary> {
        if self.0.is_empty() {
            return None;
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Some(LatencySummary {
            what: what.to_owned(),
            count: self.0.len(),
            p50_ms: ms(self.0.value_at_quantile(0.50)),
            p99_ms: ms(self.0.value_at_quantile(0.99)),
            p999_ms: ms(self.0.value_at_quantile(0.999)),
            max_ms: ms(self.0.max()),
            mean_ms: self.0.mean() / 1000.0,
        })
    }
}

/// Latency percentiles of one measured span.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LatencySummary {
    /// The span measured, e.g. `send→ack`.
    pub what: String,
    /// How many records it was measured on.
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

/// One bench run's figures.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    /// `produce`, `consume` or `end-to-end`.
    pub bench: &'static str,
    pub topic: String,
    /// Records measured (acknowledged, or delivered).
    pub records: u64,
    /// Records whose send failed.
    pub failed: u64,
    /// Bytes of the framed values measured (schema id + Avro datum; keys
    /// and headers are not counted).
    pub bytes: u64,
    /// The span the rates are computed over.
    pub seconds: f64,
    pub records_per_sec: f64,
    /// 10^6 bytes per second.
    pub mb_per_sec: f64,
    /// Latency spans; empty where the bench measures none.
    pub latency: Vec<LatencySummary>,
    /// Settings that shape the figures (acks, in-flight window, …).
    pub settings: serde_json::Map<String, serde_json::Value>,
}

impl Report {
    pub fn new(
        bench: &'static str,
        topic: &str,
        records: u64,
        bytes: u64,
        span: Duration,
    ) -> Report {
        let seconds = span.as_secs_f64().max(1e-9);
        Report {
            bench,
            topic: topic.to_owned(),
            records,
            failed: 0,
            bytes,
            seconds,
            records_per_sec: records as f64 / seconds,
            mb_per_sec: bytes as f64 / seconds / 1e6,
            latency: Vec::new(),
            settings: serde_json::Map::new(),
        }
    }

    pub fn setting(mut self, name: &str, value: impl Into<serde_json::Value>) -> Report {
        self.settings.insert(name.to_owned(), value.into());
        self
    }

    /// The report as a person reads it.
    pub fn human(&self) -> String {
        let mut out = format!(
            "{} {}: {} records, {:.1} MB in {:.2} s{}\n  {:>12.0} records/s  {:>9.2} MB/s\n",
            self.bench,
            self.topic,
            self.records,
            self.bytes as f64 / 1e6,
            self.seconds,
            if self.failed > 0 {
                format!(" ({} failed)", self.failed)
            } else {
                String::new()
            },
            self.records_per_sec,
            self.mb_per_sec,
        );
        for l in &self.latency {
            out.push_str(&format!(
                "  {:<16} p50 {:>8.2} ms  p99 {:>8.2} ms  p99.9 {:>8.2} ms  max {:>8.2} ms\n",
                l.what, l.p50_ms, l.p99_ms, l.p999_ms, l.max_ms
            ));
        }
        let settings: Vec<String> = self
            .settings
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect();
        if !settings.is_empty() {
            out.push_str(&format!("  ({})\n", settings.join(", ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_rates() {
        let mut l = Latencies::new();
        for ms in 1..=100u64 {
            l.record(Duration::from_millis(ms));
        }
        l.record_us(-5);
        let s = l.summary("send→ack").unwrap();
        assert_eq!(s.count, 101);
        assert!((s.p50_ms - 50.0).abs() < 0.1, "{s:?}");
        assert!((s.p99_ms - 99.0).abs() < 0.1, "{s:?}");
        assert!((s.max_ms - 100.0).abs() < 0.1, "{s:?}");
        assert!(Latencies::new().summary("x").is_none());

        let mut r = Report::new("produce", "t", 2000, 200_000, Duration::from_secs(2));
        r.latency.push(s);
        let r = r.setting("acks", "all");
        assert_eq!(r.records_per_sec, 1000.0);
        assert_eq!(r.mb_per_sec, 0.1);
        let text = r.human();
        assert!(text.contains("1000 records/s"), "{text}");
        assert!(text.contains("p99    99.0"), "{text}");
        assert!(text.contains("(acks=all)"), "{text}");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["latency"][0]["what"], "send→ack");
        assert_eq!(json["settings"]["acks"], "all");
    }
}
