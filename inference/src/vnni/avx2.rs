//! The kernel on AVX2 (CPUs without AVX-512 VNNI): per block of 32, `vpmaddubsw` multiplies
//! unsigned bytes with signed ones into 16-bit pair sums and `vpmaddwd` widens them, in a
//! register tile of 4 rows × up to 2 tokens of 8-lane sums. Types with an offset take it out in
//! integers (the signed weight `q − offset` as |w| times the activation with w's sign, at most
//! 2 · 128 · 127 per pair, so nothing saturates): the block's sum is exact before its one
//! scaling, as in llama.cpp, rather than a difference of two scaled sums.

use super::{Acts, Packed, QK, Scales};
use std::arch::x86_64::*;

/// Q8_0-style quantisation of `t` rows of `k` values, 8 lanes at a time; the same numbers
/// as `quantise_scalar` (the same f32 products, rounded to nearest even).
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn quantise(x: &[f32], t: usize, k: usize) -> Acts {
    let mut a = Acts::zeroed(t, k);
    let abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFF_FFFF));
    // After the two packs the 4-byte groups are 0, 8, 16, 24, 4, 12, 20, 28 (by value).
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for bi in 0..t * k / QK {
        // SAFETY: block bi covers x[bi*32..bi*32+32] and q[bi*32..bi*32+32], both in bounds.
        unsafe {
            let at = x.as_ptr().add(bi * QK);
            let v = [0, 8, 16, 24].map(|o| _mm256_loadu_ps(at.add(o)));
            let m = v.iter().fold(_mm256_setzero_ps(), |m, &x| {
                _mm256_max_ps(m, _mm256_and_ps(x, abs_mask))
            });
            let m = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps::<1>(m));
            let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
            let amax = _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
            let d = amax / 127.0;
            let id = _mm256_set1_ps(if d > 0.0 { 1.0 / d } else { 0.0 });
            let q = v.map(|x| _mm256_cvtps_epi32(_mm256_mul_ps(x, id)));
            let sum = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
            let sum = _mm_add_epi32(
                _mm256_castsi256_si128(sum),
                _mm256_extracti128_si256::<1>(sum),
            );
            let sum = _mm_add_epi32(sum, _mm_shuffle_epi32::<0b01_00_11_10>(sum));
            let sum =
                _mm_cvtsi128_si32(_mm_add_epi32(sum, _mm_shuffle_epi32::<0b10_11_00_01>(sum)));
            let bytes = _mm256_packs_epi16(
                _mm256_packs_epi32(q[0], q[1]),
                _mm256_packs_epi32(q[2], q[3]),
            );
            _mm256_storeu_si256(
                a.q.as_mut_ptr().add(bi * QK) as *mut _,
                _mm256_permutevar8x32_epi32(bytes, order),
            );
            a.set_block(bi, d, sum);
        }
    }
    a
}

/// Scale or minimum `i` as f32.
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
unsafe fn scale(s: &Scales, i: usize) -> f32 {
    match s {
        Scales::Half(v) => _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(v[i] as i32))),
        Scales::Single(v) => v[i],
    }
}

/// The 32 unsigned weights of block `half` (0 or 1) of pair `b2` of row `r`.
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
unsafe fn weights<const NIBBLES: bool, const HIGH: bool>(
    p: &Packed,
    r: usize,
    b2: usize,
    half: usize,
) -> __m256i {
    let nb2 = p.k / (2 * QK);
    if !NIBBLES {
        // SAFETY: r < rows and the block lies inside the row.
        return unsafe {
            _mm256_loadu_si256(p.w.as_ptr().add(r * p.k + (2 * b2 + half) * QK) as *const _)
        };
    }
    // SAFETY: as above, for the row's k / 2 bytes.
    let v = unsafe { _mm256_loadu_si256(p.w.as_ptr().add(r * p.k / 2 + b2 * QK) as *const _) };
    let low4 = _mm256_set1_epi8(0x0F);
    let w = if half == 0 {
        _mm256_and_si256(v, low4)
    } else {
        _mm256_and_si256(_mm256_srli_epi16::<4>(v), low4)
    };
    if !HIGH {
        return w;
    }
    // Bit j of the block's 32 fifth bits to byte j: each byte takes the bits' byte j / 8,
    // keeps its own bit, and becomes 16 where that bit is set.
    let bits = (p.high[r * nb2 + b2] >> (32 * half)) as u32;
    let spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(bits as i32),
        _mm256_setr_epi8(
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3,
            3, 3, 3,
        ),
    );
    let bit = _mm256_set1_epi64x(0x8040_2010_0804_0201u64 as i64);
    let set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
    _mm256_or_si256(w, _mm256_and_si256(set, _mm256_set1_epi8(0x10)))
}

/// The sum of 8 lanes.
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
unsafe fn sum(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
}

/// Tokens `t0..t0+NT` against `rows`, 4 rows at a time, one block of 32 after another (with
/// `SUB16`, a scale for each half of it).
// Index loops keep the register tile explicit.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
pub(super) unsafe fn tile<
    const NT: usize,
    const NIBBLES: bool,
    const HIGH: bool,
    const MIN: bool,
    const SUB16: bool,
>(
    p: &Packed,
    a: &Acts,
    t0: usize,
    rows: std::ops::Range<usize>,
    out: &mut impl FnMut(usize, usize, f32),
) {
    let (k, nb) = (p.k, p.k / QK);
    let nb2 = nb / 2;
    let ones = _mm256_set1_epi16(1);
    // Offsets are 8, 16 or 128; 128 wraps to -128, which subtracts the same modulo 256.
    let offset = _mm256_set1_epi8(p.offset as u8 as i8);
    for o in rows.step_by(4) {
        p.prefetch_rows(o + super::PREFETCH_ROWS_AHEAD);
        let mut acc = [[_mm256_setzero_ps(); NT]; 4];
        for b in 0..nb {
            let (b2, half) = (b / 2, b % 2);
            let mut w = [_mm256_setzero_si256(); 4];
            let mut w_abs = [_mm256_setzero_si256(); 4];
            let mut dw = [_mm256_setzero_ps(); 4];
            let mut mw = [_mm256_setzero_ps(); 4];
            for r in 0..4 {
                // SAFETY: o + r < rows and block b lies inside the row.
                unsafe {
                    w[r] = weights::<NIBBLES, HIGH>(p, o + r, b2, half);
                    if !MIN {
                        // The signed values.
                        w[r] = _mm256_sub_epi8(w[r], offset);
                        w_abs[r] = _mm256_abs_epi8(w[r]);
                    }
                    dw[r] = if SUB16 {
                        // Lanes 0–3 sum weights 0–15 of the block, lanes 4–7 the rest.
                        let at = (o + r) * 2 * nb + 2 * b;
                        _mm256_set_m128(
                            _mm_set1_ps(scale(&p.d, at + 1)),
                            _mm_set1_ps(scale(&p.d, at)),
                        )
                    } else {
                        _mm256_set1_ps(scale(&p.d, (o + r) * nb + b))
                    };
                    if let Some(m) = &p.m {
                        mw[r] = _mm256_set1_ps(scale(m, (o + r) * nb + b));
                    }
                }
            }
            for tt in 0..NT {
                let ti = t0 + tt;
                let lanes = (ti * nb2 + b2) * 16 + half * 8;
                // SAFETY: ti < a.t and the activation buffers hold a.t × k values.
                let (av, dv, sv) = unsafe {
                    (
                        _mm256_loadu_si256(a.q.as_ptr().add(ti * k + b * QK) as *const _),
                        _mm256_loadu_ps(a.da.as_ptr().add(lanes)),
                        _mm256_loadu_ps(a.s.as_ptr().add(lanes)),
                    )
                };
                for r in 0..4 {
                    let pairs = if MIN {
                        _mm256_maddubs_epi16(w[r], av)
                    } else {
                        _mm256_maddubs_epi16(w_abs[r], _mm256_sign_epi8(av, w[r]))
                    };
                    let dot = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones));
                    // d·da·Σ w·a (+ m·da·Σa with a minimum) over the block's 8 lanes.
                    let scale = _mm256_mul_ps(dw[r], dv);
                    acc[r][tt] = _mm256_fmadd_ps(scale, dot, acc[r][tt]);
                    if MIN {
                        acc[r][tt] = _mm256_fmadd_ps(mw[r], sv, acc[r][tt]);
                    }
                }
            }
        }
        for tt in 0..NT {
            for r in 0..4 {
                // SAFETY: the CPU has AVX2 (the contract).
                out(t0 + tt, o + r, unsafe { sum(acc[r][tt]) });
            }
        }
    }
}
