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

// ---------------------------------------------------------------------------------------------
// Conversions between JWKs and keys.

use super::ec::{Curve, EcPrivateKey, EcPublicKey};
use super::ed25519::{self, Ed25519PrivateKey, Ed25519PublicKey};
use super::hmac::HmacKey;
use super::rsa::{RsaPrivateKey, RsaPrivateParts, RsaPublicKey};
use super::{KeyMeta, PrivateKind, PublicKind, SigningKey, VerifyingKey};
use crate::error::excerpt;
use crate::{Algorithm, KeyFamily, base64url};

fn invalid(detail: String) -> Error {
    Error::InvalidKey(detail.into())
}

/// A required member, strictly base64url-decoded.
fn member(value: Option<&String>, name: &str) -> Result<Vec<u8>, Error> {
    let text = value.ok_or_else(|| invalid(format!("JWK member {name} is missing")))?;
    base64url::decode(text.as_bytes()).ok_or_else(|| {
        invalid(format!(
            "JWK member {name} is not strict unpadded base64url"
        ))
    })
}

/// A required Base64urlUInt member with no leading zero octet (RFC 7518 §2).
fn minimal_uint(value: Option<&String>, name: &str) -> Result<Vec<u8>, Error> {
    let bytes = member(value, name)?;
    match bytes.as_slice() {
        [] => Err(invalid(format!("JWK member {name} is empty"))),
        [0, _, ..] => Err(invalid(format!(
            "JWK member {name} has a leading zero octet"
        ))),
        _ => Ok(bytes),
    }
}

/// A required member of exactly `len` bytes.
fn fixed(value: Option<&String>, name: &str, len: usize) -> Result<Vec<u8>, Error> {
    let bytes = member(value, name)?;
    if bytes.len() == len {
        Ok(bytes)
    } else {
        Err(invalid(format!("JWK member {name} must be {len} bytes")))
    }
}

fn ec_curve(jwk: &Jwk) -> Result<Curve, Error> {
    let name = jwk
        .crv
        .as_deref()
        .ok_or_else(|| invalid("JWK member crv is missing".to_owned()))?;
    Curve::from_jwk_name(name).ok_or_else(|| {
        invalid(format!(
            "unsupported EC curve {} (P-256 and P-384 are supported)",
            excerpt(name)
        ))
    })
}

fn okp_curve(jwk: &Jwk) -> Result<(), Error> {
    match jwk.crv.as_deref() {
        Some("Ed25519") => Ok(()),
        Some(other) => Err(invalid(format!(
            "unsupported OKP curve {} (Ed25519 is supported)",
            excerpt(other)
        ))),
        None => Err(invalid("JWK member crv is missing".to_owned())),
    }
}

fn ec_point(jwk: &Jwk, curve: Curve) -> Result<Vec<u8>, Error> {
    let len = curve.coordinate_len();
    let x = fixed(jwk.x.as_ref(), "x", len)?;
    let y = fixed(jwk.y.as_ref(), "y", len)?;
    let mut point = Vec::with_capacity(1 + 2 * len);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Ok(point)
}

fn unsupported_kty(kty: &str) -> Error {
    invalid(format!(
        "unsupported JWK kty {} (oct, RSA, EC and OKP are supported)",
        excerpt(kty)
    ))
}

/// `kid`, `alg`, `use` and `key_ops` of a JWK, for a key of `family` that performs `operation`
/// (`verify` or `sign`).
fn meta_from_jwk(jwk: &Jwk, family: KeyFamily, operation: &str) -> Result<KeyMeta, Error> {
    let not_for_signatures = jwk.use_.as_deref().is_some_and(|u| u != "sig")
        || jwk
            .key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|op| op == operation));
    let mut meta = KeyMeta {
        use_: jwk.use_.clone(),
        key_ops: jwk.key_ops.clone(),
        kid: jwk.kid.clone(),
        alg: None,
        not_for_signatures,
        pss_only: false,
    };
    if let Some(name) = &jwk.alg {
        let alg = Algorithm::from_name(name).map_err(|_| {
            invalid(format!(
                "JWK alg {} is not a signature algorithm this crate implements",
                excerpt(name)
            ))
        })?;
        meta.check_binding(family, alg)?;
        meta.alg = Some(alg);
    }
    Ok(meta)
}

fn hmac_from_jwk(jwk: &Jwk, meta: &KeyMeta) -> Result<HmacKey, Error> {
    let key = HmacKey::new(&member(jwk.k.as_ref(), "k")?)?;
    if let Some(alg) = meta.alg {
        key.key_for(alg)?;
    }
    Ok(key)
}

fn set_meta(jwk: &mut Jwk, meta: &KeyMeta) {
    jwk.use_.clone_from(&meta.use_);
    jwk.key_ops.clone_from(&meta.key_ops);
    jwk.alg = meta.alg.map(|a| a.name().to_owned());
    jwk.kid.clone_from(&meta.kid);
}

fn public_jwk(kind: &PublicKind) -> Jwk {
    let b64 = |bytes: &[u8]| Some(base64url::encode(bytes));
    match kind {
        PublicKind::Hmac(h) => Jwk {
            kty: "oct".into(),
            k: b64(h.secret()),
            ..Jwk::default()
        },
        PublicKind::Rsa(k) => Jwk {
            kty: "RSA".into(),
            n: b64(k.n()),
            e: b64(k.e()),
            ..Jwk::default()
        },
        PublicKind::Ec(k) => Jwk {
            kty: "EC".into(),
            crv: Some(k.curve().jwk_name().into()),
            x: b64(k.x()),
            y: b64(k.y()),
            ..Jwk::default()
        },
        PublicKind::Ed25519(k) => Jwk {
            kty: "OKP".into(),
            crv: Some("Ed25519".into()),
            x: b64(k.bytes()),
            ..Jwk::default()
        },
    }
}

impl VerifyingKey {
    /// A key from a JWK (RFC 7517, RFC 7518 §6, RFC 8037): `RSA`, `EC` (P-256, P-384), `OKP`
    /// (Ed25519), or `oct`.
    ///
    /// The JWK's `kid` is kept; its `alg`, if present, binds the key to that algorithm (an
    /// algorithm of another family, or a name this crate does not implement, is refused); a
    /// `use` other than `sig`, or `key_ops` without `verify`, leaves a key that never verifies
    /// ([`supports`](VerifyingKey::supports) is false). Members are strictly base64url-decoded;
    /// `n` and `e` must have no leading zero octet; EC coordinates must be exactly the curve's
    /// size, and the point must be on the curve. Private members of an asymmetric JWK are
    /// ignored: its public half is used.
    ///
    /// # Security
    /// An `oct` JWK is a shared secret: it verifies, and the same secret signs.
    ///
    /// ```
    /// use tessera::{Jwk, VerifyingKey, KeyFamily};
    /// let jwk = Jwk::from_json(r#"{"kty":"OKP","crv":"Ed25519","kid":"k1",
    ///     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#)?;
    /// let key = VerifyingKey::from_jwk(&jwk)?;
    /// assert_eq!((key.family(), key.key_id()), (KeyFamily::Ed25519, Some("k1")));
    /// assert_eq!(key.thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    /// # Ok::<(), tessera::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for a missing, malformed or inconsistent member, an unsupported
    /// `kty` or curve, or an `alg` that does not fit; [`Error::WeakKey`] for short HMAC secrets
    /// and weak RSA moduli.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, Error> {
        let (kind, family) = match jwk.kty.as_str() {
            "oct" => {
                let meta = meta_from_jwk(jwk, KeyFamily::Hmac, "verify")?;
                return Ok(VerifyingKey::new(
                    PublicKind::Hmac(Box::new(hmac_from_jwk(jwk, &meta)?)),
                    meta,
                ));
            }
            "RSA" => {
                let n = minimal_uint(jwk.n.as_ref(), "n")?;
                let e = minimal_uint(jwk.e.as_ref(), "e")?;
                (PublicKind::Rsa(RsaPublicKey::new(&n, &e)?), KeyFamily::Rsa)
            }
            "EC" => {
                let curve = ec_curve(jwk)?;
                let point = ec_point(jwk, curve)?;
                (
                    PublicKind::Ec(EcPublicKey::new(curve, &point)?),
                    curve.family(),
                )
            }
            "OKP" => {
                okp_curve(jwk)?;
                let x = fixed(jwk.x.as_ref(), "x", ed25519::KEY_LEN)?;
                (
                    PublicKind::Ed25519(Ed25519PublicKey::new(&x)?),
                    KeyFamily::Ed25519,
                )
            }
            other => return Err(unsupported_kty(other)),
        };
        Ok(VerifyingKey::new(
            kind,
            meta_from_jwk(jwk, family, "verify")?,
        ))
    }

    /// The key as a JWK with its `kid`, `alg`, `use` and `key_ops`: public members only for
    /// asymmetric keys.
    ///
    /// # Security
    /// For an HMAC key the JWK is `oct` and holds the secret in `k`.
    pub fn to_jwk(&self) -> Jwk {
        let mut jwk = public_jwk(&self.kind);
        set_meta(&mut jwk, &self.meta);
        jwk
    }
}

impl SigningKey {
    /// A signing key from a private JWK: `oct` (`k`), `RSA` with all CRT members (`n`, `e`, `d`,
    /// `p`, `q`, `dp`, `dq`, `qi`), `EC` (`crv`, `x`, `y`, `d`) or `OKP` Ed25519 (`x`, `d`).
    ///
    /// `kid`, `alg` and `use` are honoured as by [`VerifyingKey::from_jwk`]; `key_ops` without
    /// `sign` leaves a key that never signs. The private and public members must match.
    ///
    /// # Errors
    /// As [`VerifyingKey::from_jwk`]; also [`Error::InvalidKey`] when private members are
    /// missing or do not match the public ones, and for RSA keys over 4096 bits.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, Error> {
        let (kind, family) = match jwk.kty.as_str() {
            "oct" => {
                let meta = meta_from_jwk(jwk, KeyFamily::Hmac, "sign")?;
                return Ok(SigningKey::new(
                    PrivateKind::Hmac(hmac_from_jwk(jwk, &meta)?),
                    meta,
                ));
            }
            "RSA" => {
                if jwk.d.is_some()
                    && [&jwk.p, &jwk.q, &jwk.dp, &jwk.dq, &jwk.qi]
                        .iter()
                        .any(|m| m.is_none())
                {
                    return Err(invalid(
                        "RSA private JWK without all of p, q, dp, dq and qi is not supported"
                            .to_owned(),
                    ));
                }
                let n = minimal_uint(jwk.n.as_ref(), "n")?;
                let e = minimal_uint(jwk.e.as_ref(), "e")?;
                let d = member(jwk.d.as_ref(), "d")?;
                let p = member(jwk.p.as_ref(), "p")?;
                let q = member(jwk.q.as_ref(), "q")?;
                let dp = member(jwk.dp.as_ref(), "dp")?;
                let dq = member(jwk.dq.as_ref(), "dq")?;
                let qi = member(jwk.qi.as_ref(), "qi")?;
                let parts = RsaPrivateParts {
                    n: &n,
                    e: &e,
                    d: &d,
                    p: &p,
                    q: &q,
                    dp: &dp,
                    dq: &dq,
                    qi: &qi,
                };
                (
                    PrivateKind::Rsa(RsaPrivateKey::new(&parts)?),
                    KeyFamily::Rsa,
                )
            }
            "EC" => {
                let curve = ec_curve(jwk)?;
                let point = ec_point(jwk, curve)?;
                let d = fixed(jwk.d.as_ref(), "d", curve.coordinate_len())?;
                (
                    PrivateKind::Ec(EcPrivateKey::new(curve, &d, Some(&point))?),
                    curve.family(),
                )
            }
            "OKP" => {
                okp_curve(jwk)?;
                let x = fixed(jwk.x.as_ref(), "x", ed25519::KEY_LEN)?;
                let d = fixed(jwk.d.as_ref(), "d", ed25519::KEY_LEN)?;
                (
                    PrivateKind::Ed25519(Ed25519PrivateKey::new(&d, Some(&x))?),
                    KeyFamily::Ed25519,
                )
            }
            other => return Err(unsupported_kty(other)),
        };
        Ok(SigningKey::new(kind, meta_from_jwk(jwk, family, "sign")?))
    }

    /// The key as a private JWK (public and private members) with its `kid`, `alg`, `use` and
    /// `key_ops`.
    ///
    /// # Security
    /// The JWK holds the secret key.
    pub fn to_jwk(&self) -> Jwk {
        let b64 = |bytes: &[u8]| Some(base64url::encode(bytes));
        let mut jwk = match &self.kind {
            PrivateKind::Hmac(h) => public_jwk(&PublicKind::Hmac(Box::new(h.clone()))),
            PrivateKind::Rsa(k) => {
                let [d, p, q, dp, dq, qi] = k.private_parts();
                Jwk {
                    kty: "RSA".into(),
                    n: b64(k.public().n()),
                    e: b64(k.public().e()),
                    d: b64(d),
                    p: b64(p),
                    q: b64(q),
                    dp: b64(dp),
                    dq: b64(dq),
                    qi: b64(qi),
                    ..Jwk::default()
                }
            }
            PrivateKind::Ec(k) => Jwk {
                d: b64(k.d()),
                ..public_jwk(&PublicKind::Ec(k.public().clone()))
            },
            PrivateKind::Ed25519(k) => Jwk {
                d: b64(k.seed()),
                ..public_jwk(&PublicKind::Ed25519(k.public().clone()))
            },
        };
        set_meta(&mut jwk, &self.meta);
        jwk
    }
}
