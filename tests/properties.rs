//! Property tests: sign→verify round trips for every algorithm, single-byte changes, strict
//! base64url through the public API, and verification of arbitrary text never panicking.

use std::sync::OnceLock;
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use serde::{Deserialize, Serialize};
use tessera::{
    Algorithm, AlgorithmSet, ErrorKind, FixedClock, Issuer, KeyFamily, Policy, SigningKey,
    Verified, Verifier, VerifyingKey,
};

const NOW: i64 = 1_700_000_000;
const ISSUER: &str = "https://issuer.example";

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// One fixed private key per family (the fuzz targets' keys), and a 64-byte HMAC secret.
fn private_key(family: KeyFamily) -> &'static SigningKey {
    static KEYS: OnceLock<Vec<(KeyFamily, SigningKey)>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let pem = |text: &str| SigningKey::from_pem(text).expect("test key parses");
        vec![
            (
                KeyFamily::Hmac,
                SigningKey::hmac(&[0x42; 64]).expect("64-byte secret"),
            ),
            (
                KeyFamily::Rsa,
                pem(include_str!("../fuzz/keys/rsa2048.pem")),
            ),
            (
                KeyFamily::EcP256,
                pem(include_str!("../fuzz/keys/p256.pem")),
            ),
            (
                KeyFamily::EcP384,
                pem(include_str!("../fuzz/keys/p384.pem")),
            ),
            (
                KeyFamily::Ed25519,
                pem(include_str!("../fuzz/keys/ed25519.pem")),
            ),
        ]
    });
    keys.iter()
        .find(|(f, _)| *f == family)
        .map(|(_, k)| k)
        .expect("a key of every family")
}

/// A signer bound to `alg` (the issuer writes the signer's algorithm).
struct Bound(&'static SigningKey, Algorithm);

impl tessera::Signer for Bound {
    fn algorithm(&self) -> Algorithm {
        self.1
    }
    fn key_id(&self) -> Option<&str> {
        None
    }
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, tessera::Error> {
        self.0.sign_with(self.1, signing_input)
    }
}

fn verifier(
    alg: Algorithm,
    audience: &str,
) -> Verifier<VerifyingKey, tessera::NoRevocation, FixedClock> {
    Verifier::new(
        private_key(alg.family()).verifying_key(),
        Policy::new([alg]).issuer(ISSUER).audience(audience),
    )
    .with_clock(FixedClock::at(NOW))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Custom {
    role: String,
    level: i64,
    tags: Vec<String>,
    flag: Option<bool>,
}

fn custom() -> impl Strategy<Value = Custom> {
    (
        "\\PC{0,24}",
        any::<i64>(),
        prop::collection::vec("[a-z:]{1,12}", 0..4),
        any::<Option<bool>>(),
    )
        .prop_map(|(role, level, tags, flag)| Custom {
            role,
            level,
            tags,
            flag,
        })
}

fn round_trip(
    alg: Algorithm,
    subject: &str,
    audience: &str,
    claims: &Custom,
    lifetime: u64,
    age: i64,
) {
    let signer = Bound(private_key(alg.family()), alg);
    let token = Issuer::new(signer)
        .with_clock(FixedClock::at(NOW - age))
        .issuer(ISSUER)
        .audience(audience)
        .lifetime(Duration::from_secs(lifetime))
        .issue(subject, claims)
        .expect("issues");
    let verified: Verified<Custom> = verifier(alg, audience)
        .verify(&token)
        .unwrap_or_else(|e| panic!("{alg}: {e}\n{token}"));
    assert_eq!(verified.algorithm(), alg);
    assert_eq!(verified.subject(), Some(subject));
    assert_eq!(verified.issuer(), Some(ISSUER));
    assert_eq!(verified.audiences().collect::<Vec<_>>(), vec![audience]);
    assert_eq!(verified.claims(), claims);
    assert_eq!(
        verified.expires_at().map(|d| d.as_secs()),
        Some(NOW - age + lifetime as i64)
    );
    assert_eq!(verified.issued_at().map(|d| d.as_secs()), Some(NOW - age));
    assert_eq!(verified.jwt_id().map(str::len), Some(22), "128-bit jti");
}

#[test]
fn every_algorithm_round_trips() {
    let claims = Custom {
        role: "r\u{e9}le \"quoted\"".into(),
        level: -3,
        tags: vec!["a".into(), "b".into()],
        flag: None,
    };
    for alg in Algorithm::ALL {
        round_trip(alg, "alice", "api", &claims, 300, 10);
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn sign_then_verify_round_trips(
        alg in select(Algorithm::ALL.to_vec()),
        subject in "\\PC{0,32}",
        audience in "[ -~]{1,16}",
        claims in custom(),
        lifetime in 60u64..86_400,
        age in 0i64..60,
    ) {
        round_trip(alg, &subject, &audience, &claims, lifetime, age);
    }
}

/// A valid token per algorithm, signed once.
fn signed_token(alg: Algorithm) -> &'static str {
    static TOKENS: OnceLock<Vec<(Algorithm, String)>> = OnceLock::new();
    let tokens = TOKENS.get_or_init(|| {
        Algorithm::ALL
            .into_iter()
            .map(|alg| {
                let token = Issuer::new(Bound(private_key(alg.family()), alg))
                    .with_clock(FixedClock::at(NOW))
                    .issuer(ISSUER)
                    .audience("api")
                    .issue("alice", &serde_json::json!({"scope": "read"}))
                    .expect("issues");
                (alg, token)
            })
            .collect()
    });
    tokens
        .iter()
        .find(|(a, _)| *a == alg)
        .map(|(_, t)| t.as_str())
        .expect("every algorithm")
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_single_byte_change_fails(
        alg in select(vec![Algorithm::HS256, Algorithm::RS256, Algorithm::PS256, Algorithm::ES256, Algorithm::EdDSA]),
        position in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let token = signed_token(alg);
        let verifier = verifier(alg, "api");
        prop_assert!(verifier.verify::<serde_json::Value>(token).is_ok());
        let mut bytes = token.as_bytes().to_vec();
        let i = position.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        let changed = String::from_utf8_lossy(&bytes);
        prop_assert!(
            verifier.verify::<serde_json::Value>(&changed).is_err(),
            "{alg}: accepted with byte {i} changed to {byte:#04x}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Strict base64url, through the public API

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A reference encoder (RFC 4648 §5, no padding), independent of the crate's.
fn encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fn hmac_key() -> &'static SigningKey {
    private_key(KeyFamily::Hmac)
}

/// A JWS over exactly `header_part.payload_part`, signed with the HMAC key.
fn jws(header_part: &str, payload_part: &str) -> String {
    let input = format!("{header_part}.{payload_part}");
    let sig = hmac_key()
        .sign_with(Algorithm::HS256, input.as_bytes())
        .expect("signs");
    format!("{input}.{}", encode(&sig))
}

fn jws_verifier() -> Verifier<VerifyingKey> {
    Verifier::new(
        hmac_key().verifying_key(),
        Policy::new(AlgorithmSet::of(Algorithm::HS256)),
    )
}

const HEADER: &str = r#"{"alg":"HS256"}"#;

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn base64url_decodes_what_was_encoded(payload in prop::collection::vec(any::<u8>(), 0..200)) {
        let token = jws(&encode(HEADER.as_bytes()), &encode(&payload));
        let verified = jws_verifier().verify_jws(&token).expect("canonical base64url verifies");
        prop_assert_eq!(verified.payload(), payload.as_slice());
        let untrusted = tessera::UntrustedToken::decode(&token).expect("decodes");
        prop_assert_eq!(untrusted.payload(), payload.as_slice());
    }

    /// Non-canonical forms of the payload part, re-signed so that only the encoding is wrong,
    /// are `malformed`: set unused trailing bits, padding, the standard alphabet, whitespace.
    #[test]
    fn non_canonical_base64url_is_malformed(
        payload in prop::collection::vec(any::<u8>(), 1..120),
        form in 0usize..4,
        trailing in 1u8..16,
    ) {
        let canonical = encode(&payload);
        let altered = match form {
            0 => {
                // Unused bits exist only when the length is not a multiple of 3.
                let spare_bits = match payload.len() % 3 { 1 => 4, 2 => 2, _ => 0 };
                prop_assume!(spare_bits > 0);
                let last = canonical.as_bytes()[canonical.len() - 1];
                let value = ALPHABET.iter().position(|c| *c == last).expect("alphabet") as u8;
                let mask = (1u8 << spare_bits) - 1;
                let changed = value | (trailing & mask).max(1);
                let mut s = canonical[..canonical.len() - 1].to_owned();
                s.push(char::from(ALPHABET[changed as usize]));
                s
            }
            1 => {
                prop_assume!(payload.len() % 3 != 0);
                format!("{canonical}{}", "=".repeat(3 - payload.len() % 3))
            }
            2 => {
                prop_assume!(canonical.contains(['-', '_']));
                canonical.replace('-', "+").replace('_', "/")
            }
            _ => {
                let mid = canonical.len() / 2;
                format!("{} {}", &canonical[..mid], &canonical[mid..])
            }
        };
        let token = jws(&encode(HEADER.as_bytes()), &altered);
        let err = jws_verifier().verify_jws(&token).expect_err("non-canonical is rejected");
        prop_assert_eq!(err.kind(), ErrorKind::Malformed, "{}: {}", altered, err);
        let err = tessera::UntrustedToken::decode(&token).expect_err("non-canonical is rejected");
        prop_assert_eq!(err.kind(), ErrorKind::Malformed);
    }
}

// ---------------------------------------------------------------------------------------------
// Never panics

fn all_algorithms_verifier() -> Verifier<VerifyingKey> {
    Verifier::new(
        hmac_key().verifying_key(),
        Policy::new(AlgorithmSet::from(Algorithm::ALL))
            .issuer(ISSUER)
            .audience("api"),
    )
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn verifying_any_text_never_panics_and_fails(text in "\\PC{0,300}") {
        prop_assert!(all_algorithms_verifier().verify::<serde_json::Value>(&text).is_err());
        let _ = tessera::UntrustedToken::decode(&text);
    }

    #[test]
    fn verifying_token_shaped_text_never_panics_and_fails(
        header in "(eyJ)?[A-Za-z0-9_-]{0,60}",
        payload in "(eyJ)?[A-Za-z0-9_-]{0,120}",
        signature in "[A-Za-z0-9_-]{0,90}",
    ) {
        let text = format!("{header}.{payload}.{signature}");
        prop_assert!(all_algorithms_verifier().verify::<serde_json::Value>(&text).is_err());
        if let Ok(t) = tessera::UntrustedToken::decode(&text) {
            let _ = (t.claims(), t.registered_claims());
        }
    }

    /// Valid base64url of arbitrary JSON-ish text as header and claims, validly signed: the
    /// header and claims parsers see arbitrary input and answer without panicking.
    #[test]
    fn signed_arbitrary_json_never_panics(
        header in "\\{\"alg\":\"HS256\"(,\"[a-z]{1,4}\":(\"[ -~]{0,8}\"|[0-9]{1,3}|true|null|\\[\\]))*\\}",
        claims in "\\{(\"[a-z]{1,4}\":(\"[ -~]{0,8}\"|-?[0-9]{1,12}(\\.[0-9]{1,3})?|true|null|\\[\"api\"\\]),?){0,6}\\}",
    ) {
        let token = jws(&encode(header.as_bytes()), &encode(claims.as_bytes()));
        let _ = all_algorithms_verifier().verify::<serde_json::Value>(&token);
    }
}

// ---------------------------------------------------------------------------------------------
// Duplicate member names

const REGISTERED: [&str; 8] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "auth_time"];

/// `name` as a JSON string, with its first character written as a `\u` escape when `escape`.
fn json_name(name: &str, escape: bool) -> String {
    match name.chars().next() {
        Some(first) if escape => {
            format!("\"\\u{:04x}{}\"", first as u32, &name[first.len_utf8()..])
        }
        _ => format!("\"{name}\""),
    }
}

fn duplicate_verifier() -> Verifier<VerifyingKey> {
    Verifier::new(
        hmac_key().verifying_key(),
        Policy::new([Algorithm::HS256]).allow_missing_exp(),
    )
}

proptest! {
    #![proptest_config(config(256))]

    /// A claims object that repeats a name, however many members it has (the check changes
    /// strategy past 16) and whether or not the repeat is spelled with a `\u` escape, is
    /// `malformed`; without the repeat, the same object verifies.
    #[test]
    fn repeated_claim_names_are_malformed(
        names in prop::collection::btree_set("[a-z_]{1,8}", 1..40),
        pick in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        escape in any::<bool>(),
    ) {
        let names: Vec<String> = names
            .into_iter()
            .filter(|n| !REGISTERED.contains(&n.as_str()))
            .collect();
        prop_assume!(!names.is_empty());
        let members: Vec<String> = names
            .iter()
            .map(|n| format!("{}:\"v\"", json_name(n, false)))
            .collect();
        let unique = format!("{{{}}}", members.join(","));
        let header = encode(HEADER.as_bytes());
        let token = jws(&header, &encode(unique.as_bytes()));
        prop_assert!(duplicate_verifier().verify::<serde_json::Value>(&token).is_ok());

        let repeated = pick.get(&names);
        let mut with_repeat = members.clone();
        with_repeat.insert(
            at.index(members.len() + 1),
            format!("{}:\"w\"", json_name(repeated, escape)),
        );
        // The repeat may land before the original: either way the object has the name twice.
        let claims = format!("{{{}}}", with_repeat.join(","));
        let token = jws(&header, &encode(claims.as_bytes()));
        for result in [
            duplicate_verifier().verify::<serde_json::Value>(&token).map(|_| ()),
            duplicate_verifier().verify::<serde::de::IgnoredAny>(&token).map(|_| ()),
        ] {
            let err = result.expect_err("a repeated name is rejected");
            prop_assert_eq!(err.kind(), ErrorKind::Malformed, "{}", claims);
        }
    }

    /// The same for every registered claim, with values of the right type.
    #[test]
    fn repeated_registered_claims_are_malformed(
        which in 0usize..8,
        escape in any::<bool>(),
        filler in 0usize..20,
    ) {
        let name = REGISTERED[which];
        let value = match name {
            "exp" | "nbf" | "iat" | "auth_time" => "1600000000".to_owned(),
            _ => "\"x\"".to_owned(),
        };
        let fillers: String = (0..filler).map(|i| format!(",\"f{i}\":{i}")).collect();
        let claims = format!(
            "{{{}:{value}{fillers},{}:{value}}}",
            json_name(name, false),
            json_name(name, escape)
        );
        let token = jws(&encode(HEADER.as_bytes()), &encode(claims.as_bytes()));
        let err = duplicate_verifier()
            .verify::<serde::de::IgnoredAny>(&token)
            .expect_err("a repeated registered claim is rejected");
        prop_assert_eq!(err.kind(), ErrorKind::Malformed, "{}", claims);
    }
}
