//! The main job: create a key, issue a token, verify it under a policy, revoke it, and watch a
//! tampered, an expired and a revoked token being rejected with their error kinds.
//!
//! Run with `cargo run --example quickstart`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tessera::{
    Algorithm, Denylist, Error, FixedClock, Issuer, NumericDate, Policy, SigningKey, Verified,
    Verifier,
};

/// The application's own claims, next to the registered ones.
#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    role: String,
    scope: String,
}

fn main() -> Result<(), Error> {
    // 1. A signing key (Ed25519) and the issuer that uses it: tokens live 5 minutes.
    let key = SigningKey::generate(Algorithm::EdDSA)?.with_key_id("2026-11-key-1");
    let clock = FixedClock::at(NumericDate::now().as_secs());
    let issuer = Issuer::new(&key)
        .issuer("https://auth.example.com")
        .audience("orders-api")
        .lifetime(Duration::from_secs(300))
        .with_clock(&clock);

    let claims = AccessClaims {
        role: "clerk".into(),
        scope: "orders:read orders:write".into(),
    };
    let token = issuer.issue("alice", &claims)?;
    println!("issued:   {token}\n");

    // 2. A verifier for the orders API: its algorithm, issuer, audience and scope, and a cap on
    //    token lifetime. It holds only the public key; revocation is an in-memory denylist.
    let denylist = Denylist::new();
    let verifier = Verifier::new(
        key.verifying_key(),
        Policy::new([Algorithm::EdDSA])
            .issuer("https://auth.example.com")
            .audience("orders-api")
            .max_lifetime(Duration::from_secs(900))
            .require_scopes(["orders:read"]),
    )
    .with_revocation(&denylist)
    .with_clock(&clock);

    let verified: Verified<AccessClaims> = verifier.verify(&token)?;
    println!(
        "verified: sub={} role={} jti={} exp={}",
        verified.subject().unwrap_or("-"),
        verified.claims().role,
        verified.jwt_id().unwrap_or("-"),
        verified.expires_at().map_or(0, NumericDate::as_secs),
    );

    // 3. A tampered token: one character of the claims changed.
    let mut tampered = token.clone().into_bytes();
    let i = token.find('.').unwrap_or(0) + 5;
    if let Some(b) = tampered.get_mut(i) {
        *b = if *b == b'A' { b'B' } else { b'A' };
    }
    let tampered = String::from_utf8(tampered).unwrap_or_default();
    report("tampered", verifier.verify::<AccessClaims>(&tampered));

    // 4. Revocation: the user logs out; the token's jti goes on the denylist until it would
    //    have expired anyway.
    let jti = verified.jwt_id().unwrap_or_default();
    let exp = verified.expires_at().unwrap_or(NumericDate::EPOCH);
    denylist.revoke(jti, exp);
    report("revoked", verifier.verify::<AccessClaims>(&token));

    // 5. Time passes: a fresh token expires after its five minutes (plus 30 s leeway).
    let fresh = issuer.issue("alice", &claims)?;
    clock.advance(331);
    report("expired", verifier.verify::<AccessClaims>(&fresh));
    Ok(())
}

fn report(label: &str, result: Result<Verified<AccessClaims>, Error>) {
    match result {
        Ok(_) => println!("{label}: unexpectedly accepted"),
        Err(e) => println!("{label}: rejected, kind {} ({e})", e.kind()),
    }
}
