//! Keys, each bound to one algorithm family (and optionally one algorithm).
//!
//! All calls into ring are made from this module and its children; ring types never appear in the
//! public API.

use std::fmt;

use crate::{Algorithm, Error, KeyFamily};

mod jwk;
mod random;

pub(crate) use random::random_bytes;

pub use jwk::{Jwk, JwkSet};

/// Usage restrictions and identity of a key, shared by public and private keys.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyMeta {
    /// `use` as given in a JWK (`sig`, `enc`, or other).
    pub(crate) use_: Option<String>,
    /// `key_ops` as given in a JWK.
    pub(crate) key_ops: Option<Vec<String>>,
    pub(crate) kid: Option<String>,
    pub(crate) alg: Option<Algorithm>,
    /// `use: enc` (or `key_ops` without `verify`) marks a key that must never verify signatures.
    pub(crate) not_for_signatures: bool,
}

enum PublicKind {
    Hmac(HmacKey),
}

struct HmacKey {
    secret: Vec<u8>,
    k256: ring::hmac::Key,
    k384: ring::hmac::Key,
    k512: ring::hmac::Key,
}

impl HmacKey {
    fn new(secret: &[u8]) -> Result<Self, Error> {
        if secret.len() < 32 {
            return Err(Error::WeakKey(
                "HMAC secret shorter than 32 bytes (RFC 7518 §3.2)".into(),
            ));
        }
        Ok(HmacKey {
            secret: secret.to_vec(),
            k256: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
            k384: ring::hmac::Key::new(ring::hmac::HMAC_SHA384, secret),
            k512: ring::hmac::Key::new(ring::hmac::HMAC_SHA512, secret),
        })
    }

    fn key_for(&self, alg: Algorithm) -> Result<&ring::hmac::Key, Error> {
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
}

/// A key that verifies signatures: an HMAC secret or a public key.
pub struct VerifyingKey {
    kind: PublicKind,
    meta: KeyMeta,
}

impl VerifyingKey {
    /// An HMAC secret. Secrets shorter than 32 bytes are refused; a secret is also refused at
    /// verification time for an algorithm whose hash is longer than it (RFC 7518 §3.2).
    ///
    /// # Errors
    /// [`Error::WeakKey`] when the secret is shorter than 32 bytes.
    pub fn hmac(secret: &[u8]) -> Result<Self, Error> {
        Ok(VerifyingKey {
            kind: PublicKind::Hmac(HmacKey::new(secret)?),
            meta: KeyMeta::default(),
        })
    }

    /// The key's family.
    pub fn family(&self) -> KeyFamily {
        match self.kind {
            PublicKind::Hmac(_) => KeyFamily::Hmac,
        }
    }

    /// The one algorithm this key is bound to, if any.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.meta.alg
    }

    /// The key's identifier (`kid`), if any.
    pub fn key_id(&self) -> Option<&str> {
        self.meta.kid.as_deref()
    }

    /// Sets the key identifier.
    #[must_use]
    pub fn with_key_id(mut self, kid: impl Into<String>) -> Self {
        self.meta.kid = Some(kid.into());
        self
    }

    /// Binds the key to one algorithm of its family.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] if the algorithm is of another family; [`Error::WeakKey`] if an HMAC
    /// secret is shorter than the algorithm's hash output.
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Self, Error> {
        if alg.family() != self.family() {
            return Err(Error::InvalidKey(
                format!("{alg} does not fit a {:?} key", self.family()).into(),
            ));
        }
        if let PublicKind::Hmac(h) = &self.kind {
            h.key_for(alg)?;
        }
        self.meta.alg = Some(alg);
        Ok(self)
    }

    /// Whether this key may verify a signature made with `alg`: same family, the bound algorithm
    /// (if any) is `alg`, and the key is not marked for encryption only.
    pub fn supports(&self, alg: Algorithm) -> bool {
        !self.meta.not_for_signatures
            && alg.family() == self.family()
            && self.meta.alg.is_none_or(|bound| bound == alg)
    }

    /// Checks a raw `signature` over `message` with `alg` (for JWS, the message is the signing
    /// input `header.payload` as sent; ECDSA signatures are the fixed-size `r‖s` form).
    ///
    /// # Errors
    /// [`Error::KeyNotFound`] if the key does not support `alg`; [`Error::WeakKey`] if an HMAC
    /// secret is too short for `alg`; [`Error::InvalidSignature`] if the signature does not verify.
    pub fn verify_signature(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        if !self.supports(alg) {
            return Err(Error::KeyNotFound {
                kid: self.meta.kid.clone().unwrap_or_else(|| "none".into()),
                alg,
            });
        }
        match &self.kind {
            PublicKind::Hmac(h) => ring::hmac::verify(h.key_for(alg)?, message, signature)
                .map_err(|_| Error::InvalidSignature),
        }
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("family", &self.family())
            .field("alg", &self.meta.alg)
            .field("kid", &self.meta.kid)
            .finish_non_exhaustive()
    }
}

/// A key that signs: an HMAC secret or a private key.
pub struct SigningKey {
    kind: PublicKind,
    meta: KeyMeta,
}

impl SigningKey {
    /// An HMAC secret; see [`VerifyingKey::hmac`].
    ///
    /// # Errors
    /// [`Error::WeakKey`] when the secret is shorter than 32 bytes.
    pub fn hmac(secret: &[u8]) -> Result<Self, Error> {
        Ok(SigningKey {
            kind: PublicKind::Hmac(HmacKey::new(secret)?),
            meta: KeyMeta::default(),
        })
    }

    /// The key's family.
    pub fn family(&self) -> KeyFamily {
        match self.kind {
            PublicKind::Hmac(_) => KeyFamily::Hmac,
        }
    }

    /// The algorithm this key signs with: the bound one, or its family's default.
    pub fn algorithm(&self) -> Algorithm {
        self.meta
            .alg
            .unwrap_or_else(|| self.family().default_algorithm())
    }

    /// The key's identifier (`kid`), if any.
    pub fn key_id(&self) -> Option<&str> {
        self.meta.kid.as_deref()
    }

    /// Sets the key identifier.
    #[must_use]
    pub fn with_key_id(mut self, kid: impl Into<String>) -> Self {
        self.meta.kid = Some(kid.into());
        self
    }

    /// Binds the key to one algorithm of its family.
    ///
    /// # Errors
    /// As [`VerifyingKey::with_algorithm`].
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Self, Error> {
        if alg.family() != self.family() {
            return Err(Error::InvalidKey(
                format!("{alg} does not fit a {:?} key", self.family()).into(),
            ));
        }
        if let PublicKind::Hmac(h) = &self.kind {
            h.key_for(alg)?;
        }
        self.meta.alg = Some(alg);
        Ok(self)
    }

    /// The public half (for HMAC, the same secret) as a verifying key, with the same `kid` and `alg`.
    pub fn verifying_key(&self) -> VerifyingKey {
        match &self.kind {
            PublicKind::Hmac(h) => VerifyingKey {
                kind: PublicKind::Hmac(HmacKey {
                    secret: h.secret.clone(),
                    k256: h.k256.clone(),
                    k384: h.k384.clone(),
                    k512: h.k512.clone(),
                }),
                meta: self.meta.clone(),
            },
        }
    }

    /// Signs `message` with `alg`, which must be of the key's family (and its bound algorithm, if
    /// any). ECDSA signatures are produced in the fixed-size `r‖s` form.
    ///
    /// # Errors
    /// [`Error::KeyNotFound`] if the key does not support `alg`; [`Error::WeakKey`] if an HMAC
    /// secret is too short for `alg`.
    pub fn sign_with(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
        if alg.family() != self.family() || self.meta.alg.is_some_and(|bound| bound != alg) {
            return Err(Error::KeyNotFound {
                kid: self.meta.kid.clone().unwrap_or_else(|| "none".into()),
                alg,
            });
        }
        match &self.kind {
            PublicKind::Hmac(h) => Ok(ring::hmac::sign(h.key_for(alg)?, message).as_ref().to_vec()),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("family", &self.family())
            .field("alg", &self.meta.alg)
            .field("kid", &self.meta.kid)
            .finish_non_exhaustive()
    }
}

impl crate::Signer for SigningKey {
    fn algorithm(&self) -> Algorithm {
        SigningKey::algorithm(self)
    }

    fn key_id(&self) -> Option<&str> {
        SigningKey::key_id(self)
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, Error> {
        self.sign_with(SigningKey::algorithm(self), signing_input)
    }
}
