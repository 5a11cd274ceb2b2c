//! Answers to APIs this broker does not serve.
//!
//! Kafka closes the connection on a request for an API a listener does not
//! enable. Where the request decoded and the API's response has a top-level
//! error code, herald answers in that API's shape instead, which clients
//! report as a clear error rather than a dropped connection; every other
//! request closes its connection (with a log line), as on Kafka.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{
    AddOffsetsToTxnResponse, DescribeAclsResponse, DescribeClientQuotasResponse,
    DescribeDelegationTokenResponse, DescribeLogDirsResponse, DescribeUserScramCredentialsResponse,
    ElectLeadersResponse, EndTxnResponse, GetTelemetrySubscriptionsResponse,
    ListPartitionReassignmentsResponse, RequestKind, ResponseKind, SaslHandshakeResponse,
};

use super::Outcome;

macro_rules! error_response {
    ($resp:ty, $err:expr) => {
        ResponseKind::from(<$resp>::default().with_error_code($err.code()))
    };
}

/// The error response for `body`, or a close when none can be given.
pub(super) fn respond(body: &RequestKind, what: String) -> Outcome {
    use ResponseError as R;
    let response = match body {
        // Kafka's answer when no SASL mechanism is enabled.
        RequestKind::SaslHandshake(_) => {
            error_response!(SaslHandshakeResponse, R::UnsupportedSaslMechanism)
        }
        // Kafka's answer without an authorizer.
        RequestKind::DescribeAcls(_) => error_response!(DescribeAclsResponse, R::SecurityDisabled),
        RequestKind::EndTxn(_) => {
            error_response!(EndTxnResponse, R::TransactionalIdAuthorizationFailed)
        }
        RequestKind::AddOffsetsToTxn(_) => {
            error_response!(
                AddOffsetsToTxnResponse,
                R::TransactionalIdAuthorizationFailed
            )
        }
        RequestKind::DescribeLogDirs(_) => {
            error_response!(DescribeLogDirsResponse, R::UnsupportedVersion)
        }
        RequestKind::DescribeClientQuotas(_) => {
            error_response!(DescribeClientQuotasResponse, R::UnsupportedVersion)
        }
        RequestKind::DescribeUserScramCredentials(_) => {
            error_response!(DescribeUserScramCredentialsResponse, R::UnsupportedVersion)
        }
        RequestKind::ListPartitionReassignments(_) => {
            error_response!(ListPartitionReassignmentsResponse, R::UnsupportedVersion)
        }
        RequestKind::ElectLeaders(_) => {
            error_response!(ElectLeadersResponse, R::UnsupportedVersion)
        }
        RequestKind::DescribeDelegationToken(_) => {
            error_response!(DescribeDelegationTokenResponse, R::UnsupportedVersion)
        }
        RequestKind::GetTelemetrySubscriptions(_) => {
            error_response!(GetTelemetrySubscriptionsResponse, R::UnsupportedVersion)
        }
        _ => return Outcome::Close(format!("{what} is not served by this broker")),
    };
    tracing::debug!("answering {what} with an error: not served by this broker");
    Outcome::Respond(Box::new(response))
}
