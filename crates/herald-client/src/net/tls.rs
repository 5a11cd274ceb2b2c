//! The rustls client configuration from librdkafka's `ssl.*` properties,
//! and TLS handshake failures turned into errors that say what to fix.
//!
//! rustls with the aws-lc-rs provider is what `reqwest` already links in
//! this workspace, so TLS here adds no second crypto library. With no
//! `ssl.ca.location`, the broker is checked against the system's CAs
//! (through `rustls-platform-verifier`, as `reqwest` does), as librdkafka
//! does.

use std::collections::BTreeMap;
use std::path::Path;
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

/// The `ssl.*` properties read here.
const UNDERSTOOD: &[&str] = &[
    "ssl.ca.location",
    "ssl.ca.pem",
    "ssl.certificate.location",
    "ssl.certificate.pem",
    "ssl.key.location",
    "ssl.key.pem",
    "ssl.key.password",
    "ssl.endpoint.identification.algorithm",
];
/// `ssl.*` properties that only tune OpenSSL (rustls picks its own safe
/// suites, curves and signature schemes); they change neither whom the
/// client trusts nor who it claims to be, so they are ignored here.
const TUNING_ONLY: &[&str] = &[
    "ssl.cipher.suites",
    "ssl.curves.list",
    "ssl.sigalgs.list",
    "ssl.ca.certificate.stores",
];

/// The TLS client configuration `properties` ask for. Certificate and key
/// files are read now, so a wrong path fails at construction.
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
    if get("ssl.key.password").is_some() {
        return Err(
            "ssl.key.password is set, but encrypted private keys are not supported by herald's own Kafka connections; give an unencrypted PKCS#8, PKCS#1 or SEC1 key in ssl.key.location".to_owned(),
        );
    }
    if let Some(v) = properties.get("enable.ssl.certificate.verification")
        && !v.eq_ignore_ascii_case("true")
    {
        return Err(format!(
            "enable.ssl.certificate.verification={v} is not supported by herald's own Kafka connections: they always check the broker's certificate"
        ));
    }
    let check_host = match get("ssl.endpoint.identification.algorithm")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("https") => true,
        Some("none") => false,
        Some(other) => {
            return Err(format!(
                "ssl.endpoint.identification.algorithm={other} is not one of https, none"
            ));
        }
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut verifier = roots_verifier(get("ssl.ca.location"), get("ssl.ca.pem"), provider.clone())?;
    if !check_host {
        verifier = Arc::new(AnyHostName(verifier));
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let cert = source(
        "ssl.certificate",
        get("ssl.certificate.location"),
        get("ssl.certificate.pem"),
    )?;
    let key = source("ssl.key", get("ssl.key.location"), get("ssl.key.pem"))?;
    match (cert, key) {
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(cert), Some(key)) => {
            let chain = certificates(&cert)?;
            let key = PrivateKeyDer::from_pem_slice(&key.bytes)
                .map_err(|e| format!("{}: no private key in it: {e}", key.what))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("the client certificate and key cannot be used: {e}"))
        }
        (Some(_), None) => {
            Err("ssl.certificate.location is set without ssl.key.location".to_owned())
        }
        (None, Some(_)) => {
            Err("ssl.key.location is set without ssl.certificate.location".to_owned())
        }
    }
}

/// PEM bytes and where they came from (for messages).
struct Pem {
    what: String,
    bytes: Vec<u8>,
}

/// The PEM of `{prefix}.location` (a file) or `{prefix}.pem` (inline).
fn source(
    prefix: &str,
    location: Option<&str>,
    inline: Option<&str>,
) -> Result<Option<Pem>, String> {
    match (location, inline) {
        (Some(_), Some(_)) => Err(format!("set {prefix}.location or {prefix}.pem, not both")),
        (Some(path), None) => Ok(Some(Pem {
            what: format!("{prefix}.location {path}"),
            bytes: std::fs::read(path)
                .map_err(|e| format!("cannot read {prefix}.location {path}: {e}"))?,
        })),
        (None, Some(pem)) => Ok(Some(Pem {
            what: format!("{prefix}.pem"),
            bytes: pem.as_bytes().to_vec(),
        })),
        (None, None) => Ok(None),
    }
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

/// The verifier of the broker's chain: the CAs of `ssl.ca.location` (a
/// file, or a directory of PEM files) or `ssl.ca.pem`, else the system's.
fn roots_verifier(
    location: Option<&str>,
    inline: Option<&str>,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, String> {
    let mut pems = Vec::new();
    if let Some(path) = location
        && Path::new(path).is_dir()
    {
        let entries = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read ssl.ca.location {path}: {e}"))?;
        for entry in entries.flatten() {
            let file = entry.path();
            // OpenSSL-style CA directories hold other files too (hash
            // links are just more copies): take what parses.
            if let Ok(bytes) = std::fs::read(&file)
                && CertificateDer::pem_slice_iter(&bytes).next().is_some()
            {
                pems.push(Pem {
                    what: format!("ssl.ca.location {}", file.display()),
                    bytes,
                });
            }
        }
        if pems.is_empty() {
            return Err(format!(
                "ssl.ca.location {path}: no PEM certificate in the directory"
            ));
        }
    } else if let Some(pem) = source("ssl.ca", location, inline)? {
        pems.push(pem);
    }
    if pems.is_empty() {
        let verifier = rustls_platform_verifier::Verifier::new(provider)
            .map_err(|e| format!("the system's CA certificates cannot be used: {e}"))?;
        return Ok(Arc::new(verifier));
    }
    let mut roots = RootCertStore::empty();
    for pem in &pems {
        for cert in certificates(pem)? {
            roots
                .add(cert)
                .map_err(|e| format!("{}: not a usable CA certificate: {e}", pem.what))?;
        }
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
            " (the broker's certificate is not signed by a CA of ssl.ca.location, or of the system when ssl.ca.location is not set)"
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
            " (the broker requires a client certificate it trusts: ssl.certificate.location and ssl.key.location)"
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

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

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
    fn files_inline_pem_and_directories_are_read() {
        let (ca, cert, key) = pems();
        let dir = tempfile::tempdir().unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, &ca).unwrap();
        std::fs::write(dir.path().join("README"), "not a certificate").unwrap();
        let ca_path = ca_path.display().to_string();
        let dir_path = dir.path().display().to_string();
        // No CA given: the system's, as librdkafka and reqwest do.
        client_config(&BTreeMap::new()).unwrap();
        client_config(&props(&[("ssl.ca.location", &ca_path)])).unwrap();
        client_config(&props(&[("ssl.ca.location", &dir_path)])).unwrap();
        let with_client = client_config(&props(&[
            ("ssl.ca.pem", &ca),
            ("ssl.certificate.pem", &cert),
            ("ssl.key.pem", &key),
            ("ssl.cipher.suites", "ECDHE-RSA-AES256-GCM-SHA384"),
        ]))
        .unwrap();
        assert!(with_client.client_auth_cert_resolver.has_certs());
    }

    #[test]
    fn what_cannot_be_honoured_is_named() {
        let (ca, cert, key) = pems();
        let e = refused(&[("ssl.keystore.location", "/etc/kafka/client.p12")]);
        assert!(
            e.starts_with("ssl.keystore.location is not supported"),
            "{e}"
        );
        let e = refused(&[("ssl.ca.pem", &ca), ("ssl.key.password", "x")]);
        assert!(e.contains("encrypted private keys"), "{e}");
        let e = refused(&[("ssl.ca.pem", &ca), ("ssl.certificate.pem", &cert)]);
        assert!(e.contains("without ssl.key.location"), "{e}");
        let e = refused(&[("ssl.ca.pem", &ca), ("ssl.key.pem", &key)]);
        assert!(e.contains("without ssl.certificate.location"), "{e}");
        let e = refused(&[("ssl.ca.pem", "not pem")]);
        assert!(e.contains("no PEM certificate"), "{e}");
        let e = refused(&[
            ("ssl.ca.pem", &ca),
            ("enable.ssl.certificate.verification", "false"),
        ]);
        assert!(e.contains("always check"), "{e}");
        let e = refused(&[
            ("ssl.ca.pem", &ca),
            ("ssl.endpoint.identification.algorithm", "dns"),
        ]);
        assert!(e.contains("not one of https, none"), "{e}");
        let e = refused(&[("ssl.ca.location", "/nonexistent/ca.pem")]);
        assert!(
            e.starts_with("cannot read ssl.ca.location /nonexistent/ca.pem"),
            "{e}"
        );
    }
}
