//! Several registry instances over one broker: one leader elected through
//! the `sr` group, followers forwarding writes over HTTP, a new leader
//! taking over without reusing ids, a non-eligible instance that only
//! forwards, and 50004 when nobody can lead.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::TestBroker;
use herald_registry::{ElectionConfig, Registry, Role, serve_registry};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// One registry instance serving HTTP on a loopback port.
pub(crate) struct Instance {
    pub(crate) registry: Arc<Registry>,
    pub(crate) url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Instance {
    async fn start(broker: &TestBroker, host: &str, eligible: bool) -> Instance {
        Self::start_with(broker.config(), host, eligible).await
    }

    /// An instance over the broker `config` points at, advertising `host`,
    /// once it is ready.
    pub(crate) async fn start_with(
        config: herald_registry::Config,
        host: &str,
        eligible: bool,
    ) -> Instance {
        let instance = Self::spawn(config, host, eligible).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !instance.registry.is_ready() {
            assert!(Instant::now() < deadline, "instance not ready in time");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        instance
    }

    /// The same, serving HTTP at once, without waiting for it to be ready.
    pub(crate) async fn spawn(
        mut config: herald_registry::Config,
        host: &str,
        eligible: bool,
    ) -> Instance {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut election = ElectionConfig::new(host, port);
        election.eligible = eligible;
        election.session_timeout = Duration::from_secs(2);
        election.heartbeat_interval = Duration::from_millis(100);
        election.rebalance_timeout = Duration::from_secs(3);
        election.leader_wait = Duration::from_secs(5);
        config.election = Some(election);
        let registry = Registry::new(config);
        let (stop, stopped) = oneshot::channel::<()>();
        let served = registry.clone();
        let task = tokio::spawn(async move {
            serve_registry(listener, served, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Instance {
            registry,
            url: format!("http://127.0.0.1:{port}"),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Shuts down gracefully: the instance leaves the group.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let client = reqwest::Client::new();
        let mut request = client.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub(crate) async fn register(&self, subject: &str, schema: &Value) -> (u16, Value) {
        self.call(
            reqwest::Method::POST,
            &format!("/subjects/{subject}/versions"),
            Some(schema.clone()),
        )
        .await
    }
}

impl Instance {
    /// `herald_registry_leader` as `/metrics` shows it now.
    pub(crate) async fn leader_gauge(&self) -> Option<u8> {
        let (status, text) = self.get("/metrics").await;
        assert_eq!(status, 200, "{text}");
        let text = text.as_str().unwrap_or_default().to_owned();
        text.lines()
            .find_map(|l| l.strip_prefix("herald_registry_leader "))
            .and_then(|v| v.trim().parse().ok())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub(crate) fn record(name: &str, field: &str) -> Value {
    let schema =
        json!({"type": "record", "name": name, "fields": [{"name": field, "type": "string"}]});
    json!({"schema": schema.to_string()})
}

/// Waits until `check` holds over the instances' roles.
pub(crate) async fn until_roles(
    instances: &[&Instance],
    check: impl Fn(&[Role]) -> bool,
) -> Vec<Role> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let roles: Vec<Role> = instances.iter().map(|i| i.registry.role()).collect();
        if check(&roles) {
            return roles;
        }
        assert!(Instant::now() < deadline, "roles never settled: {roles:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Exactly one leader, and every other instance follows its URL.
fn one_leader(instances: &[&Instance], roles: &[Role]) -> Option<usize> {
    let leaders: Vec<usize> = (0..roles.len())
        .filter(|i| roles[*i] == Role::Leader)
        .collect();
    let [leader] = leaders.as_slice() else {
        return None;
    };
    let url = &instances[*leader].url;
    roles
        .iter()
        .enumerate()
        .all(|(i, r)| i == *leader || *r == Role::Follower { url: url.clone() })
        .then_some(*leader)
}

pub(crate) async fn elected(instances: &[&Instance]) -> usize {
    let roles = until_roles(instances, |r| one_leader(instances, r).is_some()).await;
    one_leader(instances, &roles).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_leader_and_writes_on_a_follower_are_forwarded() {
    let broker = TestBroker::start_for_elections().await;
    let a = Instance::start(&broker, "127.0.0.1", true).await;
    let b = Instance::start(&broker, "127.0.0.1", true).await;
    let leader = elected(&[&a, &b]).await;
    let (leader, follower) = if leader == 0 { (&a, &b) } else { (&b, &a) };

    let (status, reply) = follower
        .register("orders-value", &record("Order", "id"))
        .await;
    assert_eq!(status, 200, "{reply}");
    let id = reply["id"].as_i64().unwrap();
    // Both serve it: the leader wrote it, the follower read it back before answering.
    for instance in [leader, follower] {
        let (status, body) = instance.get(&format!("/schemas/ids/{id}")).await;
        assert_eq!(status, 200, "{} {body}", instance.url);
        let (status, body) = instance.get("/subjects/orders-value/versions/latest").await;
        assert_eq!((status, body["version"].as_i64()), (200, Some(1)), "{body}");
    }

    // Every kind of write goes through the follower: config, mode, deletes.
    let put = reqwest::Method::PUT;
    let (status, body) = follower
        .call(
            put.clone(),
            "/config/orders-value",
            Some(json!({"compatibility": "FULL"})),
        )
        .await;
    assert_eq!((status, &body), (200, &json!({"compatibility": "FULL"})));
    let (_, body) = leader.get("/config/orders-value").await;
    assert_eq!(body["compatibilityLevel"], "FULL");
    let (status, body) = follower
        .call(put, "/mode/orders-value", Some(json!({"mode": "READONLY"})))
        .await;
    assert_eq!(status, 200, "{body}");
    // READONLY on the leader refuses a new schema sent to the follower.
    let (status, body) = follower
        .register("orders-value", &record("Order", "other"))
        .await;
    assert_eq!(
        (status, body["error_code"].as_i64()),
        (422, Some(42205)),
        "{body}"
    );
    let (status, _) = follower
        .call(reqwest::Method::DELETE, "/mode/orders-value", None)
        .await;
    assert_eq!(status, 200);
    let (status, body) = follower
        .call(
            reqwest::Method::DELETE,
            "/subjects/orders-value/versions/1",
            None,
        )
        .await;
    assert_eq!((status, body), (200, json!(1)));
    let (status, body) = leader.get("/subjects/orders-value/versions").await;
    assert_eq!(status, 404, "{body}");

    // An error of the leader comes back as it is.
    let (status, body) = follower
        .call(
            reqwest::Method::POST,
            "/subjects/x/versions",
            Some(json!({"schema": "{not json"})),
        )
        .await;
    assert_eq!((status, body["error_code"].as_i64()), (422, Some(42201)));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations_through_both_instances_agree() {
    let broker = TestBroker::start_for_elections().await;
    let a = Arc::new(Instance::start(&broker, "127.0.0.1", true).await);
    let b = Arc::new(Instance::start(&broker, "127.0.0.1", true).await);
    elected(&[&a, &b]).await;

    // 3 subjects × 4 schemas each, every schema sent to both instances.
    let mut calls = Vec::new();
    for subject in 0..3 {
        for field in 0..4 {
            for instance in [a.clone(), b.clone()] {
                calls.push(tokio::spawn(async move {
                    let subject = format!("s{subject}");
                    // BACKWARD: adding an optional field keeps every version compatible.
                    let fields: Vec<Value> = (0..=field)
                        .map(|f| {
                            if f == 0 {
                                json!({"name": "f0", "type": "string"})
                            } else {
                                json!({"name": format!("f{f}"), "type": ["null", "string"], "default": null})
                            }
                        })
                        .collect();
                    // One name per subject: the same content under two
                    // subjects would rightly share an id.
                    let schema = json!({"type": "record", "name": subject.to_uppercase(), "fields": fields});
                    let body = json!({"schema": schema.to_string()});
                    let (status, reply) = instance.register(&subject, &body).await;
                    (subject, field, status, reply)
                }));
            }
        }
    }
    let mut ids: BTreeMap<(String, i32), HashSet<i64>> = BTreeMap::new();
    for call in calls {
        let (subject, field, status, reply) = call.await.unwrap();
        // In any order the schemas stay BACKWARD compatible (fields are
        // dropped, or added optional with a default): every call succeeds.
        assert_eq!(status, 200, "{subject} {field}: {reply}");
        ids.entry((subject, field))
            .or_default()
            .insert(reply["id"].as_i64().unwrap());
    }
    let mut all = HashSet::new();
    for ((subject, field), found) in &ids {
        assert_eq!(found.len(), 1, "{subject} f{field} got ids {found:?}");
        assert!(all.insert(*found.iter().next().unwrap()), "id reused");
    }
    assert_eq!(all.len(), 12);
    for instance in [&a, &b] {
        for subject in 0..3 {
            let (status, versions) = instance
                .get(&format!("/subjects/s{subject}/versions"))
                .await;
            assert_eq!(status, 200);
            assert_eq!(versions, json!([1, 2, 3, 4]), "{} s{subject}", instance.url);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_leader_stops_another_takes_over_without_reusing_ids() {
    let broker = TestBroker::start_for_elections().await;
    let a = Instance::start(&broker, "127.0.0.1", true).await;
    let b = Instance::start(&broker, "127.0.0.1", true).await;
    let leader = elected(&[&a, &b]).await;
    let (old, survivor) = if leader == 0 { (a, b) } else { (b, a) };
    assert_eq!(old.leader_gauge().await, Some(1), "the leader's gauge");
    assert_eq!(
        survivor.leader_gauge().await,
        Some(0),
        "the follower's gauge"
    );

    let (status, first) = old.register("a-value", &record("A", "x")).await;
    assert_eq!(status, 200, "{first}");
    let first = first["id"].as_i64().unwrap();
    old.stop().await;

    until_roles(&[&survivor], |r| r[0] == Role::Leader).await;
    assert_eq!(
        survivor.leader_gauge().await,
        Some(1),
        "the new leader's gauge"
    );
    let (status, second) = survivor.register("b-value", &record("B", "y")).await;
    assert_eq!(status, 200, "{second}");
    let second = second["id"].as_i64().unwrap();
    assert_eq!(second, first + 1, "ids go on from the old leader's");
    let (status, _) = survivor.get(&format!("/schemas/ids/{first}")).await;
    assert_eq!(status, 200);
    // A newcomer follows (or leads, if its URL sorts first) and agrees.
    let c = Instance::start(&broker, "127.0.0.1", true).await;
    let leader = elected(&[&survivor, &c]).await;
    let (status, third) = [&survivor, &c][1 - leader]
        .register("c-value", &record("C", "z"))
        .await;
    assert_eq!(status, 200, "{third}");
    assert_eq!(third["id"].as_i64(), Some(second + 1));
    survivor.stop().await;
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_eligible_instance_only_forwards_and_answers_50004_without_a_leader() {
    let broker = TestBroker::start_for_elections().await;
    // "http://127.0.0.1:…" sorts before "http://localhost:…": the
    // non-eligible instance would win if eligibility were ignored.
    let eligible = Instance::start(&broker, "localhost", true).await;
    let helper = Instance::start(&broker, "127.0.0.1", false).await;
    let eligible_url = eligible.url.replace("127.0.0.1", "localhost");
    until_roles(&[&eligible, &helper], |r| {
        r[0] == Role::Leader
            && r[1]
                == Role::Follower {
                    url: eligible_url.clone(),
                }
    })
    .await;
    let (status, body) = helper.register("n-value", &record("N", "a")).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = eligible.get("/subjects/n-value/versions/1").await;
    assert_eq!(status, 200);

    eligible.stop().await;
    until_roles(&[&helper], |r| matches!(r[0], Role::NoLeader { .. })).await;
    let (status, body) = helper.register("n-value", &record("N", "b")).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error_code"], 50004, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Unknown leader")),
        "{body}"
    );
    // Reads still work.
    let (status, _) = helper.get("/subjects/n-value/versions/1").await;
    assert_eq!(status, 200);
    helper.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_leader_is_replaced_after_its_session_timeout() {
    let broker = TestBroker::start_for_elections().await;
    let bootstrap = broker.config();
    // The leader-to-be runs on a runtime of its own, so it can die without
    // leaving the group: shutting that runtime down drops its tasks
    // mid-flight, as a crash would.
    let (doomed, runtime) = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let instance = runtime.block_on(Instance::start_with(bootstrap, "127.0.0.1", true));
        (instance, runtime)
    })
    .join()
    .unwrap();
    // "http://localhost:…" sorts after "http://127.0.0.1:…": the doomed one leads.
    let survivor = Instance::start(&broker, "localhost", true).await;
    until_roles(&[&doomed, &survivor], |r| {
        r[0] == Role::Leader && matches!(&r[1], Role::Follower { url } if *url == doomed.url)
    })
    .await;
    let (status, first) = survivor.register("d-value", &record("D", "x")).await;
    assert_eq!(status, 200, "{first}");
    let first = first["id"].as_i64().unwrap();

    runtime.shutdown_background();
    // Within the 2 s session timeout (plus a rebalance) the survivor leads.
    until_roles(&[&survivor], |r| r[0] == Role::Leader).await;
    let (status, second) = survivor.register("e-value", &record("E", "y")).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["id"].as_i64(), Some(first + 1));
    drop(doomed);
    survivor.stop().await;
}
