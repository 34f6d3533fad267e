//! Helpers shared by the integration tests: hand-made tokens with exact header and claims bytes.
#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tessera::{Algorithm, SigningKey};

/// The instant most tests run at.
pub const NOW: i64 = 1_700_000_000;

pub const SECRET: &[u8; 32] = b"0123456789abcdef0123456789abcdef";

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hs256() -> SigningKey {
    SigningKey::hmac(SECRET).unwrap()
}

/// Signs exactly `header` and `claims` (JSON text, not re-serialised) with `key` under `alg`.
pub fn sign_raw(key: &SigningKey, alg: Algorithm, header: &str, claims: &str) -> String {
    let input = format!("{}.{}", b64(header), b64(claims));
    let sig = key.sign_with(alg, input.as_bytes()).unwrap();
    format!("{input}.{}", b64(sig))
}

/// An HS256 token with the given claims JSON.
pub fn hs_token(claims: &str) -> String {
    sign_raw(
        &hs256(),
        Algorithm::HS256,
        r#"{"alg":"HS256","typ":"JWT"}"#,
        claims,
    )
}

/// Claims valid at `NOW` plus `extra` members (a JSON fragment starting with a comma, or empty).
pub fn claims(extra: &str) -> String {
    format!(
        r#"{{"iss":"https://issuer.example","sub":"alice","aud":"api","iat":{},"exp":{}{extra}}}"#,
        NOW - 10,
        NOW + 600
    )
}
