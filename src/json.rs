//! Strict JSON object decoding for headers and claims.
//!
//! Both reject duplicate member names (also when spelled with `\u` escapes) in linear time, and
//! rely on serde_json's recursion limit (128) to bound nesting. Claims are decoded in one pass:
//! the caller's type `T` drives the map, and every member goes through a tee that records the
//! registered claims (typed, strictly) and any member the policy watches.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::value::{CowStrDeserializer, F64Deserializer, I64Deserializer, SeqDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};
use serde::forward_to_deserialize_any;

use crate::claims::NumericDateVisitor;
use crate::error::excerpt;
use crate::{Algorithm, Error, NumericDate};

/// A string that borrows from the input when it has no escapes.
pub(crate) struct CowStr<'de>(pub(crate) Cow<'de, str>);

impl<'de> de::Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Member names seen so far in one object, to reject duplicates in linear time.
///
/// Names the caller has already classified (registered claims, known header members) are
/// recorded as bits. Other names are kept in an inline array of borrowed names (no allocation, no
/// drop work) with a small side list for names that had escapes; past that, everything moves to a
/// hash set, so that a pathological object with many members still costs linear time.
pub(crate) struct SeenKeys<'de> {
    known: u32,
    small: [&'de str; SMALL_KEYS],
    len: usize,
    /// Allocated only for names with escapes or objects with many members, so that the usual
    /// object costs nothing to set up or drop.
    more: Option<Box<MoreKeys<'de>>>,
}

#[derive(Default)]
struct MoreKeys<'de> {
    escaped: Vec<String>,
    large: Option<HashSet<Cow<'de, str>>>,
}

const SMALL_KEYS: usize = 8;

impl<'de> SeenKeys<'de> {
    #[inline]
    pub(crate) fn new() -> Self {
        SeenKeys {
            known: 0,
            small: [""; SMALL_KEYS],
            len: 0,
            more: None,
        }
    }

    /// Records a classified name by its bit; false if it was already seen.
    #[inline]
    pub(crate) fn insert_known(&mut self, bit: u32) -> bool {
        let fresh = self.known & bit == 0;
        self.known |= bit;
        fresh
    }

    /// Records any other name; false if it was already seen.
    #[allow(clippy::ptr_arg)] // a borrowed key is kept borrowed
    pub(crate) fn insert(&mut self, key: &Cow<'de, str>) -> bool {
        if let Some(set) = self.more.as_mut().and_then(|m| m.large.as_mut()) {
            return set.insert(key.clone());
        }
        let name: &str = key;
        let small = self.small.get(..self.len).unwrap_or_default();
        let escaped: &[String] = self.more.as_ref().map_or(&[], |m| &m.escaped);
        if small.contains(&name) || escaped.iter().any(|k| k == name) {
            return false;
        }
        match key {
            Cow::Borrowed(b) if self.len < SMALL_KEYS => {
                if let Some(slot) = self.small.get_mut(self.len) {
                    *slot = b;
                    self.len += 1;
                }
            }
            Cow::Owned(o) if escaped.len() < SMALL_KEYS => {
                self.more
                    .get_or_insert_with(Box::default)
                    .escaped
                    .push(o.clone());
            }
            _ => {
                let more = self.more.get_or_insert_with(Box::default);
                let mut set: HashSet<Cow<'de, str>> = small
                    .iter()
                    .map(|k| Cow::Borrowed(*k))
                    .chain(more.escaped.drain(..).map(Cow::Owned))
                    .collect();
                set.insert(key.clone());
                more.large = Some(set);
            }
        }
        true
    }
}

// ---------------------------------------------------------------------------------------------
// Strict skipping

/// A value read in full and discarded. Unlike [`IgnoredAny`], which serde_json skips without
/// checking escapes, strings are decoded, so a lone surrogate (`"\ud800"`) is an error wherever it
/// appears. Nesting is bounded by serde_json's recursion limit.
pub(crate) struct StrictIgnored;

impl<'de> de::Deserialize<'de> for StrictIgnored {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictIgnore)
    }
}

struct StrictIgnore;

impl<'de> Visitor<'de> for StrictIgnore {
    type Value = StrictIgnored;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<StrictIgnored, E> {
        Ok(StrictIgnored)
    }
    fn visit_i64<E>(self, _: i64) -> Result<StrictIgnored, E> {
        Ok(StrictIgnored)
    }
    fn visit_u64<E>(self, _: u64) -> Result<StrictIgnored, E> {
        Ok(StrictIgnored)
    }
    fn visit_f64<E>(self, _: f64) -> Result<StrictIgnored, E> {
        Ok(StrictIgnored)
    }
    fn visit_str<E>(self, _: &str) -> Result<StrictIgnored, E> {
        Ok(StrictIgnored)
    }
    fn visit_unit<E>(self) -> Result<StrictIgnored, E> {
        Ok(StrictIgnored)
    }
    fn visit_none<E>(self) -> Result<StrictIgnored, E> {
        Ok(StrictIgnored)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<StrictIgnored, D::Error> {
        d.deserialize_any(StrictIgnore)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrictIgnored, A::Error> {
        while seq.next_element::<StrictIgnored>()?.is_some() {}
        Ok(StrictIgnored)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StrictIgnored, A::Error> {
        while map.next_entry::<StrictIgnored, StrictIgnored>()?.is_some() {}
        Ok(StrictIgnored)
    }
}

/// Hands a claim's value to the caller's type, reading it strictly if the type ignores it.
struct StrictSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for StrictSeed<S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Strict(d))
    }
}

/// A deserializer that reads an ignored value in full (see [`StrictIgnored`]) and forwards
/// everything else.
struct Strict<D>(D);

macro_rules! forward {
    ($($method:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(visitor)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(StrictIgnore)?;
        visitor.visit_unit()
    }

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

// ---------------------------------------------------------------------------------------------
// Header

/// The protected header of a token being verified, borrowing from the decoded JSON.
pub(crate) struct RawHeader<'de> {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<Cow<'de, str>>,
    pub(crate) typ: Option<Cow<'de, str>>,
}

/// Header members whose meaning RFC 7515 defines; `crit` must not list them (§4.1.11).
const REGISTERED_HEADER_NAMES: &[&str] = &[
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
];

/// Parses and checks a protected header.
///
/// `alg` is required and matched exactly; `kid`, `typ` and `cty` must be strings; `crit` is
/// refused whatever it lists (no extension is processed), as is `b64` other than `true`;
/// `jwk`, `jku`, `x5u`, `x5c` and unknown members are ignored (never used to find a key).
pub(crate) fn parse_header(json: &str) -> Result<RawHeader<'_>, Error> {
    let mut outcome: Option<Error> = None;
    let mut de = serde_json::Deserializer::from_str(json);
    let parsed = de.deserialize_map(HeaderVisitor {
        outcome: &mut outcome,
    });
    let header = match (parsed, outcome) {
        (_, Some(err)) => return Err(err),
        (Err(e), None) => return Err(malformed_header(&e)),
        (Ok(h), None) => h,
    };
    de.end().map_err(|e| malformed_header(&e))?;
    Ok(header)
}

fn malformed_header(e: &serde_json::Error) -> Error {
    Error::Malformed(format!("header is not a valid JSON object: {e}").into())
}

struct HeaderVisitor<'o> {
    outcome: &'o mut Option<Error>,
}

impl HeaderVisitor<'_> {
    fn fail<E: de::Error>(&mut self, err: Error) -> E {
        let msg = err.to_string();
        *self.outcome = Some(err);
        E::custom(msg)
    }
}

impl<'de> Visitor<'de> for HeaderVisitor<'_> {
    type Value = RawHeader<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = SeenKeys::new();
        let mut alg = None;
        let mut kid = None;
        let mut typ = None;
        while let Some(CowStr(key)) = map.next_key::<CowStr<'de>>()? {
            let fresh = match header_bit(&key) {
                Some(bit) => seen.insert_known(bit),
                None => seen.insert(&key),
            };
            if !fresh {
                let detail = format!("duplicate header member {}", excerpt(&key));
                return Err(self.fail(Error::Malformed(detail.into())));
            }
            match &*key {
                "alg" => {
                    let CowStr(name) = map
                        .next_value::<CowStr<'de>>()
                        .map_err(|_| self.fail(Error::malformed("alg must be a string")))?;
                    alg = Some(Algorithm::from_name(&name).map_err(|e| self.fail(e))?);
                }
                "kid" => {
                    let CowStr(v) = map
                        .next_value::<CowStr<'de>>()
                        .map_err(|_| self.fail(Error::malformed("kid must be a string")))?;
                    kid = Some(v);
                }
                "typ" => {
                    let CowStr(v) = map
                        .next_value::<CowStr<'de>>()
                        .map_err(|_| self.fail(Error::malformed("typ must be a string")))?;
                    typ = Some(v);
                }
                "cty" => {
                    map.next_value::<CowStr<'de>>()
                        .map_err(|_| self.fail(Error::malformed("cty must be a string")))?;
                }
                "crit" => {
                    let err = match map.next_value::<Vec<CowStr<'de>>>() {
                        Ok(names) => crit_error(&names),
                        Err(_) => Error::UnsupportedCriticalHeader(
                            "crit must be an array of strings".into(),
                        ),
                    };
                    return Err(self.fail(err));
                }
                "b64" => {
                    if !map.next_value::<bool>().unwrap_or(false) {
                        return Err(self.fail(Error::UnsupportedCriticalHeader(
                            "b64 (unencoded payloads are not supported)".into(),
                        )));
                    }
                }
                _ => {
                    map.next_value::<StrictIgnored>()?;
                }
            }
        }
        let alg = alg.ok_or_else(|| self.fail(Error::malformed("header has no alg")))?;
        Ok(RawHeader { alg, kid, typ })
    }
}

/// The bit of a header member the header parser handles itself.
fn header_bit(name: &str) -> Option<u32> {
    Some(match name {
        "alg" => 1,
        "kid" => 2,
        "typ" => 4,
        "cty" => 8,
        "crit" => 16,
        "b64" => 32,
        _ => return None,
    })
}

fn crit_error(names: &[CowStr<'_>]) -> Error {
    let Some(CowStr(first)) = names.first() else {
        return Error::UnsupportedCriticalHeader("crit must not be empty".into());
    };
    if let Some(CowStr(reg)) = names
        .iter()
        .find(|CowStr(n)| REGISTERED_HEADER_NAMES.contains(&&**n))
    {
        return Error::UnsupportedCriticalHeader(format!(
            "{} (a registered header cannot be critical)",
            excerpt(reg)
        ));
    }
    Error::UnsupportedCriticalHeader(excerpt(first))
}

/// Parses a JSON object with no meaning attached to its members (a header shown for inspection):
/// duplicate names are rejected, values are kept as they are.
pub(crate) fn parse_object(
    json: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    struct ObjectVisitor<'o>(&'o mut Option<Error>);

    impl<'de> Visitor<'de> for ObjectVisitor<'_> {
        type Value = serde_json::Map<String, serde_json::Value>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut seen = SeenKeys::new();
            let mut out = serde_json::Map::new();
            while let Some(CowStr(key)) = map.next_key::<CowStr<'de>>()? {
                if !seen.insert(&key) {
                    let detail = format!("duplicate member {}", excerpt(&key));
                    *self.0 = Some(Error::Malformed(detail.into()));
                    return Err(de::Error::custom("duplicate member"));
                }
                let value = map.next_value::<serde_json::Value>()?;
                out.insert(key.into_owned(), value);
            }
            Ok(out)
        }
    }

    let mut outcome = None;
    let mut de = serde_json::Deserializer::from_str(json);
    let parsed = de.deserialize_map(ObjectVisitor(&mut outcome));
    match (parsed, outcome) {
        (_, Some(err)) => Err(err),
        (Err(e), None) => Err(malformed_header(&e)),
        (Ok(object), None) => {
            de.end().map_err(|e| malformed_header(&e))?;
            Ok(object)
        }
    }
}

/// Maps a serde_json error on untrusted input to a crate error.
pub(crate) fn json_error(what: &'static str, e: &serde_json::Error) -> Error {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => {
            let msg = e.to_string();
            if let Some(rest) = msg.strip_prefix("missing field `") {
                let name = rest.split('`').next().unwrap_or_default();
                return Error::MissingClaim(excerpt(name).into());
            }
            Error::InvalidClaim {
                claim: Cow::Borrowed(what),
                reason: msg.into(),
            }
        }
        _ => Error::Malformed(format!("{what} is not a valid JSON object: {e}").into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Claims

/// `aud` as decoded: one audience or a non-empty array of them.
#[derive(Debug, Clone)]
pub(crate) enum AudValue<'de> {
    One(Cow<'de, str>),
    Many(Vec<Cow<'de, str>>),
}

impl<'de> de::Deserialize<'de> for AudValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AudValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a non-empty array of strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(AudValue::One(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AudValue::One(Cow::Owned(v.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut all = Vec::new();
                while let Some(CowStr(a)) = seq.next_element::<CowStr<'de>>()? {
                    all.push(a);
                }
                if all.is_empty() {
                    return Err(de::Error::custom("empty audience array"));
                }
                Ok(AudValue::Many(all))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> AudValue<'de> {
    pub(crate) fn as_slice(&self) -> &[Cow<'de, str>] {
        match self {
            AudValue::One(a) => std::slice::from_ref(a),
            AudValue::Many(v) => v,
        }
    }
}

/// The registered claims found while decoding, strictly typed, borrowing from the JSON text.
#[derive(Default)]
pub(crate) struct Found<'de> {
    pub(crate) iss: Option<Cow<'de, str>>,
    pub(crate) sub: Option<Cow<'de, str>>,
    pub(crate) jti: Option<Cow<'de, str>>,
    pub(crate) aud: Option<AudValue<'de>>,
    pub(crate) exp: Option<NumericDate>,
    pub(crate) nbf: Option<NumericDate>,
    pub(crate) iat: Option<NumericDate>,
    pub(crate) auth_time: Option<NumericDate>,
}

/// The claim names whose values a caller wants to see, by index.
pub(crate) trait WatchList {
    /// The index of `name` in the list, if it is watched.
    fn index_of(&self, name: &str) -> Option<usize>;

    /// Whether nothing is watched (lets the decoder skip the lookups).
    fn is_empty(&self) -> bool {
        false
    }
}

impl<S: AsRef<str>> WatchList for Vec<S> {
    #[inline]
    fn index_of(&self, name: &str) -> Option<usize> {
        self.iter().position(|w| w.as_ref() == name)
    }

    fn is_empty(&self) -> bool {
        Vec::is_empty(self)
    }
}

/// No claim is watched.
pub(crate) struct Unwatched;

impl WatchList for Unwatched {
    #[inline]
    fn index_of(&self, _: &str) -> Option<usize> {
        None
    }

    fn is_empty(&self) -> bool {
        true
    }
}

/// What the claims tee records while the caller's type is decoded.
pub(crate) struct ClaimsSink<'de, 'p> {
    pub(crate) found: Found<'de>,
    /// Names whose values the policy inspects, and an observer that sees each one.
    watched: &'p dyn WatchList,
    nothing_watched: bool,
    observer: &'p mut dyn FnMut(usize, &serde_json::Value),
    /// The precise error for a claim that failed, which outranks serde's message.
    error: Option<Error>,
    seen: SeenKeys<'de>,
}

#[derive(Clone, Copy)]
enum Slot {
    Other,
    Iss,
    Sub,
    Jti,
    Aud,
    Exp,
    Nbf,
    Iat,
    AuthTime,
}

impl Slot {
    /// The bit recording that this registered claim was seen (`Other` has none).
    #[inline]
    fn bit(self) -> Option<u32> {
        Some(match self {
            Slot::Other => return None,
            Slot::Iss => 1,
            Slot::Sub => 2,
            Slot::Jti => 4,
            Slot::Aud => 8,
            Slot::Exp => 16,
            Slot::Nbf => 32,
            Slot::Iat => 64,
            Slot::AuthTime => 128,
        })
    }

    #[inline]
    fn of(name: &str) -> Slot {
        match name {
            "iss" => Slot::Iss,
            "sub" => Slot::Sub,
            "jti" => Slot::Jti,
            "aud" => Slot::Aud,
            "exp" => Slot::Exp,
            "nbf" => Slot::Nbf,
            "iat" => Slot::Iat,
            "auth_time" => Slot::AuthTime,
            _ => Slot::Other,
        }
    }
}

impl<'de, 'p> ClaimsSink<'de, 'p> {
    #[inline]
    pub(crate) fn new(
        watched: &'p dyn WatchList,
        observer: &'p mut dyn FnMut(usize, &serde_json::Value),
    ) -> Self {
        ClaimsSink {
            found: Found::default(),
            nothing_watched: watched.is_empty(),
            watched,
            observer,
            error: None,
            seen: SeenKeys::new(),
        }
    }

    /// The registered claims found.
    #[inline]
    pub(crate) fn into_found(self) -> Found<'de> {
        self.found
    }

    fn fail<E: de::Error>(&mut self, err: Error) -> E {
        let msg = err.to_string();
        if self.error.is_none() {
            self.error = Some(err);
        }
        E::custom(msg)
    }

    #[inline]
    fn watch_index(&self, name: &str) -> Option<usize> {
        if self.nothing_watched {
            None
        } else {
            self.watched.index_of(name)
        }
    }

    fn observe(&mut self, index: usize, value: &serde_json::Value) {
        (self.observer)(index, value);
    }
}

/// Decodes the claims JSON into `T` in one pass, filling `sink`.
pub(crate) fn decode_claims<'de, T: de::DeserializeOwned>(
    json: &'de str,
    sink: &mut ClaimsSink<'de, '_>,
) -> Result<T, Error> {
    if !json
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        return Err(Error::malformed("claims are not a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let result = T::deserialize(Tee {
        inner: &mut de,
        sink: &mut *sink,
    });
    if let Some(err) = sink.error.take() {
        return Err(err);
    }
    let value = result.map_err(|e| json_error("claims", &e))?;
    de.end().map_err(|e| json_error("claims", &e))?;
    Ok(value)
}

struct Tee<'a, 's, 'de, 'p> {
    inner: &'a mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
    sink: &'s mut ClaimsSink<'de, 'p>,
}

impl<'de> Deserializer<'de> for Tee<'_, '_, 'de, '_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_map(TeeVisitor {
            visitor,
            sink: self.sink,
        })
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    /// `()` (and unit structs) take no custom claims: the object is still read through the tee
    /// in full, then the unit is produced.
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_map(TeeVisitor {
            visitor: UnitAfterMap(visitor),
            sink: self.sink,
        })
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_unit(visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Reads a whole map, then gives the inner visitor a unit.
struct UnitAfterMap<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for UnitAfterMap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, StrictIgnored>()?.is_some() {}
        self.0.visit_unit()
    }
}

struct TeeVisitor<'s, 'de, 'p, V> {
    visitor: V,
    sink: &'s mut ClaimsSink<'de, 'p>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TeeVisitor<'_, 'de, '_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_map(TeeMap {
            inner: map,
            sink: self.sink,
            slot: Slot::Other,
            watch: None,
        })
    }
}

struct TeeMap<'s, 'de, 'p, A> {
    inner: A,
    sink: &'s mut ClaimsSink<'de, 'p>,
    slot: Slot,
    watch: Option<usize>,
}

impl<'de, A: MapAccess<'de>> TeeMap<'_, 'de, '_, A> {
    fn string_claim(&mut self, name: &'static str) -> Result<Cow<'de, str>, A::Error> {
        match self.inner.next_value::<CowStr<'de>>() {
            Ok(CowStr(s)) => Ok(s),
            Err(_) => Err(self
                .sink
                .fail(Error::invalid_claim(name, "must be a string"))),
        }
    }

    fn date_claim(&mut self, name: &'static str) -> Result<NumericDate, A::Error> {
        match self.inner.next_value_seed(DateSeed) {
            Ok(d) => Ok(d),
            Err(_) => Err(self.sink.fail(Error::invalid_claim(
                name,
                "must be a number of seconds between 1970 and 9999",
            ))),
        }
    }

    /// Hands a string claim on to the caller's type (and to the policy, if it watches it).
    fn feed_str<V: DeserializeSeed<'de>>(
        &mut self,
        s: Cow<'de, str>,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        if let Some(i) = self.watch {
            self.sink.observe(i, &serde_json::Value::from(&*s));
        }
        seed.deserialize(s.into_deserializer())
    }

    /// Hands a date claim on to the caller's type (and to the policy, if it watches it).
    fn feed_date<V: DeserializeSeed<'de>>(
        &mut self,
        d: NumericDate,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        if let Some(i) = self.watch {
            self.sink.observe(i, &date_value(d));
        }
        if d.subsec_nanos() == 0 {
            seed.deserialize(I64Deserializer::<A::Error>::new(d.as_secs()))
        } else {
            seed.deserialize(F64Deserializer::<A::Error>::new(date_f64(d)))
        }
    }
}

struct DateSeed;

impl<'de> DeserializeSeed<'de> for DateSeed {
    type Value = NumericDate;
    /// Numbers only: JSON's one number type comes back as an integer or a float, whichever it
    /// is, whatever numeric type is asked for; anything else is refused.
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<NumericDate, D::Error> {
        d.deserialize_u64(NumericDateVisitor)
    }
}

fn date_f64(d: NumericDate) -> f64 {
    d.as_secs() as f64 + f64::from(d.subsec_nanos()) / 1e9
}

fn date_value(d: NumericDate) -> serde_json::Value {
    if d.subsec_nanos() == 0 {
        serde_json::Value::from(d.as_secs())
    } else {
        serde_json::Value::from(date_f64(d))
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for TeeMap<'_, 'de, '_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some(CowStr(key)) = self.inner.next_key::<CowStr<'de>>()? else {
            return Ok(None);
        };
        self.slot = Slot::of(&key);
        let fresh = match self.slot.bit() {
            Some(bit) => self.sink.seen.insert_known(bit),
            None => self.sink.seen.insert(&key),
        };
        if !fresh {
            let detail = format!("duplicate claim {}", excerpt(&key));
            return Err(self.sink.fail(Error::Malformed(detail.into())));
        }
        self.watch = self.sink.watch_index(&key);
        let de: CowStrDeserializer<'de, A::Error> = key.into_deserializer();
        seed.deserialize(de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match std::mem::replace(&mut self.slot, Slot::Other) {
            Slot::Other => match self.watch {
                None => self.inner.next_value_seed(StrictSeed(seed)),
                Some(i) => {
                    let value = self.inner.next_value::<serde_json::Value>()?;
                    self.sink.observe(i, &value);
                    seed.deserialize(value).map_err(de::Error::custom)
                }
            },
            Slot::Iss => {
                let s = self.string_claim("iss")?;
                self.sink.found.iss = Some(s.clone());
                self.feed_str(s, seed)
            }
            Slot::Sub => {
                let s = self.string_claim("sub")?;
                self.sink.found.sub = Some(s.clone());
                self.feed_str(s, seed)
            }
            Slot::Jti => {
                let s = self.string_claim("jti")?;
                self.sink.found.jti = Some(s.clone());
                self.feed_str(s, seed)
            }
            Slot::Exp => {
                let d = self.date_claim("exp")?;
                self.sink.found.exp = Some(d);
                self.feed_date(d, seed)
            }
            Slot::Nbf => {
                let d = self.date_claim("nbf")?;
                self.sink.found.nbf = Some(d);
                self.feed_date(d, seed)
            }
            Slot::Iat => {
                let d = self.date_claim("iat")?;
                self.sink.found.iat = Some(d);
                self.feed_date(d, seed)
            }
            Slot::AuthTime => {
                let d = self.date_claim("auth_time")?;
                self.sink.found.auth_time = Some(d);
                self.feed_date(d, seed)
            }
            Slot::Aud => {
                let Ok(aud) = self.inner.next_value::<AudValue<'de>>() else {
                    return Err(self.sink.fail(Error::invalid_claim(
                        "aud",
                        "must be a string or a non-empty array of strings",
                    )));
                };
                if let Some(i) = self.watch {
                    let value = match &aud {
                        AudValue::One(a) => serde_json::Value::from(&**a),
                        AudValue::Many(v) => {
                            v.iter().map(|a| serde_json::Value::from(&**a)).collect()
                        }
                    };
                    self.sink.observe(i, &value);
                }
                self.sink.found.aud = Some(aud.clone());
                match aud {
                    AudValue::One(a) => seed.deserialize(a.into_deserializer()),
                    AudValue::Many(v) => seed.deserialize(SeqDeserializer::new(v.into_iter())),
                }
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_objects_keep_any_member_but_no_duplicates() {
        let o = parse_object(r#"{"alg":"HS256","exp":"JWT","x":[1]}"#).unwrap();
        assert_eq!(o["exp"], "JWT");
        for bad in [r#"{"a":1,"\u0061":2}"#, "[]", r#"{"a":1} x"#, ""] {
            assert_eq!(
                parse_object(bad).err().map(|e| e.kind()),
                Some(crate::ErrorKind::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn seen_keys_across_the_inline_limit() {
        for n in [
            1,
            SMALL_KEYS - 1,
            SMALL_KEYS,
            SMALL_KEYS + 1,
            2 * SMALL_KEYS + 1,
            200,
        ] {
            let names: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
            let mut seen = SeenKeys::new();
            for name in &names {
                assert!(seen.insert(&Cow::Borrowed(name.as_str())), "{n}: {name}");
            }
            for name in &names {
                assert!(!seen.insert(&Cow::Owned(name.clone())), "{n}: {name} again");
            }
            assert!(seen.insert(&Cow::Borrowed("fresh")));
        }
        // Escaped (owned) and borrowed spellings of one name are the same name, whichever came
        // first, below and above the inline limit.
        for n in [0, SMALL_KEYS + 3] {
            let mut seen = SeenKeys::new();
            let names: Vec<String> = (0..n).map(|i| format!("o{i}")).collect();
            for name in &names {
                assert!(seen.insert(&Cow::Borrowed(name.as_str())));
            }
            assert!(seen.insert(&Cow::Owned("dup".to_owned())));
            assert!(!seen.insert(&Cow::Borrowed("dup")));
            assert!(seen.insert(&Cow::Borrowed("dup2")));
            assert!(!seen.insert(&Cow::Owned("dup2".to_owned())));
        }
        let mut seen = SeenKeys::new();
        assert!(seen.insert_known(4) && !seen.insert_known(4) && seen.insert_known(8));
    }

    #[test]
    fn header_fields() {
        let h = parse_header(r#"{"typ":"at+jwt","alg":"ES256","kid":"a\"b","x":[{}]}"#).unwrap();
        assert_eq!(h.alg, Algorithm::ES256);
        assert_eq!(h.kid.as_deref(), Some("a\"b"));
        assert!(
            matches!(h.kid, Some(Cow::Owned(_))),
            "escaped strings are owned"
        );
        assert!(matches!(h.typ, Some(Cow::Borrowed("at+jwt"))));
        assert_eq!(
            parse_header(r#"{"kid":"k"}"#).err().map(|e| e.kind()),
            Some(crate::ErrorKind::Malformed)
        );
    }

    #[test]
    fn claims_tee_feeds_registered_claims_to_the_callers_type() {
        #[derive(serde::Deserialize)]
        struct Mine {
            sub: String,
            exp: u64,
            aud: Vec<String>,
            extra: bool,
        }
        let json = r#"{"sub":"alice","exp":1700000000,"aud":["a","b"],"extra":true,"iat":1.5}"#;
        let mut observer = |_: usize, _: &serde_json::Value| {};
        let mut sink = ClaimsSink::new(&Unwatched, &mut observer);
        let mine: Mine = decode_claims(json, &mut sink).unwrap();
        let found = sink.into_found();
        assert_eq!(
            (mine.sub.as_str(), mine.exp, mine.extra),
            ("alice", 1_700_000_000, true)
        );
        assert_eq!(mine.aud, ["a", "b"]);
        assert_eq!(found.sub.as_deref(), Some("alice"));
        assert_eq!(found.iat.map(|d| d.subsec_nanos()), Some(500_000_000));
        assert_eq!(found.aud.as_ref().map(|a| a.as_slice().len()), Some(2));
    }

    #[test]
    fn unit_reads_the_whole_object() {
        let mut observer = |_: usize, _: &serde_json::Value| {};
        let mut sink = ClaimsSink::new(&Unwatched, &mut observer);
        decode_claims::<()>(r#"{"sub":"a","x":[1,{"y":2}],"exp":5}"#, &mut sink).unwrap();
        let found = sink.into_found();
        assert_eq!(found.sub.as_deref(), Some("a"));
        assert_eq!(found.exp.map(crate::NumericDate::as_secs), Some(5));
        let mut observer = |_: usize, _: &serde_json::Value| {};
        let mut sink = ClaimsSink::new(&Unwatched, &mut observer);
        let dup = decode_claims::<()>(r#"{"sub":"a","sub":"b"}"#, &mut sink);
        assert_eq!(
            dup.err().map(|e| e.kind()),
            Some(crate::ErrorKind::Malformed)
        );
    }

    #[test]
    fn watched_claims_are_observed_once_with_their_values() {
        let names: Vec<Box<str>> = vec!["role".into(), "sub".into(), "absent".into()];
        let mut seen = Vec::new();
        let mut observer = |i: usize, v: &serde_json::Value| seen.push((i, v.clone()));
        let mut sink = ClaimsSink::new(&names, &mut observer);
        let _: serde::de::IgnoredAny =
            decode_claims(r#"{"role":["x"],"sub":"bob","other":1}"#, &mut sink).unwrap();
        drop(sink);
        assert_eq!(
            seen,
            [(0, serde_json::json!(["x"])), (1, serde_json::json!("bob"))]
        );
    }
}
