//! SASL over the wire: Herald's broker serves no SASL, so a front made
//! here plays a Kafka `SASL_PLAINTEXT` listener — it adds SaslHandshake and
//! SaslAuthenticate to the broker's ApiVersions answer, runs the server
//! side of PLAIN and SCRAM (RFC 5802's formulas, computed here from a
//! stored key, as Kafka's broker does), and only then passes the
//! connection through to a real in-process Herald broker. This checks the
//! client's framing, versions and mechanisms end to end; it is not a test
//! against Kafka's own SASL implementation.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::{digest, hmac, pbkdf2};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{Bytes, BytesMut};
use herald_broker::{Broker, BrokerConfig, run};
use herald_client::membership::{GroupError, GroupMember, GroupSettings, JoinedMember, Membership};
use herald_client::transport::KafkaConfig;
use herald_log::{Log, LogOptions};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, RequestHeader, ResponseHeader, SaslAuthenticateRequest,
    SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const USER: &str = "registry";
const PASSWORD: &str = "pencil-42";
const SALT: &[u8] = b"herald-test-salt";
const ITERATIONS: u32 = 4096;

/// A broker reached through a SASL front; `authenticated` counts the
/// connections that passed.
struct Front {
    addr: SocketAddr,
    authenticated: Arc<AtomicUsize>,
    _log_dir: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

impl Front {
    async fn start() -> Front {
        let log_dir = tempfile::tempdir().unwrap();
        let log = Arc::new(Log::open(log_dir.path(), LogOptions::default()).unwrap());
        let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = front.local_addr().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let direct = listener.local_addr().unwrap();
        let mut config = BrokerConfig::default();
        config.advertised = Some(("127.0.0.1".to_owned(), addr.port()));
        config.groups.min_session_timeout_ms = 200;
        config.groups.initial_rebalance_delay_ms = 0;
        let broker = Arc::new(Broker::new(config, log, direct));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(run(listener, broker, async {
            let _ = stopped.await;
        }));
        let authenticated = Arc::new(AtomicUsize::new(0));
        let counter = authenticated.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = front.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let _ = serve(client, direct, counter).await;
                });
            }
        });
        Front {
            addr,
            authenticated,
            _log_dir: log_dir,
            _stop: stop,
        }
    }

    /// The Java client's spelling: `sasl.jaas.config`.
    fn kafka(&self, mechanism: &str, password: &str) -> KafkaConfig {
        let module = if mechanism == "PLAIN" {
            "org.apache.kafka.common.security.plain.PlainLoginModule"
        } else {
            "org.apache.kafka.common.security.scram.ScramLoginModule"
        };
        KafkaConfig::new(self.addr.to_string())
            .with("security.protocol", "SASL_PLAINTEXT")
            .with("sasl.mechanism", mechanism)
            .with(
                "sasl.jaas.config",
                format!("{module} required username=\"{USER}\" password=\"{password}\";"),
            )
    }

    /// librdkafka's spelling, an alias: `sasl.username` + `sasl.password`.
    fn kafka_librdkafka(&self, mechanism: &str, password: &str) -> KafkaConfig {
        KafkaConfig::new(self.addr.to_string())
            .with("security.protocol", "SASL_PLAINTEXT")
            .with("sasl.mechanism", mechanism)
            .with("sasl.username", USER)
            .with("sasl.password", password)
    }
}

async fn read_frame(stream: &mut TcpStream) -> std::io::Result<Bytes> {
    let len = stream.read_u32().await? as usize;
    let mut frame = BytesMut::zeroed(len);
    stream.read_exact(&mut frame).await?;
    Ok(frame.freeze())
}

async fn respond<R: Encodable>(
    client: &mut TcpStream,
    key: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &R,
) -> std::io::Result<()> {
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&[0; 4]);
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(&mut buf, key.response_header_version(version))
        .unwrap();
    body.encode(&mut buf, version).unwrap();
    let len = (buf.len() - 4) as u32;
    buf[..4].copy_from_slice(&len.to_be_bytes());
    client.write_all(&buf).await
}

/// The server side of the SCRAM-SHA-256 / SHA-512 exchange.
struct ScramServer {
    hmac: hmac::Algorithm,
    digest: &'static digest::Algorithm,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
    /// client-first-bare and server-first, once the first message came.
    first: Option<(String, String)>,
}

impl ScramServer {
    fn new(mechanism: &str) -> ScramServer {
        let (hmac, pbkdf, digest) = if mechanism == "SCRAM-SHA-512" {
            (
                hmac::HMAC_SHA512,
                pbkdf2::PBKDF2_HMAC_SHA512,
                &digest::SHA512,
            )
        } else {
            (
                hmac::HMAC_SHA256,
                pbkdf2::PBKDF2_HMAC_SHA256,
                &digest::SHA256,
            )
        };
        // What Kafka's broker stores for the user: never the password.
        let mut salted = vec![0u8; digest.output_len()];
        pbkdf2::derive(
            pbkdf,
            NonZeroU32::new(ITERATIONS).unwrap(),
            SALT,
            PASSWORD.as_bytes(),
            &mut salted,
        );
        let salted = hmac::Key::new(hmac, &salted);
        let client_key = hmac::sign(&salted, b"Client Key");
        ScramServer {
            hmac,
            digest,
            stored_key: digest::digest(digest, client_key.as_ref())
                .as_ref()
                .to_vec(),
            server_key: hmac::sign(&salted, b"Server Key").as_ref().to_vec(),
            first: None,
        }
    }

    /// The answer to a client message, or `Err` when authentication fails.
    fn step(&mut self, message: &[u8]) -> Result<Vec<u8>, ()> {
        let text = std::str::from_utf8(message).map_err(|_| ())?;
        let Some((bare, server_first)) = &self.first else {
            let bare = text.strip_prefix("n,,").ok_or(())?;
            let (name, nonce) = bare
                .strip_prefix("n=")
                .ok_or(())?
                .split_once(",r=")
                .ok_or(())?;
            if name != USER {
                return Err(());
            }
            let server_first = format!(
                "r={nonce}front-nonce,s={},i={ITERATIONS}",
                BASE64.encode(SALT)
            );
            self.first = Some((bare.to_owned(), server_first.clone()));
            return Ok(server_first.into_bytes());
        };
        let (without_proof, proof) = text.rsplit_once(",p=").ok_or(())?;
        let auth_message = format!("{bare},{server_first},{without_proof}");
        let signature = hmac::sign(
            &hmac::Key::new(self.hmac, &self.stored_key),
            auth_message.as_bytes(),
        );
        let client_key: Vec<u8> = BASE64
            .decode(proof)
            .map_err(|_| ())?
            .iter()
            .zip(signature.as_ref())
            .map(|(p, s)| p ^ s)
            .collect();
        if digest::digest(self.digest, &client_key).as_ref() != self.stored_key.as_slice() {
            return Err(());
        }
        let server_signature = hmac::sign(
            &hmac::Key::new(self.hmac, &self.server_key),
            auth_message.as_bytes(),
        );
        Ok(format!("v={}", BASE64.encode(server_signature.as_ref())).into_bytes())
    }
}

/// One client connection: ApiVersions (answered by the broker, with the
/// SASL APIs added), SaslHandshake, SaslAuthenticate until done, then the
/// rest passed through. Anything else before authentication closes the
/// connection, as on Kafka.
async fn serve(
    mut client: TcpStream,
    broker: SocketAddr,
    authenticated: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut upstream = TcpStream::connect(broker).await?;
    let mut mechanism = String::new();
    let mut scram: Option<ScramServer> = None;
    loop {
        let frame = read_frame(&mut client).await?;
        let key = ApiKey::try_from(i16::from_be_bytes([frame[0], frame[1]])).unwrap();
        let version = i16::from_be_bytes([frame[2], frame[3]]);
        let mut body = frame.clone();
        let header = RequestHeader::decode(&mut body, key.request_header_version(version)).unwrap();
        let id = header.correlation_id;
        match key {
            ApiKey::ApiVersions => {
                let mut out = BytesMut::new();
                out.extend_from_slice(&(frame.len() as u32).to_be_bytes());
                out.extend_from_slice(&frame);
                upstream.write_all(&out).await?;
                let mut answer = read_frame(&mut upstream).await?;
                ResponseHeader::decode(&mut answer, 0).unwrap();
                let mut response = ApiVersionsResponse::decode(&mut answer, version).unwrap();
                for (key, max) in [(ApiKey::SaslHandshake, 1), (ApiKey::SaslAuthenticate, 2)] {
                    response.api_keys.push(
                        ApiVersion::default()
                            .with_api_key(key as i16)
                            .with_min_version(0)
                            .with_max_version(max),
                    );
                }
                respond(&mut client, key, version, id, &response).await?;
            }
            ApiKey::SaslHandshake => {
                let request = SaslHandshakeRequest::decode(&mut body, version).unwrap();
                mechanism = request.mechanism.to_string();
                let enabled = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];
                let code = if enabled.contains(&mechanism.as_str()) {
                    0
                } else {
                    33
                };
                let response = SaslHandshakeResponse::default()
                    .with_error_code(code)
                    .with_mechanisms(
                        enabled
                            .iter()
                            .map(|m| StrBytes::from_static_str(m))
                            .collect(),
                    );
                respond(&mut client, key, version, id, &response).await?;
            }
            ApiKey::SaslAuthenticate => {
                let request = SaslAuthenticateRequest::decode(&mut body, version).unwrap();
                let (answer, done) = if mechanism == "PLAIN" {
                    let expected = format!("\0{USER}\0{PASSWORD}");
                    (
                        (request.auth_bytes == expected.as_bytes()).then(Vec::new),
                        true,
                    )
                } else {
                    let server = scram.get_or_insert_with(|| ScramServer::new(&mechanism));
                    let last = server.first.is_some();
                    (server.step(&request.auth_bytes).ok(), last)
                };
                let Some(answer) = answer else {
                    let response = SaslAuthenticateResponse::default()
                        .with_error_code(58)
                        .with_error_message(Some(StrBytes::from_string(format!(
                            "Authentication failed during authentication due to invalid credentials with SASL mechanism {mechanism}"
                        ))));
                    return respond(&mut client, key, version, id, &response).await;
                };
                let response =
                    SaslAuthenticateResponse::default().with_auth_bytes(Bytes::from(answer));
                respond(&mut client, key, version, id, &response).await?;
                if done {
                    authenticated.fetch_add(1, Ordering::SeqCst);
                    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
                    return Ok(());
                }
            }
            _ => return Ok(()),
        }
    }
}

fn member(kafka: &KafkaConfig) -> GroupMember {
    let settings = GroupSettings::new("sasl", "test")
        .protocol("v0", Bytes::from_static(b"a"))
        .timeouts(
            Duration::from_secs(2),
            Duration::from_millis(100),
            Duration::from_secs(3),
        );
    let assign = |_: &str, members: &[JoinedMember]| {
        members
            .iter()
            .map(|m| (m.member_id.clone(), Bytes::from_static(b"ok")))
            .collect()
    };
    GroupMember::join_with(kafka, settings, Arc::new(assign)).unwrap()
}

async fn until_joined(member: &GroupMember) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !matches!(member.current(), Membership::Joined(_)) {
        assert!(
            Instant::now() < deadline,
            "never joined: last error {:?}",
            member.last_error()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mechanism_authenticates_and_the_member_joins() {
    let front = Front::start().await;
    for mechanism in ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] {
        let before = front.authenticated.load(Ordering::SeqCst);
        let m = member(&front.kafka(mechanism, PASSWORD));
        until_joined(&m).await;
        m.leave().await;
        assert!(
            front.authenticated.load(Ordering::SeqCst) > before,
            "{mechanism}: no connection authenticated"
        );
    }
    let before = front.authenticated.load(Ordering::SeqCst);
    let m = member(&front.kafka_librdkafka("SCRAM-SHA-256", PASSWORD));
    until_joined(&m).await;
    m.leave().await;
    assert!(
        front.authenticated.load(Ordering::SeqCst) > before,
        "sasl.username/sasl.password: no connection authenticated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_a_clear_error() {
    let front = Front::start().await;
    for mechanism in ["PLAIN", "SCRAM-SHA-256"] {
        let m = member(&front.kafka(mechanism, "not-the-password"));
        let deadline = Instant::now() + Duration::from_secs(20);
        let e = loop {
            if let Some(e) = m.last_error() {
                break e;
            }
            assert!(
                Instant::now() < deadline,
                "{mechanism}: no failure reported"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(matches!(*e, GroupError::Security { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains(&format!("SASL {mechanism} authentication failed"))
                && text.contains("SaslAuthenticationFailed")
                && text.contains("invalid credentials"),
            "{text}"
        );
        assert!(!text.contains("not-the-password"), "{text}");
        assert_eq!(m.current(), Membership::Joining);
        m.leave().await;
    }
    assert_eq!(front.authenticated.load(Ordering::SeqCst), 0);
}
