//! The floor: only the work no verifier can skip, written directly against ring, base64 and
//! serde_json. Split, decode the header into a borrowed struct and check `alg`, check the
//! signature with a key prepared once, decode the claims into a borrowed struct, check `exp`,
//! `iss` and `aud`. No size limit, no duplicate-member check, no `crit`/`typ` handling, no error
//! detail: it is a lower bound, not a verifier to use.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::SystemRandom;
use ring::signature::{self, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use crate::{Alg, Peer};

pub const NAME: &str = "floor (ring + base64 + serde_json)";

enum Keys {
    Hmac(hmac::Key),
    Rsa(signature::RsaKeyPair, UnparsedPublicKey<Vec<u8>>),
    Ecdsa(signature::EcdsaKeyPair, UnparsedPublicKey<Vec<u8>>),
    Ed25519(signature::Ed25519KeyPair, UnparsedPublicKey<Vec<u8>>),
}

pub struct Floor {
    alg: Alg,
    keys: Keys,
    /// `BASE64URL({"alg":…,"typ":"JWT"}) || '.'`
    header_prefix: String,
    rng: SystemRandom,
}

#[derive(Deserialize)]
struct HeaderIn<'a> {
    #[serde(borrow)]
    alg: &'a str,
}

#[derive(Deserialize)]
#[allow(dead_code)] // read to prove decoding, as a caller would
struct ClaimsIn<'a> {
    #[serde(borrow)]
    iss: &'a str,
    #[serde(borrow)]
    sub: &'a str,
    #[serde(borrow)]
    aud: &'a str,
    exp: u64,
    #[serde(borrow)]
    role: &'a str,
    #[serde(borrow)]
    scope: &'a str,
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

fn der_of(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body")
}

impl Floor {
    pub fn new(alg: Alg) -> Option<Floor> {
        let keys = match alg {
            Alg::HS256 => Keys::Hmac(hmac::Key::new(hmac::HMAC_SHA256, crate::HMAC_SECRET)),
            Alg::RS256 => {
                let pair = signature::RsaKeyPair::from_pkcs8(&der_of(crate::RSA_PRIVATE)).ok()?;
                let public = UnparsedPublicKey::new(
                    &signature::RSA_PKCS1_2048_8192_SHA256,
                    pair.public_key().as_ref().to_vec(),
                );
                Keys::Rsa(pair, public)
            }
            Alg::ES256 => {
                let pair = signature::EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &der_of(crate::P256_PRIVATE),
                    &SystemRandom::new(),
                )
                .ok()?;
                let public = UnparsedPublicKey::new(
                    &signature::ECDSA_P256_SHA256_FIXED,
                    pair.public_key().as_ref().to_vec(),
                );
                Keys::Ecdsa(pair, public)
            }
            Alg::EdDSA => {
                let pair = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der_of(
                    crate::ED25519_PRIVATE,
                ))
                .ok()?;
                let public = UnparsedPublicKey::new(
                    &signature::ED25519,
                    pair.public_key().as_ref().to_vec(),
                );
                Keys::Ed25519(pair, public)
            }
        };
        let header = format!("{{\"alg\":\"{}\",\"typ\":\"JWT\"}}", alg.name());
        let mut header_prefix = URL_SAFE_NO_PAD.encode(header);
        header_prefix.push('.');
        Some(Floor {
            alg,
            keys,
            header_prefix,
            rng: SystemRandom::new(),
        })
    }

    fn check(&self, token: &str) -> Option<bool> {
        let (signing_input, sig_b64) = token.rsplit_once('.')?;
        let (header_b64, claims_b64) = signing_input.split_once('.')?;

        let mut header = [0u8; 256];
        let n = URL_SAFE_NO_PAD.decode_slice(header_b64, &mut header).ok()?;
        let h: HeaderIn<'_> = serde_json::from_slice(header.get(..n)?).ok()?;
        if h.alg != self.alg.name() {
            return None;
        }

        let mut sig = [0u8; 512];
        let n = URL_SAFE_NO_PAD.decode_slice(sig_b64, &mut sig).ok()?;
        let sig = sig.get(..n)?;
        let message = signing_input.as_bytes();
        let ok = match &self.keys {
            Keys::Hmac(k) => hmac::verify(k, message, sig).is_ok(),
            Keys::Rsa(_, p) | Keys::Ecdsa(_, p) | Keys::Ed25519(_, p) => {
                p.verify(message, sig).is_ok()
            }
        };
        if !ok {
            return None;
        }

        let mut claims = [0u8; 2048];
        let n = URL_SAFE_NO_PAD.decode_slice(claims_b64, &mut claims).ok()?;
        let c: ClaimsIn<'_> = serde_json::from_slice(claims.get(..n)?).ok()?;
        if c.exp <= crate::now() || c.iss != crate::ISSUER || c.aud != crate::AUDIENCE {
            return None;
        }
        std::hint::black_box((c.role, c.scope));
        Some(c.sub == crate::SUBJECT)
    }
}

impl Peer for Floor {
    fn name(&self) -> String {
        NAME.to_owned()
    }

    fn sign(&self) -> String {
        let now = crate::now();
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
        let json = serde_json::to_vec(&claims).expect("claims serialise");
        let mut token = String::with_capacity(self.header_prefix.len() + json.len() * 4 / 3 + 360);
        token.push_str(&self.header_prefix);
        URL_SAFE_NO_PAD.encode_string(&json, &mut token);
        let message = token.as_bytes();
        let sig: Vec<u8> = match &self.keys {
            Keys::Hmac(k) => hmac::sign(k, message).as_ref().to_vec(),
            Keys::Rsa(pair, _) => {
                let mut sig = vec![0u8; pair.public().modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
                    .expect("RSA signs");
                sig
            }
            Keys::Ecdsa(pair, _) => pair
                .sign(&self.rng, message)
                .expect("ECDSA signs")
                .as_ref()
                .to_vec(),
            Keys::Ed25519(pair, _) => pair.sign(message).as_ref().to_vec(),
        };
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&sig, &mut token);
        token
    }

    fn verify(&self, token: &str) -> Result<bool, String> {
        self.check(token).ok_or_else(|| "rejected".to_owned())
    }
}
