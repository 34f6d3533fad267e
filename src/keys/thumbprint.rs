//! JWK thumbprints (RFC 7638; RFC 8037 §2 for OKP keys).

use super::{PublicKind, SigningKey, VerifyingKey};
use crate::base64url;

/// The SHA-256 thumbprint of a key: the hash of its required JWK members, in lexicographic
/// order, as JSON without whitespace. Member values are base64url text and need no escaping.
fn thumbprint(kind: &PublicKind) -> String {
    let b64 = base64url::encode;
    let json = match kind {
        PublicKind::Hmac(h) => format!(r#"{{"k":"{}","kty":"oct"}}"#, b64(h.secret())),
        PublicKind::Rsa(k) => format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            b64(k.e()),
            b64(k.n())
        ),
        PublicKind::Ec(k) => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            k.curve().jwk_name(),
            b64(k.x()),
            b64(k.y())
        ),
        PublicKind::Ed25519(k) => {
            format!(
                r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                b64(k.bytes())
            )
        }
    };
    b64(ring::digest::digest(&ring::digest::SHA256, json.as_bytes()).as_ref())
}

impl VerifyingKey {
    /// The RFC 7638 JWK thumbprint of the key (SHA-256, base64url), for every key type.
    ///
    /// # Security
    /// For an HMAC key this is a hash of the secret: it identifies the secret without revealing
    /// it, but a low-entropy secret could be guessed from it.
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.kind)
    }

    /// Sets the key identifier to the key's [thumbprint](VerifyingKey::thumbprint).
    #[must_use]
    pub fn with_thumbprint_kid(self) -> Self {
        let kid = self.thumbprint();
        self.with_key_id(kid)
    }
}

impl SigningKey {
    /// The RFC 7638 thumbprint of the key's public half; equal to that of
    /// [`verifying_key`](SigningKey::verifying_key).
    pub fn thumbprint(&self) -> String {
        self.verifying_key().thumbprint()
    }

    /// Sets the key identifier to the key's [thumbprint](SigningKey::thumbprint), so tokens it
    /// signs carry it as `kid`.
    #[must_use]
    pub fn with_thumbprint_kid(self) -> Self {
        let kid = self.thumbprint();
        self.with_key_id(kid)
    }
}
