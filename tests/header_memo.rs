//! Headers parsed once per thread and recalled by their exact text: recalling must never change
//! an outcome. Every check that depends on the verifier (allowlist, `typ`, key choice) still runs,
//! refused headers are refused every time, and the recalled `kid`/`typ` are those of the token.

mod common;

use common::*;
use serde_json::Value;
use tessera::{Algorithm, ErrorKind, FixedClock, KeySet, Policy, Verified, Verifier, VerifyingKey};

fn policy<const N: usize>(algs: [Algorithm; N]) -> Policy {
    Policy::new(algs)
        .issuer("https://issuer.example")
        .audience("api")
}

fn verifier(
    key: VerifyingKey,
    policy: Policy,
) -> Verifier<VerifyingKey, tessera::NoRevocation, FixedClock> {
    Verifier::new(key, policy).with_clock(FixedClock::at(NOW))
}

#[test]
fn a_recalled_header_still_meets_each_verifiers_allowlist_and_typ() {
    let token = hs_token(&claims(""));
    let lenient = verifier(hs256().verifying_key(), policy([Algorithm::HS256]));
    let other_alg = verifier(hs256().verifying_key(), policy([Algorithm::HS384]));
    let other_typ = verifier(
        hs256().verifying_key(),
        policy([Algorithm::HS256]).token_type("at+jwt"),
    );
    for _ in 0..3 {
        let ok: Verified<Value> = lenient.verify(&token).unwrap();
        assert_eq!(ok.token_type(), Some("JWT"));
        assert_eq!(ok.header_json(), r#"{"alg":"HS256","typ":"JWT"}"#);
        let kind = |r: Result<Verified<Value>, tessera::Error>| r.unwrap_err().kind();
        assert_eq!(
            kind(other_alg.verify(&token)),
            ErrorKind::AlgorithmNotAllowed
        );
        assert_eq!(kind(other_typ.verify(&token)), ErrorKind::InvalidType);
    }
}

#[test]
fn kids_are_those_of_each_token_when_headers_alternate() {
    let keys: Vec<_> = (0..6u8)
        .map(|i| tessera::SigningKey::hmac(&[i + 1; 32]).unwrap())
        .collect();
    let set: KeySet = keys
        .iter()
        .enumerate()
        .map(|(i, k)| k.verifying_key().with_key_id(format!("key-{i}")))
        .collect();
    let verifier = Verifier::new(set, policy([Algorithm::HS256])).with_clock(FixedClock::at(NOW));
    // More distinct headers than the memo holds, in rotation, so entries are evicted and reused.
    for round in 0..4 {
        for (i, key) in keys.iter().enumerate() {
            let header = format!(r#"{{"alg":"HS256","kid":"key-{i}"}}"#);
            let token = sign_raw(key, Algorithm::HS256, &header, &claims(""));
            let v: Verified<Value> = verifier.verify(&token).unwrap();
            assert_eq!(
                v.key_id(),
                Some(format!("key-{i}").as_str()),
                "round {round}"
            );
            assert_eq!(v.header_json(), header);
            // The same header over another key's signature is still refused.
            let wrong = sign_raw(
                &keys[(i + 1) % keys.len()],
                Algorithm::HS256,
                &header,
                &claims(""),
            );
            let err = verifier.verify::<Value>(&wrong).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidSignature, "round {round}");
        }
    }
}

#[test]
fn escaped_kids_and_refused_headers_behave_the_same_every_time() {
    let key = hs256().verifying_key().with_key_id("k1");
    let v = verifier(key, policy([Algorithm::HS256]));
    let escaped = sign_raw(
        &hs256(),
        Algorithm::HS256,
        r#"{"alg":"HS256","kid":"k\u0031"}"#,
        &claims(""),
    );
    let crit = sign_raw(
        &hs256(),
        Algorithm::HS256,
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
        &claims(""),
    );
    for _ in 0..3 {
        let ok: Verified<Value> = v.verify(&escaped).unwrap();
        assert_eq!(ok.key_id(), Some("k1"));
        assert_eq!(
            v.verify::<Value>(&crit).unwrap_err().kind(),
            ErrorKind::UnsupportedCriticalHeader
        );
    }
}

#[test]
fn four_parts_are_refused_whether_or_not_the_header_is_recalled() {
    let token = hs_token(&claims(""));
    let v = verifier(hs256().verifying_key(), policy([Algorithm::HS256]));
    assert!(v.verify::<Value>(&token).is_ok());
    let (head, rest) = token.split_once('.').unwrap();
    for bad in [
        format!("{head}.{rest}.x"),
        format!("{head}.e30.{rest}"),
        format!("{head}.{rest}.x.y"),
    ] {
        let err = v.verify::<Value>(&bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed, "{bad}");
        assert!(err.to_string().contains("exactly three parts"), "{err}");
    }
}
