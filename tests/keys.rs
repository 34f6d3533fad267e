//! Keys: OpenSSL-made PEM files in every form (tests/data/keys, see generate.sh), RFC vectors,
//! round trips for every family and algorithm, algorithm confusion, redacted `Debug`, and hostile
//! inputs.

use base64::Engine as _;
use serde_json::Value;
use tessera::{Algorithm, Error, ErrorKind, Jwk, KeyFamily, Signer, SigningKey, VerifyingKey};

const MESSAGE: &[u8] = b"tessera test message";

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pem(name: &str) -> String {
    String::from_utf8(data(name)).unwrap()
}

fn rfc(name: &str) -> Value {
    serde_json::from_slice(&data(&format!("rfc/{name}"))).unwrap()
}

fn kind<T: std::fmt::Debug>(result: Result<T, Error>) -> ErrorKind {
    result.unwrap_err().kind()
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn pem_body(text: &str) -> Vec<u8> {
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// Checks a compact JWS's signature with `key` (the algorithm taken from the test data).
fn verify_token(key: &VerifyingKey, alg: Algorithm, token: &str) -> Result<(), Error> {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig)
        .unwrap();
    key.verify_signature(alg, input.as_bytes(), &sig)
}

// ---------------------------------------------------------------------------------------------
// OpenSSL keys.

#[test]
fn openssl_rsa_2048_every_form() {
    let pkcs8 = SigningKey::from_pem(&pem("rsa2048_pkcs8.pem")).unwrap();
    let pkcs1 = SigningKey::from_pem(&pem("rsa2048_pkcs1.pem")).unwrap();
    let spki = VerifyingKey::from_pem(&pem("rsa2048_spki.pem")).unwrap();
    let pkcs1_pub = VerifyingKey::from_pem(&pem("rsa2048_pkcs1_pub.pem")).unwrap();
    let from_private_pem = VerifyingKey::from_pem(&pem("rsa2048_pkcs1.pem")).unwrap();
    let from_der = VerifyingKey::from_der(&pem_body(&pem("rsa2048_pkcs1_pub.pem"))).unwrap();
    let publics = [
        &spki,
        &pkcs1_pub,
        &from_private_pem,
        &from_der,
        &pkcs8.verifying_key(),
        &pkcs1.verifying_key(),
    ];
    for key in publics {
        assert_eq!(key.family(), KeyFamily::Rsa);
        assert_eq!(key.thumbprint(), spki.thumbprint());
        key.verify_signature(Algorithm::RS256, MESSAGE, &data("rsa2048_rs256.sig"))
            .unwrap();
        key.verify_signature(Algorithm::PS256, MESSAGE, &data("rsa2048_ps256.sig"))
            .unwrap();
        assert_eq!(
            kind(key.verify_signature(Algorithm::RS384, MESSAGE, &data("rsa2048_rs256.sig"))),
            ErrorKind::InvalidSignature
        );
    }
    // PKCS#1 v1.5 is deterministic: our signature is OpenSSL's, byte for byte.
    assert_eq!(
        pkcs1.sign_with(Algorithm::RS256, MESSAGE).unwrap(),
        data("rsa2048_rs256.sig")
    );
    // Our encoders write what OpenSSL writes.
    assert_eq!(spki.to_pem().unwrap(), pem("rsa2048_spki.pem"));
    assert_eq!(pkcs1.to_pem().unwrap(), pem("rsa2048_pkcs8.pem"));
}

#[test]
fn openssl_rsa_1024_is_weak() {
    for file in ["rsa1024_pkcs8.pem", "rsa1024_pkcs1.pem", "rsa1024_spki.pem"] {
        assert_eq!(
            kind(VerifyingKey::from_pem(&pem(file))),
            ErrorKind::WeakKey,
            "{file}"
        );
    }
    for file in ["rsa1024_pkcs8.pem", "rsa1024_pkcs1.pem"] {
        assert_eq!(
            kind(SigningKey::from_pem(&pem(file))),
            ErrorKind::WeakKey,
            "{file}"
        );
        let der = pem_body(&pem(file));
        assert_eq!(
            kind(SigningKey::from_der(&der)),
            ErrorKind::WeakKey,
            "{file}"
        );
    }
}

#[test]
fn openssl_rsa_pss_key_is_bound_to_ps256() {
    let private = SigningKey::from_pem(&pem("rsapss2048_pkcs8.pem")).unwrap();
    let public = VerifyingKey::from_pem(&pem("rsapss2048_spki.pem")).unwrap();
    assert_eq!(private.algorithm(), Algorithm::PS256);
    assert_eq!(public.algorithm(), Some(Algorithm::PS256));
    public
        .verify_signature(Algorithm::PS256, MESSAGE, &data("rsapss2048_ps256.sig"))
        .unwrap();
    for alg in [Algorithm::RS256, Algorithm::PS384] {
        assert!(!public.supports(alg));
        assert_eq!(
            kind(private.sign_with(alg, MESSAGE)),
            ErrorKind::KeyNotFound
        );
        assert_eq!(
            kind(
                SigningKey::from_pem(&pem("rsapss2048_pkcs8.pem"))
                    .unwrap()
                    .with_algorithm(alg)
            ),
            ErrorKind::InvalidKey
        );
    }
    let sig = private.sign_with(Algorithm::PS256, MESSAGE).unwrap();
    public
        .verify_signature(Algorithm::PS256, MESSAGE, &sig)
        .unwrap();
    assert_eq!(public.to_pem().unwrap(), pem("rsapss2048_spki.pem"));
    assert_eq!(private.verifying_key().thumbprint(), public.thumbprint());
}

/// A DER element (test-side helper to build key encodings OpenSSL will not write).
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

fn openssl_ec(bits: u32, alg: Algorithm, family: KeyFamily) {
    let name = |suffix: &str| format!("ec{bits}_{suffix}");
    let sec1 = SigningKey::from_pem(&pem(&name("sec1.pem"))).unwrap();
    let pkcs8 = SigningKey::from_pem(&pem(&name("pkcs8.pem"))).unwrap();
    let spki = VerifyingKey::from_pem(&pem(&name("spki.pem"))).unwrap();
    assert_eq!(spki.family(), family);
    let rs = data(&name(&format!("es{bits}.sig")));
    let der_sig = data(&name(&format!("es{bits}.der.sig")));
    assert_eq!(rs.len(), 2 * bits as usize / 8);

    // SEC1 without the optional parameters: the curve is told by the public key's length.
    let jwk = sec1.to_jwk();
    let d = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwk.d.as_deref().unwrap())
        .unwrap();
    let point = {
        let mut p = vec![4u8];
        for c in [&jwk.x, &jwk.y] {
            p.extend(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c.as_deref().unwrap())
                    .unwrap(),
            );
        }
        p
    };
    let no_params = tlv(
        0x30,
        &[
            tlv(0x02, &[1]),
            tlv(0x04, &d),
            tlv(0xa1, &tlv(0x03, &[&[0u8][..], &point].concat())),
        ]
        .concat(),
    );
    let no_params = SigningKey::from_der(&no_params).unwrap();

    let publics = [
        spki.clone(),
        VerifyingKey::from_pem(&pem(&name("sec1.pem"))).unwrap(),
        VerifyingKey::from_pem(&pem(&name("pkcs8.pem"))).unwrap(),
        VerifyingKey::from_der(&pem_body(&pem(&name("spki.pem")))).unwrap(),
        sec1.verifying_key(),
        pkcs8.verifying_key(),
        no_params.verifying_key(),
    ];
    for key in &publics {
        assert_eq!(key.thumbprint(), spki.thumbprint());
        key.verify_signature(alg, MESSAGE, &rs).unwrap();
        // OpenSSL's DER form of the same signature is refused: JWS uses r‖s only.
        assert_eq!(
            kind(key.verify_signature(alg, MESSAGE, &der_sig)),
            ErrorKind::InvalidSignature
        );
        assert_eq!(
            kind(key.verify_signature(alg, b"another message", &rs)),
            ErrorKind::InvalidSignature
        );
    }
    for signer in [&sec1, &pkcs8, &no_params] {
        let sig = signer.sign_with(alg, MESSAGE).unwrap();
        assert_eq!(sig.len(), rs.len());
        spki.verify_signature(alg, MESSAGE, &sig).unwrap();
    }
    assert_eq!(spki.to_pem().unwrap(), pem(&name("spki.pem")));
    assert_eq!(pkcs8.to_pem().unwrap(), pem(&name("pkcs8.pem")));

    // SEC1 without the public key: ring cannot derive it, and the refusal says so.
    for err in [
        SigningKey::from_pem(&pem(&name("sec1_nopub.pem"))).unwrap_err(),
        VerifyingKey::from_pem(&pem(&name("sec1_nopub.pem"))).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::InvalidKey);
        assert!(err.to_string().contains("without its public key"), "{err}");
    }
}

#[test]
fn openssl_ec_p256_every_form() {
    openssl_ec(256, Algorithm::ES256, KeyFamily::EcP256);
}

#[test]
fn openssl_ec_p384_every_form() {
    openssl_ec(384, Algorithm::ES384, KeyFamily::EcP384);
}

#[test]
fn openssl_ecparam_output_with_parameters_block() {
    let text = pem("ec256_with_params_block.pem");
    assert!(text.starts_with("-----BEGIN EC PARAMETERS-----"));
    let key = SigningKey::from_pem(&text).unwrap();
    let public = VerifyingKey::from_pem(&text).unwrap();
    let sig = key.sign_with(Algorithm::ES256, MESSAGE).unwrap();
    public
        .verify_signature(Algorithm::ES256, MESSAGE, &sig)
        .unwrap();
}

#[test]
fn openssl_ed25519_every_form() {
    let private = SigningKey::from_pem(&pem("ed25519_pkcs8.pem")).unwrap();
    let spki = VerifyingKey::from_pem(&pem("ed25519_spki.pem")).unwrap();
    let from_private = VerifyingKey::from_pem(&pem("ed25519_pkcs8.pem")).unwrap();
    let sig = data("ed25519.sig");
    for key in [&spki, &from_private, &private.verifying_key()] {
        assert_eq!(key.family(), KeyFamily::Ed25519);
        assert_eq!(key.thumbprint(), spki.thumbprint());
        key.verify_signature(Algorithm::EdDSA, MESSAGE, &sig)
            .unwrap();
        key.verify_signature(Algorithm::Ed25519, MESSAGE, &sig)
            .unwrap();
    }
    // Ed25519 is deterministic: our signature is OpenSSL's.
    assert_eq!(private.sign_with(Algorithm::EdDSA, MESSAGE).unwrap(), sig);
    assert_eq!(private.sign_with(Algorithm::Ed25519, MESSAGE).unwrap(), sig);
    assert_eq!(spki.to_pem().unwrap(), pem("ed25519_spki.pem"));
    assert_eq!(private.to_pem().unwrap(), pem("ed25519_pkcs8.pem"));
}

#[test]
fn openssl_files_that_are_refused() {
    let cases: [(&str, &str, &str); 4] = [
        (
            "ec521_spki.pem",
            "unsupported EC curve",
            "a public key cannot sign",
        ),
        ("ec256_encrypted.pem", "encrypted", "encrypted"),
        (
            "ec256_cert.pem",
            "certificates are not supported",
            "certificates",
        ),
        (
            "ec256_sec1_nopub.pem",
            "without its public key",
            "without its public key",
        ),
    ];
    for (file, verifying_why, signing_why) in cases {
        for (err, why) in [
            (
                VerifyingKey::from_pem(&pem(file)).unwrap_err(),
                verifying_why,
            ),
            (SigningKey::from_pem(&pem(file)).unwrap_err(), signing_why),
        ] {
            assert_eq!(err.kind(), ErrorKind::InvalidKey, "{file}");
            assert!(err.to_string().contains(why), "{file}: {err}");
        }
    }
    // The P-521 key as DER: the same refusal.
    let der = pem_body(&pem("ec521_spki.pem"));
    assert!(
        VerifyingKey::from_der(&der)
            .unwrap_err()
            .to_string()
            .contains("unsupported EC curve")
    );
    // A public key cannot sign.
    for file in [
        "rsa2048_spki.pem",
        "rsa2048_pkcs1_pub.pem",
        "ed25519_spki.pem",
    ] {
        assert_eq!(
            kind(SigningKey::from_pem(&pem(file))),
            ErrorKind::InvalidKey,
            "{file}"
        );
    }
    // Private DER is not a public key for from_der.
    let der = pem_body(&pem("ed25519_pkcs8.pem"));
    assert_eq!(kind(VerifyingKey::from_der(&der)), ErrorKind::InvalidKey);
}

// ---------------------------------------------------------------------------------------------
// RFC vectors.

#[test]
fn rfc7638_thumbprint_of_the_rsa_example() {
    // RFC 7638 §3.1: the key of RFC 7517 Appendix A.1, with alg and kid (which do not count).
    let jwk = Jwk::from_json(
        r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#,
    )
    .unwrap();
    let key = VerifyingKey::from_jwk(&jwk).unwrap();
    let expected = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
    assert_eq!(key.thumbprint(), expected);
    assert_eq!(key.key_id(), Some("2011-04-29"));
    let key = key.with_thumbprint_kid();
    assert_eq!(key.key_id(), Some(expected));
    assert_eq!(key.algorithm(), Some(Algorithm::RS256));
}

#[test]
fn rfc8037_ed25519_jwk_thumbprint_and_signature() {
    let v = rfc("rfc8037_a4_ed25519.json");
    let public: Jwk = serde_json::from_value(v["jwk"].clone()).unwrap();
    let key = VerifyingKey::from_jwk(&public).unwrap();
    assert_eq!(
        key.thumbprint(),
        v["expected_jwk_thumbprint"].as_str().unwrap()
    );
    let token = v["token"].as_str().unwrap();
    verify_token(&key, Algorithm::EdDSA, token).unwrap();

    let mut private = public.clone();
    private.d = Some(v["private_jwk_d"].as_str().unwrap().to_owned());
    let signing = SigningKey::from_jwk(&private).unwrap();
    assert_eq!(signing.thumbprint(), key.thumbprint());
    let (input, sig) = token.rsplit_once('.').unwrap();
    // RFC 8037 §A.4: the signature is deterministic.
    assert_eq!(
        b64url(
            &signing
                .sign_with(Algorithm::EdDSA, input.as_bytes())
                .unwrap()
        ),
        sig
    );
    assert_eq!(signing.to_jwk().to_json(), private.to_json());
}

#[test]
fn rfc_jws_examples_verify_with_their_jwks() {
    for (file, alg) in [
        ("rfc7515_a1_hs256.json", Algorithm::HS256),
        ("rfc7515_a2_rs256.json", Algorithm::RS256),
        ("rfc7515_a3_es256.json", Algorithm::ES256),
        ("rfc7520_4_1_rs256.json", Algorithm::RS256),
        ("rfc7520_4_2_ps384.json", Algorithm::PS384),
    ] {
        let v = rfc(file);
        assert_eq!(v["alg"].as_str(), Some(alg.name()));
        let jwk: Jwk = serde_json::from_value(v["jwk"].clone()).unwrap();
        let key = VerifyingKey::from_jwk(&jwk).unwrap();
        let token = v["token"].as_str().unwrap();
        verify_token(&key, alg, token).unwrap_or_else(|e| panic!("{file}: {e}"));
        // Tampering with the signing input breaks it.
        let tampered = token.replacen('.', ".e", 1);
        assert!(verify_token(&key, alg, &tampered).is_err(), "{file}");
        // The JWK comes back out unchanged.
        assert_eq!(
            serde_json::to_value(key.to_jwk()).unwrap(),
            v["jwk"],
            "{file}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Round trips.

/// A signing key for every algorithm: generated where ring can, RSA from OpenSSL's PEM.
fn signing_keys() -> Vec<(Algorithm, SigningKey)> {
    Algorithm::ALL
        .into_iter()
        .map(|alg| {
            let key = if alg.family() == KeyFamily::Rsa {
                assert_eq!(
                    SigningKey::generate(alg).unwrap_err().to_string(),
                    "invalid key: RSA key generation is not supported"
                );
                SigningKey::from_pem(&pem("rsa2048_pkcs8.pem"))
                    .unwrap()
                    .with_algorithm(alg)
                    .unwrap()
            } else {
                SigningKey::generate(alg).unwrap()
            };
            (alg, key)
        })
        .collect()
}

#[test]
fn sign_verify_every_algorithm() {
    for (alg, key) in signing_keys() {
        assert_eq!(key.algorithm(), alg);
        assert_eq!(Signer::algorithm(&key), alg);
        let public = key.verifying_key();
        let sig = Signer::sign(&key, MESSAGE).unwrap();
        let expected_len = match alg {
            Algorithm::HS256 => 32,
            Algorithm::HS384 => 48,
            Algorithm::HS512 | Algorithm::EdDSA | Algorithm::Ed25519 | Algorithm::ES256 => 64,
            Algorithm::ES384 => 96,
            _ => 256,
        };
        assert_eq!(sig.len(), expected_len, "{alg}");
        public.verify_signature(alg, MESSAGE, &sig).unwrap();
        let mut bad = sig.clone();
        bad[sig.len() / 2] ^= 1;
        assert_eq!(
            kind(public.verify_signature(alg, MESSAGE, &bad)),
            ErrorKind::InvalidSignature
        );
        assert_eq!(
            kind(public.verify_signature(alg, b"tessera test messagE", &sig)),
            ErrorKind::InvalidSignature
        );
        assert_eq!(
            kind(public.verify_signature(alg, MESSAGE, &sig[..sig.len() - 1])),
            ErrorKind::InvalidSignature
        );
        // Generated keys are bound to their algorithm: no other algorithm signs or verifies.
        for other in Algorithm::ALL.into_iter().filter(|a| *a != alg) {
            assert!(!public.supports(other), "{alg} key supports {other}");
            assert_eq!(kind(key.sign_with(other, MESSAGE)), ErrorKind::KeyNotFound);
            assert_eq!(
                kind(public.verify_signature(other, MESSAGE, &sig)),
                ErrorKind::KeyNotFound
            );
        }
    }
}

#[test]
fn generated_hmac_secrets_have_the_hash_length() {
    for (alg, len) in [
        (Algorithm::HS256, 32),
        (Algorithm::HS384, 48),
        (Algorithm::HS512, 64),
    ] {
        let a = SigningKey::generate(alg).unwrap().to_jwk();
        let b = SigningKey::generate(alg).unwrap().to_jwk();
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(a.k.as_deref().unwrap())
            .unwrap();
        assert_eq!(secret.len(), len);
        assert_ne!(a.k, b.k);
        assert_eq!(a.alg.as_deref(), Some(alg.name()));
    }
}

#[test]
fn jwk_round_trips_keep_the_key() {
    for (alg, key) in signing_keys() {
        let key = key.with_key_id(format!("kid-{alg}"));
        let private_jwk = Jwk::from_json(&key.to_jwk().to_json()).unwrap();
        assert!(private_jwk.is_private());
        assert_eq!(
            private_jwk.kid.as_deref(),
            Some(format!("kid-{alg}").as_str())
        );
        assert_eq!(private_jwk.alg.as_deref(), Some(alg.name()));
        let again = SigningKey::from_jwk(&private_jwk).unwrap();
        assert_eq!(again.to_jwk(), private_jwk);
        assert_eq!(again.thumbprint(), key.thumbprint());

        let public_jwk = key.verifying_key().to_jwk();
        let public = VerifyingKey::from_jwk(&public_jwk).unwrap();
        assert_eq!(public.to_jwk(), public_jwk);
        assert_eq!(public.algorithm(), Some(alg));
        assert_eq!(public.key_id(), key.key_id());
        if alg.family() != KeyFamily::Hmac {
            assert!(!public_jwk.is_private(), "{alg}: {public_jwk:?}");
        }
        // Signatures cross over between the two imports.
        let sig = again.sign_with(alg, MESSAGE).unwrap();
        public.verify_signature(alg, MESSAGE, &sig).unwrap();
        key.verifying_key()
            .verify_signature(alg, MESSAGE, &sig)
            .unwrap();
    }
}

#[test]
fn pem_and_jwk_of_the_same_key_are_equivalent() {
    let files = [
        ("rsa2048_pkcs8.pem", "rsa2048_spki.pem", Algorithm::PS512),
        ("ec256_pkcs8.pem", "ec256_spki.pem", Algorithm::ES256),
        ("ec384_sec1.pem", "ec384_spki.pem", Algorithm::ES384),
        ("ed25519_pkcs8.pem", "ed25519_spki.pem", Algorithm::EdDSA),
    ];
    for (private_file, public_file, alg) in files {
        let from_pem = SigningKey::from_pem(&pem(private_file)).unwrap();
        let from_jwk = SigningKey::from_jwk(&from_pem.to_jwk()).unwrap();
        let public_pem = VerifyingKey::from_pem(&pem(public_file)).unwrap();
        let public_jwk = VerifyingKey::from_jwk(&public_pem.to_jwk()).unwrap();
        assert_eq!(public_pem.thumbprint(), public_jwk.thumbprint());
        assert_eq!(from_jwk.thumbprint(), public_pem.thumbprint());
        for signer in [&from_pem, &from_jwk] {
            let sig = signer.sign_with(alg, MESSAGE).unwrap();
            public_pem.verify_signature(alg, MESSAGE, &sig).unwrap();
            public_jwk.verify_signature(alg, MESSAGE, &sig).unwrap();
        }
        // Back to PEM from the JWK import: the same bytes as OpenSSL's public key file.
        assert_eq!(public_jwk.to_pem().unwrap(), pem(public_file));
        // And the private key through our PKCS#8 and back.
        let reparsed = SigningKey::from_pem(&from_jwk.to_pem().unwrap()).unwrap();
        assert_eq!(reparsed.to_jwk(), from_pem.to_jwk());
    }
}

#[test]
fn private_key_public_half() {
    let jwk = Jwk::from_json(
        &SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .to_jwk()
            .to_json()
            .replace('}', r#","use":"sig","key_ops":["sign"],"kid":"k"}"#),
    )
    .unwrap();
    let key = SigningKey::from_jwk(&jwk).unwrap();
    let public = key.verifying_key();
    assert_eq!(public.key_id(), Some("k"));
    assert_eq!(public.algorithm(), Some(Algorithm::ES256));
    assert!(public.supports(Algorithm::ES256));
    let public_jwk = public.to_jwk();
    assert_eq!(public_jwk.d, None);
    assert_eq!(public_jwk.key_ops, Some(vec!["verify".to_owned()]));
    assert_eq!(public_jwk.use_.as_deref(), Some("sig"));
    // The public half of a private JWK, imported as a verifying key, is the same key.
    assert_eq!(
        VerifyingKey::from_jwk(&jwk).unwrap().thumbprint(),
        public.thumbprint()
    );
    // But a private JWK whose key_ops only allow `sign` does not verify when imported as a
    // verifying key (its key_ops lack `verify`).
    assert!(
        !VerifyingKey::from_jwk(&jwk)
            .unwrap()
            .supports(Algorithm::ES256)
    );
}

// ---------------------------------------------------------------------------------------------
// JWK rules.

fn ec_jwk() -> Jwk {
    let mut jwk = SigningKey::generate(Algorithm::ES256).unwrap().to_jwk();
    jwk.alg = None;
    jwk
}

#[test]
fn jwk_alg_use_and_key_ops() {
    let base = ec_jwk();
    let with = |f: &dyn Fn(&mut Jwk)| {
        let mut jwk = base.clone();
        f(&mut jwk);
        jwk
    };
    // alg binds; alg of another family or an unknown name is refused.
    let bound = VerifyingKey::from_jwk(&with(&|j| j.alg = Some("ES256".into()))).unwrap();
    assert_eq!(bound.algorithm(), Some(Algorithm::ES256));
    for alg in [
        "HS256", "ES384", "RS256", "ES512", "none", "es256", "A128KW",
    ] {
        let jwk = with(&|j| j.alg = Some(alg.into()));
        assert_eq!(
            kind(VerifyingKey::from_jwk(&jwk)),
            ErrorKind::InvalidKey,
            "{alg}"
        );
        assert_eq!(
            kind(SigningKey::from_jwk(&jwk)),
            ErrorKind::InvalidKey,
            "{alg}"
        );
    }
    // use: enc (or anything but sig) and key_ops without the operation: never used.
    for jwk in [
        with(&|j| j.use_ = Some("enc".into())),
        with(&|j| j.use_ = Some("other".into())),
        with(&|j| j.key_ops = Some(vec!["encrypt".into()])),
        with(&|j| j.key_ops = Some(vec![])),
    ] {
        let public = VerifyingKey::from_jwk(&jwk).unwrap();
        assert!(
            Algorithm::ALL.iter().all(|a| !public.supports(*a)),
            "{jwk:?}"
        );
        let signing = SigningKey::from_jwk(&jwk).unwrap();
        assert_eq!(
            kind(signing.sign_with(Algorithm::ES256, MESSAGE)),
            ErrorKind::KeyNotFound
        );
        assert_eq!(
            kind(
                signing
                    .verifying_key()
                    .verify_signature(Algorithm::ES256, MESSAGE, &[0; 64])
            ),
            ErrorKind::KeyNotFound
        );
    }
    for (ops, verifies, signs) in [
        (vec!["verify"], true, false),
        (vec!["sign"], false, true),
        (vec!["sign", "verify"], true, true),
    ] {
        let jwk = with(&|j| j.key_ops = Some(ops.iter().map(|s| s.to_string()).collect()));
        assert_eq!(
            VerifyingKey::from_jwk(&jwk)
                .unwrap()
                .supports(Algorithm::ES256),
            verifies
        );
        let signed = SigningKey::from_jwk(&jwk)
            .unwrap()
            .sign_with(Algorithm::ES256, MESSAGE);
        assert_eq!(signed.is_ok(), signs, "{ops:?}");
    }
    let kid = VerifyingKey::from_jwk(&with(&|j| j.kid = Some("my-key".into()))).unwrap();
    assert_eq!(kid.key_id(), Some("my-key"));
    assert_eq!(kid.to_jwk().kid.as_deref(), Some("my-key"));
}

#[test]
fn jwk_members_are_strict() {
    let ec = ec_jwk();
    let x = ec.x.clone().unwrap();
    let mut cases: Vec<(&str, Jwk)> = Vec::new();
    let mut push = |name: &'static str, f: &dyn Fn(&mut Jwk)| {
        let mut jwk = ec.clone();
        f(&mut jwk);
        cases.push((name, jwk));
    };
    push("padded", &|j| j.x = Some(format!("{x}=")));
    push("standard alphabet", &|j| {
        j.x = Some(x.replace('-', "+").replace('_', "/") + "+")
    });
    push("whitespace", &|j| j.x = Some(format!(" {x}")));
    push("short x", &|j| j.x = Some(x[..40].to_owned()));
    push("long x", &|j| j.x = Some(format!("{x}AAAA")));
    push("missing y", &|j| j.y = None);
    push("missing crv", &|j| j.crv = None);
    push("P-521", &|j| j.crv = Some("P-521".into()));
    push("secp256k1", &|j| j.crv = Some("secp256k1".into()));
    push("kty OKP", &|j| j.kty = "OKP".into());
    push("kty unknown", &|j| j.kty = "ec".into());
    push("point off the curve", &|j| j.y = j.x.clone());
    for (name, jwk) in &cases {
        assert_eq!(
            kind(VerifyingKey::from_jwk(jwk)),
            ErrorKind::InvalidKey,
            "{name}"
        );
        assert_eq!(
            kind(SigningKey::from_jwk(jwk)),
            ErrorKind::InvalidKey,
            "{name}"
        );
    }
    // A private scalar that does not match the public point.
    let mut mismatched = ec.clone();
    mismatched.d = ec_jwk().d;
    assert_eq!(
        kind(SigningKey::from_jwk(&mismatched)),
        ErrorKind::InvalidKey
    );

    // RSA: no leading zero octets in n or e; all CRT members needed to sign.
    let rsa = SigningKey::from_pem(&pem("rsa2048_pkcs8.pem"))
        .unwrap()
        .to_jwk();
    let mut leading_zero = rsa.clone();
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(rsa.n.as_deref().unwrap())
        .unwrap();
    leading_zero.n = Some(b64url(&[&[0u8][..], &n].concat()));
    assert_eq!(
        kind(VerifyingKey::from_jwk(&leading_zero)),
        ErrorKind::InvalidKey
    );
    let mut no_crt = rsa.clone();
    no_crt.dp = None;
    assert_eq!(kind(SigningKey::from_jwk(&no_crt)), ErrorKind::InvalidKey);
    let mut wrong_q = rsa.clone();
    wrong_q.q = rsa.p.clone();
    assert_eq!(kind(SigningKey::from_jwk(&wrong_q)), ErrorKind::InvalidKey);
    // A public RSA JWK cannot sign.
    let mut public_only = rsa.clone();
    (public_only.d, public_only.p, public_only.q) = (None, None, None);
    (public_only.dp, public_only.dq, public_only.qi) = (None, None, None);
    assert_eq!(
        kind(SigningKey::from_jwk(&public_only)),
        ErrorKind::InvalidKey
    );
    VerifyingKey::from_jwk(&public_only).unwrap();

    // oct: strict k, length rules, alg-dependent minimum.
    let oct = |k: &[u8], alg: Option<&str>| {
        Jwk::from_json(&format!(
            r#"{{"kty":"oct","k":"{}"{}}}"#,
            b64url(k),
            alg.map(|a| format!(r#","alg":"{a}""#)).unwrap_or_default()
        ))
        .unwrap()
    };
    assert_eq!(
        kind(VerifyingKey::from_jwk(&oct(&[7; 31], None))),
        ErrorKind::WeakKey
    );
    assert_eq!(
        kind(VerifyingKey::from_jwk(&oct(&[7; 47], Some("HS384")))),
        ErrorKind::WeakKey
    );
    assert_eq!(
        kind(SigningKey::from_jwk(&oct(&[7; 63], Some("HS512")))),
        ErrorKind::WeakKey
    );
    VerifyingKey::from_jwk(&oct(&[7; 64], Some("HS512"))).unwrap();
    let unbound = VerifyingKey::from_jwk(&oct(&[7; 32], None)).unwrap();
    assert!(unbound.supports(Algorithm::HS512));
    assert_eq!(
        kind(unbound.verify_signature(Algorithm::HS512, MESSAGE, &[0; 64])),
        ErrorKind::WeakKey
    );
    let mut missing_k = oct(&[7; 32], None);
    missing_k.k = None;
    assert_eq!(
        kind(VerifyingKey::from_jwk(&missing_k)),
        ErrorKind::InvalidKey
    );
}

// ---------------------------------------------------------------------------------------------
// Algorithm confusion.

#[test]
fn no_algorithm_confusion() {
    let publics: Vec<VerifyingKey> = [
        "rsa2048_spki.pem",
        "ec256_spki.pem",
        "ec384_spki.pem",
        "ed25519_spki.pem",
    ]
    .into_iter()
    .map(|f| VerifyingKey::from_pem(&pem(f)).unwrap())
    .collect();
    for public in &publics {
        // supports() is false across families.
        for alg in Algorithm::ALL {
            assert_eq!(
                public.supports(alg),
                alg.family() == public.family(),
                "{alg}"
            );
        }
        // The public key's bytes in every encoding, used as an HMAC secret, make tokens this
        // key refuses.
        let jwk = public.to_jwk();
        let encodings: Vec<Vec<u8>> = vec![
            public.to_der().unwrap(),
            public.to_pem().unwrap().into_bytes(),
            jwk.to_json().into_bytes(),
            jwk.n.or(jwk.x).unwrap().into_bytes(),
        ];
        for bytes in encodings {
            let secret = SigningKey::hmac(&bytes).unwrap();
            for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
                // (Encodings shorter than the hash output cannot make that HMAC at all.)
                let Ok(forged) = secret.sign_with(alg, MESSAGE) else {
                    assert!(bytes.len() < alg.hmac_min_key_len().unwrap());
                    continue;
                };
                assert_eq!(
                    kind(public.verify_signature(alg, MESSAGE, &forged)),
                    ErrorKind::KeyNotFound
                );
                // Nor does the forged tag pass as a signature of the key's own algorithm.
                let own = public.family().default_algorithm();
                assert_eq!(
                    kind(public.verify_signature(own, MESSAGE, &forged)),
                    ErrorKind::InvalidSignature
                );
            }
        }
    }
}

#[test]
fn rsa_key_bound_to_rs256_does_not_verify_ps256() {
    let signer = SigningKey::from_pem(&pem("rsa2048_pkcs8.pem")).unwrap();
    let ps256 = signer.sign_with(Algorithm::PS256, MESSAGE).unwrap();
    let rs256 = signer.sign_with(Algorithm::RS256, MESSAGE).unwrap();
    let mut jwk = signer.verifying_key().to_jwk();
    jwk.alg = Some("RS256".into());
    let bound = VerifyingKey::from_jwk(&jwk).unwrap();
    bound
        .verify_signature(Algorithm::RS256, MESSAGE, &rs256)
        .unwrap();
    assert_eq!(
        kind(bound.verify_signature(Algorithm::PS256, MESSAGE, &ps256)),
        ErrorKind::KeyNotFound
    );
    let bound = VerifyingKey::from_pem(&pem("rsa2048_spki.pem"))
        .unwrap()
        .with_algorithm(Algorithm::RS256)
        .unwrap();
    assert!(!bound.supports(Algorithm::PS256));
    // Binding to another family is refused.
    for alg in [Algorithm::HS256, Algorithm::ES256, Algorithm::EdDSA] {
        assert_eq!(
            kind(bound.clone().with_algorithm(alg)),
            ErrorKind::InvalidKey
        );
    }
    // Unbound, the same key verifies both schemes (they are one family).
    let unbound = signer.verifying_key();
    unbound
        .verify_signature(Algorithm::PS256, MESSAGE, &ps256)
        .unwrap();
    unbound
        .verify_signature(Algorithm::RS256, MESSAGE, &rs256)
        .unwrap();
    assert_eq!(
        kind(unbound.verify_signature(Algorithm::RS256, MESSAGE, &ps256)),
        ErrorKind::InvalidSignature
    );
}

// ---------------------------------------------------------------------------------------------
// Secrets stay secret.

#[test]
fn debug_and_errors_never_show_secrets() {
    let mut secrets: Vec<(String, Vec<String>)> = Vec::new();
    let mut keys: Vec<SigningKey> = signing_keys().into_iter().map(|(_, k)| k).collect();
    keys.push(SigningKey::hmac(b"a very secret secret of 32 bytes").unwrap());
    for key in &keys {
        let jwk = key.to_jwk();
        let private_values: Vec<String> =
            [&jwk.d, &jwk.p, &jwk.q, &jwk.dp, &jwk.dq, &jwk.qi, &jwk.k]
                .into_iter()
                .flatten()
                .cloned()
                .collect();
        assert!(!private_values.is_empty());
        let mut shown = vec![
            format!("{key:?}"),
            format!("{key:#?}"),
            format!("{jwk:?}"),
            format!("{jwk:#?}"),
        ];
        if key.family() != KeyFamily::Hmac {
            shown.push(format!("{:?}", key.verifying_key()));
        }
        secrets.push((shown.join("\n"), private_values));
    }
    let hmac = VerifyingKey::hmac(b"a very secret secret of 32 bytes").unwrap();
    secrets.push((format!("{hmac:?}"), vec!["very secret".into()]));
    assert!(!format!("{:?}", keys.last().unwrap()).contains("very secret"));
    for (shown, values) in &secrets {
        for value in values {
            // Any 8-character window of a secret value would betray it.
            let probe = &value[..8.min(value.len())];
            assert!(!shown.contains(probe), "secret shown in {shown}");
        }
    }
    // Errors about private members name the member, not its value.
    let mut jwk = SigningKey::generate(Algorithm::ES256).unwrap().to_jwk();
    let d = jwk.d.clone().unwrap();
    jwk.d = Some(format!("{d}="));
    let err = SigningKey::from_jwk(&jwk).unwrap_err();
    assert!(!err.to_string().contains(&d[..8]) && !format!("{err:?}").contains(&d[..8]));
    let mut jwk = SigningKey::generate(Algorithm::HS256).unwrap().to_jwk();
    let k = jwk.k.clone().unwrap();
    jwk.k = Some(k[..20].to_owned());
    let err = SigningKey::from_jwk(&jwk).unwrap_err();
    assert!(!err.to_string().contains(&k[..8]) && !format!("{err:?}").contains(&k[..8]));
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs: every one is refused with an error, nothing panics.

fn refused_everywhere(der: &[u8]) {
    assert!(VerifyingKey::from_der(der).is_err());
    assert!(SigningKey::from_der(der).is_err());
}

#[test]
fn hostile_der_never_panics() {
    let table: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x30],
        vec![0x30, 0x80, 0, 0],
        vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        vec![0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        vec![0x30, 0x00],
        vec![0x30, 0x03, 0x02, 0x01, 0x00],
        vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00],
        vec![0x30, 0x05, 0x30, 0x03, 0x30, 0x01, 0x30],
        [vec![0x30, 0x82, 0x03, 0xe8], vec![0x30; 1000]].concat(), // deep nesting
        vec![0xff; 64],
        vec![0; 64],
        vec![0x30; 100_000],
    ];
    for der in &table {
        refused_everywhere(der);
    }
    // Every truncation and every single-byte change of real keys.
    let files = [
        "rsa2048_pkcs8.pem",
        "rsa2048_pkcs1.pem",
        "rsa2048_spki.pem",
        "rsa2048_pkcs1_pub.pem",
        "rsapss2048_spki.pem",
        "ec256_sec1.pem",
        "ec384_pkcs8.pem",
        "ec256_spki.pem",
        "ed25519_pkcs8.pem",
        "ed25519_spki.pem",
    ];
    for file in files {
        let der = pem_body(&pem(file));
        for len in 0..der.len() {
            refused_everywhere(&der[..len]);
        }
        let mut extended = der.clone();
        extended.push(0);
        refused_everywhere(&extended);
        // RSA keys are costly to build; change only their structural prefix.
        let span = if file.starts_with("rsa") {
            48
        } else {
            der.len()
        };
        for i in 0..span.min(der.len()) {
            for flip in [0x01, 0x80, 0xff] {
                let mut changed = der.clone();
                changed[i] ^= flip;
                let _ = VerifyingKey::from_der(&changed);
                let _ = SigningKey::from_der(&changed);
            }
        }
    }
    // Pseudo-random garbage behind a plausible outer header.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..3000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 200) as usize;
        let mut der = vec![0x30, len as u8];
        let mut s = state;
        for _ in 0..len {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            der.push((s >> 56) as u8);
        }
        let _ = VerifyingKey::from_der(&der);
        let _ = SigningKey::from_der(&der);
    }
}

#[test]
fn hostile_pem_never_panics() {
    let good = pem("ec256_spki.pem");
    let body: String = good.lines().filter(|l| !l.starts_with("-----")).collect();
    let table: Vec<String> = vec![
        String::new(),
        "garbage".into(),
        "-----BEGIN PUBLIC KEY-----".into(),
        "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----".into(),
        format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PRIVATE KEY-----\n"),
        format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"),
        format!("-----BEGIN RSA PUBLIC KEY-----\n{body}\n-----END RSA PUBLIC KEY-----\n"),
        format!("-----BEGIN SOMETHING ELSE-----\n{body}\n-----END SOMETHING ELSE-----\n"),
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            &body[1..]
        ),
        format!("-----BEGIN PUBLIC KEY-----\n{body}==\n-----END PUBLIC KEY-----\n"),
        format!(
            "-----BEGIN PUBLIC KEY-----\n-{}\n-----END PUBLIC KEY-----\n",
            &body[1..]
        ),
        format!(
            "-----BEGIN PUBLIC KEY-----\n_{}\n-----END PUBLIC KEY-----\n",
            &body[1..]
        ),
        format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n{good}"),
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            "QUFB".repeat(20_000)
        ),
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            "MIIB".repeat(100)
        ),
        "-----BEGIN \u{1F511}-----\nAAAA\n-----END \u{1F511}-----\n".into(),
        "\u{0}\u{0}-----BEGIN PUBLIC KEY-----\r\r\n".into(),
    ];
    for text in &table {
        assert!(VerifyingKey::from_pem(text).is_err(), "{text}");
        assert!(SigningKey::from_pem(text).is_err(), "{text:.80}");
    }
    // Every truncation of a real PEM file is refused or, once the END line is complete, parses.
    let private = pem("ec256_pkcs8.pem");
    for (len, _) in private.char_indices() {
        let cut = &private[..len];
        let result = SigningKey::from_pem(cut);
        assert_eq!(
            result.is_ok(),
            cut.trim_end().ends_with("-----END PRIVATE KEY-----")
        );
    }
    // Windows line endings and explanatory text before the block are fine.
    let crlf = format!("Key for tests\r\n{}", good.replace('\n', "\r\n"));
    VerifyingKey::from_pem(&crlf).unwrap();
}

#[test]
fn hostile_jwk_never_panics() {
    let huge = "A".repeat(20_000);
    let table: Vec<String> = vec![
        r#"{}"#.into(),
        r#"{"kty":5}"#.into(),
        r#"{"kty":"RSA"}"#.into(),
        r#"{"kty":"RSA","n":5,"e":"AQAB"}"#.into(),
        r#"{"kty":"RSA","n":"","e":""}"#.into(),
        r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#.into(),
        format!(r#"{{"kty":"RSA","n":"{huge}","e":"AQAB"}}"#),
        format!(r#"{{"kty":"RSA","n":"{huge}B","e":"AQAB"}}"#),
        r#"{"kty":"EC","crv":"P-256","x":"","y":""}"#.into(),
        r#"{"kty":"EC","crv":"P-256","x":null,"y":null}"#.into(),
        r#"{"kty":"EC","crv":["P-256"],"x":"AA","y":"AA"}"#.into(),
        r#"{"kty":"OKP","crv":"Ed25519","x":"AA"}"#.into(),
        r#"{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#.into(),
        r#"{"kty":"OKP","crv":"Ed448","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#.into(),
        r#"{"kty":"oct","k":""}"#.into(),
        format!(r#"{{"kty":"oct","k":"{huge}"}}"#),
        r#"{"kty":"oct","k":"AAAA","key_ops":"verify"}"#.into(),
        r#"{"kty":"oct","k":"AAAA","use":5}"#.into(),
        r#"{"kty":"oct","k":"AAAA","alg":"HS256","alg":"HS256"}"#.into(),
        r#"[]"#.into(),
        r#"null"#.into(),
        "{\"kty\":\"oct\",\"k\":\"\u{0}\"}".into(),
        "{\"kty\":\"RSA\"".into(),
    ];
    for json in &table {
        let result = Jwk::from_json(json).and_then(|jwk| {
            let verifying = VerifyingKey::from_jwk(&jwk).map(|_| ());
            let signing = SigningKey::from_jwk(&jwk).map(|_| ());
            verifying.and(signing)
        });
        assert!(result.is_err(), "{json:.80}");
    }
}
