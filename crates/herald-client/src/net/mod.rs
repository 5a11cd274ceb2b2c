//! The connector of herald-client's own Kafka connections — the ones on
//! the `kafka-protocol` codecs: the classic-group member
//! ([`membership`](crate::membership)) and the share consumer
//! ([`share`](crate::share)). Both open every broker connection here, so
//! both speak the same `security.protocol` as the `confluent-kafka`
//! clients given the same [`KafkaConfig`](crate::transport::KafkaConfig)
//! properties — the Java client's names (`ssl.truststore.*`,
//! `ssl.keystore.*`, `sasl.jaas.config`), after
//! [`security_names`](crate::security_names) rewrote librdkafka's aliases to
//! them exactly as it does for the `confluent-kafka` clients:
//!
//! | `security.protocol` | transport | authentication |
//! | --- | --- | --- |
//! | `PLAINTEXT` (default) | TCP | none |
//! | `SSL` | TLS (rustls) | optional client certificate |
//! | `SASL_PLAINTEXT` | TCP | SASL `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512` |
//! | `SASL_SSL` | TLS (rustls) | the same SASL mechanisms |
//!
//! - [`security`]: the properties read into a checked [`Security`];
//! - `tls`: the rustls client configuration (PEM truststore, PEM
//!   keystore, host name check);
//! - `stream`: a TCP or TLS stream behind one type;
//! - [`sasl`]: SaslHandshake v1 then SaslAuthenticate (KIP-152), run on the
//!   connection once ApiVersions has been exchanged;
//! - `scram`: the SCRAM client (RFC 5802 / RFC 7677).
//!
//! Invariant: a configuration this module cannot honour is refused when
//! [`Security`] is built, with the property named — it never falls back to
//! a weaker protocol than the one asked for.

pub(crate) mod sasl;
mod scram;
pub(crate) mod security;
mod stream;
mod tls;

use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

pub(crate) use security::Security;
pub(crate) use stream::Stream;
pub(crate) use tls::io_error;

use crate::share::ShareError;

/// How long opening a connection (TCP, then the TLS handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a connection to `broker` (`host:port`) and, when `security` asks
/// for TLS, completes the TLS handshake on it. SASL comes later, once the
/// caller has exchanged ApiVersions (see [`sasl::authenticate`]).
pub(crate) async fn connect(broker: &str, security: &Security) -> Result<Stream, ShareError> {
    tokio::time::timeout(CONNECT_TIMEOUT, open(broker, security))
        .await
        .map_err(|_| ShareError::Io {
            broker: broker.to_owned(),
            operation: "connect".to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("not connected within {} s", CONNECT_TIMEOUT.as_secs()),
            ),
        })?
}

async fn open(broker: &str, security: &Security) -> Result<Stream, ShareError> {
    let io = |operation: &str| {
        let broker = broker.to_owned();
        let operation = operation.to_owned();
        move |source| ShareError::Io {
            broker,
            operation,
            source,
        }
    };
    let tcp = TcpStream::connect(broker).await.map_err(io("connect"))?;
    tcp.set_nodelay(true).map_err(io("set TCP_NODELAY"))?;
    let Some(tls) = security.tls() else {
        return Ok(Stream::Plain(tcp));
    };
    let name = server_name(broker)?;
    let connector = tokio_rustls::TlsConnector::from(tls.clone());
    match connector.connect(name, tcp).await {
        Ok(stream) => Ok(Stream::Tls(Box::new(stream))),
        Err(e) => Err(tls::handshake_error(broker, e)),
    }
}

/// The name the broker's certificate must carry: the host part of
/// `host:port` (an IP address is checked against the certificate's IP
/// addresses, as librdkafka does).
fn server_name(broker: &str) -> Result<ServerName<'static>, ShareError> {
    let host = broker
        .rsplit_once(':')
        .map_or(broker, |(host, _port)| host)
        .trim_start_matches('[')
        .trim_end_matches(']');
    ServerName::try_from(host.to_owned()).map_err(|e| {
        ShareError::protocol(
            broker,
            format!("{host:?} is not a host name TLS can check a certificate against: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_come_from_the_host_part() {
        assert_eq!(
            server_name("broker-1.example:9093").unwrap(),
            ServerName::try_from("broker-1.example").unwrap()
        );
        assert!(matches!(
            server_name("127.0.0.1:9093").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("[::1]:9093").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(server_name("bad host:9093").is_err());
    }
}
