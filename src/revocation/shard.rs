//! A string-keyed map split into independently locked shards.
//!
//! Readers of one shard never wait for writers of another, and a writer holds its shard's lock only
//! for one map operation, so concurrent checks are held up at most for that short critical section.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Number of shards; a power of two.
const SHARDS: usize = 64;

/// One shard, aligned to its own cache line so that the locks of neighbouring shards do not share
/// one.
#[repr(align(64))]
#[derive(Default)]
struct Shard<V>(RwLock<HashMap<Box<str>, V>>);

pub(crate) struct ShardedMap<V> {
    shards: [Shard<V>; SHARDS],
    /// Picks the shard. Independent of the maps' own hashers, so that keys of one shard do not
    /// share hash bits inside their map.
    picker: RandomState,
}

impl<V> ShardedMap<V> {
    pub(crate) fn new() -> Self {
        ShardedMap {
            shards: std::array::from_fn(|_| Shard(RwLock::new(HashMap::new()))),
            picker: RandomState::new(),
        }
    }

    #[inline]
    fn shard(&self, key: &str) -> &RwLock<HashMap<Box<str>, V>> {
        let index = (self.picker.hash_one(key) >> 32) as usize & (SHARDS - 1);
        // In bounds: the mask keeps `index` below SHARDS, the array's length.
        #[allow(clippy::indexing_slicing)]
        &self.shards[index].0
    }

    /// A read guard on the shard holding `key`. A poisoned lock is used as is: every critical
    /// section leaves its map consistent.
    #[inline]
    pub(crate) fn read(&self, key: &str) -> RwLockReadGuard<'_, HashMap<Box<str>, V>> {
        self.shard(key)
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A write guard on the shard holding `key`.
    #[inline]
    pub(crate) fn write(&self, key: &str) -> RwLockWriteGuard<'_, HashMap<Box<str>, V>> {
        self.shard(key)
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Write guards on every shard, one after the other.
    pub(crate) fn for_each_shard_mut(&self, mut f: impl FnMut(&mut HashMap<Box<str>, V>)) {
        for shard in &self.shards {
            let mut map = shard.0.write().unwrap_or_else(PoisonError::into_inner);
            f(&mut map);
        }
    }

    /// Read guards on every shard, one after the other.
    pub(crate) fn for_each_shard(&self, mut f: impl FnMut(&HashMap<Box<str>, V>)) {
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
}
