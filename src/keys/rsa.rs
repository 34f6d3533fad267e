//! RSA keys: RS256/384/512 (PKCS#1 v1.5) and PS256/384/512 (PSS, MGF1 with the same hash, salt
//! of the hash length).

use ring::signature::{self, RsaEncoding, RsaParameters, RsaPublicKeyComponents};

use crate::{Algorithm, Error};

/// RFC 7518 §3.3 and DESIGN.md: smaller moduli are refused.
const MIN_MODULUS_BITS: usize = 2048;
/// The largest modulus ring verifies with.
const MAX_PUBLIC_MODULUS_BITS: usize = 8192;
/// The largest modulus ring signs with.
const MAX_PRIVATE_MODULUS_BITS: usize = 4096;

/// An RSA public key as its minimal big-endian modulus and exponent.
///
/// ring 0.17 has no pre-parsed RSA public key type for verification, so the components are
/// validated here once and handed to ring's `RsaPublicKeyComponents` on each call, which skips
/// any DER parsing (ring still sets up the modulus arithmetic per call).
#[derive(Clone)]
pub(crate) struct RsaPublicKey {
    n: Box<[u8]>,
    e: Box<[u8]>,
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.get(skip..).unwrap_or_default()
}

fn bit_len(magnitude: &[u8]) -> usize {
    match magnitude.first() {
        None => 0,
        Some(&top) => magnitude.len() * 8 - top.leading_zeros() as usize,
    }
}

impl RsaPublicKey {
    /// Validates `n` and `e` (big-endian, leading zeros ignored).
    pub(crate) fn new(n: &[u8], e: &[u8]) -> Result<Self, Error> {
        let n = strip_zeros(n);
        let e = strip_zeros(e);
        let bits = bit_len(n);
        if bits < MIN_MODULUS_BITS {
            return Err(Error::WeakKey(
                format!("RSA modulus of {bits} bits; at least {MIN_MODULUS_BITS} are required")
                    .into(),
            ));
        }
        if bits > MAX_PUBLIC_MODULUS_BITS {
            return Err(Error::InvalidKey(
                format!(
                    "RSA modulus of {bits} bits; at most {MAX_PUBLIC_MODULUS_BITS} are supported"
                )
                .into(),
            ));
        }
        if n.last().is_none_or(|b| b & 1 == 0) {
            return Err(Error::InvalidKey("RSA modulus is even".into()));
        }
        // ring accepts odd exponents from 3 to 2^33 - 1.
        let e_ok = e.last().is_some_and(|b| b & 1 == 1) && (2..=33).contains(&bit_len(e));
        if !e_ok {
            return Err(Error::InvalidKey(
                "RSA public exponent must be odd, at least 3 and below 2^33".into(),
            ));
        }
        if has_roca_fingerprint(n) {
            return Err(Error::WeakKey(
                "RSA modulus has the ROCA fingerprint (CVE-2017-15361)".into(),
            ));
        }
        Ok(RsaPublicKey {
            n: n.into(),
            e: e.into(),
        })
    }

    pub(crate) fn n(&self) -> &[u8] {
        &self.n
    }

    pub(crate) fn e(&self) -> &[u8] {
        &self.e
    }

    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> Result<(), Error> {
        let params: &RsaParameters = match alg {
            Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
            Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return Err(Error::InvalidSignature),
        };
        RsaPublicKeyComponents {
            n: &*self.n,
            e: &*self.e,
        }
        .verify(params, message, sig)
        .map_err(|_| Error::InvalidSignature)
    }
}

/// The private components of an RSA key, big-endian.
pub(crate) struct RsaPrivateParts<'a> {
    pub(crate) n: &'a [u8],
    pub(crate) e: &'a [u8],
    pub(crate) d: &'a [u8],
    pub(crate) p: &'a [u8],
    pub(crate) q: &'a [u8],
    pub(crate) dp: &'a [u8],
    pub(crate) dq: &'a [u8],
    pub(crate) qi: &'a [u8],
}

/// An RSA private key: ring's key pair, parsed once, plus the components for export.
pub(crate) struct RsaPrivateKey {
    pair: signature::RsaKeyPair,
    public: RsaPublicKey,
    /// d, p, q, dp, dq, qi (minimal big-endian), kept only to export the key as a JWK or PKCS#8.
    private: [Box<[u8]>; 6],
}

impl RsaPrivateKey {
    pub(crate) fn new(parts: &RsaPrivateParts<'_>) -> Result<Self, Error> {
        let public = RsaPublicKey::new(parts.n, parts.e)?;
        let bits = bit_len(public.n());
        if bits > MAX_PRIVATE_MODULUS_BITS {
            return Err(Error::InvalidKey(
                format!("RSA private keys over {MAX_PRIVATE_MODULUS_BITS} bits are not supported")
                    .into(),
            ));
        }
        let private = [parts.d, parts.p, parts.q, parts.dp, parts.dq, parts.qi]
            .map(|v| Box::<[u8]>::from(strip_zeros(v)));
        let [d, p, q, dp, dq, qi] = &private;
        let components = ring::rsa::KeyPairComponents {
            public_key: RsaPublicKeyComponents {
                n: public.n(),
                e: public.e(),
            },
            d: &**d,
            p: &**p,
            q: &**q,
            dP: &**dp,
            dQ: &**dq,
            qInv: &**qi,
        };
        let pair = signature::RsaKeyPair::from_components(&components)
            .map_err(|e| Error::InvalidKey(format!("RSA private key rejected ({})", e).into()))?;
        Ok(RsaPrivateKey {
            pair,
            public,
            private,
        })
    }

    pub(crate) fn public(&self) -> &RsaPublicKey {
        &self.public
    }

    /// d, p, q, dp, dq, qi.
    pub(crate) fn private_parts(&self) -> [&[u8]; 6] {
        let [d, p, q, dp, dq, qi] = &self.private;
        [d, p, q, dp, dq, qi]
    }

    pub(crate) fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
        let padding: &'static dyn RsaEncoding = match alg {
            Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
            Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
            Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
            Algorithm::PS256 => &signature::RSA_PSS_SHA256,
            Algorithm::PS384 => &signature::RSA_PSS_SHA384,
            Algorithm::PS512 => &signature::RSA_PSS_SHA512,
            _ => return Err(Error::Signing("not an RSA algorithm".into())),
        };
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(padding, super::rng(), message, &mut sig)
            .map_err(|_| Error::Signing("RSA signing failed".into()))?;
        Ok(sig)
    }
}

/// Small primes that divide the modulus `M` Infineon's flawed generator used for every key size
/// (the primorial of the first 39 primes; 2 is left out since n is odd).
const ROCA_PRIMES: [u32; 38] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
];

/// The ROCA fingerprint (Nemec et al., CCS 2017): primes built as `k·M + (65537^a mod M)` give a
/// modulus whose residue modulo every prime `r` dividing `M` lies in the subgroup generated by
/// 65537 modulo `r`. For a random modulus that holds for all 38 primes with negligible probability.
fn has_roca_fingerprint(n: &[u8]) -> bool {
    ROCA_PRIMES.iter().all(|&r| {
        let residue = n
            .iter()
            .fold(0u32, |acc, &b| (acc * 256 + u32::from(b)) % r);
        let generator = 65537 % r;
        let mut power = 1u32;
        // The subgroup has at most r - 1 elements; walk it until it cycles back to 1.
        for _ in 0..r {
            if power == residue {
                return true;
            }
            power = power * generator % r;
            if power == 1 {
                return false;
            }
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(bit_len(&[1]), 1);
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert_eq!(strip_zeros(&[0, 0, 5, 0]), &[5, 0]);
    }

    #[test]
    fn roca_fingerprint_of_a_constructed_modulus() {
        // Only the residues modulo the small primes matter, and a power of 65537 is in the
        // subgroup generated by 65537 modulo every prime by construction.
        let mut n = vec![1u8];
        for _ in 0..40 {
            let mut carry = 0u64;
            for byte in n.iter_mut().rev() {
                let v = u64::from(*byte) * 65537 + carry;
                *byte = (v & 0xff) as u8;
                carry = v >> 8;
            }
            while carry > 0 {
                n.insert(0, (carry & 0xff) as u8);
                carry >>= 8;
            }
        }
        assert!(has_roca_fingerprint(&n));
        // Shifting every residue by 2 leaves the subgroup for at least one prime.
        let last = n.len() - 1;
        n[last] = n[last].wrapping_add(2);
        assert!(!has_roca_fingerprint(&n));
    }
}
