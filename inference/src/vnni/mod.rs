//! Our int8 matrix kernel for x86-64 CPUs, shared by the embedder (Q4_0 weights) and the
//! generator (the legacy GGML block types and Q4_K, Q5_K, Q6_K). It runs on AVX-512 VNNI, or on
//! AVX2 where a CPU lacks that (the same layouts and activations; half the lanes, two
//! instructions per product).
//!
//! Weights are laid out once at load (`unpack`) as unsigned values `q + offset` (Q4_0: nibbles,
//! offset 8; Q5_0: nibbles and a plane of fifth bits, offset 16; Q6_K: bytes, offset 32; Q8_0:
//! signed bytes, offset 128; Q4_1, Q5_1, Q4_K and Q5_K with their per-block minimum instead),
//! with the file's scale per block of 32 (per 16 for Q6_K) — the file's values, not
//! re-quantised. Activations are quantised to int8 per block of 32 as Q8_0 does (round to
//! nearest even, like the reference engines). On AVX-512 (`avx512`), `vpdpbusd` multiplies
//! unsigned weight bytes with signed activation bytes, two blocks per instruction, in a register
//! tile of 4 rows × up to 4 tokens; the offset is taken out through the activation block sums.
//! The AVX2 variant (`avx2`) takes it out in integers instead.

use candle_core::quantized::GgmlDType;

mod aligned;
mod unpack;

use aligned::Aligned;

pub(crate) use unpack::takes;

pub(crate) const QK: usize = 32;

/// How far ahead of its tile the kernel asks for rows (two tiles): decoding gemma-3 measured
/// 55.2 tokens/s without, 59.8 at 8 rows, 58.6 at 16 and 58.4 (noisy) at 4 (weights into L1);
/// with them into L2, 8 and 16 rows measured the same.
#[cfg(target_arch = "x86_64")]
const PREFETCH_ROWS_AHEAD: usize = 8;

/// Whether this CPU has AVX-512 VNNI (the kernel's fast variant, and the embedder's other
/// AVX-512 code), unless `ATZINUMS_SIMD=avx2` asks for what an AVX2-only CPU runs (to test
/// and measure that on an AVX-512 machine).
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVX512: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVX512.get_or_init(|| {
            std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vnni")
                && std::env::var("ATZINUMS_SIMD").as_deref() != Ok("avx2")
        })
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

/// Per-block scales or minima. Legacy types keep the file's fp16 bits with 4/5-bit weights,
/// where bytes read set the decoding speed, and widen them to f32 at load with byte weights
/// (two instructions fewer per row and pair of blocks, for 6 % more bytes). K-quants' scales
/// are products of the file's numbers, exact only in f32.
enum Scales {
    Half(Vec<u16>),
    Single(Vec<f32>),
}

impl Scales {
    /// fp16 scales widened to f32 for byte weights; everything else as it is.
    fn for_layout(self, layout: Layout) -> Scales {
        match (self, layout) {
            (Scales::Half(bits), Layout::Bytes) => Scales::Single(
                bits.iter()
                    .map(|&b| half::f16::from_bits(b).to_f32())
                    .collect(),
            ),
            (s, _) => s,
        }
    }

    fn get(&self, i: usize) -> f32 {
        match self {
            Scales::Half(v) => half::f16::from_bits(v[i]).to_f32(),
            Scales::Single(v) => v[i],
        }
    }
}

/// Weights laid out for the kernel: unsigned values `q` per row, and per block of 32 (16 for
/// Q6_K) the file's scale `d` and, for types with a minimum, its `m`. A weight is
/// `d · (q − offset)`, or `d · q + m`.
pub(crate) struct Packed {
    pub rows: usize,
    pub k: usize,
    layout: Layout,
    w: Aligned<u8>,
    /// The fifth bits with [`Layout::NibblesHigh`] (one word per row and pair), else empty.
    high: Vec<u64>,
    d: Scales,
    m: Option<Scales>,
    /// What was added to each signed weight to make it unsigned (0 with a minimum).
    pub offset: i32,
    /// Weights per scale: 32, or 16 (four scales per pair of blocks).
    scale_block: usize,
}

impl Packed {
    /// From the raw GGML blocks of `dtype` (one of the types [`takes`]): the same values.
    /// `nibbles` keeps 4- and 5-bit types at their size (half the memory to read or less, a few
    /// more instructions to unpack); otherwise every value takes a byte.
    pub fn from_ggml(dtype: GgmlDType, raw: &[u8], rows: usize, k: usize, nibbles: bool) -> Packed {
        let u = unpack::unpack(dtype, raw, rows * k);
        let layout = match u.bits {
            _ if !nibbles => Layout::Bytes,
            4 => Layout::Nibbles,
            5 => Layout::NibblesHigh,
            _ => Layout::Bytes,
        };
        let values = u.values;
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
            Layout::Nibbles | Layout::NibblesHigh => {
                let mut w = Aligned::zeroed(values.len() / 2);
                for (pair, out) in values.chunks_exact(2 * QK).zip(w.chunks_exact_mut(QK)) {
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = (pair[i] & 0x0F) | (pair[QK + i] << 4);
                    }
                }
                w
            }
        };
        Packed {
            rows,
            k,
            layout,
            w,
            high,
            d: u.d.for_layout(layout),
            m: u.m.map(|m| m.for_layout(layout)),
            offset: u.offset,
            scale_block: u.scale_block,
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

    /// Asks the caches for rows `o..o + 4` ahead of the tile that reads them: the weights (and
    /// fifth bits) into L2, their scales into L1. A row's weights and its scales are separate
    /// streams, and at one token a tile waits on memory otherwise. Weights go to L2 because a
    /// tile's worth of L1 prefetches (40 lines for a gemma-3 row quad) stalls the loads behind
    /// them. On Zen 4, in paired runs, gemma-3 decoded at 58–62 tokens/s with them into L1 and
    /// at 73–90 into L2, SmolLM2 at 113–120 and 136–165; the AVX2 variant (forced there) at
    /// 40–46 and 63–65 for gemma-3. Prompts and the embedder measured the same either way.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn prefetch_rows(&self, o: usize) {
        use std::arch::x86_64::{_MM_HINT_T0, _MM_HINT_T1, _mm_prefetch};
        fn span<T, const HINT: i32>(v: &[T], rows: std::ops::Range<usize>, per_row: usize) {
            let bytes = per_row * std::mem::size_of::<T>();
            let base = v.as_ptr() as *const i8;
            for at in (rows.start * bytes..rows.end * bytes).step_by(64) {
                // A prefetch never faults; the address is inside `v` anyway.
                unsafe { _mm_prefetch::<HINT>(base.wrapping_add(at)) };
            }
        }
        if o + 4 > self.rows {
            return;
        }
        let rows = o..o + 4;
        span::<_, _MM_HINT_T1>(&self.w, rows.clone(), self.w.len() / self.rows);
        if !self.high.is_empty() {
            span::<_, _MM_HINT_T1>(&self.high, rows.clone(), self.high.len() / self.rows);
        }
        let per_row = self.k / self.scale_block;
        for s in std::iter::once(&self.d).chain(&self.m) {
            match s {
                Scales::Half(v) => span::<_, _MM_HINT_T0>(v, rows.clone(), per_row),
                Scales::Single(v) => span::<_, _MM_HINT_T0>(v, rows.clone(), per_row),
            }
        }
    }

    /// Row `r` as f32.
    pub fn row(&self, r: usize, out: &mut [f32]) {
        let per_row = self.k / self.scale_block;
        for (j, v) in out.iter_mut().enumerate().take(self.k) {
            let b = r * per_row + j / self.scale_block;
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
    q: Aligned<i8>,
    da: Aligned<f32>,
    s: Aligned<f32>,
}

impl Acts {
    /// Room for `t` rows of `k` values.
    fn zeroed(t: usize, k: usize) -> Acts {
        let lanes = t * k / (2 * QK) * 16;
        Acts {
            t,
            q: Aligned::zeroed(t * k),
            da: Aligned::zeroed(lanes),
            s: Aligned::zeroed(lanes),
        }
    }

    /// Records block `bi`'s scale and the sum of its int8 values: block `bi` is half `bi % 2`
    /// of pair `bi / 2`, and each of its 8 lanes carries them.
    fn set_block(&mut self, bi: usize, d: f32, sum: i32) {
        let lanes = (bi / 2) * 16 + (bi % 2) * 8;
        self.da[lanes..lanes + 8].fill(d);
        self.s[lanes..lanes + 8].fill(d * sum as f32 / 8.0);
    }
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
    let mut a = Acts::zeroed(t, k);
    for (bi, xb) in x.chunks_exact(QK).take(t * k / QK).enumerate() {
        let qb = &mut a.q[bi * QK..(bi + 1) * QK];
        let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let id = if d > 0.0 { 1.0 / d } else { 0.0 };
        let mut sum = 0i32;
        for (q, &v) in qb.iter_mut().zip(xb) {
            let r = (v * id).round_ties_even().clamp(-128.0, 127.0) as i32;
            *q = r as i8;
            sum += r;
        }
        a.set_block(bi, d, sum);
    }
    a
}

/// Calls `f::<NIBBLES, HIGH, MIN, SUB16>` for `p`'s layout: weights as nibbles (with `HIGH`,
/// plus a plane of fifth bits) or bytes; with a minimum or an offset; with a scale per 16
/// weights (`SUB16`, Q6_K's bytes) or per 32.
#[cfg(target_arch = "x86_64")]
macro_rules! by_layout {
    ($p:expr, $f:ident ($($arg:expr),*)) => {
        match ($p.layout, $p.m.is_some(), $p.scale_block == 16) {
            (Layout::Bytes, false, false) => $f::<false, false, false, false>($($arg),*),
            (Layout::Bytes, true, false) => $f::<false, false, true, false>($($arg),*),
            (Layout::Bytes, false, true) => $f::<false, false, false, true>($($arg),*),
            (Layout::Nibbles, false, false) => $f::<true, false, false, false>($($arg),*),
            (Layout::Nibbles, true, false) => $f::<true, false, true, false>($($arg),*),
            (Layout::NibblesHigh, false, false) => {
                $f::<true, true, false, false>($($arg),*)
            }
            (Layout::NibblesHigh, true, false) => {
                $f::<true, true, true, false>($($arg),*)
            }
            (layout, min, _) => unreachable!(
                "no tile for {layout:?} weights (minimum: {min}) with a scale per 16"
            ),
        }
    };
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
    // SAFETY: per the contract and the checks above.
    unsafe { by_layout!(p, tiles(avx512, p, a, tokens, rows, out)) }
}

/// The tokens in tiles as wide as the variant's register tile (4 tokens on AVX-512, 2 on AVX2),
/// the rest one at a time.
///
/// # Safety
/// As [`product_on`], after its checks.
#[cfg(target_arch = "x86_64")]
unsafe fn tiles<const NIBBLES: bool, const HIGH: bool, const MIN: bool, const SUB16: bool>(
    avx512: bool,
    p: &Packed,
    a: &Acts,
    tokens: std::ops::Range<usize>,
    rows: std::ops::Range<usize>,
    out: &mut impl FnMut(usize, usize, f32),
) {
    let wide = if avx512 { 4 } else { 2 };
    let mut t0 = tokens.start;
    while t0 < tokens.end {
        let whole = t0 + wide <= tokens.end;
        let rows = rows.clone();
        // SAFETY: per the contract.
        unsafe {
            match (avx512, whole) {
                (true, true) => avx512::tile::<4, NIBBLES, HIGH, MIN, SUB16>(p, a, t0, rows, out),
                (true, false) => avx512::tile::<1, NIBBLES, HIGH, MIN, SUB16>(p, a, t0, rows, out),
                (false, true) => avx2::tile::<2, NIBBLES, HIGH, MIN, SUB16>(p, a, t0, rows, out),
                (false, false) => avx2::tile::<1, NIBBLES, HIGH, MIN, SUB16>(p, a, t0, rows, out),
            }
        }
        t0 += if whole { wide } else { 1 };
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512;

#[cfg(target_arch = "x86_64")]
mod avx2;

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::QTensor;
    use candle_core::{Device, Tensor};

    /// The four-row reduction gives `_mm512_reduce_add_ps`'s bits (any other order moves
    /// logits: see `avx512::sum_4`), on sums whose order shows in their rounding.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn four_row_sums_round_as_the_one_row_reduction() {
        use std::arch::x86_64::*;
        if !available() {
            return;
        }
        let lane = |i: usize| {
            let m = ((i * 2_654_435_761) % 1_000_003) as f32 / 1_000_003.0 - 0.5;
            m * 10f32.powi((i % 9) as i32 - 4)
        };
        for round in 0..200 {
            let rows: [[f32; 16]; 4] =
                std::array::from_fn(|r| std::array::from_fn(|l| lane(round * 64 + r * 16 + l)));
            // SAFETY: the CPU has AVX-512 (checked above); each array holds 16 f32.
            let (got, want) = unsafe {
                let v = rows.map(|r| _mm512_loadu_ps(r.as_ptr()));
                (
                    avx512::sum_4(v[0], v[1], v[2], v[3]),
                    v.map(|x| _mm512_reduce_add_ps(x)),
                )
            };
            assert_eq!(
                got.map(f32::to_bits),
                want.map(f32::to_bits),
                "round {round}"
            );
        }
    }

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
            (&a.q[..], &a.da[..], &a.s[..]),
            (&s.q[..], &s.da[..], &s.s[..]),
            "vectorised quantisation"
        );
        #[cfg(target_arch = "x86_64")]
        if avx2_available() {
            // SAFETY: the CPU features were just checked.
            let v = unsafe { avx2::quantise(&x, t, k) };
            assert_eq!(
                (&v.q[..], &v.da[..], &v.s[..]),
                (&s.q[..], &s.da[..], &s.s[..]),
                "AVX2 quantisation"
            );
        }
        for dtype in [
            GgmlDType::Q4_0,
            GgmlDType::Q4_1,
            GgmlDType::Q5_0,
            GgmlDType::Q5_1,
            GgmlDType::Q8_0,
            GgmlDType::Q4K,
            GgmlDType::Q5K,
            GgmlDType::Q6K,
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
