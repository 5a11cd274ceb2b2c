//! One reading of the security properties for both ways herald-client
//! talks to Kafka: the `confluent-kafka` clients and herald's own
//! connections ([`net`](crate::net)) both get the map [`java_names`]
//! returns, so they cannot disagree on whom to trust or who to be.
//!
//! The primary spelling is the Java client's, which `confluent-kafka`
//! reads: `ssl.truststore.location` / `ssl.truststore.certificates`,
//! `ssl.keystore.location` / `ssl.keystore.key` +
//! `ssl.keystore.certificate.chain`, `sasl.jaas.config`. librdkafka's names
//! are accepted as aliases and rewritten here (`confluent-kafka` would
//! silently ignore them):
//!
//! | librdkafka alias | becomes |
//! | --- | --- |
//! | `ssl.ca.location` (a file) | `ssl.truststore.location` |
//! | `ssl.ca.location` (a directory) | `ssl.truststore.certificates` (its PEM files) |
//! | `ssl.ca.pem` | `ssl.truststore.certificates` |
//! | `ssl.certificate.location` / `.pem` | `ssl.keystore.certificate.chain` (PEM) |
//! | `ssl.key.location` / `.pem` | `ssl.keystore.key` (PEM) |
//! | `sasl.username` + `sasl.password` | `sasl.jaas.config` of `sasl.mechanism`'s login module |
//! | `sasl.mechanisms` | `sasl.mechanism` |
//! | `ssl.endpoint.identification.algorithm=none` | the Java spelling, empty |
//!
//! Invariant: an alias and its Java name set to different values is an
//! error naming both keys; no librdkafka-only key is left in the result.

use std::collections::BTreeMap;

use crate::jaas;

/// librdkafka-only keys that tune OpenSSL and change neither whom the
/// client trusts nor who it claims to be: dropped.
const TUNING_ONLY: &[&str] = &[
    "ssl.curves.list",
    "ssl.sigalgs.list",
    "ssl.ca.certificate.stores",
];

/// `properties` with every librdkafka security alias rewritten to the Java
/// name `confluent-kafka` reads. Certificate and key files named by an
/// alias are read now (their PEM goes inline), so a wrong path fails here,
/// with the property named. Errors never quote a value.
pub(crate) fn java_names(
    properties: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, String> {
    let mut out = properties.clone();
    for key in TUNING_ONLY {
        out.remove(*key);
    }
    if let Some(v) = out.remove("enable.ssl.certificate.verification")
        && !v.trim().eq_ignore_ascii_case("true")
    {
        return Err(format!(
            "enable.ssl.certificate.verification={v} is not supported: herald always checks the broker's certificate"
        ));
    }
    if let Some(v) = out.get_mut("ssl.endpoint.identification.algorithm")
        && v.trim().eq_ignore_ascii_case("none")
    {
        // Java's (and confluent-kafka's) spelling of "no host name check".
        v.clear();
    }
    if let Some(m) = out.remove("sasl.mechanisms") {
        put(&mut out, "sasl.mechanisms", "sasl.mechanism", m)?;
    }
    if let Some(location) = take(&mut out, "ssl.ca.location") {
        // Checked here so that a wrong path is reported under the name the
        // user gave.
        let metadata = std::fs::metadata(&location)
            .map_err(|e| format!("cannot read ssl.ca.location {location}: {e}"))?;
        if metadata.is_dir() {
            let pem = ca_directory(&location)?;
            put(
                &mut out,
                "ssl.ca.location",
                "ssl.truststore.certificates",
                pem,
            )?;
        } else {
            put(
                &mut out,
                "ssl.ca.location",
                "ssl.truststore.location",
                location,
            )?;
        }
    }
    if let Some(pem) = take(&mut out, "ssl.ca.pem") {
        put(&mut out, "ssl.ca.pem", "ssl.truststore.certificates", pem)?;
    }
    if let Some((alias, pem)) = pem_alias(&mut out, "ssl.certificate")? {
        put(&mut out, &alias, "ssl.keystore.certificate.chain", pem)?;
    }
    if let Some((alias, pem)) = pem_alias(&mut out, "ssl.key")? {
        put(&mut out, &alias, "ssl.keystore.key", pem)?;
    }
    sasl_credentials(&mut out)?;
    for (one, other) in [
        ("ssl.truststore.location", "ssl.truststore.certificates"),
        ("ssl.keystore.location", "ssl.keystore.key"),
        ("ssl.keystore.location", "ssl.keystore.certificate.chain"),
    ] {
        if is_set(&out, one) && is_set(&out, other) {
            return Err(format!("set {one} or {other}, not both"));
        }
    }
    Ok(out)
}

fn is_set(map: &BTreeMap<String, String>, key: &str) -> bool {
    map.get(key).is_some_and(|v| !v.is_empty())
}

/// Removes `key`, an empty value counting as unset.
fn take(map: &mut BTreeMap<String, String>, key: &str) -> Option<String> {
    map.remove(key).filter(|v| !v.is_empty())
}

/// Sets `java` from `alias`; a different value already there is an error
/// naming both keys.
fn put(
    map: &mut BTreeMap<String, String>,
    alias: &str,
    java: &str,
    value: String,
) -> Result<(), String> {
    match map.get(java).filter(|v| !v.is_empty()) {
        Some(existing) if *existing != value => Err(format!(
            "{alias} and {java} are both set, to different values; set only {java}"
        )),
        _ => {
            map.insert(java.to_owned(), value);
            Ok(())
        }
    }
}

/// The PEM of `{prefix}.location` (read) or `{prefix}.pem`, with the alias
/// it came from.
fn pem_alias(
    map: &mut BTreeMap<String, String>,
    prefix: &str,
) -> Result<Option<(String, String)>, String> {
    let location_key = format!("{prefix}.location");
    let pem_key = format!("{prefix}.pem");
    match (take(map, &location_key), take(map, &pem_key)) {
        (Some(_), Some(_)) => Err(format!("set {location_key} or {pem_key}, not both")),
        (Some(path), None) => {
            let pem = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {location_key} {path}: {e}"))?;
            Ok(Some((location_key, pem)))
        }
        (None, Some(pem)) => Ok(Some((pem_key, pem))),
        (None, None) => Ok(None),
    }
}

/// The PEM files of an OpenSSL-style CA directory, concatenated. Such
/// directories hold other files too (hash links are just more copies):
/// what does not hold a PEM certificate is skipped.
fn ca_directory(path: &str) -> Result<String, String> {
    let entries =
        std::fs::read_dir(path).map_err(|e| format!("cannot read ssl.ca.location {path}: {e}"))?;
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    let mut pem = String::new();
    for file in files {
        if let Ok(text) = std::fs::read_to_string(&file)
            && text.contains("-----BEGIN CERTIFICATE-----")
        {
            pem.push_str(&text);
            pem.push('\n');
        }
    }
    if pem.is_empty() {
        return Err(format!(
            "ssl.ca.location {path}: no PEM certificate in the directory"
        ));
    }
    Ok(pem)
}

/// `sasl.username` + `sasl.password` into `sasl.jaas.config`.
fn sasl_credentials(map: &mut BTreeMap<String, String>) -> Result<(), String> {
    let (username, password) = match (take(map, "sasl.username"), take(map, "sasl.password")) {
        (None, None) => return Ok(()),
        (Some(u), Some(p)) => (u, p),
        (Some(_), None) => return Err("sasl.username is set without sasl.password".to_owned()),
        (None, Some(_)) => return Err("sasl.password is set without sasl.username".to_owned()),
    };
    let mechanism = map
        .get("sasl.mechanism")
        .map(|m| m.trim().to_ascii_uppercase());
    let module = match mechanism.as_deref() {
        Some("PLAIN") => jaas::PLAIN_MODULE,
        Some("SCRAM-SHA-256" | "SCRAM-SHA-512") => jaas::SCRAM_MODULE,
        _ => {
            return Err(
                "sasl.username and sasl.password need sasl.mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (they become that mechanism's sasl.jaas.config)"
                    .to_owned(),
            );
        }
    };
    if let Some(existing) = map.get("sasl.jaas.config").filter(|v| !v.is_empty()) {
        let same = jaas::parse(existing)
            .is_ok_and(|j| j.is_module(module) && j.username == username && j.password == password);
        if same {
            return Ok(());
        }
        return Err(
            "sasl.username/sasl.password and sasl.jaas.config are both set, to different credentials; set only sasl.jaas.config"
                .to_owned(),
        );
    }
    map.insert(
        "sasl.jaas.config".to_owned(),
        jaas::compose(module, &username, &password),
    );
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn java_names_pass_through_unchanged() {
        let p = props(&[
            ("security.protocol", "SASL_SSL"),
            ("ssl.truststore.location", "/ca.pem"),
            ("ssl.keystore.location", "/client.pem"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                "PlainLoginModule required username=u password=p;",
            ),
            ("linger.ms", "5"),
        ]);
        assert_eq!(java_names(&p).unwrap(), p);
    }

    #[test]
    fn librdkafka_aliases_become_java_names() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("client.pem");
        std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\nMIIB\n").unwrap();
        let ca = dir.path().join("ca.pem").display().to_string();
        std::fs::write(&ca, "CA").unwrap();
        let out = java_names(&props(&[
            ("ssl.ca.location", &ca),
            ("ssl.certificate.location", &cert.display().to_string()),
            ("ssl.key.pem", "KEY-PEM"),
            ("ssl.endpoint.identification.algorithm", "none"),
            ("ssl.curves.list", "P-256"),
            ("enable.ssl.certificate.verification", "true"),
            ("sasl.mechanisms", "SCRAM-SHA-512"),
            ("sasl.username", "alice"),
            ("sasl.password", "p\"w"),
        ]))
        .unwrap();
        let expected = props(&[
            ("ssl.truststore.location", &ca),
            (
                "ssl.keystore.certificate.chain",
                "-----BEGIN CERTIFICATE-----\nMIIB\n",
            ),
            ("ssl.keystore.key", "KEY-PEM"),
            ("ssl.endpoint.identification.algorithm", ""),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="p\"w";"#,
            ),
        ]);
        assert_eq!(out, expected);
        let j = jaas::parse(&out["sasl.jaas.config"]).unwrap();
        assert_eq!(j.password, "p\"w");
    }

    #[test]
    fn a_ca_directory_becomes_inline_certificates() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.pem"), "-----BEGIN CERTIFICATE-----\nA\n").unwrap();
        std::fs::write(dir.path().join("README"), "not a certificate").unwrap();
        let out = java_names(&props(&[(
            "ssl.ca.location",
            &dir.path().display().to_string(),
        )]))
        .unwrap();
        let pem = &out["ssl.truststore.certificates"];
        assert!(pem.contains("\nA\n") && !pem.contains("README"), "{pem}");
        assert!(!out.contains_key("ssl.ca.location"));
    }

    #[test]
    fn the_same_setting_in_both_spellings_is_accepted_when_equal() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem").display().to_string();
        std::fs::write(&ca, "CA").unwrap();
        let out = java_names(&props(&[
            ("ssl.ca.location", &ca),
            ("ssl.truststore.location", &ca),
            ("sasl.mechanism", "PLAIN"),
            ("sasl.username", "u"),
            ("sasl.password", "p"),
            (
                "sasl.jaas.config",
                "PlainLoginModule required username=\"u\" password=\"p\";",
            ),
        ]))
        .unwrap();
        assert_eq!(out["ssl.truststore.location"], ca);
        assert!(!out.contains_key("sasl.username") && !out.contains_key("ssl.ca.location"));
    }

    #[test]
    fn conflicts_and_gaps_are_refused_by_name_without_secrets() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[
                    // A file that exists where the tests run: the crate's.
                    ("ssl.ca.location", "Cargo.toml"),
                    ("ssl.truststore.location", "/b.pem"),
                ],
                "ssl.ca.location and ssl.truststore.location are both set",
            ),
            (
                &[("ssl.ca.location", "/nonexistent/a.pem")],
                "cannot read ssl.ca.location /nonexistent/a.pem",
            ),
            (
                &[("ssl.ca.pem", "A"), ("ssl.truststore.certificates", "B")],
                "ssl.ca.pem and ssl.truststore.certificates are both set",
            ),
            (
                &[("ssl.ca.pem", "A"), ("ssl.truststore.location", "/b.pem")],
                "set ssl.truststore.location or ssl.truststore.certificates, not both",
            ),
            (
                &[("ssl.key.pem", "A"), ("ssl.keystore.location", "/k.pem")],
                "set ssl.keystore.location or ssl.keystore.key, not both",
            ),
            (
                &[("ssl.key.pem", "A"), ("ssl.key.location", "/k.pem")],
                "set ssl.key.location or ssl.key.pem, not both",
            ),
            (
                &[("ssl.certificate.location", "/nonexistent/c.pem")],
                "cannot read ssl.certificate.location /nonexistent/c.pem",
            ),
            (
                &[("sasl.username", "u"), ("sasl.password", "hidden")],
                "need sasl.mechanism",
            ),
            (
                &[("sasl.username", "u")],
                "sasl.username is set without sasl.password",
            ),
            (
                &[
                    ("sasl.mechanism", "PLAIN"),
                    ("sasl.username", "u"),
                    ("sasl.password", "hidden"),
                    (
                        "sasl.jaas.config",
                        "PlainLoginModule required username=u password=other;",
                    ),
                ],
                "sasl.username/sasl.password and sasl.jaas.config are both set",
            ),
            (
                &[("enable.ssl.certificate.verification", "false")],
                "always checks",
            ),
        ];
        for (pairs, expected) in cases {
            let e = java_names(&props(pairs)).unwrap_err();
            assert!(e.contains(expected), "{pairs:?}: {e}");
            assert!(!e.contains("hidden"), "{e}");
        }
    }
}
