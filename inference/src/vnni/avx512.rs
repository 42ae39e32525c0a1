//! The kernel on AVX-512 VNNI: `vpdpbusd` multiplies unsigned weight bytes with signed
//! activation bytes, two blocks of 32 per instruction, in a register tile of 4 rows × up to 4
//! tokens; offsets are taken out through the activation block sums.

use super::{Acts, Packed, QK, Scales};
use std::arch::x86_64::*;

/// Q8_0-style quantisation of `t` rows of `k` values, 16 lanes at a time.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(super) unsafe fn quantise(x: &[f32], t: usize, k: usize) -> Acts {
    let mut a = Acts::zeroed(t, k);
    let abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFF_FFFF));
    for bi in 0..t * k / QK {
        // SAFETY: block bi covers x[bi*32..bi*32+32] and q[bi*32..bi*32+32], both in bounds.
        unsafe {
            let lo = _mm512_loadu_ps(x.as_ptr().add(bi * QK));
            let hi = _mm512_loadu_ps(x.as_ptr().add(bi * QK + 16));
            let amax = _mm512_reduce_max_ps(_mm512_max_ps(
                _mm512_and_ps(lo, abs_mask),
                _mm512_and_ps(hi, abs_mask),
            ));
            let d = amax / 127.0;
            let id = _mm512_set1_ps(if d > 0.0 { 1.0 / d } else { 0.0 });
            // Round to nearest even, as lrintf does; |x·id| ≤ 127 so no clamping is needed.
            let qlo = _mm512_cvtps_epi32(_mm512_mul_ps(lo, id));
            let qhi = _mm512_cvtps_epi32(_mm512_mul_ps(hi, id));
            let sum = _mm512_reduce_add_epi32(_mm512_add_epi32(qlo, qhi));
            _mm_storeu_si128(
                a.q.as_mut_ptr().add(bi * QK) as *mut _,
                _mm512_cvtsepi32_epi8(qlo),
            );
            _mm_storeu_si128(
                a.q.as_mut_ptr().add(bi * QK + 16) as *mut _,
                _mm512_cvtsepi32_epi8(qhi),
            );
            a.set_block(bi, d, sum);
        }
    }
    a
}

/// Two fp16 values at `p` as a 16-lane vector: the first in lanes 0–7, the second in 8–15.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
unsafe fn pair_of_f16(p: *const u16) -> __m512 {
    let halves = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    // SAFETY: the caller points at two readable u16.
    let bits = unsafe { (p as *const u32).read_unaligned() };
    let two = _mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32));
    _mm512_permutexvar_ps(halves, _mm512_castps128_ps512(two))
}

/// Two f32 values at `p` as a 16-lane vector: the first in lanes 0–7, the second in 8–15.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
unsafe fn pair_of_f32(p: *const f32) -> __m512 {
    let halves = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    // SAFETY: the caller points at two readable f32.
    let two = unsafe { _mm_castpd_ps(_mm_load_sd(p as *const f64)) };
    _mm512_permutexvar_ps(halves, _mm512_castps128_ps512(two))
}

/// The lane sums of four vectors, reduced together but each in the order of
/// `_mm512_reduce_add_ps` (so results do not move: a shifted rounding, amplified by the 8-bit
/// activations, moves logits by up to ~1). A row tile is short: with `k` = 640 four separate
/// reductions were a sixth of the tile's work at one token.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
pub(super) fn sum_4(a: __m512, b: __m512, c: __m512, d: __m512) -> [f32; 4] {
    // s_i = l_i + l_(i+8), as the reference does first.
    let half = |v: __m512| {
        _mm256_add_ps(
            _mm512_castps512_ps256(v),
            _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v))),
        )
    };
    let (a, b, c, d) = (half(a), half(b), half(c), half(d));
    // t_j = s_j + s_(j+4), two vectors per register: [t(a) | t(b)], [t(c) | t(d)].
    let ab = _mm256_add_ps(
        _mm256_permute2f128_ps::<0x20>(a, b),
        _mm256_permute2f128_ps::<0x31>(a, b),
    );
    let cd = _mm256_add_ps(
        _mm256_permute2f128_ps::<0x20>(c, d),
        _mm256_permute2f128_ps::<0x31>(c, d),
    );
    // u0 = t0 + t2, u1 = t1 + t3: [u(a), u(c) | u(b), u(d)].
    let u = _mm256_add_ps(
        _mm256_shuffle_ps::<0b01_00_01_00>(ab, cd),
        _mm256_shuffle_ps::<0b11_10_11_10>(ab, cd),
    );
    // u0 + u1: lanes [a, c, a, c | b, d, b, d].
    let mut sums = [0f32; 8];
    // SAFETY: `sums` holds eight f32.
    unsafe { _mm256_storeu_ps(sums.as_mut_ptr(), _mm256_hadd_ps(u, u)) };
    [sums[0], sums[4], sums[1], sums[5]]
}

/// Four f32 values at `p` as a 16-lane vector, each in 4 lanes (the 16-weight sub-blocks of a
/// pair of blocks).
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
unsafe fn quad_of_f32(p: *const f32) -> __m512 {
    let quarters = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    // SAFETY: the caller points at four readable f32.
    let four = unsafe { _mm_loadu_ps(p) };
    _mm512_permutexvar_ps(quarters, _mm512_castps128_ps512(four))
}

/// Tokens `t0..t0+NT` against `rows`, 4 rows at a time; weights as bytes or nibbles (with
/// `HIGH`, plus their fifth bits), with an offset or a minimum. With `SUB16` (offset bytes
/// with a scale per 16 weights) every lane has its own scale, so the offset is taken out of
/// each lane in integers, with the lane's activation sum.
// Index loops keep the register tile explicit.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
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
    let row_bytes = if NIBBLES { k / 2 } else { k };
    let zero = _mm512_setzero_si512();
    let low4 = _mm256_set1_epi8(0x0F);
    let fifth = _mm512_set1_epi8(0x10);
    let offset = _mm512_set1_ps(p.offset as f32);
    let offset_i = _mm512_set1_epi32(p.offset);
    let ones = _mm512_set1_epi8(1);
    // Scales are fp16 or f32 (`Scales::for_layout`).
    let pair = |s: &Scales, at: usize| -> __m512 {
        // SAFETY: `at + 1` is a block of this matrix, so both values are in bounds.
        unsafe {
            match s {
                Scales::Half(v) => pair_of_f16(v.as_ptr().add(at)),
                Scales::Single(v) => pair_of_f32(v.as_ptr().add(at)),
            }
        }
    };
    for o in rows.step_by(4) {
        p.prefetch_rows(o + super::PREFETCH_ROWS_AHEAD);
        let mut acc = [[_mm512_setzero_ps(); NT]; 4];
        for b2 in 0..nb2 {
            let mut w = [zero; 4];
            let mut dw = [_mm512_setzero_ps(); 4];
            let mut mw = [_mm512_setzero_ps(); 4];
            for r in 0..4 {
                // SAFETY: o + r < rows and pair b2 lies inside the row, so every read is in
                // bounds.
                unsafe {
                    let at = p.w.as_ptr().add((o + r) * row_bytes);
                    w[r] = if NIBBLES {
                        let v = _mm256_loadu_si256(at.add(b2 * QK) as *const _);
                        let lo = _mm256_and_si256(v, low4);
                        let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(v), low4);
                        let w4 = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo), hi);
                        if HIGH {
                            // Byte i of the pair gains 16 where bit i of its word is set.
                            let bits = *p.high.as_ptr().add((o + r) * nb2 + b2);
                            _mm512_mask_add_epi8(w4, _cvtu64_mask64(bits), w4, fifth)
                        } else {
                            w4
                        }
                    } else {
                        _mm512_loadu_si512(at.add(b2 * 2 * QK) as *const _)
                    };
                    if SUB16 {
                        let Scales::Single(d) = &p.d else {
                            unreachable!("scales per 16 are f32")
                        };
                        dw[r] = quad_of_f32(d.as_ptr().add((o + r) * 2 * nb + 4 * b2));
                    } else {
                        let at = (o + r) * nb + 2 * b2;
                        dw[r] = pair(&p.d, at);
                        if let Some(m) = &p.m {
                            mw[r] = pair(m, at);
                        }
                    }
                }
            }
            for tt in 0..NT {
                let ti = t0 + tt;
                // SAFETY: ti < a.t and the activation buffers hold a.t × k values.
                let (av, dv, sv) = unsafe {
                    (
                        _mm512_loadu_si512(a.q.as_ptr().add(ti * k + b2 * 2 * QK) as *const _),
                        _mm512_loadu_ps(a.da.as_ptr().add((ti * nb2 + b2) * 16)),
                        _mm512_loadu_ps(a.s.as_ptr().add((ti * nb2 + b2) * 16)),
                    )
                };
                let cv = _mm512_mul_ps(sv, offset);
                // offset · Σa over each lane's 4 activations.
                let lane_offset = if SUB16 {
                    _mm512_mullo_epi32(_mm512_dpbusd_epi32(zero, ones, av), offset_i)
                } else {
                    zero
                };
                for r in 0..4 {
                    let dot = _mm512_dpbusd_epi32(zero, w[r], av);
                    if SUB16 {
                        // d·da·(Σ q·a − offset·Σa), the difference exact per lane.
                        let exact = _mm512_cvtepi32_ps(_mm512_sub_epi32(dot, lane_offset));
                        acc[r][tt] = _mm512_fmadd_ps(dw[r], _mm512_mul_ps(dv, exact), acc[r][tt]);
                        continue;
                    }
                    let dot = _mm512_cvtepi32_ps(dot);
                    if MIN {
                        // d·da·Σ q·a + m·da·Σa over a block's 8 lanes.
                        let part = _mm512_mul_ps(dv, dot);
                        acc[r][tt] = _mm512_fmadd_ps(dw[r], part, acc[r][tt]);
                        acc[r][tt] = _mm512_fmadd_ps(mw[r], sv, acc[r][tt]);
                    } else {
                        // Per lane da·dot − offset·s; over a block's 8 lanes:
                        // da·(Σ q·a − offset·Σa).
                        let part = _mm512_fmsub_ps(dv, dot, cv);
                        acc[r][tt] = _mm512_fmadd_ps(dw[r], part, acc[r][tt]);
                    }
                }
            }
        }
        for tt in 0..NT {
            let sums = sum_4(acc[0][tt], acc[1][tt], acc[2][tt], acc[3][tt]);
            for (r, v) in sums.into_iter().enumerate() {
                out(t0 + tt, o + r, v);
            }
        }
    }
}
