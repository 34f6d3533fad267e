//! Decoded-token buffers, recycled per thread.
//!
//! A verification decodes the token's header and claims into one buffer, which [`Verified`]
//! keeps so that the registered claims can be read without copies. When a `Verified` is dropped,
//! its buffer goes back to a small stock kept by the dropping thread (at most [`KEPT`] buffers of
//! at most [`MAX_CAPACITY`] bytes each), and the next verification on that thread decodes into it
//! instead of allocating: in a steady state, verification allocates only what the caller's
//! claims type does. A reused buffer is cleared and written over; its old contents are never read.
//!
//! [`Verified`]: crate::Verified

use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;

/// Buffers kept per thread.
const KEPT: usize = 4;

/// Largest buffer kept: enough for the header and claims of ordinary tokens; larger ones are
/// freed as usual.
const MAX_CAPACITY: usize = 4096;

thread_local! {
    static STOCK: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer with room for `capacity` bytes: a recycled one if this thread has one.
#[inline]
pub(crate) fn take(capacity: usize) -> Vec<u8> {
    let recycled = STOCK
        .try_with(|stock| stock.try_borrow_mut().ok().and_then(|mut s| s.pop()))
        .ok()
        .flatten();
    match recycled {
        Some(mut buf) => {
            buf.clear();
            buf.reserve(capacity);
            buf
        }
        None => Vec::with_capacity(capacity),
    }
}

/// Keeps `buf` for this thread's next verification, if there is room and it is not too large.
pub(crate) fn give_back(buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > MAX_CAPACITY {
        return;
    }
    // `try_with`: a thread being torn down simply frees the buffer.
    let _ = STOCK.try_with(|stock| {
        if let Ok(mut stock) = stock.try_borrow_mut()
            && stock.len() < KEPT
        {
            if stock.capacity() == 0 {
                stock.reserve_exact(KEPT);
            }
            stock.push(buf);
        }
    });
}

/// The decoded JSON of a verified token; its buffer is recycled when dropped.
pub(crate) struct TokenText(String);

impl TokenText {
    pub(crate) fn new(text: String) -> Self {
        TokenText(text)
    }
}

impl Deref for TokenText {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Drop for TokenText {
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.0).into_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stocked() -> usize {
        STOCK.with(|s| s.borrow().len())
    }

    #[test]
    fn dropped_texts_are_reused_and_the_stock_is_bounded() {
        assert_eq!(stocked(), 0);
        let texts: Vec<TokenText> = (0..KEPT + 2)
            .map(|i| {
                let mut buf = take(100);
                buf.extend_from_slice(format!("token {i}").as_bytes());
                TokenText::new(String::from_utf8(buf).unwrap())
            })
            .collect();
        let ptrs: Vec<*const u8> = texts.iter().map(|t| t.as_ptr()).collect();
        drop(texts);
        assert_eq!(stocked(), KEPT);
        let again = take(50);
        assert!(again.is_empty() && again.capacity() >= 50);
        assert!(ptrs.contains(&again.as_ptr()));
        assert_eq!(stocked(), KEPT - 1);
    }

    #[test]
    fn large_buffers_are_not_kept() {
        drop(TokenText::new(String::with_capacity(MAX_CAPACITY + 1)));
        drop(TokenText::new(String::new()));
        assert_eq!(stocked(), 0);
    }

    /// A dropped `Verified` leaves its buffer for the next verification on the thread, which
    /// decodes into it.
    #[test]
    fn verifications_reuse_the_buffer_of_a_dropped_result() {
        use crate::{Algorithm, Policy, SigningKey, Verified, Verifier};
        let key = SigningKey::hmac(&[5u8; 32]).unwrap();
        let verifier = Verifier::new(
            key.verifying_key(),
            Policy::new([Algorithm::HS256]).allow_missing_exp(),
        );
        let token = crate::Issuer::new(&key).issue("alice", &()).unwrap();
        let first: Verified<()> = verifier.verify(&token).unwrap();
        let first_at = first.header_json().as_ptr();
        assert_eq!(stocked(), 0);
        drop(first);
        assert_eq!(stocked(), 1);
        let second: Verified<()> = verifier.verify(&token).unwrap();
        assert_eq!(stocked(), 0);
        assert_eq!(second.header_json().as_ptr(), first_at);
        assert_eq!(second.subject(), Some("alice"));
    }
}
