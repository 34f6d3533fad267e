//! Strict, unpadded base64url (RFC 7515 §2, RFC 4648 §5).
//!
//! Padding, the standard alphabet's `+` and `/`, whitespace, and encodings whose unused trailing
//! bits are not zero (non-canonical) are all rejected.

//! Decoding and encoding run on `base64-simd` (vectorised where the CPU allows, chosen at run
//! time); its URL-safe no-padding configuration is exactly this strict form, which the tests
//! below check against the `base64` crate's strict engine.

use base64_simd::{Out, URL_SAFE_NO_PAD as ENGINE};

/// Decodes strict unpadded base64url. Returns `None` on any deviation.
pub(crate) fn decode(input: &[u8]) -> Option<Vec<u8>> {
    ENGINE.decode_to_vec(input).ok()
}

/// Decodes strict unpadded base64url, appending to `out`. Returns `None` on any deviation, and
/// then `out` is left as it was.
pub(crate) fn decode_into(input: &[u8], out: &mut Vec<u8>) -> Option<()> {
    ENGINE.decode_append(input, out).ok()
}

/// Decodes strict unpadded base64url into `out`, returning the decoded length. Returns `None` on
/// any deviation or when `out` is too small.
pub(crate) fn decode_to_slice(input: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = ENGINE.decoded_length(input).ok()?;
    let out = out.get_mut(..len)?;
    ENGINE
        .decode(input, Out::from_slice(out))
        .ok()
        .map(|d| d.len())
}

/// Encodes as unpadded base64url.
pub(crate) fn encode(input: &[u8]) -> String {
    ENGINE.encode_to_string(input)
}

/// Encodes as unpadded base64url, appending to `out`.
pub(crate) fn encode_into(input: &[u8], out: &mut String) {
    ENGINE.encode_append(input, out);
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

    /// The `base64` crate's strict engine: the reference these functions must agree with.
    fn reference(input: &[u8]) -> Option<Vec<u8>> {
        use base64::Engine as _;
        use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
        const STRICT: GeneralPurpose = GeneralPurpose::new(
            &base64::alphabet::URL_SAFE,
            GeneralPurposeConfig::new()
                .with_encode_padding(false)
                .with_decode_padding_mode(DecodePaddingMode::RequireNone)
                .with_decode_allow_trailing_bits(false),
        );
        STRICT.decode(input).ok()
    }

    fn agree(input: &[u8]) {
        let want = reference(input);
        assert_eq!(decode(input), want, "{input:?}");
        let mut appended = b"ab".to_vec();
        let ok = decode_into(input, &mut appended).is_some();
        assert_eq!(ok, want.is_some(), "{input:?}");
        match &want {
            Some(w) => assert_eq!(appended.get(2..), Some(&w[..]), "{input:?}"),
            None => assert_eq!(appended, b"ab", "{input:?}"),
        }
        let mut slice = [0u8; 256];
        let got = decode_to_slice(input, &mut slice).and_then(|n| slice.get(..n));
        if input.len() <= 340 {
            assert_eq!(got, want.as_deref(), "{input:?}");
        }
        if let Some(w) = &want {
            // Too small an output is refused, not a panic.
            if !w.is_empty() {
                let mut short = vec![0u8; w.len() - 1];
                assert_eq!(decode_to_slice(input, &mut short), None);
            }
            let mut s = String::from("x");
            encode_into(w, &mut s);
            assert_eq!(s.as_bytes().get(1..), Some(input), "{input:?}");
        }
    }

    /// Every string of up to three symbols from the alphabet plus characters that must be
    /// refused, and random strings up to 300 characters (the vectorised paths) with one foreign
    /// character or a changed last character now and then.
    #[test]
    fn agrees_with_the_reference_engine() {
        let mut symbols: Vec<u8> =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".to_vec();
        symbols.extend_from_slice(b"=+/ .\n\0\x7f");
        symbols.extend([0x80, 0xc3, 0xff]);
        agree(b"");
        for &a in &symbols {
            agree(&[a]);
            for &b in &symbols {
                agree(&[a, b]);
                for &c in &symbols {
                    agree(&[a, b, c]);
                }
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..20_000 {
            let len = next(300);
            let mut s: Vec<u8> = (0..len).map(|_| symbols[next(64)]).collect();
            match next(4) {
                0 if len > 0 => s[next(len)] = symbols[64 + next(symbols.len() - 64)],
                1 if len > 0 => s[len - 1] = symbols[next(64)],
                _ => {}
            }
            agree(&s);
        }
    }
}
