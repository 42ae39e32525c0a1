//! Buffers that start on a cache line. The allocator gives large `Vec`s 16-byte alignment (a
//! mapping plus its header), so every 64-byte load of a row split across two lines: aligning
//! the weights made gemma-3 decode about 5 % faster (62–65 against 59–60 tokens/s, paired runs).

use std::marker::PhantomData;

/// Plain numbers: every bit pattern, all zeros included, is a value.
///
/// # Safety
/// Implement only for types without padding, invalid bit patterns or drop glue.
pub(crate) unsafe trait Plain: Copy {}
// SAFETY: primitive numbers.
unsafe impl Plain for u8 {}
// SAFETY: as above.
unsafe impl Plain for i8 {}
// SAFETY: as above.
unsafe impl Plain for f32 {}

#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Line([u8; 64]);

/// `len` values of `T` at the start of whole cache lines.
pub(crate) struct Aligned<T: Plain> {
    lines: Vec<Line>,
    len: usize,
    of: PhantomData<T>,
}

impl<T: Plain> Aligned<T> {
    /// `len` zeros.
    pub fn zeroed(len: usize) -> Aligned<T> {
        let bytes = len * std::mem::size_of::<T>();
        Aligned {
            lines: vec![Line([0; 64]); bytes.div_ceil(64)],
            len,
            of: PhantomData,
        }
    }
}

impl<T: Plain> std::ops::Deref for Aligned<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `lines` holds at least `len` values of `T`, 64-byte aligned (enough for any
        // `Plain` type), and any bits are a valid `T`.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr() as *const T, self.len) }
    }
}

impl<T: Plain> std::ops::DerefMut for Aligned<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, borrowed mutably through `self`.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr() as *mut T, self.len) }
    }
}

impl<T: Plain + std::fmt::Debug> std::fmt::Debug for Aligned<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_on_a_cache_line_and_keeps_the_values() {
        for len in [0, 1, 15, 16, 17, 1000] {
            let values: Vec<f32> = (0..len).map(|i| i as f32 * 0.5).collect();
            let mut a = Aligned::zeroed(len);
            a.copy_from_slice(&values);
            assert_eq!(a.as_ptr() as usize % 64, 0, "len {len}");
            assert_eq!(&a[..], &values[..]);
        }
    }
}
