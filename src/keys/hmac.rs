//! HMAC secrets (HS256, HS384, HS512).

use crate::{Algorithm, Error};

/// The shortest secret accepted at all: the output size of SHA-256 (RFC 7518 §3.2).
const MIN_SECRET_LEN: usize = 32;

/// Longest secret accepted, so that a hostile JWK cannot make us hold megabytes.
const MAX_SECRET_LEN: usize = 1024;

/// An HMAC secret with one ring key per hash, prepared once.
#[derive(Clone)]
pub(crate) struct HmacKey {
    secret: Box<[u8]>,
    k256: ring::hmac::Key,
    k384: ring::hmac::Key,
    k512: ring::hmac::Key,
}

impl HmacKey {
    pub(crate) fn new(secret: &[u8]) -> Result<Self, Error> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(Error::WeakKey(
                "HMAC secret shorter than 32 bytes (RFC 7518 §3.2)".into(),
            ));
        }
        if secret.len() > MAX_SECRET_LEN {
            return Err(Error::InvalidKey(
                "HMAC secret longer than 1024 bytes".into(),
            ));
        }
        Ok(HmacKey {
            secret: secret.into(),
            k256: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
            k384: ring::hmac::Key::new(ring::hmac::HMAC_SHA384, secret),
            k512: ring::hmac::Key::new(ring::hmac::HMAC_SHA512, secret),
        })
    }

    /// A new random secret of the hash output size of `alg`.
    pub(crate) fn generate(alg: Algorithm) -> Result<Self, Error> {
        let len = alg
            .hmac_min_key_len()
            .ok_or_else(|| Error::InvalidKey("not an HMAC algorithm".into()))?;
        let mut secret = vec![0u8; len];
        ring::rand::SecureRandom::fill(super::rng(), &mut secret)
            .map_err(|_| Error::Signing("the system random generator failed".into()))?;
        HmacKey::new(&secret)
    }

    pub(crate) fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// The ring key for `alg`, after checking that the secret is long enough for it.
    pub(crate) fn key_for(&self, alg: Algorithm) -> Result<&ring::hmac::Key, Error> {
        let min = alg.hmac_min_key_len().ok_or_else(|| Error::KeyNotFound {
            kid: "none".into(),
            alg,
        })?;
        if self.secret.len() < min {
            return Err(Error::WeakKey(
                format!(
                    "HMAC secret of {} bytes is too short for {alg}",
                    self.secret.len()
                )
                .into(),
            ));
        }
        Ok(match alg {
            Algorithm::HS384 => &self.k384,
            Algorithm::HS512 => &self.k512,
            _ => &self.k256,
        })
    }

    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], tag: &[u8]) -> Result<(), Error> {
        ring::hmac::verify(self.key_for(alg)?, message, tag).map_err(|_| Error::InvalidSignature)
    }

    pub(crate) fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
        let mut tag = Vec::new();
        self.sign_into(alg, message, &mut tag)?;
        Ok(tag)
    }

    /// Signs, appending the tag to `out`.
    pub(crate) fn sign_into(
        &self,
        alg: Algorithm,
        message: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        out.extend_from_slice(ring::hmac::sign(self.key_for(alg)?, message).as_ref());
        Ok(())
    }
}
