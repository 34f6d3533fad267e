//! A string-keyed map split into independently locked shards.
//!
//! Readers of one shard never wait for writers of another, and a writer holds its shard's lock only
//! for one map operation, so concurrent checks are held up at most for that short critical section.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A fast hasher for short identifiers, keyed with a random per-map seed.
///
/// The keys are `jti`s and subjects of tokens whose signature has already been verified, written
/// by the issuer's own revocations, so the resistance of SipHash to chosen keys buys nothing here;
/// the seed still keeps the layout unpredictable. One multiply per 8 bytes, then a full
/// avalanche (the MurmurHash3 finaliser), so that both the low bits (bucket) and the high bits
/// (hashbrown's tag, the shard index) are well mixed.
#[derive(Clone, Copy)]
pub(crate) struct SeededHash(u64);

impl SeededHash {
    fn new() -> Self {
        SeededHash(RandomState::new().hash_one(0x0074_6573_7365_7261_u64) | 1)
    }
}

impl Default for SeededHash {
    fn default() -> Self {
        SeededHash::new()
    }
}

impl BuildHasher for SeededHash {
    type Hasher = IdHasher;
    #[inline]
    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.0)
    }
}

pub(crate) struct IdHasher(u64);

const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // The length first, so that zero padding of the last chunk cannot make two lengths agree.
        self.0 = (self.0 ^ bytes.len() as u64)
            .wrapping_mul(MUL)
            .rotate_left(29);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0 ^ u64::from_le_bytes(word))
                .wrapping_mul(MUL)
                .rotate_left(29);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word.get_mut(..rest.len())
                .unwrap_or_default()
                .copy_from_slice(rest);
            self.0 = (self.0 ^ u64::from_le_bytes(word))
                .wrapping_mul(MUL)
                .rotate_left(29);
        }
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(MUL);
    }

    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

type Map<V> = HashMap<Box<str>, V, SeededHash>;

/// Number of shards; a power of two.
const SHARDS: usize = 64;

/// One shard, aligned to its own cache line so that the locks of neighbouring shards do not share
/// one.
#[repr(align(64))]
#[derive(Default)]
struct Shard<V>(RwLock<Map<V>>);

pub(crate) struct ShardedMap<V> {
    shards: [Shard<V>; SHARDS],
    /// Picks the shard. Seeded independently of the maps' own hasher, so that the keys of one
    /// shard do not share hash bits inside their map.
    picker: SeededHash,
}

impl<V> ShardedMap<V> {
    pub(crate) fn new() -> Self {
        let seed = SeededHash::new();
        ShardedMap {
            shards: std::array::from_fn(|_| Shard(RwLock::new(HashMap::with_hasher(seed)))),
            picker: SeededHash::new(),
        }
    }

    #[inline]
    fn shard(&self, key: &str) -> &RwLock<Map<V>> {
        let index = (self.picker.hash_one(key) >> 32) as usize & (SHARDS - 1);
        // In bounds: the mask keeps `index` below SHARDS, the array's length.
        #[allow(clippy::indexing_slicing)]
        &self.shards[index].0
    }

    /// A read guard on the shard holding `key`. A poisoned lock is used as is: every critical
    /// section leaves its map consistent.
    #[inline]
    pub(crate) fn read(&self, key: &str) -> RwLockReadGuard<'_, Map<V>> {
        self.shard(key)
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A write guard on the shard holding `key`.
    #[inline]
    pub(crate) fn write(&self, key: &str) -> RwLockWriteGuard<'_, Map<V>> {
        self.shard(key)
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Write guards on every shard, one after the other.
    pub(crate) fn for_each_shard_mut(&self, mut f: impl FnMut(&mut Map<V>)) {
        for shard in &self.shards {
            let mut map = shard.0.write().unwrap_or_else(PoisonError::into_inner);
            f(&mut map);
        }
    }

    /// Read guards on every shard, one after the other.
    pub(crate) fn for_each_shard(&self, mut f: impl FnMut(&Map<V>)) {
        for shard in &self.shards {
            let map = shard.0.read().unwrap_or_else(PoisonError::into_inner);
            f(&map);
        }
    }

    /// Number of keys across all shards.
    pub(crate) fn len(&self) -> usize {
        let mut total = 0;
        self.for_each_shard(|map| total += map.len());
        total
    }
}

impl<V> Default for ShardedMap<V> {
    fn default() -> Self {
        ShardedMap::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_spread_over_shards() {
        let map = ShardedMap::<u8>::new();
        for i in 0..6400 {
            map.write(&format!("key-{i}"))
                .insert(format!("key-{i}").into(), 0);
        }
        assert_eq!(map.len(), 6400);
        let mut sizes = Vec::new();
        map.for_each_shard(|m| sizes.push(m.len()));
        // 100 per shard on average; a shard holding none or a quarter of all keys would mean the
        // picker is broken.
        assert!(sizes.iter().all(|&n| n > 20 && n < 1600), "{sizes:?}");
        assert!(map.read("key-17").contains_key("key-17"));
        assert!(!map.read("key-x").contains_key("key-x"));
    }

    #[test]
    fn the_hash_separates_near_identical_keys() {
        let build = SeededHash::new();
        let mut seen = std::collections::HashSet::new();
        // Keys differing in one byte, in length only (a prefix of a chunk and the full chunk), or
        // in the tail past a chunk boundary.
        for i in 0..5000u32 {
            for key in [
                format!("jti-{i}"),
                format!("{i:>22}"),
                format!("{}{i}", "x".repeat(16)),
                format!("{i}\0"),
            ] {
                assert!(
                    seen.insert(build.hash_one(key.as_str())),
                    "collision for {key:?}"
                );
            }
        }
        assert_ne!(build.hash_one("a"), build.hash_one("a\0"));
        // Top bits (the shard index) spread too.
        let tops: std::collections::HashSet<u64> = (0..1000)
            .map(|i| build.hash_one(format!("jti-{i}").as_str()) >> 58)
            .collect();
        assert_eq!(tops.len(), 64);
    }
}
