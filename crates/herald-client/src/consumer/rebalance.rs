//! Committing what is acknowledged when the group takes partitions away,
//! so the next owner starts after it instead of at the last periodic commit.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use confluent_kafka::common::{Error, TopicPartition};
use confluent_kafka::consumer::{ConsumerHandle, ConsumerRebalanceListener, OffsetAndMetadata};

use super::delivery::Shared;

/// The rebalance listener of a grouped consumer: on revocation, commits
/// each revoked partition's acknowledged prefix (through the handle, which
/// the client admits inside its callbacks) and stops tracking it.
pub(crate) struct CommitOnRevoke {
    pub(crate) handle: ConsumerHandle,
    pub(crate) shared: Arc<Shared>,
}

type Callback<'a> = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;

impl CommitOnRevoke {
    async fn revoked(&self, partitions: &[TopicPartition]) -> Result<(), Error> {
        let due: Vec<(TopicPartition, i64)> = {
            let acks = self.shared.acks.lock();
            partitions
                .iter()
                .filter_map(|tp| {
                    let at = acks.due(&(tp.topic().to_owned(), tp.partition()))?;
                    Some((tp.clone(), at))
                })
                .collect()
        };
        if !due.is_empty() {
            let mut offsets = HashMap::new();
            for (tp, at) in due {
                offsets.insert(tp, OffsetAndMetadata::new(at)?);
            }
            // A failed commit only means the next owner re-reads from the
            // last commit (at-least-once); it must not fail the rebalance.
            if let Err(e) = self.handle.commit_sync_with_offsets(offsets).await {
                tracing::warn!(error = %e, "commit of revoked partitions failed");
            }
        }
        let mut acks = self.shared.acks.lock();
        for tp in partitions {
            acks.forget(&(tp.topic().to_owned(), tp.partition()));
        }
        Ok(())
    }
}

// The trait is declared with `#[async_trait]`; these are the signatures
// that macro produces, written out rather than adding the macro crate for
// two methods.
impl ConsumerRebalanceListener for CommitOnRevoke {
    fn on_partitions_revoked<'a, 'b, 'c>(&'a self, partitions: &'b [TopicPartition]) -> Callback<'c>
    where
        'a: 'c,
        'b: 'c,
        Self: 'c,
    {
        Box::pin(self.revoked(partitions))
    }

    fn on_partitions_assigned<'a, 'b, 'c>(
        &'a self,
        _partitions: &'b [TopicPartition],
    ) -> Callback<'c>
    where
        'a: 'c,
        'b: 'c,
        Self: 'c,
    {
        Box::pin(async { Ok(()) })
    }
}
