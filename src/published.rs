//! A value that many threads read and few threads replace, without a global lock on the read side.
//!
//! The current value is kept in an `Arc` copied into [`SHARDS`] cache-padded `RwLock`s; each
//! thread reads its own shard (chosen once per thread, round robin), so readers on different
//! shards never touch the same cache line and touch no reference count. A writer builds the next
//! value under a mutex and swaps it into every shard; a reader holds only its shard's read lock,
//! for as long as it uses the value.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

/// Number of independently locked copies of the current value.
pub(crate) const SHARDS: usize = 16;

/// Keeps each shard on its own cache lines.
#[repr(align(128))]
struct Padded<T>(T);

pub(crate) struct Published<T> {
    shards: [Padded<RwLock<Arc<T>>>; SHARDS],
    /// The current value; writers hold this lock while building and installing the next one.
    current: Mutex<Arc<T>>,
}

static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static SHARD: usize = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
}

/// This thread's shard.
#[inline]
pub(crate) fn shard_index() -> usize {
    SHARD.try_with(|s| *s).unwrap_or(0)
}

impl<T> Published<T> {
    pub(crate) fn new(value: T) -> Self {
        let value = Arc::new(value);
        Published {
            shards: std::array::from_fn(|_| Padded(RwLock::new(Arc::clone(&value)))),
            current: Mutex::new(value),
        }
    }

    /// The current value, through this thread's shard. A poisoned lock is used as is: a writer
    /// only ever swaps a whole `Arc`.
    #[inline]
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Arc<T>> {
        // In bounds: the index is reduced modulo the array's length.
        #[allow(clippy::indexing_slicing)]
        let shard = &self.shards[shard_index() % SHARDS];
        shard.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current value, on the writer side (for inspection and for building the next one).
    pub(crate) fn current(&self) -> MutexGuard<'_, Arc<T>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Builds the next value from the current one and installs it in every shard; `next` may
    /// decline with `None`. Returns whether a value was installed.
    pub(crate) fn update(&self, next: impl FnOnce(&T) -> Option<T>) -> bool {
        let mut current = self.current();
        let Some(value) = next(&current) else {
            return false;
        };
        let value = Arc::new(value);
        for shard in self.shards.iter() {
            let mut slot = shard.0.write().unwrap_or_else(PoisonError::into_inner);
            *slot = Arc::clone(&value);
        }
        *current = value;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shard_sees_an_update() {
        let published = Published::new(1u32);
        assert!(published.update(|v| Some(v + 1)));
        assert!(!published.update(|_| None));
        assert!(published.shards.iter().all(|s| **s.0.read().unwrap() == 2));
        assert_eq!(**published.current(), 2);
        assert_eq!(**published.read(), 2);
    }

    #[test]
    fn threads_are_spread_over_the_shards() {
        let shards: std::collections::HashSet<usize> = (0..SHARDS)
            .map(|_| std::thread::spawn(shard_index).join().unwrap())
            .collect();
        // Round-robin: other tests may take turns meanwhile, but not all of them.
        assert!(shards.len() > 1, "{shards:?}");
        assert!(shards.iter().all(|s| *s < SHARDS));
        // A thread keeps its shard.
        assert_eq!(shard_index(), shard_index());
    }

    #[test]
    fn shards_are_on_separate_cache_lines() {
        assert!(std::mem::align_of::<Padded<RwLock<Arc<u8>>>>() >= 128);
    }
}
