#!/usr/bin/env bash
# Interop with PyJWT in the direction tessera → PyJWT: encodes one token per algorithm with the
# `jwt` example and has PyJWT verify each (tests/interop/verify_ours.py). The other direction,
# PyJWT → tessera, is the Rust test tests/interop/main.rs over committed PyJWT tokens.
#
# Needs python3 with `pip install pyjwt cryptography`. Run from anywhere: tests/interop/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 -c 'import jwt, cryptography' 2>/dev/null || {
    echo "interop: PyJWT is missing; run: python3 -m pip install pyjwt cryptography" >&2
    exit 1
}

keys=tests/data/cli
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

cargo build --quiet --release --example jwt

# alg, signing key, public key for PyJWT (the private keys cover PKCS#8, PKCS#1 and SEC1).
while read -r alg signing public; do
    cargo run --quiet --release --example jwt -- encode \
        --key "$keys/$signing" --alg "$alg" \
        --iss https://tessera.example --sub interop-user --aud pyjwt-interop \
        --claims '{"role":"tester"}' --lifetime 300 \
        > "$out/$alg.jwt"
    echo "$alg $out/$alg.jwt $keys/$public" >> "$out/manifest"
done <<'EOF'
HS256 hs256.jwk hs256.jwk
HS384 hs384.jwk hs384.jwk
HS512 hs512.jwk hs512.jwk
RS256 rsa_private.pem rsa_public.pem
RS384 rsa_private_pkcs1.pem rsa_public.pem
RS512 rsa_private.pem rsa_public_pkcs1.pem
PS256 rsa_private.pem rsa_public.pem
PS384 rsa_private_pkcs1.pem rsa_public.pem
PS512 rsa_private.pem rsa_public.pem
ES256 p256_private_sec1.pem p256_public.pem
ES384 p384_private.pem p384_public.pem
EdDSA ed25519_private.pem ed25519_public.pem
EOF

python3 tests/interop/verify_ours.py "$out/manifest"
