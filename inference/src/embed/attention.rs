//! Fused self-attention on the CPU (AVX-512): per sequence and head, scores against only the
//! sequence's real tokens (padding is skipped, so no mask is needed), a vectorised softmax and the
//! weighted sum of values, reading Q, K and V straight from the fused QKV projection. Profiling
//! showed candle's path (permute copies, a batched matmul, exp, masks, a second matmul) spending
//! about 15% of e5's time and allocating [batch, heads, len, len] score tensors.

use rayon::prelude::*;

/// Whether `attention` can run here.
pub(crate) fn available() -> bool {
    crate::vnni::available()
}

/// `qkv` is `[b·l, 3·hidden]` (Q, K, V side by side, heads contiguous within each); `lens[i]` real
/// tokens of sequence i (a prefix). Returns `[b·l, hidden]`, zero at padding positions.
pub(crate) fn attention(
    qkv: &[f32],
    lens: &[usize],
    l: usize,
    hidden: usize,
    heads: usize,
) -> Vec<f32> {
    let b = lens.len();
    let mut ctx = vec![0f32; b * l * hidden];
    let out = SendPtr(ctx.as_mut_ptr());
    (0..b * heads).into_par_iter().for_each(|task| {
        let (i, h) = (task / heads, task % heads);
        let out = &out;
        // SAFETY: the CPU features were checked by `available`; each task writes only the
        // columns of head h in the rows of sequence i, so no two tasks write the same element.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            avx512::head(qkv, lens[i], i * l, h, hidden, heads, out.0)
        };
    });
    ctx
}

struct SendPtr(*mut f32);
// SAFETY: the pointer is only used for disjoint writes (see `attention`).
unsafe impl Sync for SendPtr {}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::super::q4linear::exp16;

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn head(
        qkv: &[f32],
        len: usize,
        row0: usize,
        h: usize,
        hidden: usize,
        heads: usize,
        out: *mut f32,
    ) {
        let hd = hidden / heads;
        let stride = 3 * hidden;
        let scale = 1.0 / (hd as f32).sqrt();
        let padded = len.next_multiple_of(16);
        // Keys transposed ([dim][token]) so 16 scores come from one FMA per dimension.
        let mut kt = vec![0f32; hd * padded];
        for j in 0..len {
            let k = &qkv[(row0 + j) * stride + hidden + h * hd..][..hd];
            for e in 0..hd {
                kt[e * padded + j] = k[e];
            }
        }
        let mut scores = vec![0f32; padded];
        let mut acc = vec![0f32; hd];
        let mut qscaled = vec![0f32; hd];
        for t in 0..len {
            let q = &qkv[(row0 + t) * stride + h * hd..][..hd];
            for (qs, &qv) in qscaled.iter_mut().zip(q) {
                *qs = qv * scale;
            }
            // Eight blocks of 16 keys at a time: eight independent FMA chains keep both FMA
            // ports busy (one chain waits four cycles on each step, which cost ~3× here).
            let mut j0 = 0;
            while j0 + 128 <= padded {
                // SAFETY: j0 + 128 <= padded.
                unsafe { score_blocks::<8>(&qscaled, &kt, padded, j0, &mut scores) };
                j0 += 128;
            }
            while j0 < padded {
                // SAFETY: j0 + 16 <= padded.
                unsafe { score_blocks::<1>(&qscaled, &kt, padded, j0, &mut scores) };
                j0 += 16;
            }
            // Max and sum in registers: scalar loops over the row, each step waiting on the
            // last, cost more than the scores themselves. Padding lanes are masked out.
            let valid = |j0: usize| -> __mmask16 {
                match len - j0 {
                    n if n >= 16 => 0xFFFF,
                    n => ((1u32 << n) - 1) as __mmask16,
                }
            };
            let mut vmax = _mm512_set1_ps(f32::NEG_INFINITY);
            for j0 in (0..len).step_by(16) {
                // SAFETY: j0 < len <= padded, and padded is a multiple of 16.
                let v = unsafe { _mm512_loadu_ps(scores.as_ptr().add(j0)) };
                vmax = _mm512_mask_max_ps(vmax, valid(j0), vmax, v);
            }
            let max = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
            let mut vsum = _mm512_setzero_ps();
            for j0 in (0..len).step_by(16) {
                // SAFETY: as above.
                unsafe {
                    let v = _mm512_loadu_ps(scores.as_ptr().add(j0));
                    let p = _mm512_maskz_mov_ps(valid(j0), exp16(_mm512_sub_ps(v, max)));
                    _mm512_storeu_ps(scores.as_mut_ptr().add(j0), p);
                    vsum = _mm512_add_ps(vsum, p);
                }
            }
            let sum = _mm512_reduce_add_ps(vsum);
            let inv = 1.0 / sum;
            // SAFETY: row row0 + t, columns h·hd..(h+1)·hd belong to this task only.
            let dst = unsafe {
                std::slice::from_raw_parts_mut(out.add((row0 + t) * hidden + h * hd), hd)
            };
            if hd == 32 {
                // e5-small and MiniLM: two registers a value row; four tokens a step in four
                // accumulator pairs, for the same reason as the scores.
                let value = |j: usize| qkv[(row0 + j) * stride + 2 * hidden + h * hd..].as_ptr();
                let mut sums = [[_mm512_setzero_ps(); 2]; 4];
                let add = |a: &mut [__m512; 2], j: usize| {
                    let pv = _mm512_set1_ps(scores[j]);
                    let v = value(j);
                    // SAFETY: a value row holds hd = 32 floats.
                    unsafe {
                        a[0] = _mm512_fmadd_ps(pv, _mm512_loadu_ps(v), a[0]);
                        a[1] = _mm512_fmadd_ps(pv, _mm512_loadu_ps(v.add(16)), a[1]);
                    }
                };
                let mut j = 0;
                while j + 4 <= len {
                    for (u, a) in sums.iter_mut().enumerate() {
                        add(a, j + u);
                    }
                    j += 4;
                }
                for j in j..len {
                    add(&mut sums[0], j);
                }
                let [a, b, c2, d] = sums;
                for c in 0..2 {
                    let sum = _mm512_add_ps(_mm512_add_ps(a[c], b[c]), _mm512_add_ps(c2[c], d[c]));
                    // SAFETY: dst holds 32 floats.
                    unsafe {
                        _mm512_storeu_ps(
                            dst.as_mut_ptr().add(c * 16),
                            _mm512_mul_ps(sum, _mm512_set1_ps(inv)),
                        )
                    };
                }
            } else {
                acc.iter_mut().for_each(|a| *a = 0.0);
                for (j, &p) in scores[..len].iter().enumerate() {
                    let v = &qkv[(row0 + j) * stride + 2 * hidden + h * hd..][..hd];
                    acc.iter_mut().zip(v).for_each(|(a, x)| *a += p * x);
                }
                dst.iter_mut().zip(&acc).for_each(|(d, a)| *d = a * inv);
            }
        }
    }

    /// Scores of the query against keys j0..j0 + 16·N (transposed keys, rows of `padded`).
    ///
    /// # Safety
    /// AVX-512F must be available and j0 + 16·N <= padded.
    #[target_feature(enable = "avx512f")]
    unsafe fn score_blocks<const N: usize>(
        q: &[f32],
        kt: &[f32],
        padded: usize,
        j0: usize,
        scores: &mut [f32],
    ) {
        let mut s = [_mm512_setzero_ps(); N];
        for (e, &qv) in q.iter().enumerate() {
            let qv = _mm512_set1_ps(qv);
            // SAFETY: the caller keeps j0 + 16·N inside kt's row e.
            let row = unsafe { kt.as_ptr().add(e * padded + j0) };
            for (c, acc) in s.iter_mut().enumerate() {
                *acc = _mm512_fmadd_ps(qv, unsafe { _mm512_loadu_ps(row.add(16 * c)) }, *acc);
            }
        }
        for (c, acc) in s.iter().enumerate() {
            // SAFETY: scores holds padded floats.
            unsafe { _mm512_storeu_ps(scores.as_mut_ptr().add(j0 + 16 * c), *acc) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_attention_and_ignores_padding() {
        if !available() {
            return;
        }
        // 150 tokens take the eight-block path for the scores and leave a remainder.
        let (hidden, heads, l) = (64, 2, 150);
        let lens = [150, 21, 5];
        let qkv: Vec<f32> = (0..lens.len() * l * 3 * hidden)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
            .collect();
        let got = attention(&qkv, &lens, l, hidden, heads);
        let hd = hidden / heads;
        for (i, &len) in lens.iter().enumerate() {
            for h in 0..heads {
                for t in 0..l {
                    for e in 0..hd {
                        let g = got[(i * l + t) * hidden + h * hd + e];
                        if t >= len {
                            assert_eq!(g, 0.0);
                            continue;
                        }
                        let row = |r: usize, part: usize| {
                            &qkv[(i * l + r) * 3 * hidden + part * hidden + h * hd..][..hd]
                        };
                        let s: Vec<f64> = (0..len)
                            .map(|j| {
                                row(t, 0)
                                    .iter()
                                    .zip(row(j, 1))
                                    .map(|(a, b)| (*a * *b) as f64)
                                    .sum::<f64>()
                                    / (hd as f64).sqrt()
                            })
                            .collect();
                        let m = s.iter().cloned().fold(f64::MIN, f64::max);
                        let z: f64 = s.iter().map(|v| (v - m).exp()).sum();
                        let want: f64 = (0..len)
                            .map(|j| (s[j] - m).exp() / z * row(j, 2)[e] as f64)
                            .sum();
                        assert!(
                            (g as f64 - want).abs() < 1e-4,
                            "i{i} h{h} t{t} e{e}: {g} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
