//! Binary key encodings: SubjectPublicKeyInfo (RFC 5280), PKCS#1 (RFC 8017), PKCS#8 (RFC 5958)
//! and SEC1 `ECPrivateKey` (RFC 5915), with the algorithm identifiers of RFC 3279, RFC 4055,
//! RFC 5480 and RFC 8410. Parsing only borrows from the input; the key types copy what they keep.

use super::der::{self, DerError, Reader};
use super::ec::Curve;
use super::rsa::RsaPrivateParts;
use crate::{Algorithm, Error};

/// 1.2.840.113549.1.1.1
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// 1.2.840.113549.1.1.10
const OID_RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
/// 1.2.840.113549.1.1.8
const OID_MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
/// 1.2.840.10045.2.1
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// 1.3.101.112
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
/// 1.3.14.3.2.26
const OID_SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
/// 2.16.840.1.101.3.4.2.1
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
/// 2.16.840.1.101.3.4.2.2
const OID_SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
/// 2.16.840.1.101.3.4.2.3
const OID_SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];

/// Which RSA signature schemes an RSA key may be used with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RsaScheme {
    /// `rsaEncryption`: no restriction at this level.
    Any,
    /// `id-RSASSA-PSS` without parameters: PSS with any hash.
    PssAny,
    /// `id-RSASSA-PSS` with parameters that are exactly one JWS algorithm's.
    Pss(Algorithm),
}

enum KeyAlgorithm {
    Rsa(RsaScheme),
    Ec(Curve),
    Ed25519,
}

/// A public key as found in an encoding, borrowed from it.
pub(crate) enum PublicMaterial<'a> {
    Rsa {
        n: &'a [u8],
        e: &'a [u8],
        scheme: RsaScheme,
    },
    Ec {
        curve: Curve,
        point: &'a [u8],
    },
    Ed25519 {
        public: &'a [u8],
    },
}

/// A private key as found in an encoding, borrowed from it.
pub(crate) enum PrivateMaterial<'a> {
    Rsa {
        parts: RsaPrivateParts<'a>,
        scheme: RsaScheme,
    },
    Ec {
        curve: Curve,
        d: &'a [u8],
        point: Option<&'a [u8]>,
    },
    Ed25519 {
        seed: &'a [u8],
        public: Option<&'a [u8]>,
    },
}

fn refuse(detail: &'static str) -> Error {
    Error::InvalidKey(detail.into())
}

/// The tags of the first two elements inside the outer SEQUENCE, which tell the formats apart.
fn inner_tags(input: &[u8]) -> Result<[Option<u8>; 2], Error> {
    if input.len() > der::MAX_DER_LEN {
        return Err(DerError("input too large").into());
    }
    let content = der::read_all(input, |r| r.expect(der::SEQUENCE))?;
    let mut reader = Reader::new(content);
    let first = reader.peek_tag();
    if first.is_some() {
        reader.read_any()?;
    }
    Ok([first, reader.peek_tag()])
}

/// A public key in DER: SubjectPublicKeyInfo or PKCS#1 `RSAPublicKey`, told apart by content.
pub(crate) fn parse_public_der(input: &[u8]) -> Result<PublicMaterial<'_>, Error> {
    match inner_tags(input)? {
        [Some(der::SEQUENCE), Some(der::BIT_STRING)] => parse_spki(input),
        [Some(der::INTEGER), Some(der::INTEGER)] => parse_pkcs1_public(input),
        _ => Err(refuse(
            "not a public key in DER (SubjectPublicKeyInfo or PKCS#1 RSAPublicKey)",
        )),
    }
}

/// A private key in DER: PKCS#8, PKCS#1 `RSAPrivateKey` or SEC1 `ECPrivateKey`, told apart by
/// content.
pub(crate) fn parse_private_der(input: &[u8]) -> Result<PrivateMaterial<'_>, Error> {
    match inner_tags(input)? {
        [Some(der::INTEGER), Some(der::SEQUENCE)] => parse_pkcs8(input),
        [Some(der::INTEGER), Some(der::INTEGER)] => parse_pkcs1_private(input),
        [Some(der::INTEGER), Some(der::OCTET_STRING)] => parse_sec1(input),
        _ => Err(refuse(
            "not a private key in DER (PKCS#8, PKCS#1 RSAPrivateKey or SEC1 ECPrivateKey)",
        )),
    }
}

/// SubjectPublicKeyInfo (PEM label `PUBLIC KEY`).
pub(crate) fn parse_spki(input: &[u8]) -> Result<PublicMaterial<'_>, Error> {
    der::sequence(input, |r| {
        let algorithm = algorithm_identifier(r.expect(der::SEQUENCE)?)?;
        let key = der::bit_string_bytes(r.expect(der::BIT_STRING)?)?;
        Ok(match algorithm {
            KeyAlgorithm::Rsa(scheme) => {
                let (n, e) = rsa_public_key(key)?;
                PublicMaterial::Rsa { n, e, scheme }
            }
            KeyAlgorithm::Ec(curve) => PublicMaterial::Ec { curve, point: key },
            KeyAlgorithm::Ed25519 => PublicMaterial::Ed25519 { public: key },
        })
    })
}

/// PKCS#1 `RSAPublicKey` (PEM label `RSA PUBLIC KEY`).
pub(crate) fn parse_pkcs1_public(input: &[u8]) -> Result<PublicMaterial<'_>, Error> {
    let (n, e) = rsa_public_key(input)?;
    Ok(PublicMaterial::Rsa {
        n,
        e,
        scheme: RsaScheme::Any,
    })
}

fn rsa_public_key(input: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    der::sequence(input, |r| {
        let n = next_unsigned(r)?;
        let e = next_unsigned(r)?;
        Ok((n, e))
    })
}

fn next_unsigned<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], DerError> {
    der::unsigned(r.expect(der::INTEGER)?)
}

/// PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey` (PEM label `PRIVATE KEY`), v1 or v2.
pub(crate) fn parse_pkcs8(input: &[u8]) -> Result<PrivateMaterial<'_>, Error> {
    der::sequence(input, |r| {
        let version = der::small_unsigned(r)?;
        if version > 1 {
            return Err(refuse("unsupported PKCS#8 version"));
        }
        let algorithm = algorithm_identifier(r.expect(der::SEQUENCE)?)?;
        let private = r.expect(der::OCTET_STRING)?;
        let _attributes = r.optional(der::CONTEXT_0)?;
        let public = match r.optional(der::CONTEXT_1_PRIMITIVE)? {
            Some(bits) if version == 1 => Some(der::bit_string_bytes(bits)?),
            Some(_) => return Err(refuse("PKCS#8 v1 key with a public key field")),
            None => None,
        };
        Ok(match algorithm {
            KeyAlgorithm::Rsa(scheme) => PrivateMaterial::Rsa {
                parts: rsa_private_key(private)?,
                scheme,
            },
            KeyAlgorithm::Ec(curve) => {
                let (d, inner_curve, point) = ec_private_key(private)?;
                if inner_curve.is_some_and(|c| c != curve) {
                    return Err(refuse("EC private key names two different curves"));
                }
                PrivateMaterial::Ec {
                    curve,
                    d,
                    point: point.or(public),
                }
            }
            KeyAlgorithm::Ed25519 => PrivateMaterial::Ed25519 {
                // RFC 8410 §7: CurvePrivateKey ::= OCTET STRING, inside the privateKey octets.
                seed: der::read_all(private, |r| r.expect(der::OCTET_STRING))?,
                public,
            },
        })
    })
}

/// PKCS#1 `RSAPrivateKey` (PEM label `RSA PRIVATE KEY`).
pub(crate) fn parse_pkcs1_private(input: &[u8]) -> Result<PrivateMaterial<'_>, Error> {
    Ok(PrivateMaterial::Rsa {
        parts: rsa_private_key(input)?,
        scheme: RsaScheme::Any,
    })
}

fn rsa_private_key(input: &[u8]) -> Result<RsaPrivateParts<'_>, Error> {
    der::sequence(input, |r| {
        if der::small_unsigned(r)? != 0 {
            return Err(refuse("multi-prime RSA keys are not supported"));
        }
        Ok(RsaPrivateParts {
            n: next_unsigned(r)?,
            e: next_unsigned(r)?,
            d: next_unsigned(r)?,
            p: next_unsigned(r)?,
            q: next_unsigned(r)?,
            dp: next_unsigned(r)?,
            dq: next_unsigned(r)?,
            qi: next_unsigned(r)?,
        })
    })
}

/// SEC1 `ECPrivateKey` (PEM label `EC PRIVATE KEY`), with or without its optional parameters
/// and public key. Without parameters the curve is told by the public key's or the scalar's
/// length, which RFC 5915 fixes per curve.
pub(crate) fn parse_sec1(input: &[u8]) -> Result<PrivateMaterial<'_>, Error> {
    let (d, curve, point) = ec_private_key(input)?;
    let curve = curve
        .or_else(|| point.and_then(|p| Curve::from_point_len(p.len())))
        .or_else(|| Curve::from_point_len(1 + 2 * d.len()))
        .ok_or_else(|| refuse("cannot tell the curve of the EC private key"))?;
    Ok(PrivateMaterial::Ec { curve, d, point })
}

type EcPrivateParts<'a> = (&'a [u8], Option<Curve>, Option<&'a [u8]>);

fn ec_private_key(input: &[u8]) -> Result<EcPrivateParts<'_>, Error> {
    der::sequence(input, |r| {
        if der::small_unsigned(r)? != 1 {
            return Err(refuse("unsupported EC private key version"));
        }
        let d = r.expect(der::OCTET_STRING)?;
        let curve = match r.optional(der::CONTEXT_0)? {
            Some(params) => Some(named_curve(der::read_all(params, |r| r.expect(der::OID))?)?),
            None => None,
        };
        let point = match r.optional(der::CONTEXT_1)? {
            Some(public) => Some(der::read_all(public, |r| {
                der::bit_string_bytes(r.expect(der::BIT_STRING)?)
            })?),
            None => None,
        };
        Ok((d, curve, point))
    })
}

fn named_curve(oid: &[u8]) -> Result<Curve, Error> {
    Curve::from_oid(oid)
        .ok_or_else(|| refuse("unsupported EC curve (P-256 and P-384 are supported)"))
}

fn expect_empty_null(r: &mut Reader<'_>) -> Result<(), Error> {
    match r.optional(der::NULL)? {
        Some([]) | None => Ok(()),
        Some(_) => Err(DerError("NULL with content").into()),
    }
}

fn algorithm_identifier(content: &[u8]) -> Result<KeyAlgorithm, Error> {
    der::read_all(content, |r| {
        let oid = r.expect(der::OID)?;
        match oid {
            OID_RSA_ENCRYPTION => {
                expect_empty_null(r)?;
                Ok(KeyAlgorithm::Rsa(RsaScheme::Any))
            }
            OID_RSASSA_PSS => match r.optional(der::SEQUENCE)? {
                None => Ok(KeyAlgorithm::Rsa(RsaScheme::PssAny)),
                Some(params) => Ok(KeyAlgorithm::Rsa(RsaScheme::Pss(pss_parameters(params)?))),
            },
            OID_EC_PUBLIC_KEY => match r.read_any()? {
                (der::OID, curve) => Ok(KeyAlgorithm::Ec(named_curve(curve)?)),
                _ => Err(refuse("EC parameters must name a curve")),
            },
            OID_ED25519 => Ok(KeyAlgorithm::Ed25519),
            _ => Err(refuse(
                "unsupported key algorithm (RSA, EC P-256/P-384 and Ed25519 are supported)",
            )),
        }
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

fn hash_algorithm(content: &[u8]) -> Result<Hash, Error> {
    der::read_all(content, |r| {
        let oid = r.expect(der::OID)?;
        expect_empty_null(r)?;
        match oid {
            OID_SHA1 => Ok(Hash::Sha1),
            OID_SHA256 => Ok(Hash::Sha256),
            OID_SHA384 => Ok(Hash::Sha384),
            OID_SHA512 => Ok(Hash::Sha512),
            _ => Err(refuse("unsupported hash in RSASSA-PSS parameters")),
        }
    })
}

/// `RSASSA-PSS-params` (RFC 4055 §3.1), mapped to the one JWS algorithm they describe.
fn pss_parameters(content: &[u8]) -> Result<Algorithm, Error> {
    der::read_all(content, |r| {
        let hash = match r.optional(der::CONTEXT_0)? {
            Some(inner) => der::read_all(inner, |r| hash_algorithm(r.expect(der::SEQUENCE)?))?,
            None => Hash::Sha1,
        };
        let mgf_hash = match r.optional(der::CONTEXT_1)? {
            Some(inner) => der::read_all(inner, |r| {
                der::read_all(r.expect(der::SEQUENCE)?, |r| {
                    if r.expect(der::OID)? != OID_MGF1 {
                        return Err(refuse("unsupported mask generation function"));
                    }
                    hash_algorithm(r.expect(der::SEQUENCE)?)
                })
            })?,
            None => Hash::Sha1,
        };
        let salt_len = match r.optional(der::CONTEXT_2)? {
            Some(inner) => der::read_all(inner, der::small_unsigned)?,
            None => 20,
        };
        if let Some(inner) = r.optional(der::CONTEXT_3)?
            && der::read_all(inner, der::small_unsigned)? != 1
        {
            return Err(refuse("unsupported RSASSA-PSS trailer field"));
        }
        match (hash, mgf_hash, salt_len) {
            (Hash::Sha256, Hash::Sha256, 32) => Ok(Algorithm::PS256),
            (Hash::Sha384, Hash::Sha384, 48) => Ok(Algorithm::PS384),
            (Hash::Sha512, Hash::Sha512, 64) => Ok(Algorithm::PS512),
            _ => Err(refuse(
                "RSASSA-PSS parameters match no JWS algorithm (PS256/384/512 use MGF1 with the \
                 same hash and a salt of the hash length)",
            )),
        }
    })
}

fn write_pss_parameters(out: &mut Vec<u8>, alg: Algorithm) {
    let (hash_oid, salt): (&[u8], u8) = match alg {
        Algorithm::PS384 => (OID_SHA384, 48),
        Algorithm::PS512 => (OID_SHA512, 64),
        _ => (OID_SHA256, 32),
    };
    let mut hash = der::element(der::OID, hash_oid);
    der::write(&mut hash, der::NULL, &[]);
    let hash = der::element(der::SEQUENCE, &hash);
    let mut mgf = der::element(der::OID, OID_MGF1);
    mgf.extend_from_slice(&hash);
    let mgf = der::element(der::SEQUENCE, &mgf);
    let mut params = der::element(der::CONTEXT_0, &hash);
    der::write(&mut params, der::CONTEXT_1, &mgf);
    der::write(
        &mut params,
        der::CONTEXT_2,
        &der::element(der::INTEGER, &[salt]),
    );
    der::write(out, der::SEQUENCE, &params);
}

fn write_algorithm_identifier(out: &mut Vec<u8>, material: &PublicMaterial<'_>) {
    let mut content = Vec::new();
    match material {
        PublicMaterial::Rsa { scheme, .. } => match scheme {
            RsaScheme::Any => {
                der::write(&mut content, der::OID, OID_RSA_ENCRYPTION);
                der::write(&mut content, der::NULL, &[]);
            }
            RsaScheme::PssAny => der::write(&mut content, der::OID, OID_RSASSA_PSS),
            RsaScheme::Pss(alg) => {
                der::write(&mut content, der::OID, OID_RSASSA_PSS);
                write_pss_parameters(&mut content, *alg);
            }
        },
        PublicMaterial::Ec { curve, .. } => {
            der::write(&mut content, der::OID, OID_EC_PUBLIC_KEY);
            der::write(&mut content, der::OID, curve.oid());
        }
        PublicMaterial::Ed25519 { .. } => der::write(&mut content, der::OID, OID_ED25519),
    }
    der::write(out, der::SEQUENCE, &content);
}

fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut content = Vec::new();
    der::write_unsigned(&mut content, n);
    der::write_unsigned(&mut content, e);
    der::element(der::SEQUENCE, &content)
}

fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(bytes.len() + 1);
    content.push(0);
    content.extend_from_slice(bytes);
    der::element(der::BIT_STRING, &content)
}

/// SubjectPublicKeyInfo DER.
pub(crate) fn write_spki(material: &PublicMaterial<'_>) -> Vec<u8> {
    let mut content = Vec::new();
    write_algorithm_identifier(&mut content, material);
    let key = match material {
        PublicMaterial::Rsa { n, e, .. } => rsa_public_key_der(n, e),
        PublicMaterial::Ec { point, .. } => point.to_vec(),
        PublicMaterial::Ed25519 { public } => public.to_vec(),
    };
    content.extend_from_slice(&bit_string(&key));
    der::element(der::SEQUENCE, &content)
}

/// PKCS#8 v1 `PrivateKeyInfo` DER (what OpenSSL writes; the EC public key rides inside the
/// SEC1 structure, and the Ed25519 public key is derived from the seed when read back).
pub(crate) fn write_pkcs8(material: &PrivateMaterial<'_>) -> Vec<u8> {
    let mut content = Vec::new();
    der::write_unsigned(&mut content, &[0]);
    let private = match material {
        PrivateMaterial::Rsa { parts, scheme } => {
            write_algorithm_identifier(
                &mut content,
                &PublicMaterial::Rsa {
                    n: parts.n,
                    e: parts.e,
                    scheme: *scheme,
                },
            );
            let mut key = Vec::new();
            der::write_unsigned(&mut key, &[0]);
            for v in [
                parts.n, parts.e, parts.d, parts.p, parts.q, parts.dp, parts.dq, parts.qi,
            ] {
                der::write_unsigned(&mut key, v);
            }
            der::element(der::SEQUENCE, &key)
        }
        PrivateMaterial::Ec { curve, d, point } => {
            write_algorithm_identifier(
                &mut content,
                &PublicMaterial::Ec {
                    curve: *curve,
                    point: &[],
                },
            );
            let mut key = Vec::new();
            der::write_unsigned(&mut key, &[1]);
            der::write(&mut key, der::OCTET_STRING, d);
            if let Some(point) = point {
                der::write(&mut key, der::CONTEXT_1, &bit_string(point));
            }
            der::element(der::SEQUENCE, &key)
        }
        PrivateMaterial::Ed25519 { seed, .. } => {
            write_algorithm_identifier(&mut content, &PublicMaterial::Ed25519 { public: &[] });
            der::element(der::OCTET_STRING, seed)
        }
    };
    der::write(&mut content, der::OCTET_STRING, &private);
    der::element(der::SEQUENCE, &content)
}
