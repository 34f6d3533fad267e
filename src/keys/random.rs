//! Randomness, from the keys module's one ring system RNG.

use ring::rand::SecureRandom;

use crate::Error;

/// `N` random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    super::rng()
        .fill(&mut out)
        .map_err(|_| Error::Signing("the system random number generator failed".into()))?;
    Ok(out)
}
