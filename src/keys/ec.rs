//! ECDSA keys on P-256 (ES256) and P-384 (ES384), with fixed-size `r‖s` signatures.

use ring::agreement;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _};

use crate::{Error, KeyFamily};

/// A curve this crate signs and verifies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

/// `prime256v1` (1.2.840.10045.3.1.7), DER content.
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// `secp384r1` (1.3.132.0.34), DER content.
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];

impl Curve {
    /// Bytes in a coordinate, a scalar, and half a signature.
    pub(crate) const fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }

    pub(crate) const fn family(self) -> KeyFamily {
        match self {
            Curve::P256 => KeyFamily::EcP256,
            Curve::P384 => KeyFamily::EcP384,
        }
    }

    pub(crate) const fn jwk_name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        }
    }

    pub(crate) fn from_jwk_name(name: &str) -> Option<Self> {
        match name {
            "P-256" => Some(Curve::P256),
            "P-384" => Some(Curve::P384),
            _ => None,
        }
    }

    pub(crate) const fn oid(self) -> &'static [u8] {
        match self {
            Curve::P256 => OID_P256,
            Curve::P384 => OID_P384,
        }
    }

    pub(crate) fn from_oid(oid: &[u8]) -> Option<Self> {
        match oid {
            OID_P256 => Some(Curve::P256),
            OID_P384 => Some(Curve::P384),
            _ => None,
        }
    }

    /// The curve whose uncompressed points are `len` bytes long.
    pub(crate) fn from_point_len(len: usize) -> Option<Self> {
        [Curve::P256, Curve::P384]
            .into_iter()
            .find(|c| 1 + 2 * c.coordinate_len() == len)
    }

    fn verification(self) -> &'static signature::EcdsaVerificationAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
        }
    }

    fn signing(self) -> &'static signature::EcdsaSigningAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        }
    }

    fn agreement(self) -> &'static agreement::Algorithm {
        match self {
            Curve::P256 => &agreement::ECDH_P256,
            Curve::P384 => &agreement::ECDH_P384,
        }
    }
}

/// An ECDSA public key: an uncompressed point, checked to be on the curve.
#[derive(Clone)]
pub(crate) struct EcPublicKey {
    curve: Curve,
    point: Box<[u8]>,
}

impl EcPublicKey {
    /// Checks that `point` is an uncompressed SEC1 point on `curve`.
    ///
    /// ring checks points only when it uses them, so the check is made here by one ECDH
    /// agreement with a throwaway key, which validates the peer point fully (on the curve, not
    /// the point at infinity, coordinates below the field prime).
    pub(crate) fn new(curve: Curve, point: &[u8]) -> Result<Self, Error> {
        if point.len() != 1 + 2 * curve.coordinate_len() {
            return Err(Error::InvalidKey(
                format!("{} point of the wrong length", curve.jwk_name()).into(),
            ));
        }
        if point.first() != Some(&0x04) {
            return Err(Error::InvalidKey(
                "only uncompressed EC points are supported".into(),
            ));
        }
        let ephemeral = agreement::EphemeralPrivateKey::generate(curve.agreement(), super::rng())
            .map_err(|_| Error::InvalidKey("could not check the EC point".into()))?;
        let peer = agreement::UnparsedPublicKey::new(curve.agreement(), point);
        agreement::agree_ephemeral(ephemeral, &peer, |_| ())
            .map_err(|_| Error::InvalidKey("EC point is not on the curve".into()))?;
        Ok(EcPublicKey {
            curve,
            point: point.into(),
        })
    }

    pub(crate) fn curve(&self) -> Curve {
        self.curve
    }

    /// The uncompressed SEC1 point `04‖x‖y`.
    pub(crate) fn point(&self) -> &[u8] {
        &self.point
    }

    pub(crate) fn x(&self) -> &[u8] {
        let len = self.curve.coordinate_len();
        self.point.get(1..1 + len).unwrap_or_default()
    }

    pub(crate) fn y(&self) -> &[u8] {
        let len = self.curve.coordinate_len();
        self.point.get(1 + len..).unwrap_or_default()
    }

    /// Verifies a fixed-size `r‖s` signature; any other length (such as DER) fails.
    pub(crate) fn verify(&self, message: &[u8], sig: &[u8]) -> Result<(), Error> {
        signature::UnparsedPublicKey::new(self.curve.verification(), &*self.point)
            .verify(message, sig)
            .map_err(|_| Error::InvalidSignature)
    }
}

/// An ECDSA private key: ring's key pair, parsed once, plus the scalar for export.
pub(crate) struct EcPrivateKey {
    pair: EcdsaKeyPair,
    public: EcPublicKey,
    d: Box<[u8]>,
}

impl EcPrivateKey {
    /// `d` is the private scalar (big-endian, shorter values are left-padded); `point` is the
    /// uncompressed public point, which ring needs and cannot compute from `d` itself.
    pub(crate) fn new(curve: Curve, d: &[u8], point: Option<&[u8]>) -> Result<Self, Error> {
        let point = point.ok_or_else(|| {
            Error::InvalidKey(
                "EC private key without its public key; ring cannot derive it: export the key \
                 with its public key (OpenSSL does by default)"
                    .into(),
            )
        })?;
        let len = curve.coordinate_len();
        if d.len() > len || d.is_empty() {
            return Err(Error::InvalidKey(
                format!("{} private scalar of the wrong length", curve.jwk_name()).into(),
            ));
        }
        let mut scalar = vec![0u8; len];
        if let Some(tail) = scalar.get_mut(len - d.len()..) {
            tail.copy_from_slice(d);
        }
        if point.len() != 1 + 2 * len || point.first() != Some(&0x04) {
            return Err(Error::InvalidKey(
                format!("{} public point of the wrong form", curve.jwk_name()).into(),
            ));
        }
        // ring checks the scalar range, that the point is valid, and that it matches the scalar.
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            curve.signing(),
            &scalar,
            point,
            super::rng(),
        )
        .map_err(|e| Error::InvalidKey(format!("EC private key rejected ({})", e).into()))?;
        let public = EcPublicKey {
            curve,
            point: pair.public_key().as_ref().into(),
        };
        Ok(EcPrivateKey {
            pair,
            public,
            d: scalar.into(),
        })
    }

    /// A new random key.
    pub(crate) fn generate(curve: Curve) -> Result<Self, Error> {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(curve.signing(), super::rng())
            .map_err(|_| Error::Signing("the system random generator failed".into()))?;
        match super::formats::parse_private_der(pkcs8.as_ref())? {
            super::formats::PrivateMaterial::Ec { curve: c, d, point } if c == curve => {
                EcPrivateKey::new(curve, d, point)
            }
            _ => Err(Error::InvalidKey("unexpected generated key".into())),
        }
    }

    pub(crate) fn public(&self) -> &EcPublicKey {
        &self.public
    }

    pub(crate) fn d(&self) -> &[u8] {
        &self.d
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.pair
            .sign(super::rng(), message)
            .map(|sig| sig.as_ref().to_vec())
            .map_err(|_| Error::Signing("ECDSA signing failed".into()))
    }
}
