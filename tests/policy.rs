//! Every policy option, accepted and rejected with its kind.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::*;
use serde::Deserialize;
use serde_json::Value;
use tessera::{
    Algorithm, ErrorKind, FixedClock, IpBindingMode, Issuer, Policy, Verified, Verifier,
    VerifyContext,
};

fn base() -> Policy {
    Policy::new([Algorithm::HS256])
        .issuer("https://issuer.example")
        .audience("api")
}

fn check(policy: Policy, token: &str) -> Result<Verified<Value>, ErrorKind> {
    check_at(policy, token, NOW, VerifyContext::new())
}

fn check_at(
    policy: Policy,
    token: &str,
    now: i64,
    ctx: VerifyContext,
) -> Result<Verified<Value>, ErrorKind> {
    Verifier::new(hs256().verifying_key(), policy)
        .with_clock(FixedClock::at(now))
        .verify_with(token, &ctx)
        .map_err(|e| e.kind())
}

fn kind(policy: Policy, token: &str) -> ErrorKind {
    check(policy, token).unwrap_err()
}

#[test]
fn accepts_a_valid_token() {
    let v = check(base(), &hs_token(&claims(""))).unwrap();
    assert_eq!(v.issuer(), Some("https://issuer.example"));
    assert_eq!(v.subject(), Some("alice"));
    assert_eq!(v.audiences().collect::<Vec<_>>(), ["api"]);
    assert_eq!(v.claims()["sub"], "alice");
}

#[test]
fn algorithm_allowlist() {
    let t = hs_token(&claims(""));
    assert_eq!(
        kind(
            Policy::new([Algorithm::HS384])
                .issuer("https://issuer.example")
                .audience("api"),
            &t
        ),
        ErrorKind::AlgorithmNotAllowed
    );
    assert_eq!(
        kind(Policy::new([] as [Algorithm; 0]), &t),
        ErrorKind::AlgorithmNotAllowed
    );
    assert!(check(base(), &t).is_ok());
}

#[test]
fn exp_required_unless_waived() {
    let t = hs_token(r#"{"iss":"https://issuer.example","aud":"api","iat":1699999990}"#);
    assert_eq!(kind(base(), &t), ErrorKind::MissingClaim);
    assert!(check(base().allow_missing_exp(), &t).is_ok());
}

#[test]
fn expiry_with_leeway() {
    let t = hs_token(&claims(""));
    let exp = NOW + 600;
    let p = || base();
    assert!(check_at(p(), &t, exp + 29, VerifyContext::new()).is_ok());
    assert_eq!(
        check_at(p(), &t, exp + 30, VerifyContext::new()).err(),
        Some(ErrorKind::Expired)
    );
    let tight = || base().leeway(Duration::ZERO);
    assert!(check_at(tight(), &t, exp - 1, VerifyContext::new()).is_ok());
    assert_eq!(
        check_at(tight(), &t, exp, VerifyContext::new()).err(),
        Some(ErrorKind::Expired)
    );
}

#[test]
fn fractional_dates() {
    let t = hs_token(&format!(
        r#"{{"iss":"https://issuer.example","aud":"api","exp":{}.5}}"#,
        NOW
    ));
    let p = || base().leeway(Duration::ZERO);
    assert!(check_at(p(), &t, NOW, VerifyContext::new()).is_ok());
    assert_eq!(
        check_at(p(), &t, NOW + 1, VerifyContext::new()).err(),
        Some(ErrorKind::Expired)
    );
}

#[test]
fn not_before() {
    let t = hs_token(&claims(&format!(r#","nbf":{}"#, NOW + 100)));
    assert_eq!(kind(base(), &t), ErrorKind::NotYetValid);
    assert!(check_at(base(), &t, NOW + 70, VerifyContext::new()).is_ok());
}

#[test]
fn issued_in_the_future() {
    let t = hs_token(&format!(
        r#"{{"iss":"https://issuer.example","aud":"api","iat":{},"exp":{}}}"#,
        NOW + 31,
        NOW + 600
    ));
    assert_eq!(kind(base(), &t), ErrorKind::IssuedInFuture);
    assert!(check_at(base(), &t, NOW + 1, VerifyContext::new()).is_ok());
}

#[test]
fn max_lifetime() {
    let p = || base().max_lifetime(Duration::from_secs(900));
    let ok = hs_token(&format!(
        r#"{{"iss":"https://issuer.example","aud":"api","iat":{},"exp":{}}}"#,
        NOW,
        NOW + 900
    ));
    assert!(check(p(), &ok).is_ok());
    let long = hs_token(&format!(
        r#"{{"iss":"https://issuer.example","aud":"api","iat":{},"exp":{}}}"#,
        NOW,
        NOW + 901
    ));
    assert_eq!(kind(p(), &long), ErrorKind::LifetimeTooLong);
    // nbf earlier than iat widens the window and is measured too.
    let via_nbf = hs_token(&format!(
        r#"{{"iss":"https://issuer.example","aud":"api","iat":{},"nbf":{},"exp":{}}}"#,
        NOW,
        NOW - 100,
        NOW + 850
    ));
    assert_eq!(kind(p(), &via_nbf), ErrorKind::LifetimeTooLong);
    let no_iat = hs_token(&format!(
        r#"{{"iss":"https://issuer.example","aud":"api","exp":{}}}"#,
        NOW + 60
    ));
    assert_eq!(kind(p(), &no_iat), ErrorKind::MissingClaim);
}

#[test]
fn max_age() {
    let p = || {
        base()
            .max_age(Duration::from_secs(300))
            .leeway(Duration::ZERO)
    };
    let t = hs_token(&claims(""));
    assert!(check_at(p(), &t, NOW + 290, VerifyContext::new()).is_ok());
    assert_eq!(
        check_at(p(), &t, NOW + 291, VerifyContext::new()).err(),
        Some(ErrorKind::TooOld)
    );
    let no_iat = hs_token(&format!(
        r#"{{"iss":"https://issuer.example","aud":"api","exp":{}}}"#,
        NOW + 60
    ));
    assert_eq!(kind(p(), &no_iat), ErrorKind::MissingClaim);
}

#[test]
fn issuer_exact_match_from_a_set() {
    let t = hs_token(&claims(""));
    let two = Policy::new([Algorithm::HS256])
        .issuer("https://other.example")
        .issuer("https://issuer.example")
        .audience("api");
    assert!(check(two, &t).is_ok());
    for near in [
        "https://issuer.example/",
        "https://ISSUER.example",
        "https://issuer.exampl",
        "https://issuer.example.evil",
        "https://іssuer.example", // Cyrillic і
    ] {
        let p = Policy::new([Algorithm::HS256]).issuer(near).audience("api");
        assert_eq!(kind(p, &t), ErrorKind::InvalidIssuer, "{near}");
    }
    let missing = hs_token(&format!(r#"{{"aud":"api","exp":{}}}"#, NOW + 60));
    assert_eq!(kind(base(), &missing), ErrorKind::InvalidIssuer);
}

#[test]
fn audience_any_and_all() {
    let many = hs_token(&format!(
        r#"{{"iss":"https://issuer.example","aud":["api","billing"],"exp":{}}}"#,
        NOW + 60
    ));
    let p = |auds: &[&str]| {
        auds.iter().fold(
            Policy::new([Algorithm::HS256]).issuer("https://issuer.example"),
            |p, a| p.audience(*a),
        )
    };
    assert!(check(p(&["billing"]), &many).is_ok());
    assert!(check(p(&["other", "api"]), &many).is_ok());
    assert_eq!(kind(p(&["other"]), &many), ErrorKind::InvalidAudience);
    assert!(check(p(&["api", "billing"]).require_all_audiences(), &many).is_ok());
    assert_eq!(
        kind(p(&["api", "reports"]).require_all_audiences(), &many),
        ErrorKind::InvalidAudience
    );
    // A token with aud is rejected when no audience is configured...
    assert_eq!(kind(p(&[]), &many), ErrorKind::InvalidAudience);
    // ...unless the policy explicitly ignores audiences.
    assert!(check(p(&[]).ignore_audience(), &many).is_ok());
    // Configured audience, token without aud.
    let none = hs_token(&format!(
        r#"{{"iss":"https://issuer.example","exp":{}}}"#,
        NOW + 60
    ));
    assert_eq!(kind(p(&["api"]), &none), ErrorKind::InvalidAudience);
    assert!(check(p(&[]), &none).is_ok());
}

#[test]
fn subject() {
    let t = hs_token(&claims(""));
    assert!(check(base().subject("alice"), &t).is_ok());
    assert_eq!(kind(base().subject("bob"), &t), ErrorKind::InvalidSubject);
    assert_eq!(kind(base().subject("Alice"), &t), ErrorKind::InvalidSubject);
    let none = hs_token(&format!(
        r#"{{"iss":"https://issuer.example","aud":"api","exp":{}}}"#,
        NOW + 60
    ));
    assert_eq!(
        kind(base().subject("alice"), &none),
        ErrorKind::InvalidSubject
    );
}

#[test]
fn explicit_typing() {
    let key = hs256();
    let with = |typ: &str| {
        sign_raw(
            &key,
            Algorithm::HS256,
            &format!(r#"{{"alg":"HS256","typ":"{typ}"}}"#),
            &claims(""),
        )
    };
    let p = || base().token_type("at+jwt");
    for ok in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "application/AT+jwt",
    ] {
        assert!(check(p(), &with(ok)).is_ok(), "{ok}");
    }
    for bad in ["JWT", "at+jwt2", "application/jwt", "text/at+jwt"] {
        assert_eq!(kind(p(), &with(bad)), ErrorKind::InvalidType, "{bad}");
    }
    let untyped = sign_raw(&key, Algorithm::HS256, r#"{"alg":"HS256"}"#, &claims(""));
    assert_eq!(kind(p(), &untyped), ErrorKind::InvalidType);
    assert!(check(base(), &untyped).is_ok());
}

#[test]
fn required_claims() {
    let t = hs_token(&claims(r#","tenant":"acme""#));
    assert!(check(base().require_claim("tenant"), &t).is_ok());
    assert!(check(base().require_claim("sub"), &t).is_ok());
    let err = Verifier::new(hs256().verifying_key(), base().require_claim("org"))
        .with_clock(FixedClock::at(NOW))
        .verify::<Value>(&t)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingClaim);
    assert!(err.to_string().contains("org"), "{err}");
    assert_eq!(kind(base().require_jti(), &t), ErrorKind::MissingClaim);
    assert!(check(base().require_jti(), &hs_token(&claims(r#","jti":"j1""#))).is_ok());
}

#[test]
fn custom_claim_checks() {
    let t = hs_token(&claims(
        r#","role":"admin","level":3,"groups":["ops","dev"],"scope":"orders:read orders:write""#,
    ));
    assert!(check(base().claim_equals("role", "admin"), &t).is_ok());
    assert!(check(base().claim_equals("level", 3), &t).is_ok());
    assert_eq!(
        kind(base().claim_equals("role", "user"), &t),
        ErrorKind::InvalidClaim
    );
    assert_eq!(
        kind(base().claim_equals("level", "3"), &t),
        ErrorKind::InvalidClaim
    );
    assert_eq!(
        kind(base().claim_equals("missing", "x"), &t),
        ErrorKind::MissingClaim
    );
    assert!(check(base().claim_one_of("role", ["user", "admin"]), &t).is_ok());
    assert_eq!(
        kind(base().claim_one_of("role", ["user", "guest"]), &t),
        ErrorKind::InvalidClaim
    );
    assert!(check(base().claim_contains("groups", "ops"), &t).is_ok());
    assert_eq!(
        kind(base().claim_contains("groups", "op"), &t),
        ErrorKind::InvalidClaim
    );
    assert_eq!(
        kind(base().claim_contains("role", "admin"), &t),
        ErrorKind::InvalidClaim
    );
    assert!(check(base().require_scopes(["orders:write", "orders:read"]), &t).is_ok());
    assert_eq!(
        kind(base().require_scopes(["orders:delete"]), &t),
        ErrorKind::InsufficientScope
    );
    assert_eq!(
        kind(base().require_scopes(["orders"]), &t),
        ErrorKind::InsufficientScope
    );
    assert_eq!(
        kind(base().require_scopes_in("scp", ["orders:read"]), &t),
        ErrorKind::MissingClaim
    );
    // A check on a registered claim sees its typed value.
    assert!(check(base().claim_equals("sub", "alice"), &t).is_ok());
    assert_eq!(
        kind(base().claim_equals("sub", "bob"), &t),
        ErrorKind::InvalidClaim
    );
    // The failure names the claim.
    let err = Verifier::new(hs256().verifying_key(), base().claim_equals("role", "user"))
        .with_clock(FixedClock::at(NOW))
        .verify::<Value>(&t)
        .unwrap_err();
    assert!(err.to_string().contains("role"), "{err}");
}

#[derive(Debug, Deserialize)]
struct Typed {
    role: String,
    #[serde(default)]
    level: u8,
}

#[test]
fn typed_predicates() {
    let t = hs_token(&claims(r#","role":"admin","level":3"#));
    let verifier =
        |p: Policy| Verifier::new(hs256().verifying_key(), p).with_clock(FixedClock::at(NOW));
    let ok = verifier(base().claim_predicate("level", |c: &Typed| c.level >= 3));
    let v: Verified<Typed> = ok.verify(&t).unwrap();
    assert_eq!(v.claims().role, "admin");
    let no = verifier(base().claim_predicate("level", |c: &Typed| c.level > 3));
    assert_eq!(
        no.verify::<Typed>(&t).unwrap_err().kind(),
        ErrorKind::InvalidClaim
    );
    // A predicate for another type fails closed.
    assert_eq!(
        ok.verify::<Value>(&t).unwrap_err().kind(),
        ErrorKind::InvalidClaim
    );
    // A claims type that cannot be decoded is an invalid claim, a missing field a missing claim.
    let bad_type = hs_token(&claims(r#","role":7"#));
    assert_eq!(
        verifier(base())
            .verify::<Typed>(&bad_type)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidClaim
    );
    assert_eq!(
        verifier(base())
            .verify::<Typed>(&hs_token(&claims("")))
            .unwrap_err()
            .kind(),
        ErrorKind::MissingClaim
    );
}

#[test]
fn ip_binding() {
    let ip = |s: &str| VerifyContext::new().client_ip(s.parse::<IpAddr>().unwrap());
    let bound = |v: &str| hs_token(&claims(&format!(r#","ip":{v}"#)));
    let req = || base().ip_binding(IpBindingMode::Required);
    let opt = || base().ip_binding(IpBindingMode::WhenPresent);

    let one = bound(r#""203.0.113.7""#);
    assert!(check_at(req(), &one, NOW, ip("203.0.113.7")).is_ok());
    assert!(check_at(req(), &one, NOW, ip("::ffff:203.0.113.7")).is_ok());
    assert_eq!(
        check_at(req(), &one, NOW, ip("203.0.113.8")).err(),
        Some(ErrorKind::IpMismatch)
    );
    // Bound token, no client address: fail closed.
    assert_eq!(
        check_at(opt(), &one, NOW, VerifyContext::new()).err(),
        Some(ErrorKind::IpMismatch)
    );

    let nets = bound(r#"["10.0.0.0/8","2001:db8::/32"]"#);
    assert!(check_at(req(), &nets, NOW, ip("10.20.30.40")).is_ok());
    assert!(check_at(req(), &nets, NOW, ip("2001:db8:1::5")).is_ok());
    assert_eq!(
        check_at(req(), &nets, NOW, ip("11.0.0.1")).err(),
        Some(ErrorKind::IpMismatch)
    );
    assert_eq!(
        check_at(req(), &nets, NOW, ip("2001:db9::1")).err(),
        Some(ErrorKind::IpMismatch)
    );

    let mapped = bound(r#""::ffff:192.0.2.1""#);
    assert!(check_at(req(), &mapped, NOW, ip("192.0.2.1")).is_ok());

    let unbound = hs_token(&claims(""));
    assert_eq!(
        check_at(req(), &unbound, NOW, ip("10.0.0.1")).err(),
        Some(ErrorKind::MissingClaim)
    );
    assert!(check_at(opt(), &unbound, NOW, ip("10.0.0.1")).is_ok());

    for bad in [
        r#""10.0.0.0/33""#,
        r#""host.example""#,
        "[]",
        "42",
        r#"["10.0.0.1",1]"#,
        "null",
    ] {
        assert_eq!(
            check_at(req(), &bound(bad), NOW, ip("10.0.0.1")).err(),
            Some(ErrorKind::InvalidClaim),
            "{bad}"
        );
    }

    // A renamed claim.
    let renamed = hs_token(&claims(r#","cnf_ip":"198.51.100.0/24""#));
    let p = base()
        .ip_claim("cnf_ip")
        .ip_binding(IpBindingMode::Required);
    assert!(check_at(p, &renamed, NOW, ip("198.51.100.9")).is_ok());
}

#[test]
fn issuer_binds_ip_and_verifier_enforces_it() {
    let key = hs256();
    let clock = FixedClock::at(NOW);
    let issuer = Issuer::new(&key)
        .issuer("https://issuer.example")
        .audience("api")
        .with_clock(&clock);
    let addr: IpAddr = "2001:db8::7".parse().unwrap();
    let token = issuer
        .token(&())
        .subject("alice")
        .bind_ip(addr)
        .sign()
        .unwrap();
    let p = base().ip_binding(IpBindingMode::Required);
    assert!(check_at(p.clone(), &token, NOW, VerifyContext::new().client_ip(addr)).is_ok());
    let other: IpAddr = "2001:db8::8".parse().unwrap();
    assert_eq!(
        check_at(p, &token, NOW, VerifyContext::new().client_ip(other)).err(),
        Some(ErrorKind::IpMismatch)
    );
}

#[test]
fn token_size_limit() {
    let padding = "x".repeat(20_000);
    let big = hs_token(&claims(&format!(r#","pad":"{padding}""#)));
    assert_eq!(kind(base(), &big), ErrorKind::TooLarge);
    assert!(check(base().max_token_bytes(64 * 1024), &big).is_ok());
    assert_eq!(
        kind(base().max_token_bytes(100), &hs_token(&claims(""))),
        ErrorKind::TooLarge
    );
}

#[test]
fn policy_and_verifier_are_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Policy>();
    assert_send_sync::<Verifier<tessera::VerifyingKey>>();
    let verifier = std::sync::Arc::new(
        Verifier::new(hs256().verifying_key(), base()).with_clock(FixedClock::at(NOW)),
    );
    let token = hs_token(&claims(""));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (v, t) = (verifier.clone(), token.clone());
            std::thread::spawn(move || (0..200).all(|_| v.verify::<Value>(&t).is_ok()))
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap());
    }
}
