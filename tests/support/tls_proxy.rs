//! A Herald broker reached through a TLS-terminating proxy, for tests of
//! Kafka clients over TLS: a CA generated for the test (rcgen), a server
//! certificate it signs, and a proxy (tokio-rustls) in front of an
//! in-process broker that advertises the proxy, so every connection
//! (bootstrap, coordinator, partition leaders) goes through it. The proxy
//! passes plaintext Kafka through as well and counts both kinds, so a
//! client that silently falls back to plaintext shows.
//!
//! Include it from a crate's `tests/integration/main.rs` with
//! `#[path = "../../../../tests/support/tls_proxy.rs"] mod tls_proxy;`
//! (a path module rather than a crate, like `tests/python/pydeps.rs`). The
//! including crate needs the dev-dependencies `herald-broker`,
//! `herald-log`, `herald-client`, `rcgen`, `rustls`, `tokio-rustls` and
//! `tempfile`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use herald_broker::{Broker, BrokerConfig, run};
use herald_client::transport::KafkaConfig;
use herald_log::{Log, LogOptions};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

/// A CA that signs server and client certificates.
pub struct Ca {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Ca {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A certificate for `names` and its key.
    pub fn sign(&self, names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &self.issuer)
            .unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (cert.der().clone(), key)
    }

    /// A client certificate and its key, as PEM files in `dir`.
    pub fn client_files(&self, dir: &tempfile::TempDir) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["registry-1".to_owned()])
            .unwrap()
            .signed_by(&key, &self.issuer)
            .unwrap();
        let (cert_path, key_path) = (dir.path().join("client.pem"), dir.path().join("client.key"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        (cert_path, key_path)
    }

    /// A client certificate and its key in one PEM file in `dir`: Java's
    /// PEM keystore (`ssl.keystore.location`).
    pub fn client_keystore(&self, dir: &tempfile::TempDir) -> PathBuf {
        let (cert, key) = self.client_files(dir);
        let path = dir.path().join("client-keystore.pem");
        let mut pem = std::fs::read_to_string(key).unwrap();
        pem.push_str(&std::fs::read_to_string(cert).unwrap());
        std::fs::write(&path, pem).unwrap();
        path
    }

    /// The CA certificate as a PEM file `file` in `dir`.
    pub fn write(&self, dir: &tempfile::TempDir, file: &str) -> PathBuf {
        let path = dir.path().join(file);
        std::fs::write(&path, &self.pem).unwrap();
        path
    }
}

#[derive(Default)]
struct Counts {
    tls: AtomicUsize,
    plain: AtomicUsize,
}

/// A Herald broker reached through a TLS-terminating proxy.
pub struct SecureBroker {
    /// The proxy: what the broker advertises and clients dial.
    pub addr: SocketAddr,
    /// The broker's own plaintext port.
    pub direct: SocketAddr,
    pub log: Arc<Log>,
    counts: Arc<Counts>,
    /// Certificates (the log has a directory of its own).
    pub dir: tempfile::TempDir,
    _log_dir: tempfile::TempDir,
    pub ca: Ca,
    _stop: oneshot::Sender<()>,
}

impl SecureBroker {
    /// The broker behind a proxy whose certificate, signed by a fresh CA,
    /// names `names`. Its classic groups accept short sessions and
    /// complete a first rebalance at once, so elections take milliseconds.
    pub async fn start(names: &[&str]) -> SecureBroker {
        SecureBroker::start_with(names, false).await
    }

    /// The same, and with `client_auth` the proxy requires a client
    /// certificate signed by the same CA.
    pub async fn start_with(names: &[&str], client_auth: bool) -> SecureBroker {
        let dir = tempfile::tempdir().unwrap();
        let log_dir = tempfile::tempdir().unwrap();
        let log = Arc::new(Log::open(log_dir.path(), LogOptions::default()).unwrap());
        let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = proxy.local_addr().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let direct = listener.local_addr().unwrap();
        let mut config = BrokerConfig::default();
        config.advertised = Some(("127.0.0.1".to_owned(), addr.port()));
        config.groups.min_session_timeout_ms = 200;
        config.groups.initial_rebalance_delay_ms = 0;
        let broker = Arc::new(Broker::new(config, log.clone(), direct));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(run(listener, broker, async {
            let _ = stopped.await;
        }));
        let ca = Ca::new("herald test CA");
        let (cert, key) = ca.sign(names);
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if client_auth {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from_pem_slice(ca.pem.as_bytes()).unwrap())
                .unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let server = builder.with_single_cert(vec![cert], key).unwrap();
        let counts = Arc::new(Counts::default());
        tokio::spawn(forward(
            proxy,
            direct,
            TlsAcceptor::from(Arc::new(server)),
            counts.clone(),
        ));
        SecureBroker {
            addr,
            direct,
            log,
            counts,
            dir,
            _log_dir: log_dir,
            ca,
            _stop: stop,
        }
    }

    /// `security.protocol=SSL` with this broker's CA, in the Java client's
    /// name (`ssl.truststore.location`), which `confluent-kafka` reads.
    pub fn ssl(&self) -> KafkaConfig {
        let ca = self.ca.write(&self.dir, "ca.pem");
        KafkaConfig::new(self.addr.to_string())
            .with("security.protocol", "SSL")
            .with("ssl.truststore.location", ca.display().to_string())
    }

    /// [`SecureBroker::ssl`] in librdkafka's name (`ssl.ca.location`),
    /// which herald-client accepts as an alias.
    pub fn ssl_librdkafka(&self) -> KafkaConfig {
        let ca = self.ca.write(&self.dir, "ca.pem");
        KafkaConfig::new(self.addr.to_string())
            .with("security.protocol", "SSL")
            .with("ssl.ca.location", ca.display().to_string())
    }

    /// Connections that started a TLS handshake (accepted or not).
    pub fn tls_connections(&self) -> usize {
        self.counts.tls.load(Ordering::SeqCst)
    }

    /// Connections that spoke plaintext Kafka to the proxy.
    pub fn plain_connections(&self) -> usize {
        self.counts.plain.load(Ordering::SeqCst)
    }
}

/// The proxy: a connection whose first byte starts a TLS record (0x16, a
/// handshake; a Kafka frame of that size would exceed 300 MiB) is
/// terminated with `acceptor`, any other is passed through as it is.
async fn forward(
    listener: TcpListener,
    broker: SocketAddr,
    acceptor: TlsAcceptor,
    counts: Arc<Counts>,
) {
    while let Ok((client, _)) = listener.accept().await {
        let acceptor = acceptor.clone();
        let counts = counts.clone();
        tokio::spawn(async move {
            let mut first = [0u8; 1];
            if !matches!(client.peek(&mut first).await, Ok(1)) {
                return;
            }
            let Ok(mut upstream) = TcpStream::connect(broker).await else {
                return;
            };
            if first[0] == 0x16 {
                counts.tls.fetch_add(1, Ordering::SeqCst);
                // A client that refuses the certificate ends it here.
                if let Ok(mut tls) = acceptor.accept(client).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                }
            } else {
                counts.plain.fetch_add(1, Ordering::SeqCst);
                let mut client = client;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            }
        });
    }
}
