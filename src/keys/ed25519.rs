//! Ed25519 keys (EdDSA, RFC 8037; also named `Ed25519`, RFC 9864).

use ring::signature::{self, Ed25519KeyPair, KeyPair as _};

use crate::Error;

pub(crate) const KEY_LEN: usize = 32;

/// An Ed25519 public key (32 bytes).
#[derive(Clone)]
pub(crate) struct Ed25519PublicKey([u8; KEY_LEN]);

impl Ed25519PublicKey {
    pub(crate) fn new(public: &[u8]) -> Result<Self, Error> {
        public
            .try_into()
            .map(Ed25519PublicKey)
            .map_err(|_| Error::InvalidKey("Ed25519 public key must be 32 bytes".into()))
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub(crate) fn verify(&self, message: &[u8], sig: &[u8]) -> Result<(), Error> {
        signature::UnparsedPublicKey::new(&signature::ED25519, &self.0)
            .verify(message, sig)
            .map_err(|_| Error::InvalidSignature)
    }
}

/// An Ed25519 private key: ring's key pair, built once, plus the seed for export.
pub(crate) struct Ed25519PrivateKey {
    pair: Ed25519KeyPair,
    public: Ed25519PublicKey,
    seed: [u8; KEY_LEN],
}

impl Ed25519PrivateKey {
    /// From the 32-byte seed; a given public key must match it.
    pub(crate) fn new(seed: &[u8], public: Option<&[u8]>) -> Result<Self, Error> {
        let seed: [u8; KEY_LEN] = seed
            .try_into()
            .map_err(|_| Error::InvalidKey("Ed25519 private key must be 32 bytes".into()))?;
        let pair = match public {
            Some(public) => Ed25519KeyPair::from_seed_and_public_key(&seed, public),
            None => Ed25519KeyPair::from_seed_unchecked(&seed),
        }
        .map_err(|e| Error::InvalidKey(format!("Ed25519 private key rejected ({})", e).into()))?;
        let public = Ed25519PublicKey::new(pair.public_key().as_ref())?;
        Ok(Ed25519PrivateKey { pair, public, seed })
    }

    /// A new random key.
    pub(crate) fn generate() -> Result<Self, Error> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(super::rng())
            .map_err(|_| Error::Signing("the system random generator failed".into()))?;
        match super::formats::parse_private_der(pkcs8.as_ref())? {
            super::formats::PrivateMaterial::Ed25519 { seed, public } => {
                Ed25519PrivateKey::new(seed, public)
            }
            _ => Err(Error::InvalidKey("unexpected generated key".into())),
        }
    }

    pub(crate) fn public(&self) -> &Ed25519PublicKey {
        &self.public
    }

    pub(crate) fn seed(&self) -> &[u8] {
        &self.seed
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }
}
