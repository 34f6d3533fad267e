//! The Bloom snapshot: a compact, signed, versioned filter of revoked `jti`s.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    Algorithm, AlgorithmSet, Error, KeyProvider, KeyRequest, NumericDate, Signer, base64url,
};

/// The `typ` header of a signed snapshot.
pub(crate) const SNAPSHOT_TYP: &str = "tessera-bloom+jws";
const MAGIC: &[u8; 4] = b"TBF1";
const VERSION: u8 = 1;
const HEADER_LEN: usize = 32;
const MAX_HASHES: u8 = 32;
/// Largest JWS header accepted when verifying a signed snapshot.
const MAX_JWS_HEADER: usize = 1024;

/// A Bloom filter of revoked `jti`s, as an issuer publishes it and services load it.
///
/// A snapshot answers "is this `jti` possibly revoked?": never "no" for a `jti` it was built
/// from, and "yes" for others with about the false-positive rate it was built for. Use it through
/// a [`BloomCheck`](crate::BloomCheck), which swaps in new snapshots atomically and decides what
/// a hit means.
///
/// # Hashing
/// For a `jti`, let `d` = SHA-256 of its UTF-8 bytes, `h1` = `d[0..8]` and `h2` = `d[8..16]` read
/// as big-endian `u64`s, with `h2`'s lowest bit set. The `k` bit positions are
/// `(h1 + i·h2 mod 2⁶⁴) mod m` for `i` in `0..k` (double hashing). SHA-256 makes the positions
/// independent of the machine and impossible to aim at without the `jti`.
///
/// # Binary format, version 1
/// All integers are big-endian; the length is exactly `32 + ceil(m / 8)` bytes.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `TBF1` |
/// | 4 | 1 | version, `1` |
/// | 5 | 1 | `k`, the number of bit positions per `jti`, `1 ..= 32` |
/// | 6 | 2 | reserved, zero |
/// | 8 | 8 | `m`, the number of bits, at least 1 |
/// | 16 | 8 | the number of `jti`s the filter was built from (informational) |
/// | 24 | 8 | issued-at, seconds since the Unix epoch, `0 ..= 253402300799` |
/// | 32 | `ceil(m/8)` | the bits: bit `j` is bit `j mod 8` (least significant first) of byte `j / 8`; the unused high bits of the last byte are zero |
///
/// Parsing accepts nothing else: wrong magic or version, `k` out of range, non-zero reserved or
/// padding bits, a length that does not match `m`, or a snapshot larger than the limit (16 MiB by
/// default, [`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES)) is rejected before any allocation
/// of that size.
///
/// # Signed form
/// A compact JWS (RFC 7515) whose payload is the binary snapshot, with the protected header
/// `{"alg":…,"kid":…,"typ":"tessera-bloom+jws"}` (`kid` only when the signer has one). A
/// service accepts a snapshot only through [`from_jws`](Self::from_jws), that is only signed
/// by its issuer's key with an allowed algorithm and with exactly that `typ`, so that no other
/// JWS of the issuer can pass as a snapshot.
///
/// # Examples
/// ```
/// use tessera::{Algorithm, BloomSnapshot, NumericDate, SigningKey};
///
/// let issued_at = NumericDate::from_secs(1_700_000_000)?;
/// let snapshot = BloomSnapshot::build(["jti-1", "jti-2"], 0.001, issued_at)?;
/// assert!(snapshot.might_contain("jti-1"));
///
/// // The issuer signs it; a service verifies it with the same key (or the public half).
/// let key = SigningKey::hmac(&[7; 32])?.with_key_id("bloom-1");
/// let jws = snapshot.sign(&key)?;
/// let loaded = BloomSnapshot::from_jws(&jws, Algorithm::HS256.into(), &key.verifying_key())?;
/// assert_eq!(loaded, snapshot);
/// # Ok::<(), tessera::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BloomSnapshot {
    hashes: u8,
    bit_len: u64,
    entries: u64,
    issued_at: NumericDate,
    bits: Vec<u8>,
}

/// The two base hashes of a `jti`, computed once per check.
#[derive(Clone, Copy)]
pub(crate) struct Probe {
    h1: u64,
    h2: u64,
}

impl Probe {
    pub(crate) fn new(jti: &str) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, jti.as_bytes());
        let d = digest.as_ref();
        let word = |range: std::ops::Range<usize>| {
            d.get(range)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map_or(0, u64::from_be_bytes)
        };
        Probe {
            h1: word(0..8),
            h2: word(8..16) | 1,
        }
    }

    #[inline]
    fn positions(self, hashes: u8, bit_len: u64) -> impl Iterator<Item = u64> {
        (0..u64::from(hashes))
            .map(move |i| self.h1.wrapping_add(i.wrapping_mul(self.h2)) % bit_len.max(1))
    }
}

impl BloomSnapshot {
    /// Default upper bound on the size of a binary snapshot accepted by the parsers: 16 MiB,
    /// about 9 million `jti`s at a 0.1 % false-positive rate.
    pub const DEFAULT_MAX_BYTES: usize = 16 << 20;

    /// Builds a snapshot of `jtis` sized for a false-positive rate of `false_positive_rate`.
    ///
    /// With `n` entries and rate `p`, the filter has `m = ceil(-n·ln p / ln²2)` bits (at least 8)
    /// and `k = round(m/n · ln 2)` positions per entry, clamped to `1 ..= 32`: about 14.4 bits
    /// (1.8 bytes) per entry at 0.1 %. Duplicates count once in the filter but twice in the entry
    /// count.
    ///
    /// # Errors
    /// [`Error::Malformed`] if the rate is not strictly between 0 and 1;
    /// [`Error::TooLarge`] if the filter would exceed 1 GiB.
    pub fn build<I, S>(
        jtis: I,
        false_positive_rate: f64,
        issued_at: NumericDate,
    ) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        const MAX_BUILD_BYTES: u64 = 1 << 30;
        if !(false_positive_rate > 0.0 && false_positive_rate < 1.0) {
            return Err(Error::malformed(
                "Bloom false-positive rate must be strictly between 0 and 1",
            ));
        }
        let probes: Vec<Probe> = jtis.into_iter().map(|j| Probe::new(j.as_ref())).collect();
        let n = probes.len() as f64;
        let ln2 = std::f64::consts::LN_2;
        let bits_f = (-n * false_positive_rate.ln() / (ln2 * ln2))
            .ceil()
            .max(8.0);
        if bits_f > (MAX_BUILD_BYTES * 8) as f64 {
            return Err(Error::TooLarge {
                size: usize::try_from((bits_f / 8.0) as u64).unwrap_or(usize::MAX),
                limit: MAX_BUILD_BYTES as usize,
            });
        }
        let bit_len = bits_f as u64;
        let hashes = if probes.is_empty() {
            1
        } else {
            ((bit_len as f64 / n) * ln2)
                .round()
                .clamp(1.0, f64::from(MAX_HASHES)) as u8
        };
        let byte_len = usize::try_from(bit_len.div_ceil(8)).unwrap_or(usize::MAX);
        let mut snapshot = BloomSnapshot {
            hashes,
            bit_len,
            entries: probes.len() as u64,
            issued_at,
            bits: vec![0; byte_len],
        };
        for probe in probes {
            for pos in probe.positions(hashes, bit_len) {
                if let Some(byte) = usize::try_from(pos / 8)
                    .ok()
                    .and_then(|i| snapshot.bits.get_mut(i))
                {
                    *byte |= 1 << (pos % 8);
                }
            }
        }
        Ok(snapshot)
    }

    /// Whether `jti` may be revoked: always `true` for a `jti` the snapshot was built from, and
    /// `true` for others with about the target false-positive rate.
    pub fn might_contain(&self, jti: &str) -> bool {
        self.contains_probe(Probe::new(jti))
    }

    #[inline]
    pub(crate) fn contains_probe(&self, probe: Probe) -> bool {
        probe.positions(self.hashes, self.bit_len).all(|pos| {
            usize::try_from(pos / 8)
                .ok()
                .and_then(|i| self.bits.get(i))
                .is_some_and(|byte| byte & (1 << (pos % 8)) != 0)
        })
    }

    /// When the issuer made the snapshot.
    pub fn issued_at(&self) -> NumericDate {
        self.issued_at
    }

    /// The number of `jti`s the snapshot was built from.
    pub fn entry_count(&self) -> u64 {
        self.entries
    }

    /// `m`, the number of bits.
    pub fn bit_len(&self) -> u64 {
        self.bit_len
    }

    /// `k`, the number of bit positions per `jti`.
    pub fn hash_count(&self) -> u8 {
        self.hashes
    }

    /// The size of the binary form in bytes.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.bits.len()
    }

    /// The false-positive rate expected from the filter's fill: `(set bits / m)^k`.
    pub fn estimated_false_positive_rate(&self) -> f64 {
        let set: u64 = self.bits.iter().map(|b| u64::from(b.count_ones())).sum();
        (set as f64 / self.bit_len.max(1) as f64).powi(i32::from(self.hashes))
    }

    /// The binary form (see the type's documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(self.hashes);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.bit_len.to_be_bytes());
        out.extend_from_slice(&self.entries.to_be_bytes());
        out.extend_from_slice(&self.issued_at.as_secs().to_be_bytes());
        out.extend_from_slice(&self.bits);
        out
    }

    /// Parses the binary form, strictly, up to [`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES).
    ///
    /// # Security
    /// This does not check where the bytes came from; use [`from_jws`](Self::from_jws) for a
    /// snapshot received from elsewhere.
    ///
    /// # Errors
    /// [`Error::TooLarge`] over the limit; [`Error::Malformed`] for anything but a well-formed
    /// version-1 snapshot.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_bytes_with_limit(bytes, Self::DEFAULT_MAX_BYTES)
    }

    /// Parses the binary form, strictly, accepting at most `max_bytes` bytes.
    ///
    /// # Errors
    /// As [`from_bytes`](Self::from_bytes).
    pub fn from_bytes_with_limit(bytes: &[u8], max_bytes: usize) -> Result<Self, Error> {
        if bytes.len() > max_bytes {
            return Err(Error::TooLarge {
                size: bytes.len(),
                limit: max_bytes,
            });
        }
        let (header, bits) = bytes
            .split_at_checked(HEADER_LEN)
            .ok_or_else(|| Error::malformed("Bloom snapshot shorter than its header"))?;
        let field = |at: usize| {
            header
                .get(at..at + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .unwrap_or_default()
        };
        if header.get(0..4) != Some(MAGIC.as_slice()) {
            return Err(Error::malformed("not a Bloom snapshot (bad magic)"));
        }
        if header.get(4) != Some(&VERSION) {
            return Err(Error::malformed("unsupported Bloom snapshot version"));
        }
        let hashes = header.get(5).copied().unwrap_or(0);
        if !(1..=MAX_HASHES).contains(&hashes) {
            return Err(Error::malformed("Bloom snapshot hash count out of range"));
        }
        if header.get(6..8) != Some([0, 0].as_slice()) {
            return Err(Error::malformed(
                "Bloom snapshot reserved bytes are not zero",
            ));
        }
        let bit_len = u64::from_be_bytes(field(8));
        let entries = u64::from_be_bytes(field(16));
        let issued_at = NumericDate::from_secs(i64::from_be_bytes(field(24)))
            .map_err(|_| Error::malformed("Bloom snapshot issued-at out of range"))?;
        if bit_len == 0 || bit_len.div_ceil(8) != bits.len() as u64 {
            return Err(Error::malformed(
                "Bloom snapshot length does not match its bit count",
            ));
        }
        let used_in_last = (bit_len % 8) as u32;
        if used_in_last != 0 && bits.last().is_some_and(|b| b >> used_in_last != 0) {
            return Err(Error::malformed("Bloom snapshot padding bits are not zero"));
        }
        Ok(BloomSnapshot {
            hashes,
            bit_len,
            entries,
            issued_at,
            bits: bits.to_vec(),
        })
    }

    /// Signs the snapshot as a compact JWS with `signer` (see the type's documentation).
    ///
    /// # Errors
    /// Whatever the signer returns.
    pub fn sign<S: Signer + ?Sized>(&self, signer: &S) -> Result<String, Error> {
        let header = serde_json::to_vec(&JwsHeader {
            alg: signer.algorithm().name().into(),
            kid: signer.key_id().map(Cow::Borrowed),
            typ: SNAPSHOT_TYP.into(),
        })
        .map_err(|_| Error::malformed("cannot encode the JWS header"))?;
        let mut jws = base64url::encode(&header);
        jws.push('.');
        base64url::encode_into(&self.to_bytes(), &mut jws);
        let signature = signer.sign(jws.as_bytes())?;
        jws.push('.');
        base64url::encode_into(&signature, &mut jws);
        Ok(jws)
    }

    /// Verifies a signed snapshot and parses it, up to
    /// [`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES).
    ///
    /// The JWS must have exactly three strict base64url parts; a header of exactly the members
    /// `alg`, `typ` and optionally `kid`, no duplicates, `typ` equal to `tessera-bloom+jws`, and
    /// `alg` in `algorithms`; and a signature that the key `keys` gives for `(alg, kid)`
    /// verifies. Only then is the payload decoded and parsed.
    ///
    /// # Errors
    /// [`Error::TooLarge`], [`Error::Malformed`], [`Error::UnsupportedAlgorithm`],
    /// [`Error::AlgorithmNotAllowed`], [`Error::InvalidType`], the key provider's errors, or
    /// [`Error::InvalidSignature`].
    pub fn from_jws<K: KeyProvider + ?Sized>(
        jws: &str,
        algorithms: AlgorithmSet,
        keys: &K,
    ) -> Result<Self, Error> {
        Self::from_jws_with_limit(jws, algorithms, keys, Self::DEFAULT_MAX_BYTES)
    }

    /// As [`from_jws`](Self::from_jws), accepting a binary snapshot of at most `max_bytes`.
    ///
    /// # Errors
    /// As [`from_jws`](Self::from_jws).
    pub fn from_jws_with_limit<K: KeyProvider + ?Sized>(
        jws: &str,
        algorithms: AlgorithmSet,
        keys: &K,
        max_bytes: usize,
    ) -> Result<Self, Error> {
        // Payload at most 4/3 of the binary limit, plus a header and a signature.
        let limit = max_bytes.div_ceil(3).saturating_mul(4).saturating_add(4096);
        if jws.len() > limit {
            return Err(Error::TooLarge {
                size: jws.len(),
                limit,
            });
        }
        let mut parts = jws.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::malformed(
                "a signed snapshot has exactly three parts",
            ));
        };
        if header_b64.len() > MAX_JWS_HEADER {
            return Err(Error::malformed("signed snapshot header too long"));
        }
        let header_json = base64url::decode(header_b64.as_bytes())
            .ok_or_else(|| Error::malformed("signed snapshot header is not base64url"))?;
        let header: JwsHeader<'_> = serde_json::from_slice(&header_json)
            .map_err(|_| Error::malformed("signed snapshot header is not a valid JWS header"))?;
        let alg = Algorithm::from_name(&header.alg)?;
        if header.typ != SNAPSHOT_TYP {
            return Err(Error::InvalidType);
        }
        if !algorithms.contains(alg) {
            return Err(Error::AlgorithmNotAllowed(alg));
        }
        let key = keys.key(&KeyRequest::new(alg, header.kid.as_deref()))?;
        let signature = base64url::decode(signature_b64.as_bytes())
            .ok_or_else(|| Error::malformed("signed snapshot signature is not base64url"))?;
        let signing_input_len = header_b64.len() + 1 + payload_b64.len();
        let signing_input = jws
            .get(..signing_input_len)
            .ok_or_else(|| Error::malformed("signed snapshot parts"))?;
        key.verify_signature(alg, signing_input.as_bytes(), &signature)?;
        let mut payload = Vec::with_capacity(payload_b64.len() / 4 * 3 + 3);
        base64url::decode_into(payload_b64.as_bytes(), &mut payload)
            .ok_or_else(|| Error::malformed("signed snapshot payload is not base64url"))?;
        Self::from_bytes_with_limit(&payload, max_bytes)
    }
}

impl fmt::Debug for BloomSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BloomSnapshot")
            .field("issued_at", &self.issued_at)
            .field("entries", &self.entries)
            .field("bits", &self.bit_len)
            .field("hashes", &self.hashes)
            .finish_non_exhaustive()
    }
}

/// The protected header of a signed snapshot; nothing else is accepted.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JwsHeader<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    kid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    typ: Cow<'a, str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_positions_follow_the_documented_scheme() {
        // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 … (FIPS 180-2, appendix B.1).
        let probe = Probe::new("abc");
        assert_eq!(probe.h1, 0xba78_16bf_8f01_cfea);
        assert_eq!(probe.h2, 0x4141_40de_5dae_2223);
        let positions: Vec<u64> = probe.positions(3, 1000).collect();
        let h1: u64 = 0xba78_16bf_8f01_cfea;
        let h2: u64 = 0x4141_40de_5dae_2223;
        assert_eq!(
            positions,
            vec![
                h1 % 1000,
                h1.wrapping_add(h2) % 1000,
                h1.wrapping_add(h2.wrapping_mul(2)) % 1000
            ]
        );
    }

    #[test]
    fn sizing() {
        let s = BloomSnapshot::build(
            (0..1000).map(|i| format!("j{i}")),
            0.001,
            NumericDate::EPOCH,
        )
        .unwrap();
        // -1000 · ln(0.001) / ln²2 = 14377.6 → 14378 bits, k = round(14.378 · ln 2) = 10.
        assert_eq!(s.bit_len(), 14_378);
        assert_eq!(s.hash_count(), 10);
        assert_eq!(s.encoded_len(), 32 + 1798);
        let empty = BloomSnapshot::build(Vec::<String>::new(), 0.01, NumericDate::EPOCH).unwrap();
        assert_eq!((empty.bit_len(), empty.hash_count()), (8, 1));
        assert!(!empty.might_contain("x"));
    }
}
