//! Signature algorithms as values, and sets of them.

use std::fmt;

use crate::error::{Error, excerpt};

/// A JWS signature algorithm implemented by this crate (RFC 7518, RFC 8037, RFC 9864).
///
/// `none` is not an algorithm here and cannot be expressed. Names are matched exactly and
/// case-sensitively, as RFC 7515 §4.1.1 requires.
///
/// ```
/// use tessera::{Algorithm, ErrorKind};
/// assert_eq!(Algorithm::from_name("ES256").unwrap(), Algorithm::ES256);
/// assert_eq!(Algorithm::from_name("none").unwrap_err().kind(), ErrorKind::UnsupportedAlgorithm);
/// assert_eq!(Algorithm::from_name("hs256").unwrap_err().kind(), ErrorKind::UnsupportedAlgorithm);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(clippy::upper_case_acronyms)]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384 and MGF1 with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512 and MGF1 with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256, fixed-size `r‖s` signatures.
    ES256,
    /// ECDSA on P-384 with SHA-384, fixed-size `r‖s` signatures.
    ES384,
    /// EdDSA (RFC 8037); only the Ed25519 curve is supported.
    EdDSA,
    /// Ed25519, the fully specified name of RFC 9864.
    Ed25519,
}

/// The family of key an algorithm needs. A key belongs to exactly one family, so a key of one
/// family can never verify a token of another (no algorithm confusion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFamily {
    /// A shared HMAC secret.
    Hmac,
    /// An RSA key (PKCS#1 v1.5 and PSS).
    Rsa,
    /// An ECDSA key on P-256.
    EcP256,
    /// An ECDSA key on P-384.
    EcP384,
    /// An Ed25519 key.
    Ed25519,
}

/// Registered JOSE names this crate recognises but does not implement.
const KNOWN_UNSUPPORTED: &[&str] = &["ES512", "ES256K", "Ed448", "none"];

impl Algorithm {
    /// Every algorithm, in declaration order.
    pub const ALL: [Algorithm; 13] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
        Algorithm::Ed25519,
    ];

    /// Parses a JOSE algorithm name, exactly.
    ///
    /// # Errors
    /// [`Error::UnsupportedAlgorithm`] for any other name, including `none` in any spelling and
    /// registered names the crate does not implement (such as `ES512`).
    pub fn from_name(name: &str) -> Result<Self, Error> {
        Ok(match name {
            "HS256" => Algorithm::HS256,
            "HS384" => Algorithm::HS384,
            "HS512" => Algorithm::HS512,
            "RS256" => Algorithm::RS256,
            "RS384" => Algorithm::RS384,
            "RS512" => Algorithm::RS512,
            "PS256" => Algorithm::PS256,
            "PS384" => Algorithm::PS384,
            "PS512" => Algorithm::PS512,
            "ES256" => Algorithm::ES256,
            "ES384" => Algorithm::ES384,
            "EdDSA" => Algorithm::EdDSA,
            "Ed25519" => Algorithm::Ed25519,
            other => {
                let known = KNOWN_UNSUPPORTED.contains(&other);
                let mut detail = excerpt(other);
                if !known {
                    detail.push_str(" (unknown)");
                }
                return Err(Error::UnsupportedAlgorithm(detail));
            }
        })
    }

    /// The JOSE name of the algorithm.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
            Algorithm::Ed25519 => "Ed25519",
        }
    }

    /// The key family this algorithm needs.
    pub const fn family(self) -> KeyFamily {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => KeyFamily::Hmac,
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyFamily::Rsa,
            Algorithm::ES256 => KeyFamily::EcP256,
            Algorithm::ES384 => KeyFamily::EcP384,
            Algorithm::EdDSA | Algorithm::Ed25519 => KeyFamily::Ed25519,
        }
    }

    /// For HMAC algorithms, the hash output size in bytes, which is also the minimum secret length
    /// (RFC 7518 §3.2). `None` for other algorithms.
    pub const fn hmac_min_key_len(self) -> Option<usize> {
        match self {
            Algorithm::HS256 => Some(32),
            Algorithm::HS384 => Some(48),
            Algorithm::HS512 => Some(64),
            _ => None,
        }
    }

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Algorithm::from_name(s)
    }
}

impl serde::Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Algorithm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Algorithm::from_name(&name).map_err(serde::de::Error::custom)
    }
}

impl KeyFamily {
    /// The default algorithm for a key of this family when none is bound to it.
    pub const fn default_algorithm(self) -> Algorithm {
        match self {
            KeyFamily::Hmac => Algorithm::HS256,
            KeyFamily::Rsa => Algorithm::RS256,
            KeyFamily::EcP256 => Algorithm::ES256,
            KeyFamily::EcP384 => Algorithm::ES384,
            KeyFamily::Ed25519 => Algorithm::EdDSA,
        }
    }
}

/// A set of algorithms, such as a verifier's allowlist. Copy, and checked in constant time.
///
/// ```
/// use tessera::{Algorithm, AlgorithmSet};
/// let set: AlgorithmSet = [Algorithm::ES256, Algorithm::EdDSA].into_iter().collect();
/// assert!(set.contains(Algorithm::ES256));
/// assert!(!set.contains(Algorithm::HS256));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AlgorithmSet(u16);

impl AlgorithmSet {
    /// The empty set.
    pub const fn empty() -> Self {
        AlgorithmSet(0)
    }

    /// A set of one algorithm.
    pub const fn of(alg: Algorithm) -> Self {
        AlgorithmSet(alg.bit())
    }

    /// This set with `alg` added.
    #[must_use]
    pub const fn with(self, alg: Algorithm) -> Self {
        AlgorithmSet(self.0 | alg.bit())
    }

    /// Whether `alg` is in the set.
    pub const fn contains(self, alg: Algorithm) -> bool {
        self.0 & alg.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The algorithms in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }
}

impl FromIterator<Algorithm> for AlgorithmSet {
    fn from_iter<I: IntoIterator<Item = Algorithm>>(iter: I) -> Self {
        iter.into_iter()
            .fold(AlgorithmSet::empty(), AlgorithmSet::with)
    }
}

impl From<Algorithm> for AlgorithmSet {
    fn from(alg: Algorithm) -> Self {
        AlgorithmSet::of(alg)
    }
}

impl<const N: usize> From<[Algorithm; N]> for AlgorithmSet {
    fn from(algs: [Algorithm; N]) -> Self {
        algs.into_iter().collect()
    }
}

impl From<&[Algorithm]> for AlgorithmSet {
    fn from(algs: &[Algorithm]) -> Self {
        algs.iter().copied().collect()
    }
}

impl fmt::Debug for AlgorithmSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn names_round_trip() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name()).ok(), Some(alg));
        }
    }

    #[test]
    fn none_and_near_misses_are_unsupported() {
        for name in [
            "none", "None", "NONE", "nOnE", "", "hs256", "HS256 ", " HS256", "ES512", "HS2560",
        ] {
            let err = Algorithm::from_name(name).err().map(|e| e.kind());
            assert_eq!(err, Some(ErrorKind::UnsupportedAlgorithm), "{name:?}");
        }
    }

    #[test]
    fn set_membership() {
        let set = AlgorithmSet::from([Algorithm::HS256, Algorithm::Ed25519]);
        assert!(set.contains(Algorithm::HS256) && set.contains(Algorithm::Ed25519));
        assert!(!set.contains(Algorithm::EdDSA));
        assert_eq!(set.iter().count(), 2);
        assert!(AlgorithmSet::empty().is_empty());
    }
}
