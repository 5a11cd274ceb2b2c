//! The compose files parse as Compose specification documents (with the
//! `compose_spec` parser, which rejects unknown keys and invalid values)
//! and say what the README promises: ports, the data volume, health checks,
//! and the registry on a three-broker KRaft cluster.

use std::path::Path;

use compose_spec::Compose;
use serde_json::Value;

fn load(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../compose")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let compose: Compose = Compose::options()
        .apply_merge(true)
        .from_yaml_str(&text)
        .unwrap_or_else(|e| panic!("{file} is not a valid compose file: {e}"));
    compose
        .validate_all()
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::to_value(&compose).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| match s {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// The health check command; the parser keeps `CMD` lists as lists and
/// turns `CMD-SHELL` into the shell string.
fn healthcheck_runs(service: &Value) -> String {
    match &service["healthcheck"]["test"] {
        Value::String(shell) => shell.clone(),
        list => strings(list).join(" "),
    }
}

#[test]
fn single_node_serves_both_ports_keeps_data_in_a_volume_and_checks_health() {
    let c = load("docker-compose.yml");
    let herald = &c["services"]["herald"];
    assert_eq!(strings(&herald["command"]), ["serve"]);
    let ports = herald["ports"].to_string();
    assert!(ports.contains("9092") && ports.contains("8081"), "{ports}");
    let volumes = herald["volumes"].to_string();
    assert!(
        volumes.contains("herald-data") && volumes.contains("/data"),
        "{volumes}"
    );
    assert!(
        c["volumes"].get("herald-data").is_some(),
        "{}",
        c["volumes"]
    );
    assert_eq!(herald["environment"]["HERALD_DATA_DIR"], "/data");
    assert_eq!(
        healthcheck_runs(herald),
        "CMD herald schema list --registry http://localhost:8081"
    );
    assert_eq!(herald["build"]["dockerfile"], "compose/Dockerfile");
}

#[test]
fn kafka_cluster_has_three_kraft_brokers_and_the_registry_on_them() {
    let c = load("kafka-cluster.yml");
    let services = c["services"].as_object().unwrap();
    let brokers: Vec<&String> = services
        .keys()
        .filter(|k| k.starts_with("kafka-"))
        .collect();
    assert_eq!(brokers.len(), 3, "{brokers:?}");
    let mut ids = Vec::new();
    for name in &brokers {
        let env = &services[name.as_str()]["environment"];
        assert_eq!(env["KAFKA_PROCESS_ROLES"], "broker,controller", "{name}");
        assert_eq!(
            env["KAFKA_CONTROLLER_QUORUM_VOTERS"],
            "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
        );
        assert!(
            env["CLUSTER_ID"].as_str().unwrap().len() == 22,
            "a base64 UUID"
        );
        assert!(
            services[name.as_str()]["image"]
                .as_str()
                .unwrap()
                .starts_with("apache/kafka:4")
        );
        ids.push(env["KAFKA_NODE_ID"].to_string());
        assert!(!healthcheck_runs(&services[name.as_str()]).is_empty());
    }
    ids.sort();
    assert_eq!(ids, ["1", "2", "3"]);

    let registry = &services["registry"];
    assert_eq!(
        strings(&registry["command"]),
        [
            "registry",
            "--kafka-bootstrap",
            "kafka-1:19092,kafka-2:19092,kafka-3:19092"
        ]
    );
    assert!(registry["ports"].to_string().contains("8081"));
    for b in &brokers {
        assert_eq!(
            registry["depends_on"][b.as_str()]["condition"],
            "service_healthy",
            "{}",
            registry["depends_on"]
        );
    }
}
