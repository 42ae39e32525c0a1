//! Text generation with GGUF models: the [`Generator`] trait and [`GgufGenerator`], which runs
//! any GGUF of a supported architecture (`gemma3`, `llama`, `qwen2`; read from the file's
//! metadata) with our own decoder ([`model`]) and a tokenizer rebuilt from the metadata
//! ([`tokenizer`]).
//!
//! Contract:
//! - Greedy decoding (temperature 0) is deterministic; sampling is deterministic per seed.
//! - The prompt gets the model's BOS token when the model asks for one. An empty prompt is run
//!   from the start-of-text token alone (BOS, else EOS), so it is a defined, ordinary request.
//! - A prompt longer than the context allows (context − `max_new_tokens`, at least half the
//!   context kept for the prompt) keeps its BOS and its **tail**; the dropped count is reported
//!   in [`Generation::truncated_prompt_tokens`]. Generation also stops when the context is full.
//! - Stop strings end the text before the stop string; streamed text never shows a stop string
//!   or the part of one, nor half a character.
//! - Constrained output: [`Generator::choose`] scores each option's tokens after the prompt
//!   (sum of log-probabilities); [`Generator::generate_json`] masks every token whose text would
//!   break the schema ([`json`]) and closes the value itself when the token limit is reached,
//!   so the result always parses.

mod cpu;
pub mod json;
pub mod model;
pub mod sample;
pub mod tokenizer;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use candle_core::Device;
use candle_core::quantized::gguf_file::Content;
use serde::Serialize;

pub use json::{JsonState, Schema};
pub use model::{Arch, Decoder, DecoderConfig, EngineChoice, KvCache, Weights};
pub use sample::{Rng, Sampling};
pub use tokenizer::GgufTokenizer;

use crate::device::DeviceChoice;
use crate::error::{InferenceError, ModelError};

/// One request's settings.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateOptions {
    pub max_new_tokens: usize,
    pub sampling: Sampling,
    /// Generation ends before the first of these strings.
    pub stop: Vec<String>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            max_new_tokens: 128,
            sampling: Sampling::greedy(),
            stop: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Finish {
    /// The model produced an end-of-text / end-of-turn token.
    EndToken,
    StopString,
    MaxTokens,
    /// The context is full.
    Context,
    /// The streaming callback asked to stop.
    Cancelled,
    /// A constrained value (JSON) is complete.
    Complete,
}

/// The result of one generation, with counts and timings.
#[derive(Debug, Clone, Serialize)]
pub struct Generation {
    pub text: String,
    /// Generated token ids (the end token, if any, excluded).
    pub tokens: Vec<u32>,
    /// Prompt tokens run (after truncation, BOS included).
    pub prompt_tokens: usize,
    /// Prompt tokens dropped from the front because the context was too short.
    pub truncated_prompt_tokens: usize,
    pub generated_tokens: usize,
    pub finish: Finish,
    pub prompt_ms: f64,
    pub generate_ms: f64,
    pub prompt_tokens_per_s: f64,
    /// Decode steps (one token each) per second.
    pub generate_tokens_per_s: f64,
}

/// One option's score in [`Generator::choose`].
#[derive(Debug, Clone, Serialize)]
pub struct OptionScore {
    pub option: String,
    pub tokens: usize,
    /// Sum of the log-probabilities of the option's tokens after the prompt.
    pub logprob: f64,
    pub mean_logprob: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    /// Index of the option with the highest `logprob`.
    pub best: usize,
    pub option: String,
    pub scores: Vec<OptionScore>,
    pub prompt_tokens: usize,
    pub truncated_prompt_tokens: usize,
}

/// JSON generated under a schema.
#[derive(Debug, Clone, Serialize)]
pub struct JsonGeneration {
    pub value: serde_json::Value,
    /// The text as generated (canonical layout).
    pub text: String,
    /// The token limit was reached and the value was closed by the grammar, not the model.
    pub forced_completion: bool,
    pub generation: Generation,
}

/// A local text generator. Implementations are shared across threads; each call has its own
/// KV cache.
pub trait Generator: Send + Sync {
    fn model_id(&self) -> &str;
    /// Positions available to one request (prompt + generated).
    fn context_length(&self) -> usize;
    /// Prompt token ids as the generator would run them (BOS included when the model wants it).
    fn tokenize(&self, text: &str) -> Result<Vec<u32>, InferenceError>;
    /// Generates after `prompt`, calling `on_text` with each new piece of text; `on_text`
    /// returning false stops the generation.
    fn generate_stream(
        &self,
        prompt: &str,
        opts: &GenerateOptions,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, InferenceError>;
    fn generate(&self, prompt: &str, opts: &GenerateOptions) -> Result<Generation, InferenceError> {
        self.generate_stream(prompt, opts, &mut |_| true)
    }
    /// The option most likely to follow `prompt`, by the log-likelihood of its tokens.
    fn choose(&self, prompt: &str, options: &[&str]) -> Result<Choice, InferenceError>;
    /// A JSON value following `schema`, always parseable.
    fn generate_json(
        &self,
        prompt: &str,
        schema: &Schema,
        opts: &GenerateOptions,
    ) -> Result<JsonGeneration, InferenceError>;
}

/// How a GGUF generator is loaded.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub device: DeviceChoice,
    /// Upper bound of the context (KV cache, RoPE tables); the model's own is used if smaller.
    pub max_context: usize,
    /// Convert Q4_1/Q5_0/Q5_1 tensors to Q8_0 on CPU (candle's kernels for those are scalar).
    /// Off with `ATZINUMS_KEEP_QUANTS` set.
    pub convert_slow_quants: bool,
    /// Dequantize every matrix to f32 ([`model::Weights::F32`]): exact arithmetic for
    /// reference checks; slow, and several times the memory. Overrides `convert_slow_quants`.
    pub f32_weights: bool,
    /// Check size and sha256 against `models.json` when the file is one of the manifest's.
    pub verify_checksum: bool,
    /// Which forward runs: ours on the CPU unless `ATZINUMS_DECODER=candle` (candle's tensor
    /// ops, the reference ours is tested against).
    pub engine: EngineChoice,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            device: DeviceChoice::Cpu,
            max_context: 4096,
            convert_slow_quants: std::env::var("ATZINUMS_KEEP_QUANTS").is_err(),
            f32_weights: false,
            verify_checksum: true,
            engine: match std::env::var("ATZINUMS_DECODER").as_deref() {
                Ok("candle") => EngineChoice::Candle,
                _ => EngineChoice::Auto,
            },
        }
    }
}

/// A GGUF model and its tokenizer.
pub struct GgufGenerator {
    id: String,
    path: PathBuf,
    pub decoder: Decoder,
    pub tokenizer: GgufTokenizer,
    token_texts: OnceLock<Vec<Option<String>>>,
    /// Seconds spent loading (file check, tensors, tokenizer).
    pub load_seconds: f64,
}

/// `count` per second of `secs` (0 for nothing done, and no division by zero).
fn per_second(count: usize, secs: f64) -> f64 {
    count as f64 / secs.max(1e-9)
}

fn malformed(path: &Path, reason: impl std::fmt::Display) -> InferenceError {
    ModelError::Malformed {
        path: path.into(),
        reason: reason.to_string(),
    }
    .into()
}

impl GgufGenerator {
    pub fn load(path: &Path, opts: &LoadOptions) -> Result<GgufGenerator, InferenceError> {
        let start = Instant::now();
        let name = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if opts.verify_checksum
            && let Some(file) = crate::manifest::Manifest::builtin().file(&name)
        {
            crate::setup::verify_file(path, file)?;
        }
        let mut f = std::fs::File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                InferenceError::Model(ModelError::Missing { path: path.into() })
            } else {
                InferenceError::Model(ModelError::Io {
                    path: path.into(),
                    source: e,
                })
            }
        })?;
        let mut reader = std::io::BufReader::new(&mut f);
        let content = Content::read(&mut reader).map_err(|e| malformed(path, e))?;
        let config =
            DecoderConfig::from_gguf(&content, opts.max_context).map_err(|e| malformed(path, e))?;
        let device: Device = opts.device.device()?;
        let decoder = Decoder::load(
            &content,
            &mut reader,
            config,
            &device,
            if opts.f32_weights {
                model::Weights::F32
            } else if opts.convert_slow_quants {
                model::Weights::ConvertSlow
            } else {
                model::Weights::Stored
            },
            opts.engine,
        )
        .map_err(|e| match e {
            InferenceError::Candle(c) => malformed(path, c),
            other => other,
        })?;
        let tokenizer = GgufTokenizer::from_gguf(&content)?;
        if tokenizer.vocab_size < decoder.vocab_size() {
            return Err(malformed(
                path,
                format!(
                    "the vocabulary has {} tokens, the embedding {} rows",
                    tokenizer.vocab_size,
                    decoder.vocab_size()
                ),
            ));
        }
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| decoder.config.arch.name().into());
        Ok(GgufGenerator {
            id,
            path: path.into(),
            decoder,
            tokenizer,
            token_texts: OnceLock::new(),
            load_seconds: start.elapsed().as_secs_f64(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn config(&self) -> &DecoderConfig {
        &self.decoder.config
    }

    fn token_texts(&self) -> &[Option<String>] {
        self.token_texts
            .get_or_init(|| self.tokenizer.token_texts())
    }

    /// Prompt ids: BOS as the model wants; an empty prompt is the start-of-text token alone.
    fn prompt_ids(&self, prompt: &str) -> Result<Vec<u32>, InferenceError> {
        let mut ids = self.tokenizer.encode(prompt, true)?;
        if ids.is_empty() {
            match self.tokenizer.bos.or(self.tokenizer.eos) {
                Some(t) => ids.push(t),
                None => {
                    return Err(InferenceError::Tokenizer(
                        "empty prompt and no BOS/EOS token".into(),
                    ));
                }
            }
        }
        Ok(ids)
    }

    /// Keeps BOS and the tail so that `reserve` positions stay free; returns the dropped count.
    fn fit_prompt(&self, ids: &mut Vec<u32>, reserve: usize) -> usize {
        let ctx = self.decoder.config.context;
        let keep = ctx.saturating_sub(reserve.min(ctx / 2)).max(1);
        if ids.len() <= keep {
            return 0;
        }
        let bos = self.tokenizer.bos.filter(|b| ids.first() == Some(b));
        let dropped = ids.len() - keep;
        match bos {
            Some(b) if keep >= 2 => {
                ids.drain(1..1 + dropped);
                ids[0] = b;
            }
            _ => {
                ids.drain(..dropped);
            }
        }
        dropped
    }

    /// Greedy or sampled generation from token ids (no truncation), for parity tests.
    pub fn generate_from_ids(
        &self,
        prompt_ids: &[u32],
        opts: &GenerateOptions,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, InferenceError> {
        let mut cache = self.decoder.new_cache();
        let t0 = Instant::now();
        let logits = self.decoder.forward(prompt_ids, &mut cache, false)?;
        let mut row = Decoder::last_row(&logits)?;
        let prompt_s = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let mut rng = Rng::new(opts.sampling.seed);
        let mut tokens: Vec<u32> = Vec::new();
        let mut emitted = 0usize; // bytes of `text` already streamed
        let mut text = String::new();
        let mut steps = 0usize;
        let max_stop = opts.stop.iter().map(String::len).max().unwrap_or(0);
        let finish = loop {
            if tokens.len() >= opts.max_new_tokens {
                break Finish::MaxTokens;
            }
            let next = if opts.sampling.is_greedy() {
                sample::argmax(&row)
            } else {
                let k = if opts.sampling.top_k == 0 {
                    row.len()
                } else {
                    opts.sampling.top_k
                };
                let cands = sample::top_ids(&row, k)
                    .into_iter()
                    .map(|i| (i, row[i as usize]))
                    .collect();
                sample::sample_from(cands, &opts.sampling, &mut rng).unwrap_or(0)
            };
            if self.tokenizer.end_ids.contains(&next) {
                break Finish::EndToken;
            }
            tokens.push(next);
            text = self.tokenizer.decode(&tokens)?;
            if let Some(at) = opts
                .stop
                .iter()
                .filter(|s| !s.is_empty())
                .filter_map(|s| text.find(s.as_str()))
                .min()
            {
                text.truncate(at);
                if at > emitted {
                    on_text(&text[emitted..at]);
                }
                emitted = at;
                break Finish::StopString;
            }
            // Stream what cannot become part of a stop string, and no half characters.
            let mut safe = text.len();
            if text.ends_with('\u{FFFD}') {
                safe -= '\u{FFFD}'.len_utf8();
            }
            let end = safe;
            for cut in end.saturating_sub(max_stop)..end {
                if text.is_char_boundary(cut)
                    && opts
                        .stop
                        .iter()
                        .any(|s| !s.is_empty() && s.starts_with(&text[cut..end]))
                {
                    safe = cut;
                    break;
                }
            }
            if safe > emitted && text.is_char_boundary(safe) && text.is_char_boundary(emitted) {
                let piece = &text[emitted..safe];
                emitted = safe;
                if !on_text(piece) {
                    break Finish::Cancelled;
                }
            }
            if cache.len() >= self.decoder.config.context {
                break Finish::Context;
            }
            if tokens.len() >= opts.max_new_tokens {
                break Finish::MaxTokens;
            }
            let logits = self.decoder.forward(&[next], &mut cache, false)?;
            row = Decoder::last_row(&logits)?;
            steps += 1;
        };
        if finish != Finish::StopString && finish != Finish::Cancelled && emitted < text.len() {
            let rest = text[emitted..].to_string();
            on_text(&rest);
        }
        let gen_s = t1.elapsed().as_secs_f64();
        Ok(Generation {
            generated_tokens: tokens.len(),
            tokens,
            text,
            prompt_tokens: prompt_ids.len(),
            truncated_prompt_tokens: 0,
            finish,
            prompt_ms: prompt_s * 1e3,
            generate_ms: gen_s * 1e3,
            prompt_tokens_per_s: per_second(prompt_ids.len(), prompt_s),
            generate_tokens_per_s: per_second(steps, gen_s),
        })
    }

    /// Logits of the last prompt position, with the cache after the prompt.
    fn run_prompt(&self, ids: &[u32]) -> Result<(Vec<f32>, KvCache, f64), InferenceError> {
        let mut cache = self.decoder.new_cache();
        let t0 = Instant::now();
        let logits = self.decoder.forward(ids, &mut cache, false)?;
        Ok((
            Decoder::last_row(&logits)?,
            cache,
            t0.elapsed().as_secs_f64(),
        ))
    }
}

impl Generator for GgufGenerator {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn context_length(&self) -> usize {
        self.decoder.config.context
    }

    fn tokenize(&self, text: &str) -> Result<Vec<u32>, InferenceError> {
        self.tokenizer.encode(text, true)
    }

    fn generate_stream(
        &self,
        prompt: &str,
        opts: &GenerateOptions,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, InferenceError> {
        let mut ids = self.prompt_ids(prompt)?;
        let dropped = self.fit_prompt(&mut ids, opts.max_new_tokens.max(1));
        let mut g = self.generate_from_ids(&ids, opts, on_text)?;
        g.truncated_prompt_tokens = dropped;
        Ok(g)
    }

    fn choose(&self, prompt: &str, options: &[&str]) -> Result<Choice, InferenceError> {
        if options.is_empty() {
            return Err(InferenceError::Unavailable(
                "no options to choose from".into(),
            ));
        }
        let option_ids: Vec<Vec<u32>> = options
            .iter()
            .map(|o| self.tokenizer.encode(o, false))
            .collect::<Result<_, _>>()?;
        if option_ids.iter().any(Vec::is_empty) {
            return Err(InferenceError::Unavailable("an option is empty".into()));
        }
        let longest = option_ids.iter().map(Vec::len).max().unwrap_or(1);
        let mut ids = self.prompt_ids(prompt)?;
        let dropped = self.fit_prompt(&mut ids, longest);
        let (row, cache, _) = self.run_prompt(&ids)?;
        let first = model::log_softmax(&row);
        let mut scores = Vec::new();
        for (o, oid) in options.iter().zip(&option_ids) {
            let mut lp = first[oid[0] as usize] as f64;
            if oid.len() > 1 {
                let mut c = cache.clone();
                let logits = self.decoder.forward(&oid[..oid.len() - 1], &mut c, true)?;
                let rows = logits.to_vec2::<f32>()?;
                for (r, &t) in rows.iter().zip(&oid[1..]) {
                    lp += model::log_softmax(r)[t as usize] as f64;
                }
            }
            scores.push(OptionScore {
                option: o.to_string(),
                tokens: oid.len(),
                logprob: lp,
                mean_logprob: lp / oid.len() as f64,
            });
        }
        let best =
            scores.iter().enumerate().fold(
                0,
                |b, (i, s)| if s.logprob > scores[b].logprob { i } else { b },
            );
        Ok(Choice {
            best,
            option: options[best].to_string(),
            scores,
            prompt_tokens: ids.len(),
            truncated_prompt_tokens: dropped,
        })
    }

    fn generate_json(
        &self,
        prompt: &str,
        schema: &Schema,
        opts: &GenerateOptions,
    ) -> Result<JsonGeneration, InferenceError> {
        let texts = self.token_texts();
        let mut ids = self.prompt_ids(prompt)?;
        let dropped = self.fit_prompt(&mut ids, opts.max_new_tokens.max(1));
        let (mut row, mut cache, prompt_s) = self.run_prompt(&ids)?;
        let t1 = Instant::now();
        let mut rng = Rng::new(opts.sampling.seed);
        let mut state = JsonState::new(schema);
        let mut text = String::new();
        let mut tokens = Vec::new();
        let mut steps = 0usize;
        let want = if opts.sampling.is_greedy() {
            1
        } else if opts.sampling.top_k == 0 {
            64
        } else {
            opts.sampling.top_k
        };
        while !state.is_complete()
            && tokens.len() < opts.max_new_tokens
            && cache.len() < self.decoder.config.context
        {
            // Candidates in logit order until enough of them keep the JSON valid.
            let mut valid: Vec<(u32, f32, JsonState)> = Vec::new();
            let mut looked = 0usize;
            for k in [256usize, 8192, row.len()] {
                let ranked = sample::top_ids(&row, k);
                for &id in &ranked[looked.min(ranked.len())..] {
                    if let Some(Some(t)) = texts.get(id as usize) {
                        let mut s = state.clone();
                        if s.feed_str(t) {
                            valid.push((id, row[id as usize], s));
                            if valid.len() >= want {
                                break;
                            }
                        }
                    }
                }
                looked = ranked.len();
                if valid.len() >= want || looked >= row.len() {
                    break;
                }
            }
            if valid.is_empty() {
                break;
            }
            let cands = valid.iter().map(|(i, l, _)| (*i, *l)).collect();
            let pick = sample::sample_from(cands, &opts.sampling, &mut rng).unwrap_or(valid[0].0);
            let (_, _, s) = valid
                .into_iter()
                .find(|(i, _, _)| *i == pick)
                .expect("picked from valid");
            state = s;
            text.push_str(texts[pick as usize].as_deref().unwrap_or(""));
            tokens.push(pick);
            if state.is_complete() || tokens.len() >= opts.max_new_tokens {
                break;
            }
            let logits = self.decoder.forward(&[pick], &mut cache, false)?;
            row = Decoder::last_row(&logits)?;
            steps += 1;
        }
        let forced = !state.is_complete();
        if forced {
            text.push_str(&state.completion());
        }
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            InferenceError::Unavailable(format!("constrained JSON did not parse: {e}"))
        })?;
        let gen_s = t1.elapsed().as_secs_f64();
        let generation = Generation {
            text: text.clone(),
            generated_tokens: tokens.len(),
            tokens,
            prompt_tokens: ids.len(),
            truncated_prompt_tokens: dropped,
            finish: if forced {
                Finish::MaxTokens
            } else {
                Finish::Complete
            },
            prompt_ms: prompt_s * 1e3,
            generate_ms: gen_s * 1e3,
            prompt_tokens_per_s: per_second(ids.len(), prompt_s),
            generate_tokens_per_s: per_second(steps, gen_s),
        };
        Ok(JsonGeneration {
            value,
            text,
            forced_completion: forced,
            generation,
        })
    }
}

/// The bundled generation models, by short name: `gemma` (gemma-3-270m, base) and `smollm`
/// (SmolLM2-135M-Instruct). Anything else is taken as a path to a GGUF file.
pub fn resolve_model(data_dir: &Path, name: &str) -> PathBuf {
    let models = crate::setup::models_dir(data_dir);
    match name {
        "gemma" | "gemma3" | "gemma-3-270m" => models.join("gemma-3-270m-q4_k_m.gguf"),
        "smollm" | "smollm2" | "SmolLM2-135M-Instruct" => {
            models.join("SmolLM2-135M-Instruct.Q4_1.gguf")
        }
        other => PathBuf::from(other),
    }
}
