//! JWK thumbprints (RFC 7638; RFC 8037 §2 for OKP keys).

use super::{PublicKind, SigningKey, VerifyingKey};
use crate::base64url;

/// The SHA-256 thumbprint of a key: the hash of its required JWK members, in lexicographic
/// order, as JSON without whitespace. Member values are base64url text and need no escaping.
fn thumbprint(kind: &PublicKind) -> String {
    /// A member value: fixed text, or bytes written as base64url.
    enum V<'a> {
        Text(&'a str),
        Bytes(&'a [u8]),
    }
    let members: &[(&str, V<'_>)] = match kind {
        PublicKind::Hmac(h) => &[("k", V::Bytes(h.secret())), ("kty", V::Text("oct"))],
        PublicKind::Rsa(k) => &[
            ("e", V::Bytes(k.e())),
            ("kty", V::Text("RSA")),
            ("n", V::Bytes(k.n())),
        ],
        PublicKind::Ec(k) => &[
            ("crv", V::Text(k.curve().jwk_name())),
            ("kty", V::Text("EC")),
            ("x", V::Bytes(k.x())),
            ("y", V::Bytes(k.y())),
        ],
        PublicKind::Ed25519(k) => &[
            ("crv", V::Text("Ed25519")),
            ("kty", V::Text("OKP")),
            ("x", V::Bytes(k.bytes())),
        ],
    };
    let mut json = String::with_capacity(1200);
    for (i, (name, value)) in members.iter().enumerate() {
        json.push_str(if i == 0 { "{\"" } else { ",\"" });
        json.push_str(name);
        json.push_str("\":\"");
        match value {
            V::Text(text) => json.push_str(text),
            V::Bytes(bytes) => base64url::encode_into(bytes, &mut json),
        }
        json.push('"');
    }
    json.push('}');
    base64url::encode(ring::digest::digest(&ring::digest::SHA256, json.as_bytes()).as_ref())
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
