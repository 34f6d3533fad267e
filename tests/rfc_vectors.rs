//! Every RFC vector in `tests/data/rfc/` (copied from the shared vectors), used as it should be.

use std::fs;
use std::path::Path;

use serde_json::Value;
use tessera::{
    Algorithm, ErrorKind, FixedClock, Jwk, Policy, SigningKey, Verified, Verifier, VerifyingKey,
};

struct Vector {
    name: String,
    v: Value,
}

impl Vector {
    fn str(&self, field: &str) -> &str {
        self.v[field]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no {field}", self.name))
    }
}

fn vectors() -> Vec<Vector> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc");
    let mut all: Vec<Vector> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| Vector {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            v: serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap(),
        })
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(all.len(), 13, "every RFC vector file is used");
    all
}

fn key_of(vector: &Vector) -> Option<VerifyingKey> {
    let jwk: Jwk = serde_json::from_value(vector.v["jwk"].clone()).ok()?;
    VerifyingKey::from_jwk(&jwk).ok()
}

/// Any key that the verifier can hold when the vector's own key cannot be expressed.
fn placeholder_key() -> VerifyingKey {
    VerifyingKey::hmac(&[0u8; 32]).unwrap()
}

#[test]
fn rfc_vectors() {
    let mut checked = 0;
    for vector in vectors() {
        let name = vector.name.as_str();
        let token = vector.str("token");
        let alg_name = vector.str("alg");
        let expect = vector.str("expect");
        let alg = Algorithm::from_name(alg_name);

        let header: Value = serde_json::from_str(vector.str("header_json")).unwrap();
        if alg_name == "none" || header.get("b64").is_some() || alg_name == "ES512" {
            // Rejected before any key is consulted.
            let want = match alg_name {
                "none" | "ES512" => ErrorKind::UnsupportedAlgorithm,
                _ => ErrorKind::UnsupportedCriticalHeader,
            };
            let any_alg = Policy::new(Algorithm::ALL);
            let verifier = Verifier::new(placeholder_key(), any_alg);
            let jws = verifier.verify_jws(token).unwrap_err();
            assert_eq!(jws.kind(), want, "{name}");
            let jwt = verifier.verify::<Value>(token).unwrap_err();
            assert_eq!(jwt.kind(), want, "{name}");
            if alg_name == "ES512" {
                assert_eq!(alg.unwrap_err().kind(), ErrorKind::UnsupportedAlgorithm);
            }
            assert_ne!(expect, "valid_and_supported", "{name}");
            checked += 1;
            continue;
        }

        assert_eq!(expect, "valid", "{name}");
        let alg = alg.unwrap();
        let key = key_of(&vector).unwrap_or_else(|| panic!("{name}: key must import"));
        let policy = || Policy::new([alg]).issuer("joe");

        // The JWS level: signature and payload as sent.
        let verifier = Verifier::new(&key, policy());
        let jws = verifier
            .verify_jws(token)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(jws.algorithm(), alg);
        assert_eq!(
            jws.payload(),
            vector.str("payload_json").as_bytes(),
            "{name}"
        );

        // Another algorithm of the same family is refused by the allowlist.
        let other = Algorithm::ALL
            .into_iter()
            .find(|a| a.family() == alg.family() && *a != alg)
            .unwrap_or(Algorithm::HS256);
        let strict = Verifier::new(&key, Policy::new([other]));
        assert_eq!(
            strict.verify_jws(token).unwrap_err().kind(),
            ErrorKind::AlgorithmNotAllowed
        );

        // Any change to the signed bytes breaks the signature.
        let (body, sig) = token.rsplit_once('.').unwrap();
        let mut flipped = sig.as_bytes().to_vec();
        flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
        let flipped = format!("{body}.{}", String::from_utf8(flipped).unwrap());
        assert_eq!(
            verifier.verify_jws(&flipped).unwrap_err().kind(),
            ErrorKind::InvalidSignature,
            "{name}"
        );

        if vector.v["payload_is_json"] == Value::Bool(true) {
            // The JWT level: valid at `verify_at`, expired at the real time.
            let at = vector.v["verify_at"].as_i64().unwrap();
            let jwt = Verifier::new(&key, policy()).with_clock(FixedClock::at(at));
            let ok: Verified<Value> = jwt.verify(token).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(ok.issuer(), Some("joe"));
            assert_eq!(ok.claims()["http://example.com/is_root"], true);
            let now = Verifier::new(&key, policy());
            assert_eq!(
                now.verify::<Value>(token).unwrap_err().kind(),
                ErrorKind::Expired,
                "{name}"
            );
        } else {
            // A JWS whose payload is not a claims object is not a JWT.
            let err = verifier.verify::<Value>(token).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Malformed, "{name}");
        }
        checked += 1;
    }
    assert_eq!(checked, 13);
}

#[test]
fn rfc8037_ed25519_signing_is_deterministic() {
    // RFC 8037 A.4: Ed25519 signatures are deterministic, so signing the same input with the
    // private key must give the vector's exact token.
    let vector = vectors()
        .into_iter()
        .find(|v| v.name == "rfc8037_a4_ed25519.json")
        .unwrap();
    let mut jwk: Jwk = serde_json::from_value(vector.v["jwk"].clone()).unwrap();
    jwk.d = Some(vector.str("private_jwk_d").to_owned());
    let key = SigningKey::from_jwk(&jwk).unwrap();
    let token = vector.str("token");
    let (input, sig) = token.rsplit_once('.').unwrap();
    let ours = key.sign_with(Algorithm::EdDSA, input.as_bytes()).unwrap();
    use base64::Engine;
    let ours = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ours);
    assert_eq!(ours, sig);
    assert_eq!(
        key.verifying_key().thumbprint(),
        vector.str("expected_jwk_thumbprint")
    );
}

#[test]
fn rfc7515_a1_hmac_signing_reproduces_the_vector() {
    let vector = vectors()
        .into_iter()
        .find(|v| v.name == "rfc7515_a1_hs256.json")
        .unwrap();
    let jwk: Jwk = serde_json::from_value(vector.v["jwk"].clone()).unwrap();
    let key = SigningKey::from_jwk(&jwk).unwrap();
    let token = vector.str("token");
    let (input, sig) = token.rsplit_once('.').unwrap();
    let ours = key.sign_with(Algorithm::HS256, input.as_bytes()).unwrap();
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ours),
        sig
    );
}
