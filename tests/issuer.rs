//! The issuing side: defaults, custom claims, IP binding, and refreshing.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::NOW;
use serde::Serialize;
use serde_json::{Value, json};
use tessera::{
    Algorithm, ErrorKind, FixedClock, Issuer, NumericDate, Policy, SigningKey, UntrustedToken,
    Verified, Verifier,
};

fn key() -> SigningKey {
    SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_key_id("k-2026")
}

/// The issuer the verifier below expects: `iss` and `aud` set, time from `clock`.
fn issuer<'k, 'c>(
    key: &'k SigningKey,
    clock: &'c FixedClock,
) -> Issuer<&'k SigningKey, &'c FixedClock> {
    Issuer::new(key)
        .issuer("https://issuer.example")
        .audience("api")
        .with_clock(clock)
}

fn verifier<'c>(
    key: &SigningKey,
    clock: &'c FixedClock,
) -> Verifier<tessera::VerifyingKey, tessera::NoRevocation, &'c FixedClock> {
    Verifier::new(
        key.verifying_key(),
        Policy::new([Algorithm::ES256])
            .issuer("https://issuer.example")
            .audience("api")
            .max_lifetime(Duration::from_secs(900)),
    )
    .with_clock(clock)
}

#[test]
fn defaults_are_short_lived_and_identified() {
    let key = key();
    let clock = FixedClock::at(NOW);
    let issuer = issuer(&key, &clock);
    let token = issuer.issue("alice", &()).unwrap();

    let t = UntrustedToken::decode(&token).unwrap();
    assert_eq!(t.header()["alg"], "ES256");
    assert_eq!(t.header()["typ"], "JWT");
    assert_eq!(t.header()["kid"], "k-2026");
    let c = t.claims().unwrap();
    assert_eq!(c["iss"], "https://issuer.example");
    assert_eq!(c["sub"], "alice");
    assert_eq!(c["aud"], "api");
    assert_eq!(c["iat"], NOW);
    assert_eq!(c["nbf"], NOW);
    assert_eq!(c["exp"], NOW + 900, "15 minutes by default");
    let jti = c["jti"].as_str().unwrap();
    assert_eq!(jti.len(), 22, "128 bits, base64url");

    // Every token gets its own jti.
    let jtis: HashSet<String> = (0..200)
        .map(|_| {
            let t = UntrustedToken::decode(&issuer.issue("alice", &()).unwrap()).unwrap();
            t.claims().unwrap()["jti"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(jtis.len(), 200);

    let v: Verified<()> = verifier(&key, &clock).verify(&token).unwrap();
    assert_eq!(v.subject(), Some("alice"));
    assert_eq!(v.key_id(), Some("k-2026"));
    assert_eq!(v.expires_at(), NumericDate::from_secs(NOW + 900).ok());
}

#[test]
fn settings_and_per_token_overrides() {
    let key = key();
    let clock = FixedClock::at(NOW);
    let issuer = Issuer::new(&key)
        .issuer("https://issuer.example")
        .lifetime(Duration::from_secs(60))
        .token_type(Some("at+jwt"))
        .without_jti()
        .with_clock(&clock);
    let token = issuer
        .token(&json!({"scope": "a b"}))
        .subject("bob")
        .audience("api")
        .lifetime(Duration::from_secs(120))
        .jwt_id("fixed-id")
        .sign()
        .unwrap();
    let t = UntrustedToken::decode(&token).unwrap();
    assert_eq!(t.header()["typ"], "at+jwt");
    assert!(t.header().get("kid").is_some());
    let c = t.claims().unwrap();
    assert_eq!(c["exp"], NOW + 120);
    assert_eq!(c["jti"], "fixed-id");
    assert_eq!(c["scope"], "a b");

    let no_jti = issuer.issue("bob", &()).unwrap();
    let c = UntrustedToken::decode(&no_jti).unwrap().claims().unwrap();
    assert!(c.get("jti").is_none());
    assert_eq!(c["exp"], NOW + 60);

    let untyped = Issuer::new(&key).token_type(None).issue("x", &()).unwrap();
    assert!(
        UntrustedToken::decode(&untyped)
            .unwrap()
            .header()
            .get("typ")
            .is_none()
    );
}

#[derive(Serialize)]
struct Custom<'a> {
    role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
}

#[test]
fn custom_claims_are_checked() {
    let key = key();
    let issuer = Issuer::new(&key).issuer("https://issuer.example");
    let ok = issuer
        .issue(
            "alice",
            &Custom {
                role: "admin",
                sub: None,
            },
        )
        .unwrap();
    let c = UntrustedToken::decode(&ok).unwrap().claims().unwrap();
    assert_eq!(c["role"], "admin");

    // A claim the issuer writes cannot also come from the custom claims.
    let clash = issuer
        .issue(
            "alice",
            &Custom {
                role: "admin",
                sub: Some("mallory"),
            },
        )
        .unwrap_err();
    assert_eq!(clash.kind(), ErrorKind::InvalidClaim);
    assert!(clash.to_string().contains("sub"), "{clash}");
    for clashing in [json!({"iss": "x"}), json!({"exp": 1}), json!({"jti": "j"})] {
        assert_eq!(
            issuer.issue("a", &clashing).unwrap_err().kind(),
            ErrorKind::InvalidClaim
        );
    }
    // Registered claims the issuer does not write may come from the custom claims, strictly typed.
    let aud = issuer.issue("a", &json!({"aud": ["x", "y"]})).unwrap();
    let c = UntrustedToken::decode(&aud).unwrap().claims().unwrap();
    assert_eq!(c["aud"], json!(["x", "y"]));
    assert_eq!(
        issuer.issue("a", &json!({"aud": 5})).unwrap_err().kind(),
        ErrorKind::InvalidClaim
    );
    // Custom claims must be an object.
    for not_object in [json!([1]), json!("s"), json!(3)] {
        assert_eq!(
            issuer.issue("a", &not_object).unwrap_err().kind(),
            ErrorKind::InvalidClaim
        );
    }
    assert!(issuer.issue("a", &json!({})).is_ok());
    assert!(issuer.issue("a", &json!(null)).is_ok());
}

#[test]
fn weak_keys_cannot_sign() {
    let secret = [1u8; 32];
    let err = SigningKey::hmac(&secret)
        .unwrap()
        .with_algorithm(Algorithm::HS512);
    assert_eq!(err.unwrap_err().kind(), ErrorKind::WeakKey);
    assert_eq!(
        SigningKey::hmac(&[1u8; 16]).unwrap_err().kind(),
        ErrorKind::WeakKey
    );
    let short = SigningKey::hmac(&secret).unwrap();
    assert_eq!(
        short.sign_with(Algorithm::HS384, b"x").unwrap_err().kind(),
        ErrorKind::WeakKey
    );
}

#[test]
fn refresh_keeps_the_session_and_renews_the_token() {
    let key = key();
    let clock = FixedClock::at(NOW);
    let issuer = issuer(&key, &clock).max_session(Duration::from_secs(3600));
    let addr: std::net::IpAddr = "192.0.2.10".parse().unwrap();
    let first = issuer
        .token(&json!({"role": "clerk"}))
        .subject("alice")
        .bind_ip(addr)
        .sign()
        .unwrap();
    let verifier = verifier(&key, &clock);
    let v1: Verified<Value> = verifier.verify(&first).unwrap();

    clock.advance(600);
    let second = issuer.refresh(&v1).unwrap();
    let v2: Verified<Value> = verifier.verify(&second).unwrap();
    assert_eq!(v2.subject(), Some("alice"));
    assert_eq!(v2.claims()["role"], "clerk");
    assert_eq!(v2.claims()["ip"], "192.0.2.10");
    assert_eq!(v2.audiences().collect::<Vec<_>>(), ["api"]);
    assert_eq!(v2.issued_at().map(NumericDate::as_secs), Some(NOW + 600));
    assert_eq!(v2.expires_at().map(NumericDate::as_secs), Some(NOW + 1500));
    assert_ne!(v2.jwt_id(), v1.jwt_id());
    assert_eq!(
        v2.auth_time().map(NumericDate::as_secs),
        Some(NOW),
        "session start carried"
    );

    // Refreshing again and again cannot outlive the absolute session lifetime.
    clock.advance(600);
    let third: Verified<Value> = verifier.verify(&issuer.refresh(&v2).unwrap()).unwrap();
    assert_eq!(third.auth_time().map(NumericDate::as_secs), Some(NOW));
    clock.advance(2401);
    let err = issuer.refresh(&third).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooOld);
}

/// Pre-serialised claims (`RawValue`) keep their text, whitespace included: an object of only
/// whitespace adds nothing, others are spliced in as written, and every token is valid JSON
/// that verifies.
#[test]
fn pre_serialised_claims_with_whitespace() {
    let key = key();
    let clock = FixedClock::at(NOW);
    let issuer = issuer(&key, &clock);
    let verifier = verifier(&key, &clock);
    for (raw, role) in [
        ("{ }", None),
        ("{\n}", None),
        (r#"{ "role" : "admin" }"#, Some("admin")),
        (r#"{"role":"x",  "n": [1, 2] }"#, Some("x")),
    ] {
        let claims = serde_json::value::RawValue::from_string(raw.to_owned()).unwrap();
        let token = issuer.issue("alice", &claims).unwrap();
        let v: Verified<Value> = verifier
            .verify(&token)
            .unwrap_or_else(|e| panic!("{raw}: {e}"));
        serde_json::from_str::<Value>(v.claims_json()).unwrap();
        assert_eq!(
            v.claims().get("role").and_then(Value::as_str),
            role,
            "{raw}"
        );
        assert_eq!(v.subject(), Some("alice"));
    }
    let clash =
        serde_json::value::RawValue::from_string(r#"{ "sub" : "mallory" }"#.to_owned()).unwrap();
    let err = issuer.issue("alice", &clash).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidClaim);
}
