//! Any BERT-family sentence embedder stored as Hugging Face files (`config.json`,
//! `model.safetensors`, `tokenizer.json`), e.g. all-MiniLM-L6-v2: f32/f16/bf16 weights loaded
//! through candle's `VarBuilder`, run by the same encoder as the quantized e5, mean-pooled and
//! L2-normalised (sentence-transformers' recipe).

use std::path::Path;

use candle_core::Module;
use candle_core::{DType, Device, Tensor};
use candle_nn::{Linear, VarBuilder};
use serde::Deserialize;
use tokenizers::Tokenizer;

use super::encoder::{Encoder, Layer, Proj, pool_windows};
use super::{EmbedKind, Embedder, is_blank, read_checked};
use crate::error::{InferenceError, ModelError};

#[derive(Debug, Deserialize)]
struct BertConfig {
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    #[serde(default)]
    hidden_act: Option<String>,
}

fn default_eps() -> f64 {
    1e-12
}

/// Prefixes for asymmetric models (an e5 in safetensors wants `query: ` / `passage: `).
#[derive(Debug, Clone, Default)]
pub struct BertOptions {
    pub query_prefix: String,
    pub passage_prefix: String,
}

pub struct BertSafetensorsEmbedder {
    id: String,
    options: BertOptions,
    tokenizer: Tokenizer,
    cls: u32,
    sep: u32,
    word: Tensor,
    pos: Tensor,
    token_type: Tensor,
    max_positions: usize,
    encoder: Encoder,
    sha256: String,
}

impl BertSafetensorsEmbedder {
    /// Loads `dir/{config.json, model.safetensors, tokenizer.json}` on the CPU, no prefixes.
    pub fn load(dir: &Path) -> Result<BertSafetensorsEmbedder, InferenceError> {
        Self::load_with(dir, BertOptions::default(), &Device::Cpu)
    }

    pub fn load_with(
        dir: &Path,
        options: BertOptions,
        device: &Device,
    ) -> Result<BertSafetensorsEmbedder, InferenceError> {
        let config_path = dir.join("config.json");
        let (config_bytes, _) = read_checked(&config_path)?;
        let malformed = |path: &Path, reason: String| ModelError::Malformed {
            path: path.into(),
            reason,
        };
        let cfg: BertConfig = serde_json::from_slice(&config_bytes)
            .map_err(|e| malformed(&config_path, e.to_string()))?;
        if cfg.hidden_act.as_deref().is_some_and(|a| a != "gelu")
            || !cfg.hidden_size.is_multiple_of(cfg.num_attention_heads)
            || cfg.max_position_embeddings < 3
        {
            return Err(malformed(
                &config_path,
                "only BERT with exact GELU and whole heads is supported".into(),
            )
            .into());
        }
        let tok_path = dir.join("tokenizer.json");
        let (tok_bytes, _) = read_checked(&tok_path)?;
        let mut tokenizer =
            Tokenizer::from_bytes(&tok_bytes).map_err(|e| malformed(&tok_path, e.to_string()))?;
        // Windowing is ours: no truncation, no padding inside the tokenizer.
        tokenizer
            .with_truncation(None)
            .map_err(|e| malformed(&tok_path, e.to_string()))?;
        tokenizer.with_padding(None);
        let special = |names: &[&str]| names.iter().find_map(|n| tokenizer.token_to_id(n));
        let (Some(cls), Some(sep)) = (special(&["[CLS]", "<s>"]), special(&["[SEP]", "</s>"]))
        else {
            return Err(malformed(&tok_path, "no [CLS]/[SEP] tokens".into()).into());
        };

        let weights_path = dir.join("model.safetensors");
        let (weights, sha256) = read_checked(&weights_path)?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, device)
            .map_err(|e| malformed(&weights_path, e.to_string()))?;
        let vb = if vb.contains_tensor("embeddings.word_embeddings.weight") {
            vb
        } else {
            vb.pp("bert")
        };
        let bad =
            |e: candle_core::Error| InferenceError::from(malformed(&weights_path, e.to_string()));
        let (h, ff) = (cfg.hidden_size, cfg.intermediate_size);
        let ln = |vb: VarBuilder| -> Result<(Tensor, Tensor), InferenceError> {
            Ok((
                vb.get(h, "weight").map_err(bad)?,
                vb.get(h, "bias").map_err(bad)?,
            ))
        };
        let linear =
            |vbs: &[VarBuilder], rows: usize, cols: usize| -> Result<Proj, InferenceError> {
                // Q, K and V are stacked into one weight: one matmul instead of three.
                let w: Vec<Tensor> = vbs
                    .iter()
                    .map(|v| v.get((rows, cols), "weight"))
                    .collect::<Result<_, _>>()
                    .map_err(bad)?;
                let b: Vec<Tensor> = vbs
                    .iter()
                    .map(|v| v.get(rows, "bias"))
                    .collect::<Result<_, _>>()
                    .map_err(bad)?;
                Ok(Box::new(Linear::new(
                    Tensor::cat(&w, 0)?,
                    Some(Tensor::cat(&b, 0)?),
                )))
            };
        let gelu_linear =
            |vb: VarBuilder, rows: usize, cols: usize| -> Result<Proj, InferenceError> {
                let w = vb.get((rows, cols), "weight").map_err(bad)?;
                let b = vb.get(rows, "bias").map_err(bad)?;
                Ok(Box::new(GeluLinear(Linear::new(w, Some(b)))))
            };
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            let att = l.pp("attention");
            let s = att.pp("self");
            layers.push(Layer {
                qkv: linear(&[s.pp("query"), s.pp("key"), s.pp("value")], h, h)?,
                ao: linear(&[att.pp("output.dense")], h, h)?,
                aln: ln(att.pp("output.LayerNorm"))?,
                fi: gelu_linear(l.pp("intermediate.dense"), ff, h)?,
                fo: linear(&[l.pp("output.dense")], h, ff)?,
                oln: ln(l.pp("output.LayerNorm"))?,
            });
        }
        let e = vb.pp("embeddings");
        let word = e
            .get_unchecked_dtype("word_embeddings.weight", DType::F32)
            .map_err(bad)?;
        let pos = e
            .get(
                (cfg.max_position_embeddings, h),
                "position_embeddings.weight",
            )
            .map_err(bad)?;
        let token_type = e
            .get_unchecked_dtype("token_type_embeddings.weight", DType::F32)
            .map_err(bad)?
            .get(0)?;
        let emb_ln = ln(e.pp("LayerNorm"))?;
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "bert".into());
        Ok(BertSafetensorsEmbedder {
            id,
            options,
            tokenizer,
            cls,
            sep,
            word,
            pos,
            token_type,
            max_positions: cfg.max_position_embeddings,
            encoder: Encoder {
                hidden: h,
                heads: cfg.num_attention_heads,
                eps: cfg.layer_norm_eps,
                emb_ln,
                layers,
                device: device.clone(),
            },
            sha256,
        })
    }

    fn forward(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, InferenceError> {
        let h = self.encoder.hidden;
        let b = seqs.len();
        let l = seqs.iter().map(Vec::len).max().unwrap_or(0);
        let dev = &self.encoder.device;
        let mut ids = vec![0u32; b * l];
        let mut mask = vec![0f32; b * l];
        for (i, s) in seqs.iter().enumerate() {
            ids[i * l..i * l + s.len()].copy_from_slice(s);
            mask[i * l..i * l + s.len()]
                .iter_mut()
                .for_each(|m| *m = 1.0);
        }
        let ids = Tensor::from_vec(ids, b * l, dev)?;
        let words = self.word.index_select(&ids, 0)?.reshape((b, l, h))?;
        let pos = self.pos.narrow(0, 0, l)?.broadcast_add(&self.token_type)?;
        let emb = words.broadcast_add(&pos)?.flatten_all()?.to_vec1::<f32>()?;
        Ok(self.encoder.mean_pooled(emb, mask, b, l)?)
    }
}

/// The intermediate projection with its activation, as the encoder expects.
struct GeluLinear(Linear);

impl Module for GeluLinear {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        self.0.forward(xs)?.gelu_erf()
    }
}

impl Embedder for BertSafetensorsEmbedder {
    fn dim(&self) -> usize {
        self.encoder.hidden
    }

    fn embed(&self, texts: &[&str], kind: EmbedKind) -> Result<Vec<Vec<f32>>, InferenceError> {
        let prefix = match kind {
            EmbedKind::Query => &self.options.query_prefix,
            EmbedKind::Passage => &self.options.passage_prefix,
        };
        let wmax = self.max_positions - 2;
        let mut windows = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            if is_blank(text) {
                continue;
            }
            let enc = self
                .tokenizer
                .encode(format!("{prefix}{text}"), false)
                .map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
            for chunk in enc.get_ids().chunks(wmax) {
                let mut seq = Vec::with_capacity(chunk.len() + 2);
                seq.push(self.cls);
                seq.extend_from_slice(chunk);
                seq.push(self.sep);
                windows.push((i, chunk.len().max(1) as f32, seq));
            }
        }
        pool_windows(texts.len(), self.dim(), windows, 8192, |seqs| {
            self.forward(seqs)
        })
    }

    fn model_id(&self) -> &str {
        &self.id
    }

    fn model_sha256(&self) -> &str {
        &self.sha256
    }
}
