//! JSON Web Keys (RFC 7517) and key sets, as data.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// A JSON Web Key as data (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2).
///
/// Parsing a `Jwk` checks only its JSON shape; [`VerifyingKey::from_jwk`](crate::VerifyingKey::from_jwk)
/// and [`SigningKey::from_jwk`](crate::SigningKey::from_jwk) check the key material. Members not
/// listed here (such as `x5c`) are ignored and never trusted. Private members are redacted from
/// `Debug` output.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Jwk {
    /// Key type: `oct`, `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// Intended use: `sig` or `enc`.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Permitted operations, such as `verify`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// The one algorithm this key is for (kept as text, so that sets naming algorithms this crate
    /// does not implement still parse).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Key identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Curve of an `EC` or `OKP` key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// `EC`: x coordinate; `OKP`: the public key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// `EC`: y coordinate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// `RSA`: modulus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// `RSA`: public exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Private: `EC`/`OKP` private key, `RSA` private exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// Private `RSA`: first prime factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<String>,
    /// Private `RSA`: second prime factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Private `RSA`: first factor CRT exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dp: Option<String>,
    /// Private `RSA`: second factor CRT exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dq: Option<String>,
    /// Private `RSA`: first CRT coefficient.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qi: Option<String>,
    /// Private `oct`: the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<String>,
}

impl Jwk {
    /// Parses a JWK from JSON text.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when the text is not a JWK object.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        serde_json::from_str(json).map_err(|e| Error::InvalidKey(format!("JWK: {e}").into()))
    }

    /// Serialises the JWK as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether the JWK holds private material (`d` or `k`).
    pub fn is_private(&self) -> bool {
        self.d.is_some() || self.k.is_some()
    }
}

impl fmt::Debug for Jwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("Jwk")
            .field("kty", &self.kty)
            .field("use", &self.use_)
            .field("key_ops", &self.key_ops)
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("crv", &self.crv)
            .field("x", &self.x)
            .field("y", &self.y)
            .field("n", &self.n)
            .field("e", &self.e)
            .field("d", &redact(&self.d))
            .field("p", &redact(&self.p))
            .field("q", &redact(&self.q))
            .field("dp", &redact(&self.dp))
            .field("dq", &redact(&self.dq))
            .field("qi", &redact(&self.qi))
            .field("k", &redact(&self.k))
            .finish()
    }
}

/// A JWK Set (RFC 7517 §5) as data: `{"keys": [...]}`.
///
/// Members that are not JSON objects with a string `kty` are skipped when parsing rather than
/// failing the whole set, as RFC 7517 §5 asks of keys a reader does not understand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// Parses a JWK Set from JSON text.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when the text is not an object with a `keys` array.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        #[derive(Deserialize)]
        struct Raw {
            keys: Vec<serde_json::Value>,
        }
        let raw: Raw = serde_json::from_str(json)
            .map_err(|e| Error::InvalidKey(format!("JWK Set: {e}").into()))?;
        let keys = raw
            .keys
            .into_iter()
            .filter_map(|v| serde_json::from_value::<Jwk>(v).ok())
            .collect();
        Ok(JwkSet { keys })
    }

    /// Serialises the set as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
