//! tessera, used as its documentation shows: one `Verifier` with the default policy plus `iss`
//! and `aud`, and an `Issuer`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tessera::{Algorithm, Issuer, Policy, SigningKey, Verified, Verifier, VerifyingKey};

use crate::{Alg, Peer};

/// The application's claims; the registered ones are read from `Verified` without copying.
#[derive(Deserialize)]
#[allow(dead_code)]
struct AppClaims {
    role: String,
    scope: String,
}

#[derive(Serialize)]
struct AppClaimsOut<'a> {
    role: &'a str,
    scope: &'a str,
}

pub struct Tessera {
    verifier: Verifier<VerifyingKey>,
    issuer: Issuer<SigningKey>,
}

impl Tessera {
    pub fn new(alg: Alg) -> Option<Tessera> {
        let (key, public, alg) = match alg {
            Alg::HS256 => {
                let key = SigningKey::hmac(crate::HMAC_SECRET).ok()?;
                let public = key.verifying_key();
                (key, public, Algorithm::HS256)
            }
            Alg::RS256 => pems(crate::RSA_PRIVATE, crate::RSA_PUBLIC, Algorithm::RS256)?,
            Alg::ES256 => pems(crate::P256_PRIVATE, crate::P256_PUBLIC, Algorithm::ES256)?,
            Alg::EdDSA => pems(
                crate::ED25519_PRIVATE,
                crate::ED25519_PUBLIC,
                Algorithm::EdDSA,
            )?,
        };
        let key = key.with_algorithm(alg).ok()?;
        let verifier = Verifier::new(
            public,
            Policy::new([alg])
                .issuer(crate::ISSUER)
                .audience(crate::AUDIENCE),
        );
        let issuer = Issuer::new(key)
            .issuer(crate::ISSUER)
            .audience(crate::AUDIENCE)
            .lifetime(Duration::from_secs(crate::LIFETIME));
        Some(Tessera { verifier, issuer })
    }
}

/// The private key from PKCS#8 and the public key from SPKI, as a service would load them.
fn pems(
    private: &str,
    public: &str,
    alg: Algorithm,
) -> Option<(SigningKey, VerifyingKey, Algorithm)> {
    Some((
        SigningKey::from_pem(private).ok()?,
        VerifyingKey::from_pem(public).ok()?,
        alg,
    ))
}

impl Peer for Tessera {
    fn name(&self) -> String {
        "tessera".to_owned()
    }

    fn sign(&self) -> String {
        let claims = AppClaimsOut {
            role: crate::ROLE,
            scope: crate::SCOPE,
        };
        // A fixed `jti`, as the other libraries are given one: no random number per token.
        self.issuer
            .token(&claims)
            .subject(crate::SUBJECT)
            .jwt_id(crate::JWT_ID)
            .sign()
            .expect("tessera signs")
    }

    fn verify(&self, token: &str) -> Result<bool, String> {
        let verified: Verified<AppClaims> =
            self.verifier.verify(token).map_err(|e| e.to_string())?;
        Ok(verified.subject() == Some(crate::SUBJECT))
    }
}
