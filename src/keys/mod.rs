//! Keys, each bound to one algorithm family (and optionally one algorithm).
//!
//! All calls into ring are made from this module and its children; ring types never appear in the
//! public API. Key material is parsed and checked once, at construction.

use std::fmt;
use std::sync::OnceLock;

use crate::{Algorithm, Error, KeyFamily};

mod der;
mod ec;
mod ed25519;
mod formats;
mod hmac;
mod jwk;
mod pem;
mod random;
mod rsa;
mod thumbprint;

pub(crate) use random::random_bytes;

pub use jwk::{Jwk, JwkSet};

use ec::{Curve, EcPrivateKey, EcPublicKey};
use ed25519::{Ed25519PrivateKey, Ed25519PublicKey};
use formats::{PrivateMaterial, PublicMaterial, RsaScheme};
use hmac::HmacKey;
use rsa::{RsaPrivateKey, RsaPrivateParts, RsaPublicKey};

/// The one system random generator, used for ECDSA nonces, PSS salts and key generation.
fn rng() -> &'static ring::rand::SystemRandom {
    static RNG: OnceLock<ring::rand::SystemRandom> = OnceLock::new();
    RNG.get_or_init(ring::rand::SystemRandom::new)
}

/// Usage restrictions and identity of a key, shared by public and private keys.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyMeta {
    /// `use` as given in a JWK (`sig`, `enc`, or other).
    pub(crate) use_: Option<String>,
    /// `key_ops` as given in a JWK.
    pub(crate) key_ops: Option<Vec<String>>,
    pub(crate) kid: Option<String>,
    pub(crate) alg: Option<Algorithm>,
    /// `use` other than `sig`, or `key_ops` without the key's operation (`verify` for a public
    /// key, `sign` for a private key): the key never verifies or signs.
    pub(crate) not_for_signatures: bool,
    /// An RSA key from an `id-RSASSA-PSS` encoding: PSS only, never PKCS#1 v1.5.
    pub(crate) pss_only: bool,
}

const fn is_pss(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512)
}

impl KeyMeta {
    fn for_rsa_scheme(scheme: RsaScheme) -> KeyMeta {
        KeyMeta {
            pss_only: scheme != RsaScheme::Any,
            alg: match scheme {
                RsaScheme::Pss(alg) => Some(alg),
                RsaScheme::Any | RsaScheme::PssAny => None,
            },
            ..KeyMeta::default()
        }
    }

    fn rsa_scheme(&self) -> RsaScheme {
        match self.alg {
            Some(alg) if self.pss_only && is_pss(alg) => RsaScheme::Pss(alg),
            _ if self.pss_only => RsaScheme::PssAny,
            _ => RsaScheme::Any,
        }
    }

    /// Whether a key of `family` with these restrictions may be used with `alg`.
    fn permits(&self, family: KeyFamily, alg: Algorithm) -> bool {
        !self.not_for_signatures
            && alg.family() == family
            && self.alg.is_none_or(|bound| bound == alg)
            && (!self.pss_only || is_pss(alg))
    }

    /// Checks that `alg` fits a key of `family` (before binding it).
    fn check_binding(&self, family: KeyFamily, alg: Algorithm) -> Result<(), Error> {
        if alg.family() != family {
            return Err(Error::InvalidKey(
                format!("{alg} does not fit a {family:?} key").into(),
            ));
        }
        if let Some(bound) = self.alg.filter(|bound| *bound != alg) {
            return Err(Error::InvalidKey(
                format!("the key is already bound to {bound}").into(),
            ));
        }
        if self.pss_only && !is_pss(alg) {
            return Err(Error::InvalidKey(
                format!("{alg} does not fit an RSASSA-PSS key").into(),
            ));
        }
        Ok(())
    }

    fn not_found(&self, alg: Algorithm) -> Error {
        Error::KeyNotFound {
            kid: self
                .kid
                .as_deref()
                .map_or_else(|| "none".to_owned(), crate::error::excerpt),
            alg,
        }
    }

    /// The metadata of the public half of a private key: the same identity and restrictions,
    /// with `sign` in `key_ops` turned into `verify`.
    fn public_half(&self) -> KeyMeta {
        let mut meta = self.clone();
        if let Some(ops) = &mut meta.key_ops {
            let mut public_ops: Vec<String> = Vec::with_capacity(ops.len());
            for op in ops.drain(..) {
                let op = if op == "sign" {
                    "verify".to_owned()
                } else {
                    op
                };
                if !public_ops.contains(&op) {
                    public_ops.push(op);
                }
            }
            *ops = public_ops;
        }
        meta
    }
}

#[derive(Clone)]
enum PublicKind {
    /// Boxed: the three prepared ring HMAC keys are large.
    Hmac(Box<HmacKey>),
    Rsa(RsaPublicKey),
    Ec(EcPublicKey),
    Ed25519(Ed25519PublicKey),
}

impl PublicKind {
    fn family(&self) -> KeyFamily {
        match self {
            PublicKind::Hmac(_) => KeyFamily::Hmac,
            PublicKind::Rsa(_) => KeyFamily::Rsa,
            PublicKind::Ec(k) => k.curve().family(),
            PublicKind::Ed25519(_) => KeyFamily::Ed25519,
        }
    }
}

enum PrivateKind {
    Hmac(HmacKey),
    Rsa(RsaPrivateKey),
    Ec(EcPrivateKey),
    Ed25519(Ed25519PrivateKey),
}

impl PrivateKind {
    fn family(&self) -> KeyFamily {
        match self {
            PrivateKind::Hmac(_) => KeyFamily::Hmac,
            PrivateKind::Rsa(_) => KeyFamily::Rsa,
            PrivateKind::Ec(k) => k.public().curve().family(),
            PrivateKind::Ed25519(_) => KeyFamily::Ed25519,
        }
    }
}

fn encrypted_pem() -> Error {
    Error::InvalidKey(
        "encrypted private keys are not supported; decrypt first (openssl pkcs8 -in KEY -out \
         PLAIN)"
            .into(),
    )
}

fn unsupported_label(label: &str) -> Error {
    let hint = if label == "CERTIFICATE" {
        "certificates are not supported; extract the public key (openssl x509 -pubkey -noout)"
    } else {
        "unsupported PEM label (PUBLIC KEY, RSA PUBLIC KEY, PRIVATE KEY, RSA PRIVATE KEY and EC \
         PRIVATE KEY are supported)"
    };
    Error::InvalidKey(hint.into())
}

/// A key that verifies signatures: an HMAC secret or a public key.
///
/// A key belongs to one [`KeyFamily`] and may be bound to one [`Algorithm`]; it verifies only
/// signatures of algorithms it [supports](VerifyingKey::supports), so algorithm confusion (an RSA
/// public key used as an HMAC secret, a PS256 token checked with a key meant for RS256) cannot
/// happen. Public keys are parsed and validated once, when the key is built; validating an EC
/// point costs about as much as one signature check (P-256 ~30 µs, P-384 ~250 µs), so build keys
/// once and share them (`KeySet`, an `Arc`), never per token. `Debug` shows the family, algorithm
/// and key id, never secret material.
///
/// ```
/// use tessera::{Algorithm, SigningKey};
/// let signing = SigningKey::generate(Algorithm::ES256)?;
/// let signature = signing.sign_with(Algorithm::ES256, b"header.payload")?;
/// let verifying = signing.verifying_key();
/// verifying.verify_signature(Algorithm::ES256, b"header.payload", &signature)?;
/// assert!(!verifying.supports(Algorithm::HS256));
/// # Ok::<(), tessera::Error>(())
/// ```
#[derive(Clone)]
pub struct VerifyingKey {
    kind: PublicKind,
    meta: KeyMeta,
}

impl VerifyingKey {
    fn new(kind: PublicKind, meta: KeyMeta) -> Self {
        VerifyingKey { kind, meta }
    }

    /// An HMAC secret. Secrets shorter than 32 bytes are refused; a secret is also refused at
    /// verification time for an algorithm whose hash is longer than it (RFC 7518 §3.2).
    ///
    /// # Security
    /// The same secret signs: anyone holding this key can make tokens it accepts.
    ///
    /// # Errors
    /// [`Error::WeakKey`] when the secret is shorter than 32 bytes; [`Error::InvalidKey`] when it
    /// is longer than 1024 bytes.
    pub fn hmac(secret: &[u8]) -> Result<Self, Error> {
        Ok(VerifyingKey::new(
            PublicKind::Hmac(Box::new(HmacKey::new(secret)?)),
            KeyMeta::default(),
        ))
    }

    /// An RSA public key from its modulus `n` and public exponent `e`, big-endian unsigned
    /// (leading zero bytes are ignored).
    ///
    /// # Errors
    /// [`Error::WeakKey`] for a modulus under 2048 bits or one with the ROCA fingerprint
    /// (CVE-2017-15361); [`Error::InvalidKey`] for a modulus over 8192 bits, an even modulus, or
    /// an exponent that is even, below 3 or at least 2^33.
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<Self, Error> {
        Ok(VerifyingKey::new(
            PublicKind::Rsa(RsaPublicKey::new(n, e)?),
            KeyMeta::default(),
        ))
    }

    /// An ECDSA P-256 public key from its uncompressed SEC1 point (`04‖x‖y`, 65 bytes).
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when the point is not an uncompressed point on P-256.
    pub fn ec_p256(point: &[u8]) -> Result<Self, Error> {
        Ok(VerifyingKey::new(
            PublicKind::Ec(EcPublicKey::new(Curve::P256, point)?),
            KeyMeta::default(),
        ))
    }

    /// An ECDSA P-384 public key from its uncompressed SEC1 point (`04‖x‖y`, 97 bytes).
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when the point is not an uncompressed point on P-384.
    pub fn ec_p384(point: &[u8]) -> Result<Self, Error> {
        Ok(VerifyingKey::new(
            PublicKind::Ec(EcPublicKey::new(Curve::P384, point)?),
            KeyMeta::default(),
        ))
    }

    /// An Ed25519 public key from its 32 bytes.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when `public` is not 32 bytes long.
    pub fn ed25519(public: &[u8]) -> Result<Self, Error> {
        Ok(VerifyingKey::new(
            PublicKind::Ed25519(Ed25519PublicKey::new(public)?),
            KeyMeta::default(),
        ))
    }

    fn from_material(material: PublicMaterial<'_>) -> Result<Self, Error> {
        Ok(match material {
            PublicMaterial::Rsa { n, e, scheme } => VerifyingKey::new(
                PublicKind::Rsa(RsaPublicKey::new(n, e)?),
                KeyMeta::for_rsa_scheme(scheme),
            ),
            PublicMaterial::Ec { curve, point } => VerifyingKey::new(
                PublicKind::Ec(EcPublicKey::new(curve, point)?),
                KeyMeta::default(),
            ),
            PublicMaterial::Ed25519 { public } => VerifyingKey::ed25519(public)?,
        })
    }

    /// A public key from DER: a SubjectPublicKeyInfo (RSA, RSASSA-PSS, EC P-256/P-384 or
    /// Ed25519) or a PKCS#1 `RSAPublicKey`, told apart by content.
    ///
    /// An `id-RSASSA-PSS` key verifies PSS signatures only; when its parameters are given they
    /// must be those of PS256, PS384 or PS512, and the key is bound to that algorithm.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for malformed DER, unsupported algorithms or curves, or invalid key
    /// material; [`Error::WeakKey`] as for [`VerifyingKey::rsa`].
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        VerifyingKey::from_material(formats::parse_public_der(der)?)
    }

    /// A public key from PEM text, detected by its label: `PUBLIC KEY` (SubjectPublicKeyInfo),
    /// `RSA PUBLIC KEY` (PKCS#1), or any private key accepted by [`SigningKey::from_pem`], whose
    /// public half is returned.
    ///
    /// Text before the `BEGIN` line is ignored; the input must hold exactly one key (an
    /// `EC PARAMETERS` block is skipped).
    ///
    /// ```
    /// let pem = "-----BEGIN PUBLIC KEY-----
    /// MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
    /// -----END PUBLIC KEY-----";
    /// let key = tessera::VerifyingKey::from_pem(pem)?;
    /// assert_eq!(key.family(), tessera::KeyFamily::Ed25519);
    /// # Ok::<(), tessera::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for malformed PEM or DER, encrypted keys, certificates and
    /// unsupported keys; [`Error::WeakKey`] as for [`VerifyingKey::rsa`].
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        let block = pem::single_key_block(pem)?;
        match block.label.as_str() {
            "PUBLIC KEY" => VerifyingKey::from_material(formats::parse_spki(&block.der)?),
            "RSA PUBLIC KEY" => {
                VerifyingKey::from_material(formats::parse_pkcs1_public(&block.der)?)
            }
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                Ok(SigningKey::from_pem_block(&block)?.verifying_key())
            }
            "ENCRYPTED PRIVATE KEY" => Err(encrypted_pem()),
            other => Err(unsupported_label(other)),
        }
    }

    fn material(&self) -> Option<PublicMaterial<'_>> {
        Some(match &self.kind {
            PublicKind::Hmac(_) => return None,
            PublicKind::Rsa(k) => PublicMaterial::Rsa {
                n: k.n(),
                e: k.e(),
                scheme: self.meta.rsa_scheme(),
            },
            PublicKind::Ec(k) => PublicMaterial::Ec {
                curve: k.curve(),
                point: k.point(),
            },
            PublicKind::Ed25519(k) => PublicMaterial::Ed25519 { public: k.bytes() },
        })
    }

    /// The public key as SubjectPublicKeyInfo DER.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for an HMAC secret, which has no public encoding.
    pub fn to_der(&self) -> Result<Vec<u8>, Error> {
        self.material()
            .map(|m| formats::write_spki(&m))
            .ok_or_else(|| Error::InvalidKey("an HMAC secret has no public key encoding".into()))
    }

    /// The public key as PEM (`PUBLIC KEY`, SubjectPublicKeyInfo).
    ///
    /// # Errors
    /// As [`VerifyingKey::to_der`].
    pub fn to_pem(&self) -> Result<String, Error> {
        Ok(pem::encode("PUBLIC KEY", &self.to_der()?))
    }

    /// The key's family.
    pub fn family(&self) -> KeyFamily {
        self.kind.family()
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
    /// [`Error::InvalidKey`] if the algorithm is of another family, is PKCS#1 v1.5 for an
    /// RSASSA-PSS key, or differs from the algorithm the key is already bound to (by a JWK's
    /// `alg`, RSASSA-PSS parameters or an earlier call); [`Error::WeakKey`] if an HMAC secret is shorter than the algorithm's hash
    /// output.
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Self, Error> {
        self.meta.check_binding(self.family(), alg)?;
        if let PublicKind::Hmac(h) = &self.kind {
            h.key_for(alg)?;
        }
        self.meta.alg = Some(alg);
        Ok(self)
    }

    /// Whether this key may verify a signature made with `alg`: same family, the bound algorithm
    /// (if any) is `alg`, and the key is not restricted to other uses (`use` other than `sig`,
    /// `key_ops` without `verify`).
    pub fn supports(&self, alg: Algorithm) -> bool {
        self.meta.permits(self.family(), alg)
    }

    /// Checks a raw `signature` over `message` with `alg` (for JWS, the message is the signing
    /// input `header.payload` as sent; ECDSA signatures are the fixed-size `r‖s` form, and any
    /// other form, such as DER, is refused).
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
            return Err(self.meta.not_found(alg));
        }
        match &self.kind {
            PublicKind::Hmac(h) => h.verify(alg, message, signature),
            PublicKind::Rsa(k) => k.verify(alg, message, signature),
            PublicKind::Ec(k) => k.verify(message, signature),
            PublicKind::Ed25519(k) => k.verify(message, signature),
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
///
/// Private keys are parsed into ring's key objects once, at construction. `Debug` shows the
/// family, algorithm and key id, never secret material.
///
/// ```
/// use tessera::{Algorithm, SigningKey};
/// let key = SigningKey::generate(Algorithm::EdDSA)?.with_key_id("k1");
/// let signature = key.sign_with(Algorithm::EdDSA, b"header.payload")?;
/// assert_eq!(signature.len(), 64);
/// # Ok::<(), tessera::Error>(())
/// ```
pub struct SigningKey {
    kind: PrivateKind,
    meta: KeyMeta,
}

impl SigningKey {
    fn new(kind: PrivateKind, meta: KeyMeta) -> Self {
        SigningKey { kind, meta }
    }

    /// An HMAC secret; see [`VerifyingKey::hmac`].
    ///
    /// # Errors
    /// [`Error::WeakKey`] when the secret is shorter than 32 bytes; [`Error::InvalidKey`] when it
    /// is longer than 1024 bytes.
    pub fn hmac(secret: &[u8]) -> Result<Self, Error> {
        Ok(SigningKey::new(
            PrivateKind::Hmac(HmacKey::new(secret)?),
            KeyMeta::default(),
        ))
    }

    /// A new random key for `alg`, bound to it: an HMAC secret of the hash output size for
    /// HS256/384/512, a P-256 or P-384 key for ES256/ES384, an Ed25519 key for EdDSA/Ed25519.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for RSA algorithms ("RSA key generation is not supported": ring
    /// cannot generate RSA keys; use `openssl genpkey -algorithm RSA`); [`Error::Signing`] if
    /// the system random generator fails.
    pub fn generate(alg: Algorithm) -> Result<Self, Error> {
        let kind = match alg.family() {
            KeyFamily::Hmac => PrivateKind::Hmac(HmacKey::generate(alg)?),
            KeyFamily::EcP256 => PrivateKind::Ec(EcPrivateKey::generate(Curve::P256)?),
            KeyFamily::EcP384 => PrivateKind::Ec(EcPrivateKey::generate(Curve::P384)?),
            KeyFamily::Ed25519 => PrivateKind::Ed25519(Ed25519PrivateKey::generate()?),
            KeyFamily::Rsa => {
                return Err(Error::InvalidKey(
                    "RSA key generation is not supported".into(),
                ));
            }
        };
        SigningKey::new(kind, KeyMeta::default()).with_algorithm(alg)
    }

    fn from_material(material: PrivateMaterial<'_>) -> Result<Self, Error> {
        Ok(match material {
            PrivateMaterial::Rsa { parts, scheme } => SigningKey::new(
                PrivateKind::Rsa(RsaPrivateKey::new(&parts)?),
                KeyMeta::for_rsa_scheme(scheme),
            ),
            PrivateMaterial::Ec { curve, d, point } => SigningKey::new(
                PrivateKind::Ec(EcPrivateKey::new(curve, d, point)?),
                KeyMeta::default(),
            ),
            PrivateMaterial::Ed25519 { seed, public } => SigningKey::new(
                PrivateKind::Ed25519(Ed25519PrivateKey::new(seed, public)?),
                KeyMeta::default(),
            ),
        })
    }

    /// A private key from DER, detected by content: PKCS#8 v1 or v2 (RSA, RSASSA-PSS, EC
    /// P-256/P-384, Ed25519), PKCS#1 `RSAPrivateKey`, or SEC1 `ECPrivateKey` (with or without
    /// its optional parameters; the public key must be present, as ring cannot derive it).
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for malformed DER, unsupported or inconsistent keys, RSA keys over
    /// 4096 bits (ring's signing limit), and EC keys without their public key;
    /// [`Error::WeakKey`] for RSA moduli under 2048 bits.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        SigningKey::from_material(formats::parse_private_der(der)?)
    }

    /// A private key from PEM text, detected by its label: `PRIVATE KEY` (PKCS#8),
    /// `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY` (SEC1, as written by
    /// `openssl ecparam -genkey`, whose `EC PARAMETERS` block is skipped).
    ///
    /// # Errors
    /// As [`SigningKey::from_der`]; also [`Error::InvalidKey`] for malformed PEM, public keys,
    /// encrypted keys and other labels.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        SigningKey::from_pem_block(&pem::single_key_block(pem)?)
    }

    fn from_pem_block(block: &pem::Block) -> Result<Self, Error> {
        let material = match block.label.as_str() {
            "PRIVATE KEY" => formats::parse_pkcs8(&block.der)?,
            "RSA PRIVATE KEY" => formats::parse_pkcs1_private(&block.der)?,
            "EC PRIVATE KEY" => formats::parse_sec1(&block.der)?,
            "ENCRYPTED PRIVATE KEY" => return Err(encrypted_pem()),
            "PUBLIC KEY" | "RSA PUBLIC KEY" => {
                return Err(Error::InvalidKey("a public key cannot sign".into()));
            }
            other => return Err(unsupported_label(other)),
        };
        SigningKey::from_material(material)
    }

    fn material(&self) -> Option<PrivateMaterial<'_>> {
        Some(match &self.kind {
            PrivateKind::Hmac(_) => return None,
            PrivateKind::Rsa(k) => {
                let [d, p, q, dp, dq, qi] = k.private_parts();
                PrivateMaterial::Rsa {
                    parts: RsaPrivateParts {
                        n: k.public().n(),
                        e: k.public().e(),
                        d,
                        p,
                        q,
                        dp,
                        dq,
                        qi,
                    },
                    scheme: self.meta.rsa_scheme(),
                }
            }
            PrivateKind::Ec(k) => PrivateMaterial::Ec {
                curve: k.public().curve(),
                d: k.d(),
                point: Some(k.public().point()),
            },
            PrivateKind::Ed25519(k) => PrivateMaterial::Ed25519 {
                seed: k.seed(),
                public: Some(k.public().bytes()),
            },
        })
    }

    /// The private key as PKCS#8 v1 DER.
    ///
    /// # Security
    /// The output is the secret key, unencrypted.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for an HMAC secret, which has no PKCS#8 form here (use
    /// [`SigningKey::to_jwk`]).
    pub fn to_der(&self) -> Result<Vec<u8>, Error> {
        self.material()
            .map(|m| formats::write_pkcs8(&m))
            .ok_or_else(|| Error::InvalidKey("an HMAC secret has no PKCS#8 encoding".into()))
    }

    /// The private key as PEM (`PRIVATE KEY`, PKCS#8 v1).
    ///
    /// # Security
    /// The output is the secret key, unencrypted.
    ///
    /// # Errors
    /// As [`SigningKey::to_der`].
    pub fn to_pem(&self) -> Result<String, Error> {
        Ok(pem::encode("PRIVATE KEY", &self.to_der()?))
    }

    /// The key's family.
    pub fn family(&self) -> KeyFamily {
        self.kind.family()
    }

    /// The algorithm this key signs with: the bound one, or its family's default (PS256 for an
    /// RSASSA-PSS key whose encoding names no parameters).
    pub fn algorithm(&self) -> Algorithm {
        self.meta.alg.unwrap_or_else(|| {
            if self.meta.pss_only {
                Algorithm::PS256
            } else {
                self.family().default_algorithm()
            }
        })
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
        self.meta.check_binding(self.family(), alg)?;
        if let PrivateKind::Hmac(h) = &self.kind {
            h.key_for(alg)?;
        }
        self.meta.alg = Some(alg);
        Ok(self)
    }

    /// The public half (for HMAC, the same secret) as a verifying key, with the same `kid`,
    /// `alg` and restrictions.
    pub fn verifying_key(&self) -> VerifyingKey {
        let kind = match &self.kind {
            PrivateKind::Hmac(h) => PublicKind::Hmac(Box::new(h.clone())),
            PrivateKind::Rsa(k) => PublicKind::Rsa(k.public().clone()),
            PrivateKind::Ec(k) => PublicKind::Ec(k.public().clone()),
            PrivateKind::Ed25519(k) => PublicKind::Ed25519(k.public().clone()),
        };
        VerifyingKey::new(kind, self.meta.public_half())
    }

    /// Signs `message` with `alg`, which must be of the key's family (and its bound algorithm, if
    /// any). ECDSA signatures are produced in the fixed-size `r‖s` form; PSS uses a random salt
    /// of the hash length.
    ///
    /// # Errors
    /// [`Error::KeyNotFound`] if the key does not support `alg`; [`Error::WeakKey`] if an HMAC
    /// secret is too short for `alg`; [`Error::Signing`] if ring or the random generator fails.
    pub fn sign_with(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
        if !self.meta.permits(self.family(), alg) {
            return Err(self.meta.not_found(alg));
        }
        match &self.kind {
            PrivateKind::Hmac(h) => h.sign(alg, message),
            PrivateKind::Rsa(k) => k.sign(alg, message),
            PrivateKind::Ec(k) => k.sign(message),
            PrivateKind::Ed25519(k) => Ok(k.sign(message)),
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

    /// HMAC tags are written straight to `out`; other signatures are made by
    /// [`SigningKey::sign_with`] and appended.
    fn sign_into(&self, signing_input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let alg = SigningKey::algorithm(self);
        match &self.kind {
            PrivateKind::Hmac(h) if self.meta.permits(self.family(), alg) => {
                h.sign_into(alg, signing_input, out)
            }
            _ => {
                out.extend_from_slice(&self.sign_with(alg, signing_input)?);
                Ok(())
            }
        }
    }
}
