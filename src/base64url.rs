//! Strict, unpadded base64url (RFC 7515 §2, RFC 4648 §5).
//!
//! Padding, the standard alphabet's `+` and `/`, whitespace, and encodings whose unused trailing
//! bits are not zero (non-canonical) are all rejected.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Decodes strict unpadded base64url. Returns `None` on any deviation.
pub(crate) fn decode(input: &[u8]) -> Option<Vec<u8>> {
    ENGINE.decode(input).ok()
}

/// Decodes strict unpadded base64url, appending to `out`. Returns `None` on any deviation.
pub(crate) fn decode_into(input: &[u8], out: &mut Vec<u8>) -> Option<()> {
    ENGINE.decode_vec(input, out).ok()
}

/// Decodes strict unpadded base64url into `out`, returning the decoded length. Returns `None` on
/// any deviation or when `out` is too small.
pub(crate) fn decode_to_slice(input: &[u8], out: &mut [u8]) -> Option<usize> {
    ENGINE.decode_slice(input, out).ok()
}

/// Encodes as unpadded base64url.
pub(crate) fn encode(input: &[u8]) -> String {
    ENGINE.encode(input)
}

/// Encodes as unpadded base64url, appending to `out`.
pub(crate) fn encode_into(input: &[u8], out: &mut String) {
    ENGINE.encode_string(input, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for len in 0..40u8 {
            let data: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(decode(encode(&data).as_bytes()), Some(data));
        }
    }

    #[test]
    fn rejects_non_strict_forms() {
        assert_eq!(decode(b"AQAB"), Some(vec![1, 0, 1]));
        for bad in ["AQ==", "AQ=", "+/8", "A Q", "AQ\n", "AR", "A", "ab$c"] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad:?}");
        }
        // "AR" has non-zero trailing bits; the canonical form of [1] is "AQ".
        assert_eq!(decode(b"AQ"), Some(vec![1]));
    }
}
