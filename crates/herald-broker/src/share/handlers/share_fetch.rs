//! ShareFetch (key 78, v1): in the member's share session, apply the
//! piggybacked acknowledgements (atomically per partition), then acquire
//! records from the session's partitions and return them with their
//! acquired ranges and delivery counts, long-polling up to `max_wait_ms`
//! while there is nothing to acquire.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::select_all;
use kafka_protocol::messages::ShareFetchRequest;
use kafka_protocol::messages::ShareFetchResponse;
use kafka_protocol::messages::share_fetch_response::{
    AcquiredRecords, LeaderIdAndEpoch, PartitionData, ShareFetchableTopicResponse,
};
use tokio::time::Instant;
use uuid::Uuid;

use super::{Node, PartitionAcks, acknowledge_all, ids, s};
use crate::share::ShareCoordinator;
use crate::share::coordinator::Loaded;
use crate::share::error::ShareError;
use crate::share::fetch::{Fetched, acquire, ensure_initialized};
use crate::share::state::partition::{AckBatch, MemberId};

/// Records per fetch when the request leaves it open (`max.poll.records`).
const DEFAULT_MAX_RECORDS: usize = 500;
/// Response bytes when the request leaves it open (`fetch.max.bytes`).
const DEFAULT_MAX_BYTES: usize = 50 << 20;

/// What the response says about one partition.
#[derive(Debug, Default)]
struct Answer {
    error: Option<ShareError>,
    ack: Option<Option<ShareError>>,
    fetched: Fetched,
}

pub(crate) async fn handle(
    share: &ShareCoordinator,
    node: &Node,
    req: ShareFetchRequest,
) -> ShareFetchResponse {
    match run(share, &req).await {
        Ok((answers, lock_ms, full)) => respond(node, answers, lock_ms, full),
        Err(e) => ShareFetchResponse::default()
            .with_error_code(e.code())
            .with_error_message(Some(s(e.to_string()))),
    }
}

type Answers = BTreeMap<(Uuid, i32), Answer>;

async fn run(
    share: &ShareCoordinator,
    req: &ShareFetchRequest,
) -> Result<(Answers, i32, bool), ShareError> {
    let (group, member) = ids(
        req.group_id.as_ref().map(|g| g.0.as_str()),
        req.member_id.as_ref().map(|m| m.as_str()),
    )?;
    let loaded = share.loaded().await?;
    let mut listed = Vec::new();
    let mut acks: Vec<PartitionAcks> = Vec::new();
    for t in &req.topics {
        for p in &t.partitions {
            listed.push((t.topic_id, p.partition_index));
            if !p.acknowledgement_batches.is_empty() {
                let batches = p
                    .acknowledgement_batches
                    .iter()
                    .map(|b| AckBatch {
                        first: b.first_offset,
                        last: b.last_offset,
                        types: b.acknowledge_types.clone(),
                    })
                    .collect();
                acks.push(((t.topic_id, p.partition_index), batches));
            }
        }
    }
    let forgotten: Vec<(Uuid, i32)> = req
        .forgotten_topics_data
        .iter()
        .flat_map(|t| t.partitions.iter().map(move |p| (t.topic_id, *p)))
        .collect();
    let (ctx, _) = loaded.run(|s, _| {
        s.sessions.for_fetch(
            &group,
            &member,
            req.share_session_epoch,
            &listed,
            &forgotten,
            !acks.is_empty(),
        )
    });
    let ctx = ctx?;
    let lock_ms = loaded.read(|s| s.settings(&group).record_lock_duration_ms);
    let mut answers = Answers::new();
    let (ack_results, mut seq) = acknowledge_all(loaded, &group, &member, &acks);
    for (tp, result) in ack_results {
        answers.entry(tp).or_default().ack = Some(result);
    }
    if ctx.closing {
        let (_, s) = loaded.run(|st, _| st.close_session(&group, &member));
        loaded.durable(seq.max(s)).await?;
        return Ok((answers, lock_ms, false));
    }
    let member: MemberId = Arc::from(member.as_str());
    let max_records = usize::try_from(req.max_records)
        .ok()
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_MAX_RECORDS);
    let max_bytes = usize::try_from(req.max_bytes)
        .ok()
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_MAX_BYTES);
    let wait = Duration::from_millis(u64::try_from(req.max_wait_ms).unwrap_or(0));
    let targets = resolve(share, loaded, &group, &ctx.partitions, &mut answers).await;
    let deadline = Instant::now() + wait;
    loop {
        // Listen before acquiring, so a release or an append in between
        // still wakes us.
        let available = loaded.available();
        tokio::pin!(available);
        available.as_mut().enable();
        let appended: Vec<_> = targets.iter().map(|(_, p)| Box::pin(p.listen())).collect();
        let mut records_left = max_records;
        let mut bytes_left = max_bytes;
        for ((topic, index), partition) in &targets {
            if records_left == 0 {
                break;
            }
            let got = acquire(
                loaded,
                &group,
                (*topic, *index),
                partition,
                &member,
                records_left,
                bytes_left,
            )
            .await;
            let answer = answers.entry((*topic, *index)).or_default();
            match got {
                Ok(f) => {
                    records_left = records_left.saturating_sub(f.count());
                    bytes_left = bytes_left.saturating_sub(f.records.len());
                    answer.fetched = f;
                }
                Err(e) => answer.error = Some(e),
            }
        }
        let got_any = records_left < max_records;
        let now = Instant::now();
        if got_any || now >= deadline || targets.is_empty() {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {}
            _ = &mut available => {}
            _ = select_all(appended) => {}
        }
    }
    seq = seq.max(loaded.run(|_, _| ()).1);
    loaded.durable(seq).await?;
    Ok((answers, lock_ms, ctx.full))
}

/// The session's partitions that exist (initialised for the group);
/// the others get their error in `answers`.
async fn resolve(
    share: &ShareCoordinator,
    loaded: &Loaded,
    group: &str,
    partitions: &[(Uuid, i32)],
    answers: &mut Answers,
) -> Vec<((Uuid, i32), Arc<herald_log::Partition>)> {
    let log = share.log();
    let mut out = Vec::new();
    for &(topic, index) in partitions {
        let answer = answers.entry((topic, index)).or_default();
        let Some(info) = log.topic_by_id(topic) else {
            answer.error = Some(ShareError::UnknownTopicId(topic));
            continue;
        };
        let Ok(partition) = log.partition(&info.name, index) else {
            answer.error = Some(ShareError::UnknownTopicOrPartition {
                topic: info.name.clone(),
                partition: index,
            });
            continue;
        };
        if let Err(e) = ensure_initialized(loaded, group, topic, index, &partition).await {
            answer.error = Some(e);
            continue;
        }
        out.push(((topic, index), partition));
    }
    out
}

fn respond(node: &Node, answers: Answers, lock_ms: i32, full: bool) -> ShareFetchResponse {
    let (leader_id, leader_epoch) = node.leader();
    let mut topics: Vec<ShareFetchableTopicResponse> = Vec::new();
    for ((topic, index), a) in answers {
        let worth_telling =
            full || a.error.is_some() || a.ack.is_some() || !a.fetched.acquired.is_empty();
        if !worth_telling {
            continue;
        }
        let mut data = PartitionData::default()
            .with_partition_index(index)
            .with_current_leader(
                LeaderIdAndEpoch::default()
                    .with_leader_id(leader_id)
                    .with_leader_epoch(leader_epoch),
            )
            .with_records(Some(a.fetched.records))
            .with_acquired_records(
                a.fetched
                    .acquired
                    .iter()
                    .map(|r| {
                        AcquiredRecords::default()
                            .with_first_offset(r.first)
                            .with_last_offset(r.last)
                            .with_delivery_count(
                                i16::try_from(r.delivery_count).unwrap_or(i16::MAX),
                            )
                    })
                    .collect(),
            );
        if let Some(e) = a.error {
            data = data
                .with_error_code(e.code())
                .with_error_message(Some(s(e.to_string())));
        }
        if let Some(Some(e)) = a.ack {
            data = data
                .with_acknowledge_error_code(e.code())
                .with_acknowledge_error_message(Some(s(e.to_string())));
        }
        match topics.last_mut() {
            Some(t) if t.topic_id == topic => t.partitions.push(data),
            _ => topics.push(
                ShareFetchableTopicResponse::default()
                    .with_topic_id(topic)
                    .with_partitions(vec![data]),
            ),
        }
    }
    ShareFetchResponse::default()
        .with_acquisition_lock_timeout_ms(lock_ms)
        .with_responses(topics)
}

#[cfg(test)]
#[path = "share_fetch_tests.rs"]
mod tests;
