//! Share-group membership: ShareGroupHeartbeat to the group coordinator at
//! the interval it asks for, publishing each new assignment; rejoining
//! when fenced; finding the coordinator again when it moves; leaving on
//! close.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{GroupId, ShareGroupHeartbeatRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::{mpsc, watch};

use super::ShareError;
use super::acks::Tp;
use super::cluster::Cluster;
use super::conn::{Connection, REQUEST_TIMEOUT, timed};

/// The first wait between failed attempts; doubled up to [`MAX_BACKOFF`].
const BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Until the coordinator says otherwise (Kafka's default 5 s).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// One member of a share group.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) group: String,
    pub(crate) member_id: String,
    pub(crate) topics: Vec<String>,
    pub(crate) cluster: Arc<Cluster>,
    /// The partitions assigned now.
    pub(crate) assignment: watch::Sender<BTreeSet<Tp>>,
    /// Errors the application should see.
    pub(crate) errors: mpsc::UnboundedSender<ShareError>,
}

struct State {
    conn: Option<Connection>,
    epoch: i32,
    interval: Duration,
    backoff: Duration,
    /// The last error code reported, so a persistent error is reported once.
    reported: Option<i16>,
    /// The last TLS or SASL failure reported, for the same reason.
    reported_security: Option<String>,
}

impl Member {
    /// Heartbeats until `stop` turns true, then leaves the group.
    pub(crate) async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut st = State {
            conn: None,
            epoch: 0,
            interval: DEFAULT_INTERVAL,
            backoff: BACKOFF,
            reported: None,
            reported_security: None,
        };
        while !*stop.borrow() {
            let wait = match self.beat(&mut st).await {
                Ok(true) => {
                    st.backoff = BACKOFF;
                    st.reported_security = None;
                    st.interval
                }
                // Rejoin at once.
                Ok(false) => Duration::ZERO,
                Err(ShareError::Security { broker, reason }) => {
                    // Retrying cannot fix a refused certificate or
                    // password, so the application hears of it (once per
                    // distinct failure) instead of a silent wait.
                    if st.reported_security.as_ref() != Some(&reason) {
                        tracing::warn!(group = %self.group, %broker, %reason, "the share group coordinator cannot be reached securely");
                        st.reported_security = Some(reason.clone());
                        let _ = self.errors.send(ShareError::Security { broker, reason });
                    }
                    let wait = st.backoff;
                    st.backoff = (st.backoff * 2).min(MAX_BACKOFF);
                    wait
                }
                Err(e) => {
                    tracing::debug!(group = %self.group, error = %e, "share group heartbeat failed");
                    let wait = st.backoff;
                    st.backoff = (st.backoff * 2).min(MAX_BACKOFF);
                    wait
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        self.leave(&mut st).await;
    }

    fn request(&self, epoch: i32) -> ShareGroupHeartbeatRequest {
        let mut req = ShareGroupHeartbeatRequest::default()
            .with_group_id(GroupId(StrBytes::from_string(self.group.clone())))
            .with_member_id(StrBytes::from_string(self.member_id.clone()))
            .with_member_epoch(epoch);
        if epoch == 0 {
            req = req.with_subscribed_topic_names(Some(
                self.topics
                    .iter()
                    .map(|t| TopicName(StrBytes::from_string(t.clone())))
                    .collect(),
            ));
        }
        req
    }

    /// One heartbeat. Ok(true): wait the interval; Ok(false): heartbeat
    /// again now (rejoining).
    async fn beat(&self, st: &mut State) -> Result<bool, ShareError> {
        if st.conn.is_none() {
            let address = self.cluster.coordinator(&self.group).await?;
            st.conn = Some(self.cluster.connect(&address).await?);
        }
        let Some(conn) = st.conn.as_mut() else {
            return Err(ShareError::Closed);
        };
        let request = self.request(st.epoch);
        let response =
            match timed("ShareGroupHeartbeat", REQUEST_TIMEOUT, conn.call(&request)).await {
                Ok(r) => r,
                Err(e) => {
                    st.conn = None;
                    return Err(e);
                }
            };
        let code = response.error_code;
        if code == 0 {
            st.reported = None;
            st.epoch = response.member_epoch;
            if response.heartbeat_interval_ms > 0 {
                st.interval = Duration::from_millis(
                    u64::try_from(response.heartbeat_interval_ms).unwrap_or(5_000),
                );
            }
            if let Some(a) = response.assignment {
                let set: BTreeSet<Tp> = a
                    .topic_partitions
                    .iter()
                    .flat_map(|t| t.partitions.iter().map(move |p| (t.topic_id, *p)))
                    .collect();
                self.assignment.send_if_modified(|now| {
                    let changed = *now != set;
                    *now = set;
                    changed
                });
            }
            return Ok(true);
        }
        let error = ShareError::broker(
            format!("ShareGroupHeartbeat of share group {:?}", self.group),
            code,
            response.error_message.map(|m| m.to_string()),
        );
        if code == ResponseError::UnknownMemberId.code()
            || code == ResponseError::FencedMemberEpoch.code()
        {
            // Fenced: everything assigned is gone; join again as new.
            st.epoch = 0;
            self.assignment.send_if_modified(|now| {
                let changed = !now.is_empty();
                now.clear();
                changed
            });
            return Ok(false);
        }
        if code == ResponseError::NotCoordinator.code()
            || code == ResponseError::CoordinatorNotAvailable.code()
        {
            st.conn = None;
        }
        if !error.is_retriable() && st.reported != Some(code) {
            st.reported = Some(code);
            let _ = self.errors.send(error);
            return Err(ShareError::broker("ShareGroupHeartbeat", code, None));
        }
        Err(error)
    }

    /// Leaves the group (epoch -1), so its partitions go to the others at
    /// once instead of after the session timeout.
    async fn leave(&self, st: &mut State) {
        if st.epoch <= 0 {
            return;
        }
        let Some(conn) = st.conn.as_mut() else { return };
        let request = self.request(-1);
        if let Err(e) = timed(
            "ShareGroupHeartbeat (leave)",
            Duration::from_secs(5),
            conn.call(&request),
        )
        .await
        {
            tracing::debug!(group = %self.group, error = %e, "leaving the share group failed");
        }
    }
}
