//! The tokenizer of a GGUF model, rebuilt from its `tokenizer.ggml.*` metadata with the
//! `tokenizers` crate, on every load (see `from_gguf` for why it is not cached).
//!
//! Two families:
//! - `gpt2` (llama 3, SmolLM2, qwen2): byte-level BPE with the file's merges; the pre-tokenizer
//!   regexes are chosen by `tokenizer.ggml.pre` the way llama.cpp chooses them.
//! - `llama` (SentencePiece, Gemma): llama.cpp merges adjacent pieces by the score of the merged
//!   piece; that is BPE whose merge ranks are the merged pieces ordered by score, so the merges
//!   are derived from the vocabulary (every split of a piece into two pieces), spaces become `▁`,
//!   and characters outside the vocabulary fall back to `<0xNN>` byte pieces.
//!
//! Control tokens (`<bos>`, `<start_of_turn>`, `<|im_start|>` …) are matched in text as special
//! tokens, user-defined ones as plain added tokens, as llama.cpp does with `parse_special`.

use std::collections::HashMap;

use candle_core::quantized::gguf_file::{Content, Value};
use tokenizers::decoders::DecoderWrapper;
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::decoders::strip::Strip;
use tokenizers::models::bpe::BPE;
use tokenizers::normalizers::{NormalizerWrapper, Prepend, Replace, Sequence as NormSequence};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence as PreSequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, SplitDelimiterBehavior, Tokenizer};

use crate::error::InferenceError;

const TYPE_NORMAL: i32 = 1;
const TYPE_CONTROL: i32 = 3;
const TYPE_USER_DEFINED: i32 = 4;

/// Texts of end-of-turn control tokens that also end a generation (as llama.cpp treats them).
const END_OF_TURN: &[&str] = &[
    "<end_of_turn>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<|end|>",
    "</s>",
    "<eos>",
];

/// A GGUF model's tokenizer plus the special ids the generator needs.
pub struct GgufTokenizer {
    inner: Tokenizer,
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    pub add_bos: bool,
    /// Tokens that end a generation: eos, eot and end-of-turn control tokens.
    pub end_ids: Vec<u32>,
    /// Control tokens (never part of plain text output).
    pub control: Vec<bool>,
    pub vocab_size: usize,
    /// SentencePiece-style (`▁` for spaces, byte pieces) rather than byte-level BPE.
    pub spm: bool,
}

fn meta<'a>(c: &'a Content, key: &str) -> Option<&'a Value> {
    c.metadata.get(key)
}

fn meta_u32(c: &Content, key: &str) -> Option<u32> {
    meta(c, key).and_then(|v| {
        v.to_u32()
            .ok()
            .or_else(|| v.to_i32().ok().map(|x| x as u32))
    })
}

fn meta_bool(c: &Content, key: &str) -> Option<bool> {
    meta(c, key).and_then(|v| v.to_bool().ok())
}

fn meta_str<'a>(c: &'a Content, key: &str) -> Option<&'a str> {
    meta(c, key)
        .and_then(|v| v.to_string().ok())
        .map(String::as_str)
}

fn meta_strings(c: &Content, key: &str) -> Result<Vec<String>, String> {
    let v = meta(c, key).ok_or_else(|| format!("no {key} in the GGUF metadata"))?;
    v.to_vec()
        .map_err(|e| format!("{key}: {e}"))?
        .iter()
        .map(|x| x.to_string().cloned().map_err(|e| format!("{key}: {e}")))
        .collect()
}

fn meta_numbers<T>(c: &Content, key: &str, f: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    let v = meta(c, key)?.to_vec().ok()?;
    v.iter().map(f).collect()
}

/// GPT-2's pre-tokenizer pattern.
const RE_GPT2: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
/// Llama 3's (numbers in groups of up to three).
const RE_LLAMA3: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Qwen 2's (single digits).
const RE_QWEN2: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The split patterns of a byte-level BPE, by `tokenizer.ggml.pre`.
fn bpe_patterns(pre: &str) -> Vec<&'static str> {
    match pre {
        "smollm" | "starcoder" | "refact" | "command-r" | "codeshell" | "exaone" | "minerva" => {
            vec![r"\p{N}", RE_GPT2]
        }
        "llama3" | "llama-bpe" | "falcon3" | "pixtral" | "dbrx" | "smaug-bpe" => vec![RE_LLAMA3],
        "qwen2" | "deepseek-r1-qwen" | "stablelm2" | "megrez" | "hunyuan" => vec![RE_QWEN2],
        _ => vec![RE_GPT2],
    }
}

impl GgufTokenizer {
    /// Builds the tokenizer of `content`.
    pub fn from_gguf(content: &Content) -> Result<GgufTokenizer, InferenceError> {
        let err = |m: String| InferenceError::Tokenizer(m);
        let tokens = meta_strings(content, "tokenizer.ggml.tokens").map_err(err)?;
        let n = tokens.len();
        let types: Vec<i32> = meta_numbers(content, "tokenizer.ggml.token_type", |v| {
            v.to_i32()
                .ok()
                .or_else(|| v.to_u32().ok().map(|x| x as i32))
        })
        .unwrap_or_else(|| vec![TYPE_NORMAL; n]);
        if types.len() != n {
            return Err(err("token_type and tokens differ in length".into()));
        }
        let model = meta_str(content, "tokenizer.ggml.model").unwrap_or("llama");
        let spm = model == "llama";
        let bos = meta_u32(content, "tokenizer.ggml.bos_token_id");
        let eos = meta_u32(content, "tokenizer.ggml.eos_token_id");
        let eot = meta_u32(content, "tokenizer.ggml.eot_token_id");
        let add_bos = meta_bool(content, "tokenizer.ggml.add_bos_token").unwrap_or(spm);
        let mut end_ids: Vec<u32> = [eos, eot].into_iter().flatten().collect();
        for (i, t) in tokens.iter().enumerate() {
            if types[i] == TYPE_CONTROL && END_OF_TURN.contains(&t.as_str()) {
                end_ids.push(i as u32);
            }
        }
        end_ids.sort_unstable();
        end_ids.dedup();
        let control = types.iter().map(|&t| t == TYPE_CONTROL).collect();

        // Built on every load, not cached as JSON: reading gemma-3's 14 MB `tokenizer.json`
        // back through `tokenizers`' serde took the load's peak from 464 to 787 MB and saved
        // no CPU time (SmolLM2's build costs 0.12 s more than its cache did).
        let inner = if spm {
            build_spm(content, &tokens, &types).map_err(err)?
        } else {
            build_bpe(content, &tokens, &types).map_err(err)?
        };
        Ok(GgufTokenizer {
            inner,
            bos,
            eos,
            add_bos,
            end_ids,
            control,
            vocab_size: n,
            spm,
        })
    }

    /// Token ids of `text`; with `add_bos` (and a model that wants one) the BOS token first.
    /// Control-token texts in `text` become those tokens.
    pub fn encode(&self, text: &str, add_bos: bool) -> Result<Vec<u32>, InferenceError> {
        let mut ids = Vec::new();
        if add_bos
            && self.add_bos
            && let Some(b) = self.bos
        {
            ids.push(b);
        }
        if !text.is_empty() {
            let enc = self
                .inner
                .encode(text, false)
                .map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
            ids.extend_from_slice(enc.get_ids());
        }
        Ok(ids)
    }

    /// Text of `ids`, control tokens left out.
    pub fn decode(&self, ids: &[u32]) -> Result<String, InferenceError> {
        self.inner
            .decode(ids, true)
            .map_err(|e| InferenceError::Tokenizer(e.to_string()))
    }

    pub fn is_control(&self, id: u32) -> bool {
        self.control.get(id as usize).copied().unwrap_or(false)
    }

    /// The text each token adds when it follows other text, `None` for control tokens and for
    /// pieces that are not whole characters (byte pieces, partial UTF-8).
    pub fn token_texts(&self) -> Vec<Option<String>> {
        (0..self.vocab_size as u32)
            .map(|id| {
                if self.is_control(id) {
                    return None;
                }
                let text = if self.spm {
                    let piece = self.inner.id_to_token(id)?;
                    if piece.starts_with("<0x") && piece.len() == 6 {
                        return None;
                    }
                    piece.replace('▁', " ")
                } else {
                    self.inner.decode(&[id], false).ok()?
                };
                (!text.is_empty() && !text.contains('\u{FFFD}')).then_some(text)
            })
            .collect()
    }

    /// The underlying `tokenizers` tokenizer.
    pub fn inner(&self) -> &Tokenizer {
        &self.inner
    }
}

fn added_tokens(tokens: &[String], types: &[i32]) -> Vec<AddedToken> {
    tokens
        .iter()
        .zip(types)
        .filter(|(t, ty)| (**ty == TYPE_CONTROL || **ty == TYPE_USER_DEFINED) && !t.is_empty())
        .map(|(t, ty)| {
            let special = *ty == TYPE_CONTROL;
            AddedToken::from(t.clone(), special).normalized(false)
        })
        .collect()
}

fn build_bpe(content: &Content, tokens: &[String], types: &[i32]) -> Result<Tokenizer, String> {
    let merges = meta_strings(content, "tokenizer.ggml.merges")?;
    let merges: Vec<(String, String)> = merges
        .iter()
        .map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| format!("malformed merge {m:?}"))
        })
        .collect::<Result<_, _>>()?;
    let vocab: HashMap<String, u32> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let bpe = BPE::builder()
        .vocab_and_merges(
            vocab
                .into_iter()
                .collect::<tokenizers::models::bpe::Vocab>(),
            merges,
        )
        .build()
        .map_err(|e| e.to_string())?;
    let mut tok = Tokenizer::new(bpe);
    let pre = meta_str(content, "tokenizer.ggml.pre").unwrap_or("default");
    let mut seq: Vec<PreTokenizerWrapper> = Vec::new();
    for pattern in bpe_patterns(pre) {
        let split = Split::new(
            SplitPattern::Regex(pattern.to_string()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(|e| e.to_string())?;
        seq.push(split.into());
    }
    seq.push(ByteLevel::new(false, false, false).into());
    tok.with_pre_tokenizer(Some(PreSequence::new(seq)));
    tok.with_decoder(Some(ByteLevelDecoder::default()));
    tok.add_tokens(&added_tokens(tokens, types));
    Ok(tok)
}

fn build_spm(content: &Content, tokens: &[String], types: &[i32]) -> Result<Tokenizer, String> {
    let scores: Vec<f32> = meta_numbers(content, "tokenizer.ggml.scores", |v| v.to_f32().ok())
        .ok_or("no tokenizer.ggml.scores in the GGUF metadata")?;
    if scores.len() != tokens.len() {
        return Err("scores and tokens differ in length".into());
    }
    let mut vocab: HashMap<String, u32> = HashMap::with_capacity(tokens.len());
    for (i, t) in tokens.iter().enumerate() {
        vocab.entry(t.clone()).or_insert(i as u32);
    }
    // Pieces that can take part in merges: text pieces, not bytes, controls or unused slots.
    let mergeable = |id: u32| {
        let ty = types[id as usize];
        ty == TYPE_NORMAL || ty == TYPE_USER_DEFINED
    };
    let mut merges: Vec<(f32, u32, u32, u32)> = Vec::new();
    for (id, piece) in tokens.iter().enumerate() {
        let id = id as u32;
        if !mergeable(id) || vocab.get(piece) != Some(&id) {
            continue;
        }
        for (split, _) in piece.char_indices().skip(1) {
            let (l, r) = piece.split_at(split);
            if let (Some(&li), Some(&ri)) = (vocab.get(l), vocab.get(r))
                && mergeable(li)
                && mergeable(ri)
            {
                merges.push((scores[id as usize], id, li, ri));
            }
        }
    }
    // Higher score first; equal scores keep the vocabulary order (llama.cpp takes the leftmost
    // pair on ties, which a rank cannot express; SentencePiece scores are distinct in practice).
    merges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let merges: Vec<(String, String)> = merges
        .into_iter()
        .map(|(_, _, l, r)| (tokens[l as usize].clone(), tokens[r as usize].clone()))
        .collect();
    let unk = meta_u32(content, "tokenizer.ggml.unknown_token_id")
        .and_then(|i| tokens.get(i as usize).cloned());
    let mut builder = BPE::builder()
        .vocab_and_merges(
            vocab
                .into_iter()
                .collect::<tokenizers::models::bpe::Vocab>(),
            merges,
        )
        .byte_fallback(true)
        .fuse_unk(true);
    if let Some(unk) = unk {
        builder = builder.unk_token(unk);
    }
    let bpe = builder.build().map_err(|e| e.to_string())?;
    let mut tok = Tokenizer::new(bpe);
    let add_space = meta_bool(content, "tokenizer.ggml.add_space_prefix").unwrap_or(true);
    let mut norms: Vec<NormalizerWrapper> = Vec::new();
    if add_space {
        norms.push(Prepend::new("▁".into()).into());
    }
    norms.push(Replace::new(" ", "▁").map_err(|e| e.to_string())?.into());
    tok.with_normalizer(Some(NormSequence::new(norms)));
    let mut decoders: Vec<DecoderWrapper> = vec![
        Replace::new("▁", " ").map_err(|e| e.to_string())?.into(),
        ByteFallback::new().into(),
        Fuse::new().into(),
    ];
    if add_space {
        decoders.push(Strip::new(' ', 1, 0).into());
    }
    tok.with_decoder(Some(DecoderSequence::new(decoders)));
    tok.add_tokens(&added_tokens(tokens, types));
    Ok(tok)
}
