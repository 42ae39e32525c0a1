#!/usr/bin/env python3
"""An independent f32 reference of our GGUF decoder (llama and gemma3 only), in numpy: weights
dequantized by the `gguf` package, every activation exact. It is the evidence behind the
tolerances of `inference/tests/generate.rs` and `generate_parity.rs`; the tests do not run it.

    python3 -m venv ~/.cache/atzinums/venv-ref
    ~/.cache/atzinums/venv-ref/bin/pip install numpy gguf
    ~/.cache/atzinums/venv-ref/bin/python inference/tools/f32_reference.py greedy smollm2
    ~/.cache/atzinums/venv-ref/bin/python inference/tools/f32_reference.py perturb smollm2

`greedy NAME`: greedy ids for the prompts of `tests/fixtures/NAME_llama_cpp.json` (llama.cpp's
prompt ids), printing where exact arithmetic parts from llama.cpp and both top-2 margins there;
writes the ids and margins to `--out` (our decoder with `LoadOptions::f32_weights` gives the
same ids, margins within 4e-5).

`perturb NAME`: how far a 1e-7 relative change of the embeddings moves the logits, in f32 and
with the activations rounded to Q8_0 blocks of 32 before every product (as llama.cpp and candle
do for the legacy quant types): the rounding amplifies f32-level differences to the size of the
quantization noise (SmolLM2: 5e-5 against 0.81).
"""
import argparse
import json
import os

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

MODELS = {
    "smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gemma3": "gemma-3-270m-q4_k_m.gguf",
}
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")


def q8_0(x):
    """Activations rounded as Q8_0 blocks of 32 (f16 scale), returned dequantized."""
    b = x.reshape(-1, 32).astype(np.float32)
    d = np.abs(b).max(1, keepdims=True) / 127
    q = np.round(np.divide(b, d, out=np.zeros_like(b), where=d > 0))
    return (q * d.astype(np.float16).astype(np.float32)).reshape(x.shape)


class Model:
    def __init__(self, path, quantize_activations=False):
        r = GGUFReader(path)
        meta = {k: f.contents() for k, f in r.fields.items() if not k.startswith("tokenizer")}
        a = self.arch = meta["general.architecture"]
        assert a in ("llama", "gemma3"), a
        g = lambda k, d=None: meta.get(f"{a}.{k}", d)
        self.hidden = g("embedding_length")
        self.n_layer = g("block_count")
        self.n_head = g("attention.head_count")
        self.n_kv = g("attention.head_count_kv", self.n_head)
        self.hd = g("attention.key_length", self.hidden // self.n_head)
        self.eps = g("attention.layer_norm_rms_epsilon")
        self.base = g("rope.freq_base", 10000.0)
        self.window = g("attention.sliding_window") if a == "gemma3" else None
        self.w = {}
        for t in r.tensors:
            shape = [int(x) for x in reversed(t.shape)]
            self.w[t.name] = np.ascontiguousarray(
                dequantize(t.data, t.tensor_type).astype(np.float32).reshape(shape))
        self.out = self.w.get("output.weight", self.w["token_embd.weight"])
        self.qa = quantize_activations

    def mm(self, x, w):
        return (q8_0(x) if self.qa else x) @ w.T

    def rms(self, x, w):
        ms = (x.astype(np.float64) ** 2).mean(-1, keepdims=True)
        return x / np.sqrt(ms + self.eps).astype(np.float32) * w

    def rope(self, x, pos, base):  # x: (heads, t, d)
        half = self.hd // 2
        inv = 1.0 / base ** (np.arange(half, dtype=np.float64) * 2 / self.hd)
        ang = np.outer(pos, inv)
        c, s = np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)
        if self.arch == "llama":  # pairs (2i, 2i+1): llama.cpp's converter permuted q/k
            x0, x1 = x[..., 0::2], x[..., 1::2]
            y = np.empty_like(x)
            y[..., 0::2], y[..., 1::2] = x0 * c - x1 * s, x0 * s + x1 * c
            return y
        x0, x1 = x[..., :half], x[..., half:]
        return np.concatenate([x0 * c - x1 * s, x0 * s + x1 * c], -1)

    def new_cache(self):
        return {"len": 0, "kv": [None] * self.n_layer}

    def forward(self, ids, cache):
        """Logits (len(ids), vocab) of `ids` appended after the cache."""
        pos0, n = cache["len"], len(ids)
        pos = np.arange(pos0, pos0 + n)
        gemma = self.arch == "gemma3"
        x = self.w["token_embd.weight"][ids]
        if gemma:
            x = x * np.float32(np.sqrt(self.hidden))
        rep = self.n_head // self.n_kv
        for i in range(self.n_layer):
            p = lambda s: self.w[f"blk.{i}.{s}"]
            h = self.rms(x, p("attn_norm.weight"))
            q = self.mm(h, p("attn_q.weight")).reshape(n, self.n_head, self.hd).transpose(1, 0, 2)
            k = self.mm(h, p("attn_k.weight")).reshape(n, self.n_kv, self.hd).transpose(1, 0, 2)
            v = self.mm(h, p("attn_v.weight")).reshape(n, self.n_kv, self.hd).transpose(1, 0, 2)
            local = gemma and (i + 1) % 6 != 0
            if gemma:
                q, k = self.rms(q, p("attn_q_norm.weight")), self.rms(k, p("attn_k_norm.weight"))
            base = 10000.0 if local else self.base
            q, k = self.rope(q, pos, base), self.rope(k, pos, base)
            if cache["kv"][i] is not None:
                k = np.concatenate([cache["kv"][i][0], k], 1)
                v = np.concatenate([cache["kv"][i][1], v], 1)
            cache["kv"][i] = (k, v)
            kp = np.arange(pos0 + n)
            mask = kp[None, :] > pos[:, None]
            if local and self.window:
                mask |= (pos[:, None] - kp[None, :]) >= self.window
            out = np.empty((self.n_head, n, self.hd), np.float32)
            for hh in range(self.n_head):
                att = q[hh] @ k[hh // rep].T / np.sqrt(self.hd)
                att = np.where(mask, -np.inf, att)
                e = np.exp(att - att.max(-1, keepdims=True))
                out[hh] = (e / e.sum(-1, keepdims=True)) @ v[hh // rep]
            y = self.mm(out.transpose(1, 0, 2).reshape(n, -1), p("attn_output.weight"))
            if gemma:
                y = self.rms(y, p("post_attention_norm.weight"))
            x = x + y
            h = self.rms(x, p("ffn_norm.weight"))
            gt = self.mm(h, p("ffn_gate.weight"))
            if gemma:  # GELU, tanh approximation
                gt = 0.5 * gt * (1 + np.tanh(np.sqrt(2 / np.pi) * (gt + 0.044715 * gt ** 3)))
            else:
                gt = gt / (1 + np.exp(-gt))
            y = self.mm(gt * self.mm(h, p("ffn_up.weight")), p("ffn_down.weight"))
            if gemma:
                y = self.rms(y, p("post_ffw_norm.weight"))
            x = x + y
        cache["len"] = pos0 + n
        return self.mm(self.rms(x, self.w["output_norm.weight"]), self.out)


def greedy(m, fixture, steps, out):
    results = []
    for case in fixture["greedy"]:
        cache = m.new_cache()
        row = m.forward(case["prompt_ids"], cache)[-1]
        got, margins = [], []
        for _ in range(steps):
            order = np.argsort(-row, kind="stable")
            got.append(int(order[0]))
            margins.append(float(row[order[0]] - row[order[1]]))
            row = m.forward([got[-1]], cache)[-1]
        want = case["greedy"]
        split = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), steps)
        at = (f"; at the split f32 margin {margins[split]:.3f}, llama.cpp's "
              f"{case['top2_margin'][split]:.3f}" if split < steps else "")
        print(f"{case['prompt'][:40]!r}: same as llama.cpp for {split} steps{at}", flush=True)
        results.append({"prompt": case["prompt"], "greedy": got, "margins": margins})
    if out:
        with open(out, "w") as f:
            json.dump(results, f)


def perturb(path, ids):
    for qa in (False, True):
        m = Model(path, quantize_activations=qa)
        a = m.forward(ids, m.new_cache())
        e = m.w["token_embd.weight"]
        noise = np.random.default_rng(0).standard_normal(e.shape[1]).astype(np.float32)
        m.w["token_embd.weight"] = e * (1 + 1e-7 * noise)
        b = m.forward(ids, m.new_cache())
        what = "Q8_0 activations" if qa else "f32 activations"
        print(f"{what}: a 1e-7 change of the embeddings moves the logits by up to "
              f"{np.abs(a - b).max():.3g}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["greedy", "perturb"])
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("--data-dir", default=os.path.expanduser("~/.cache/atzinums/data"))
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--out")
    args = ap.parse_args()
    path = os.path.join(args.data_dir, "models", MODELS[args.model])
    with open(os.path.join(FIXTURES, f"{args.model}_llama_cpp.json"), encoding="utf-8") as f:
        fixture = json.load(f)
    if args.what == "greedy":
        greedy(Model(path), fixture, args.steps, args.out)
    else:
        perturb(path, fixture["greedy"][1]["prompt_ids"])


if __name__ == "__main__":
    main()
