#!/usr/bin/env bash
# Regenerates the key files used by tests/cli.rs and tests/interop/ (test keys only: never use
# them for anything else). Needs OpenSSL 3. Run from any directory:
#   tests/data/cli/generate.sh
# Regenerating changes every key, so tests/data/interop/ must then be remade with
# tests/interop/make_tokens.py.
set -euo pipefail
cd "$(dirname "$0")"

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# HMAC secrets as JWKs of kty "oct": one per hash size (RFC 7518 §3.2 minimums), and a weak one.
oct_jwk() { # kid bytes
    printf '{"kty":"oct","kid":"%s","k":"%s"}\n' "$1" "$(openssl rand "$2" | b64url)" > "$1.jwk"
}
oct_jwk hs256 32
oct_jwk hs384 48
oct_jwk hs512 64
oct_jwk hs_weak 16

# RSA 2048: PKCS#8 and PKCS#1 private keys, SPKI and PKCS#1 public keys.
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa_private.pem
openssl rsa -in rsa_private.pem -traditional -out rsa_private_pkcs1.pem
openssl pkey -in rsa_private.pem -pubout -out rsa_public.pem
openssl rsa -in rsa_private.pem -RSAPublicKey_out -out rsa_public_pkcs1.pem

# RSA 1024: refused as weak.
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024_private.pem
openssl pkey -in rsa1024_private.pem -pubout -out rsa1024_public.pem

# EC P-256 and P-384: SEC1 ("EC PRIVATE KEY") and PKCS#8 private keys, SPKI public keys.
for curve in p256:prime256v1 p384:secp384r1; do
    name=${curve%%:*}
    openssl ecparam -name "${curve#*:}" -genkey -noout -out "${name}_private_sec1.pem"
    openssl pkcs8 -topk8 -nocrypt -in "${name}_private_sec1.pem" -out "${name}_private.pem"
    openssl pkey -in "${name}_private.pem" -pubout -out "${name}_public.pem"
done

# Ed25519: PKCS#8 private key, SPKI public key.
openssl genpkey -quiet -algorithm ED25519 -out ed25519_private.pem
openssl pkey -in ed25519_private.pem -pubout -out ed25519_public.pem
