//! Fused self-attention on the CPU (AVX-512): per sequence and head, scores against only the
//! sequence's real tokens (padding is skipped, so no mask is needed), a vectorised softmax and the
//! weighted sum of values, reading Q, K and V straight from the fused QKV projection. Profiling
//! showed candle's path (permute copies, a batched matmul, exp, masks, a second matmul) spending
//! about 15% of e5's time and allocating [batch, heads, len, len] score tensors.

use rayon::prelude::*;

/// Whether `attention` can run here.
pub(crate) fn available() -> bool {
    super::q4linear::kernel_available()
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
            for j0 in (0..padded).step_by(16) {
                let mut s = _mm512_setzero_ps();
                for (e, &qv) in qscaled.iter().enumerate() {
                    // SAFETY: j0 + 16 <= padded, so the load stays inside kt's row e.
                    let kv = unsafe { _mm512_loadu_ps(kt.as_ptr().add(e * padded + j0)) };
                    s = _mm512_fmadd_ps(_mm512_set1_ps(qv), kv, s);
                }
                // SAFETY: scores holds padded floats.
                unsafe { _mm512_storeu_ps(scores.as_mut_ptr().add(j0), s) };
            }
            let max = scores[..len]
                .iter()
                .fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let mut sum = 0f32;
            for j0 in (0..padded).step_by(16) {
                // SAFETY: as above.
                unsafe {
                    let p = exp16(_mm512_sub_ps(
                        _mm512_loadu_ps(scores.as_ptr().add(j0)),
                        _mm512_set1_ps(max),
                    ));
                    _mm512_storeu_ps(scores.as_mut_ptr().add(j0), p);
                }
            }
            // Padding lanes hold exp(0 − max) of stale zeros: only the first len count.
            for &p in &scores[..len] {
                sum += p;
            }
            let inv = 1.0 / sum;
            // SAFETY: row row0 + t, columns h·hd..(h+1)·hd belong to this task only.
            let dst = unsafe {
                std::slice::from_raw_parts_mut(out.add((row0 + t) * hidden + h * hd), hd)
            };
            if hd.is_multiple_of(16) && hd <= 64 {
                // Values summed 16 dimensions per register (e5-small and MiniLM: hd = 32).
                let nv = hd / 16;
                let mut accv = [_mm512_setzero_ps(); 4];
                for (j, &p) in scores[..len].iter().enumerate() {
                    let pv = _mm512_set1_ps(p);
                    let v = qkv[(row0 + j) * stride + 2 * hidden + h * hd..][..hd].as_ptr();
                    for (c, a) in accv.iter_mut().enumerate().take(nv) {
                        // SAFETY: c·16 + 16 <= hd, inside this value row.
                        *a = _mm512_fmadd_ps(pv, unsafe { _mm512_loadu_ps(v.add(c * 16)) }, *a);
                    }
                }
                for (c, a) in accv.iter().enumerate().take(nv) {
                    // SAFETY: dst holds hd = nv·16 floats.
                    unsafe {
                        _mm512_storeu_ps(
                            dst.as_mut_ptr().add(c * 16),
                            _mm512_mul_ps(*a, _mm512_set1_ps(inv)),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_attention_and_ignores_padding() {
        if !available() {
            return;
        }
        let (hidden, heads, l) = (64, 2, 21);
        let lens = [21, 5];
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
