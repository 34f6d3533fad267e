//! Interop, PyJWT → tessera: the `jwt` example verifies every token PyJWT made
//! (tests/data/interop/pyjwt_tokens.json, written by tests/interop/make_tokens.py), with the key
//! file each token names and with the JWK Set PyJWT wrote for the same keys.
//!
//! The other direction (PyJWT verifies tokens tessera made) is tests/interop/run.sh.

#[allow(dead_code)]
#[path = "../../examples/jwt.rs"]
mod jwt;

use serde_json::Value;

fn path(relative: &str) -> String {
    format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs the tool; returns the exit code, stdout and stderr.
fn run(args: &[&str]) -> (i32, String, String) {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = jwt::run(
        args.iter().map(|a| (*a).to_owned()).collect(),
        &mut std::io::empty(),
        &mut stdout,
        &mut stderr,
    );
    (
        code,
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

fn document() -> Value {
    let text = std::fs::read_to_string(path("tests/data/interop/pyjwt_tokens.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn text(value: &Value) -> &str {
    value.as_str().expect("a string in pyjwt_tokens.json")
}

/// `jwt verify` with the full policy the PyJWT tokens were made for.
fn verify(doc: &Value, token: &str, key: &str, alg: &str, now: i64) -> (i32, String, String) {
    let now = now.to_string();
    run(&[
        "verify",
        token,
        "--key",
        key,
        "--alg",
        alg,
        "--iss",
        text(&doc["issuer"]),
        "--aud",
        text(&doc["audience"]),
        "--sub",
        text(&doc["subject"]),
        "--typ",
        "JWT",
        "--require",
        "jti",
        "--require",
        "scope",
        "--max-lifetime",
        "3600",
        "--now",
        &now,
    ])
}

#[test]
fn every_algorithm_from_pyjwt_verifies() {
    let doc = document();
    assert!(
        text(&doc["generator"]).starts_with("PyJWT "),
        "the generator's version is recorded"
    );
    let tokens = doc["tokens"].as_array().unwrap();
    let algs: Vec<&str> = tokens.iter().map(|t| text(&t["alg"])).collect();
    assert_eq!(
        algs,
        [
            "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES384", "EdDSA"
        ]
    );
    let now = doc["verify_at"].as_i64().unwrap();
    let jwks = path(text(&doc["jwks"]));
    for entry in tokens {
        let alg = text(&entry["alg"]);
        let token = text(&entry["token"]);
        let key = path(text(&entry["key"]));
        for key in [&key, &jwks] {
            let (code, stdout, stderr) = verify(&doc, token, key, alg, now);
            assert_eq!(code, 0, "{alg} with {key}: {stderr}");
            let claims: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(claims, entry["claims"], "{alg}");
        }
    }
}

#[test]
fn pyjwt_tokens_are_still_checked() {
    // The same tokens fail where they should: so the test above is not passing vacuously.
    let doc = document();
    let now = doc["verify_at"].as_i64().unwrap();
    let exp = now + 3600; // verify_at is iat + 60; exp is iat + 3600.
    for entry in doc["tokens"].as_array().unwrap() {
        let alg = text(&entry["alg"]);
        let token = text(&entry["token"]);
        let key = path(text(&entry["key"]));

        let (code, _, stderr) = verify(&doc, token, &key, alg, exp);
        assert_eq!(code, 1, "{alg}");
        assert!(
            stderr.starts_with("invalid token: expired: "),
            "{alg}: {stderr}"
        );

        let other = if alg.starts_with("HS") {
            "PS256"
        } else {
            "HS256"
        };
        let (code, _, stderr) = verify(&doc, token, &key, other, now);
        assert_eq!(code, 1, "{alg}");
        assert!(
            stderr.starts_with("invalid token: algorithm_not_allowed: "),
            "{alg}: {stderr}"
        );

        let (head, signature) = token.rsplit_once('.').unwrap();
        let (header, _) = head.split_once('.').unwrap();
        // Another PyJWT token's payload under this token's header and signature.
        let donor = doc["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| text(&t["token"]))
            .find(|t| *t != token)
            .unwrap();
        let payload = donor.split('.').nth(1).unwrap();
        let spliced = format!("{header}.{payload}.{signature}");
        let (code, _, stderr) = verify(&doc, &spliced, &key, alg, now);
        assert_eq!(code, 1, "{alg}");
        assert!(
            stderr.starts_with("invalid token: invalid_signature: "),
            "{alg}: {stderr}"
        );
    }
}
