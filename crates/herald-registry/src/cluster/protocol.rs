//! The group protocol Confluent's Schema Registry speaks (protocol type
//! `sr`, sub-protocol `v0`), so Herald instances elect a leader the way
//! Confluent's and Karapace's instances do, and operators see the same
//! member metadata and assignments in the group.
//!
//! - member metadata: the instance's identity as JSON,
//!   `{"version":1,"host":"h","port":8081,"master_eligibility":true,"scheme":"http"}`;
//! - assignment (the same for every member):
//!   `{"version":1,"error":0,"master":"<member id>","master_identity":{…}}`,
//!   where the leader is the eligible member with the lexicographically
//!   smallest URL, and `error` 1 (DUPLICATE_URLS) means two members
//!   advertise the same URL, so nobody can forward reliably and no leader
//!   is used.

use bytes::Bytes;
use herald_client::membership::JoinedMember;
use serde::{Deserialize, Serialize};

/// The protocol type of the group.
pub const PROTOCOL_TYPE: &str = "sr";
/// The one sub-protocol.
pub const PROTOCOL_V0: &str = "v0";
/// No error in an assignment.
pub const NO_ERROR: i16 = 0;
/// Two members advertise the same URL.
pub const DUPLICATE_URLS: i16 = 1;

/// How an instance is reached, and whether it may lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The format version (1 for Confluent, 2 for Karapace).
    #[serde(default = "one")]
    pub version: i32,
    /// The advertised host.
    pub host: String,
    /// The advertised port.
    pub port: u16,
    /// Whether it may become the leader (`leader.eligibility`).
    #[serde(rename = "master_eligibility", default = "yes")]
    pub eligible: bool,
    /// `http` or `https`.
    #[serde(default = "http")]
    pub scheme: String,
}

fn one() -> i32 {
    1
}
fn yes() -> bool {
    true
}
fn http() -> String {
    "http".to_owned()
}

impl Identity {
    /// The URL other instances forward writes to.
    pub fn url(&self) -> String {
        format!("{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// What every member is told after a rebalance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// The format version.
    #[serde(default = "one")]
    pub version: i32,
    /// [`NO_ERROR`] or [`DUPLICATE_URLS`].
    #[serde(default)]
    pub error: i16,
    /// The leader's member id, when there is one.
    #[serde(rename = "master", default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
    /// The leader's identity, when there is one.
    #[serde(
        rename = "master_identity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub leader_identity: Option<Identity>,
}

/// The leader decided from every member's identity, as Confluent's
/// registry decides it: the eligible member with the smallest URL; none
/// when no member is eligible; [`DUPLICATE_URLS`] when URLs collide.
/// Members whose metadata cannot be read take no part (and are told the
/// result like the others).
pub fn assign(members: &[JoinedMember]) -> Vec<(String, Bytes)> {
    let identities: Vec<(&str, Identity)> = members
        .iter()
        .filter_map(
            |m| match serde_json::from_slice::<Identity>(&m.metadata) {
                Ok(identity) => Some((m.member_id.as_str(), identity)),
                Err(e) => {
                    tracing::warn!(member = %m.member_id, error = %e, "unreadable schema registry member metadata");
                    None
                }
            },
        )
        .collect();
    let mut urls: Vec<String> = identities.iter().map(|(_, i)| i.url()).collect();
    urls.sort();
    urls.dedup();
    let error = if urls.len() == identities.len() {
        NO_ERROR
    } else {
        tracing::error!(
            "two schema registry instances advertise the same URL: give each an advertised host other instances can reach"
        );
        DUPLICATE_URLS
    };
    let leader = identities
        .iter()
        .filter(|(_, i)| i.eligible)
        .min_by_key(|(_, i)| i.url());
    let assignment = Assignment {
        version: 1,
        error,
        leader: leader.map(|(id, _)| (*id).to_owned()),
        leader_identity: leader.map(|(_, i)| i.clone()),
    };
    let bytes = Bytes::from(serde_json::to_vec(&assignment).unwrap_or_default());
    members
        .iter()
        .map(|m| (m.member_id.clone(), bytes.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, url_host: &str, port: u16, eligible: bool) -> JoinedMember {
        let identity = Identity {
            version: 1,
            host: url_host.to_owned(),
            port,
            eligible,
            scheme: "http".to_owned(),
        };
        JoinedMember {
            member_id: id.to_owned(),
            metadata: Bytes::from(serde_json::to_vec(&identity).unwrap()),
        }
    }

    fn decoded(out: &[(String, Bytes)]) -> Vec<(String, Assignment)> {
        out.iter()
            .map(|(m, b)| (m.clone(), serde_json::from_slice(b).unwrap()))
            .collect()
    }

    #[test]
    fn identity_json_is_confluents() {
        let identity = Identity {
            version: 1,
            host: "sr-1".to_owned(),
            port: 8081,
            eligible: true,
            scheme: "http".to_owned(),
        };
        assert_eq!(
            serde_json::to_string(&identity).unwrap(),
            r#"{"version":1,"host":"sr-1","port":8081,"master_eligibility":true,"scheme":"http"}"#
        );
        // Karapace's metadata: version 2 and an extra field.
        let karapace: Identity = serde_json::from_str(
            r#"{"version":2,"karapace_version":"3.1","host":"k","port":8081,"scheme":"https","master_eligibility":false}"#,
        )
        .unwrap();
        assert!(!karapace.eligible);
        assert_eq!(karapace.url(), "https://k:8081");
    }

    #[test]
    fn the_eligible_member_with_the_smallest_url_leads() {
        let members = [
            member("m-c", "c", 1, true),
            member("m-a", "a", 1, false),
            member("m-b", "b", 1, true),
        ];
        let out = decoded(&assign(&members));
        assert_eq!(out.len(), 3);
        for (_, a) in &out {
            assert_eq!(a.error, NO_ERROR);
            assert_eq!(a.leader.as_deref(), Some("m-b"));
            assert_eq!(a.leader_identity.as_ref().unwrap().url(), "http://b:1");
        }
        let json = String::from_utf8(assign(&members)[0].1.to_vec()).unwrap();
        assert!(json.starts_with(r#"{"version":1,"error":0,"master":"m-b","master_identity":{"#));
    }

    #[test]
    fn no_eligible_member_means_no_leader() {
        let out = decoded(&assign(&[member("m-a", "a", 1, false)]));
        assert_eq!(out[0].1.leader, None);
        assert_eq!(out[0].1.leader_identity, None);
        let json =
            String::from_utf8(assign(&[member("m-a", "a", 1, false)])[0].1.to_vec()).unwrap();
        assert_eq!(json, r#"{"version":1,"error":0}"#);
    }

    #[test]
    fn duplicate_urls_are_an_error() {
        let out = decoded(&assign(&[
            member("m-1", "same", 1, true),
            member("m-2", "same", 1, true),
        ]));
        assert!(out.iter().all(|(_, a)| a.error == DUPLICATE_URLS));
    }
}
