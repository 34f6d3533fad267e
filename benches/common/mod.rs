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

/// The algorithms benchmarked.
pub(crate) fn algorithms() -> Vec<Algorithm> {
    vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]
}

/// A key for `alg`: an HMAC secret as long as the hash, or a new key pair.
pub(crate) fn signing_key(alg: Algorithm) -> SigningKey {
    let key = match alg.family() {
        KeyFamily::Hmac => {
            let len = alg.hmac_min_key_len().unwrap_or(32);
            let secret: Vec<u8> = (0..len)
                .map(|i| (i as u8).wrapping_mul(31) ^ 0x5c)
                .collect();
            SigningKey::hmac(&secret).expect("HMAC secret")
        }
        other => panic!("no benchmark key for the {other:?} family yet"),
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
