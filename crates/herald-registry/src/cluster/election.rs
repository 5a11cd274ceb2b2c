//! From group membership to a [`Role`]: follow the assignment's leader,
//! and when it names this instance, read `_schemas` to its end first.

use std::sync::Arc;
use std::time::Duration;

use herald_client::membership::{Generation, Membership};
use tokio::sync::watch;

use super::Role;
use super::protocol::{Assignment, NO_ERROR};
use crate::Registry;

/// Publishes the role for every membership change until the member stops.
pub(crate) async fn run(
    registry: Arc<Registry>,
    mut membership: watch::Receiver<Membership>,
    eligible: bool,
) {
    loop {
        let current = membership.borrow_and_update().clone();
        let seen_change = match current {
            Membership::Joining => {
                registry.set_role(Role::Electing);
                false
            }
            Membership::Stopped => {
                registry.set_role(Role::Stopped);
                return;
            }
            Membership::Joined(generation) => match decide(&generation, eligible) {
                Decision::Lead => lead(&registry, &mut membership, generation.generation_id).await,
                Decision::Role(role) => {
                    registry.set_role(role);
                    false
                }
            },
        };
        if !seen_change && membership.changed().await.is_err() {
            registry.set_role(Role::Stopped);
            return;
        }
    }
}

enum Decision {
    Lead,
    Role(Role),
}

fn decide(generation: &Generation, eligible: bool) -> Decision {
    let assignment: Assignment = match serde_json::from_slice(&generation.assignment) {
        Ok(a) => a,
        Err(e) => {
            return Decision::Role(Role::NoLeader {
                reason: format!("the group's assignment cannot be read: {e}"),
            });
        }
    };
    if assignment.error != NO_ERROR {
        return Decision::Role(Role::NoLeader {
            reason: "several schema registry instances advertise the same URL".to_owned(),
        });
    }
    match (assignment.leader, assignment.leader_identity) {
        (Some(leader), Some(_)) if leader == generation.member_id && eligible => Decision::Lead,
        (Some(_), Some(identity)) if identity.eligible => Decision::Role(Role::Follower {
            url: identity.url(),
        }),
        _ => Decision::Role(Role::NoLeader {
            reason: "no schema registry instance in the group is eligible to be the leader"
                .to_owned(),
        }),
    }
}

/// Catches up with `_schemas`, then becomes leader — unless the
/// membership changes first. Returns whether it saw a change (so the
/// caller re-reads the membership instead of waiting for another; false
/// when the member is gone, so the caller's wait ends the loop).
async fn lead(
    registry: &Registry,
    membership: &mut watch::Receiver<Membership>,
    generation: i32,
) -> bool {
    registry.set_role(Role::Electing);
    loop {
        tokio::select! {
            caught_up = registry.catch_up() => match caught_up {
                Ok(()) => {
                    tracing::info!(generation, "this instance is the schema registry leader");
                    registry.set_role(Role::Leader);
                    return false;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the elected leader could not read _schemas to its end; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                        changed = membership.changed() => return changed.is_ok(),
                    }
                }
            },
            changed = membership.changed() => return changed.is_ok(),
        }
    }
}
