//! The BERT encoder stack shared by every embedder: post-LayerNorm blocks with fused QKV, padded
//! batches with an attention mask, and masked mean pooling. The linear layers are any candle
//! `Module`, so Q4_0 (`QMatMul`) and f32 (`Linear`) weights run through the same code.

use candle_core::{Device, Module, Tensor};

pub(crate) type Proj = Box<dyn Module + Send + Sync>;

pub(crate) struct Layer {
    pub qkv: Proj,
    pub ao: Proj,
    pub aln: (Tensor, Tensor),
    /// Includes the GELU.
    pub fi: Proj,
    pub fo: Proj,
    pub oln: (Tensor, Tensor),
}

pub(crate) struct Encoder {
    pub hidden: usize,
    pub heads: usize,
    pub eps: f64,
    pub emb_ln: (Tensor, Tensor),
    pub layers: Vec<Layer>,
    pub device: Device,
}

impl Encoder {
    /// `emb` holds the summed input embeddings of `b` sequences padded to `l` tokens; `mask` is 1
    /// for real tokens. Returns the masked mean of the last hidden states per sequence.
    pub fn mean_pooled(
        &self,
        emb: Vec<f32>,
        mask: Vec<f32>,
        b: usize,
        l: usize,
    ) -> candle_core::Result<Vec<Vec<f32>>> {
        let (h, nh) = (self.hidden, self.heads);
        let hd = h / nh;
        let eps = self.eps as f32;
        let dev = &self.device;
        let mut x = Tensor::from_vec(emb, (b * l, h), dev)?;
        x = candle_nn::ops::layer_norm(&x, &self.emb_ln.0, &self.emb_ln.1, eps)?;
        let lens: Vec<usize> = mask
            .chunks(l)
            .map(|m| m.iter().filter(|&&v| v > 0.0).count())
            .collect();
        let mask_t = Tensor::from_vec(mask, (b, l), dev)?;
        let fused = dev.is_cpu() && super::attention::available();
        // 0 for real tokens, a large negative number for padding (candle's path only).
        let att_bias = ((mask_t.reshape((b, 1, 1, l))? - 1.0)? * 1e9)?;
        let scale = 1.0 / (hd as f64).sqrt();
        for ly in &self.layers {
            let qkv = ly.qkv.forward(&x)?;
            let ctx = if fused {
                let qkv = qkv.contiguous()?;
                let ctx = super::attention::attention(
                    &qkv.flatten_all()?.to_vec1::<f32>()?,
                    &lens,
                    l,
                    h,
                    nh,
                );
                Tensor::from_vec(ctx, (b * l, h), dev)?
            } else {
                let qkv = qkv.reshape((b, l, 3, nh, hd))?.permute((2, 0, 3, 1, 4))?;
                let q = (qkv.get(0)?.contiguous()? * scale)?;
                let k = qkv.get(1)?.contiguous()?;
                let v = qkv.get(2)?.contiguous()?;
                let att = q.matmul(&k.t()?)?.broadcast_add(&att_bias)?;
                let att = candle_nn::ops::softmax_last_dim(&att)?;
                att.matmul(&v)?.transpose(1, 2)?.reshape((b * l, h))?
            };
            let ao = ly.ao.forward(&ctx)?;
            x = candle_nn::ops::layer_norm(&(x + ao)?, &ly.aln.0, &ly.aln.1, eps)?;
            let mid = ly.fi.forward(&x)?;
            let fo = ly.fo.forward(&mid)?;
            x = candle_nn::ops::layer_norm(&(x + fo)?, &ly.oln.0, &ly.oln.1, eps)?;
        }
        let x = x.reshape((b, l, h))?;
        let m = mask_t.reshape((b, l, 1))?;
        let sums = x.broadcast_mul(&m)?.sum(1)?;
        sums.broadcast_div(&m.sum(1)?)?.to_vec2::<f32>()
    }
}

/// Runs `windows` (text index, weight, token ids) through `forward` in length-sorted batches of
/// at most `max_tokens` padded tokens, and returns per-text weighted sums, L2-normalised.
pub(crate) fn pool_windows(
    n_texts: usize,
    dim: usize,
    mut windows: Vec<(usize, f32, Vec<u32>)>,
    max_tokens: usize,
    forward: impl Fn(&[Vec<u32>]) -> Result<Vec<Vec<f32>>, crate::InferenceError>,
) -> Result<Vec<Vec<f32>>, crate::InferenceError> {
    // Similar lengths share a batch, so little is padded.
    windows.sort_by_key(|w| std::cmp::Reverse(w.2.len()));
    let mut sums = vec![vec![0f32; dim]; n_texts];
    let mut start = 0;
    while start < windows.len() {
        let longest = windows[start].2.len();
        let end = (start + (max_tokens / longest).max(1)).min(windows.len());
        let seqs: Vec<Vec<u32>> = windows[start..end].iter().map(|w| w.2.clone()).collect();
        for ((i, weight, _), mean) in windows[start..end].iter().zip(forward(&seqs)?) {
            sums[*i]
                .iter_mut()
                .zip(mean)
                .for_each(|(s, m)| *s += weight * m);
        }
        start = end;
    }
    // Dividing by the total weight would not change the direction: normalising suffices.
    sums.iter_mut().for_each(|v| super::l2_normalise(v));
    Ok(sums)
}
