//! [`Security`]: `security.protocol`, `ssl.*` and `sasl.*` read from the
//! same map the rest of the SDK passes to `confluent-kafka`, after the same
//! rewrite of librdkafka's names to the Java names
//! ([`crate::security_names`]), checked once so a connection never has to
//! guess.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::tls;
use crate::jaas;
use crate::share::ShareError;

/// A SASL mechanism this connector speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mechanism {
    /// RFC 4616: the user name and password in the clear (use it over TLS).
    Plain,
    /// RFC 7677.
    ScramSha256,
    /// RFC 5802 with SHA-512, as Kafka names it.
    ScramSha512,
}

impl Mechanism {
    /// The name SaslHandshake carries.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// The credentials of SASL authentication.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Sasl {
    pub(crate) mechanism: Mechanism,
    pub(crate) username: String,
    pub(crate) password: String,
}

impl std::fmt::Debug for Sasl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password: these settings end up in logs.
        f.debug_struct("Sasl")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// How to secure a connection: TLS or not, SASL or not.
#[derive(Clone, Default)]
pub(crate) struct Security {
    tls: Option<Arc<rustls::ClientConfig>>,
    sasl: Option<Sasl>,
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Whether TLS is on, not the configuration: it holds the client's
        // private key.
        f.debug_struct("Security")
            .field("tls", &self.tls.is_some())
            .field("sasl", &self.sasl)
            .finish()
    }
}

/// The `security.protocol` values, as librdkafka and the Java client name
/// them.
const PROTOCOLS: &str = "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL";
/// The `sasl.mechanism` values spoken here.
const MECHANISMS: &str = "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512";

impl Security {
    /// Plain TCP without authentication.
    pub(crate) fn plaintext() -> Security {
        Security::default()
    }

    /// Reads `security.protocol` (default PLAINTEXT) and what it needs:
    /// `ssl.truststore.*`, `ssl.keystore.*`, `sasl.mechanism` and
    /// `sasl.jaas.config`, or their librdkafka aliases. Errors name the
    /// property that cannot be honoured; nothing is silently weakened.
    pub(crate) fn from_properties(
        properties: &BTreeMap<String, String>,
    ) -> Result<Security, ShareError> {
        let properties = &crate::security_names::java_names(properties).map_err(config)?;
        let protocol = properties
            .get("security.protocol")
            .map_or("PLAINTEXT".to_owned(), |p| p.trim().to_ascii_uppercase());
        let (tls, sasl) = match protocol.as_str() {
            "PLAINTEXT" => (false, false),
            "SSL" => (true, false),
            "SASL_PLAINTEXT" => (false, true),
            "SASL_SSL" => (true, true),
            other => {
                return Err(config(format!(
                    "security.protocol={other} is not one of {PROTOCOLS}"
                )));
            }
        };
        let tls = if tls {
            Some(Arc::new(tls::client_config(properties).map_err(config)?))
        } else {
            None
        };
        let sasl = if sasl {
            Some(sasl_settings(properties, &protocol)?)
        } else {
            None
        };
        Ok(Security { tls, sasl })
    }

    /// The TLS client configuration, when the protocol is SSL or SASL_SSL.
    pub(crate) fn tls(&self) -> Option<&Arc<rustls::ClientConfig>> {
        self.tls.as_ref()
    }

    /// The SASL settings, when the protocol is SASL_PLAINTEXT or SASL_SSL.
    pub(crate) fn sasl(&self) -> Option<&Sasl> {
        self.sasl.as_ref()
    }
}

fn config(reason: impl Into<String>) -> ShareError {
    ShareError::Config {
        reason: reason.into(),
    }
}

fn sasl_settings(
    properties: &BTreeMap<String, String>,
    protocol: &str,
) -> Result<Sasl, ShareError> {
    let Some(name) = properties.get("sasl.mechanism") else {
        return Err(config(format!(
            "security.protocol={protocol} needs sasl.mechanism ({MECHANISMS}); the Java client's default, GSSAPI, is not supported by herald's own Kafka connections"
        )));
    };
    let (mechanism, module) = match name.trim().to_ascii_uppercase().as_str() {
        "PLAIN" => (Mechanism::Plain, jaas::PLAIN_MODULE),
        "SCRAM-SHA-256" => (Mechanism::ScramSha256, jaas::SCRAM_MODULE),
        "SCRAM-SHA-512" => (Mechanism::ScramSha512, jaas::SCRAM_MODULE),
        other @ ("GSSAPI" | "OAUTHBEARER") => {
            return Err(config(format!(
                "sasl.mechanism={other} is not supported by herald's own Kafka connections (group membership, share consumer); they speak {MECHANISMS}"
            )));
        }
        other => {
            return Err(config(format!(
                "sasl.mechanism={other} is not a SASL mechanism herald knows; use one of {MECHANISMS}"
            )));
        }
    };
    let Some(text) = properties.get("sasl.jaas.config").filter(|v| !v.is_empty()) else {
        return Err(config(format!(
            "sasl.mechanism={} needs sasl.jaas.config ({module} required username=\"…\" password=\"…\";), or sasl.username and sasl.password",
            mechanism.name()
        )));
    };
    let parsed = jaas::parse(text).map_err(config)?;
    if !parsed.is_module(module) {
        return Err(config(format!(
            "sasl.jaas.config names {}, but sasl.mechanism={} needs {module}",
            parsed.module,
            mechanism.name()
        )));
    }
    Ok(Sasl {
        mechanism,
        username: parsed.username,
        password: parsed.password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security_names::tests::props;

    fn refused(pairs: &[(&str, &str)]) -> String {
        match Security::from_properties(&props(pairs)) {
            Ok(s) => panic!("{pairs:?} accepted as {s:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn plaintext_is_the_default() {
        let s = Security::from_properties(&props(&[("linger.ms", "5")])).unwrap();
        assert!(s.tls().is_none() && s.sasl().is_none());
        let s = Security::from_properties(&props(&[("security.protocol", "plaintext")])).unwrap();
        assert!(s.tls().is_none() && s.sasl().is_none());
    }

    #[test]
    fn sasl_plaintext_reads_the_credentials() {
        let s = Security::from_properties(&props(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanisms", "scram-sha-512"),
            ("sasl.username", "alice"),
            ("sasl.password", "secret"),
        ]))
        .unwrap();
        assert!(s.tls().is_none());
        let sasl = s.sasl().unwrap();
        assert_eq!(sasl.mechanism, Mechanism::ScramSha512);
        assert_eq!(sasl.username, "alice");
        assert!(
            !format!("{s:?}").contains("secret"),
            "the password must not be printed"
        );
    }

    #[test]
    fn sasl_jaas_config_is_the_primary_spelling() {
        let s = Security::from_properties(&props(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="bob" password="p;w";"#,
            ),
        ]))
        .unwrap();
        let sasl = s.sasl().unwrap();
        assert_eq!(sasl.mechanism, Mechanism::Plain);
        assert_eq!(
            (sasl.username.as_str(), sasl.password.as_str()),
            ("bob", "p;w")
        );
        let e = refused(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "SCRAM-SHA-256"),
            (
                "sasl.jaas.config",
                "PlainLoginModule required username=bob password=hidden;",
            ),
        ]);
        assert!(
            e.contains("needs org.apache.kafka.common.security.scram.ScramLoginModule"),
            "{e}"
        );
        assert!(!e.contains("hidden"), "{e}");
        let e = refused(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
        ]);
        assert!(e.contains("needs sasl.jaas.config"), "{e}");
    }

    #[test]
    fn what_cannot_be_honoured_is_refused_by_name() {
        let e = refused(&[("security.protocol", "TLS")]);
        assert!(e.contains("security.protocol=TLS"), "{e}");
        for mechanism in ["GSSAPI", "OAUTHBEARER"] {
            let e = refused(&[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", mechanism),
                ("sasl.jaas.config", "SomeLoginModule required;"),
            ]);
            assert!(
                e.contains(&format!("sasl.mechanism={mechanism} is not supported")),
                "{e}"
            );
        }
        let e = refused(&[("security.protocol", "SASL_SSL")]);
        assert!(e.contains("needs sasl.mechanism"), "{e}");
        let e = refused(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
            ("sasl.username", "u"),
        ]);
        assert!(
            e.contains("sasl.username is set without sasl.password"),
            "{e}"
        );
        let e = refused(&[
            ("security.protocol", "SSL"),
            ("ssl.ca.location", "/nonexistent/ca.pem"),
        ]);
        assert!(e.contains("ssl.ca.location"), "{e}");
        let e = refused(&[
            ("security.protocol", "SSL"),
            ("ssl.ca.pem", "A"),
            ("ssl.truststore.certificates", "B"),
        ]);
        assert!(
            e.contains("ssl.ca.pem and ssl.truststore.certificates"),
            "{e}"
        );
    }
}
