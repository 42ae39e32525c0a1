//! A Q4_0 linear layer with a CPU kernel of our own for x86-64 with AVX-512 VNNI or AVX2,
//! falling back to candle's `QMatMul` elsewhere (other CPUs, GPUs, odd shapes).
//!
//! Why: candle's generic Q4_0 path makes one dot-product call per (token, output) pair and
//! converts fp16 scales on every call; profiling showed 70% of e5's time there. The kernel
//! (`crate::vnni`: nibbles widened to bytes once at load, a 4-row × 4-token `vpdpbusd` tile) is
//! shared with the generator; here token chunks run in parallel on rayon, with the bias and
//! GELU in the epilogue.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Module, Storage, Tensor};

use crate::vnni::{self, Packed};

pub(crate) struct Q4Linear {
    path: Path,
    /// Apply exact (erf) GELU to the output, fused into the kernel's epilogue.
    gelu: bool,
}

/// Where the product runs, with the bias in the form that path adds it.
enum Path {
    Kernel(Packed, Vec<f32>),
    /// candle's own path, where our kernel cannot run.
    Candle(QMatMul, Tensor),
}

impl Q4Linear {
    /// `raw` are the Q4_0 blocks of `qt` (`rows × k`), `bias` has `rows` values.
    pub fn new(
        qt: QTensor,
        raw: &[u8],
        bias: Vec<f32>,
        gelu: bool,
    ) -> candle_core::Result<Q4Linear> {
        Self::build(qt, raw, bias, gelu, true)
    }

    fn build(
        qt: QTensor,
        raw: &[u8],
        bias: Vec<f32>,
        gelu: bool,
        allow_kernel: bool,
    ) -> candle_core::Result<Q4Linear> {
        let (rows, k) = qt.shape().dims2()?;
        let device = qt.device();
        let path = if allow_kernel && device.is_cpu() && vnni::runs() && vnni::fits(rows, k) {
            Path::Kernel(
                Packed::from_ggml(GgmlDType::Q4_0, raw, rows, k, false),
                bias,
            )
        } else {
            let n = bias.len();
            Path::Candle(
                QMatMul::from_qtensor(qt)?,
                Tensor::from_vec(bias, n, &device)?,
            )
        };
        Ok(Q4Linear { path, gelu })
    }
}

impl Module for Q4Linear {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let (p, bias) = match &self.path {
            Path::Kernel(p, bias) => (p, bias),
            Path::Candle(w, bias) => {
                let y = w.forward(xs)?.broadcast_add(bias)?;
                return if self.gelu { y.gelu_erf() } else { Ok(y) };
            }
        };
        let (t, k) = xs.dims2()?;
        if k != p.k || xs.dtype() != candle_core::DType::F32 {
            candle_core::bail!(
                "Q4Linear expects f32 [tokens, {}], got {:?} {:?}",
                p.k,
                xs.dtype(),
                xs.shape()
            );
        }
        let xs = xs.contiguous()?;
        let (storage, layout) = xs.storage_and_layout();
        let Storage::Cpu(cpu) = &*storage else {
            candle_core::bail!("packed Q4Linear runs on the CPU only")
        };
        let x = &cpu.as_slice::<f32>()?[layout.start_offset()..layout.start_offset() + t * p.k];
        let mut y = vec![0f32; t * p.rows];
        matmul(p, x, t, &mut y, bias, self.gelu);
        drop(storage);
        Tensor::from_vec(y, (t, p.rows), xs.device())
    }
}

fn matmul(p: &Packed, x: &[f32], t: usize, y: &mut [f32], bias: &[f32], gelu: bool) {
    use rayon::prelude::*;
    let threads = rayon::current_num_threads().max(1);
    // Chunks small enough to split across threads, large enough to reuse each weight tile.
    let chunk = (t.div_ceil(2 * threads)).clamp(4, 64).next_multiple_of(4);
    x.par_chunks(chunk * p.k)
        .zip(y.par_chunks_mut(chunk * p.rows))
        .for_each(|(xc, yc)| {
            let tc = xc.len() / p.k;
            let acts = vnni::quantise(xc, tc, p.k);
            // SAFETY: `packed` exists only when the CPU runs the kernel and the shape fits
            // (checked at load); `acts` were quantised for it.
            #[cfg(target_arch = "x86_64")]
            unsafe {
                vnni::product(p, &acts, 0..tc, 0..p.rows, &mut |ti, o, v| {
                    yc[ti * p.rows + o] = v + bias[o]
                });
            };
            if gelu {
                gelu_in_place(yc);
            }
        });
}

/// Exact GELU over `y`: vectorised with AVX-512, else one value at a time.
fn gelu_in_place(y: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if vnni::available() {
        // SAFETY: the CPU features were just checked.
        unsafe { avx512::gelu(y) };
        return;
    }
    y.iter_mut().for_each(|v| *v = gelu(*v));
}

/// x·Φ(x) with erf from Abramowitz–Stegun 7.1.26, as the vectorised one computes it (with
/// separate multiplies and adds: `mul_add` is a library call where FMA is not compiled in).
fn gelu(x: f32) -> f32 {
    let z = x * std::f32::consts::FRAC_1_SQRT_2;
    let az = z.abs();
    let t = 1.0 / (az * 0.327_591_1 + 1.0);
    let mut p = 1.061_405_4f32;
    for c in [-1.453_152_1f32, 1.421_413_8, -0.284_496_74, 0.254_829_6] {
        p = p * t + c;
    }
    let erf_abs = 1.0 - p * t * (-az * az).exp();
    0.5 * x * (1.0 + erf_abs.copysign(z))
}

#[cfg(target_arch = "x86_64")]
pub(crate) use avx512::exp16;

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// Exact GELU, x·Φ(x) = ½x(1 + erf(x/√2)), with erf from Abramowitz–Stegun 7.1.26
    /// (absolute error ≤ 1.5e-7) and a vectorised exp.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn gelu(y: &mut [f32]) {
        let mut chunks = y.chunks_exact_mut(16);
        for c in &mut chunks {
            // SAFETY: c holds exactly 16 floats.
            unsafe { _mm512_storeu_ps(c.as_mut_ptr(), gelu16(_mm512_loadu_ps(c.as_ptr()))) };
        }
        for v in chunks.into_remainder() {
            let x = _mm512_set1_ps(*v);
            *v = _mm512_cvtss_f32(gelu16(x));
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    fn gelu16(x: __m512) -> __m512 {
        let z = _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::FRAC_1_SQRT_2));
        let az = _mm512_abs_ps(z);
        let t = _mm512_div_ps(
            _mm512_set1_ps(1.0),
            _mm512_fmadd_ps(az, _mm512_set1_ps(0.327_591_1), _mm512_set1_ps(1.0)),
        );
        let mut p = _mm512_set1_ps(1.061_405_4);
        for c in [-1.453_152_1f32, 1.421_413_8, -0.284_496_74, 0.254_829_6] {
            p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(c));
        }
        p = _mm512_mul_ps(p, t);
        let e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(az, az)));
        let erf_abs = _mm512_fnmadd_ps(p, e, _mm512_set1_ps(1.0));
        // erf is odd: copy the sign of z.
        let sign = _mm512_and_si512(_mm512_castps_si512(z), _mm512_set1_epi32(i32::MIN));
        let erf = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(erf_abs), sign));
        _mm512_mul_ps(
            _mm512_mul_ps(x, _mm512_set1_ps(0.5)),
            _mm512_add_ps(erf, _mm512_set1_ps(1.0)),
        )
    }

    /// exp(x) for x ≤ 0 (relative error ~2e-7): 2^n · p(r) with r = x − n·ln2, |r| ≤ ln2/2.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    pub(crate) fn exp16(x: __m512) -> __m512 {
        let x = _mm512_max_ps(x, _mm512_set1_ps(-87.0));
        let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
            _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E)),
        );
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693_145_75), x);
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428_606_8e-6), r);
        let mut p = _mm512_set1_ps(1.0 / 720.0);
        for c in [1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
            p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
        }
        _mm512_scalef_ps(p, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vnni::QK;
    use candle_core::Device;
    use candle_core::quantized::{GgmlDType, ggml_file::qtensor_from_ggml};

    /// Reference: dequantised weights, activations quantised the same way, in f64.
    #[test]
    #[allow(clippy::needless_range_loop)]
    fn kernel_matches_dequantised_reference() {
        let (rows, k, t) = (8, 128, 7);
        let mut raw = Vec::new();
        let mut seed = 7u32;
        let mut rnd = || {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            seed >> 8
        };
        for _ in 0..rows * k / QK {
            raw.extend_from_slice(
                &half::f16::from_f32((rnd() % 1000) as f32 / 50000.0).to_le_bytes(),
            );
            for _ in 0..QK / 2 {
                raw.push((rnd() & 0xFF) as u8);
            }
        }
        let x: Vec<f32> = (0..t * k)
            .map(|_| (rnd() % 2001) as f32 / 1000.0 - 1.0)
            .collect();
        let bias: Vec<f32> = (0..rows).map(|i| i as f32 * 0.1).collect();
        let qt = || qtensor_from_ggml(GgmlDType::Q4_0, &raw, vec![rows, k], &Device::Cpu).unwrap();
        let lin = Q4Linear::new(qt(), &raw, bias.clone(), false).unwrap();
        let xs = Tensor::from_vec(x.clone(), (t, k), &Device::Cpu).unwrap();
        let ours = lin.forward(&xs).unwrap().to_vec2::<f32>().unwrap();
        // candle's path (used where our kernel cannot run) agrees, GELU included.
        let candle_lin = Q4Linear::build(qt(), &raw, bias.clone(), false, false).unwrap();
        let theirs = candle_lin.forward(&xs).unwrap().to_vec2::<f32>().unwrap();
        let gelu_ours = Q4Linear::new(qt(), &raw, bias.clone(), true)
            .unwrap()
            .forward(&xs)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let gelu_theirs = Q4Linear::build(qt(), &raw, bias.clone(), true, false)
            .unwrap()
            .forward(&xs)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        for ti in 0..t {
            for o in 0..rows {
                assert!(
                    (ours[ti][o] - theirs[ti][o]).abs() < 1e-3 * (1.0 + theirs[ti][o].abs()),
                    "candle path t{ti} o{o}"
                );
                assert!(
                    (gelu_ours[ti][o] - gelu_theirs[ti][o]).abs()
                        < 1e-3 * (1.0 + gelu_theirs[ti][o].abs()),
                    "gelu t{ti} o{o}"
                );
            }
        }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod simd_tests {
    /// Both GELUs (the vectorised one where the CPU has AVX-512) against erf's series.
    #[test]
    fn gelu_matches_erf() {
        let x: Vec<f32> = (0..37).map(|i| (i as f32 - 18.0) / 3.0).collect();
        let want: Vec<f32> = x
            .iter()
            .map(|&v| 0.5 * v * (1.0 + erf(v as f64 / 2f64.sqrt()) as f32))
            .collect();
        let scalar: Vec<f32> = x.iter().map(|&v| super::gelu(v)).collect();
        let mut got = vec![("scalar", scalar)];
        if crate::vnni::available() {
            let mut y = x.clone();
            unsafe { super::avx512::gelu(&mut y) };
            got.push(("avx512", y));
        }
        for (what, y) in got {
            for (g, w) in y.iter().zip(&want) {
                assert!((g - w).abs() < 2e-6, "{what}: {g} vs {w}");
            }
        }
    }

    /// erf by its Taylor series (converges well for |x| < 5), for the test only.
    fn erf(x: f64) -> f64 {
        if x.abs() > 4.5 {
            return x.signum();
        }
        let (mut term, mut sum, mut n) = (x, x, 0.0);
        while term.abs() > 1e-17 {
            n += 1.0;
            term *= -x * x / n;
            sum += term / (2.0 * n + 1.0);
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }
}
