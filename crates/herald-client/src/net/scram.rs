//! The client side of SCRAM (RFC 5802; SCRAM-SHA-256 is RFC 7677), as
//! Kafka speaks it: no channel binding (`n,,`), user names escaped
//! (`=` → `=2C`… per RFC 5802 §5.1), passwords used as their UTF-8 bytes
//! (Kafka's own client applies no SASLprep either), and 4096 to 16384
//! iterations (the range Kafka lets credentials have, KIP-554).
//!
//! Written by hand: `rsasl` would bring a second copy of the RustCrypto
//! stack (digest 0.10, sha2 0.10, hmac 0.12, rand 0.8) plus stringprep
//! next to the workspace's, and `scram` 0.6 is unmaintained; the whole
//! exchange is three messages, and HMAC, PBKDF2, the digests and the
//! nonce come from aws-lc-rs, the crypto library rustls already links.
//! The work is CPU-only and bounded (at most 16384 PBKDF2 rounds, a few
//! milliseconds), so it runs inline on the async task.

use std::num::NonZeroU32;

use aws_lc_rs::rand::SecureRandom;
use aws_lc_rs::{constant_time, digest, hmac, pbkdf2};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The hash function of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha512,
}

impl Hash {
    fn hmac(self) -> hmac::Algorithm {
        match self {
            Hash::Sha256 => hmac::HMAC_SHA256,
            Hash::Sha512 => hmac::HMAC_SHA512,
        }
    }

    fn pbkdf2(self) -> pbkdf2::Algorithm {
        match self {
            Hash::Sha256 => pbkdf2::PBKDF2_HMAC_SHA256,
            Hash::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
        }
    }

    fn digest(self) -> &'static digest::Algorithm {
        match self {
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha512 => &digest::SHA512,
        }
    }

    fn len(self) -> usize {
        self.digest().output_len()
    }
}

/// Fewest and most iterations a server may ask for (Kafka's range).
const MIN_ITERATIONS: u32 = 4096;
const MAX_ITERATIONS: u32 = 16384;
/// `n,,`: no channel binding, no authorization identity.
const GS2_HEADER: &str = "n,,";

/// One SCRAM exchange: [`Scram::client_first`], then
/// [`Scram::client_final`] on the server's first message, then
/// [`Scram::verify_server_final`] on its last.
pub(crate) struct Scram {
    hash: Hash,
    username: String,
    password: String,
    nonce: String,
    /// `n=user,r=nonce`, part of the signed AuthMessage.
    client_first_bare: String,
    /// What the server's final message must carry, once computed.
    server_signature: Option<Vec<u8>>,
}

impl std::fmt::Debug for Scram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scram")
            .field("hash", &self.hash)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Scram {
    /// A new exchange with a fresh random nonce.
    pub(crate) fn new(hash: Hash, username: &str, password: &str) -> Result<Scram, String> {
        let mut bytes = [0u8; 24];
        aws_lc_rs::rand::SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| "no randomness for the SCRAM nonce".to_owned())?;
        Ok(Scram::with_nonce(
            hash,
            username,
            password,
            &BASE64.encode(bytes),
        ))
    }

    /// An exchange with a given nonce (printable, without `,`).
    fn with_nonce(hash: Hash, username: &str, password: &str, nonce: &str) -> Scram {
        let name = username.replace('=', "=3D").replace(',', "=2C");
        Scram {
            hash,
            username: username.to_owned(),
            password: password.to_owned(),
            nonce: nonce.to_owned(),
            client_first_bare: format!("n={name},r={nonce}"),
            server_signature: None,
        }
    }

    /// `n,,n=user,r=nonce`.
    pub(crate) fn client_first(&self) -> Vec<u8> {
        format!("{GS2_HEADER}{}", self.client_first_bare).into_bytes()
    }

    /// The client's final message (with its proof) for the server's first
    /// message `r=nonce,s=salt,i=iterations`.
    pub(crate) fn client_final(&mut self, server_first: &[u8]) -> Result<Vec<u8>, String> {
        let server_first = std::str::from_utf8(server_first)
            .map_err(|_| "the server's first SCRAM message is not UTF-8".to_owned())?;
        let (mut nonce, mut salt, mut iterations) = (None, None, None);
        for attribute in server_first.split(',') {
            match attribute.split_once('=') {
                Some(("r", v)) => nonce = Some(v),
                Some(("s", v)) => salt = Some(v),
                Some(("i", v)) => iterations = Some(v),
                Some(("e", v)) => return Err(format!("the server refused: {v}")),
                Some(("m", _)) => {
                    return Err(
                        "the server requires a SCRAM extension this client does not know"
                            .to_owned(),
                    );
                }
                _ => {}
            }
        }
        let missing = |what: &str| {
            format!("the server's first SCRAM message has no {what}: {server_first:?}")
        };
        let nonce = nonce.ok_or_else(|| missing("nonce (r=)"))?;
        let salt = salt.ok_or_else(|| missing("salt (s=)"))?;
        let iterations = iterations.ok_or_else(|| missing("iteration count (i=)"))?;
        if !nonce.starts_with(&self.nonce) || nonce.len() <= self.nonce.len() {
            return Err("the server's nonce does not extend this client's".to_owned());
        }
        let salt = BASE64
            .decode(salt)
            .map_err(|e| format!("the server's SCRAM salt is not base64: {e}"))?;
        let iterations: u32 = iterations.parse().map_err(|_| {
            format!("the server's SCRAM iteration count {iterations:?} is not a number")
        })?;
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
            return Err(format!(
                "the server asks for {iterations} SCRAM iterations; Kafka allows {MIN_ITERATIONS} to {MAX_ITERATIONS}"
            ));
        }
        let rounds =
            NonZeroU32::new(iterations).ok_or_else(|| "zero SCRAM iterations".to_owned())?;
        let mut salted = vec![0u8; self.hash.len()];
        pbkdf2::derive(
            self.hash.pbkdf2(),
            rounds,
            &salt,
            self.password.as_bytes(),
            &mut salted,
        );
        let salted = hmac::Key::new(self.hash.hmac(), &salted);
        let client_key = hmac::sign(&salted, b"Client Key");
        let stored_key = digest::digest(self.hash.digest(), client_key.as_ref());
        let without_proof = format!("c={},r={nonce}", BASE64.encode(GS2_HEADER));
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let signature = hmac::sign(
            &hmac::Key::new(self.hash.hmac(), stored_key.as_ref()),
            auth_message.as_bytes(),
        );
        let proof: Vec<u8> = client_key
            .as_ref()
            .iter()
            .zip(signature.as_ref())
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = hmac::sign(&salted, b"Server Key");
        let server_signature = hmac::sign(
            &hmac::Key::new(self.hash.hmac(), server_key.as_ref()),
            auth_message.as_bytes(),
        );
        self.server_signature = Some(server_signature.as_ref().to_vec());
        Ok(format!("{without_proof},p={}", BASE64.encode(proof)).into_bytes())
    }

    /// Checks the server's final message `v=signature`: only a server that
    /// knows the credentials can compute it.
    pub(crate) fn verify_server_final(&self, server_final: &[u8]) -> Result<(), String> {
        let expected = self
            .server_signature
            .as_deref()
            .ok_or_else(|| "the server's final SCRAM message came before its first".to_owned())?;
        let text = std::str::from_utf8(server_final)
            .map_err(|_| "the server's final SCRAM message is not UTF-8".to_owned())?;
        for attribute in text.split(',') {
            match attribute.split_once('=') {
                Some(("e", v)) => return Err(format!("the server refused: {v}")),
                Some(("v", v)) => {
                    let got = BASE64
                        .decode(v)
                        .map_err(|e| format!("the server's SCRAM signature is not base64: {e}"))?;
                    return constant_time::verify_slices_are_equal(&got, expected).map_err(|_| {
                        "the server's SCRAM signature is wrong: it does not know this user's credentials"
                            .to_owned()
                    });
                }
                _ => {}
            }
        }
        Err(format!(
            "the server's final SCRAM message has no signature: {text:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 §3: user "user", password "pencil".
    #[test]
    fn rfc_7677_sha_256_example() {
        let mut scram = Scram::with_nonce(Hash::Sha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
        assert_eq!(scram.client_first(), b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let server_first =
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let client_final = scram.client_final(server_first).unwrap();
        assert_eq!(
            String::from_utf8(client_final).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        scram
            .verify_server_final(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
        let e = scram
            .verify_server_final(b"v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap_err();
        assert!(e.contains("signature is wrong"), "{e}");
    }

    /// A SCRAM-SHA-512 server written from RFC 5802 §3's formulas: it
    /// stores only StoredKey and ServerKey, checks the client's proof by
    /// recovering ClientKey from it, and signs the AuthMessage.
    #[test]
    fn sha_512_round_trip_against_a_server() {
        let (user, password, salt, iterations) = ("al,i=ce", "tr0ub4dor&3", b"pepper-salt", 4096);
        let mut salted = [0u8; 64];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA512,
            NonZeroU32::new(iterations).unwrap(),
            salt,
            password.as_bytes(),
            &mut salted,
        );
        let salted = hmac::Key::new(hmac::HMAC_SHA512, &salted);
        let client_key = hmac::sign(&salted, b"Client Key");
        let stored_key = digest::digest(&digest::SHA512, client_key.as_ref());
        let server_key = hmac::sign(&salted, b"Server Key");

        let mut scram = Scram::new(Hash::Sha512, user, password).unwrap();
        let first = String::from_utf8(scram.client_first()).unwrap();
        let bare = first.strip_prefix("n,,").unwrap();
        assert!(bare.starts_with("n=al=2Ci=3Dce,r="), "{bare}");
        let client_nonce = bare.split_once(",r=").unwrap().1;
        let server_first = format!(
            "r={client_nonce}3rfcNHYJY1ZVvWVs7j,s={},i={iterations}",
            BASE64.encode(salt)
        );
        let client_final =
            String::from_utf8(scram.client_final(server_first.as_bytes()).unwrap()).unwrap();
        let (without_proof, proof) = client_final.rsplit_once(",p=").unwrap();
        assert_eq!(
            without_proof,
            format!("c=biws,r={client_nonce}3rfcNHYJY1ZVvWVs7j")
        );
        let auth_message = format!("{bare},{server_first},{without_proof}");
        let signature = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA512, stored_key.as_ref()),
            auth_message.as_bytes(),
        );
        let recovered: Vec<u8> = BASE64
            .decode(proof)
            .unwrap()
            .iter()
            .zip(signature.as_ref())
            .map(|(p, s)| p ^ s)
            .collect();
        assert_eq!(
            digest::digest(&digest::SHA512, &recovered).as_ref(),
            stored_key.as_ref(),
            "the proof does not prove the password"
        );
        let server_signature = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA512, server_key.as_ref()),
            auth_message.as_bytes(),
        );
        let server_final = format!("v={}", BASE64.encode(server_signature.as_ref()));
        scram.verify_server_final(server_final.as_bytes()).unwrap();
    }

    #[test]
    fn bad_server_messages_are_refused() {
        let first = |server: &str| {
            let mut scram = Scram::with_nonce(Hash::Sha256, "u", "p", "abc");
            scram.client_final(server.as_bytes()).unwrap_err()
        };
        assert!(first("r=xyz,s=c2FsdA==,i=4096").contains("nonce"));
        assert!(
            first("r=abc,s=c2FsdA==,i=4096").contains("nonce"),
            "the server must add to it"
        );
        assert!(first("r=abcd,s=c2FsdA==,i=100").contains("100 SCRAM iterations"));
        assert!(first("r=abcd,s=c2FsdA==,i=4000000000").contains("iterations"));
        assert!(first("r=abcd,i=4096").contains("salt"));
        assert!(first("e=unknown-user").contains("unknown-user"));
        let scram = Scram::with_nonce(Hash::Sha256, "u", "p", "abc");
        assert!(
            scram
                .verify_server_final(b"v=AAAA")
                .unwrap_err()
                .contains("before")
        );
    }
}
