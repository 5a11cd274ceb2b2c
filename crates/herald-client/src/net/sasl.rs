//! SASL authentication the way Kafka frames it (KIP-152): once ApiVersions
//! is exchanged, SaslHandshake v1 names the mechanism, then each of the
//! mechanism's messages travels in a SaslAuthenticate request (v0–v2) and
//! the broker's answer in its response.
//!
//! Re-authentication (KIP-368) is not done: a broker with
//! `connections.max.reauth.ms` closes the connection when the session
//! expires, and the member or share consumer opens a new one.

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_protocol::protocol::StrBytes;

use super::scram::{Hash, Scram};
use super::security::{Mechanism, Sasl};
use crate::share::ShareError;
use crate::share::conn::{Connection, REQUEST_TIMEOUT, timed};

/// Authenticates `conn` with `sasl`; on error the connection is unusable.
pub(crate) async fn authenticate(conn: &mut Connection, sasl: &Sasl) -> Result<(), ShareError> {
    timed("SASL authentication", REQUEST_TIMEOUT, run(conn, sasl)).await
}

async fn run(conn: &mut Connection, sasl: &Sasl) -> Result<(), ShareError> {
    let name = sasl.mechanism.name();
    let broker = conn.broker().to_owned();
    let refused = |reason: String| ShareError::Security {
        broker: broker.clone(),
        reason: format!("SASL {name} authentication failed: {reason}"),
    };
    // v1: the tokens then travel in SaslAuthenticate (v0 sent them as raw
    // frames). A listener without SASL may leave the API out of
    // ApiVersions yet answer it (Herald does, with
    // UNSUPPORTED_SASL_MECHANISM), so it is asked anyway.
    let handshake = SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(name));
    let response = conn.call_at(&handshake, 1).await?;
    if response.error_code != 0 {
        let enabled: Vec<&str> = response.mechanisms.iter().map(|m| m.as_str()).collect();
        let reason = if response.error_code == ResponseError::UnsupportedSaslMechanism.code() {
            if enabled.is_empty() {
                format!(
                    "the broker does not enable SASL mechanism {name} (it enables none on this listener)"
                )
            } else {
                format!(
                    "the broker does not enable SASL mechanism {name}; it enables {}",
                    enabled.join(", ")
                )
            }
        } else {
            format!("SaslHandshake: {}", error_name(response.error_code))
        };
        return Err(refused(reason));
    }
    let mut exchange = Exchange::new(sasl).map_err(&refused)?;
    let mut message = exchange.first();
    loop {
        let request = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(message));
        let response = conn.call(&request).await?;
        if response.error_code != 0 {
            let detail = response
                .error_message
                .as_ref()
                .map(|m| format!(": {}", m.as_str()))
                .unwrap_or_default();
            return Err(refused(format!(
                "{}{detail}",
                error_name(response.error_code)
            )));
        }
        match exchange.next(&response.auth_bytes).map_err(&refused)? {
            Some(next) => message = next,
            None => return Ok(()),
        }
    }
}

fn error_name(code: i16) -> String {
    ResponseError::try_from_code(code).map_or_else(
        || format!("error code {code}"),
        |e| format!("{e:?} (error code {code})"),
    )
}

/// A mechanism's side of the conversation.
#[derive(Debug)]
enum Exchange {
    /// One message, answered with nothing.
    Plain(Vec<u8>),
    Scram(Box<Scram>, ScramStep),
}

#[derive(Debug)]
enum ScramStep {
    /// The server's first message comes next.
    First,
    /// The server's final message comes next.
    Final,
}

impl Exchange {
    fn new(sasl: &Sasl) -> Result<Exchange, String> {
        let scram = |hash| {
            Scram::new(hash, &sasl.username, &sasl.password)
                .map(|s| Exchange::Scram(Box::new(s), ScramStep::First))
        };
        match sasl.mechanism {
            Mechanism::Plain => Ok(Exchange::Plain(plain_message(
                &sasl.username,
                &sasl.password,
            ))),
            Mechanism::ScramSha256 => scram(Hash::Sha256),
            Mechanism::ScramSha512 => scram(Hash::Sha512),
        }
    }

    /// The client's first message.
    fn first(&self) -> Vec<u8> {
        match self {
            Exchange::Plain(message) => message.clone(),
            Exchange::Scram(scram, _) => scram.client_first(),
        }
    }

    /// The next message for the server's `answer`; `None` when
    /// authenticated.
    fn next(&mut self, answer: &[u8]) -> Result<Option<Vec<u8>>, String> {
        match self {
            Exchange::Plain(_) => Ok(None),
            Exchange::Scram(scram, step @ ScramStep::First) => {
                let message = scram.client_final(answer)?;
                *step = ScramStep::Final;
                Ok(Some(message))
            }
            Exchange::Scram(scram, ScramStep::Final) => {
                scram.verify_server_final(answer)?;
                Ok(None)
            }
        }
    }
}

/// RFC 4616: `authzid NUL authcid NUL passwd`, with no authorization id
/// (the broker takes the user name), as Kafka's client sends it.
fn plain_message(username: &str, password: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(username.len() + password.len() + 2);
    message.push(0);
    message.extend_from_slice(username.as_bytes());
    message.push(0);
    message.extend_from_slice(password.as_bytes());
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_sends_one_message_of_rfc_4616() {
        assert_eq!(plain_message("alice", "s3cr=t"), b"\0alice\0s3cr=t");
        let mut exchange = Exchange::new(&Sasl {
            mechanism: Mechanism::Plain,
            username: "alice".to_owned(),
            password: "pw".to_owned(),
        })
        .unwrap();
        assert_eq!(exchange.first(), b"\0alice\0pw");
        assert_eq!(exchange.next(b"").unwrap(), None);
    }

    #[test]
    fn scram_takes_two_answers() {
        let mut exchange = Exchange::new(&Sasl {
            mechanism: Mechanism::ScramSha256,
            username: "user".to_owned(),
            password: "pencil".to_owned(),
        })
        .unwrap();
        let first = String::from_utf8(exchange.first()).unwrap();
        let nonce = first.strip_prefix("n,,n=user,r=").unwrap();
        let server_first = format!("r={nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        let last = exchange.next(server_first.as_bytes()).unwrap().unwrap();
        assert!(last.starts_with(b"c=biws,r="));
        let e = exchange.next(b"v=AAAA").unwrap_err();
        assert!(e.contains("signature is wrong"), "{e}");
    }
}
