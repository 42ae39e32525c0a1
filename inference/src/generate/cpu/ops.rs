//! The element-wise parts of a layer, written as candle computes them on the CPU (f32
//! throughout), so the two engines agree to rounding.

/// `x / sqrt(mean(x²) + eps) · w` for each row of `w.len()` values.
pub fn rms_norm_rows(x: &[f32], w: &[f32], eps: f32) -> Vec<f32> {
    let mut out = x.to_vec();
    rms_norm_in_place(&mut out, w, eps);
    out
}

/// The same, in place (also per head: rows of `w.len()` values).
pub fn rms_norm_in_place(x: &mut [f32], w: &[f32], eps: f32) {
    let dim = w.len();
    for row in x.chunks_exact_mut(dim) {
        let sum2: f32 = row.iter().map(|v| v * v).sum();
        let m = (sum2 / dim as f32 + eps).sqrt();
        for (v, &a) in row.iter_mut().zip(w) {
            *v = *v / m * a;
        }
    }
}

/// Adds `b` to each row of `x`.
pub fn add_rows(x: &mut [f32], b: &[f32]) {
    for row in x.chunks_exact_mut(b.len()) {
        add_assign(row, b);
    }
}

pub fn add_assign(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

/// `g ← silu(g) · u`.
pub fn silu_mul(g: &mut [f32], u: &[f32]) {
    for (a, &b) in g.iter_mut().zip(u) {
        *a = *a / (1.0 + (-*a).exp()) * b;
    }
}

/// `g ← gelu_tanh(g) · u` (candle's `gelu`, the tanh approximation Gemma uses).
pub fn gelu_tanh_mul(g: &mut [f32], u: &[f32]) {
    const SQRT_TWO_OVER_PI: f32 = 0.797_884_6;
    for (a, &b) in g.iter_mut().zip(u) {
        let v = *a;
        let gelu = 0.5 * v * (1.0 + (SQRT_TWO_OVER_PI * v * (1.0 + 0.044715 * v * v)).tanh());
        *a = gelu * b;
    }
}

/// Dot product with eight partial sums (so the compiler vectorises it).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `y ← y + a·x`.
pub fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (d, &s) in y.iter_mut().zip(x) {
        *d += a * s;
    }
}

/// Softmax in place (max subtracted first).
pub fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in x.iter_mut() {
        *v /= sum;
    }
}

/// cos/sin of every position × frequency, for one RoPE base, bounded by the context.
pub struct RopeTable {
    half: usize,
    cos: Vec<f32>,
    sin: Vec<f32>,
}

impl RopeTable {
    /// Both engines read this table (the candle one as tensors).
    pub fn new(base: f32, scale: f32, dim: usize, len: usize) -> RopeTable {
        let half = dim / 2;
        let inv: Vec<f32> = (0..half)
            .map(|i| 1.0 / base.powf(2.0 * i as f32 / dim as f32))
            .collect();
        let mut cos = Vec::with_capacity(len * half);
        let mut sin = Vec::with_capacity(len * half);
        for p in 0..len {
            for &f in &inv {
                let a = p as f32 / scale * f;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        RopeTable { half, cos, sin }
    }

    pub fn half(&self) -> usize {
        self.half
    }

    /// (cos, sin), `half()` values per position.
    pub fn tensors(&self) -> (&[f32], &[f32]) {
        (&self.cos, &self.sin)
    }

    /// Rotates every head of `tokens` rows of `x`, row `i` at position `pos + i`: pairs
    /// `(2j, 2j+1)` when `interleaved` (llama), else `(j, j + half)` (qwen2, gemma3).
    pub fn apply(&self, x: &mut [f32], tokens: usize, hd: usize, pos: usize, interleaved: bool) {
        let half = self.half;
        let width = x.len() / tokens;
        for (i, row) in x.chunks_exact_mut(width).enumerate() {
            let at = (pos + i) * half;
            let (cos, sin) = (&self.cos[at..at + half], &self.sin[at..at + half]);
            for head in row.chunks_exact_mut(hd) {
                for j in 0..half {
                    let (a, b) = if interleaved {
                        (2 * j, 2 * j + 1)
                    } else {
                        (j, j + half)
                    };
                    let (x0, x1) = (head[a], head[b]);
                    head[a] = x0 * cos[j] - x1 * sin[j];
                    head[b] = x0 * sin[j] + x1 * cos[j];
                }
            }
        }
    }
}
