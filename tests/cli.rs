//! The `jwt` command-line example, run in-process: every verify flag accepted and rejected, the
//! RFC 7515 A.1 token, weak keys, encode → verify for every algorithm, keygen, thumbprint, decode,
//! and usage errors.

#[allow(dead_code)]
#[path = "../examples/jwt.rs"]
mod jwt;

use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// What one run of the tool produced.
#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    /// The first line on stderr.
    fn first_line(&self) -> &str {
        self.stderr.lines().next().unwrap_or_default()
    }

    /// Stdout as one JSON value.
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Stdout without its line end.
    fn text(&self) -> &str {
        self.stdout.trim_end()
    }
}

fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Out {
    let mut stdin = stdin;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = jwt::run(
        args.iter().map(|a| (*a).to_owned()).collect(),
        &mut stdin,
        &mut stdout,
        &mut stderr,
    );
    Out {
        code,
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

fn run(args: &[&str]) -> Out {
    run_with_stdin(args, b"")
}

/// A file under `tests/data/`.
fn data(path: &str) -> String {
    format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// A key file under `tests/data/cli/`.
fn key(name: &str) -> String {
    data(&format!("cli/{name}"))
}

/// Writes `contents` to a fresh file in the target's temporary directory.
fn temp_file(name: &str, contents: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path = format!(
        "{}/cli-{}-{n}-{name}",
        env!("CARGO_TARGET_TMPDIR"),
        std::process::id()
    );
    std::fs::write(&path, contents).expect("temporary file written");
    path
}

#[track_caller]
fn assert_ok(out: &Out) {
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
}

/// Exit 1 with `invalid token: KIND: detail` first on stderr.
#[track_caller]
fn assert_rejected(out: &Out, kind: &str) {
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.first_line()
            .starts_with(&format!("invalid token: {kind}: ")),
        "wanted {kind}: {out:?}"
    );
    assert!(out.stdout.is_empty(), "{out:?}");
}

/// Exit 2 with a first stderr line containing `needle`.
#[track_caller]
fn assert_exit_2(out: &Out, needle: &str) {
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.first_line().contains(needle),
        "wanted {needle:?}: {out:?}"
    );
    assert!(out.stdout.is_empty(), "{out:?}");
}

// ---------------------------------------------------------------------------------------------
// RFC 7515 A.1 (and A.2, A.3) with --now

/// The token, a file holding the key, and the claims of an RFC 7515 appendix vector.
fn rfc7515(name: &str) -> (String, String, Value) {
    let text = std::fs::read_to_string(data(&format!("rfc/{name}.json"))).unwrap();
    let vector: Value = serde_json::from_str(&text).unwrap();
    let jwk = temp_file(&format!("{name}.jwk"), &vector["jwk"].to_string());
    let claims: Value = serde_json::from_str(vector["payload_json"].as_str().unwrap()).unwrap();
    (vector["token"].as_str().unwrap().to_owned(), jwk, claims)
}

fn rfc7515_a1() -> (String, String, Value) {
    rfc7515("rfc7515_a1_hs256")
}

#[test]
fn rfc7515_a1_token_verifies_at_its_time_and_is_expired_now() {
    let (token, jwk, claims) = rfc7515_a1();
    let at = |now: &str| {
        run(&[
            "verify", &token, "--key", &jwk, "--alg", "HS256", "--now", now, "--iss", "joe",
            "--typ", "JWT",
        ])
    };
    let out = at("1300819000");
    assert_ok(&out);
    assert_eq!(out.json(), claims);
    assert_eq!(out.stdout.lines().count(), 1, "one JSON object on one line");

    // exp is 1300819380; 30 s of leeway.
    assert_ok(&at("1300819409"));
    assert_rejected(&at("1300819410"), "expired");
    let out = run(&["verify", &token, "--key", &jwk, "--alg", "HS256"]);
    assert_rejected(&out, "expired");
    assert!(out.first_line().contains("1300819380"), "{out:?}");
}

#[test]
fn rfc7515_a2_a3_tokens_verify_at_their_time() {
    for (name, alg) in [("rfc7515_a2_rs256", "RS256"), ("rfc7515_a3_es256", "ES256")] {
        let (token, jwk, claims) = rfc7515(name);
        let at = |now: &str| {
            run(&[
                "verify", &token, "--key", &jwk, "--alg", alg, "--now", now, "--iss", "joe",
            ])
        };
        let out = at("1300819000");
        assert_ok(&out);
        assert_eq!(out.json(), claims, "{name}");
        assert_rejected(&at("1300819410"), "expired");
    }
}

#[test]
fn token_from_standard_input() {
    let (token, jwk, claims) = rfc7515_a1();
    let out = run_with_stdin(
        &[
            "verify",
            "-",
            "--key",
            &jwk,
            "--alg",
            "HS256",
            "--now=1300819000",
        ],
        format!("{token}\n").as_bytes(),
    );
    assert_ok(&out);
    assert_eq!(out.json(), claims);
    let out = run_with_stdin(&["verify", "-", "--key", &jwk, "--alg", "HS256"], b"");
    assert_rejected(&out, "malformed");
    let out = run_with_stdin(
        &["verify", "-", "--key", &jwk, "--alg", "HS256"],
        b"\xff\xfe.x.y",
    );
    assert_rejected(&out, "malformed");
}

// ---------------------------------------------------------------------------------------------
// Every verify flag, both ways, on a token made by `encode`

const T: i64 = 1_700_000_000;

fn at(offset: i64) -> String {
    (T + offset).to_string()
}

/// An HS256 token issued at T for 600 s, with an audience and extra claims.
fn issued() -> String {
    let out = run(&[
        "encode",
        "--key",
        &key("hs256.jwk"),
        "--alg",
        "HS256",
        "--iss",
        "https://issuer.example",
        "--sub",
        "alice",
        "--aud",
        "api",
        "--lifetime",
        "600",
        "--now",
        &at(0),
        "--claims",
        r#"{"role":"admin","ip":"10.0.0.0/8","cip":"192.0.2.7"}"#,
    ]);
    assert_ok(&out);
    out.text().to_owned()
}

/// `jwt verify TOKEN --key hs256.jwk --alg HS256 --aud api --now T+10 EXTRA...`, where a later
/// `--now` or `--alg` in EXTRA is not allowed (so tests give them through `verify_at`).
fn verify(token: &str, extra: &[&str]) -> Out {
    verify_at(token, 10, "HS256", extra)
}

fn verify_at(token: &str, offset: i64, alg: &str, extra: &[&str]) -> Out {
    let now = at(offset);
    let hs256 = key("hs256.jwk");
    let mut args = vec![
        "verify", token, "--key", &hs256, "--alg", alg, "--aud", "api", "--now", &now,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn valid_token_prints_its_claims() {
    let token = issued();
    let out = verify(&token, &[]);
    assert_ok(&out);
    let claims = out.json();
    assert_eq!(claims["iss"], "https://issuer.example");
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], "api");
    assert_eq!(claims["role"], "admin");
    assert_eq!(claims["iat"], T);
    assert_eq!(claims["nbf"], T);
    assert_eq!(claims["exp"], T + 600);
    assert_eq!(
        claims["jti"].as_str().map(str::len),
        Some(22),
        "128-bit jti"
    );
}

#[test]
fn expiry_and_leeway() {
    let token = issued();
    assert_ok(&verify_at(&token, 629, "HS256", &[]));
    assert_rejected(&verify_at(&token, 630, "HS256", &[]), "expired");
    assert_rejected(
        &verify_at(&token, 600, "HS256", &["--leeway", "0"]),
        "expired",
    );
    assert_ok(&verify_at(&token, 599, "HS256", &["--leeway", "0"]));
    assert_ok(&verify_at(&token, 699, "HS256", &["--leeway", "100"]));
    // Before nbf and iat.
    assert_rejected(&verify_at(&token, -31, "HS256", &[]), "not_yet_valid");
    assert_ok(&verify_at(&token, -30, "HS256", &[]));
}

#[test]
fn tampered_token_is_rejected() {
    let token = issued();
    assert_rejected(&verify(&tamper(&token), &[]), "invalid_signature");

    // A signature from another key.
    let other = run(&[
        "encode",
        "--key",
        &key("hs384.jwk"),
        "--alg",
        "HS256",
        "--kid",
        "hs256",
        "--aud",
        "api",
        "--now",
        &at(0),
    ]);
    assert_ok(&other);
    assert_rejected(&verify(other.text(), &[]), "invalid_signature");
    assert_rejected(&verify("not-a-token", &[]), "malformed");
}

#[test]
fn algorithm_allowlist() {
    let token = issued();
    assert_rejected(
        &verify_at(&token, 10, "HS384", &[]),
        "algorithm_not_allowed",
    );
    assert_ok(&verify_at(&token, 10, "HS384,HS256", &[]));
    assert_ok(&verify_at(&token, 10, "HS384", &["--alg", "HS256"]));
    // A key of another family never verifies an HMAC token.
    let out = run(&[
        "verify",
        &token,
        "--key",
        &key("rsa_public.pem"),
        "--alg",
        "HS256",
        "--aud",
        "api",
        "--now",
        &at(10),
    ]);
    assert_rejected(&out, "key_not_found");
    // An RSA token is refused when only HMAC is allowed.
    let rsa = run(&[
        "encode",
        "--key",
        &key("rsa_private.pem"),
        "--alg",
        "RS256",
        "--aud",
        "api",
        "--now",
        &at(0),
    ]);
    assert_ok(&rsa);
    assert_rejected(&verify(rsa.text(), &[]), "algorithm_not_allowed");
}

#[test]
fn issuer_audience_subject() {
    let token = issued();
    assert_ok(&verify(&token, &["--iss", "https://issuer.example"]));
    assert_ok(&verify(
        &token,
        &[
            "--iss",
            "https://other.example",
            "--iss",
            "https://issuer.example",
        ],
    ));
    assert_rejected(
        &verify(&token, &["--iss", "https://other.example"]),
        "invalid_issuer",
    );

    assert_ok(&verify(&token, &["--aud", "other"]));
    let hs256 = key("hs256.jwk");
    let now = at(10);
    let no_aud = run(&[
        "verify", &token, "--key", &hs256, "--alg", "HS256", "--now", &now,
    ]);
    assert_rejected(&no_aud, "invalid_audience");
    let wrong_aud = run(&[
        "verify", &token, "--key", &hs256, "--alg", "HS256", "--now", &now, "--aud", "other",
    ]);
    assert_rejected(&wrong_aud, "invalid_audience");

    assert_ok(&verify(&token, &["--sub", "alice"]));
    assert_rejected(&verify(&token, &["--sub", "bob"]), "invalid_subject");
}

#[test]
fn token_type() {
    let token = issued();
    assert_ok(&verify(&token, &["--typ", "JWT"]));
    assert_rejected(&verify(&token, &["--typ", "at+jwt"]), "invalid_type");

    let at_jwt = run(&[
        "encode",
        "--key",
        &key("hs256.jwk"),
        "--alg",
        "HS256",
        "--typ",
        "at+jwt",
        "--aud",
        "api",
        "--now",
        &at(0),
    ]);
    assert_ok(&at_jwt);
    assert_ok(&verify(at_jwt.text(), &["--typ", "at+jwt"]));
    assert_ok(&verify(at_jwt.text(), &["--typ", "application/at+jwt"]));
    assert_rejected(&verify(at_jwt.text(), &["--typ", "JWT"]), "invalid_type");
}

#[test]
fn required_claims() {
    let token = issued();
    assert_ok(&verify(&token, &["--require", "role", "--require", "jti"]));
    let out = verify(&token, &["--require", "role", "--require", "scope"]);
    assert_rejected(&out, "missing_claim");
    assert!(out.first_line().contains("scope"), "{out:?}");

    let no_jti = run(&[
        "encode",
        "--key",
        &key("hs256.jwk"),
        "--alg",
        "HS256",
        "--aud",
        "api",
        "--now",
        &at(0),
        "--no-jti",
    ]);
    assert_ok(&no_jti);
    assert!(verify(no_jti.text(), &[]).json().get("jti").is_none());
    assert_rejected(
        &verify(no_jti.text(), &["--require", "jti"]),
        "missing_claim",
    );
}

#[test]
fn ip_binding() {
    let token = issued();
    assert_ok(&verify(&token, &["--client-ip", "10.1.2.3"]));
    assert_ok(&verify(&token, &["--client-ip", "::ffff:10.9.9.9"]));
    assert_rejected(
        &verify(&token, &["--client-ip", "192.0.2.1"]),
        "ip_mismatch",
    );
    assert_ok(&verify(
        &token,
        &["--client-ip", "192.0.2.7", "--ip-claim", "cip"],
    ));
    assert_rejected(
        &verify(&token, &["--client-ip", "10.1.2.3", "--ip-claim", "cip"]),
        "ip_mismatch",
    );
    // Without a binding claim the token passes (WhenPresent).
    let unbound = run(&[
        "encode",
        "--key",
        &key("hs256.jwk"),
        "--alg",
        "HS256",
        "--aud",
        "api",
        "--now",
        &at(0),
    ]);
    assert_ok(&verify(unbound.text(), &["--client-ip", "192.0.2.1"]));

    assert_exit_2(&verify(&token, &["--ip-claim", "cip"]), "usage error");
    assert_exit_2(
        &verify(&token, &["--client-ip", "10.0.0.300"]),
        "usage error",
    );
}

#[test]
fn token_size_limit() {
    let token = issued();
    let exact = token.len().to_string();
    let under = (token.len() - 1).to_string();
    assert_ok(&verify(&token, &["--max-token-bytes", &exact]));
    let out = verify(&token, &["--max-token-bytes", &under]);
    assert_rejected(&out, "too_large");
    // Over the default of 16 KiB.
    let huge = format!(
        "{}.{}.{}",
        "e".repeat(8000),
        "e".repeat(8000),
        "e".repeat(500)
    );
    assert_rejected(&verify(&huge, &[]), "too_large");
}

#[test]
fn lifetime_and_age() {
    let token = issued();
    assert_ok(&verify(&token, &["--max-lifetime", "600"]));
    assert_rejected(
        &verify(&token, &["--max-lifetime", "599"]),
        "lifetime_too_long",
    );
    assert_ok(&verify_at(&token, 90, "HS256", &["--max-age", "60"]));
    assert_rejected(
        &verify_at(&token, 91, "HS256", &["--max-age", "60"]),
        "too_old",
    );
}

/// A token without `exp`, signed with the secret of `hs256.jwk`.
fn token_without_exp() -> String {
    let jwk = tessera::Jwk::from_json(&std::fs::read_to_string(key("hs256.jwk")).unwrap()).unwrap();
    let secret = URL_SAFE_NO_PAD.decode(jwk.k.unwrap()).unwrap();
    let signer = tessera::SigningKey::hmac(&secret).unwrap();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(json!({"sub": "alice", "iat": T}).to_string());
    let input = format!("{header}.{payload}");
    let signature = signer
        .sign_with(tessera::Algorithm::HS256, input.as_bytes())
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[test]
fn missing_exp() {
    let token = token_without_exp();
    let hs256 = key("hs256.jwk");
    let now = at(10);
    let base = [
        "verify", &token, "--key", &hs256, "--alg", "HS256", "--now", &now,
    ];
    let out = run(&base);
    assert_rejected(&out, "missing_claim");
    assert!(out.first_line().contains("exp"), "{out:?}");
    let mut allowed = base.to_vec();
    allowed.push("--allow-missing-exp");
    let out = run(&allowed);
    assert_ok(&out);
    assert_eq!(out.json(), json!({"sub": "alice", "iat": T}));
}

// ---------------------------------------------------------------------------------------------
// Key files

#[test]
fn weak_keys_are_refused_with_exit_2() {
    let token = issued();
    for (file, alg) in [("hs_weak.jwk", "HS256"), ("rsa1024_public.pem", "RS256")] {
        let out = run(&["verify", &token, "--key", &key(file), "--alg", alg]);
        assert_exit_2(&out, "weak_key");
    }
    for (file, alg) in [
        ("hs_weak.jwk", "HS256"),
        ("rsa1024_private.pem", "RS256"),
        // 32 bytes are too few for HS512 (RFC 7518 §3.2).
        ("hs256.jwk", "HS512"),
    ] {
        let out = run(&["encode", "--key", &key(file), "--alg", alg]);
        assert_exit_2(&out, "weak_key");
    }
    // An HS512 token checked with a 32-byte secret: the key is refused, not the token.
    let hs512 = run(&[
        "encode",
        "--key",
        &key("hs512.jwk"),
        "--alg",
        "HS512",
        "--kid",
        "hs256",
    ]);
    assert_ok(&hs512);
    let out = run(&[
        "verify",
        hs512.text(),
        "--key",
        &key("hs256.jwk"),
        "--alg",
        "HS512",
    ]);
    assert_exit_2(&out, "weak_key");
}

#[test]
fn unusable_key_files_exit_2() {
    let token = issued();
    let missing = key("no-such-file.pem");
    assert_exit_2(
        &run(&["verify", &token, "--key", &missing, "--alg", "HS256"]),
        "cannot read",
    );
    let garbage = temp_file("garbage.txt", "hello");
    assert_exit_2(
        &run(&["verify", &token, "--key", &garbage, "--alg", "HS256"]),
        "invalid_key",
    );
    let bad_json = temp_file("bad.jwk", "{\"kty\":");
    assert_exit_2(
        &run(&["verify", &token, "--key", &bad_json, "--alg", "HS256"]),
        "invalid_key",
    );
    let bad_pem = temp_file(
        "bad.pem",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    );
    assert_exit_2(
        &run(&["verify", &token, "--key", &bad_pem, "--alg", "RS256"]),
        "invalid_key",
    );
    // A public key cannot sign.
    assert_exit_2(
        &run(&["encode", "--key", &key("rsa_public.pem"), "--alg", "RS256"]),
        "key error",
    );
    // A key bound to one algorithm is not used for another.
    let bound = temp_file(
        "bound.jwk",
        &std::fs::read_to_string(key("hs512.jwk"))
            .unwrap()
            .replace("\"kty\"", "\"alg\":\"HS256\",\"kty\""),
    );
    assert_exit_2(
        &run(&["encode", "--key", &bound, "--alg", "HS512"]),
        "invalid_key",
    );
    assert_ok(&run(&["encode", "--key", &bound, "--alg", "HS256"]));
}

#[test]
fn jwk_set_chooses_by_kid_and_algorithm() {
    let jwks = data("interop/pyjwt_keys.jwks");
    let hs256_set = run(&[
        "encode",
        "--key",
        &jwks,
        "--alg",
        "HS256",
        "--kid",
        "hs256",
        "--now",
        &at(0),
    ]);
    assert_ok(&hs256_set);
    let check = |token: &str| {
        run(&[
            "verify",
            token,
            "--key",
            &jwks,
            "--alg",
            "HS256,RS256",
            "--now",
            &at(10),
        ])
    };
    // The set's hs256 secret is not tests/data/cli/hs256.jwk's: the kid picked the set's key.
    assert_ok(&check(hs256_set.text()));

    // The kid written by encode is found in the set; an unknown kid is not.
    let unknown = run(&[
        "encode",
        "--key",
        &key("hs256.jwk"),
        "--alg",
        "HS256",
        "--kid",
        "nope",
        "--now",
        &at(0),
    ]);
    assert_rejected(&check(unknown.text()), "key_not_found");

    // Without a kid: the only RSA key in the set serves; several oct keys are ambiguous.
    let rsa = run(&[
        "encode",
        "--key",
        &key("rsa_private.pem"),
        "--alg",
        "RS256",
        "--now",
        &at(0),
    ]);
    assert!(
        tessera::UntrustedToken::decode(rsa.text())
            .unwrap()
            .key_id()
            .is_none()
    );
    assert_ok(&check(rsa.text()));
    let keygen = run(&["keygen", "--alg", "HS256"]);
    let fresh = temp_file("fresh.jwk", keygen.text());
    let no_kid = run(&["encode", "--key", &fresh, "--alg", "HS256", "--now", &at(0)]);
    assert_rejected(&check(no_kid.text()), "key_not_found");

    // encode with a set: several HMAC secrets and no --kid is a usage problem of the key file.
    assert_exit_2(&run(&["encode", "--key", &jwks, "--alg", "HS256"]), "--kid");
    // A set holding public keys only cannot sign.
    assert_exit_2(
        &run(&["encode", "--key", &jwks, "--alg", "ES256"]),
        "key error",
    );
}

// ---------------------------------------------------------------------------------------------
// encode → verify for every algorithm

#[test]
fn encode_then_verify_every_algorithm() {
    // alg, signing key, verifying key: the formats rotate through PKCS#8, PKCS#1, SEC1, SPKI,
    // a private key standing for its public half, and JWKs.
    let cases = [
        ("HS256", "hs256.jwk", "hs256.jwk"),
        ("HS384", "hs384.jwk", "hs384.jwk"),
        ("HS512", "hs512.jwk", "hs512.jwk"),
        ("RS256", "rsa_private.pem", "rsa_public.pem"),
        ("RS384", "rsa_private_pkcs1.pem", "rsa_public_pkcs1.pem"),
        ("RS512", "rsa_private.pem", "rsa_private_pkcs1.pem"),
        ("PS256", "rsa_private_pkcs1.pem", "rsa_public.pem"),
        ("PS384", "rsa_private.pem", "rsa_public_pkcs1.pem"),
        ("PS512", "rsa_private.pem", "rsa_private.pem"),
        ("ES256", "p256_private_sec1.pem", "p256_public.pem"),
        ("ES256", "p256_private.pem", "p256_private_sec1.pem"),
        ("ES384", "p384_private_sec1.pem", "p384_public.pem"),
        ("ES384", "p384_private.pem", "p384_private.pem"),
        ("EdDSA", "ed25519_private.pem", "ed25519_public.pem"),
        ("Ed25519", "ed25519_private.pem", "ed25519_private.pem"),
    ];
    for (alg, signing, verifying) in cases {
        let out = run(&[
            "encode",
            "--key",
            &key(signing),
            "--alg",
            alg,
            "--iss",
            "https://issuer.example",
            "--sub",
            "alice",
            "--aud",
            "api",
            "--aud",
            "admin",
            "--claims",
            r#"{"n":1,"tags":["a","b"]}"#,
            "--now",
            &at(0),
        ]);
        assert_ok(&out);
        let token = out.text();
        let untrusted = tessera::UntrustedToken::decode(token).unwrap();
        assert_eq!(untrusted.header()["alg"], alg, "{alg}");
        // A JWK's kid goes into the header; a PEM key has none.
        let kid = signing.strip_suffix(".jwk");
        assert_eq!(untrusted.key_id(), kid, "{alg}");

        let check = |token: &str| {
            run(&[
                "verify",
                token,
                "--key",
                &key(verifying),
                "--alg",
                alg,
                "--iss",
                "https://issuer.example",
                "--sub",
                "alice",
                "--aud",
                "admin",
                "--now",
                &at(60),
            ])
        };
        let out = check(token);
        assert_ok(&out);
        let claims = out.json();
        assert_eq!(claims["aud"], json!(["api", "admin"]), "{alg}");
        assert_eq!(claims["tags"], json!(["a", "b"]), "{alg}");
        assert_eq!(claims["n"], 1, "{alg}");
        assert_eq!(claims["exp"], T + 900, "{alg}: default lifetime");

        assert_rejected(&check(&tamper(token)), "invalid_signature");
    }
}

/// The token with `"alice"` replaced by `"mallory"` in its payload, signature unchanged.
fn tamper(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    assert!(payload.contains("\"alice\""), "{payload}");
    parts[1] = URL_SAFE_NO_PAD.encode(payload.replace("\"alice\"", "\"mallory\""));
    parts.join(".")
}

#[test]
fn encode_options() {
    // Claims from a file; the caller cannot override the issuer's own claims.
    let file = temp_file("claims.json", r#"{"scope":"read write"}"#);
    let claims_arg = format!("@{file}");
    let out = run(&[
        "encode",
        "--key",
        &key("hs256.jwk"),
        "--alg",
        "HS256",
        "--claims",
        &claims_arg,
        "--now",
        &at(0),
    ]);
    assert_ok(&out);
    let decoded = tessera::UntrustedToken::decode(out.text()).unwrap();
    assert_eq!(decoded.claims().unwrap()["scope"], "read write");
    assert_eq!(decoded.key_id(), Some("hs256"), "the JWK's kid");

    // Without --now: the current time, in whole seconds; verifiable with the system clock.
    let out = run(&["encode", "--key", &key("hs256.jwk"), "--alg", "HS256"]);
    assert_ok(&out);
    let verified = run(&[
        "verify",
        out.text(),
        "--key",
        &key("hs256.jwk"),
        "--alg",
        "HS256",
    ]);
    assert_ok(&verified);
    let claims = verified.json();
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 900, "{claims}");
    let now = tessera::NumericDate::now().as_secs();
    assert!((now - 60..=now).contains(&iat), "{claims}");

    let out = run(&[
        "encode",
        "--key",
        &key("hs256.jwk"),
        "--alg",
        "HS256",
        "--claims",
        r#"{"exp":1}"#,
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.first_line()
            .starts_with("cannot encode: invalid_claim: "),
        "{out:?}"
    );

    for bad in ["[1]", "{", "\"x\""] {
        let out = run(&[
            "encode",
            "--key",
            &key("hs256.jwk"),
            "--alg",
            "HS256",
            "--claims",
            bad,
        ]);
        assert_exit_2(&out, "--claims");
    }
    let out = run(&[
        "encode",
        "--key",
        &key("hs256.jwk"),
        "--alg",
        "HS256",
        "--claims",
        "@/no/such/file",
    ]);
    assert_exit_2(&out, "--claims");
}

// ---------------------------------------------------------------------------------------------
// keygen, thumbprint, decode

#[test]
fn keygen_makes_private_jwks_that_encode_and_verify_accept() {
    for alg in [
        "HS256", "HS384", "HS512", "ES256", "ES384", "EdDSA", "Ed25519",
    ] {
        let out = run(&["keygen", "--alg", alg, "--kid", "new"]);
        assert_ok(&out);
        let jwk = out.json();
        assert_eq!(jwk["alg"], alg, "{out:?}");
        assert_eq!(jwk["kid"], "new");
        assert!(
            jwk.get("d").is_some() || jwk.get("k").is_some(),
            "private: {alg}"
        );
        assert_ne!(
            run(&["keygen", "--alg", alg]).stdout,
            out.stdout,
            "fresh keys"
        );

        let file = temp_file("keygen.jwk", &out.stdout);
        let token = run(&["encode", "--key", &file, "--alg", alg, "--sub", "k"]);
        assert_ok(&token);
        let verified = run(&["verify", token.text(), "--key", &file, "--alg", alg]);
        assert_ok(&verified);
        assert_eq!(verified.json()["sub"], "k");
    }
    assert_exit_2(&run(&["keygen", "--alg", "RS256"]), "usage error");
    assert_exit_2(&run(&["keygen", "--alg", "none"]), "unsupported_algorithm");
    assert_exit_2(&run(&["keygen"]), "--alg");
}

#[test]
fn thumbprint_of_rfc7638_example() {
    let out = run(&["thumbprint", &key("rfc7638_s3_1.jwk")]);
    assert_ok(&out);
    assert_eq!(out.text(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

#[test]
fn thumbprint_of_rfc8037_ed25519_key() {
    let text = std::fs::read_to_string(data("rfc/rfc8037_a4_ed25519.json")).unwrap();
    let vector: Value = serde_json::from_str(&text).unwrap();
    let jwk = temp_file("rfc8037.jwk", &vector["jwk"].to_string());
    let out = run(&["thumbprint", &jwk]);
    assert_ok(&out);
    assert_eq!(out.text(), vector["expected_jwk_thumbprint"]);
    assert_eq!(out.text(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

#[test]
fn thumbprint_of_pem_equals_that_of_the_same_key_as_jwk() {
    let set: Value =
        serde_json::from_str(&std::fs::read_to_string(data("interop/pyjwt_keys.jwks")).unwrap())
            .unwrap();
    for (kid, pem) in [
        ("rsa", "rsa_public.pem"),
        ("p256", "p256_private_sec1.pem"),
        ("p384", "p384_public.pem"),
        ("ed25519", "ed25519_private.pem"),
    ] {
        let member = set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .unwrap();
        let jwk = temp_file("member.jwk", &member.to_string());
        let from_jwk = run(&["thumbprint", &jwk]);
        assert_ok(&from_jwk);
        let from_pem = run(&["thumbprint", &key(pem)]);
        assert_ok(&from_pem);
        assert_eq!(from_jwk.stdout, from_pem.stdout, "{kid}");
        assert_eq!(from_jwk.text().len(), 43, "{kid}");
    }
    assert_exit_2(
        &run(&["thumbprint", &data("interop/pyjwt_keys.jwks")]),
        "JWK Set",
    );
}

#[test]
fn decode_marks_output_unverified() {
    let (token, _, claims) = rfc7515_a1();
    let out = run(&["decode", &token]);
    assert_ok(&out);
    let decoded = out.json();
    assert_eq!(decoded["verified"], false);
    assert!(
        decoded["warning"]
            .as_str()
            .unwrap()
            .starts_with("UNVERIFIED"),
        "{out:?}"
    );
    assert!(out.stdout.find("\"verified\"") < out.stdout.find("\"claims\""));
    assert_eq!(decoded["header"], json!({"typ": "JWT", "alg": "HS256"}));
    assert_eq!(decoded["claims"], claims);
    assert_eq!(decoded["signature_bytes"], 32);

    // Decoding checks nothing: a forged token decodes just the same.
    let forged = format!("{}.c2ln", token.rsplit_once('.').unwrap().0);
    let out = run_with_stdin(&["decode", "-"], forged.as_bytes());
    assert_ok(&out);
    assert_eq!(out.json()["verified"], false);

    // A payload that is not JSON is shown as text.
    let payload = URL_SAFE_NO_PAD.encode("hello");
    let out = run(&["decode", &format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln")]);
    assert_ok(&out);
    assert_eq!(out.json()["payload"], "hello");
    assert!(out.json().get("claims").is_none());

    assert_rejected(&run(&["decode", "a.b"]), "malformed");
}

// ---------------------------------------------------------------------------------------------
// Usage

#[test]
fn usage_errors_exit_2_with_help() {
    let token = issued();
    let hs256 = key("hs256.jwk");
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["verify"],
        vec!["verify", &token],
        vec!["verify", &token, "--key", &hs256],
        vec!["verify", &token, "--key", &hs256, "--alg"],
        vec!["verify", &token, "--key", &hs256, "--alg", "none"],
        vec!["verify", &token, "--key", &hs256, "--alg", "HS256,"],
        vec![
            "verify", &token, "--key", &hs256, "--alg", "HS256", "--bogus",
        ],
        vec!["verify", &token, "--key", &hs256, "--alg", "HS256", "-x"],
        vec!["verify", &token, "extra", "--key", &hs256, "--alg", "HS256"],
        vec![
            "verify", &token, "--key", &hs256, "--alg", "HS256", "--now", "soon",
        ],
        vec![
            "verify", &token, "--key", &hs256, "--alg", "HS256", "--now", "-5",
        ],
        vec![
            "verify", &token, "--key", &hs256, "--alg", "HS256", "--leeway", "-1",
        ],
        vec![
            "verify", &token, "--key", &hs256, "--alg", "HS256", "--sub", "a", "--sub", "b",
        ],
        vec![
            "verify",
            &token,
            "--key",
            &hs256,
            "--alg",
            "HS256",
            "--allow-missing-exp=yes",
        ],
        vec!["encode", "--key", &hs256],
        vec!["encode", "--key", &hs256, "--alg", "HS256", "stray"],
        vec!["decode"],
        vec!["thumbprint"],
    ] {
        let out = run(&args);
        assert_exit_2(&out, "usage error");
        assert!(out.stderr.contains("USAGE:"), "help follows: {args:?}");
    }
    let help = run(&["--help"]);
    assert_ok(&help);
    assert!(
        help.stdout
            .contains("jwt verify TOKEN|- --key FILE --alg ALG[,ALG...]")
    );
    assert_ok(&run(&["verify", "--help"]));
}

#[test]
fn hostile_input_never_panics() {
    let hs256 = key("hs256.jwk");
    let inputs = [
        "",
        ".",
        "..",
        "...",
        "a.b.c",
        "ey.ey.ey",
        "\u{0}",
        "é.é.é",
        "eyJhbGciOiJub25lIn0.e30.",
        "eyJhbGciOiJIUzI1NiJ9.e30.",
        "-.-.-",
    ];
    for input in inputs {
        let out = run(&["verify", "--key", &hs256, "--alg", "HS256", "--", input]);
        assert_eq!(out.code, 1, "{input:?}: {out:?}");
        assert!(out.first_line().starts_with("invalid token: "), "{out:?}");
        // Decoding may succeed (it checks nothing), but never claims the token is verified.
        let out = run(&["decode", "--", input]);
        match out.code {
            0 => assert_eq!(out.json()["verified"], false, "{input:?}"),
            1 => assert!(out.stdout.is_empty(), "{input:?}: {out:?}"),
            _ => panic!("{input:?}: {out:?}"),
        }
    }
    let out = run_with_stdin(
        &["verify", "-", "--key", &hs256, "--alg", "HS256"],
        &vec![b'e'; 3 << 20],
    );
    assert_rejected(&out, "too_large");
}
