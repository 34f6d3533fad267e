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
        let (key, alg) = match alg {
            Alg::HS256 => (SigningKey::hmac(crate::HMAC_SECRET).ok()?, Algorithm::HS256),
            _ => return None,
        };
        let key = key.with_algorithm(alg).ok()?;
        let verifier = Verifier::new(
            key.verifying_key(),
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
