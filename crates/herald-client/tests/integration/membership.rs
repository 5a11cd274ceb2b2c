//! A classic-group member with a custom protocol against an in-process
//! Herald broker: members join, the group leader's assignor runs over
//! every member's metadata, a leaving member triggers an immediate
//! rebalance, a member that dies is evicted after its session timeout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use herald_broker::{Broker, BrokerConfig, run};
use herald_client::membership::{Generation, GroupMember, GroupSettings, JoinedMember, Membership};
use herald_log::{Log, LogOptions};
use tokio::net::TcpListener;

async fn start_broker() -> (String, tempfile::TempDir, tokio::sync::oneshot::Sender<()>) {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(Log::open(dir.path(), LogOptions::default()).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = BrokerConfig::default();
    config.groups.min_session_timeout_ms = 200;
    config.groups.initial_rebalance_delay_ms = 0;
    let broker = Arc::new(Broker::new(config, log, addr));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(run(listener, broker, async {
        let _ = stopped.await;
    }));
    (addr.to_string(), dir, stop)
}

/// Every member is told the sorted metadata of all members, joined by ",".
pub(crate) fn roster(_protocol: &str, members: &[JoinedMember]) -> Vec<(String, Bytes)> {
    let mut names: Vec<String> = members
        .iter()
        .map(|m| String::from_utf8_lossy(&m.metadata).into_owned())
        .collect();
    names.sort();
    let all = Bytes::from(names.join(","));
    members
        .iter()
        .map(|m| (m.member_id.clone(), all.clone()))
        .collect()
}

fn member(bootstrap: &str, name: &'static str) -> GroupMember {
    let settings = GroupSettings::new("roster", "test")
        .protocol("v0", Bytes::from_static(name.as_bytes()))
        .timeouts(
            Duration::from_secs(2),
            Duration::from_millis(100),
            Duration::from_secs(3),
        );
    GroupMember::join(bootstrap, settings, Arc::new(roster)).unwrap()
}

/// Waits until the member is in a generation whose assignment is `roster`.
async fn until_assigned(member: &GroupMember, roster: &str) -> Generation {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Membership::Joined(g) = member.current()
            && g.assignment == roster.as_bytes()
        {
            return g;
        }
        assert!(
            Instant::now() < deadline,
            "never assigned {roster:?}: {:?}",
            member.current()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_join_rebalance_and_leave() {
    let (bootstrap, _dir, _stop) = start_broker().await;
    assert!(
        GroupMember::join(
            &bootstrap,
            GroupSettings::new("g", "test"),
            Arc::new(roster)
        )
        .is_err(),
        "no protocol"
    );

    let a = member(&bootstrap, "a");
    let first = until_assigned(&a, "a").await;
    assert_eq!(first.group_leader, first.member_id, "alone, it leads");
    assert_eq!(first.protocol, "v0");

    let b = member(&bootstrap, "b");
    let ga = until_assigned(&a, "a,b").await;
    let gb = until_assigned(&b, "a,b").await;
    assert_eq!(ga.generation_id, gb.generation_id);
    assert!(ga.generation_id > first.generation_id);
    assert_ne!(ga.member_id, gb.member_id);
    assert_eq!(ga.group_leader, gb.group_leader);

    // Leaving rebalances at once (well within the 2 s session timeout).
    let left = Instant::now();
    a.leave().await;
    let alone = until_assigned(&b, "b").await;
    assert!(alone.generation_id > gb.generation_id);
    assert!(
        left.elapsed() < Duration::from_millis(1_900),
        "{:?}",
        left.elapsed()
    );
    b.leave().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_dies_is_evicted_after_its_session_timeout() {
    let (bootstrap, _dir, _stop) = start_broker().await;
    let survivor = member(&bootstrap, "s");
    until_assigned(&survivor, "s").await;
    // The doomed member runs on its own runtime; shutting that down drops
    // its task without a LeaveGroup, as a crash would.
    let address = bootstrap.clone();
    let (doomed, runtime) = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let doomed = runtime.block_on(async { member(&address, "d") });
        (doomed, runtime)
    })
    .join()
    .unwrap();
    until_assigned(&survivor, "d,s").await;
    runtime.shutdown_background();
    until_assigned(&survivor, "s").await;
    drop(doomed);
    survivor.leave().await;
}
