//! Wycheproof `json_web_signature_test.json`: every compact JWS case through the verifier.
//!
//! ES512 is not implemented, so the two valid P-521 cases (347, 351) cannot be expressed; the
//! test asserts that they are the only ones.
//!
//! Each group's key (its public JWK, or the public half of its private JWK) is imported with its
//! `alg`, `kid` and `use`, and each case is checked with [`Verifier::verify_jws`] under a policy
//! that allows every algorithm, so that the key's own binding decides. Deviations from the file's
//! labels, each checked by a test below:
//! - tcIds 367 and 370 are labelled invalid but are byte-for-byte the same token as a valid case
//!   (the corruption they describe is not present): treated as valid;
//! - tcIds 372 and 373 are labelled valid but have a `?` inserted into the header or payload:
//!   treated as invalid (strict base64url rejects them);
//! - tcIds 346 and 350 (RFC 7520 Figure 20) are a PS384 token labelled valid under a JWK that
//!   declares `"alg": "PS256"`. tessera honours a JWK's `alg` (RFC 7517 §4.4): that key verifies
//!   PS256 only, so these are rejected with `key_not_found`. Without the `alg` member the same
//!   key verifies them.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;
use tessera::{Algorithm, Jwk, Policy, SigningKey, Verifier, VerifyingKey};

const RELABELLED_VALID: [u64; 2] = [367, 370];
const RELABELLED_INVALID: [u64; 2] = [372, 373];
/// Valid in the file, refused here because the key's declared `alg` differs from the token's.
const KEY_ALG_BINDING: [u64; 2] = [346, 350];

fn file() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/wycheproof/json_web_signature_test.json");
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The verifying key of a group, or why it cannot be expressed.
fn group_key(group: &Value) -> Result<VerifyingKey, String> {
    if let Some(public) = group.get("public") {
        let jwk: Jwk = serde_json::from_value(public.clone()).map_err(|e| e.to_string())?;
        return VerifyingKey::from_jwk(&jwk).map_err(|e| e.to_string());
    }
    let jwk: Jwk = serde_json::from_value(group["private"].clone()).map_err(|e| e.to_string())?;
    if jwk.kty == "oct" {
        return VerifyingKey::from_jwk(&jwk).map_err(|e| e.to_string());
    }
    SigningKey::from_jwk(&jwk)
        .map(|k| k.verifying_key())
        .map_err(|e| e.to_string())
}

struct Outcome {
    run: usize,
    /// Cases whose key the crate refuses to import, by the reason given.
    not_expressible: BTreeMap<String, Vec<u64>>,
    mismatches: Vec<String>,
}

fn run_all() -> Outcome {
    let file = file();
    let mut out = Outcome {
        run: 0,
        not_expressible: BTreeMap::new(),
        mismatches: Vec::new(),
    };
    for group in file["testGroups"].as_array().unwrap() {
        let key = group_key(group);
        for case in group["tests"].as_array().unwrap() {
            let id = case["tcId"].as_u64().unwrap();
            let jws = case["jws"].as_str().unwrap();
            let mut expect_valid = case["result"] == "valid";
            if RELABELLED_VALID.contains(&id) {
                expect_valid = true;
            }
            if RELABELLED_INVALID.contains(&id) || KEY_ALG_BINDING.contains(&id) {
                expect_valid = false;
            }
            let key = match &key {
                Ok(key) => key,
                Err(reason) => {
                    // A key the crate refuses can only make verification fail, which is correct
                    // for an invalid case; a valid case with such a key is recorded.
                    if expect_valid {
                        out.not_expressible
                            .entry(reason.clone())
                            .or_default()
                            .push(id);
                    }
                    out.run += 1;
                    continue;
                }
            };
            let verifier = Verifier::new(key, Policy::new(Algorithm::ALL));
            let result = verifier.verify_jws(jws);
            if result.is_ok() != expect_valid {
                out.mismatches.push(format!(
                    "tcId {id} ({}): expected {}, got {:?}",
                    case["comment"],
                    if expect_valid { "valid" } else { "invalid" },
                    result.map(|_| ()).map_err(|e| e.kind())
                ));
            }
            out.run += 1;
        }
    }
    out
}

#[test]
fn every_case_matches() {
    let out = run_all();
    assert_eq!(out.run, 401, "every case of the file is run");
    assert!(out.mismatches.is_empty(), "{:#?}", out.mismatches);
    // ES512 (P-521) is refused by design (`unsupported_algorithm`); its two valid cases (RFC 7520
    // Figure 27 under two key variants) are the only ones the crate cannot express.
    let ids: Vec<u64> = out.not_expressible.values().flatten().copied().collect();
    assert_eq!(ids, [347, 351], "{:#?}", out.not_expressible);
    assert!(out.not_expressible.keys().all(|r| r.contains("P-521")));
}

#[test]
fn relabelled_cases_are_what_this_file_says_they_are() {
    let file = file();
    let cases: Vec<&Value> = file["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap())
        .collect();
    let jws = |id: u64| {
        cases
            .iter()
            .find(|c| c["tcId"] == id)
            .and_then(|c| c["jws"].as_str())
            .unwrap()
    };
    // 367 and 370 duplicate a token the same file labels valid.
    for id in RELABELLED_VALID {
        let duplicate_of_valid = cases
            .iter()
            .any(|c| c["result"] == "valid" && c["jws"].as_str() == Some(jws(id)));
        assert!(duplicate_of_valid, "tcId {id}");
    }
    // 372 and 373 contain a character outside the base64url alphabet.
    for id in RELABELLED_INVALID {
        assert!(jws(id).contains('?'), "tcId {id}");
    }
}

#[test]
fn cases_refused_for_the_keys_declared_alg_verify_without_it() {
    let file = file();
    let mut checked = 0;
    for group in file["testGroups"].as_array().unwrap() {
        for case in group["tests"].as_array().unwrap() {
            let id = case["tcId"].as_u64().unwrap();
            if !KEY_ALG_BINDING.contains(&id) {
                continue;
            }
            let jws = case["jws"].as_str().unwrap();
            let mut jwk: Jwk = serde_json::from_value(group["public"].clone()).unwrap();
            assert_eq!(jwk.alg.as_deref(), Some("PS256"));
            let bound = VerifyingKey::from_jwk(&jwk).unwrap();
            let err = Verifier::new(&bound, Policy::new(Algorithm::ALL)).verify_jws(jws);
            assert_eq!(err.unwrap_err().kind(), tessera::ErrorKind::KeyNotFound);
            jwk.alg = None;
            let unbound = VerifyingKey::from_jwk(&jwk).unwrap();
            let ok = Verifier::new(&unbound, Policy::new([Algorithm::PS384])).verify_jws(jws);
            assert!(ok.is_ok(), "tcId {id}");
            checked += 1;
        }
    }
    assert_eq!(checked, 2);
}
