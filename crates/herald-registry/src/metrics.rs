//! Prometheus metrics, kept per registry rather than in a process-wide
//! recorder so that several registries (tests, an embedded `herald serve`)
//! never mix their numbers.

use std::time::Duration;

use metrics::{Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

static META: Metadata<'static> =
    Metadata::new("herald_registry", Level::INFO, Some(module_path!()));

const REQUESTS: &str = "herald_registry_requests_total";
const LATENCY: &str = "herald_registry_request_duration_seconds";
const CHECKS: &str = "herald_registry_compatibility_checks_total";
const SCHEMAS: &str = "herald_registry_schemas";
const SUBJECTS: &str = "herald_registry_subjects";
const RECORDS: &str = "herald_registry_records_applied";
const LEADER: &str = "herald_registry_leader";

/// The registry's metrics: requests by route and status, request latency,
/// compatibility checks by result, schema/subject counts, and whether this
/// instance is the one that writes (`herald_registry_leader`).
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Empty metrics with latency buckets from 50 µs to 5 s.
    pub fn new() -> Metrics {
        let buckets = [
            0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
            0.5, 1.0, 2.5, 5.0,
        ];
        let builder = PrometheusBuilder::new();
        // Setting buckets only fails for an empty list.
        let builder =
            match builder.set_buckets_for_metric(Matcher::Full(LATENCY.to_owned()), &buckets) {
                Ok(b) => b,
                Err(_) => PrometheusBuilder::new(),
            };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        Metrics { recorder, handle }
    }

    /// Counts one request and its latency.
    pub fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = vec![
            Label::new("method", method.to_owned()),
            Label::new("route", route.to_owned()),
            Label::new("status", status.to_string()),
        ];
        self.recorder
            .register_counter(&Key::from_parts(REQUESTS, labels), &META)
            .increment(1);
        let labels = vec![Label::new("route", route.to_owned())];
        self.recorder
            .register_histogram(&Key::from_parts(LATENCY, labels), &META)
            .record(elapsed.as_secs_f64());
    }

    /// Counts one compatibility check (`compatible`, `incompatible`).
    pub fn compatibility_check(&self, compatible: bool) {
        let result = if compatible {
            "compatible"
        } else {
            "incompatible"
        };
        self.recorder
            .register_counter(
                &Key::from_parts(CHECKS, vec![Label::new("result", result)]),
                &META,
            )
            .increment(1);
    }

    /// Folds recorded latencies into their buckets; call now and then so
    /// unscraped samples do not pile up.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// Sets `herald_registry_leader`: 1 while this instance writes to
    /// `_schemas` (the elected leader, or a registry without an election),
    /// 0 on a follower, while a leader is being elected, without a usable
    /// leader and once stopped. The caller passes [`Role::writes`] of the
    /// role it is about to report, so the gauge never lags the role.
    ///
    /// [`Role::writes`]: crate::Role::writes
    pub fn leader(&self, writes: bool) {
        self.recorder
            .register_gauge(&Key::from_name(LEADER), &META)
            .set(if writes { 1.0 } else { 0.0 });
    }

    /// The Prometheus text exposition, with the given state counts.
    pub fn render(&self, schemas: usize, subjects: usize, records: u64) -> String {
        let gauge = |name: &'static str, value: f64| {
            self.recorder
                .register_gauge(&Key::from_name(name), &META)
                .set(value);
        };
        gauge(SCHEMAS, schemas as f64);
        gauge(SUBJECTS, subjects as f64);
        gauge(RECORDS, records as f64);
        self.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_requests_latency_checks_and_counts() {
        let m = Metrics::new();
        m.request("GET", "/schemas/ids/{id}", 200, Duration::from_micros(80));
        m.request("GET", "/schemas/ids/{id}", 404, Duration::from_micros(80));
        m.compatibility_check(false);
        let text = m.render(3, 2, 9);
        assert!(
            text.contains(r#"herald_registry_requests_total{method="GET",route="/schemas/ids/{id}",status="200"} 1"#),
            "{text}"
        );
        assert!(
            text.contains("herald_registry_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(
            text.contains(r#"herald_registry_compatibility_checks_total{result="incompatible"} 1"#)
        );
        assert!(text.contains("herald_registry_schemas 3"));
        assert!(text.contains("herald_registry_subjects 2"));
    }

    #[test]
    fn the_leader_gauge_follows_the_role() {
        let m = Metrics::new();
        m.leader(true);
        assert!(m.render(0, 0, 0).contains("herald_registry_leader 1"));
        m.leader(false);
        let text = m.render(0, 0, 0);
        assert!(text.contains("herald_registry_leader 0"), "{text}");
    }
}
