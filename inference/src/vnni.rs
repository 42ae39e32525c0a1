//! Our int8 matrix kernel for x86-64 CPUs, shared by the embedder (Q4_0 weights) and the
//! generator (the legacy GGML block types). It runs on AVX-512 VNNI, or on AVX2 where a CPU
//! lacks that (the same layouts and activations; half the lanes, two instructions per product).
//!
//! Weights are laid out once at load as unsigned values `q + offset` (Q4_0: nibbles, offset 8;
//! Q5_0: nibbles and a plane of fifth bits, offset 16; Q8_0: signed bytes, offset 128; Q4_1 and
//! Q5_1 with their per-block minimum instead), with the file's scale per block of 32 — the
//! file's values, not re-quantised. Activations are quantised to int8 per block of 32 as Q8_0
//! does (round to nearest even, like the reference engines). On AVX-512, `vpdpbusd` multiplies
//! unsigned weight bytes with signed activation bytes, two blocks per instruction, in a register
//! tile of 4 rows × up to 4 tokens; the offset is taken out through the activation block sums.
//! The AVX2 variant (`mod avx2`) takes it out in integers instead.

use candle_core::quantized::GgmlDType;

pub(crate) const QK: usize = 32;

/// Whether this CPU has AVX-512 VNNI (the kernel's fast variant, and the embedder's other
/// AVX-512 code).
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether this CPU has the AVX2 variant's instructions (AVX2, FMA, F16C).
fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && std::is_x86_feature_detected!("f16c")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether this CPU runs [`product`] on either variant: AVX-512 VNNI, or AVX2 where it lacks
/// that (`vpmaddubsw` then `vpmaddwd`, 8 lanes instead of 16).
pub(crate) fn runs() -> bool {
    available() || avx2_available()
}

/// Whether a `rows × k` matrix fits the kernel's tiles.
pub(crate) fn fits(rows: usize, k: usize) -> bool {
    k.is_multiple_of(2 * QK) && rows.is_multiple_of(4)
}

/// How the weights' unsigned values are stored.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Layout {
    /// One byte per weight (`k` bytes per row).
    Bytes,
    /// Two per byte (`k / 2` bytes per row): in each 64-weight pair of blocks, byte `i` holds
    /// weight `i` in its low and weight `32 + i` in its high nibble.
    Nibbles,
    /// 5-bit weights: their low four bits as [`Layout::Nibbles`], and per pair of blocks a
    /// 64-bit word whose bit `i` is the fifth bit of weight `i` (`k / 2 + k / 8` bytes per row,
    /// as in the file).
    NibblesHigh,
}

/// Per-block scales or minima: the file's fp16 bits with 4-bit weights, where bytes read set
/// the decoding speed; widened to f32 at load with byte weights (two instructions fewer per row
/// and pair of blocks, for 6 % more bytes).
enum Scales {
    Half(Vec<u16>),
    Single(Vec<f32>),
}

impl Scales {
    fn new(bits: Vec<u16>, layout: Layout) -> Scales {
        match layout {
            Layout::Nibbles | Layout::NibblesHigh => Scales::Half(bits),
            Layout::Bytes => Scales::Single(
                bits.iter()
                    .map(|&b| half::f16::from_bits(b).to_f32())
                    .collect(),
            ),
        }
    }

    fn get(&self, i: usize) -> f32 {
        match self {
            Scales::Half(v) => half::f16::from_bits(v[i]).to_f32(),
            Scales::Single(v) => v[i],
        }
    }
}

/// Weights laid out for the kernel: unsigned values `q` per row, and per block of 32 the file's
/// scale `d` and, for types with a minimum, its `m`. A weight is `d · (q − offset)`, or
/// `d · q + m`.
pub(crate) struct Packed {
    pub rows: usize,
    pub k: usize,
    layout: Layout,
    w: Vec<u8>,
    /// The fifth bits with [`Layout::NibblesHigh`] (one word per row and pair), else empty.
    high: Vec<u64>,
    d: Scales,
    m: Option<Scales>,
    /// What was added to each signed weight to make it unsigned (0 with a minimum).
    pub offset: i32,
}

/// The 4-byte-aligned fp16 scale at `block[at..at + 2]`, as bits.
fn f16_at(block: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([block[at], block[at + 1]])
}

/// The 32 values of a GGML 4/5-bit block from its 16 bytes of nibbles and, for 5 bits, the
/// 32 high bits: value `j` is the low nibble of byte `j`, value `j + 16` the high one.
fn unpack_32(qs: &[u8], high_bits: Option<u32>) -> [u8; QK] {
    let mut q = [0u8; QK];
    for j in 0..QK / 2 {
        q[j] = qs[j] & 0x0F;
        q[j + QK / 2] = qs[j] >> 4;
    }
    if let Some(h) = high_bits {
        for (j, v) in q.iter_mut().enumerate() {
            *v |= (((h >> j) & 1) as u8) << 4;
        }
    }
    q
}

impl Packed {
    /// From the raw GGML blocks of `dtype` (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0): the same values.
    /// `nibbles` keeps 4- and 5-bit types at their size (half the memory to read or less, a few
    /// more instructions to unpack); otherwise every value takes a byte.
    pub fn from_ggml(dtype: GgmlDType, raw: &[u8], rows: usize, k: usize, nibbles: bool) -> Packed {
        let (block, offset, has_min) = match dtype {
            GgmlDType::Q4_0 => (18, 8, false),
            GgmlDType::Q4_1 => (20, 0, true),
            GgmlDType::Q5_0 => (22, 16, false),
            GgmlDType::Q5_1 => (24, 0, true),
            GgmlDType::Q8_0 => (34, 128, false),
            other => panic!("{other:?} has no VNNI layout"),
        };
        let layout = match dtype {
            _ if !nibbles => Layout::Bytes,
            GgmlDType::Q4_0 | GgmlDType::Q4_1 => Layout::Nibbles,
            GgmlDType::Q5_0 | GgmlDType::Q5_1 => Layout::NibblesHigh,
            _ => Layout::Bytes,
        };
        let nb = rows * k / QK;
        let mut values = vec![0u8; rows * k];
        let mut d = Vec::with_capacity(nb);
        let mut m = Vec::with_capacity(if has_min { nb } else { 0 });
        for (i, b) in raw.chunks_exact(block).take(nb).enumerate() {
            d.push(f16_at(b, 0));
            if has_min {
                m.push(f16_at(b, 2));
            }
            let out = &mut values[i * QK..(i + 1) * QK];
            match dtype {
                GgmlDType::Q8_0 => {
                    for (o, &q) in out.iter_mut().zip(&b[2..]) {
                        *o = (q as i8 as i32 + 128) as u8;
                    }
                }
                GgmlDType::Q4_0 => out.copy_from_slice(&unpack_32(&b[2..], None)),
                GgmlDType::Q4_1 => out.copy_from_slice(&unpack_32(&b[4..], None)),
                GgmlDType::Q5_0 => {
                    let h = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
                    out.copy_from_slice(&unpack_32(&b[6..], Some(h)));
                }
                _ => {
                    let h = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
                    out.copy_from_slice(&unpack_32(&b[8..], Some(h)));
                }
            }
        }
        let high = match layout {
            Layout::NibblesHigh => values
                .chunks_exact(2 * QK)
                .map(|pair| {
                    (pair.iter().enumerate()).fold(0u64, |h, (i, &q)| h | (u64::from(q >> 4) << i))
                })
                .collect(),
            _ => Vec::new(),
        };
        let w = match layout {
            Layout::Bytes => values,
            Layout::Nibbles | Layout::NibblesHigh => values
                .chunks_exact(2 * QK)
                .flat_map(|pair| (0..QK).map(move |i| (pair[i] & 0x0F) | (pair[QK + i] << 4)))
                .collect(),
        };
        Packed {
            rows,
            k,
            layout,
            w,
            high,
            d: Scales::new(d, layout),
            m: has_min.then(|| Scales::new(m, layout)),
            offset,
        }
    }

    /// Unsigned value of weight `j` of row `r`.
    fn q(&self, r: usize, j: usize) -> u8 {
        match self.layout {
            Layout::Bytes => self.w[r * self.k + j],
            Layout::Nibbles | Layout::NibblesHigh => {
                let (pair, i) = (j / (2 * QK), j % (2 * QK));
                let byte = self.w[r * self.k / 2 + pair * QK + i % QK];
                let low = if i < QK { byte & 0x0F } else { byte >> 4 };
                match self.high.get(r * self.k / (2 * QK) + pair) {
                    Some(h) => low | (((h >> i) & 1) as u8) << 4,
                    None => low,
                }
            }
        }
    }

    /// Row `r` as f32.
    pub fn row(&self, r: usize, out: &mut [f32]) {
        let nb = self.k / QK;
        for (j, v) in out.iter_mut().enumerate().take(self.k) {
            let b = r * nb + j / QK;
            let d = self.d.get(b);
            let q = self.q(r, j) as i32;
            *v = match &self.m {
                Some(m) => d * q as f32 + m.get(b),
                None => d * (q - self.offset) as f32,
            };
        }
    }
}

/// Quantised activations of `t` tokens: int8 values, and per pair of blocks 16-lane vectors of
/// the scales (`da`) and of scale × block sum / 8 (`s`: summed over a block's 8 lanes it is the
/// block's dequantised sum, which takes out a weight offset or adds a weight minimum), halves
/// for the first and second block. The same for every weight layout.
pub(crate) struct Acts {
    pub t: usize,
    q: Vec<i8>,
    da: Vec<f32>,
    s: Vec<f32>,
}

/// Quantises `t` rows of `k` values.
pub(crate) fn quantise(x: &[f32], t: usize, k: usize) -> Acts {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: the CPU features were just checked.
        return unsafe { avx512::quantise(x, t, k) };
    }
    #[cfg(target_arch = "x86_64")]
    if avx2_available() {
        // SAFETY: the CPU features were just checked.
        return unsafe { avx2::quantise(x, t, k) };
    }
    quantise_scalar(x, t, k)
}

/// Scalar twin of the vectorised quantisation (other CPUs, and the tests' reference).
fn quantise_scalar(x: &[f32], t: usize, k: usize) -> Acts {
    let nb2 = k / (2 * QK);
    let mut a = Acts {
        t,
        q: vec![0; t * k],
        da: vec![0.0; t * nb2 * 16],
        s: vec![0.0; t * nb2 * 16],
    };
    for (bi, (xb, qb)) in x.chunks_exact(QK).zip(a.q.chunks_exact_mut(QK)).enumerate() {
        let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let id = if d > 0.0 { 1.0 / d } else { 0.0 };
        let mut sum = 0i32;
        for (q, &v) in qb.iter_mut().zip(xb) {
            let r = (v * id).round_ties_even().clamp(-128.0, 127.0) as i32;
            *q = r as i8;
            sum += r;
        }
        // Block bi is half (bi % 2) of pair bi / 2; each of its 8 lanes carries the scale.
        let lanes = (bi / 2) * 16 + (bi % 2) * 8;
        a.da[lanes..lanes + 8].fill(d);
        a.s[lanes..lanes + 8].fill(d * sum as f32 / 8.0);
    }
    a
}

/// `out(t, r, x_t · w_r)` for tokens `tokens` and rows `rows` (starting at a multiple of 4), on
/// the fastest variant this CPU has.
///
/// # Safety
/// The CPU runs the kernel ([`runs`]) and `p` fits it ([`fits`]).
#[cfg(target_arch = "x86_64")]
pub(crate) unsafe fn product(
    p: &Packed,
    a: &Acts,
    tokens: std::ops::Range<usize>,
    rows: std::ops::Range<usize>,
    out: &mut impl FnMut(usize, usize, f32),
) {
    // SAFETY: per the contract.
    unsafe { product_on(available(), p, a, tokens, rows, out) }
}

/// [`product`] on AVX-512 VNNI (`avx512`) or on AVX2.
///
/// # Safety
/// The CPU has the variant's instructions ([`available`], or AVX2, FMA and F16C) and `p` fits
/// the kernel ([`fits`]).
#[cfg(target_arch = "x86_64")]
unsafe fn product_on(
    avx512: bool,
    p: &Packed,
    a: &Acts,
    tokens: std::ops::Range<usize>,
    rows: std::ops::Range<usize>,
    out: &mut impl FnMut(usize, usize, f32),
) {
    // The bounds the tile's reads rely on.
    assert!(tokens.end <= a.t && a.q.len() == a.t * p.k && rows.end <= p.rows);
    assert!(rows.start.is_multiple_of(4) && rows.len().is_multiple_of(4));
    if !avx512 {
        // SAFETY: per the contract and the checks above.
        unsafe { avx2::product(p, a, tokens, rows, out) };
        return;
    }
    // SAFETY (all calls): per the contract and the checks above.
    match (p.layout, p.m.is_some()) {
        (Layout::Bytes, false) => unsafe { tiles::<false, false, false>(p, a, tokens, rows, out) },
        (Layout::Bytes, true) => unsafe { tiles::<false, false, true>(p, a, tokens, rows, out) },
        (Layout::Nibbles, false) => unsafe { tiles::<true, false, false>(p, a, tokens, rows, out) },
        (Layout::Nibbles, true) => unsafe { tiles::<true, false, true>(p, a, tokens, rows, out) },
        (Layout::NibblesHigh, false) => unsafe {
            tiles::<true, true, false>(p, a, tokens, rows, out)
        },
        (Layout::NibblesHigh, true) => unsafe {
            tiles::<true, true, true>(p, a, tokens, rows, out)
        },
    }
}

/// # Safety
/// As [`product`].
#[cfg(target_arch = "x86_64")]
unsafe fn tiles<const NIBBLES: bool, const HIGH: bool, const MIN: bool>(
    p: &Packed,
    a: &Acts,
    tokens: std::ops::Range<usize>,
    rows: std::ops::Range<usize>,
    out: &mut impl FnMut(usize, usize, f32),
) {
    let mut t0 = tokens.start;
    while t0 + 4 <= tokens.end {
        // SAFETY: per the contract.
        unsafe { avx512::tile::<4, NIBBLES, HIGH, MIN>(p, a, t0, rows.clone(), out) };
        t0 += 4;
    }
    while t0 < tokens.end {
        // SAFETY: per the contract.
        unsafe { avx512::tile::<1, NIBBLES, HIGH, MIN>(p, a, t0, rows.clone(), out) };
        t0 += 1;
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Acts, Packed, QK};
    use std::arch::x86_64::*;

    /// Q8_0-style quantisation of `t` rows of `k` values, 16 lanes at a time.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn quantise(x: &[f32], t: usize, k: usize) -> Acts {
        let nb2 = k / (2 * QK);
        let mut a = Acts {
            t,
            q: vec![0; t * k],
            da: vec![0.0; t * nb2 * 16],
            s: vec![0.0; t * nb2 * 16],
        };
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
                let lanes = (bi / 2) * 16 + (bi % 2) * 8;
                a.da[lanes..lanes + 8].fill(d);
                a.s[lanes..lanes + 8].fill(d * sum as f32 / 8.0);
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

    /// Tokens `t0..t0+NT` against `rows`, 4 rows at a time; weights as bytes or nibbles (with
    /// `HIGH`, plus their fifth bits), with an offset or a minimum.
    // Index loops keep the register tile explicit.
    #[allow(clippy::needless_range_loop)]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    pub(super) unsafe fn tile<
        const NT: usize,
        const NIBBLES: bool,
        const HIGH: bool,
        const MIN: bool,
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
        // Nibbles come with fp16 scales, bytes with f32 ones (`Scales::new`).
        let pair = |s: &super::Scales, at: usize| -> __m512 {
            // SAFETY: `at + 1` is a block of this matrix, so both values are in bounds.
            unsafe {
                match s {
                    super::Scales::Half(v) => pair_of_f16(v.as_ptr().add(at)),
                    super::Scales::Single(v) => pair_of_f32(v.as_ptr().add(at)),
                }
            }
        };
        for o in rows.step_by(4) {
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
                        let at = (o + r) * nb + 2 * b2;
                        dw[r] = pair(&p.d, at);
                        if let Some(m) = &p.m {
                            mw[r] = pair(m, at);
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
                    for r in 0..4 {
                        let dot = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, w[r], av));
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
                for r in 0..4 {
                    out(t0 + tt, o + r, _mm512_reduce_add_ps(acc[r][tt]));
                }
            }
        }
    }
}

/// The kernel on AVX2 (CPUs without AVX-512 VNNI): per block of 32, `vpmaddubsw` multiplies
/// unsigned bytes with signed ones into 16-bit pair sums and `vpmaddwd` widens them, in a
/// register tile of 4 rows × up to 2 tokens of 8-lane sums. Types with an offset take it out in
/// integers (the signed weight `q − offset` as |w| times the activation with w's sign, at most
/// 2 · 128 · 127 per pair, so nothing saturates): the block's sum is exact before its one
/// scaling, as in llama.cpp, rather than a difference of two scaled sums.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Acts, Layout, Packed, QK, Scales};
    use std::arch::x86_64::*;

    /// # Safety
    /// As `super::product_on` without AVX-512.
    pub(super) unsafe fn product(
        p: &Packed,
        a: &Acts,
        tokens: std::ops::Range<usize>,
        rows: std::ops::Range<usize>,
        out: &mut impl FnMut(usize, usize, f32),
    ) {
        // SAFETY (all calls): per the contract.
        match (p.layout, p.m.is_some()) {
            (Layout::Bytes, false) => unsafe {
                tiles::<false, false, false>(p, a, tokens, rows, out)
            },
            (Layout::Bytes, true) => unsafe {
                tiles::<false, false, true>(p, a, tokens, rows, out)
            },
            (Layout::Nibbles, false) => unsafe {
                tiles::<true, false, false>(p, a, tokens, rows, out)
            },
            (Layout::Nibbles, true) => unsafe {
                tiles::<true, false, true>(p, a, tokens, rows, out)
            },
            (Layout::NibblesHigh, false) => unsafe {
                tiles::<true, true, false>(p, a, tokens, rows, out)
            },
            (Layout::NibblesHigh, true) => unsafe {
                tiles::<true, true, true>(p, a, tokens, rows, out)
            },
        }
    }

    /// # Safety
    /// As [`product`].
    unsafe fn tiles<const NIBBLES: bool, const HIGH: bool, const MIN: bool>(
        p: &Packed,
        a: &Acts,
        tokens: std::ops::Range<usize>,
        rows: std::ops::Range<usize>,
        out: &mut impl FnMut(usize, usize, f32),
    ) {
        let mut t0 = tokens.start;
        while t0 + 2 <= tokens.end {
            // SAFETY: per the contract.
            unsafe { tile::<2, NIBBLES, HIGH, MIN>(p, a, t0, rows.clone(), out) };
            t0 += 2;
        }
        if t0 < tokens.end {
            // SAFETY: per the contract.
            unsafe { tile::<1, NIBBLES, HIGH, MIN>(p, a, t0, rows.clone(), out) };
        }
    }

    /// Q8_0-style quantisation of `t` rows of `k` values, 8 lanes at a time; the same numbers
    /// as `quantise_scalar` (the same f32 products, rounded to nearest even).
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn quantise(x: &[f32], t: usize, k: usize) -> Acts {
        let nb2 = k / (2 * QK);
        let mut a = Acts {
            t,
            q: vec![0; t * k],
            da: vec![0.0; t * nb2 * 16],
            s: vec![0.0; t * nb2 * 16],
        };
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
                let sum =
                    _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
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
                let lanes = (bi / 2) * 16 + (bi % 2) * 8;
                a.da[lanes..lanes + 8].fill(d);
                a.s[lanes..lanes + 8].fill(d * sum as f32 / 8.0);
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
                0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3,
                3, 3, 3, 3,
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

    /// Tokens `t0..t0+NT` against `rows`, 4 rows at a time, one block of 32 after another.
    // Index loops keep the register tile explicit.
    #[allow(clippy::needless_range_loop)]
    #[target_feature(enable = "avx2,fma,f16c")]
    #[inline]
    unsafe fn tile<const NT: usize, const NIBBLES: bool, const HIGH: bool, const MIN: bool>(
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
                        dw[r] = _mm256_set1_ps(scale(&p.d, (o + r) * nb + b));
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::QTensor;
    use candle_core::{Device, Tensor};

    /// Every layout against candle's own dequantisation (the values) and against the scalar
    /// product of those values with the quantised activations (the kernel).
    #[test]
    fn every_layout_keeps_the_values_and_multiplies_them() {
        let (rows, k, t) = (8, 256, 7);
        let w: Vec<f32> = (0..rows * k)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.1 + 0.02)
            .collect();
        let x: Vec<f32> = (0..t * k)
            .map(|i| (i * 104_729 % 997) as f32 / 498.0 - 1.0)
            .collect();
        let wt = Tensor::from_vec(w, (rows, k), &Device::Cpu).unwrap();
        let a = quantise(&x, t, k);
        let s = quantise_scalar(&x, t, k);
        assert_eq!(
            (&a.q, &a.da, &a.s),
            (&s.q, &s.da, &s.s),
            "vectorised quantisation"
        );
        #[cfg(target_arch = "x86_64")]
        if avx2_available() {
            // SAFETY: the CPU features were just checked.
            let v = unsafe { avx2::quantise(&x, t, k) };
            assert_eq!(
                (&v.q, &v.da, &v.s),
                (&s.q, &s.da, &s.s),
                "AVX2 quantisation"
            );
        }
        for dtype in [
            GgmlDType::Q4_0,
            GgmlDType::Q4_1,
            GgmlDType::Q5_0,
            GgmlDType::Q5_1,
            GgmlDType::Q8_0,
        ] {
            let q = QTensor::quantize(&wt, dtype).unwrap();
            let want = q
                .dequantize(&Device::Cpu)
                .unwrap()
                .to_vec2::<f32>()
                .unwrap();
            for nibbles in [false, true] {
                let p = Packed::from_ggml(dtype, &q.data().unwrap(), rows, k, nibbles);
                let what = format!("{dtype:?} {:?}", p.layout);
                let mut row = vec![0f32; k];
                for (r, want_row) in want.iter().enumerate() {
                    p.row(r, &mut row);
                    assert_eq!(&row, want_row, "{what}: values of row {r}");
                }
                // Each variant this CPU has.
                for avx512 in [true, false] {
                    if !(if avx512 {
                        available()
                    } else {
                        avx2_available()
                    }) {
                        continue;
                    }
                    let what = format!("{what} avx512 {avx512}");
                    let mut got = vec![f32::NAN; t * rows];
                    // Rows 4..8, then 0..4: a row range is honoured.
                    for range in [4..8, 0..4] {
                        #[cfg(target_arch = "x86_64")]
                        // SAFETY: checked above, and the shape fits.
                        unsafe {
                            product_on(avx512, &p, &a, 0..t, range, &mut |ti, r, v| {
                                got[ti * rows + r] = v
                            })
                        };
                    }
                    for ti in 0..t {
                        for (r, wr) in want.iter().enumerate() {
                            let mut exact = 0f64;
                            for (b, wb) in wr.chunks_exact(QK).enumerate() {
                                let da =
                                    a.da[(ti * k / (2 * QK) + b / 2) * 16 + (b % 2) * 8] as f64;
                                let qa = &a.q[ti * k + b * QK..ti * k + (b + 1) * QK];
                                let dot: f64 =
                                    wb.iter().zip(qa).map(|(w, q)| *w as f64 * *q as f64).sum();
                                exact += da * dot;
                            }
                            let g = got[ti * rows + r] as f64;
                            assert!(
                                (g - exact).abs() < 1e-4 * (1.0 + exact.abs()),
                                "{what} t{ti} r{r}: {g} vs {exact}"
                            );
                        }
                    }
                }
            }
        }
    }
}
