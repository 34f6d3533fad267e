//! A strict PEM reader and writer (RFC 7468 textual encoding).
//!
//! Text before the first `-----BEGIN` line is ignored, as RFC 7468 allows. Inside a block the
//! body must be standard base64 with canonical padding; encapsulated headers (legacy encrypted
//! PEM) are refused; the `END` label must repeat the `BEGIN` label. Input is capped at
//! [`MAX_PEM_LEN`].

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::Error;

/// Largest PEM text accepted.
pub(crate) const MAX_PEM_LEN: usize = 64 * 1024;

const BODY: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(false),
);

/// One decoded PEM block.
pub(crate) struct Block {
    pub(crate) label: String,
    pub(crate) der: Vec<u8>,
}

fn invalid(detail: &'static str) -> Error {
    Error::InvalidKey(detail.into())
}

/// Decodes every PEM block in `text`.
pub(crate) fn parse(text: &str) -> Result<Vec<Block>, Error> {
    if text.len() > MAX_PEM_LEN {
        return Err(invalid("PEM input too large"));
    }
    let mut blocks = Vec::new();
    let mut open: Option<(&str, String)> = None;
    for line in text.lines() {
        let line = line.trim_end_matches([' ', '\t', '\r']);
        match open.take() {
            None => {
                if let Some(label) = boundary(line, "-----BEGIN ")? {
                    open = Some((label, String::new()));
                } else if line.starts_with("-----END ") {
                    return Err(invalid("PEM END line without BEGIN"));
                }
            }
            Some((label, mut body)) => {
                if let Some(end) = boundary(line, "-----END ")? {
                    if end != label {
                        return Err(invalid("PEM END label does not match BEGIN label"));
                    }
                    let der = BODY
                        .decode(body.as_bytes())
                        .map_err(|_| invalid("PEM body is not strict base64"))?;
                    blocks.push(Block {
                        label: label.to_owned(),
                        der,
                    });
                } else if line.starts_with("-----") {
                    return Err(invalid("PEM block is not terminated"));
                } else if line.contains(':') {
                    return Err(invalid(
                        "PEM headers (legacy encrypted keys) are not supported",
                    ));
                } else {
                    body.push_str(line.trim_start_matches([' ', '\t']));
                    open = Some((label, body));
                }
            }
        }
    }
    if open.is_some() {
        return Err(invalid("PEM block without END line"));
    }
    if blocks.is_empty() {
        return Err(invalid("no PEM block found"));
    }
    Ok(blocks)
}

/// The label of a `-----BEGIN LABEL-----` or `-----END LABEL-----` line.
fn boundary<'a>(line: &'a str, prefix: &str) -> Result<Option<&'a str>, Error> {
    let Some(rest) = line.strip_prefix(prefix) else {
        return Ok(None);
    };
    let label = rest
        .strip_suffix("-----")
        .ok_or_else(|| invalid("malformed PEM boundary line"))?;
    let label_ok = !label.is_empty()
        && label.len() <= 64
        && label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'-')
        && !label.starts_with(' ')
        && !label.ends_with(' ');
    if label_ok {
        Ok(Some(label))
    } else {
        Err(invalid("malformed PEM label"))
    }
}

/// The one key block in `text`; `EC PARAMETERS` blocks (written by `openssl ecparam -genkey`)
/// are skipped.
pub(crate) fn single_key_block(text: &str) -> Result<Block, Error> {
    let mut keys = parse(text)?
        .into_iter()
        .filter(|b| b.label != "EC PARAMETERS");
    match (keys.next(), keys.next()) {
        (Some(block), None) => Ok(block),
        (None, _) => Err(invalid("no key in the PEM input")),
        (Some(_), Some(_)) => Err(invalid("more than one key in the PEM input")),
    }
}

/// Encodes `der` as one PEM block with 64-character lines.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let body = BODY.encode(der);
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    let mut rest = body.as_str();
    while !rest.is_empty() {
        let (line, after) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = after;
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_explanatory_text() {
        let der: Vec<u8> = (0..=255u8).collect();
        let pem = encode("PUBLIC KEY", &der);
        let text = format!("Some comment\r\n{}", pem.replace('\n', "\r\n"));
        let block = single_key_block(&text).ok();
        assert_eq!(block.as_ref().map(|b| b.label.as_str()), Some("PUBLIC KEY"));
        assert_eq!(block.map(|b| b.der), Some(der));
    }

    #[test]
    fn refuses_malformed_blocks() {
        for bad in [
            "",
            "no pem here",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PUBLIC KEY-----\nAA\n-----END PUBLIC KEY-----\n",
            "-----BEGIN PUBLIC KEY-----\nAAB=\n-----END PUBLIC KEY-----\n",
            "-----BEGIN PUBLIC KEY-----\nAA-_\n-----END PUBLIC KEY-----\n",
            "-----BEGIN PUBLIC KEY\nAAAA\n-----END PUBLIC KEY-----\n",
            "-----BEGIN public key-----\nAAAA\n-----END public key-----\n",
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
            "-----END PUBLIC KEY-----\n",
        ] {
            assert!(single_key_block(bad).is_err(), "{bad:?}");
        }
        let two = format!(
            "{}{}",
            encode("PUBLIC KEY", b"a"),
            encode("PUBLIC KEY", b"b")
        );
        assert!(single_key_block(&two).is_err());
        let with_params = format!(
            "{}{}",
            encode("EC PARAMETERS", b"a"),
            encode("EC PRIVATE KEY", b"b")
        );
        assert_eq!(
            single_key_block(&with_params).ok().map(|b| b.der),
            Some(b"b".to_vec())
        );
        assert!(single_key_block(&"A".repeat(MAX_PEM_LEN + 1)).is_err());
    }
}
