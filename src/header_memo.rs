//! A per-thread memo of recently parsed protected headers.
//!
//! A service sees the same few headers over and over (one per issuer key: `alg`, `typ`, `kid`),
//! and what the header parser makes of a header is a function of its base64url text alone. So
//! each thread remembers the last few headers it parsed successfully, keyed by that exact text,
//! and a token whose header text is byte-for-byte equal to a remembered one reuses the parse
//! instead of decoding and parsing it again.
//!
//! Nothing a policy decides is remembered: the algorithm allowlist, `typ` and key selection run
//! on every verification. A header is remembered only once the signature of its token has been
//! verified, so only the holder of a key can add entries or evict them (a refused header is
//! parsed, and refused, every time), and only when `kid` and `typ` contain no JSON escapes, so
//! that they can be given back as ranges of the decoded JSON. A memo holds [`SLOTS`] entries of
//! at most [`MAX_TEXT`] characters per thread; it never grows.

use std::cell::RefCell;

use crate::Algorithm;
use crate::token::Text;

/// Entries per thread.
const SLOTS: usize = 4;

/// Longest header text (base64url characters) that is remembered.
const MAX_TEXT: usize = 512;

/// What a header parsed to: its algorithm and where `kid` and `typ` are in its JSON.
#[derive(Clone)]
pub(crate) struct HeaderFacts {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<(u32, u32)>,
    pub(crate) typ: Option<(u32, u32)>,
}

impl HeaderFacts {
    /// The facts with `kid` and `typ` as ranges, or `None` when either had escapes (and so is
    /// not a range of the JSON text).
    pub(crate) fn of(alg: Algorithm, kid: Option<&Text>, typ: Option<&Text>) -> Option<Self> {
        fn span(t: Option<&Text>) -> Option<Option<(u32, u32)>> {
            match t {
                None => Some(None),
                Some(Text::Span(start, end)) => Some(Some((*start, *end))),
                Some(Text::Owned(_)) => None,
            }
        }
        Some(HeaderFacts {
            alg,
            kid: span(kid)?,
            typ: span(typ)?,
        })
    }

    pub(crate) fn kid(&self) -> Option<Text> {
        self.kid.map(|(start, end)| Text::Span(start, end))
    }

    pub(crate) fn typ(&self) -> Option<Text> {
        self.typ.map(|(start, end)| Text::Span(start, end))
    }
}

struct Entry {
    /// The header as sent (base64url).
    text: Box<str>,
    /// The header's decoded JSON.
    json: Box<[u8]>,
    facts: HeaderFacts,
}

struct Memo {
    entries: [Option<Entry>; SLOTS],
    /// The slot the next insertion overwrites.
    next: usize,
}

thread_local! {
    static MEMO: RefCell<Memo> = const {
        RefCell::new(Memo {
            entries: [None, None, None, None],
            next: 0,
        })
    };
}

/// If `text` was parsed on this thread recently, appends its decoded JSON to `out` and returns
/// what it parsed to.
pub(crate) fn recall(text: &str, out: &mut Vec<u8>) -> Option<HeaderFacts> {
    MEMO.try_with(|memo| {
        let memo = memo.try_borrow().ok()?;
        let entry = memo
            .entries
            .iter()
            .flatten()
            .find(|e| e.text.len() == text.len() && *e.text == *text)?;
        out.extend_from_slice(&entry.json);
        Some(entry.facts.clone())
    })
    .ok()
    .flatten()
}

/// Remembers that `text` decoded to `json` and parsed to `facts`.
pub(crate) fn remember(text: &str, json: &[u8], facts: HeaderFacts) {
    if text.len() > MAX_TEXT {
        return;
    }
    // `try_with`: a thread being torn down simply does not remember.
    let _ = MEMO.try_with(|memo| {
        if let Ok(mut memo) = memo.try_borrow_mut() {
            let slot = memo.next % SLOTS;
            memo.next = (slot + 1) % SLOTS;
            if let Some(entry) = memo.entries.get_mut(slot) {
                *entry = Some(Entry {
                    text: text.into(),
                    json: json.into(),
                    facts,
                });
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(alg: Algorithm) -> HeaderFacts {
        HeaderFacts {
            alg,
            kid: Some((1, 3)),
            typ: None,
        }
    }

    #[test]
    fn recalls_exact_text_only() {
        remember("eyJh", b"{\"a\"}", facts(Algorithm::HS384));
        let mut out = b"x".to_vec();
        let got = recall("eyJh", &mut out).map(|f| (f.alg, f.kid, f.typ));
        assert_eq!(got, Some((Algorithm::HS384, Some((1, 3)), None)));
        assert_eq!(out, b"x{\"a\"}");
        let mut out = Vec::new();
        assert!(recall("eyJi", &mut out).is_none());
        assert!(recall("eyJ", &mut out).is_none());
        assert!(out.is_empty());
    }

    #[test]
    fn holds_a_bounded_number_of_entries() {
        for i in 0..3 * SLOTS {
            remember(&format!("h{i}"), b"{}", facts(Algorithm::ES256));
        }
        let mut out = Vec::new();
        let kept = (0..3 * SLOTS)
            .filter(|i| recall(&format!("h{i}"), &mut out).is_some())
            .count();
        assert_eq!(kept, SLOTS);
        // The most recent ones are those kept.
        assert!(recall(&format!("h{}", 3 * SLOTS - 1), &mut out).is_some());
        assert!(recall("h0", &mut out).is_none());
    }

    #[test]
    fn long_texts_are_not_remembered() {
        let long = "e".repeat(MAX_TEXT + 1);
        remember(&long, b"{}", facts(Algorithm::RS256));
        assert!(recall(&long, &mut Vec::new()).is_none());
    }

    /// Only a token whose signature verified leaves its header behind.
    #[test]
    fn only_verified_signatures_leave_a_header_behind() {
        use crate::{Policy, SigningKey, Verifier};
        let key = SigningKey::hmac(&[9u8; 32]).unwrap();
        let other = SigningKey::hmac(&[8u8; 32]).unwrap();
        let verifier = Verifier::new(
            key.verifying_key(),
            Policy::new([Algorithm::HS256]).allow_missing_exp(),
        );
        let header = r#"{"alg":"HS256","kid":"memo-test"}"#;
        let text = crate::base64url::encode(header.as_bytes());
        let token = |k: &SigningKey| {
            let input = format!("{text}.{}", crate::base64url::encode(b"{}"));
            let sig = k.sign_with(Algorithm::HS256, input.as_bytes()).unwrap();
            format!("{input}.{}", crate::base64url::encode(&sig))
        };
        assert!(verifier.verify::<()>(&token(&other)).is_err());
        assert!(recall(&text, &mut Vec::new()).is_none());
        assert!(verifier.verify::<()>(&token(&key)).is_ok());
        let mut json = Vec::new();
        let facts = recall(&text, &mut json).map(|f| (f.alg, f.kid));
        assert_eq!(facts, Some((Algorithm::HS256, Some((22, 31)))));
        assert_eq!(json, header.as_bytes());
        assert_eq!(json.get(22..31), Some(&b"memo-test"[..]));
    }

    #[test]
    fn escaped_members_are_not_ranges() {
        let owned = Text::Owned("k".into());
        assert!(HeaderFacts::of(Algorithm::HS256, Some(&owned), None).is_none());
        let span = Text::Span(2, 4);
        let f = HeaderFacts::of(Algorithm::HS256, Some(&span), None).map(|f| f.kid);
        assert_eq!(f, Some(Some((2, 4))));
    }
}
