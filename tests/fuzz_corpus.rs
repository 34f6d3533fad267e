//! Replays every file of the fuzz corpora (`fuzz/corpus/<target>/`) through the same entry
//! points as the fuzz targets, so that `cargo test` exercises them and keeps found crashes fixed.
//!
//! The seed corpora are written by `cargo test --test fuzz_corpus -- --ignored write_seed_corpora`
//! (from the RFC vectors in `../shared/vectors/rfc`, when present, and from tokens, keys and
//! snapshots made here).

#[path = "../fuzz/targets.rs"]
mod targets;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tessera::{Algorithm, BloomSnapshot, FixedClock, Issuer, NumericDate, SigningKey};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

#[test]
fn every_corpus_file_replays_without_panicking() {
    for (target, run) in targets::TARGETS {
        let dir = corpus_dir(target);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .collect();
        files.sort();
        assert!(
            files.len() >= 10,
            "{target}: only {} seed files",
            files.len()
        );
        for file in files {
            let data = fs::read(&file).expect("corpus file");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target}: {} panicked", file.display());
        }
    }
}

/// Inputs that once crashed a fuzz target (`fuzz/regressions/<target>/`) replay cleanly.
#[test]
fn fuzz_regressions_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut count = 0;
    for (target, run) in targets::TARGETS {
        let Ok(entries) = fs::read_dir(root.join(target)) else {
            continue;
        };
        for entry in entries {
            let data = fs::read(entry.expect("entry").path()).expect("file");
            run(&data);
            count += 1;
        }
    }
    assert!(count >= 2);
}

/// Found by the `untrusted` target: `registered_claims()` once skipped a number outside the range
/// of an `f64` in an unregistered claim, while `claims()` (a `serde_json::Value` map) refused it.
/// Skipped values are now read in full, so every path refuses it alike.
#[test]
fn out_of_range_number_in_an_unregistered_claim() {
    let token = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/regressions/untrusted/claim_number_out_of_f64_range"),
    )
    .expect("regression input");
    let t = tessera::UntrustedToken::decode(&token).expect("header and parts decode");
    let malformed = Some(tessera::ErrorKind::Malformed);
    assert_eq!(t.registered_claims().err().map(|e| e.kind()), malformed);
    assert_eq!(t.claims().err().map(|e| e.kind()), malformed);
    // The verifier agrees, whatever claims type the caller asks for.
    let token = targets::sign_parts(Algorithm::HS256, br#"{"alg":"HS256"}"#, t.payload());
    let verifier = tessera::Verifier::new(
        targets::keys(),
        tessera::Policy::new([Algorithm::HS256]).allow_missing_exp(),
    );
    let kind = |r: Result<(), tessera::Error>| r.err().map(|e| e.kind());
    assert_eq!(
        kind(verifier.verify::<serde::de::IgnoredAny>(&token).map(|_| ())),
        malformed
    );
    assert_eq!(kind(verifier.verify::<()>(&token).map(|_| ())), malformed);
    assert_eq!(
        kind(verifier.verify::<serde_json::Value>(&token).map(|_| ())),
        malformed
    );
}

/// Found by the `verify` target: a header member named like a registered claim
/// (`{"alg":"HS256","exp":"JWT"}`) is ignored by the verifier, and `UntrustedToken::decode` once
/// parsed the header with the claims parser and refused it as `invalid_claim`, so a token that
/// verified could not be inspected.
#[test]
fn untrusted_decode_accepts_what_verifies() {
    let token = verify_regression_token("header_member_named_exp");
    verify_like_the_target(&token).expect("the token verifies");
    let decoded = tessera::UntrustedToken::decode(&token);
    assert!(decoded.is_ok(), "{:?}", decoded.err());
}

/// Found by the `verify` target: a header member that the verifier does not read was skipped
/// without building its value, so a number beyond the range of an `f64` (`"exx":32e00000603`) or a
/// string with a lone surrogate escape (`"iat":"k\uDDDD…"`) passed the verifier while
/// `UntrustedToken::decode` refused the token. Skipped values are now read in full: the verifier
/// and the inspector both refuse these headers as `malformed`.
#[test]
fn verifier_and_inspector_agree_on_header_values() {
    for name in [
        "header_number_out_of_f64_range",
        "header_lone_surrogate_escape",
    ] {
        let token = verify_regression_token(name);
        let verified = verify_like_the_target(&token);
        assert_eq!(
            verified.err().map(|e| e.kind()),
            Some(tessera::ErrorKind::Malformed),
            "{name}"
        );
        let decoded = tessera::UntrustedToken::decode(&token);
        assert_eq!(
            decoded.err().map(|e| e.kind()),
            Some(tessera::ErrorKind::Malformed),
            "{name}"
        );
    }
}

/// A `verify` regression input (`header` newline `claims`), signed with the HS256 fuzzing key.
fn verify_regression_token(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions/verify")
        .join(name);
    let input = fs::read(path).expect("regression input");
    let newline = input
        .iter()
        .position(|b| *b == b'\n')
        .expect("header \\n claims");
    let (header, claims) = input.split_at(newline);
    targets::sign_parts(Algorithm::HS256, header, &claims[1..])
}

/// Verifies `token` the way the `verify` target does.
fn verify_like_the_target(
    token: &str,
) -> Result<tessera::Verified<serde_json::Value>, tessera::Error> {
    let context = tessera::VerifyContext::new().client_ip(targets::CLIENT_IP);
    targets::verifier().verify_with::<serde_json::Value>(token, &context)
}

/// The seeds must reach past the signature: some verify, some are rejected for a claim.
#[test]
fn verify_seeds_reach_the_policy() {
    let mut accepted = Vec::new();
    let mut kinds = std::collections::BTreeSet::new();
    for entry in fs::read_dir(corpus_dir("verify")).expect("corpus") {
        let path = entry.expect("entry").path();
        let data = fs::read(&path).expect("file");
        let token = match data.iter().position(|b| *b == b'\n') {
            None => String::from_utf8(data).unwrap_or_default(),
            Some(i) => targets::sign_parts(Algorithm::HS256, &data[..i], &data[i + 1..]),
        };
        match verify_like_the_target(&token) {
            Ok(v) => accepted.push(v.algorithm()),
            Err(e) => {
                kinds.insert(e.kind().as_str());
            }
        }
    }
    for alg in [
        Algorithm::HS256,
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ] {
        assert!(accepted.contains(&alg), "no accepted {alg} seed");
    }
    for kind in [
        "malformed",
        "invalid_signature",
        "expired",
        "invalid_audience",
        "invalid_claim",
        "ip_mismatch",
        "unsupported_critical_header",
    ] {
        assert!(
            kinds.contains(kind),
            "no seed rejected as {kind}: {kinds:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Seed corpora

fn write(target: &str, name: &str, data: impl AsRef<[u8]>) {
    let dir = corpus_dir(target);
    fs::create_dir_all(&dir).expect("corpus directory");
    fs::write(dir.join(name), data).expect("corpus file");
}

/// The RFC vectors, if the shared directory is next to the repository.
fn rfc_vectors() -> Vec<(String, serde_json::Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/rfc");
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, serde_json::Value)> = entries
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_stem()?.to_str()?.to_owned();
            let value = serde_json::from_slice(&fs::read(&path).ok()?).ok()?;
            Some((name, value))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn issuer(key: &SigningKey, now: i64) -> Issuer<&SigningKey, FixedClock> {
    Issuer::new(key)
        .with_clock(FixedClock::at(now))
        .issuer(targets::ISSUER)
        .audience(targets::AUDIENCE)
        .lifetime(Duration::from_secs(600))
}

fn seed_tokens() -> Vec<(String, String)> {
    let keys = targets::keys();
    let scope = serde_json::json!({"scope": "read write"});
    let mut out = Vec::new();
    for alg in [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ] {
        let key = keys.signing(alg).clone_for(alg);
        let token = issuer(&key, targets::NOW - 60)
            .issue("alice", &scope)
            .expect("issues");
        out.push((format!("valid_{}", alg.name().to_lowercase()), token));
    }
    let hs = keys.signing(Algorithm::HS256).clone_for(Algorithm::HS256);
    let iss = |now| issuer(&hs, now);
    out.push((
        "expired".into(),
        iss(targets::NOW - 3600)
            .issue("alice", &scope)
            .expect("issues"),
    ));
    out.push((
        "wrong_audience".into(),
        iss(targets::NOW)
            .token(&scope)
            .subject("alice")
            .audience("other")
            .sign()
            .expect("issues"),
    ));
    out.push((
        "missing_scope".into(),
        iss(targets::NOW).issue("alice", &()).expect("issues"),
    ));
    out.push((
        "ip_bound_match".into(),
        iss(targets::NOW)
            .token(&scope)
            .subject("alice")
            .bind_ip(
                "192.0.2.0/24"
                    .parse::<tessera::IpNetwork>()
                    .expect("network"),
            )
            .sign()
            .expect("issues"),
    ));
    out.push((
        "ip_bound_mismatch".into(),
        iss(targets::NOW)
            .token(&scope)
            .subject("alice")
            .bind_ip(
                "2001:db8::/32"
                    .parse::<tessera::IpNetwork>()
                    .expect("network"),
            )
            .sign()
            .expect("issues"),
    ));
    let mut bad_sig = out[0].1.clone();
    bad_sig.pop();
    bad_sig.push(if bad_sig.ends_with('A') { 'B' } else { 'A' });
    out.push(("bad_signature".into(), bad_sig));
    out
}

/// Helpers the seeds need from `SigningKey`.
trait CloneFor {
    fn clone_for(&self, alg: Algorithm) -> SigningKey;
}

impl CloneFor for SigningKey {
    /// A copy of the key bound to `alg` (through its DER or, for HMAC, its JWK).
    fn clone_for(&self, alg: Algorithm) -> SigningKey {
        let copy = match self.to_der() {
            Ok(der) => SigningKey::from_der(&der).expect("DER round trip"),
            Err(_) => SigningKey::from_jwk(&self.to_jwk()).expect("JWK round trip"),
        };
        copy.with_algorithm(alg).expect("algorithm fits")
    }
}

#[test]
#[ignore = "writes the seed corpora into fuzz/corpus; run by hand"]
fn write_seed_corpora() {
    let rfc = rfc_vectors();

    // verify: RFC tokens, tokens of every family, and `header \n claims` pairs signed by the
    // target itself.
    for (name, v) in &rfc {
        if let Some(token) = v["token"].as_str() {
            write("verify", &format!("rfc_{name}"), token);
            write("untrusted", &format!("rfc_{name}"), token);
        }
        if let Some(jwk) = v.get("jwk") {
            write("jwk", &format!("rfc_{name}"), jwk.to_string());
        }
    }
    for (name, token) in seed_tokens() {
        write("verify", &name, &token);
        write("untrusted", &name, &token);
    }
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let exp = targets::NOW + 300;
    let iat = targets::NOW - 10;
    let base = format!(
        r#""iss":"{}","aud":"{}","exp":{exp},"iat":{iat},"scope":"read""#,
        targets::ISSUER,
        targets::AUDIENCE
    );
    let pairs: Vec<(&str, String, String)> = vec![
        ("pair_valid", header.into(), format!("{{{base}}}")),
        (
            "pair_aud_array",
            header.into(),
            format!(
                r#"{{"iss":"{}","aud":["x","{}"],"exp":{exp},"scope":"read write"}}"#,
                targets::ISSUER,
                targets::AUDIENCE
            ),
        ),
        (
            "pair_duplicate_claim",
            header.into(),
            format!(r#"{{{base},"exp":{exp}}}"#),
        ),
        (
            "pair_escaped_duplicate",
            header.into(),
            format!(r#"{{{base},"\u0065xp":{exp}}}"#),
        ),
        (
            "pair_fractional_dates",
            header.into(),
            format!(r#"{{{base},"nbf":{iat}.5}}"#),
        ),
        (
            "pair_string_exp",
            header.into(),
            format!(r#"{{{base},"nbf":"{iat}"}}"#),
        ),
        (
            "pair_nested",
            header.into(),
            format!(r#"{{{base},"x":{{"y":[1,2,{{"z":null}}]}}}}"#),
        ),
        (
            "pair_ip_claim",
            header.into(),
            format!(r#"{{{base},"ip":["10.0.0.0/8","192.0.2.7"]}}"#),
        ),
        (
            "pair_crit",
            r#"{"alg":"HS256","crit":["exp"],"exp":1}"#.into(),
            format!("{{{base}}}"),
        ),
        (
            "pair_b64_false",
            r#"{"alg":"HS256","b64":false}"#.into(),
            format!("{{{base}}}"),
        ),
        (
            "pair_duplicate_alg",
            r#"{"alg":"HS256","alg":"none"}"#.into(),
            format!("{{{base}}}"),
        ),
        (
            "pair_alg_none",
            r#"{"alg":"none"}"#.into(),
            format!("{{{base}}}"),
        ),
        (
            "pair_typ_kid",
            r#"{"alg":"HS256","typ":"at+jwt","kid":"k\u00e9y"}"#.into(),
            format!("{{{base}}}"),
        ),
        ("pair_not_object", header.into(), "[1,2,3]".into()),
        (
            "pair_lifetime_too_long",
            header.into(),
            format!(
                r#"{{"iss":"{}","aud":"{}","exp":{},"iat":{iat},"scope":"read"}}"#,
                targets::ISSUER,
                targets::AUDIENCE,
                targets::NOW + 7 * 86400
            ),
        ),
    ];
    for (name, h, c) in pairs {
        write("verify", name, format!("{h}\n{c}"));
    }
    for (name, text) in [
        ("five_parts", "eyJhbGciOiJIUzI1NiJ9.e30.e30.e30.e30"),
        ("padded", "eyJhbGciOiJIUzI1NiJ9.e30=.AAAA"),
        ("empty_header", ".e30.AAAA"),
        ("non_canonical", "eyJhbGciOiJIUzI1NiJ9.e31.AAAA"),
        ("two_parts", "eyJhbGciOiJIUzI1NiJ9.e30"),
    ] {
        write("verify", name, text);
        write("untrusted", name, text);
    }

    // jwk: every key, public and private, and a set.
    let keys = targets::keys();
    let mut set = Vec::new();
    for (name, alg) in [
        ("oct", Algorithm::HS256),
        ("rsa", Algorithm::RS256),
        ("p256", Algorithm::ES256),
        ("p384", Algorithm::ES384),
        ("ed25519", Algorithm::EdDSA),
    ] {
        let key = keys
            .signing(alg)
            .clone_for(alg)
            .with_key_id(format!("{name}-1"));
        write("jwk", &format!("{name}_private"), key.to_jwk().to_json());
        let public = key.verifying_key().to_jwk();
        write("jwk", &format!("{name}_public"), public.to_json());
        set.push(public);
    }
    write("jwk", "set", tessera::JwkSet { keys: set }.to_json());
    write(
        "jwk",
        "set_with_junk",
        r#"{"keys":[1,{"kty":7},{"kty":"oct","k":"AAAA"},{"kty":"EC","crv":"P-256"}]}"#,
    );

    // bloom: snapshots of a few sizes, and a signed one.
    let at = NumericDate::from_secs(targets::NOW).expect("in range");
    for (name, jtis, rate) in [
        ("empty", 0usize, 0.01),
        ("one", 1, 0.01),
        ("ten", 10, 0.001),
        ("hundred", 100, 0.05),
        ("odd_bits", 3, 0.3),
        ("many_hashes", 5, 1e-9),
    ] {
        let ids: Vec<String> = (0..jtis).map(|i| format!("jti-{i}")).collect();
        let snapshot = BloomSnapshot::build(&ids, rate, at).expect("builds");
        write("bloom", name, snapshot.to_bytes());
    }
    let snapshot = BloomSnapshot::build(["a", "b"], 0.01, at).expect("builds");
    let mut bytes = snapshot.to_bytes();
    write(
        "bloom",
        "signed",
        snapshot
            .sign(keys.signing(Algorithm::HS256))
            .expect("signs"),
    );
    // One field wrong at a time.
    type Mutation = fn(&mut Vec<u8>);
    let mutations: [(&str, Mutation); 7] = [
        ("bad_magic", |b| b[0] = b'X'),
        ("bad_version", |b| b[4] = 2),
        ("zero_hashes", |b| b[5] = 0),
        ("too_many_hashes", |b| b[5] = 33),
        ("reserved_set", |b| b[7] = 1),
        ("padding_set", |b| {
            if let Some(last) = b.last_mut() {
                *last |= 0x80;
            }
        }),
        ("trailing_byte", |b| b.push(0)),
    ];
    for (name, mutate) in mutations {
        let mut b = bytes.clone();
        mutate(&mut b);
        write("bloom", name, &b);
    }
    bytes.truncate(31);
    write("bloom", "truncated", &bytes);
}
