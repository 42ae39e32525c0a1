//! One decoder-only transformer for the GGUF architectures we run — `llama` (SmolLM2, Llama),
//! `qwen2` (llama + q/k/v biases) and `gemma3` — configured from the GGUF metadata.
//!
//! Gemma 3 differs from llama in: GELU-tanh instead of SiLU in the gated feed-forward; RMS norms
//! of each query and key head; norms after attention and after the feed-forward as well as
//! before; the embedding scaled by √hidden; sliding-window attention in five of every six layers,
//! whose RoPE base is 10,000 (global layers: the file's, 1,000,000). llama.cpp's converter stores
//! Gemma's norm weights with the `1 +` already added, so every norm here is a plain RMS norm.
//!
//! Memory: the token embedding stays quantized (rows are gathered and dequantized per token)
//! and is reused as the output projection when the file has none (tied); RoPE tables are built
//! once per base for the bounded context, shared by every layer.

use std::sync::Arc;

use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor};

use super::cpu::{self, CpuDecoder, CpuKv, Matrix, RopeTable};
use crate::error::InferenceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    Llama,
    Qwen2,
    Gemma3,
}

impl Arch {
    pub fn from_name(name: &str) -> Option<Arch> {
        match name {
            "llama" => Some(Arch::Llama),
            "qwen2" => Some(Arch::Qwen2),
            "gemma3" => Some(Arch::Gemma3),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Arch::Llama => "llama",
            Arch::Qwen2 => "qwen2",
            Arch::Gemma3 => "gemma3",
        }
    }
}

/// Shape and behaviour of a decoder, read from the GGUF metadata.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DecoderConfig {
    pub arch: Arch,
    pub n_layer: usize,
    pub hidden: usize,
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
    pub rms_eps: f64,
    pub rope_base: f32,
    /// Gemma 3's sliding-window layers use their own RoPE base.
    pub rope_base_local: f32,
    /// Linear RoPE scaling of the global layers (positions divided by it).
    pub rope_scale: f32,
    pub sliding_window: Option<usize>,
    /// The context the model was trained for.
    pub train_context: usize,
    /// The context this instance allows (KV cache and RoPE tables are bounded by it).
    pub context: usize,
}

impl DecoderConfig {
    pub fn from_gguf(content: &Content, max_context: usize) -> Result<DecoderConfig, String> {
        let arch_name = content
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .ok_or("no general.architecture in the GGUF metadata")?;
        let arch = Arch::from_name(arch_name).ok_or_else(|| {
            format!("architecture {arch_name:?} is not supported (llama, qwen2, gemma3 are)")
        })?;
        let key = |k: &str| format!("{arch_name}.{k}");
        let get = |k: &str| content.metadata.get(&key(k));
        let usize_of = |k: &str| -> Option<usize> {
            let v = get(k)?;
            v.to_u32()
                .map(|x| x as usize)
                .or_else(|_| v.to_u64().map(|x| x as usize))
                .or_else(|_| v.to_i32().map(|x| x as usize))
                .ok()
        };
        let f32_of = |k: &str| get(k).and_then(|v| v.to_f32().ok());
        let need = |k: &str| usize_of(k).ok_or_else(|| format!("no {} in the metadata", key(k)));
        let hidden = need("embedding_length")?;
        let n_head = need("attention.head_count")?;
        let n_kv_head = usize_of("attention.head_count_kv").unwrap_or(n_head);
        let head_dim = usize_of("attention.key_length").unwrap_or(hidden / n_head);
        let train_context = usize_of("context_length").unwrap_or(2048);
        let default_base = if arch == Arch::Gemma3 {
            1_000_000.0
        } else {
            10_000.0
        };
        let rope_base = f32_of("rope.freq_base").unwrap_or(default_base);
        let rope_scale = match get("rope.scaling.type").and_then(|v| v.to_string().ok()) {
            Some(t) if t == "linear" => f32_of("rope.scaling.factor").unwrap_or(1.0),
            Some(_) => 1.0,
            None => f32_of("rope.scaling.factor").unwrap_or(1.0),
        };
        let sliding_window = if arch == Arch::Gemma3 {
            usize_of("attention.sliding_window")
        } else {
            None
        };
        if n_head == 0 || n_kv_head == 0 || !n_head.is_multiple_of(n_kv_head) {
            return Err(format!("bad head counts {n_head}/{n_kv_head}"));
        }
        Ok(DecoderConfig {
            arch,
            n_layer: need("block_count")?,
            hidden,
            n_head,
            n_kv_head,
            head_dim,
            rms_eps: f32_of("attention.layer_norm_rms_epsilon").unwrap_or(1e-6) as f64,
            rope_base,
            rope_base_local: 10_000.0,
            rope_scale,
            sliding_window,
            train_context,
            context: train_context.min(max_context.max(16)),
        })
    }

    /// Gemma 3: every sixth layer attends globally, the others within the sliding window.
    pub fn is_local(&self, layer: usize) -> bool {
        self.sliding_window.is_some() && !(layer + 1).is_multiple_of(6)
    }
}

struct Rope {
    cos: Tensor,
    sin: Tensor,
}

impl Rope {
    fn new(table: &RopeTable, dev: &Device) -> candle_core::Result<Rope> {
        let (cos, sin) = table.tensors();
        Ok(Rope {
            cos: Tensor::from_vec(cos.to_vec(), (cos.len() / table.half(), table.half()), dev)?,
            sin: Tensor::from_vec(sin.to_vec(), (sin.len() / table.half(), table.half()), dev)?,
        })
    }
}

struct Linear {
    w: QMatMul,
    b: Option<Tensor>,
}

impl Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = self.w.forward(x)?;
        match &self.b {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

struct Layer {
    attn_norm: Tensor,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    q_norm: Option<Tensor>,
    k_norm: Option<Tensor>,
    post_attn_norm: Option<Tensor>,
    ffn_norm: Tensor,
    gate: QMatMul,
    up: QMatMul,
    down: QMatMul,
    post_ffn_norm: Option<Tensor>,
    local: bool,
}

/// The key/value cache of one sequence: per layer (k, v) of shape (1, kv_heads, len, head_dim).
#[derive(Clone, Default)]
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
    cpu: CpuKv,
    len: usize,
}

impl KvCache {
    /// Positions held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

pub struct Decoder {
    pub config: DecoderConfig,
    engine: Engine,
    device: Device,
    /// How many tensors were converted to Q8_0 at load.
    pub converted_to_q8: usize,
}

/// Which code runs the forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineChoice {
    /// Ours on the CPU (`cpu/`), candle's tensor ops elsewhere.
    #[default]
    Auto,
    /// candle's tensor ops everywhere (the reference the CPU engine is tested against).
    Candle,
}

enum Engine {
    Candle(CandleDecoder),
    Cpu(CpuDecoder),
}

/// The forward written in candle tensor ops: runs on any candle device.
struct CandleDecoder {
    embed: Arc<QTensor>,
    output: QMatMul,
    output_norm: Tensor,
    layers: Vec<Layer>,
    rope_global: Rope,
    rope_local: Option<Rope>,
    device: Device,
}

/// How the weights of the matrix products are held in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
    /// As stored in the file (candle quantizes the activations for each product, as llama.cpp
    /// does: Q8_0/Q8_1 blocks of 32 for the legacy types, Q8_K blocks of 256 for k-quants).
    Stored,
    /// As stored, except Q4_1/Q5_0/Q5_1 tensors, converted to Q8_0 on CPU (candle's kernels for
    /// those types are scalar) — unless our CPU engine's kernel takes them as they are (AVX-512
    /// VNNI), which it does exactly. The conversion rounds the weights a second time, and on
    /// AVX512-VNNI CPUs candle multiplies Q8_0 matrices whose rows are a multiple of 256 long
    /// with Q8_K activations (one scale per 256 values, llama.cpp has one per 32): greedy output
    /// parts from llama.cpp's at more near-ties than with [`Weights::Stored`]
    /// (`tests/generate_parity.rs`).
    ConvertSlow,
    /// Every matrix dequantized to f32: exact activations, no activation rounding. Slow and
    /// several times larger; for reference checks (the decoder's logic without quantization).
    F32,
}

/// Quant types whose candle CPU kernels are scalar: converted to Q8_0 once at load.
fn slow_on_cpu(dtype: GgmlDType) -> bool {
    matches!(dtype, GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1)
}

/// A matrix product's weights as the candle engine holds them.
fn candle_matmul(t: QTensor, weights: Weights, dev: &Device) -> candle_core::Result<QMatMul> {
    match weights {
        Weights::F32 => Ok(QMatMul::Tensor(t.dequantize(dev)?)),
        _ => QMatMul::from_arc(Arc::new(t)),
    }
}

/// A matrix product's weights as the CPU engine holds them.
fn cpu_matrix(t: QTensor, weights: Weights) -> candle_core::Result<Box<dyn Matrix>> {
    match weights {
        Weights::F32 => cpu::matrix(&QTensor::quantize(
            &t.dequantize(&Device::Cpu)?,
            GgmlDType::F32,
        )?),
        _ => cpu::matrix(&t),
    }
}

impl Decoder {
    /// Loads every tensor of `content` from `reader`, the matrices held as `weights` says, for
    /// the engine `engine` picks (ours on the CPU with [`EngineChoice::Auto`]).
    pub fn load<R: std::io::Read + std::io::Seek>(
        content: &Content,
        reader: &mut R,
        config: DecoderConfig,
        device: &Device,
        weights: Weights,
        engine: EngineChoice,
    ) -> Result<Decoder, InferenceError> {
        let mut converted = 0usize;
        let use_cpu = device.is_cpu() && engine == EngineChoice::Auto;
        // Our engine's kernel takes those types as they are, exactly.
        let convert_slow =
            weights == Weights::ConvertSlow && !(use_cpu && cpu::takes_legacy_types());
        let mut q = |name: &str| -> candle_core::Result<QTensor> {
            let t = content.tensor(reader, name, device)?;
            if convert_slow && device.is_cpu() && slow_on_cpu(t.dtype()) {
                let (_, cols) = t.shape().dims2()?;
                if cols.is_multiple_of(32) {
                    converted += 1;
                    return QTensor::quantize(&t.dequantize(device)?, GgmlDType::Q8_0);
                }
            }
            Ok(t)
        };
        let has = |name: &str| content.tensor_infos.contains_key(name);
        let table =
            |base: f32, scale: f32| RopeTable::new(base, scale, config.head_dim, config.context);
        let rope_global = table(config.rope_base, config.rope_scale);
        let rope_local = (config.arch == Arch::Gemma3).then(|| table(config.rope_base_local, 1.0));
        let engine = if use_cpu {
            let vector = |t: QTensor| -> candle_core::Result<Vec<f32>> {
                t.dequantize(&Device::Cpu)?.flatten_all()?.to_vec1::<f32>()
            };
            let embed = cpu_matrix(q("token_embd.weight")?, weights)?;
            let output = if has("output.weight") {
                Some(cpu_matrix(q("output.weight")?, weights)?)
            } else {
                None
            };
            let output_norm = vector(q("output_norm.weight")?)?;
            let mut layers = Vec::with_capacity(config.n_layer);
            for i in 0..config.n_layer {
                let p = |s: &str| format!("blk.{i}.{s}");
                let mut m = |s: &str| cpu_matrix(q(&p(&format!("{s}.weight")))?, weights);
                let (qm, km, vm, om) =
                    (m("attn_q")?, m("attn_k")?, m("attn_v")?, m("attn_output")?);
                let (gate, up, down) = (m("ffn_gate")?, m("ffn_up")?, m("ffn_down")?);
                let attn_norm = vector(q(&p("attn_norm.weight"))?)?;
                let ffn_norm = vector(q(&p("ffn_norm.weight"))?)?;
                let mut opt = |name: String| -> candle_core::Result<Option<Vec<f32>>> {
                    if has(&name) {
                        Ok(Some(vector(q(&name)?)?))
                    } else {
                        Ok(None)
                    }
                };
                let biases = (
                    opt(p("attn_q.bias"))?,
                    opt(p("attn_k.bias"))?,
                    opt(p("attn_v.bias"))?,
                );
                let qkv_bias = match biases {
                    (Some(bq), Some(bk), Some(bv)) => Some([bq, bk, bv]),
                    (None, None, None) => None,
                    _ => {
                        return Err(candle_core::Error::Msg(format!(
                            "layer {i} has biases on some of q, k, v only"
                        ))
                        .into());
                    }
                };
                layers.push(cpu::Layer {
                    attn_norm,
                    q: qm,
                    k: km,
                    v: vm,
                    o: om,
                    qkv_bias,
                    q_norm: opt(p("attn_q_norm.weight"))?,
                    k_norm: opt(p("attn_k_norm.weight"))?,
                    post_attn_norm: opt(p("post_attention_norm.weight"))?,
                    ffn_norm,
                    gate,
                    up,
                    down,
                    post_ffn_norm: opt(p("post_ffw_norm.weight"))?,
                });
            }
            Engine::Cpu(CpuDecoder::new(
                embed,
                output,
                output_norm,
                layers,
                rope_global,
                rope_local,
                crate::device::cpu_threads(),
            ))
        } else {
            let embed = Arc::new(q("token_embd.weight")?);
            let output = if has("output.weight") {
                candle_matmul(q("output.weight")?, weights, device)?
            } else {
                match weights {
                    Weights::F32 => QMatMul::Tensor(embed.dequantize(device)?),
                    _ => QMatMul::from_arc(embed.clone())?,
                }
            };
            let dense = |t: QTensor| t.dequantize(device);
            let output_norm = dense(q("output_norm.weight")?)?;
            let mut layers = Vec::with_capacity(config.n_layer);
            for i in 0..config.n_layer {
                let p = |s: &str| format!("blk.{i}.{s}");
                let mut lin = |s: &str| -> candle_core::Result<Linear> {
                    let w = candle_matmul(q(&p(&format!("{s}.weight")))?, weights, device)?;
                    let bname = p(&format!("{s}.bias"));
                    let b = if has(&bname) {
                        Some(q(&bname)?.dequantize(device)?)
                    } else {
                        None
                    };
                    Ok(Linear { w, b })
                };
                let (ql, kl, vl, ol) = (
                    lin("attn_q")?,
                    lin("attn_k")?,
                    lin("attn_v")?,
                    lin("attn_output")?,
                );
                let mut opt_norm = |s: &str| -> candle_core::Result<Option<Tensor>> {
                    let name = p(s);
                    if has(&name) {
                        Ok(Some(q(&name)?.dequantize(device)?))
                    } else {
                        Ok(None)
                    }
                };
                let q_norm = opt_norm("attn_q_norm.weight")?;
                let k_norm = opt_norm("attn_k_norm.weight")?;
                let post_attn_norm = opt_norm("post_attention_norm.weight")?;
                let post_ffn_norm = opt_norm("post_ffw_norm.weight")?;
                layers.push(Layer {
                    attn_norm: q(&p("attn_norm.weight"))?.dequantize(device)?,
                    q: ql,
                    k: kl,
                    v: vl,
                    o: ol,
                    q_norm,
                    k_norm,
                    post_attn_norm,
                    ffn_norm: q(&p("ffn_norm.weight"))?.dequantize(device)?,
                    gate: candle_matmul(q(&p("ffn_gate.weight"))?, weights, device)?,
                    up: candle_matmul(q(&p("ffn_up.weight"))?, weights, device)?,
                    down: candle_matmul(q(&p("ffn_down.weight"))?, weights, device)?,
                    post_ffn_norm,
                    local: config.is_local(i),
                });
            }
            Engine::Candle(CandleDecoder {
                embed,
                output,
                output_norm,
                layers,
                rope_global: Rope::new(&rope_global, device)?,
                rope_local: rope_local.map(|t| Rope::new(&t, device)).transpose()?,
                device: device.clone(),
            })
        };
        Ok(Decoder {
            config,
            engine,
            device: device.clone(),
            converted_to_q8: converted,
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Which engine runs the forward: `"cpu"` (ours) or `"candle"`.
    pub fn engine(&self) -> &'static str {
        match self.engine {
            Engine::Candle(_) => "candle",
            Engine::Cpu(_) => "cpu",
        }
    }

    pub fn new_cache(&self) -> KvCache {
        KvCache {
            layers: vec![None; self.config.n_layer],
            cpu: CpuKv::default(),
            len: 0,
        }
    }

    /// Runs `ids` (appended after what `cache` holds) and returns the logits of the last
    /// position, or of every position with `all_positions` — shape (positions, vocab), f32.
    pub fn forward(
        &self,
        ids: &[u32],
        cache: &mut KvCache,
        all_positions: bool,
    ) -> Result<Tensor, InferenceError> {
        let c = &self.config;
        let l = ids.len();
        let pos = cache.len;
        if l == 0 {
            return Err(InferenceError::Unavailable("no tokens to run".into()));
        }
        if pos + l > c.context {
            return Err(InferenceError::Unavailable(format!(
                "{} positions exceed the context of {}",
                pos + l,
                c.context
            )));
        }
        if cache.layers.len() != c.n_layer {
            *cache = self.new_cache();
        }
        let logits = match &self.engine {
            Engine::Candle(e) => e.forward(c, ids, cache, all_positions)?,
            Engine::Cpu(e) => {
                let rows = e.forward(c, ids, pos, &mut cache.cpu, all_positions);
                let n = rows.len() / e.vocab_size();
                Tensor::from_vec(rows, (n, e.vocab_size()), &self.device)?
            }
        };
        cache.len = pos + l;
        Ok(logits)
    }

    /// Vocabulary size of the output layer.
    pub fn vocab_size(&self) -> usize {
        match &self.engine {
            Engine::Candle(e) => e.embed.shape().dims()[0],
            Engine::Cpu(e) => e.vocab_size(),
        }
    }
}

impl CandleDecoder {
    /// [`Decoder::forward`] in tensor ops; `cache.len` is left for the caller to move.
    fn forward(
        &self,
        c: &DecoderConfig,
        ids: &[u32],
        cache: &mut KvCache,
        all_positions: bool,
    ) -> Result<Tensor, InferenceError> {
        let l = ids.len();
        let pos = cache.len;
        let ids_t = Tensor::new(ids, &self.device)?;
        let mut x = self.embed.embedding(&ids_t)?.unsqueeze(0)?; // (1, l, hidden)
        if c.arch == Arch::Gemma3 {
            x = (x * (c.hidden as f64).sqrt())?;
        }
        let rep = c.n_head / c.n_kv_head;
        let total = pos + l;
        let masks = self.masks(c, pos, l, rep)?;
        for (li, layer) in self.layers.iter().enumerate() {
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, c.rms_eps as f32)?;
            let q = layer.q.forward(&h)?;
            let k = layer.k.forward(&h)?;
            let v = layer.v.forward(&h)?;
            let q = q.reshape((1, l, c.n_head, c.head_dim))?.transpose(1, 2)?;
            let k = k
                .reshape((1, l, c.n_kv_head, c.head_dim))?
                .transpose(1, 2)?;
            let v = v
                .reshape((1, l, c.n_kv_head, c.head_dim))?
                .transpose(1, 2)?
                .contiguous()?;
            let (q, k) = match (&layer.q_norm, &layer.k_norm) {
                (Some(qn), Some(kn)) => (
                    candle_nn::ops::rms_norm(&q.contiguous()?, qn, c.rms_eps as f32)?,
                    candle_nn::ops::rms_norm(&k.contiguous()?, kn, c.rms_eps as f32)?,
                ),
                _ => (q.contiguous()?, k.contiguous()?),
            };
            let rope = match (&self.rope_local, layer.local) {
                (Some(r), true) => r,
                _ => &self.rope_global,
            };
            let cos = rope.cos.narrow(0, pos, l)?;
            let sin = rope.sin.narrow(0, pos, l)?;
            let (q, k) = if c.arch == Arch::Llama {
                (
                    candle_nn::rotary_emb::rope_i(&q, &cos, &sin)?,
                    candle_nn::rotary_emb::rope_i(&k, &cos, &sin)?,
                )
            } else {
                (
                    candle_nn::rotary_emb::rope(&q, &cos, &sin)?,
                    candle_nn::rotary_emb::rope(&k, &cos, &sin)?,
                )
            };
            let (k, v) = match &cache.layers[li] {
                Some((pk, pv)) => (Tensor::cat(&[pk, &k], 2)?, Tensor::cat(&[pv, &v], 2)?),
                None => (k, v),
            };
            cache.layers[li] = Some((k.clone(), v.clone()));
            // Keys a local layer can see at all: the last `window` before the newest query.
            let start = match (layer.local, c.sliding_window) {
                (true, Some(w)) => (pos + 1).saturating_sub(w),
                _ => 0,
            };
            let (k, v, start) = match start {
                0 => (k, v, 0),
                start => (
                    k.narrow(2, start, total - start)?.contiguous()?,
                    v.narrow(2, start, total - start)?.contiguous()?,
                    start,
                ),
            };
            // Grouped-query attention without copying keys: the `rep` query heads of one
            // key head are stacked as rows.
            let q = q.reshape((1, c.n_kv_head, rep * l, c.head_dim))?;
            let scale = 1.0 / (c.head_dim as f64).sqrt();
            let mut att = (q.matmul(&k.t()?)? * scale)?;
            let mask = if layer.local { &masks.1 } else { &masks.0 };
            if let Some(m) = mask {
                let m = m.narrow(1, start, total - start)?;
                att = att.broadcast_add(&m)?;
            }
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let y = att.matmul(&v)?; // (1, kv, rep*l, hd)
            let y = y
                .reshape((1, c.n_head, l, c.head_dim))?
                .transpose(1, 2)?
                .reshape((1, l, c.n_head * c.head_dim))?;
            let mut y = layer.o.forward(&y)?;
            if let Some(n) = &layer.post_attn_norm {
                y = candle_nn::ops::rms_norm(&y, n, c.rms_eps as f32)?;
            }
            x = (x + y)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, c.rms_eps as f32)?;
            let g = layer.gate.forward(&h)?;
            let g = if c.arch == Arch::Gemma3 {
                g.gelu()?
            } else {
                g.silu()?
            };
            let mut y = layer.down.forward(&(g * layer.up.forward(&h)?)?)?;
            if let Some(n) = &layer.post_ffn_norm {
                y = candle_nn::ops::rms_norm(&y, n, c.rms_eps as f32)?;
            }
            x = (x + y)?;
        }
        let x = if all_positions {
            x
        } else {
            x.narrow(1, l - 1, 1)?
        };
        let x = candle_nn::ops::rms_norm(&x, &self.output_norm, c.rms_eps as f32)?;
        let logits = self.output.forward(&x)?.squeeze(0)?;
        Ok(logits.to_dtype(DType::F32)?)
    }

    /// Additive masks (rows: the `rep` stacked heads × `l` queries; columns: all keys):
    /// (global, local). `None` where nothing is masked (one new token, inside the window).
    #[allow(clippy::type_complexity)]
    fn masks(
        &self,
        c: &DecoderConfig,
        pos: usize,
        l: usize,
        rep: usize,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let total = pos + l;
        let build = |window: Option<usize>| -> candle_core::Result<Option<Tensor>> {
            let mut any = false;
            let mut m = vec![0f32; l * total];
            for i in 0..l {
                let qp = pos + i;
                for t in 0..total {
                    let masked = t > qp || window.is_some_and(|w| qp - t.min(qp) >= w);
                    if masked {
                        m[i * total + t] = f32::NEG_INFINITY;
                        any = true;
                    }
                }
            }
            if !any {
                return Ok(None);
            }
            let m = Tensor::from_vec(m, (1, l, total), &self.device)?
                .broadcast_as((rep, l, total))?
                .reshape((rep * l, total))?;
            Ok(Some(m))
        };
        let global = build(None)?;
        let local = match c.sliding_window {
            Some(w) => build(Some(w))?,
            None => None,
        };
        Ok((global, local))
    }
}

impl Decoder {
    /// Fills `out` with the softmax-free logits row of `logits` (1-D or last row of 2-D).
    pub fn last_row(logits: &Tensor) -> Result<Vec<f32>, InferenceError> {
        let row = match logits.rank() {
            1 => logits.clone(),
            _ => logits.get(logits.dim(0)? - 1)?,
        };
        Ok(row.to_vec1::<f32>()?)
    }
}

/// Log-softmax of a logits row (numerically stable).
pub fn log_softmax(row: &[f32]) -> Vec<f32> {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = row.iter().map(|&x| (x - max).exp()).sum();
    let lse = max + sum.ln();
    row.iter().map(|&x| x - lse).collect()
}
