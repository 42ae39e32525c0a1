//! The decoder's CPU engine: the same forward as the candle one (`model.rs`), written as plain
//! loops over our own buffers with the matrix products split across a fixed thread team.
//!
//! Why: at batch 1 a forward is ~20 small tensor ops per layer, and candle synchronises its
//! thread pool after each; a `perf` profile of decoding showed 48 % of the samples in that
//! barrier and only 28 % in the dot-product kernel. Here a layer has five parallel regions
//! (q/k/v, attention, output projection, gate/up, down), whose rows the workers take in chunks;
//! norms, RoPE and the cache append run on the calling thread (they are a few thousand floats).
//! The products run on our int8 kernel for the legacy block types and on candle's dot kernels
//! for the others (`matrix.rs`).

mod matrix;
mod ops;
mod team;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use candle_core::quantized::QTensor;

pub(crate) use self::matrix::Matrix;
use self::matrix::{Acts, InputKind};
pub(crate) use self::ops::RopeTable;
use self::team::{SharedOut, Team, share};
use super::model::{Arch, DecoderConfig};

/// Rows a work unit of a matrix product covers (both kernels work on four rows at a time).
const UNIT: usize = 4;

pub(crate) struct Layer {
    pub attn_norm: Vec<f32>,
    pub q: Box<dyn Matrix>,
    pub k: Box<dyn Matrix>,
    pub v: Box<dyn Matrix>,
    pub o: Box<dyn Matrix>,
    /// qwen2's biases of q, k, v.
    pub qkv_bias: Option<[Vec<f32>; 3]>,
    pub q_norm: Option<Vec<f32>>,
    pub k_norm: Option<Vec<f32>>,
    pub post_attn_norm: Option<Vec<f32>>,
    pub ffn_norm: Vec<f32>,
    pub gate: Box<dyn Matrix>,
    pub up: Box<dyn Matrix>,
    pub down: Box<dyn Matrix>,
    pub post_ffn_norm: Option<Vec<f32>>,
}

/// Keys and values of one sequence: per (layer, kv head) the positions' vectors, appended.
#[derive(Clone, Default)]
pub struct CpuKv {
    k: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
}

pub(crate) struct CpuDecoder {
    embed: Box<dyn Matrix>,
    /// The output projection; `None` when tied to the embedding.
    output: Option<Box<dyn Matrix>>,
    output_norm: Vec<f32>,
    layers: Vec<Layer>,
    rope_global: ops::RopeTable,
    rope_local: Option<ops::RopeTable>,
    /// One forward at a time uses the team; concurrent requests wait their turn.
    team: Mutex<Team>,
}

/// Takes a tensor as a matrix of its own type.
pub(crate) fn matrix(t: &QTensor) -> candle_core::Result<Box<dyn Matrix>> {
    matrix::from_qtensor(t)
}

pub(crate) use self::matrix::takes_legacy_types;

impl CpuDecoder {
    pub fn new(
        embed: Box<dyn Matrix>,
        output: Option<Box<dyn Matrix>>,
        output_norm: Vec<f32>,
        layers: Vec<Layer>,
        rope_global: RopeTable,
        rope_local: Option<RopeTable>,
        threads: usize,
    ) -> CpuDecoder {
        CpuDecoder {
            embed,
            output,
            output_norm,
            layers,
            rope_global,
            rope_local,
            team: Mutex::new(Team::new(threads)),
        }
    }

    pub fn vocab_size(&self) -> usize {
        self.embed.rows()
    }

    /// Runs `ids` after the `pos` positions `kv` holds; returns the logits of the last position
    /// (or every position with `all_positions`), row-major, `vocab_size()` per row.
    pub fn forward(
        &self,
        c: &DecoderConfig,
        ids: &[u32],
        pos: usize,
        kv: &mut CpuKv,
        all_positions: bool,
    ) -> Vec<f32> {
        let team = self.team.lock().unwrap_or_else(|p| p.into_inner());
        let (l, hidden) = (ids.len(), c.hidden);
        let n_kv_vecs = self.layers.len() * c.n_kv_head;
        if kv.k.len() != n_kv_vecs {
            kv.k = vec![Vec::new(); n_kv_vecs];
            kv.v = vec![Vec::new(); n_kv_vecs];
        }
        let mut x = vec![0f32; l * hidden];
        for (row, &id) in x.chunks_exact_mut(hidden).zip(ids) {
            self.embed.row(id as usize, row);
        }
        if c.arch == Arch::Gemma3 {
            let s = (hidden as f64).sqrt() as f32;
            x.iter_mut().for_each(|v| *v *= s);
        }
        for (li, layer) in self.layers.iter().enumerate() {
            let local = c.is_local(li);
            let h = ops::rms_norm_rows(&x, &layer.attn_norm, c.rms_eps as f32);
            let [mut q, mut k, mut v] = products(&team, [&*layer.q, &*layer.k, &*layer.v], &h, l);
            if let Some([bq, bk, bv]) = &layer.qkv_bias {
                ops::add_rows(&mut q, bq);
                ops::add_rows(&mut k, bk);
                ops::add_rows(&mut v, bv);
            }
            if let (Some(qn), Some(kn)) = (&layer.q_norm, &layer.k_norm) {
                ops::rms_norm_in_place(&mut q, qn, c.rms_eps as f32);
                ops::rms_norm_in_place(&mut k, kn, c.rms_eps as f32);
            }
            let rope = match (&self.rope_local, local) {
                (Some(r), true) => r,
                _ => &self.rope_global,
            };
            let interleaved = c.arch == Arch::Llama;
            rope.apply(&mut q, l, c.head_dim, pos, interleaved);
            rope.apply(&mut k, l, c.head_dim, pos, interleaved);
            let kv_width = c.n_kv_head * c.head_dim;
            for (kt, vt) in k.chunks_exact(kv_width).zip(v.chunks_exact(kv_width)) {
                for hk in 0..c.n_kv_head {
                    let span = hk * c.head_dim..(hk + 1) * c.head_dim;
                    kv.k[li * c.n_kv_head + hk].extend_from_slice(&kt[span.clone()]);
                    kv.v[li * c.n_kv_head + hk].extend_from_slice(&vt[span]);
                }
            }
            let window = if local { c.sliding_window } else { None };
            let y = attention(&team, c, &q, kv, li, pos, l, window);
            let [mut o] = products(&team, [&*layer.o], &y, l);
            if let Some(n) = &layer.post_attn_norm {
                o = ops::rms_norm_rows(&o, n, c.rms_eps as f32);
            }
            ops::add_assign(&mut x, &o);
            let h = ops::rms_norm_rows(&x, &layer.ffn_norm, c.rms_eps as f32);
            let [mut g, u] = products(&team, [&*layer.gate, &*layer.up], &h, l);
            if c.arch == Arch::Gemma3 {
                ops::gelu_tanh_mul(&mut g, &u);
            } else {
                ops::silu_mul(&mut g, &u);
            }
            let [mut d] = products(&team, [&*layer.down], &g, l);
            if let Some(n) = &layer.post_ffn_norm {
                d = ops::rms_norm_rows(&d, n, c.rms_eps as f32);
            }
            ops::add_assign(&mut x, &d);
        }
        let rows = if all_positions { l } else { 1 };
        let last = &x[(l - rows) * hidden..];
        let xn = ops::rms_norm_rows(last, &self.output_norm, c.rms_eps as f32);
        let output = self.output.as_deref().unwrap_or(&*self.embed);
        let [logits] = products(&team, [output], &xn, rows);
        logits
    }
}

/// `x · mᵀ` for each matrix of `ms` (all reading the same `tokens × cols` input), one parallel
/// region for all of them: the rows of every matrix are cut into four-row units, taken by the
/// workers in chunks.
fn products<const N: usize>(
    team: &Team,
    ms: [&dyn Matrix; N],
    x: &[f32],
    tokens: usize,
) -> [Vec<f32>; N] {
    for m in ms {
        assert_eq!(
            x.len(),
            tokens * m.cols(),
            "input of {tokens} rows for a matrix product"
        );
    }
    // Matrices that read their input alike share it quantized.
    let mut acts: Vec<(InputKind, Acts)> = Vec::new();
    let which: [usize; N] = std::array::from_fn(|i| {
        let kind = ms[i].input_kind();
        match acts.iter().position(|(k, _)| *k == kind) {
            Some(j) => j,
            None => {
                acts.push((kind, ms[i].quantize(x, tokens)));
                acts.len() - 1
            }
        }
    });
    let mut outs: [Vec<f32>; N] = std::array::from_fn(|i| vec![0f32; tokens * ms[i].rows()]);
    let ptrs: [SharedOut; N] = std::array::from_fn(|i| SharedOut::new(&mut outs[i]));
    let units: [usize; N] = std::array::from_fn(|i| ms[i].rows().div_ceil(UNIT));
    let total: usize = units.iter().sum();
    // Workers take chunks of units as they go: a worker woken late, or sharing its core, takes
    // fewer (a static split left the calling thread waiting 13 % of a decode's samples).
    let chunk = total.div_ceil(8 * team.size()).max(1);
    let next = AtomicUsize::new(0);
    team.run(&|_| loop {
        let start = next.fetch_add(chunk, Ordering::Relaxed);
        if start >= total {
            break;
        }
        let mine = start..(start + chunk).min(total);
        // The chunk's units, cut at the matrices' boundaries.
        let mut first = 0;
        for (mi, &count) in units.iter().enumerate() {
            let (lo, hi) = (mine.start.max(first), mine.end.min(first + count));
            first += count;
            if lo >= hi {
                continue;
            }
            let (m, rows) = (ms[mi], ms[mi].rows());
            let range = (lo - (first - count)) * UNIT..((hi - (first - count)) * UNIT).min(rows);
            // SAFETY: the rows lie in this chunk's units of matrix mi, which no other worker
            // takes, and its output holds `tokens * rows` values.
            unsafe { m.product(&acts[which[mi]].1, tokens, range, ptrs[mi]) };
        }
    });
    outs
}

/// Causal (and, with `window`, sliding-window) attention of the `l` new queries in `q` over the
/// cache of layer `li`, which already holds their own keys. Work items are (query, head) pairs.
#[allow(clippy::too_many_arguments)]
fn attention(
    team: &Team,
    c: &DecoderConfig,
    q: &[f32],
    kv: &CpuKv,
    li: usize,
    pos: usize,
    l: usize,
    window: Option<usize>,
) -> Vec<f32> {
    let (hd, n_head) = (c.head_dim, c.n_head);
    let rep = n_head / c.n_kv_head;
    let width = n_head * hd;
    let mut y = vec![0f32; l * width];
    let out = SharedOut::new(&mut y);
    let scale = 1.0 / (hd as f32).sqrt();
    let n = team.size();
    team.run(&|w| {
        let mut scores = Vec::new();
        for item in share(l * n_head, w, n) {
            let (i, head) = (item / n_head, item % n_head);
            let hk = head / rep;
            let keys = &kv.k[li * c.n_kv_head + hk];
            let values = &kv.v[li * c.n_kv_head + hk];
            let qp = pos + i;
            let first = window.map_or(0, |win| (qp + 1).saturating_sub(win));
            let qv = &q[i * width + head * hd..i * width + (head + 1) * hd];
            scores.clear();
            scores.extend((first..=qp).map(|t| ops::dot(qv, &keys[t * hd..(t + 1) * hd]) * scale));
            ops::softmax(&mut scores);
            // SAFETY: item (i, head) owns this head's slice of query i's output.
            let dst = unsafe { out.slice(i * width + head * hd, hd) };
            dst.fill(0.0);
            for (t, &p) in (first..=qp).zip(&scores) {
                ops::axpy(dst, p, &values[t * hd..(t + 1) * hd]);
            }
        }
    });
    y
}
