//! The rustls client configuration from the Java client's `ssl.*`
//! properties (`ssl.truststore.*`, `ssl.keystore.*`, PEM only), and TLS
//! handshake failures turned into errors that say what to fix.
//!
//! rustls with the aws-lc-rs provider is what `reqwest` already links in
//! this workspace, so TLS here adds no second crypto library. With no
//! truststore, the broker is checked against the system's CAs
//! (through `rustls-platform-verifier`, as `reqwest` does).

use std::collections::BTreeMap;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use crate::share::ShareError;

/// The `ssl.*` properties read here: the Java client's names, which
/// `confluent-kafka` reads too (librdkafka's aliases were rewritten to them
/// by [`crate::security_names`] before this runs).
const UNDERSTOOD: &[&str] = &[
    "ssl.truststore.location",
    "ssl.truststore.type",
    "ssl.truststore.certificates",
    "ssl.keystore.location",
    "ssl.keystore.type",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.key.password",
    "ssl.endpoint.identification.algorithm",
];
/// `ssl.*` properties that only tune the cipher suites (rustls picks its
/// own safe suites); they change neither whom the client trusts nor who it
/// claims to be, so they are ignored here.
const TUNING_ONLY: &[&str] = &["ssl.cipher.suites"];

/// The TLS client configuration `properties` (Java names) ask for.
/// Certificate and key files are read now, so a wrong path fails at
/// construction.
pub(super) fn client_config(
    properties: &BTreeMap<String, String>,
) -> Result<rustls::ClientConfig, String> {
    for key in properties.keys() {
        let key = key.as_str();
        if key.starts_with("ssl.") && !UNDERSTOOD.contains(&key) && !TUNING_ONLY.contains(&key) {
            return Err(format!(
                "{key} is not supported by herald's own Kafka connections (group membership, share consumer); they read {}",
                UNDERSTOOD.join(", ")
            ));
        }
    }
    let get = |key: &str| {
        properties
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    for store in ["ssl.truststore.type", "ssl.keystore.type"] {
        if let Some(kind) = get(store)
            && !kind.trim().eq_ignore_ascii_case("PEM")
        {
            return Err(format!(
                "{store}={kind} is not supported: herald reads PEM stores only; convert it to PEM (openssl pkcs12 -in <store.p12> -out <store.pem> -nodes, or keytool -exportcert -rfc for a JKS truststore) and set {store}=PEM"
            ));
        }
    }
    if get("ssl.key.password").is_some() {
        return Err(
            "ssl.key.password is set, but encrypted private keys are not supported by herald's own Kafka connections; give an unencrypted PKCS#8, PKCS#1 or SEC1 key (ssl.keystore.location, ssl.keystore.key)".to_owned(),
        );
    }
    // Java's spelling of "no host name check" is the empty string
    // (librdkafka's `none` was rewritten to it); unset means `https`.
    let check_host = match properties
        .get("ssl.endpoint.identification.algorithm")
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("https") => true,
        Some("" | "none") => false,
        Some(other) => {
            return Err(format!(
                "ssl.endpoint.identification.algorithm={other} is not one of https, or empty (none)"
            ));
        }
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut verifier = roots_verifier(
        get("ssl.truststore.location"),
        get("ssl.truststore.certificates"),
        provider.clone(),
    )?;
    if !check_host {
        verifier = Arc::new(AnyHostName(verifier));
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let (chain, key) = match (
        get("ssl.keystore.location"),
        get("ssl.keystore.certificate.chain"),
        get("ssl.keystore.key"),
    ) {
        (None, None, None) => return Ok(builder.with_no_client_auth()),
        // Java's PEM keystore file: the private key and its certificate
        // chain in one file.
        (Some(path), _, _) => {
            let bytes = std::fs::read(path)
                .map_err(|e| format!("cannot read ssl.keystore.location {path}: {e}"))?;
            let what = format!("ssl.keystore.location {path}");
            (
                Pem {
                    what: what.clone(),
                    bytes: bytes.clone(),
                },
                Pem { what, bytes },
            )
        }
        (None, Some(chain), Some(key)) => (
            Pem {
                what: "ssl.keystore.certificate.chain".to_owned(),
                bytes: chain.as_bytes().to_vec(),
            },
            Pem {
                what: "ssl.keystore.key".to_owned(),
                bytes: key.as_bytes().to_vec(),
            },
        ),
        (None, Some(_), None) => {
            return Err(
                "ssl.keystore.certificate.chain is set without ssl.keystore.key".to_owned(),
            );
        }
        (None, None, Some(_)) => {
            return Err(
                "ssl.keystore.key is set without ssl.keystore.certificate.chain".to_owned(),
            );
        }
    };
    let certs = certificates(&chain)?;
    let key = PrivateKeyDer::from_pem_slice(&key.bytes)
        .map_err(|e| format!("{}: no private key in it: {e}", key.what))?;
    builder
        .with_client_auth_cert(certs, key)
        .map_err(|e| format!("the client certificate and key cannot be used: {e}"))
}

/// PEM bytes and where they came from (for messages).
struct Pem {
    what: String,
    bytes: Vec<u8>,
}

/// Every certificate in `pem`; at least one.
fn certificates(pem: &Pem) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(&pem.bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: not PEM certificates: {e}", pem.what))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate in it", pem.what));
    }
    Ok(certs)
}

/// The verifier of the broker's chain: the CAs of `ssl.truststore.location`
/// (a PEM file) or `ssl.truststore.certificates`, else the system's.
fn roots_verifier(
    location: Option<&str>,
    inline: Option<&str>,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, String> {
    let pem = match (location, inline) {
        (Some(path), _) => Pem {
            what: format!("ssl.truststore.location {path}"),
            bytes: std::fs::read(path)
                .map_err(|e| format!("cannot read ssl.truststore.location {path}: {e}"))?,
        },
        (None, Some(pem)) => Pem {
            what: "ssl.truststore.certificates".to_owned(),
            bytes: pem.as_bytes().to_vec(),
        },
        (None, None) => {
            let verifier = rustls_platform_verifier::Verifier::new(provider)
                .map_err(|e| format!("the system's CA certificates cannot be used: {e}"))?;
            return Ok(Arc::new(verifier));
        }
    };
    let mut roots = RootCertStore::empty();
    for cert in certificates(&pem)? {
        roots
            .add(cert)
            .map_err(|e| format!("{}: not a usable CA certificate: {e}", pem.what))?;
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| format!("the CA certificates cannot be used: {e}"))?;
    Ok(verifier)
}

/// `ssl.endpoint.identification.algorithm=none`: the chain is still checked
/// in full, only a certificate that names another host is accepted. The
/// inner verifier checks the chain (issuer, validity, usage) before the
/// name, so a name error means everything else held.
#[derive(Debug)]
struct AnyHostName(Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for AnyHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// A failed handshake: a TLS error (an untrusted certificate, a server
/// that does not speak TLS) becomes [`ShareError::Security`] with a hint;
/// anything else stays an I/O error (retriable).
pub(super) fn handshake_error(broker: &str, e: std::io::Error) -> ShareError {
    stream_error(broker, "TLS handshake", "TLS handshake failed", e)
}

/// A read or write that failed on an open connection: with TLS 1.3 the
/// broker checks the client's certificate after the client considers the
/// handshake done, so its refusal arrives as an alert on the first read.
pub(crate) fn io_error(broker: &str, operation: String, e: std::io::Error) -> ShareError {
    let failed = format!("TLS failed during {operation}");
    stream_error(broker, &operation, &failed, e)
}

fn stream_error(broker: &str, operation: &str, failed: &str, e: std::io::Error) -> ShareError {
    let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return ShareError::Io {
            broker: broker.to_owned(),
            operation: operation.to_owned(),
            source: e,
        };
    };
    let hint = match tls {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            " (the broker's certificate is not signed by a CA of ssl.truststore.location / ssl.truststore.certificates, or of the system when no truststore is set)"
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => {
            " (the broker's certificate does not name this host; ssl.endpoint.identification.algorithm=none skips that check)"
        }
        rustls::Error::InvalidMessage(_) => " (is this broker port a TLS listener?)",
        rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnknownCA,
        ) => {
            " (the broker requires a client certificate it trusts: ssl.keystore.location, or ssl.keystore.key and ssl.keystore.certificate.chain)"
        }
        _ => "",
    };
    ShareError::Security {
        broker: broker.to_owned(),
        reason: format!("{failed}: {tls}{hint}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security_names::tests::props;

    fn refused(pairs: &[(&str, &str)]) -> String {
        match client_config(&props(pairs)) {
            Ok(_) => panic!("{pairs:?} accepted"),
            Err(e) => e,
        }
    }

    /// A CA certificate and a client certificate with its key, as PEM.
    fn pems() -> (String, String, String) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&ca_key).unwrap().pem();
        let issuer = rcgen::Issuer::new(params, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client".to_owned()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap()
            .pem();
        (ca, cert, key.serialize_pem())
    }

    #[test]
    fn pem_files_and_inline_pem_are_read() {
        let (ca, cert, key) = pems();
        let dir = tempfile::tempdir().unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, &ca).unwrap();
        let keystore = dir.path().join("client.pem");
        std::fs::write(&keystore, format!("{key}{cert}")).unwrap();
        let ca_path = ca_path.display().to_string();
        let keystore = keystore.display().to_string();
        // No truststore given: the system's CAs, as the Java client does.
        client_config(&BTreeMap::new()).unwrap();
        client_config(&props(&[
            ("ssl.truststore.location", &ca_path),
            ("ssl.truststore.type", "pem"),
        ]))
        .unwrap();
        let from_file = client_config(&props(&[
            ("ssl.truststore.location", &ca_path),
            ("ssl.keystore.location", &keystore),
            ("ssl.keystore.type", "PEM"),
        ]))
        .unwrap();
        assert!(from_file.client_auth_cert_resolver.has_certs());
        let inline = client_config(&props(&[
            ("ssl.truststore.certificates", &ca),
            ("ssl.keystore.certificate.chain", &cert),
            ("ssl.keystore.key", &key),
            ("ssl.cipher.suites", "TLS_AES_128_GCM_SHA256"),
            ("ssl.endpoint.identification.algorithm", ""),
        ]))
        .unwrap();
        assert!(inline.client_auth_cert_resolver.has_certs());
    }

    #[test]
    fn what_cannot_be_honoured_is_named() {
        let (ca, cert, key) = pems();
        for store in ["ssl.truststore.type", "ssl.keystore.type"] {
            for kind in ["JKS", "PKCS12"] {
                let e = refused(&[("ssl.truststore.certificates", &ca), (store, kind)]);
                assert!(
                    e.starts_with(&format!("{store}={kind} is not supported")),
                    "{e}"
                );
                assert!(e.contains("convert it to PEM"), "{e}");
            }
        }
        let e = refused(&[("ssl.ca.location", "/etc/ca.pem")]);
        assert!(e.starts_with("ssl.ca.location is not supported"), "{e}");
        let e = refused(&[
            ("ssl.truststore.certificates", &ca),
            ("ssl.key.password", "x"),
        ]);
        assert!(e.contains("encrypted private keys"), "{e}");
        let e = refused(&[
            ("ssl.truststore.certificates", &ca),
            ("ssl.keystore.certificate.chain", &cert),
        ]);
        assert!(e.contains("without ssl.keystore.key"), "{e}");
        let e = refused(&[
            ("ssl.truststore.certificates", &ca),
            ("ssl.keystore.key", &key),
        ]);
        assert!(e.contains("without ssl.keystore.certificate.chain"), "{e}");
        let e = refused(&[("ssl.truststore.certificates", "not pem")]);
        assert!(e.contains("no PEM certificate"), "{e}");
        let e = refused(&[
            ("ssl.truststore.certificates", &ca),
            ("ssl.endpoint.identification.algorithm", "dns"),
        ]);
        assert!(e.contains("not one of https"), "{e}");
        let e = refused(&[("ssl.truststore.location", "/nonexistent/ca.pem")]);
        assert!(
            e.starts_with("cannot read ssl.truststore.location /nonexistent/ca.pem"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let only_cert = dir.path().join("cert-only.pem");
        std::fs::write(&only_cert, &cert).unwrap();
        let e = refused(&[("ssl.keystore.location", &only_cert.display().to_string())]);
        assert!(e.contains("no private key"), "{e}");
    }
}
