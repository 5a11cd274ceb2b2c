//! Answers to APIs this broker does not serve.
//!
//! Kafka closes the connection on a request for an API a listener does not
//! enable. Where the API's response has a top-level error code, herald
//! answers in that API's shape instead, which clients report as a clear
//! error rather than a dropped connection; every other request closes its
//! connection (with a log line), as on Kafka. The answer depends on the API
//! key and version alone: the body of a request that is not served is never
//! decoded (see `crate::codec`).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{
    AddOffsetsToTxnResponse, ApiKey, DescribeAclsResponse, DescribeClientQuotasResponse,
    DescribeDelegationTokenResponse, DescribeLogDirsResponse, DescribeUserScramCredentialsResponse,
    ElectLeadersResponse, EndTxnResponse, GetTelemetrySubscriptionsResponse,
    ListPartitionReassignmentsResponse, ResponseKind, SaslHandshakeResponse,
};
use kafka_protocol::protocol::Message;

use super::Outcome;

/// The error response to `version` of `api_key`, or a close when none can be given.
pub(super) fn respond(api_key: ApiKey, version: i16) -> Outcome {
    use ApiKey as K;
    use ResponseError as R;
    let what = format!("{api_key:?} v{version}");
    /// The error response, or `None` when `version` is one the response struct
    /// cannot encode.
    macro_rules! error_response {
        ($resp:ty, $err:expr) => {
            (<$resp as Message>::VERSIONS.min..=<$resp as Message>::VERSIONS.max)
                .contains(&version)
                .then(|| ResponseKind::from(<$resp>::default().with_error_code($err.code())))
        };
    }
    let response = match api_key {
        // Kafka's answer when no SASL mechanism is enabled.
        K::SaslHandshake => {
            error_response!(SaslHandshakeResponse, R::UnsupportedSaslMechanism)
        }
        // Kafka's answer without an authorizer.
        K::DescribeAcls => error_response!(DescribeAclsResponse, R::SecurityDisabled),
        K::EndTxn => {
            error_response!(EndTxnResponse, R::TransactionalIdAuthorizationFailed)
        }
        K::AddOffsetsToTxn => {
            error_response!(
                AddOffsetsToTxnResponse,
                R::TransactionalIdAuthorizationFailed
            )
        }
        K::DescribeLogDirs => {
            error_response!(DescribeLogDirsResponse, R::UnsupportedVersion)
        }
        K::DescribeClientQuotas => {
            error_response!(DescribeClientQuotasResponse, R::UnsupportedVersion)
        }
        K::DescribeUserScramCredentials => {
            error_response!(DescribeUserScramCredentialsResponse, R::UnsupportedVersion)
        }
        K::ListPartitionReassignments => {
            error_response!(ListPartitionReassignmentsResponse, R::UnsupportedVersion)
        }
        K::ElectLeaders => {
            error_response!(ElectLeadersResponse, R::UnsupportedVersion)
        }
        K::DescribeDelegationToken => {
            error_response!(DescribeDelegationTokenResponse, R::UnsupportedVersion)
        }
        K::GetTelemetrySubscriptions => {
            error_response!(GetTelemetrySubscriptionsResponse, R::UnsupportedVersion)
        }
        _ => None,
    };
    let Some(response) = response else {
        return Outcome::Close(format!("{what} is not served by this broker"));
    };
    tracing::debug!("answering {what} with an error: not served by this broker");
    Outcome::Respond(Box::new(response))
}
