//! A minimal, strict DER reader and writer for the key formats this crate handles.
//!
//! The reader is flat: it returns one element at a time and never recurses, so nesting depth is
//! bounded by the callers, which each parse one fixed structure. Only single-byte tags and
//! definite, minimally encoded lengths of at most four bytes are accepted, every length is checked
//! against the input that remains, and the whole input is capped at [`MAX_DER_LEN`].

/// Largest DER key accepted (an 8192-bit RSA private key in PKCS#8 is under 5 KiB).
pub(crate) const MAX_DER_LEN: usize = 16 * 1024;

pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const OID: u8 = 0x06;
pub(crate) const SEQUENCE: u8 = 0x30;
/// `[0]`, constructed.
pub(crate) const CONTEXT_0: u8 = 0xA0;
/// `[1]`, constructed.
pub(crate) const CONTEXT_1: u8 = 0xA1;
/// `[2]`, constructed.
pub(crate) const CONTEXT_2: u8 = 0xA2;
/// `[3]`, constructed.
pub(crate) const CONTEXT_3: u8 = 0xA3;
/// `[1]`, primitive (PKCS#8 v2 `publicKey`, an implicitly tagged BIT STRING).
pub(crate) const CONTEXT_1_PRIMITIVE: u8 = 0x81;

/// Why DER input was refused. The text is static and never contains input bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DerError(pub(crate) &'static str);

impl From<DerError> for crate::Error {
    fn from(e: DerError) -> Self {
        crate::Error::InvalidKey(format!("malformed DER: {}", e.0).into())
    }
}

/// Reads DER elements one after another from a slice.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Reader { rest: input }
    }

    /// The tag of the next element, if any.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads the next element: its tag and its content.
    pub(crate) fn read_any(&mut self) -> Result<(u8, &'a [u8]), DerError> {
        let (&tag, rest) = self.rest.split_first().ok_or(DerError("truncated"))?;
        if tag & 0x1f == 0x1f {
            return Err(DerError("multi-byte tags are not supported"));
        }
        let (&first, mut rest) = rest.split_first().ok_or(DerError("truncated"))?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 {
                return Err(DerError("indefinite length"));
            }
            if count > 4 {
                return Err(DerError("length too large"));
            }
            let (bytes, after) = rest.split_at_checked(count).ok_or(DerError("truncated"))?;
            if bytes.first() == Some(&0) {
                return Err(DerError("non-minimal length"));
            }
            let len = bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            if len < 0x80 {
                return Err(DerError("non-minimal length"));
            }
            rest = after;
            usize::try_from(len).map_err(|_| DerError("length too large"))?
        };
        let (content, after) = rest.split_at_checked(len).ok_or(DerError("truncated"))?;
        self.rest = after;
        Ok((tag, content))
    }

    /// Reads the next element, which must have tag `tag`, and returns its content.
    pub(crate) fn expect(&mut self, tag: u8) -> Result<&'a [u8], DerError> {
        match self.read_any()? {
            (t, content) if t == tag => Ok(content),
            _ => Err(DerError("unexpected element")),
        }
    }

    /// Reads the next element if it has tag `tag`.
    pub(crate) fn optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.expect(tag).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Fails unless all input has been read.
    pub(crate) fn finish(&self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError("trailing data"))
        }
    }
}

/// Runs `parse` over the whole of `input`, which must be consumed entirely.
pub(crate) fn read_all<'a, T, E: From<DerError>>(
    input: &'a [u8],
    parse: impl FnOnce(&mut Reader<'a>) -> Result<T, E>,
) -> Result<T, E> {
    let mut reader = Reader::new(input);
    let value = parse(&mut reader)?;
    reader.finish()?;
    Ok(value)
}

/// Reads the one element of `input`, which must be a SEQUENCE, and parses its content with
/// `parse`, which must consume it entirely.
pub(crate) fn sequence<'a, T, E: From<DerError>>(
    input: &'a [u8],
    parse: impl FnOnce(&mut Reader<'a>) -> Result<T, E>,
) -> Result<T, E> {
    if input.len() > MAX_DER_LEN {
        return Err(DerError("input too large").into());
    }
    let content = read_all(input, |r| r.expect(SEQUENCE).map_err(E::from))?;
    read_all(content, parse)
}

/// The magnitude of a non-negative DER INTEGER, big-endian without leading zeros (empty for 0).
pub(crate) fn unsigned(content: &[u8]) -> Result<&[u8], DerError> {
    match content {
        [] => Err(DerError("empty integer")),
        [first, ..] if first & 0x80 != 0 => Err(DerError("negative integer")),
        [0] => Ok(&[]),
        [0, rest @ ..] if rest.first().is_some_and(|b| b & 0x80 != 0) => Ok(rest),
        [0, ..] => Err(DerError("non-minimal integer")),
        _ => Ok(content),
    }
}

/// Reads an INTEGER that must be a small non-negative number.
pub(crate) fn small_unsigned(reader: &mut Reader<'_>) -> Result<u64, DerError> {
    let magnitude = unsigned(reader.expect(INTEGER)?)?;
    if magnitude.len() > 8 {
        return Err(DerError("integer too large"));
    }
    Ok(magnitude
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// The bytes of a BIT STRING whose bit length is a multiple of eight.
pub(crate) fn bit_string_bytes(content: &[u8]) -> Result<&[u8], DerError> {
    match content.split_first() {
        Some((0, bytes)) => Ok(bytes),
        Some(_) => Err(DerError("bit string with unused bits")),
        None => Err(DerError("empty bit string")),
    }
}

/// Appends one element.
pub(crate) fn write(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
}

/// One element as a new vector.
pub(crate) fn element(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    write(&mut out, tag, content);
    out
}

/// Appends a non-negative INTEGER from a big-endian magnitude (leading zeros allowed).
pub(crate) fn write_unsigned(out: &mut Vec<u8>, magnitude: &[u8]) {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let significant = magnitude.get(skip..).unwrap_or_default();
    let mut content = Vec::with_capacity(significant.len() + 1);
    if significant.first().is_none_or(|&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(significant);
    write(out, INTEGER, &content);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_strict() {
        assert_eq!(
            Reader::new(&[0x04, 0x01, 0xaa]).read_any(),
            Ok((0x04, &[0xaa][..]))
        );
        for bad in [
            &[0x04, 0x81, 0x01, 0xaa][..],         // non-minimal long form
            &[0x04, 0x82, 0x00, 0x80],             // leading zero in length
            &[0x04, 0x80, 0x00, 0x00],             // indefinite
            &[0x04, 0x85, 1, 0, 0, 0, 0],          // five length bytes
            &[0x04, 0x84, 0xff, 0xff, 0xff, 0xff], // longer than the input
            &[0x04, 0x02, 0xaa],                   // truncated content
            &[0x1f, 0x01, 0x00],                   // multi-byte tag
            &[0x04],
            &[],
        ] {
            assert!(Reader::new(bad).read_any().is_err(), "{bad:?}");
        }
        let long = [&[0x04, 0x81, 0x80][..], &[7u8; 0x80]].concat();
        assert_eq!(
            Reader::new(&long).read_any().map(|(_, c)| c.len()),
            Ok(0x80)
        );
    }

    #[test]
    fn integers_are_strict() {
        assert_eq!(unsigned(&[0x00]), Ok(&[][..]));
        assert_eq!(unsigned(&[0x01, 0x00]), Ok(&[0x01, 0x00][..]));
        assert_eq!(unsigned(&[0x00, 0x80]), Ok(&[0x80][..]));
        assert!(unsigned(&[]).is_err());
        assert!(unsigned(&[0x00, 0x7f]).is_err());
        assert!(unsigned(&[0x80]).is_err());
        assert!(unsigned(&[0xff, 0x80]).is_err());
    }

    #[test]
    fn writer_round_trips() {
        for len in [0usize, 1, 127, 128, 255, 256, 70000] {
            let content = vec![0x5a; len];
            let encoded = element(OCTET_STRING, &content);
            let read: Result<_, DerError> = read_all(&encoded, |r| r.expect(OCTET_STRING));
            assert_eq!(read, Ok(&content[..]));
        }
        for magnitude in [&[][..], &[0], &[0, 0, 1], &[0x7f], &[0x80], &[0xff, 0x01]] {
            let mut out = Vec::new();
            write_unsigned(&mut out, magnitude);
            let read: Result<_, DerError> = read_all(&out, |r| unsigned(r.expect(INTEGER)?));
            let read = read.map(<[u8]>::to_vec);
            let skip = magnitude.iter().take_while(|&&b| b == 0).count();
            assert_eq!(read, Ok(magnitude[skip..].to_vec()));
        }
    }
}
