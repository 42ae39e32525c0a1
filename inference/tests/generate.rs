//! The generator's contract on the bundled SmolLM2 (and gemma-3 where it matters): bad model
//! files, over-long and empty prompts, streaming, stop strings, seeded sampling, constrained
//! choice and JSON, KV-cache consistency. Models are set up on first use.

mod common;

use std::io::Write;
use std::sync::OnceLock;

use atzinums_inference::InferenceError;
use atzinums_inference::generate::{
    Decoder, EngineChoice, Finish, GenerateOptions, Generator, GgufGenerator, LoadOptions,
    Sampling, Schema,
};
use common::{GEMMA, SMOLLM, generate_models, load_generator};

fn fast_load() -> LoadOptions {
    common::test_load(512)
}

fn smollm() -> &'static GgufGenerator {
    static G: OnceLock<GgufGenerator> = OnceLock::new();
    G.get_or_init(|| load_generator(SMOLLM, &fast_load()))
}

fn greedy(n: usize) -> GenerateOptions {
    GenerateOptions {
        max_new_tokens: n,
        ..GenerateOptions::default()
    }
}

fn assert_names_file_and_setup(err: &InferenceError, file: &std::path::Path) {
    let msg = err.to_string();
    assert!(
        msg.contains(&file.display().to_string()),
        "error does not name the file: {msg}"
    );
    assert!(
        msg.contains("atzinums setup"),
        "error gives no remedy: {msg}"
    );
}

#[test]
fn missing_model_file_names_it_and_the_remedy() {
    let dir = tempfile::tempdir().unwrap();
    for name in [SMOLLM, "some-other.gguf"] {
        let path = dir.path().join(name);
        let err = GgufGenerator::load(&path, &LoadOptions::default())
            .err()
            .expect("missing file must fail");
        assert_names_file_and_setup(&err, &path);
        assert!(err.to_string().contains("missing"), "{err}");
    }
}

#[test]
fn truncated_and_tampered_model_files_are_refused() {
    let src = std::fs::read(generate_models().join(SMOLLM)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Truncated, under the manifest's name: the size check says so.
    let path = dir.path().join(SMOLLM);
    std::fs::write(&path, &src[..src.len() / 3]).unwrap();
    let err = GgufGenerator::load(&path, &LoadOptions::default())
        .err()
        .expect("truncated file must fail");
    assert_names_file_and_setup(&err, &path);
    assert!(err.to_string().contains("truncated"), "{err}");
    // The same without the checksum step: the GGUF reader finds the tensors cut off.
    let err = GgufGenerator::load(&path, &fast_load())
        .err()
        .expect("truncated file must fail");
    assert_names_file_and_setup(&err, &path);
    // Same size, one byte changed in the middle: the checksum catches it.
    let mut bad = src.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x55;
    std::fs::write(&path, &bad).unwrap();
    let err = GgufGenerator::load(&path, &LoadOptions::default())
        .err()
        .expect("tampered file must fail");
    assert_names_file_and_setup(&err, &path);
    assert!(err.to_string().contains("checksum"), "{err}");
    // A file that is not GGUF at all, under another name (no manifest entry).
    let other = dir.path().join("not-a-model.gguf");
    let mut f = std::fs::File::create(&other).unwrap();
    f.write_all(b"this is not a gguf file at all").unwrap();
    let err = GgufGenerator::load(&other, &LoadOptions::default())
        .err()
        .expect("garbage must fail");
    assert_names_file_and_setup(&err, &other);
}

#[test]
fn overlong_prompt_keeps_its_tail() {
    let g = smollm();
    let ctx = g.context_length();
    let sentence = "The patient reports chronic back pain that limits walking. ";
    let prompt = sentence.repeat(ctx / 8);
    let n_prompt = g.tokenize(&prompt).unwrap().len();
    assert!(n_prompt > ctx, "{n_prompt} tokens for a context of {ctx}");
    let out = g.generate(&prompt, &greedy(8)).unwrap();
    assert!(out.truncated_prompt_tokens > 0);
    assert_eq!(out.prompt_tokens + out.truncated_prompt_tokens, n_prompt);
    assert!(out.prompt_tokens + out.generated_tokens <= ctx);
    // The tail is what was kept: the same result as giving the tail alone.
    let ids = g.tokenize(&prompt).unwrap();
    let tail = &ids[out.truncated_prompt_tokens..];
    let direct = g
        .generate_from_ids(tail, &greedy(8), &mut |_| true)
        .unwrap();
    assert_eq!(direct.tokens, out.tokens);
    // A long constrained request is cut the same way, without a panic.
    let choice = g.choose(&prompt, &[" yes", " no"]).unwrap();
    assert!(choice.truncated_prompt_tokens > 0);
}

#[test]
fn empty_prompt_is_a_defined_request() {
    let g = smollm();
    let a = g.generate("", &greedy(6)).unwrap();
    assert_eq!(a.prompt_tokens, 1, "run from the start-of-text token alone");
    let b = g.generate("", &greedy(6)).unwrap();
    assert_eq!(a.tokens, b.tokens);
    let c = g.choose("", &["a", "b"]).unwrap();
    assert_eq!(c.scores.len(), 2);
    assert!(g.choose("x", &[]).is_err());
    assert!(g.choose("x", &["a", ""]).is_err());
}

#[test]
fn streaming_pieces_add_up_and_stop_strings_cut() {
    let g = smollm();
    let prompt =
        "<|im_start|>user\nList three fruits, one per line.<|im_end|>\n<|im_start|>assistant\n";
    let mut pieces = Vec::new();
    let full = g
        .generate_stream(prompt, &greedy(40), &mut |p| {
            pieces.push(p.to_string());
            true
        })
        .unwrap();
    assert!(full.generated_tokens > 3, "{full:?}");
    assert!(pieces.len() > 1);
    assert_eq!(pieces.concat(), full.text);
    // Stop at a piece of the text that the model wrote: the text ends right before it.
    let words: Vec<&str> = full.text.split_whitespace().collect();
    assert!(words.len() >= 2, "{:?}", full.text);
    let stop = words[1].to_string();
    let at = full.text.find(&stop).unwrap();
    let mut streamed = String::new();
    let opts = GenerateOptions {
        stop: vec![stop.clone()],
        ..greedy(40)
    };
    let cut = g
        .generate_stream(prompt, &opts, &mut |p| {
            streamed.push_str(p);
            true
        })
        .unwrap();
    assert_eq!(cut.finish, Finish::StopString);
    assert_eq!(cut.text, &full.text[..at]);
    assert_eq!(
        streamed, cut.text,
        "streamed text shows no part of the stop string"
    );
    // The callback can cancel.
    let mut n = 0;
    let cancelled = g
        .generate_stream(prompt, &greedy(40), &mut |_| {
            n += 1;
            n < 2
        })
        .unwrap();
    assert_eq!(cancelled.finish, Finish::Cancelled);
    assert!(cancelled.generated_tokens < full.generated_tokens);
}

#[test]
fn sampling_is_reproducible_per_seed() {
    let g = smollm();
    let opts = |seed| GenerateOptions {
        max_new_tokens: 16,
        sampling: Sampling {
            temperature: 1.0,
            top_k: 50,
            top_p: 0.95,
            seed,
        },
        stop: vec![],
    };
    let prompt = "Once upon a time";
    let a = g.generate(prompt, &opts(1)).unwrap();
    assert_eq!(a.tokens, g.generate(prompt, &opts(1)).unwrap().tokens);
    let others: Vec<Vec<u32>> = (2..6)
        .map(|s| g.generate(prompt, &opts(s)).unwrap().tokens)
        .collect();
    assert!(
        others.iter().any(|t| *t != a.tokens),
        "seeds change nothing"
    );
    assert!(a.generate_tokens_per_s > 0.0 && a.prompt_ms > 0.0);
}

#[test]
fn choice_scores_are_the_teacher_forced_log_likelihoods() {
    let g = smollm();
    let prompt = "The capital of France is";
    let options = [" Paris", " Riga", " a banana split"];
    let c = g.choose(prompt, &options).unwrap();
    assert_eq!(c.option, " Paris", "{c:?}");
    // Recompute one option's log-likelihood from one full forward pass.
    let p = g.tokenize(prompt).unwrap();
    let o = g.tokenizer.encode(options[2], false).unwrap();
    let all: Vec<u32> = p.iter().chain(&o).copied().collect();
    let mut cache = g.decoder.new_cache();
    let rows = g
        .decoder
        .forward(&all, &mut cache, true)
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let mut lp = 0.0f64;
    for (i, &t) in o.iter().enumerate() {
        let row = &rows[p.len() - 1 + i];
        lp += atzinums_inference::generate::model::log_softmax(row)[t as usize] as f64;
    }
    let ours = c.scores[2].logprob;
    assert!((ours - lp).abs() < 0.05, "cached {ours} vs full {lp}");
}

fn schema() -> Schema {
    Schema::from_json(&serde_json::json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 30},
            "age": {"type": "integer", "minimum": 18, "maximum": 99},
            "colour": {"enum": ["red", "green", "blue"]},
            "member": {"type": "boolean"}
        }
    }))
    .unwrap()
}

fn check_value(v: &serde_json::Value) {
    let age = v["age"].as_i64().expect("age");
    assert!((18..=99).contains(&age), "{v}");
    assert!(
        ["red", "green", "blue"].contains(&v["colour"].as_str().unwrap()),
        "{v}"
    );
    assert!(v["member"].is_boolean(), "{v}");
    assert!(v["name"].as_str().unwrap().chars().count() <= 30, "{v}");
}

#[test]
fn json_output_follows_the_schema_and_always_parses() {
    let g = smollm();
    let prompt = "<|im_start|>user\nDescribe a person as JSON with name, age, favourite colour and membership.<|im_end|>\n<|im_start|>assistant\n";
    let out = g.generate_json(prompt, &schema(), &greedy(60)).unwrap();
    check_value(&out.value);
    assert_eq!(out.generation.finish, Finish::Complete, "{}", out.text);
    assert!(!out.forced_completion);
    // Cut short: closed by the grammar, still valid.
    for n in [0, 1, 3, 7] {
        let out = g.generate_json(prompt, &schema(), &greedy(n)).unwrap();
        assert!(out.forced_completion || out.generation.finish == Finish::Complete);
        check_value(&out.value);
    }
    // Sampled: valid too.
    let sampled = GenerateOptions {
        max_new_tokens: 60,
        sampling: Sampling {
            temperature: 1.2,
            top_k: 40,
            top_p: 1.0,
            seed: 3,
        },
        stop: vec![],
    };
    check_value(&g.generate_json(prompt, &schema(), &sampled).unwrap().value);
}

/// Largest |Δlogit| between decoding `ids[split..]` one token at a time after a pass over
/// `ids[..split]` (KV cache, masks and RoPE at an offset) and one pass over all of `ids`.
fn incremental_vs_full(dec: &Decoder, ids: &[u32], split: usize) -> f32 {
    let rows = dec
        .forward(ids, &mut dec.new_cache(), true)
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let mut cache = dec.new_cache();
    let _ = dec.forward(&ids[..split], &mut cache, false).unwrap();
    let mut worst = 0f32;
    for (i, &t) in ids.iter().enumerate().skip(split) {
        let row = Decoder::last_row(&dec.forward(&[t], &mut cache, false).unwrap()).unwrap();
        assert_eq!(cache.len(), i + 1);
        let diff = row
            .iter()
            .zip(&rows[i])
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        worst = worst.max(diff);
    }
    worst
}

/// f32 weights ([`LoadOptions::f32_weights`]): the comparison is run without quantized
/// activations, so the two ways of computing the same logits may differ only by f32 rounding.
///
/// Why not the quantized weights: candle (like llama.cpp) rounds the activations to 8-bit blocks
/// before every quantized product, and that rounding amplifies any f32-level difference — here,
/// the attention of one query against the cache versus a row of the batched attention — until it
/// is the size of the quantization noise itself: up to ~1 logit over a 49k/262k vocabulary
/// (measured: SmolLM2 0.97, gemma-3 1.27 max |Δlogit|). A numpy reference shows the same (a 1e-7
/// relative change of the embeddings moves SmolLM2's logits by 0.81 with Q8_0 activations, by
/// 5e-5 without). The quantized products themselves do not depend on the batch: a row of a
/// batched pass is bit-identical whether the batch has 33 or 34 rows.
///
/// Tolerance: measured f32 noise is 6.4e-5 (SmolLM2), 6.8e-5 (gemma-3, window 512) and up to
/// 5.5e-4 (gemma-3 with the window shrunk to 5; a numpy f32 reference shows the same growth,
/// 1.1e-4 against our 1.6e-4 on a same input). The bugs this is for are orders of magnitude
/// larger: a window of 6 instead of 5 moves gemma-3's logits by 2.9–10.7 at every position.
const F32_TOLERANCE: f32 = 2e-3;

fn f32_load() -> LoadOptions {
    LoadOptions {
        f32_weights: true,
        ..common::test_load(64)
    }
}

#[test]
fn incremental_decoding_matches_a_full_forward() {
    let g = load_generator(SMOLLM, &f32_load());
    let ids = g
        .tokenize("Invaliditāte noteikta uz 2 gadiem, pacients pārvietojas ar ratiņkrēslu.")
        .unwrap();
    assert!(ids.len() > 20, "{}", ids.len());
    let diff = incremental_vs_full(&g.decoder, &ids, ids.len() / 2);
    eprintln!(
        "{} tokens: incremental vs full, max |Δlogit| {diff}",
        ids.len()
    );
    assert!(diff < F32_TOLERANCE, "max |Δlogit| {diff}");
    // Rows of a batched pass do not see later tokens (the causal mask): the same prefix with
    // one more token gives the same rows.
    let mut longer = ids.clone();
    longer.push(ids[1]);
    let dec = &g.decoder;
    let a = dec.forward(&ids, &mut dec.new_cache(), true).unwrap();
    let b = dec.forward(&longer, &mut dec.new_cache(), true).unwrap();
    let b = b.narrow(0, 0, ids.len()).unwrap();
    let diff = (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!(diff < F32_TOLERANCE, "causal mask: max |Δlogit| {diff}");
}

/// Gemma 3's sliding window (local RoPE base, q/k norms, post-norms too), shrunk to a few tokens
/// so the test is short: one pass over the whole sequence (masked) and token-by-token decoding
/// (keys narrowed to the window) must agree; f32 weights, see [`F32_TOLERANCE`].
#[test]
fn gemma_sliding_window_is_consistent() {
    let mut g = load_generator(GEMMA, &f32_load());
    assert_eq!(g.config().sliding_window, Some(512));
    assert!(g.config().is_local(0) && !g.config().is_local(5));
    let ids = g
        .tokenize("Pacientam ir hroniskas muguras sāpes, kas ierobežo staigāšanu.")
        .unwrap();
    assert!(ids.len() > 12);
    let last = |g: &GgufGenerator| {
        let dec = &g.decoder;
        Decoder::last_row(&dec.forward(&ids, &mut dec.new_cache(), false).unwrap()).unwrap()
    };
    let wide = last(&g);
    g.decoder.config.sliding_window = Some(5);
    // The window is in force (the last position sees less than with 512)...
    let narrow = last(&g);
    let changed = wide
        .iter()
        .zip(&narrow)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    eprintln!(
        "{} tokens: a window of 5 instead of 512 moves the last logits by {changed}",
        ids.len()
    );
    assert!(changed > 0.5, "a window of 5 changes nothing: {changed}");
    // ...and the cache path agrees with the masked pass, past the window and before it.
    for split in [3, 8] {
        let diff = incremental_vs_full(&g.decoder, &ids, split);
        eprintln!("split {split}: incremental vs full, max |Δlogit| {diff}");
        assert!(diff < F32_TOLERANCE, "split {split}: max |Δlogit| {diff}");
    }
}

/// Largest |Δlogit| between two decoders over every position of `ids` and then three decode
/// steps on the cache.
fn engines_differ_by(a: &Decoder, b: &Decoder, ids: &[u32]) -> f32 {
    let worst = |x: &[f32], y: &[f32]| {
        x.iter()
            .zip(y)
            .map(|(p, q)| (p - q).abs())
            .fold(0f32, f32::max)
    };
    let (mut ca, mut cb) = (a.new_cache(), b.new_cache());
    let ra = a
        .forward(ids, &mut ca, true)
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let rb = b
        .forward(ids, &mut cb, true)
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let mut diff = ra
        .iter()
        .zip(&rb)
        .map(|(x, y)| worst(x, y))
        .fold(0f32, f32::max);
    for &t in &ids[1..4] {
        let la = Decoder::last_row(&a.forward(&[t], &mut ca, false).unwrap()).unwrap();
        let lb = Decoder::last_row(&b.forward(&[t], &mut cb, false).unwrap()).unwrap();
        diff = diff.max(worst(&la, &lb));
    }
    diff
}

/// The CPU engine (our loops and threads, the default on CPUs) against candle's tensor ops on
/// f32 weights: the same function up to f32 rounding ([`F32_TOLERANCE`]). candle's forward is
/// the one checked against an independent numpy decoder (`inference/README.md`).
#[test]
fn cpu_engine_matches_the_candle_engine() {
    for (file, window) in [(SMOLLM, None), (GEMMA, Some(5))] {
        let load = |engine| {
            let mut g = load_generator(
                file,
                &LoadOptions {
                    engine,
                    ..f32_load()
                },
            );
            if window.is_some() {
                // A window shorter than the prompt, so local layers mask.
                g.decoder.config.sliding_window = window;
            }
            g
        };
        let ours = load(EngineChoice::Auto);
        let candle = load(EngineChoice::Candle);
        assert_eq!(
            (ours.decoder.engine(), candle.decoder.engine()),
            ("cpu", "candle")
        );
        let ids = ours
            .tokenize("Pacientam ir hroniskas muguras sāpes, kas ierobežo staigāšanu.")
            .unwrap();
        let diff = engines_differ_by(&ours.decoder, &candle.decoder, &ids);
        eprintln!("{file}: cpu vs candle engine, max |Δlogit| {diff}");
        assert!(diff < F32_TOLERANCE, "{file}: max |Δlogit| {diff}");
    }
}
