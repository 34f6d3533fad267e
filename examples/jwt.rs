//! `jwt`: verify, issue and inspect JSON Web Tokens from the command line with tessera.
//!
//! ```text
//! cargo run --release --example jwt -- verify "$TOKEN" --key public.pem --alg ES256 \
//!     --iss https://auth.example --aud orders-api
//! cargo run --release --example jwt -- encode --key private.pem --alg ES256 --sub alice
//! cargo run --release --example jwt -- --help
//! ```
//!
//! Exit codes: 0 on success; 1 when a token is rejected (the first line on stderr is
//! `invalid token: KIND: detail`, KIND being a stable [`tessera::ErrorKind`] code) or cannot be
//! issued; 2 for a usage error, or a key file that cannot be read or is refused (a weak key says
//! `weak_key`).
//!
//! Everything runs through `run`, which takes its arguments and streams as parameters so that
//! tests can drive the tool in-process.

use std::io::{Read, Write};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tessera::{
    Algorithm, AlgorithmSet, Audience, Clock, Error, ErrorKind, FixedClock, IpBindingMode, Issuer,
    Jwk, JwkSet, KeyFamily, KeyHandle, KeyProvider, KeyRequest, NumericDate, Policy, SigningKey,
    SystemClock, UntrustedToken, Verifier, VerifyContext, VerifyingKey,
};

const HELP: &str = "\
jwt: verify, issue and inspect JSON Web Tokens (tessera)

USAGE:
  jwt verify TOKEN|- --key FILE --alg ALG[,ALG...] [OPTIONS]
  jwt encode --key FILE --alg ALG [OPTIONS]
  jwt decode TOKEN|-
  jwt keygen --alg ALG [--kid KID]
  jwt thumbprint FILE

verify: check a token's signature and claims; print its claims as one JSON object.
  TOKEN|-                 the token, or - to read it from standard input
  --key FILE              a JWK, a JWK Set (the key is chosen by the token's kid, or is the
                          only key for the algorithm), or a PEM key (SPKI, PKCS#1, PKCS#8, SEC1;
                          a private key stands for its public half); HMAC secrets as kty \"oct\" JWKs
  --alg ALG[,ALG...]      accepted algorithms (HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384
                          PS512 ES256 ES384 EdDSA Ed25519); repeatable
  --iss ISS               accepted issuer; repeatable (iss then required)
  --aud AUD               accepted audience; repeatable (aud then required)
  --sub SUB               required subject
  --typ TYP               required typ header (e.g. at+jwt)
  --leeway SECS           clock skew tolerated on exp, nbf and iat (default 30)
  --now UNIX              verify as if the time were UNIX (seconds since the epoch)
  --max-lifetime SECS     reject tokens whose exp - iat exceeds SECS
  --max-age SECS          reject tokens issued more than SECS ago
  --max-token-bytes N     reject tokens longer than N bytes (default 16384)
  --allow-missing-exp     accept tokens without exp (they never expire)
  --client-ip IP          the client's address: a token bound to addresses (claim ip) must match
  --ip-claim NAME         the claim holding the binding (default ip); needs --client-ip
  --require CLAIM         require CLAIM to be present; repeatable

encode: issue a token (iat, nbf, exp, a random jti, typ JWT) and print it.
  --key FILE              a private JWK, a JWK Set (the key chosen by --kid, or the only private
                          key for the algorithm), or a private PEM key; HMAC: an \"oct\" JWK
  --alg ALG               the signing algorithm
  --kid KID               the kid header (default: the key's own kid)
  --typ TYP               the typ header (default JWT)
  --claims JSON|@FILE     more claims, as a JSON object or a file holding one
  --iss ISS, --sub SUB    the issuer and subject
  --aud AUD               the audience; repeatable (several make an array)
  --lifetime SECS         exp - iat (default 900)
  --now UNIX              issue as if the time were UNIX
  --no-jti                leave out jti

decode: print a token's header and claims WITHOUT verifying anything.
keygen: print a new private JWK for ALG (HS256 HS384 HS512 ES256 ES384 EdDSA Ed25519).
thumbprint: print the RFC 7638 thumbprint (SHA-256, base64url) of a key file's public key.

EXIT STATUS:
  0  success
  1  the token was rejected (stderr: `invalid token: KIND: detail`) or could not be issued
  2  usage error, or a key file that cannot be read or is refused (e.g. `weak_key`)
";

/// Most bytes read from a key, claims or token file, or from standard input.
const MAX_INPUT_BYTES: u64 = 1 << 20;

fn main() {
    let mut args = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            Err(arg) => {
                let mut stderr = std::io::stderr().lock();
                let _ = writeln!(stderr, "usage error: argument {arg:?} is not UTF-8");
                std::process::exit(2);
            }
        }
    }
    let code = run(
        args,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::exit(code);
}

/// Runs one `jwt` command line (without the program name) and returns the exit code.
pub(crate) fn run(
    args: Vec<String>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let mut io = Streams { stdin, stdout };
    let result = match args.split_first() {
        None => Err(Failure::Usage("no command given".into())),
        Some((command, rest)) => match command.as_str() {
            "verify" => verify(rest, &mut io),
            "encode" => encode(rest, &mut io),
            "decode" => decode(rest, &mut io),
            "keygen" => keygen(rest, &mut io),
            "thumbprint" => thumbprint(rest, &mut io),
            "help" | "--help" | "-h" => Err(Failure::Help),
            other => Err(Failure::Usage(format!("unknown command {other:?}"))),
        },
    };
    // Output errors (a closed pipe) are ignored: there is nobody left to tell.
    match result {
        Ok(()) => {
            let _ = io.stdout.flush();
            0
        }
        Err(Failure::Help) => {
            let _ = io.stdout.write_all(HELP.as_bytes());
            let _ = io.stdout.flush();
            0
        }
        Err(Failure::Usage(message)) => {
            let _ = writeln!(stderr, "usage error: {message}\n\n{HELP}");
            2
        }
        Err(Failure::Key { path, problem }) => {
            let _ = writeln!(stderr, "key error: {path}: {problem}");
            2
        }
        Err(Failure::Token(error)) => {
            let _ = writeln!(stderr, "invalid token: {}: {error}", error.kind().as_str());
            1
        }
        Err(Failure::Refused { what, error }) => {
            let _ = writeln!(stderr, "{what}: {}: {error}", error.kind().as_str());
            1
        }
    }
}

/// The streams a command reads from and writes to.
struct Streams<'a> {
    stdin: &'a mut dyn Read,
    stdout: &'a mut dyn Write,
}

/// Why a command stopped: decides the exit code and the first line on stderr.
enum Failure {
    /// `--help`: the help text on stdout, exit 0.
    Help,
    /// Bad arguments: exit 2, with the help text.
    Usage(String),
    /// A key file that cannot be read, is not a key, or is refused: exit 2.
    Key { path: String, problem: KeyProblem },
    /// The token was rejected: exit 1, `invalid token: KIND: detail`.
    Token(Error),
    /// tessera refused to do what was asked (issue a token, generate a key): exit 1.
    Refused { what: &'static str, error: Error },
}

/// What is wrong with a key file.
enum KeyProblem {
    /// It could not be read.
    Unreadable(String),
    /// tessera refused it; the kind (`invalid_key`, `weak_key`, ...) is shown.
    Refused(Error),
    /// It is readable but cannot serve here.
    Unusable(String),
}

impl std::fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyProblem::Unreadable(why) => write!(f, "cannot read: {why}"),
            KeyProblem::Refused(error) => write!(f, "{}: {error}", error.kind().as_str()),
            KeyProblem::Unusable(why) => write!(f, "invalid_key: {why}"),
        }
    }
}

fn key_failure(path: &str, problem: KeyProblem) -> Failure {
    Failure::Key {
        path: path.to_owned(),
        problem,
    }
}

// ---------------------------------------------------------------------------------------------
// Arguments

/// One option a command accepts.
struct Opt {
    name: &'static str,
    /// Takes a value (`--name VALUE` or `--name=VALUE`); otherwise a flag.
    value: bool,
    /// May be given more than once.
    repeat: bool,
}

const fn opt(name: &'static str) -> Opt {
    Opt {
        name,
        value: true,
        repeat: false,
    }
}

const fn many(name: &'static str) -> Opt {
    Opt {
        name,
        value: true,
        repeat: true,
    }
}

const fn flag(name: &'static str) -> Opt {
    Opt {
        name,
        value: false,
        repeat: false,
    }
}

/// A parsed command line: positional arguments and option values, by option name.
struct Parsed {
    positional: Vec<String>,
    values: Vec<(&'static str, String)>,
}

impl Parsed {
    /// Parses `args` against the options a command accepts.
    fn new(args: &[String], spec: &[Opt]) -> Result<Parsed, Failure> {
        let mut parsed = Parsed {
            positional: Vec::new(),
            values: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg == "--" {
                parsed.positional.extend(args.by_ref().cloned());
                break;
            }
            if arg == "--help" || arg == "-h" {
                return Err(Failure::Help);
            }
            let Some(body) = arg.strip_prefix("--") else {
                if arg.len() > 1 && arg.starts_with('-') {
                    return Err(Failure::Usage(format!("unknown option {arg:?}")));
                }
                parsed.positional.push(arg.clone());
                continue;
            };
            let (name, inline) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (body, None),
            };
            let Some(o) = spec.iter().find(|o| o.name == name) else {
                return Err(Failure::Usage(format!("unknown option --{name}")));
            };
            let value = match (o.value, inline) {
                (true, Some(v)) => v.to_owned(),
                (true, None) => args
                    .next()
                    .cloned()
                    .ok_or_else(|| Failure::Usage(format!("--{name} needs a value")))?,
                (false, None) => String::new(),
                (false, Some(_)) => {
                    return Err(Failure::Usage(format!("--{name} takes no value")));
                }
            };
            if !o.repeat && parsed.values.iter().any(|(n, _)| *n == o.name) {
                return Err(Failure::Usage(format!("--{name} given more than once")));
            }
            parsed.values.push((o.name, value));
        }
        Ok(parsed)
    }

    /// Every value of a repeatable option, in order.
    fn all(&self, name: &str) -> Vec<&str> {
        self.values
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of an option given at most once.
    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a required option.
    fn required(&self, name: &str) -> Result<&str, Failure> {
        self.get(name)
            .ok_or_else(|| Failure::Usage(format!("--{name} is required")))
    }

    fn flag(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The one positional argument, named `what` in messages.
    fn single_positional(&self, what: &str) -> Result<&str, Failure> {
        match self.positional.as_slice() {
            [one] => Ok(one),
            [] => Err(Failure::Usage(format!("{what} is missing"))),
            [_, extra, ..] => Err(Failure::Usage(format!("unexpected argument {extra:?}"))),
        }
    }

    fn no_positional(&self) -> Result<(), Failure> {
        match self.positional.first() {
            None => Ok(()),
            Some(extra) => Err(Failure::Usage(format!("unexpected argument {extra:?}"))),
        }
    }

    /// An option's value as a number of type `T`.
    fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, Failure> {
        self.get(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    Failure::Usage(format!(
                        "--{name} wants a non-negative whole number, not {v:?}"
                    ))
                })
            })
            .transpose()
    }

    fn seconds(&self, name: &str) -> Result<Option<Duration>, Failure> {
        Ok(self.number::<u64>(name)?.map(Duration::from_secs))
    }

    /// `--now UNIX` as a clock; without it, the system clock, or with `whole_seconds` the
    /// current second (so that issued tokens carry integer dates).
    fn clock(&self, whole_seconds: bool) -> Result<Arc<dyn Clock>, Failure> {
        match self.get("now") {
            None if whole_seconds => Ok(Arc::new(FixedClock::at(NumericDate::now().as_secs()))),
            None => Ok(Arc::new(SystemClock)),
            Some(v) => {
                let secs: i64 = v.parse().map_err(|_| {
                    Failure::Usage(format!("--now wants seconds since the epoch, not {v:?}"))
                })?;
                NumericDate::from_secs(secs).map_err(|_| {
                    Failure::Usage(format!(
                        "--now {secs} is outside 0..={}",
                        NumericDate::MAX_SECS
                    ))
                })?;
                Ok(Arc::new(FixedClock::at(secs)))
            }
        }
    }
}

fn algorithm(name: &str) -> Result<Algorithm, Failure> {
    Algorithm::from_name(name)
        .map_err(|e| Failure::Usage(format!("--alg {name:?}: {}: {e}", e.kind().as_str())))
}

// ---------------------------------------------------------------------------------------------
// Input

/// Reads at most [`MAX_INPUT_BYTES`] from `reader`.
fn read_limited(reader: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(std::io::Error::other(format!(
            "more than {MAX_INPUT_BYTES} bytes"
        )));
    }
    Ok(bytes)
}

fn read_file(path: &str) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    read_limited(&mut file)
}

/// The token argument, or standard input for `-`, without surrounding whitespace.
fn read_token(arg: &str, io: &mut Streams<'_>) -> Result<String, Failure> {
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    let mut bytes = Vec::new();
    io.stdin
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Usage(format!("cannot read the token from standard input: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Failure::Token(Error::TooLarge {
            size: bytes.len(),
            limit: MAX_INPUT_BYTES as usize,
        }));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Token(Error::Malformed("token is not UTF-8 text".into())))?;
    Ok(text.trim().to_owned())
}

/// The contents of a key file, told apart by content.
enum KeyFile {
    Jwk(Box<Jwk>),
    Set(JwkSet),
    Pem(String),
    Der(Vec<u8>),
}

fn read_key_file(path: &str) -> Result<KeyFile, Failure> {
    let bytes =
        read_file(path).map_err(|e| key_failure(path, KeyProblem::Unreadable(e.to_string())))?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        // Not text: perhaps DER.
        Err(e) => return Ok(KeyFile::Der(e.into_bytes())),
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.starts_with('{') {
        let value: Value = serde_json::from_str(trimmed)
            .map_err(|e| key_failure(path, KeyProblem::Unusable(format!("not valid JSON: {e}"))))?;
        let refused = |e| key_failure(path, KeyProblem::Refused(e));
        return if value.get("keys").is_some() {
            JwkSet::from_json(trimmed)
                .map(KeyFile::Set)
                .map_err(refused)
        } else {
            Jwk::from_json(trimmed)
                .map(|jwk| KeyFile::Jwk(Box::new(jwk)))
                .map_err(refused)
        };
    }
    if trimmed.contains("-----BEGIN ") {
        return Ok(KeyFile::Pem(trimmed.to_owned()));
    }
    Err(key_failure(
        path,
        KeyProblem::Unusable("not a JWK, a JWK Set, or a PEM key".into()),
    ))
}

/// The public half of a JWK (for `oct`, the secret): a private JWK works too.
fn verifying_key_from_jwk(jwk: &Jwk) -> Result<VerifyingKey, Error> {
    match VerifyingKey::from_jwk(jwk) {
        Ok(key) => Ok(key),
        Err(first) if jwk.is_private() && jwk.kty != "oct" => SigningKey::from_jwk(jwk)
            .map(|k| k.verifying_key())
            .map_err(|_| first),
        Err(first) => Err(first),
    }
}

/// One verifying key from a file holding one key.
fn single_verifying_key(path: &str, file: KeyFile) -> Result<VerifyingKey, Failure> {
    let refused = |e| key_failure(path, KeyProblem::Refused(e));
    match file {
        KeyFile::Jwk(jwk) => verifying_key_from_jwk(&jwk).map_err(refused),
        KeyFile::Pem(pem) => VerifyingKey::from_pem(&pem).map_err(refused),
        KeyFile::Der(der) => VerifyingKey::from_der(&der).map_err(refused),
        KeyFile::Set(_) => Err(key_failure(
            path,
            KeyProblem::Unusable("a JWK Set holds several keys; give one JWK or PEM key".into()),
        )),
    }
}

/// The keys of a JWK Set, as a provider that picks one by `kid` and algorithm.
///
/// With a `kid`, the key of that `kid` that supports the algorithm (preferring one bound to it);
/// without, the only key that supports the algorithm. Never several tries.
struct KeyList(Vec<VerifyingKey>);

impl KeyProvider for KeyList {
    fn key(&self, request: &KeyRequest<'_>) -> Result<KeyHandle<'_>, Error> {
        let mut candidates = self.0.iter().filter(|k| k.supports(request.alg));
        let chosen = match request.kid {
            Some(kid) => {
                let named: Vec<&VerifyingKey> =
                    candidates.filter(|k| k.key_id() == Some(kid)).collect();
                named
                    .iter()
                    .find(|k| k.algorithm() == Some(request.alg))
                    .or_else(|| named.first())
                    .copied()
            }
            None => match (candidates.next(), candidates.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            },
        };
        chosen
            .map(KeyHandle::borrowed)
            .ok_or_else(|| request.not_found())
    }
}

/// The key provider for `verify`: one key, or the usable keys of a JWK Set.
fn key_provider(path: &str) -> Result<Box<dyn KeyProvider>, Failure> {
    match read_key_file(path)? {
        KeyFile::Set(set) => {
            let mut keys = Vec::new();
            let mut first_error = None;
            for jwk in &set.keys {
                match verifying_key_from_jwk(jwk) {
                    Ok(key) => keys.push(key),
                    // Members this tool cannot use (other algorithms, encryption keys) are
                    // skipped, as RFC 7517 §5 asks; the set must still hold one usable key.
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            if keys.is_empty() {
                return Err(key_failure(
                    path,
                    match first_error {
                        Some(e) => KeyProblem::Refused(e),
                        None => KeyProblem::Unusable("the JWK Set holds no keys".into()),
                    },
                ));
            }
            Ok(Box::new(KeyList(keys)))
        }
        file => Ok(Box::new(single_verifying_key(path, file)?)),
    }
}

/// The signing key for `encode`, bound to `alg` and carrying `kid` when given.
fn signing_key(path: &str, alg: Algorithm, kid: Option<&str>) -> Result<SigningKey, Failure> {
    let refused = |e| key_failure(path, KeyProblem::Refused(e));
    let unusable = |why: String| key_failure(path, KeyProblem::Unusable(why));
    let (key, bound) = match read_key_file(path)? {
        KeyFile::Jwk(jwk) => {
            if !jwk.is_private() {
                return Err(unusable("the JWK holds no private key".into()));
            }
            (
                SigningKey::from_jwk(&jwk).map_err(refused)?,
                jwk.alg.clone(),
            )
        }
        KeyFile::Set(set) => {
            let fits = |jwk: &&Jwk| {
                jwk.is_private()
                    && match kid {
                        Some(kid) => jwk.kid.as_deref() == Some(kid),
                        None => jwk.alg.as_deref().is_none_or(|a| a == alg.name()),
                    }
            };
            let mut usable = Vec::new();
            let mut first_error = None;
            for jwk in set.keys.iter().filter(fits) {
                match SigningKey::from_jwk(jwk) {
                    Ok(key) if key.family() == alg.family() => usable.push((key, jwk.alg.clone())),
                    Ok(_) => {}
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            if usable.len() > 1 {
                return Err(unusable(format!(
                    "the JWK Set holds {} private keys for {alg}; choose one with --kid",
                    usable.len()
                )));
            }
            match (usable.pop(), first_error) {
                (Some(found), _) => found,
                (None, Some(e)) => return Err(refused(e)),
                (None, None) => {
                    return Err(unusable(match kid {
                        Some(kid) => format!("no private key of kid {kid:?} for {alg} in the set"),
                        None => format!("no private key for {alg} in the set"),
                    }));
                }
            }
        }
        KeyFile::Pem(pem) => (SigningKey::from_pem(&pem).map_err(refused)?, None),
        KeyFile::Der(_) => {
            return Err(unusable(
                "give a private key as PEM or as a JWK, not DER".into(),
            ));
        }
    };
    if let Some(bound) = bound
        && bound != alg.name()
    {
        return Err(unusable(format!("the key is for {bound}, not {alg}")));
    }
    let key = match kid {
        Some(kid) => key.with_key_id(kid),
        None => key,
    };
    key.with_algorithm(alg).map_err(refused)
}

// ---------------------------------------------------------------------------------------------
// Commands

fn verify(args: &[String], io: &mut Streams<'_>) -> Result<(), Failure> {
    let p = Parsed::new(
        args,
        &[
            opt("key"),
            many("alg"),
            many("iss"),
            many("aud"),
            opt("sub"),
            opt("typ"),
            opt("leeway"),
            opt("now"),
            opt("max-lifetime"),
            opt("max-age"),
            opt("max-token-bytes"),
            flag("allow-missing-exp"),
            opt("client-ip"),
            opt("ip-claim"),
            many("require"),
        ],
    )?;
    let token_arg = p.single_positional("TOKEN (or - for standard input)")?;
    let key_path = p.required("key")?;

    let mut algorithms = AlgorithmSet::empty();
    for name in p.all("alg").iter().flat_map(|list| list.split(',')) {
        algorithms = algorithms.with(algorithm(name.trim())?);
    }
    if algorithms.is_empty() {
        return Err(Failure::Usage("--alg is required".into()));
    }
    let mut policy = Policy::new(algorithms);
    for iss in p.all("iss") {
        policy = policy.issuer(iss);
    }
    for aud in p.all("aud") {
        policy = policy.audience(aud);
    }
    if let Some(sub) = p.get("sub") {
        policy = policy.subject(sub);
    }
    if let Some(typ) = p.get("typ") {
        policy = policy.token_type(typ);
    }
    if let Some(leeway) = p.seconds("leeway")? {
        policy = policy.leeway(leeway);
    }
    if let Some(max) = p.seconds("max-lifetime")? {
        policy = policy.max_lifetime(max);
    }
    if let Some(max) = p.seconds("max-age")? {
        policy = policy.max_age(max);
    }
    if let Some(bytes) = p.number::<usize>("max-token-bytes")? {
        policy = policy.max_token_bytes(bytes);
    }
    if p.flag("allow-missing-exp") {
        policy = policy.allow_missing_exp();
    }
    let mut context = VerifyContext::new();
    match (p.get("client-ip"), p.get("ip-claim")) {
        (Some(ip), claim) => {
            let ip: IpAddr = ip
                .parse()
                .map_err(|_| Failure::Usage(format!("--client-ip {ip:?} is not an IP address")))?;
            context = context.client_ip(ip);
            if let Some(claim) = claim {
                policy = policy.ip_claim(claim);
            }
            policy = policy.ip_binding(IpBindingMode::WhenPresent);
        }
        (None, Some(_)) => return Err(Failure::Usage("--ip-claim needs --client-ip".into())),
        (None, None) => {}
    }
    for claim in p.all("require") {
        policy = policy.require_claim(claim);
    }
    let clock = p.clock(false)?;

    let keys = key_provider(key_path)?;
    let token = read_token(token_arg, io)?;
    let verifier = Verifier::new(keys, policy).with_clock(clock);
    match verifier.verify_with::<Value>(&token, &context) {
        Ok(verified) => print_json_line(io, verified.claims()),
        // A secret too short for the algorithm the token names is a refused key, not a bad token.
        Err(e) if e.kind() == ErrorKind::WeakKey => {
            Err(key_failure(key_path, KeyProblem::Refused(e)))
        }
        Err(e) => Err(Failure::Token(e)),
    }
}

fn encode(args: &[String], io: &mut Streams<'_>) -> Result<(), Failure> {
    let p = Parsed::new(
        args,
        &[
            opt("key"),
            opt("alg"),
            opt("kid"),
            opt("typ"),
            opt("claims"),
            opt("iss"),
            opt("sub"),
            many("aud"),
            opt("lifetime"),
            opt("now"),
            flag("no-jti"),
        ],
    )?;
    p.no_positional()?;
    let key_path = p.required("key")?;
    let alg = algorithm(p.required("alg")?)?;
    let claims = match p.get("claims") {
        None => Value::Object(Map::new()),
        Some(arg) => {
            let text = match arg.strip_prefix('@') {
                Some(path) => {
                    let bytes = read_file(path).map_err(|e| {
                        Failure::Usage(format!("--claims: cannot read {path}: {e}"))
                    })?;
                    String::from_utf8(bytes).map_err(|_| {
                        Failure::Usage(format!("--claims: {path} is not UTF-8 text"))
                    })?
                }
                None => arg.to_owned(),
            };
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| Failure::Usage(format!("--claims is not valid JSON: {e}")))?;
            if !value.is_object() {
                return Err(Failure::Usage("--claims must be a JSON object".into()));
            }
            value
        }
    };
    let lifetime = p.seconds("lifetime")?;
    let clock = p.clock(true)?;
    let key = signing_key(key_path, alg, p.get("kid"))?;

    let mut issuer = Issuer::new(key).with_clock(clock);
    if let Some(iss) = p.get("iss") {
        issuer = issuer.issuer(iss);
    }
    if let Some(lifetime) = lifetime {
        issuer = issuer.lifetime(lifetime);
    }
    if let Some(typ) = p.get("typ") {
        issuer = issuer.token_type(Some(typ));
    }
    if p.flag("no-jti") {
        issuer = issuer.without_jti();
    }
    let mut token = issuer.token(&claims);
    if let Some(sub) = p.get("sub") {
        token = token.subject(sub);
    }
    let audiences = p.all("aud");
    match audiences.as_slice() {
        [] => {}
        [one] => token = token.audience(*one),
        many => {
            token = token.audience(Audience::Many(
                many.iter().map(|a| (*a).to_owned()).collect(),
            ));
        }
    }
    let token = token.sign().map_err(|error| Failure::Refused {
        what: "cannot encode",
        error,
    })?;
    write_line(io, &token)
}

fn decode(args: &[String], io: &mut Streams<'_>) -> Result<(), Failure> {
    let p = Parsed::new(args, &[])?;
    let token = read_token(p.single_positional("TOKEN (or - for standard input)")?, io)?;
    let untrusted = UntrustedToken::decode(&token).map_err(Failure::Token)?;

    /// The output: the marking comes first, so that nobody reads the claims without it.
    #[derive(serde::Serialize)]
    struct Decoded<'a> {
        verified: bool,
        warning: &'static str,
        header: &'a Map<String, Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        claims: Option<Map<String, Value>>,
        /// A payload that is not a JSON object: as text when it is UTF-8.
        #[serde(skip_serializing_if = "Option::is_none")]
        payload: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        payload_error: Option<String>,
        signature_bytes: usize,
    }
    let (claims, payload, payload_error) = match untrusted.claims() {
        Ok(claims) => (Some(claims), None, None),
        Err(e) => (
            None,
            Some(String::from_utf8_lossy(untrusted.payload()).into_owned()),
            Some(e.to_string()),
        ),
    };
    let decoded = Decoded {
        verified: false,
        warning: "UNVERIFIED: neither the signature nor any claim was checked; do not trust \
                  this content (use `jwt verify`)",
        header: untrusted.header(),
        claims,
        payload,
        payload_error,
        signature_bytes: untrusted.signature().len(),
    };
    let text = serde_json::to_string_pretty(&decoded)
        .map_err(|e| Failure::Usage(format!("cannot print the token: {e}")))?;
    write_line(io, &text)
}

fn keygen(args: &[String], io: &mut Streams<'_>) -> Result<(), Failure> {
    let p = Parsed::new(args, &[opt("alg"), opt("kid")])?;
    p.no_positional()?;
    let alg = algorithm(p.required("alg")?)?;
    if alg.family() == KeyFamily::Rsa {
        return Err(Failure::Usage(format!(
            "{alg}: RSA keys are not generated here; make one with \
             `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072`"
        )));
    }
    let refused = |error| Failure::Refused {
        what: "cannot generate a key",
        error,
    };
    let key = SigningKey::generate(alg).map_err(refused)?;
    let mut jwk = key.to_jwk();
    // The key is for this one algorithm.
    jwk.alg = Some(alg.name().to_owned());
    if let Some(kid) = p.get("kid") {
        jwk.kid = Some(kid.to_owned());
    }
    write_line(io, &jwk.to_json())
}

fn thumbprint(args: &[String], io: &mut Streams<'_>) -> Result<(), Failure> {
    let p = Parsed::new(args, &[])?;
    let path = p.single_positional("FILE")?;
    let file = read_key_file(path)?;
    let key = single_verifying_key(path, file)?;
    write_line(io, &key.thumbprint())
}

// ---------------------------------------------------------------------------------------------
// Output

fn write_line(io: &mut Streams<'_>, text: &str) -> Result<(), Failure> {
    // A closed stdout is not worth a different exit code; the text is simply lost.
    let _ = writeln!(io.stdout, "{text}");
    Ok(())
}

fn print_json_line(io: &mut Streams<'_>, value: &Value) -> Result<(), Failure> {
    let text = serde_json::to_string(value)
        .map_err(|e| Failure::Usage(format!("cannot print the claims: {e}")))?;
    write_line(io, &text)
}
