//! Tokens on the way in: splitting and decoding, untrusted inspection, and the verified result.

use std::borrow::Cow;
use std::fmt;

use crate::header_memo::{self, HeaderFacts};
use crate::json::AudValue;
use crate::{Algorithm, Audience, Error, NumericDate, RegisteredClaims, base64url};

/// The three parts of a compact JWS, as sent.
pub(crate) struct Parts<'t> {
    /// `header.payload`, the bytes the signature covers.
    pub(crate) signing_input: &'t str,
    pub(crate) header: &'t str,
    pub(crate) payload: &'t str,
    pub(crate) signature: &'t str,
}

/// Checks the size limit and splits a compact token at its first and last `.`.
///
/// A payload that itself contains a `.` (four or more parts: JWE, nested forms) is refused when
/// it fails to decode, which it always does since `.` is not a base64url character; see
/// [`Parts::undecodable`]. That saves a scan of the payload on every valid token.
#[inline]
pub(crate) fn split(token: &str, limit: usize) -> Result<Parts<'_>, Error> {
    if token.len() > limit {
        return Err(Error::TooLarge {
            size: token.len(),
            limit,
        });
    }
    let Some((signing_input, signature)) = token.rsplit_once('.') else {
        return Err(Error::malformed(
            "a compact token has three parts separated by '.'",
        ));
    };
    let Some((header, payload)) = signing_input.split_once('.') else {
        return Err(Error::malformed(
            "a compact token has three parts separated by '.'",
        ));
    };
    if header.is_empty() {
        return Err(Error::malformed("empty header"));
    }
    Ok(Parts {
        signing_input,
        header,
        payload,
        signature,
    })
}

impl Parts<'_> {
    /// The error for a header or payload that is not strict base64url: a payload with a `.` in
    /// it means the token has more than three parts, which is reported as such.
    fn undecodable(&self, what: &'static str) -> Error {
        if self.payload.contains('.') {
            Error::malformed(
                "a compact token has exactly three parts (JWE and other forms are not accepted)",
            )
        } else {
            Error::malformed(what)
        }
    }

    /// Room for the decoded header and payload, so that decoding never reallocates.
    fn decoded_capacity(&self) -> usize {
        decode_reserve(self.header.len()) + decode_reserve(self.payload.len())
    }

    fn decode_header_into(&self, buf: &mut Vec<u8>) -> Result<(), Error> {
        base64url::decode_into(self.header.as_bytes(), buf)
            .ok_or_else(|| self.undecodable("header is not strict base64url"))
    }

    fn decode_payload_into(&self, buf: &mut Vec<u8>) -> Result<(), Error> {
        base64url::decode_into(self.payload.as_bytes(), buf)
            .ok_or_else(|| self.undecodable("payload is not strict base64url"))
    }
}

/// Decodes header and payload into one buffer; returns it with the header's length.
pub(crate) fn decode_parts(parts: &Parts<'_>) -> Result<(Vec<u8>, usize), Error> {
    let mut buf = Vec::with_capacity(parts.decoded_capacity());
    parts.decode_header_into(&mut buf)?;
    let header_len = buf.len();
    parts.decode_payload_into(&mut buf)?;
    Ok((buf, header_len))
}

/// The protected header of a token being verified, as the verifier uses it.
pub(crate) struct Header {
    pub(crate) alg: Algorithm,
    /// `kid` and `typ`, as ranges of the decoded buffer where possible.
    pub(crate) kid: Option<Text>,
    pub(crate) typ: Option<Text>,
    /// Whether this parse was recalled rather than made (see [`header_memo`]).
    recalled: bool,
}

impl Header {
    /// Remembers this header's parse for the rest of the thread's tokens with the same header
    /// text. The verifier calls it once the signature is verified, so that only the holder of a
    /// key can make entries (and evict others).
    pub(crate) fn remember(&self, parts: &Parts<'_>, buf: &[u8], header_len: usize) {
        if self.recalled {
            return;
        }
        if let (Some(facts), Some(json)) = (
            HeaderFacts::of(self.alg, self.kid.as_ref(), self.typ.as_ref()),
            buf.get(..header_len),
        ) {
            header_memo::remember(parts.header, json, facts);
        }
    }
}

/// Decodes header and payload into one buffer and parses the header (or recalls its parse, see
/// [`header_memo`]); returns the buffer, the header's length in it, and the header.
pub(crate) fn decode_token(parts: &Parts<'_>) -> Result<(Vec<u8>, usize, Header), Error> {
    let mut buf = crate::recycle::take(parts.decoded_capacity());
    let recalled = header_memo::recall(parts.header, &mut buf);
    if recalled.is_none() {
        parts.decode_header_into(&mut buf)?;
    }
    let header_len = buf.len();
    parts.decode_payload_into(&mut buf)?;
    let header = match recalled {
        Some(facts) => Header {
            alg: facts.alg,
            kid: facts.kid(),
            typ: facts.typ(),
            recalled: true,
        },
        None => {
            let json = std::str::from_utf8(buf.get(..header_len).unwrap_or_default())
                .map_err(|_| Error::malformed("header is not UTF-8"))?;
            let raw = crate::json::parse_header(json)?;
            Header {
                alg: raw.alg,
                kid: raw.kid.map(|k| Text::of(json, k)),
                typ: raw.typ.map(|t| Text::of(json, t)),
                recalled: false,
            }
        }
    };
    Ok((buf, header_len, header))
}

/// The length of the data that `n` characters of unpadded base64url decode to.
fn decoded_len(n: usize) -> usize {
    n / 4 * 3 + (n % 4).saturating_sub(1)
}

/// What the base64 decoder reserves for `n` characters (whole 3-byte groups), so that decoding
/// into a buffer of this capacity never reallocates.
fn decode_reserve(n: usize) -> usize {
    n.div_ceil(4) * 3
}

/// Largest signature accepted: an RSA-8192 signature.
pub(crate) const MAX_RSA_SIGNATURE_LEN: usize = 1024;

/// Largest signature of the other families: ES384 (96 bytes).
pub(crate) const MAX_OTHER_SIGNATURE_LEN: usize = 96;

/// Decodes the signature into `out`, returning its length. A signature longer than `out` cannot
/// be valid for the algorithm and is `invalid_signature` without being decoded.
#[inline]
pub(crate) fn decode_signature(parts: &Parts<'_>, out: &mut [u8]) -> Result<usize, Error> {
    if decoded_len(parts.signature.len()) > out.len() {
        return Err(Error::InvalidSignature);
    }
    base64url::decode_to_slice(parts.signature.as_bytes(), out)
        .ok_or_else(|| Error::malformed("signature is not strict base64url"))
}

/// A string stored either as a range of a [`Verified`]'s buffer or on its own.
#[derive(Clone)]
pub(crate) enum Text {
    Span(u32, u32),
    Owned(Box<str>),
}

impl Text {
    /// Records `s`, which was decoded from `buf`: a range when it borrows from `buf` (no escapes).
    #[inline]
    pub(crate) fn of(buf: &str, s: Cow<'_, str>) -> Text {
        if let Cow::Borrowed(b) = &s {
            let start = (b.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
            let end = start.wrapping_add(b.len());
            if start <= end && end <= buf.len() && end <= u32::MAX as usize {
                return Text::Span(start as u32, end as u32);
            }
        }
        Text::owned(s)
    }

    /// A string that had escapes (and so is not a range of the buffer).
    #[cold]
    #[inline(never)]
    fn owned(s: Cow<'_, str>) -> Text {
        Text::Owned(s.into_owned().into_boxed_str())
    }

    #[inline]
    pub(crate) fn get<'a>(&'a self, buf: &'a str) -> &'a str {
        match self {
            Text::Span(start, end) => buf.get(*start as usize..*end as usize).unwrap_or_default(),
            Text::Owned(s) => s,
        }
    }
}

#[derive(Clone)]
pub(crate) enum AudText {
    One(Text),
    Many(Vec<Text>),
}

impl AudText {
    #[inline]
    pub(crate) fn of(buf: &str, aud: AudValue<'_>) -> AudText {
        match aud {
            AudValue::One(a) => AudText::One(Text::of(buf, a)),
            AudValue::Many(v) => AudText::many(buf, v),
        }
    }

    #[inline(never)]
    fn many(buf: &str, auds: Vec<Cow<'_, str>>) -> AudText {
        AudText::Many(auds.into_iter().map(|a| Text::of(buf, a)).collect())
    }

    fn as_slice(&self) -> &[Text] {
        match self {
            AudText::One(t) => std::slice::from_ref(t),
            AudText::Many(v) => v,
        }
    }
}

/// A token whose signature, policy and revocation checks all passed. Only the crate constructs it.
///
/// The registered claims are read through accessors that borrow from the decoded token, so they
/// cost no allocation; the caller's claims type `T` is decoded in the same pass. When a
/// `Verified` is dropped, the thread that drops it keeps its buffer (a few per thread, up to
/// 4 KiB each) for its next verification, so that verifying allocates only what `T` does.
///
/// ```
/// # use tessera::*;
/// # let key = SigningKey::hmac(&[7u8; 32]).unwrap();
/// # let token = Issuer::new(&key).issuer("https://issuer.example").issue("alice", &()).unwrap();
/// # let verifier = Verifier::new(key.verifying_key(), Policy::new([Algorithm::HS256]).issuer("https://issuer.example"));
/// let verified: Verified<serde_json::Value> = verifier.verify(&token)?;
/// assert_eq!(verified.subject(), Some("alice"));
/// assert_eq!(verified.algorithm(), Algorithm::HS256);
/// # Ok::<(), tessera::Error>(())
/// ```
pub struct Verified<T> {
    pub(crate) buf: crate::recycle::TokenText,
    pub(crate) header_len: usize,
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<Text>,
    pub(crate) typ: Option<Text>,
    pub(crate) iss: Option<Text>,
    pub(crate) sub: Option<Text>,
    pub(crate) jti: Option<Text>,
    pub(crate) aud: Option<AudText>,
    pub(crate) exp: Option<NumericDate>,
    pub(crate) nbf: Option<NumericDate>,
    pub(crate) iat: Option<NumericDate>,
    pub(crate) auth_time: Option<NumericDate>,
    pub(crate) claims: T,
}

impl<T> Verified<T> {
    /// The algorithm the token was signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The `kid` header.
    pub fn key_id(&self) -> Option<&str> {
        self.kid.as_ref().map(|t| t.get(&self.buf))
    }

    /// The `typ` header, as sent.
    pub fn token_type(&self) -> Option<&str> {
        self.typ.as_ref().map(|t| t.get(&self.buf))
    }

    /// `iss`.
    pub fn issuer(&self) -> Option<&str> {
        self.iss.as_ref().map(|t| t.get(&self.buf))
    }

    /// `sub`.
    pub fn subject(&self) -> Option<&str> {
        self.sub.as_ref().map(|t| t.get(&self.buf))
    }

    /// `jti`.
    pub fn jwt_id(&self) -> Option<&str> {
        self.jti.as_ref().map(|t| t.get(&self.buf))
    }

    /// The audiences in `aud` (none when absent).
    pub fn audiences(&self) -> impl Iterator<Item = &str> {
        self.aud
            .iter()
            .flat_map(AudText::as_slice)
            .map(|t| t.get(&self.buf))
    }

    /// `exp`.
    pub fn expires_at(&self) -> Option<NumericDate> {
        self.exp
    }

    /// `nbf`.
    pub fn not_before(&self) -> Option<NumericDate> {
        self.nbf
    }

    /// `iat`.
    pub fn issued_at(&self) -> Option<NumericDate> {
        self.iat
    }

    /// `auth_time` (OpenID Connect): when the session the token belongs to began.
    pub fn auth_time(&self) -> Option<NumericDate> {
        self.auth_time
    }

    /// The caller's claims.
    pub fn claims(&self) -> &T {
        &self.claims
    }

    /// The caller's claims, by value.
    pub fn into_claims(self) -> T {
        self.claims
    }

    /// The protected header as the JSON text that was signed.
    pub fn header_json(&self) -> &str {
        self.buf.get(..self.header_len).unwrap_or_default()
    }

    /// The claims as the JSON text that was signed.
    pub fn claims_json(&self) -> &str {
        self.buf.get(self.header_len..).unwrap_or_default()
    }

    /// The registered claims, copied into an owned value.
    pub fn registered(&self) -> RegisteredClaims {
        RegisteredClaims {
            iss: self.issuer().map(str::to_owned),
            sub: self.subject().map(str::to_owned),
            aud: self.aud.as_ref().map(|a| match a {
                AudText::One(t) => Audience::One(t.get(&self.buf).to_owned()),
                AudText::Many(v) => {
                    Audience::Many(v.iter().map(|t| t.get(&self.buf).to_owned()).collect())
                }
            }),
            exp: self.exp,
            nbf: self.nbf,
            iat: self.iat,
            jti: self.jwt_id().map(str::to_owned),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Verified<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("alg", &self.alg)
            .field("kid", &self.key_id())
            .field("typ", &self.token_type())
            .field("registered", &self.registered())
            .field("claims", &self.claims)
            .finish()
    }
}

/// A JWS whose signature verified, with a payload that need not be JSON (e.g. RFC 7520's text
/// payloads, or a signed revocation snapshot). No claim checks were made.
#[derive(Debug, Clone)]
pub struct VerifiedJws {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
    pub(crate) payload: Vec<u8>,
}

impl VerifiedJws {
    /// The algorithm the JWS was signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The `kid` header.
    pub fn key_id(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The `typ` header.
    pub fn token_type(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// The payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The payload bytes, by value.
    pub fn into_payload(self) -> Vec<u8> {
        self.payload
    }
}

/// A token decoded **without verification**, for inspection only (logging, debugging, choosing a
/// verifier by issuer). Nothing read from it may be trusted: anyone can make one.
///
/// ```
/// use tessera::UntrustedToken;
/// let t = UntrustedToken::decode("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln")?;
/// assert_eq!(t.header()["alg"], "HS256");
/// assert_eq!(t.claims()?["sub"], "alice");
/// # Ok::<(), tessera::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct UntrustedToken {
    header: serde_json::Map<String, serde_json::Value>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl UntrustedToken {
    /// Splits and decodes a compact token. The header must be a JSON object; the payload may be
    /// anything.
    ///
    /// # Errors
    /// [`Error::TooLarge`] over 16 KiB, [`Error::Malformed`] when the structure or encoding is wrong.
    pub fn decode(token: &str) -> Result<Self, Error> {
        let parts = split(token, crate::policy::DEFAULT_MAX_TOKEN_BYTES)?;
        let (mut buf, header_len) = decode_parts(&parts)?;
        let payload = buf.split_off(header_len);
        let header =
            std::str::from_utf8(&buf).map_err(|_| Error::malformed("header is not UTF-8"))?;
        let header = crate::json::parse_object(header)?;
        let signature = base64url::decode(parts.signature.as_bytes())
            .ok_or_else(|| Error::malformed("signature is not strict base64url"))?;
        Ok(UntrustedToken {
            header,
            payload,
            signature,
        })
    }

    /// The header as a JSON object.
    pub fn header(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.header
    }

    /// The `alg` header, if it names a supported algorithm.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.header
            .get("alg")
            .and_then(|a| a.as_str())
            .and_then(|a| Algorithm::from_name(a).ok())
    }

    /// The `kid` header, if it is a string.
    pub fn key_id(&self) -> Option<&str> {
        self.header.get("kid").and_then(|k| k.as_str())
    }

    /// The raw payload.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The raw signature.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The payload as a JSON object of claims.
    ///
    /// # Errors
    /// [`Error::Malformed`] when the payload is not a JSON object (duplicate names included).
    pub fn claims(&self) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        let text = std::str::from_utf8(&self.payload)
            .map_err(|_| Error::malformed("claims are not UTF-8"))?;
        object(text)
    }

    /// The registered claims, strictly typed.
    ///
    /// # Errors
    /// As [`UntrustedToken::claims`], and [`Error::InvalidClaim`] for a registered claim of the
    /// wrong type.
    pub fn registered_claims(&self) -> Result<RegisteredClaims, Error> {
        let text = std::str::from_utf8(&self.payload)
            .map_err(|_| Error::malformed("claims are not UTF-8"))?;
        let mut observer = |_: usize, _: &serde_json::Value| {};
        let mut sink = crate::json::ClaimsSink::new(&crate::json::Unwatched, &mut observer);
        crate::json::decode_claims::<serde::de::IgnoredAny>(text, &mut sink)?;
        let sink = sink.into_found();
        Ok(RegisteredClaims {
            iss: sink.iss.map(Cow::into_owned),
            sub: sink.sub.map(Cow::into_owned),
            aud: sink.aud.map(|a| match a {
                AudValue::One(a) => Audience::One(a.into_owned()),
                AudValue::Many(v) => Audience::Many(v.into_iter().map(Cow::into_owned).collect()),
            }),
            exp: sink.exp,
            nbf: sink.nbf,
            iat: sink.iat,
            jti: sink.jti.map(Cow::into_owned),
        })
    }
}

/// Parses a JSON object strictly (duplicate names rejected).
fn object(text: &str) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let mut observer = |_: usize, _: &serde_json::Value| {};
    let mut sink = crate::json::ClaimsSink::new(&crate::json::Unwatched, &mut observer);
    crate::json::decode_claims(text, &mut sink)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_length_matches_the_decoder() {
        for len in 0..50usize {
            let data = vec![0xA5u8; len];
            let encoded = base64url::encode(&data);
            assert_eq!(decoded_len(encoded.len()), len);
        }
    }

    #[test]
    fn split_rules() {
        assert!(split("a.b.c", 100).is_ok());
        assert!(split("a..c", 100).is_ok());
        assert!(split("a.b.", 100).is_ok());
        for bad in ["", "a", "a.b", ".b.c"] {
            assert!(split(bad, 100).is_err(), "{bad}");
        }
        // More than three parts: refused when decoded, with the same message whichever part
        // fails first.
        for bad in ["a.b.c.d", "eyJ9.e30.c.d", "a.b.c.d.e", "e30.e30.e30.e30"] {
            let parts = split(bad, 100).unwrap();
            for err in [decode_parts(&parts).err(), decode_token(&parts).err()] {
                let msg = err.map(|e| e.to_string()).unwrap_or_default();
                assert!(msg.contains("exactly three parts"), "{bad}: {msg}");
            }
        }
        assert!(matches!(
            split("a.b.c", 4),
            Err(Error::TooLarge { size: 5, limit: 4 })
        ));
    }
}
