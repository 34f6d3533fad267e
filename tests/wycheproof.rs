//! Project Wycheproof vectors (tests/data/wycheproof, Apache-2.0) through the public key API:
//! keys are built with `from_der`, `from_jwk` or raw components and signatures are checked with
//! `verify_signature`. Every `valid`/`invalid` verdict must match; each `acceptable` case and
//! each case that does not apply is documented where it is handled. Every file asserts how many
//! cases it ran, so a loop that silently runs nothing fails.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::Value;
use tessera::{Algorithm, Error, ErrorKind, Jwk, JwkSet, SigningKey, VerifyingKey};

fn load(name: &str) -> Value {
    let path = format!(
        "{}/tests/data/wycheproof/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing string {key}"))
}

fn groups(file: &Value) -> &Vec<Value> {
    file["testGroups"].as_array().unwrap()
}

fn tests(group: &Value) -> &Vec<Value> {
    group["tests"].as_array().unwrap()
}

/// Runs every case of a signature verification file against `key_of(group)`; `acceptable`
/// cases are decided by `acceptable(tcId)`, which returns whether we accept. Returns the count.
fn run_signature_file(
    file: &Value,
    alg: Algorithm,
    key_of: impl Fn(&Value) -> VerifyingKey,
    acceptable: impl Fn(u64) -> bool,
) -> usize {
    let mut count = 0;
    for group in groups(file) {
        let key = key_of(group);
        for case in tests(group) {
            let id = case["tcId"].as_u64().unwrap();
            let result =
                key.verify_signature(alg, &hex(text(case, "msg")), &hex(text(case, "sig")));
            let expect_ok = match text(case, "result") {
                "valid" => true,
                "invalid" => false,
                "acceptable" => acceptable(id),
                other => panic!("tcId {id}: unknown result {other}"),
            };
            match result {
                Ok(()) => assert!(expect_ok, "tcId {id} ({}) accepted", text(case, "comment")),
                Err(e) => {
                    assert!(
                        !expect_ok,
                        "tcId {id} ({}) rejected: {e}",
                        text(case, "comment")
                    );
                    assert_eq!(e.kind(), ErrorKind::InvalidSignature, "tcId {id}");
                }
            }
            count += 1;
        }
    }
    count
}

fn no_acceptable_cases(id: u64) -> bool {
    panic!("tcId {id}: unexpected acceptable case")
}

fn ecdsa(name: &str, alg: Algorithm, raw: fn(&[u8]) -> Result<VerifyingKey, Error>) -> usize {
    let file = load(name);
    run_signature_file(
        &file,
        alg,
        |group| {
            let der = VerifyingKey::from_der(&hex(text(group, "publicKeyDer"))).unwrap();
            // The same key from its JWK (given for most groups), its PEM and its raw point is
            // the same key.
            let from_pem = VerifyingKey::from_pem(text(group, "publicKeyPem")).unwrap();
            let from_raw = raw(&hex(text(&group["publicKey"], "uncompressed"))).unwrap();
            let mut others = vec![from_pem];
            if let Some(jwk) = group.get("publicKeyJwk") {
                let jwk: Jwk = serde_json::from_value(jwk.clone()).unwrap();
                others.push(VerifyingKey::from_jwk(&jwk).unwrap());
            }
            for other in others.iter().chain([&from_raw]) {
                assert_eq!(other.thumbprint(), der.thumbprint());
                assert_eq!(other.to_der().unwrap(), hex(text(group, "publicKeyDer")));
            }
            from_raw
        },
        no_acceptable_cases,
    )
}

#[test]
fn ecdsa_p256_p1363() {
    let count = ecdsa(
        "ecdsa_secp256r1_sha256_p1363_test.json",
        Algorithm::ES256,
        VerifyingKey::ec_p256,
    );
    assert_eq!(count, 262);
}

#[test]
fn ecdsa_p384_p1363() {
    let count = ecdsa(
        "ecdsa_secp384r1_sha384_p1363_test.json",
        Algorithm::ES384,
        VerifyingKey::ec_p384,
    );
    assert_eq!(count, 280);
}

#[test]
fn ecdsa_key_of_one_curve_refuses_the_other_algorithm() {
    let file = load("ecdsa_secp256r1_sha256_p1363_test.json");
    let group = &groups(&file)[0];
    let key = VerifyingKey::from_der(&hex(text(group, "publicKeyDer"))).unwrap();
    let case = &tests(group)[0];
    let err = key
        .verify_signature(
            Algorithm::ES384,
            &hex(text(case, "msg")),
            &hex(text(case, "sig")),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyNotFound);
}

#[test]
fn rsa_pkcs1_2048_sha256() {
    let file = load("rsa_signature_2048_sha256_test.json");
    let count = run_signature_file(
        &file,
        Algorithm::RS256,
        |group| {
            let spki = VerifyingKey::from_der(&hex(text(group, "publicKeyDer"))).unwrap();
            let pkcs1 = VerifyingKey::from_der(&hex(text(group, "publicKeyAsn"))).unwrap();
            let raw = VerifyingKey::rsa(
                &hex(text(&group["publicKey"], "modulus")),
                &hex(text(&group["publicKey"], "publicExponent")),
            )
            .unwrap();
            assert_eq!(spki.thumbprint(), pkcs1.thumbprint());
            assert_eq!(spki.thumbprint(), raw.thumbprint());
            assert_eq!(raw.to_der().unwrap(), hex(text(group, "publicKeyDer")));
            spki
        },
        // tcId 8, "MissingNull": the DigestInfo lacks the NULL parameters. RFC 8017 §9.2 allows
        // verifiers to accept it; ring compares against the one encoding it would produce and
        // rejects it, and so do we.
        |id| {
            assert_eq!(id, 8, "only tcId 8 is acceptable");
            false
        },
    );
    assert_eq!(count, 259);
}

fn pss_file(name: &str, expect_bound: bool) {
    let file = load(name);
    let count = run_signature_file(
        &file,
        Algorithm::PS256,
        |group| {
            assert_eq!(
                (
                    text(group, "sha"),
                    text(group, "mgfSha"),
                    group["sLen"].as_u64()
                ),
                ("SHA-256", "SHA-256", Some(32))
            );
            let key = VerifyingKey::from_der(&hex(text(group, "publicKeyDer"))).unwrap();
            if expect_bound {
                // id-RSASSA-PSS with SHA-256/MGF1-SHA-256/salt 32: bound to PS256, never RS256.
                assert_eq!(key.algorithm(), Some(Algorithm::PS256));
                assert!(!key.supports(Algorithm::RS256) && !key.supports(Algorithm::PS384));
                assert_eq!(key.to_der().unwrap(), hex(text(group, "publicKeyDer")));
            } else {
                assert_eq!(key.algorithm(), None);
            }
            key
        },
        no_acceptable_cases,
    );
    assert_eq!(count, 108);
}

#[test]
fn rsa_pss_2048_sha256_rsa_encryption_key() {
    pss_file("rsa_pss_2048_sha256_mgf1_32_test.json", false);
}

#[test]
fn rsa_pss_2048_sha256_pss_key_with_parameters() {
    pss_file("rsa_pss_2048_sha256_mgf1_32_params_test.json", true);
}

#[test]
fn ed25519() {
    let file = load("ed25519_test.json");
    let mut count = 0;
    for alg in [Algorithm::EdDSA, Algorithm::Ed25519] {
        count += run_signature_file(
            &file,
            alg,
            |group| {
                let der = VerifyingKey::from_der(&hex(text(group, "publicKeyDer"))).unwrap();
                let jwk: Jwk = serde_json::from_value(group["publicKeyJwk"].clone()).unwrap();
                let jwk = VerifyingKey::from_jwk(&jwk).unwrap();
                let raw = VerifyingKey::ed25519(&hex(text(&group["publicKey"], "pk"))).unwrap();
                assert_eq!(der.thumbprint(), jwk.thumbprint());
                assert_eq!(der.thumbprint(), raw.thumbprint());
                jwk
            },
            no_acceptable_cases,
        );
    }
    // 151 cases, once under each name of the algorithm.
    assert_eq!(count, 2 * 151);
}

#[test]
fn hmac_sha256() {
    let file = load("hmac_sha256_test.json");
    let (mut full, mut weak, mut truncated) = (0, 0, 0);
    for group in groups(&file) {
        let key_size = group["keySize"].as_u64().unwrap();
        let tag_size = group["tagSize"].as_u64().unwrap();
        for case in tests(group) {
            let id = case["tcId"].as_u64().unwrap();
            let secret = hex(text(case, "key"));
            let (msg, tag) = (hex(text(case, "msg")), hex(text(case, "tag")));
            if key_size < 256 {
                // Keys shorter than the hash output are refused (RFC 7518 §3.2).
                assert_eq!(
                    VerifyingKey::hmac(&secret).unwrap_err().kind(),
                    ErrorKind::WeakKey
                );
                weak += 1;
                continue;
            }
            let key = VerifyingKey::hmac(&secret).unwrap();
            let result = key.verify_signature(Algorithm::HS256, &msg, &tag);
            if tag_size != 256 {
                // JWS uses the full tag: truncated tags, even correct ones, never verify.
                assert_eq!(
                    result.unwrap_err().kind(),
                    ErrorKind::InvalidSignature,
                    "tcId {id}"
                );
                truncated += 1;
                continue;
            }
            match text(case, "result") {
                "valid" => assert!(result.is_ok(), "tcId {id}"),
                "invalid" => {
                    assert_eq!(
                        result.unwrap_err().kind(),
                        ErrorKind::InvalidSignature,
                        "tcId {id}"
                    )
                }
                other => panic!("tcId {id}: unexpected {other}"),
            }
            full += 1;
        }
    }
    assert_eq!((full, weak, truncated), (84, 6, 84));
}

// ---------------------------------------------------------------------------------------------
// JOSE-level files. The key code expresses: importing each JWK (accepted or refused, and why),
// and checking a compact JWS's signature with the key its `kid` names. The helper below does
// only what is needed for that (three parts, strict base64url, `alg` and `kid` from the header);
// full token verification is the verifier's job and is tested there.

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Accepted,
    Rejected(ErrorKind),
}

fn b64url(part: &str) -> Result<Vec<u8>, ErrorKind> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ErrorKind::Malformed)
}

fn check_compact_jws(jws: &Value, keys: &[VerifyingKey]) -> Outcome {
    let run = || -> Result<(), ErrorKind> {
        let jws = jws.as_str().ok_or(ErrorKind::Malformed)?; // JSON serialization: refused
        let parts: Vec<&str> = jws.split('.').collect();
        let [header, payload, signature] = parts[..] else {
            return Err(ErrorKind::Malformed);
        };
        let header: Value =
            serde_json::from_slice(&b64url(header)?).map_err(|_| ErrorKind::Malformed)?;
        b64url(payload)?;
        let signature = b64url(signature)?;
        let alg = Algorithm::from_name(header["alg"].as_str().ok_or(ErrorKind::Malformed)?)
            .map_err(|e| e.kind())?;
        let kid = header["kid"].as_str();
        let key = keys
            .iter()
            .find(|k| kid.is_none_or(|kid| k.key_id() == Some(kid)) && k.supports(alg))
            .ok_or(ErrorKind::KeyNotFound)?;
        let signing_input = jws.rsplit_once('.').map(|(input, _)| input).unwrap();
        key.verify_signature(alg, signing_input.as_bytes(), &signature)
            .map_err(|e| e.kind())
    };
    match run() {
        Ok(()) => Outcome::Accepted,
        Err(kind) => Outcome::Rejected(kind),
    }
}

/// The JWKs of a group: its public key(s) if given, else its private key(s); one JWK or a set.
fn group_jwks(group: &Value) -> Vec<Jwk> {
    let value = group.get("public").unwrap_or(&group["private"]);
    if value.get("keys").is_some() {
        JwkSet::from_json(&value.to_string()).unwrap().keys
    } else {
        vec![serde_json::from_value(value.clone()).unwrap()]
    }
}

/// Imports every key of the group as a verifying key, and every private JWK as a signing key
/// too; the first refusal decides (both imports must agree on it).
fn import_group(group: &Value) -> Result<Vec<VerifyingKey>, ErrorKind> {
    let private: Vec<Jwk> = match &group["private"] {
        v if v.get("keys").is_some() => JwkSet::from_json(&v.to_string()).unwrap().keys,
        v => vec![serde_json::from_value(v.clone()).unwrap()],
    };
    let mut keys = Vec::new();
    for jwk in group_jwks(group) {
        keys.push(VerifyingKey::from_jwk(&jwk).map_err(|e| e.kind())?);
    }
    for jwk in private.iter().filter(|j| j.is_private()) {
        let signing = SigningKey::from_jwk(jwk).map_err(|e| e.kind());
        assert!(
            signing.is_ok(),
            "private key refused though its public half was not: {signing:?}"
        );
    }
    Ok(keys)
}

fn outcome(group: &Value, case: &Value) -> Outcome {
    match import_group(group) {
        Ok(keys) => check_compact_jws(&case["jws"], &keys),
        Err(kind) => Outcome::Rejected(kind),
    }
}

#[test]
fn json_web_key() {
    use ErrorKind::*;
    use Outcome::*;
    // Our outcome for each case; `None` marks the cases the key code cannot express.
    let expected: BTreeMap<u64, Option<Outcome>> = BTreeMap::from([
        // "MixedKeySet": a set holding a secret and public keys. Refusing such a set is a key
        // provider's policy, not something a single key can decide: not run here.
        (1, None),
        (2, Some(Accepted)),
        (3, Some(Rejected(InvalidSignature))),
        // "DuplicateKid" is a key-set policy left to the providers, but this set is refused
        // already: the second key's `k` is not canonical base64url (its last character has
        // non-zero unused bits), and members are decoded strictly.
        (4, Some(Rejected(InvalidKey))),
        (5, Some(Accepted)),
        // `use: enc` with `alg: RSA1_5`: RSA1_5 is no signature algorithm, so the JWK is refused.
        (6, Some(Rejected(InvalidKey))),
        // A modulus with the ROCA fingerprint (CVE-2017-15361) is refused as weak.
        (7, Some(Rejected(WeakKey))),
        (8, Some(Rejected(WeakKey))),    // 1024-bit RSA
        (9, Some(Rejected(InvalidKey))), // public exponent 1
        (10, Some(Rejected(WeakKey))),   // HS256 secret of 31 bytes
        (11, Some(Rejected(WeakKey))),   // HS384 secret of 47 bytes
        (12, Some(Rejected(WeakKey))),   // HS512 secret of 63 bytes
        (13, Some(Accepted)),
        (14, Some(Accepted)),
        (15, Some(Accepted)),
        (16, Some(Rejected(WeakKey))), // empty secrets
        (17, Some(Rejected(WeakKey))),
        (18, Some(Rejected(WeakKey))),
        (19, Some(Rejected(InvalidKey))), // alg ES521 (not a registered name)
        (20, Some(Rejected(InvalidKey))), // alg ES224 (not implemented)
        // `use: enc`: the key is imported but never verifies, so no key is found for the token.
        (21, Some(Rejected(KeyNotFound))),
        (22, Some(Rejected(InvalidKey))), // point not on the curve
        (23, Some(Rejected(InvalidKey))), // P-384 with 32-byte coordinates
        (24, Some(Rejected(InvalidKey))), // kty RSA with EC members
        (25, Some(Rejected(InvalidKey))), // alg A256GCM on an oct key
        (26, Some(Rejected(InvalidKey))), // alg A256KW on an oct key
    ]);
    let file = load("json_web_key_test.json");
    let (mut run, mut skipped) = (0, 0);
    for group in groups(&file) {
        for case in tests(group) {
            let id = case["tcId"].as_u64().unwrap();
            let Some(want) = expected[&id] else {
                // Not run as a token check, but every key of those sets imports fine.
                assert!(import_group(group).is_ok(), "tcId {id}");
                skipped += 1;
                continue;
            };
            let got = outcome(group, case);
            assert_eq!(got, want, "tcId {id} ({})", text(case, "comment"));
            let wycheproof_valid = text(case, "result") == "valid";
            assert_eq!(got == Accepted, wycheproof_valid, "tcId {id} verdict");
            run += 1;
        }
    }
    assert_eq!((run, skipped), (25, 1));
}

#[test]
fn json_web_crypto() {
    use ErrorKind::*;
    use Outcome::*;
    // Specific reasons for some cases; all others must simply match Wycheproof's verdict.
    let reasons: BTreeMap<u64, Outcome> = BTreeMap::from([
        (8, Rejected(KeyNotFound)), // modified header: its kid names no key
        (16, Rejected(UnsupportedAlgorithm)), // alg none
        (17, Rejected(Malformed)),  // JSON serialization
        // An HS256 token "signed" with the EC public key's bytes as a secret: the EC key does
        // not support HS256, so there is no key to check it with.
        (31, Rejected(KeyNotFound)),
        // A key embedded in the header is never used: the signature fails with the real key.
        (32, Rejected(InvalidSignature)),
        (46, Rejected(WeakKey)), // ROCA
    ]);
    let file = load("json_web_crypto_test.json");
    let (mut run, mut jwe) = (0, 0);
    for group in groups(&file) {
        let comment = text(group, "comment");
        for case in tests(group) {
            let id = case["tcId"].as_u64().unwrap();
            if comment.starts_with("jwe_") {
                // JWE is not supported. What the key code can say: these encryption keys
                // (`use: enc`, key-management `alg`) are refused as signature keys.
                assert_eq!(import_group(group).unwrap_err(), InvalidKey, "tcId {id}");
                jwe += 1;
                continue;
            }
            if comment == "jws_mixedSymmetryKeyset" {
                // A set mixing a secret and a public key: a key-set policy (see json_web_key).
                assert!(import_group(group).is_ok());
                continue;
            }
            let got = outcome(group, case);
            if let Some(want) = reasons.get(&id) {
                assert_eq!(got, *want, "tcId {id}");
            }
            let wycheproof_valid = text(case, "result") == "valid";
            assert_eq!(
                got == Accepted,
                wycheproof_valid,
                "tcId {id} ({})",
                text(case, "comment")
            );
            run += 1;
        }
    }
    assert_eq!((run, jwe), (48, 34));
}
