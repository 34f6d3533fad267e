//! Structured fuzzing input (feature `arbitrary`): [`arbitrary::Arbitrary`] for the claim and
//! algorithm types, a description of a whole token, and a helper that signs one.

use std::fmt::Write as _;

use ::arbitrary::{Arbitrary, Result, Unstructured};

use crate::{Algorithm, Audience, Error, KeyFamily, NumericDate, RegisteredClaims, SigningKey};

impl<'a> Arbitrary<'a> for Algorithm {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        u.choose(&Algorithm::ALL).copied()
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(4))
    }
}

impl<'a> Arbitrary<'a> for NumericDate {
    /// Any date in range, whole seconds three times out of four.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let secs = u.int_in_range(0..=NumericDate::MAX_SECS)?;
        let date = if u.ratio(3, 4)? {
            NumericDate::from_secs(secs)
        } else {
            let nanos = u.int_in_range(0..=999_999_999u32)?;
            NumericDate::from_f64(secs as f64 + f64::from(nanos) / 1e9)
        };
        // In range by construction; fall back to the epoch rather than fail.
        Ok(date.unwrap_or(NumericDate::EPOCH))
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (9, Some(17))
    }
}

impl<'a> Arbitrary<'a> for Audience {
    /// One audience, or one to four of them.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        if u.arbitrary()? {
            Ok(Audience::One(u.arbitrary()?))
        } else {
            let n = u.int_in_range(1..=4usize)?;
            let mut all = Vec::with_capacity(n);
            for _ in 0..n {
                all.push(u.arbitrary()?);
            }
            Ok(Audience::Many(all))
        }
    }
}

impl<'a> Arbitrary<'a> for RegisteredClaims {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(RegisteredClaims {
            iss: u.arbitrary()?,
            sub: u.arbitrary()?,
            aud: u.arbitrary()?,
            exp: u.arbitrary()?,
            nbf: u.arbitrary()?,
            iat: u.arbitrary()?,
            jti: u.arbitrary()?,
        })
    }
}

/// A JSON value for a claim or header member beyond the registered ones.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub enum FuzzValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number (not finite ones are written as `null`).
    Float(f64),
    /// A string.
    Str(String),
    /// An array of strings.
    Strings(Vec<String>),
}

impl FuzzValue {
    fn to_json(&self) -> serde_json::Value {
        match self {
            FuzzValue::Null => serde_json::Value::Null,
            FuzzValue::Bool(b) => (*b).into(),
            FuzzValue::Int(i) => (*i).into(),
            FuzzValue::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            FuzzValue::Str(s) => s.as_str().into(),
            FuzzValue::Strings(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// The protected header of a generated token.
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub struct FuzzHeader {
    /// `alg`; [`sign_for_fuzzing`] signs with this algorithm when the key supports it.
    pub alg: Algorithm,
    /// `typ`.
    pub typ: Option<String>,
    /// `kid`.
    pub kid: Option<String>,
    /// `cty`.
    pub cty: Option<String>,
    /// Further members, written after the others in order (duplicates are kept: a verifier must
    /// reject them).
    pub extra: Vec<(String, FuzzValue)>,
}

/// A whole token, as generated for structure-aware fuzzing: header, registered claims, and the
/// application's claims. Turn it into a signed token with [`sign_for_fuzzing`].
///
/// ```
/// use arbitrary::{Arbitrary, Unstructured};
/// use tessera::{FuzzToken, fuzzing_key, sign_for_fuzzing};
///
/// let bytes = [7u8; 256];
/// let parts = FuzzToken::arbitrary(&mut Unstructured::new(&bytes))?;
/// let key = fuzzing_key(parts.header.alg.family())?;
/// let token = sign_for_fuzzing(&parts, &key)?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Arbitrary)]
pub struct FuzzToken {
    /// The protected header.
    pub header: FuzzHeader,
    /// The registered claims (absent ones are left out).
    pub claims: RegisteredClaims,
    /// Further claims, written after the registered ones in order (duplicates are kept).
    pub extra: Vec<(String, FuzzValue)>,
}

fn member(out: &mut String, name: &str, value: &serde_json::Value) {
    if out.len() > 1 {
        out.push(',');
    }
    // Writing JSON into a String cannot fail.
    let _ = write!(out, "{}:{}", serde_json::Value::from(name), value);
}

impl FuzzToken {
    /// The header as JSON text, members in the order `alg`, `typ`, `kid`, `cty`, extras.
    pub fn header_json(&self) -> String {
        let h = &self.header;
        let mut out = String::from("{");
        member(&mut out, "alg", &h.alg.name().into());
        for (name, value) in [("typ", &h.typ), ("kid", &h.kid), ("cty", &h.cty)] {
            if let Some(v) = value {
                member(&mut out, name, &v.as_str().into());
            }
        }
        for (name, value) in &h.extra {
            member(&mut out, name, &value.to_json());
        }
        out.push('}');
        out
    }

    /// The claims as JSON text: the registered claims present, then the extras.
    pub fn claims_json(&self) -> String {
        let c = &self.claims;
        let mut out = String::from("{");
        let text = |s: &Option<String>| s.as_deref().map(serde_json::Value::from);
        let date = |d: &Option<NumericDate>| d.and_then(|d| serde_json::to_value(d).ok());
        let aud = c.aud.as_ref().and_then(|a| serde_json::to_value(a).ok());
        for (name, value) in [
            ("iss", text(&c.iss)),
            ("sub", text(&c.sub)),
            ("aud", aud),
            ("exp", date(&c.exp)),
            ("nbf", date(&c.nbf)),
            ("iat", date(&c.iat)),
            ("jti", text(&c.jti)),
        ] {
            if let Some(v) = value {
                member(&mut out, name, &v);
            }
        }
        for (name, value) in &self.extra {
            member(&mut out, name, &value.to_json());
        }
        out.push('}');
        out
    }
}

/// Signs `token` with `key` as a compact JWS: exactly the generated header and claims, with the
/// header's algorithm when `key` supports it, and otherwise the key's own algorithm (the header's
/// `alg` is rewritten so that the token stays consistent).
///
/// # Errors
/// As [`SigningKey::sign_with`].
pub fn sign_for_fuzzing(token: &FuzzToken, key: &SigningKey) -> std::result::Result<String, Error> {
    let mut token = token.clone();
    if token.header.alg.family() != key.family() {
        token.header.alg = key.algorithm();
    }
    let mut out = crate::base64url::encode(token.header_json().as_bytes());
    out.push('.');
    crate::base64url::encode_into(token.claims_json().as_bytes(), &mut out);
    let signature = key.sign_with(token.header.alg, out.as_bytes())?;
    out.push('.');
    crate::base64url::encode_into(&signature, &mut out);
    Ok(out)
}

/// A fixed, well-known key of `family` for fuzzing and tests: an HMAC secret of 64 bytes (enough
/// for HS512), RSA-2048, P-256, P-384 or Ed25519. Never use it for anything else: its private
/// part is published in this crate's source.
///
/// # Errors
/// None in practice; the keys are fixed and valid ([`Error::InvalidKey`] if one failed to parse).
pub fn fuzzing_key(family: KeyFamily) -> std::result::Result<SigningKey, Error> {
    match family {
        KeyFamily::Hmac => SigningKey::hmac(&FUZZ_HMAC_SECRET),
        KeyFamily::Rsa => SigningKey::from_pem(FUZZ_RSA_2048),
        KeyFamily::EcP256 => SigningKey::from_pem(FUZZ_P256),
        KeyFamily::EcP384 => SigningKey::from_pem(FUZZ_P384),
        KeyFamily::Ed25519 => SigningKey::from_pem(FUZZ_ED25519),
    }
}

/// 64 bytes, long enough for HS512.
const FUZZ_HMAC_SECRET: [u8; 64] =
    *b"tessera fuzzing key: public, for tests only, never for real use!";

// Test keys made with `openssl genpkey`; public, for fuzzing only.
const FUZZ_RSA_2048: &str = "-----BEGIN PRIVATE KEY-----\n\
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDSAF8MTDBFEhPA\n\
NPuwF2SwPXJZKduTfg6jZ3ttdqk2dyG/6QhGv2JK8zh8cc/ucIAQroqa/K3yP8wC\n\
9luTNs9jdXv51ge4DZJiC3V98/Fxiq/eQSB7vsDupRyHoemDWqLlC5Ni1qmUNCPb\n\
pbpHJW6Aie8NMc7BDIpBDGo124xWs5Hb0d3coB/M7pP9VtrOhyNW1jnaWAHS6GTx\n\
IRItQjC8JqokybqERtjQ7kf0/pr6kmF4IGo1rBVS4NL7k7F3VF6wfMjcUFbcZ8cZ\n\
5CMbpL4HZL/7ua7vCK6J1eMNDypkGf0s6LAWAB/Ie5gL3VEhFhLE6Nd+Fcz19hsd\n\
hBitFleFAgMBAAECggEAMwAwlTe+pFOs1Mn5Uy2HQE8YAYQLJeGgM/qajP3bwBTE\n\
L0usvSPXPw0dK4nnfgi37XU6R8Q0iYgJZ7HFkTXnPYgnjQg4FTDEm4edZ/Kx8UmF\n\
hzRpa2wrBno2eNEveT1uoLJEP+WSxyG3kK1J1WQHl3OISTvOsu8093HIrJ5OkbJ3\n\
PdQRgksXfB9cJ5L9dhTjNqgn20uyXqhQTBv69n48PEvvapMwgPheyt/buDfyLiTs\n\
xXS4ERLvCMj2XVEv7h692JjryajuHj8G8wxIWNincOtJrWBKur35xpa1E8I4t1N+\n\
Dga5RM/cnpfa6J7ax4wUXeXVhiuSqiTl4+PrVgbQMQKBgQD5h1hHWmFWqTiwqY1p\n\
8W2MbUSyUEdb5UfdLaF1grW1CTHP7BJBu0lJp8puAN/PCWFnO+Wwm+m3VTR2Rf4N\n\
m1+aHWoeI+TQi0GJb8+h7DpD+BQ6yJyLmFc1rSA47Dete2ASYANDH4tO1s6rnI5t\n\
CH5tfrQ/yuyZ6WQeIYQdm8lucQKBgQDXcpmEhVTw89SSeiY88FCg/g/UkTnEzNcs\n\
TmGJkx97Ia5pjTehHyfO4+91qty4bCtaeAniju45FQw1nsfEOUQLGi0CtzferkIn\n\
5rjIPjvEiE/te58xb5aZYypqwtpeDgjAckX8gWjYvNCw1dEHoKvAkcks8ep2L18V\n\
0Vf8Wu1sVQKBgBdpeIHxW/Kqm/QPZIJNMa8cTXbBi4B2ycBZ2K1S30OmIjNU/f2G\n\
2gB8KsUZdeZSBf6OoyVn64zVBMAYHxcdveGS4vMDASQD/NktUXjq1iisbRF64x1B\n\
5OTXYo+UskCns8LlmUjB++sgwnFdlgtq4ZnaaoUVwA9M06T0FhZFGKgxAoGBAI2o\n\
gT48OLxxZhyligzZafpg8mGu11AJ65TrOICvpqxcWgR24NPk21TSVDmHDbeJD/xd\n\
HwrDNel8aFm9O9ZOXOn73QqDE44r/72im262VLAFfKBGf0aO+3OBW3t1AQWErsZy\n\
nIfJQvn3NDSBcf5U63kjoiYWLjZlMVz0F6kK1D89AoGBAJvnZl58zFQIQxAbzkBF\n\
xHuiekJOQ8K+2K1aHjT00rbzUI4ngANMmb3WkiJM2ff9yiKJAqdVp4Nqc8QsQvF4\n\
t+qtjJOnR8XGunm7Wz97d90+rmXqeCyIItTykV9CDbUXGaYgFnr2B8elt4UrkhM6\n\
VTpBmSAWDoGRASYzHwO94KPN\n\
-----END PRIVATE KEY-----";
const FUZZ_P256: &str = "-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgb+GjhpOlOlCuXC/0\n\
GoPOZft2rGRDCAYC6aHf6+cwOfuhRANCAASYYj16MTjjd/L0AstlFE/u5Fo23bL0\n\
MtnsiDMbfnsHTboyQWlpX3eVoWXKlQtwGGclWrth84WXk+oh5WGYUiaL\n\
-----END PRIVATE KEY-----";
const FUZZ_P384: &str = "-----BEGIN PRIVATE KEY-----\n\
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDD5hIvssKoS82y+JCbG\n\
RCBdLI/rVCOSkDK1bRum1pdQvxUsIozCm49Vj64W0RDtkeuhZANiAARcyShNjkUj\n\
lEZsucT4BNluqfXfTFC5PiJhT5bWQ6Cwv2dXXE6No7/BVzAxMJm3ZRgSsp2jizO3\n\
NnUB28DnkD5lkyYGJXGg1dRjiECgu3xbkCGNQ5MMCqYf+P10F2mBfOc=\n\
-----END PRIVATE KEY-----";
const FUZZ_ED25519: &str = "-----BEGIN PRIVATE KEY-----\n\
MC4CAQAwBQYDK2VwBCIEIMQ8gmNG48medn38mSgD2VY0sGqtg5t1siCd8rtig/dR\n\
-----END PRIVATE KEY-----";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Policy, Verifier};

    #[test]
    fn generated_tokens_carry_exactly_the_generated_claims() {
        let key = fuzzing_key(KeyFamily::Hmac).unwrap();
        let verifier = Verifier::new(
            key.verifying_key(),
            Policy::new([Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]).allow_missing_exp(),
        );
        for seed in 0..200u32 {
            let bytes: Vec<u8> = (0..512u32)
                .map(|i| (i.wrapping_mul(2654435761).wrapping_add(seed * 97) >> 13) as u8)
                .collect();
            let Ok(parts) = FuzzToken::arbitrary(&mut Unstructured::new(&bytes)) else {
                continue;
            };
            let token = sign_for_fuzzing(&parts, &key).unwrap();
            let untrusted = crate::UntrustedToken::decode(&token).unwrap();
            assert_eq!(untrusted.payload(), parts.claims_json().as_bytes());
            // Whatever was generated, verification answers without panicking.
            let _ = verifier.verify::<serde_json::Value>(&token);
        }
    }

    #[test]
    fn every_family_has_a_fuzzing_key_that_signs_generated_tokens() {
        let bytes = [0x5au8; 300];
        let parts = FuzzToken::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
        for alg in Algorithm::ALL {
            let key = fuzzing_key(alg.family()).unwrap();
            let mut parts = parts.clone();
            parts.header.alg = alg;
            let token = sign_for_fuzzing(&parts, &key).unwrap();
            let (input, sig) = token.rsplit_once('.').unwrap();
            let sig = crate::base64url::decode(sig.as_bytes()).unwrap();
            key.verifying_key()
                .verify_signature(alg, input.as_bytes(), &sig)
                .unwrap();
        }
    }

    #[test]
    fn json_is_exactly_the_parts() {
        let parts = FuzzToken {
            header: FuzzHeader {
                alg: Algorithm::HS256,
                typ: Some("JWT".into()),
                kid: None,
                cty: None,
                extra: vec![("x".into(), FuzzValue::Float(f64::NAN))],
            },
            claims: RegisteredClaims {
                sub: Some("a\"b".into()),
                aud: Some(Audience::Many(vec!["x".into(), "y".into()])),
                exp: Some(NumericDate::from_secs(10).unwrap()),
                ..RegisteredClaims::default()
            },
            extra: vec![("sub".into(), FuzzValue::Int(-1))],
        };
        assert_eq!(
            parts.header_json(),
            r#"{"alg":"HS256","typ":"JWT","x":null}"#
        );
        assert_eq!(
            parts.claims_json(),
            r#"{"sub":"a\"b","aud":["x","y"],"exp":10,"sub":-1}"#
        );
    }
}
