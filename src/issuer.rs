//! The issuing side: signers.

use crate::{Algorithm, Error};

/// Something that signs tokens: the crate's own [`SigningKey`](crate::SigningKey), or a KMS/HSM
/// behind your own implementation.
pub trait Signer: Send + Sync {
    /// The algorithm the signatures are made with (written to the `alg` header).
    fn algorithm(&self) -> Algorithm;

    /// The key identifier written to the `kid` header, if any.
    fn key_id(&self) -> Option<&str>;

    /// Signs the JWS signing input (`BASE64URL(header) || '.' || BASE64URL(payload)`).
    ///
    /// # Errors
    /// [`Error::Signing`] (or another kind) when no signature can be made.
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, Error>;
}

impl<S: Signer + ?Sized> Signer for &S {
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }
    fn key_id(&self) -> Option<&str> {
        (**self).key_id()
    }
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, Error> {
        (**self).sign(signing_input)
    }
}

impl<S: Signer + ?Sized> Signer for std::sync::Arc<S> {
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }
    fn key_id(&self) -> Option<&str> {
        (**self).key_id()
    }
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, Error> {
        (**self).sign(signing_input)
    }
}

impl<S: Signer + ?Sized> Signer for Box<S> {
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }
    fn key_id(&self) -> Option<&str> {
        (**self).key_id()
    }
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, Error> {
        (**self).sign(signing_input)
    }
}
