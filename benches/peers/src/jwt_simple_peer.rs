//! jwt-simple, built with its `pure-rust` feature set (no BoringSSL).

use std::collections::HashSet;

use jwt_simple::prelude::*;

use crate::{Alg, Peer};

#[derive(Serialize, Deserialize)]
struct AppClaims {
    role: String,
    scope: String,
}

type SignFn = Box<dyn Fn(JWTClaims<AppClaims>) -> String + Send + Sync>;
type VerifyFn = Box<
    dyn Fn(&str, &VerificationOptions) -> Result<JWTClaims<AppClaims>, jwt_simple::Error>
        + Send
        + Sync,
>;

pub struct JwtSimple {
    sign: SignFn,
    verify: VerifyFn,
    options: VerificationOptions,
}

pub fn new(alg: Alg) -> Box<dyn Peer> {
    let (sign, verify): (SignFn, VerifyFn) = match alg {
        Alg::HS256 => {
            let key = HS256Key::from_bytes(crate::HMAC_SECRET);
            let k2 = key.clone();
            (
                Box::new(move |c| key.authenticate(c).expect("signs")),
                Box::new(move |t, o| k2.verify_token::<AppClaims>(t, Some(o.clone()))),
            )
        }
        Alg::ES256 => {
            let pair = ES256KeyPair::from_pem(crate::P256_PRIVATE).expect("EC key");
            let public = ES256PublicKey::from_pem(crate::P256_PUBLIC).expect("EC key");
            (
                Box::new(move |c| pair.sign(c).expect("signs")),
                Box::new(move |t, o| public.verify_token::<AppClaims>(t, Some(o.clone()))),
            )
        }
        Alg::RS256 => {
            let pair = RS256KeyPair::from_pem(crate::RSA_PRIVATE).expect("RSA key");
            let public = RS256PublicKey::from_pem(crate::RSA_PUBLIC).expect("RSA key");
            (
                Box::new(move |c| pair.sign(c).expect("signs")),
                Box::new(move |t, o| public.verify_token::<AppClaims>(t, Some(o.clone()))),
            )
        }
        Alg::EdDSA => {
            let pair = Ed25519KeyPair::from_pem(crate::ED25519_PRIVATE).expect("Ed25519 key");
            let public = Ed25519PublicKey::from_pem(crate::ED25519_PUBLIC).expect("Ed25519 key");
            (
                Box::new(move |c| pair.sign(c).expect("signs")),
                Box::new(move |t, o| public.verify_token::<AppClaims>(t, Some(o.clone()))),
            )
        }
    };
    let options = VerificationOptions {
        allowed_issuers: Some(HashSet::from([crate::ISSUER.to_owned()])),
        allowed_audiences: Some(HashSet::from([crate::AUDIENCE.to_owned()])),
        ..Default::default()
    };
    Box::new(JwtSimple {
        sign,
        verify,
        options,
    })
}

impl Peer for JwtSimple {
    fn name(&self) -> String {
        "jwt-simple 0.15 (pure-rust)".to_owned()
    }

    fn sign(&self) -> String {
        let claims = Claims::with_custom_claims(
            AppClaims {
                role: crate::ROLE.to_owned(),
                scope: crate::SCOPE.to_owned(),
            },
            Duration::from_secs(crate::LIFETIME),
        )
        .with_issuer(crate::ISSUER)
        .with_subject(crate::SUBJECT)
        .with_audience(crate::AUDIENCE)
        .with_jwt_id(crate::JWT_ID);
        (self.sign)(claims)
    }

    fn verify(&self, token: &str) -> Result<bool, String> {
        let claims = (self.verify)(token, &self.options).map_err(|e| e.to_string())?;
        Ok(claims.subject.as_deref() == Some(crate::SUBJECT))
    }
}
