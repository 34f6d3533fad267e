//! jsonwebtoken 12, with either of its crypto backends.
//!
//! jsonwebtoken picks its backend through a process-wide `CryptoProvider`. Both backends are
//! compiled in, and the provider installed here forwards each call to the `rust_crypto` or the
//! `aws_lc_rs` provider according to [`JWT_USE_AWS_LC`]: one extra relaxed load and indirect call
//! per token, so that both builds are measured in the same interleaved rounds.

use std::sync::atomic::Ordering;

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{Alg, JWT_USE_AWS_LC, Peer};

fn signer(alg: &Algorithm, key: &EncodingKey) -> jsonwebtoken::errors::Result<Box<dyn JwtSigner>> {
    if JWT_USE_AWS_LC.load(Ordering::Relaxed) {
        (jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.signer_factory)(alg, key)
    } else {
        (jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.signer_factory)(alg, key)
    }
}

fn verifier(
    alg: &Algorithm,
    key: &DecodingKey,
) -> jsonwebtoken::errors::Result<Box<dyn JwtVerifier>> {
    if JWT_USE_AWS_LC.load(Ordering::Relaxed) {
        (jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.verifier_factory)(alg, key)
    } else {
        (jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.verifier_factory)(alg, key)
    }
}

static DISPATCH: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    key_utils: KeyUtils::new_unimplemented(),
};

pub fn install_provider() {
    assert!(
        DISPATCH.install_default().is_ok(),
        "no other provider installed"
    );
}

/// What the application reads from a token.
#[derive(Deserialize)]
#[allow(dead_code)]
struct AppClaims {
    sub: String,
    role: String,
    scope: String,
}

#[derive(Serialize)]
struct ClaimsOut<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
    jti: &'a str,
    role: &'a str,
    scope: &'a str,
}

pub struct JsonWebToken {
    aws_lc: bool,
    encoding: EncodingKey,
    decoding: DecodingKey,
    header: Header,
    validation: Validation,
}

impl JsonWebToken {
    pub fn new(alg: Alg, aws_lc: bool) -> JsonWebToken {
        let (jalg, encoding, decoding) = match alg {
            Alg::HS256 => (
                Algorithm::HS256,
                EncodingKey::from_secret(crate::HMAC_SECRET).expect("HMAC key"),
                DecodingKey::from_secret(crate::HMAC_SECRET).expect("HMAC key"),
            ),
            Alg::RS256 => (
                Algorithm::RS256,
                EncodingKey::from_rsa_pem(crate::RSA_PRIVATE.as_bytes()).expect("RSA key"),
                DecodingKey::from_rsa_pem(crate::RSA_PUBLIC.as_bytes()).expect("RSA key"),
            ),
            Alg::ES256 => (
                Algorithm::ES256,
                EncodingKey::from_ec_pem(crate::P256_PRIVATE.as_bytes()).expect("EC key"),
                DecodingKey::from_ec_pem(crate::P256_PUBLIC.as_bytes()).expect("EC key"),
            ),
            Alg::EdDSA => (
                Algorithm::EdDSA,
                EncodingKey::from_ed_pem(crate::ED25519_PRIVATE.as_bytes()).expect("Ed25519 key"),
                DecodingKey::from_ed_pem(crate::ED25519_PUBLIC.as_bytes()).expect("Ed25519 key"),
            ),
        };
        let mut validation = Validation::new(jalg);
        validation.set_issuer(&[crate::ISSUER]);
        validation.set_audience(&[crate::AUDIENCE]);
        JsonWebToken {
            aws_lc,
            encoding,
            decoding,
            header: Header::new(jalg),
            validation,
        }
    }

    fn select_backend(&self) {
        // Store only on a change, so that threads sharing a verifier do not bounce the line.
        if JWT_USE_AWS_LC.load(Ordering::Relaxed) != self.aws_lc {
            JWT_USE_AWS_LC.store(self.aws_lc, Ordering::Relaxed);
        }
    }
}

impl Peer for JsonWebToken {
    fn name(&self) -> String {
        if self.aws_lc {
            "jsonwebtoken 12 (aws_lc_rs)".to_owned()
        } else {
            "jsonwebtoken 12 (rust_crypto)".to_owned()
        }
    }

    fn sign(&self) -> String {
        self.select_backend();
        let now = jsonwebtoken::get_current_timestamp();
        let claims = ClaimsOut {
            iss: crate::ISSUER,
            sub: crate::SUBJECT,
            aud: crate::AUDIENCE,
            iat: now,
            nbf: now,
            exp: now + crate::LIFETIME,
            jti: crate::JWT_ID,
            role: crate::ROLE,
            scope: crate::SCOPE,
        };
        jsonwebtoken::encode(&self.header, &claims, &self.encoding).expect("jsonwebtoken signs")
    }

    fn verify(&self, token: &str) -> Result<bool, String> {
        self.select_backend();
        let data = jsonwebtoken::decode::<AppClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| e.to_string())?;
        Ok(data.claims.sub == crate::SUBJECT)
    }
}
