//! The token, keys and policy shared by the benchmarks.
//!
//! The typical access token carries `iss`, `sub`, `aud`, `iat`, `nbf`, `exp`, `jti`, a role and
//! three scopes; with HS256 it is about 390 bytes. It is verified with the full default policy
//! (allowlist of one algorithm, `iss`, `aud` and `exp` checked).

#![allow(dead_code)]

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tessera::{Algorithm, Issuer, KeyFamily, Policy, SigningKey};

/// The issuer every benchmark token names.
pub(crate) const ISSUER: &str = "https://auth.example.com";
/// The audience every benchmark token names.
pub(crate) const AUDIENCE: &str = "orders-api";
/// The subject every benchmark token names.
pub(crate) const SUBJECT: &str = "user-8f14e45fceea167a";

/// The application's own claims.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AppClaims {
    /// A role.
    pub(crate) role: String,
    /// Three space-separated scopes (RFC 8693 §4.2).
    pub(crate) scope: String,
}

/// The application claims of the typical token.
pub(crate) fn app_claims() -> AppClaims {
    AppClaims {
        role: "customer".to_owned(),
        scope: "orders:read orders:write profile".to_owned(),
    }
}

/// Private keys (PKCS#8 PEM) and their public halves (SPKI PEM), made with `openssl genpkey`.
pub(crate) const RSA_PRIVATE: &str = include_str!("../data/rsa2048.pkcs8.pem");
pub(crate) const RSA_PUBLIC: &str = include_str!("../data/rsa2048.spki.pem");
pub(crate) const P256_PRIVATE: &str = include_str!("../data/p256.pkcs8.pem");
pub(crate) const P256_PUBLIC: &str = include_str!("../data/p256.spki.pem");
pub(crate) const P384_PRIVATE: &str = include_str!("../data/p384.pkcs8.pem");
pub(crate) const P384_PUBLIC: &str = include_str!("../data/p384.spki.pem");
pub(crate) const ED25519_PRIVATE: &str = include_str!("../data/ed25519.pkcs8.pem");
pub(crate) const ED25519_PUBLIC: &str = include_str!("../data/ed25519.spki.pem");

/// The algorithms benchmarked: every one but `Ed25519`, which is `EdDSA` under its RFC 9864
/// name and runs the same code.
pub(crate) fn algorithms() -> Vec<Algorithm> {
    Algorithm::ALL
        .into_iter()
        .filter(|a| *a != Algorithm::Ed25519)
        .collect()
}

/// The private key (PEM) of `family`, for the asymmetric families.
pub(crate) fn private_pem(family: KeyFamily) -> Option<&'static str> {
    match family {
        KeyFamily::Hmac => None,
        KeyFamily::Rsa => Some(RSA_PRIVATE),
        KeyFamily::EcP256 => Some(P256_PRIVATE),
        KeyFamily::EcP384 => Some(P384_PRIVATE),
        KeyFamily::Ed25519 => Some(ED25519_PRIVATE),
    }
}

/// The public key (PEM) of `family`, for the asymmetric families.
pub(crate) fn public_pem(family: KeyFamily) -> Option<&'static str> {
    match family {
        KeyFamily::Hmac => None,
        KeyFamily::Rsa => Some(RSA_PUBLIC),
        KeyFamily::EcP256 => Some(P256_PUBLIC),
        KeyFamily::EcP384 => Some(P384_PUBLIC),
        KeyFamily::Ed25519 => Some(ED25519_PUBLIC),
    }
}

/// A key for `alg`, bound to it: an HMAC secret as long as the hash, or a fixed key pair.
pub(crate) fn signing_key(alg: Algorithm) -> SigningKey {
    let key = match private_pem(alg.family()) {
        None => {
            let len = alg.hmac_min_key_len().unwrap_or(32);
            let secret: Vec<u8> = (0..len)
                .map(|i| (i as u8).wrapping_mul(31) ^ 0x5c)
                .collect();
            SigningKey::hmac(&secret).expect("HMAC secret")
        }
        Some(pem) => SigningKey::from_pem(pem).expect("benchmark key parses"),
    };
    key.with_algorithm(alg).expect("algorithm fits the key")
}

/// An issuer of typical tokens, valid for a day (so a benchmark run never sees one expire).
pub(crate) fn issuer(key: &SigningKey) -> Issuer<&SigningKey> {
    Issuer::new(key)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .lifetime(Duration::from_secs(24 * 3600))
}

/// A typical token signed with `key`.
pub(crate) fn typical_token(key: &SigningKey) -> String {
    issuer(key)
        .issue(SUBJECT, &app_claims())
        .expect("token is issued")
}

/// The full default policy for `alg`: the allowlist, `iss`, `aud`, and `exp` (required by
/// default).
pub(crate) fn policy(alg: Algorithm) -> Policy {
    Policy::new([alg]).issuer(ISSUER).audience(AUDIENCE)
}
