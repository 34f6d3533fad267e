//! Where "now" comes from.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::NumericDate;

/// A source of the current time. The verifier asks it once per token.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> NumericDate;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn now(&self) -> NumericDate {
        NumericDate::now()
    }
}

/// A clock that stays where it is set: for tests, replaying old tokens, and tools such as
/// `jwt verify --now`.
///
/// ```
/// use tessera::{Clock, FixedClock, NumericDate};
/// let clock = FixedClock::at(1_300_819_000);
/// assert_eq!(clock.now(), NumericDate::from_secs(1_300_819_000).unwrap());
/// clock.advance(60);
/// assert_eq!(clock.now().as_secs(), 1_300_819_060);
/// ```
#[derive(Debug, Default)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    /// A clock fixed at `secs` seconds since the Unix epoch (clamped to the range of
    /// [`NumericDate`]).
    pub fn at(secs: i64) -> Self {
        FixedClock(AtomicI64::new(secs))
    }

    /// Moves the clock to `secs`.
    pub fn set(&self, secs: i64) {
        self.0.store(secs, Ordering::Relaxed);
    }

    /// Moves the clock forward by `secs` (backward if negative).
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::Relaxed);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> NumericDate {
        NumericDate::clamped(self.0.load(Ordering::Relaxed))
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> NumericDate {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> NumericDate {
        (**self).now()
    }
}
