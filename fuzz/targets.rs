//! The bodies of the fuzz targets, shared by the cargo-fuzz binaries (`fuzz_targets/*.rs`) and by
//! the corpus replay test (`tests/fuzz_corpus.rs`), which include this file with `#[path]`.
//!
//! Each function takes arbitrary bytes, must never panic on them, and checks what must hold
//! whatever the input (a broken invariant panics, which the fuzzer reports as a crash).

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;
use std::time::Duration;

use tessera::{
    Algorithm, AlgorithmSet, BloomSnapshot, Error, FixedClock, IpBindingMode, Jwk, JwkSet,
    KeyHandle, KeyProvider, KeyRequest, Policy, SigningKey, UntrustedToken, Verified, Verifier,
    VerifyContext, VerifyingKey,
};

/// The names of the targets, as in `fuzz/Cargo.toml` and `fuzz/corpus/<name>/`.
/// A fuzz target's body.
pub(crate) type Target = fn(&[u8]);

pub(crate) const TARGETS: &[(&str, Target)] = &[
    ("verify", verify),
    ("untrusted", untrusted),
    ("jwk", jwk),
    ("pem", pem),
    ("bloom", bloom),
];

/// The verifier's clock: 2023-11-14T22:13:20Z.
pub(crate) const NOW: i64 = 1_700_000_000;
/// The policy's issuer and audience.
pub(crate) const ISSUER: &str = "https://issuer.example";
pub(crate) const AUDIENCE: &str = "api";
/// The client address verifications run with (for IP binding).
pub(crate) const CLIENT_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));

/// The HMAC secret: 64 bytes, enough for HS512. Public, for fuzzing only.
pub(crate) const HMAC_SECRET: &[u8; 64] =
    b"tessera fuzz target secret, public, never use it for real tokens";
pub(crate) const RSA_PEM: &str = include_str!("keys/rsa2048.pem");
pub(crate) const P256_PEM: &str = include_str!("keys/p256.pem");
pub(crate) const P384_PEM: &str = include_str!("keys/p384.pem");
pub(crate) const ED25519_PEM: &str = include_str!("keys/ed25519.pem");

/// A private key of every family (made with `openssl genpkey`), and their public halves.
pub(crate) struct Keys {
    pub(crate) hmac: SigningKey,
    pub(crate) rsa: SigningKey,
    pub(crate) p256: SigningKey,
    pub(crate) p384: SigningKey,
    pub(crate) ed25519: SigningKey,
    public: [VerifyingKey; 5],
}

impl Keys {
    fn new() -> Keys {
        let private = |pem: &str| SigningKey::from_pem(pem).expect("fuzz key parses");
        let hmac = SigningKey::hmac(HMAC_SECRET).expect("64-byte secret");
        let rsa = private(RSA_PEM);
        let p256 = private(P256_PEM);
        let p384 = private(P384_PEM);
        let ed25519 = private(ED25519_PEM);
        let public = [
            hmac.verifying_key(),
            rsa.verifying_key(),
            p256.verifying_key(),
            p384.verifying_key(),
            ed25519.verifying_key(),
        ];
        Keys {
            hmac,
            rsa,
            p256,
            p384,
            ed25519,
            public,
        }
    }

    /// The private key for `alg`.
    pub(crate) fn signing(&self, alg: Algorithm) -> &SigningKey {
        match alg.family() {
            tessera::KeyFamily::Hmac => &self.hmac,
            tessera::KeyFamily::Rsa => &self.rsa,
            tessera::KeyFamily::EcP256 => &self.p256,
            tessera::KeyFamily::EcP384 => &self.p384,
            tessera::KeyFamily::Ed25519 => &self.ed25519,
        }
    }
}

/// Picks the public key of the requested algorithm's family (the `kid` is ignored).
impl KeyProvider for Keys {
    fn key(&self, request: &KeyRequest<'_>) -> Result<KeyHandle<'_>, Error> {
        self.public
            .iter()
            .find(|k| k.supports(request.alg))
            .map(KeyHandle::borrowed)
            .ok_or_else(|| request.not_found())
    }
}

pub(crate) fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(Keys::new)
}

/// Every algorithm, `iss` and `aud` required, a lifetime of at most a day, a required `scope`
/// holding `read`, and IP binding when the token carries one.
pub(crate) fn policy() -> Policy {
    Policy::new(AlgorithmSet::from(Algorithm::ALL))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .max_lifetime(Duration::from_secs(24 * 3600))
        .require_scopes(["read"])
        .ip_binding(IpBindingMode::WhenPresent)
}

pub(crate) type FuzzVerifier = Verifier<&'static Keys, tessera::NoRevocation, FixedClock>;

/// The verifier every target and regression test uses (keys, policy and clock above).
pub(crate) fn verifier() -> &'static FuzzVerifier {
    static VERIFIER: OnceLock<FuzzVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| Verifier::new(keys(), policy()).with_clock(FixedClock::at(NOW)))
}

/// Base64url without padding, as the verifier expects.
pub(crate) fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `header` and `claims` (any bytes) with the key for `alg` as a compact JWS.
pub(crate) fn sign_parts(alg: Algorithm, header: &[u8], claims: &[u8]) -> String {
    let mut token = b64(header);
    token.push('.');
    token.push_str(&b64(claims));
    let signature = keys()
        .signing(alg)
        .sign_with(alg, token.as_bytes())
        .expect("fuzz keys sign");
    token.push('.');
    token.push_str(&b64(&signature));
    token
}

/// Token verification.
///
/// Input without a newline is a token, verified as is against a key of every family. Input with
/// a newline is `header JSON \n claims JSON`: it is signed with HS256 first, so that the header
/// and claims checks behind the signature are reached too.
pub(crate) fn verify(data: &[u8]) {
    let token = match data.iter().position(|b| *b == b'\n') {
        None => match std::str::from_utf8(data) {
            Ok(t) => t.to_owned(),
            Err(_) => return,
        },
        Some(i) => sign_parts(Algorithm::HS256, &data[..i], &data[i + 1..]),
    };
    let context = VerifyContext::new().client_ip(CLIENT_IP);
    let result = verifier().verify_with::<serde_json::Value>(&token, &context);
    match result {
        Ok(verified) => check_verified(&token, &verified),
        Err(e) => {
            // Every error has a stable kind and a message.
            assert!(!e.kind().as_str().is_empty());
            assert!(!e.to_string().is_empty());
        }
    }
}

/// What an accepted token must satisfy.
fn check_verified(token: &str, verified: &Verified<serde_json::Value>) {
    let now = tessera::NumericDate::from_secs(NOW).expect("in range");
    assert_eq!(verified.issuer(), Some(ISSUER));
    assert!(verified.audiences().any(|a| a == AUDIENCE));
    let exp = verified.expires_at().expect("exp is required");
    assert!(now < exp.add_secs(tessera::DEFAULT_LEEWAY.as_secs() as i64));
    assert!(verified.claims().is_object(), "claims decode as an object");
    // The inspection path agrees with the verify path.
    let untrusted = UntrustedToken::decode(token).expect("a verified token decodes");
    assert_eq!(untrusted.algorithm(), Some(verified.algorithm()));
    assert_eq!(untrusted.payload(), verified.claims_json().as_bytes());
    let registered = untrusted
        .registered_claims()
        .expect("a verified token's claims decode");
    assert_eq!(registered, verified.registered());
}

/// Header and claims parsing, through `UntrustedToken::decode` and `claims()`.
pub(crate) fn untrusted(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(token) = UntrustedToken::decode(text) else {
        return;
    };
    let _ = (token.algorithm(), token.key_id(), token.signature().len());
    // Typed registered claims imply a well-formed object, and both read the same `iss`.
    let claims = token.claims();
    if let Ok(registered) = token.registered_claims() {
        let claims = claims.expect("registered claims decoded, so the object does");
        if let Some(iss) = &registered.iss {
            assert_eq!(
                claims.get("iss").and_then(|v| v.as_str()),
                Some(iss.as_str())
            );
        }
    }
}

/// JWK and JWK Set parsing, and key import.
pub(crate) fn jwk(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(jwk) = Jwk::from_json(text) {
        import_jwk(&jwk);
    }
    if let Ok(set) = JwkSet::from_json(text) {
        for jwk in set.keys.iter().take(8) {
            import_jwk(jwk);
        }
        let again = JwkSet::from_json(&set.to_json()).expect("a written set parses");
        assert_eq!(again, set);
    }
}

fn import_jwk(jwk: &Jwk) {
    let again = Jwk::from_json(&jwk.to_json()).expect("a written JWK parses");
    assert_eq!(&again, jwk);
    if let Ok(key) = VerifyingKey::from_jwk(jwk) {
        // Export and import keep the key (its RFC 7638 thumbprint) and its binding.
        let exported = key.to_jwk();
        let back = VerifyingKey::from_jwk(&exported).expect("an exported JWK imports");
        assert_eq!(back.thumbprint(), key.thumbprint());
        assert_eq!(back.family(), key.family());
        assert_eq!(back.algorithm(), key.algorithm());
    }
    if let Ok(key) = SigningKey::from_jwk(jwk) {
        let public = key.verifying_key();
        let back = SigningKey::from_jwk(&key.to_jwk()).expect("an exported private JWK imports");
        assert_eq!(back.verifying_key().thumbprint(), public.thumbprint());
    }
}

/// PEM and DER key parsing.
pub(crate) fn pem(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(key) = VerifyingKey::from_pem(text) {
            let pem = key.to_pem().expect("a parsed public key writes");
            let back = VerifyingKey::from_pem(&pem).expect("a written public key parses");
            assert_eq!(back.thumbprint(), key.thumbprint());
        }
        if let Ok(key) = SigningKey::from_pem(text) {
            let der = key.to_der().expect("a parsed private key writes");
            let back = SigningKey::from_der(&der).expect("a written private key parses");
            assert_eq!(
                back.verifying_key().thumbprint(),
                key.verifying_key().thumbprint()
            );
        }
    }
    if let Ok(key) = VerifyingKey::from_der(data) {
        let der = key.to_der().expect("a parsed public key writes");
        let back = VerifyingKey::from_der(&der).expect("a written public key parses");
        assert_eq!(back.thumbprint(), key.thumbprint());
    }
    if let Ok(key) = SigningKey::from_der(data) {
        let _ = key.verifying_key().thumbprint();
    }
}

/// Bloom snapshot parsing: the binary form, and the same bytes as a signed snapshot.
pub(crate) fn bloom(data: &[u8]) {
    let parsed = BloomSnapshot::from_bytes(data);
    if let Ok(snapshot) = &parsed {
        // The format is strict, so writing gives back exactly the input.
        assert_eq!(snapshot.to_bytes(), data);
        assert_eq!(snapshot.encoded_len(), data.len());
        let _ = snapshot.might_contain("k3RjVQ2sW9Xo1mYb7dLpEw");
        let _ = snapshot.estimated_false_positive_rate();
    }
    // Signed by the issuer's key, the same bytes are accepted exactly when they parse.
    let header = br#"{"alg":"HS256","typ":"tessera-bloom+jws"}"#;
    let jws = sign_parts(Algorithm::HS256, header, data);
    let from_jws =
        BloomSnapshot::from_jws(&jws, AlgorithmSet::of(Algorithm::HS256), &keys().public[0]);
    match (&parsed, &from_jws) {
        (Ok(a), Ok(b)) => assert_eq!(a.to_bytes(), b.to_bytes()),
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "binary and signed parsing disagree: {:?} / {:?}",
            a.as_ref().map(|_| ()),
            b.as_ref().map(|_| ())
        ),
    }
    // And as text, whatever it is, the signed form never panics.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = BloomSnapshot::from_jws(text, AlgorithmSet::from(Algorithm::ALL), keys());
    }
}
