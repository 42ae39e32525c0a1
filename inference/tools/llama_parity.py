#!/usr/bin/env python3
"""Reference token ids from llama.cpp (through the `llama-cpp-python` package) for the parity
tests of our GGUF tokenizer and decoder.

Run once, by hand, after `atzinums setup --only generate`; the output is committed under
`inference/tests/fixtures/` and the tests only read it:

    python3 -m venv ~/.cache/atzinums/venv-llama
    ~/.cache/atzinums/venv-llama/bin/pip install llama-cpp-python   # builds llama.cpp (~20 min)
    ~/.cache/atzinums/venv-llama/bin/python inference/tools/llama_parity.py \
        --data-dir ~/.cache/atzinums/data

For each model it writes `<name>_llama_cpp.json` with:
- `tokenize`: ids of tricky strings (no BOS; control-token text parsed as special tokens);
- `greedy`: for fixed prompts, the prompt ids (BOS as the model wants) and the first
  `--tokens` greedy ids, with the top-2 logit margin at every step (to judge a divergence:
  a margin near zero is a numerical tie, not a bug).
"""
import argparse
import json
import os
import sys

import numpy as np
from llama_cpp import Llama, __version__ as llama_cpp_version

MODELS = {
    "smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gemma3": "gemma-3-270m-q4_k_m.gguf",
}

TRICKY = [
    "Ārsts apstiprina, ka pacientam ir hroniskas muguras sāpes.",
    "ā č ē ģ ī ķ ļ ņ š ū ž Ā Č Ē Ģ Ī Ķ Ļ Ņ Š Ū Ž",
    "Ģimenes ārsta nosūtījums Nr. 12345/2024",
    "šķērslis ļoti ņemt ķērpis ūdens žurka čūska",
    "0 1 12 123 1234 12345 123456 3.14159 -42 1e10",
    "Datums: 2024-03-15, plkst. 09:30; summa 1 234,56 EUR",
    "a  b   c    d\t\te",
    "   leading spaces",
    "trailing spaces   ",
    "line one\nline two\n\nline four\r\nwindows",
    "\n\n\n",
    "emoji 😀👍🏽 🇱🇻 ❤️ 🚑",
    "def f(x):\n    return x**2  # kvadrāts\n",
    "fn main() { println!(\"{}\", 1 + 2); }",
    "{\"līmenis\": 3, \"ok\": true, \"list\": [1, 2, 3]}",
    "<b>HTML</b> &amp; <i>tags</i>",
    "URL: https://example.lv/path?q=ā&x=1",
    "I'm sure they've said it's John's and we'll see; I'd've known.",
    "HELLO World hello WORLD HeLLo",
    "Invaliditāte noteikta uz 2 gadiem (I grupa).",
    "F32.1 Vidēji smaga depresijas epizode; M54.5 Muguras lejasdaļas sāpes",
    "Straße, naïve café, Ελληνικά, русский текст, 日本語",
    "tab\tseparated\tvalues\n1\t2\t3",
    "....!!!???---___***",
    "a\u00a0non-breaking space and a\u200bzero width",
    "<|im_start|>user\nSveiki!<|im_end|>",
    "<start_of_turn>user\nLabdien<end_of_turn>",
    "",
]

PROMPTS = [
    "The capital of Latvia is",
    "Pacientam ir hroniskas muguras sāpes, kas",
    "def fibonacci(n):\n",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "<start_of_turn>user\nName three colours.<end_of_turn>\n<start_of_turn>model\n",
    "Once upon a time, in a small village by the sea,",
]


def greedy(llm, ids, n):
    llm.reset()
    llm.eval(ids)
    out, margins = [], []
    for _ in range(n):
        logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
        order = np.argsort(-logits, kind="stable")
        tok = int(order[0])
        out.append(tok)
        margins.append(float(logits[order[0]] - logits[order[1]]))
        llm.eval([tok])
    return out, margins


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=os.path.expanduser("~/.cache/atzinums/data"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures"))
    ap.add_argument("--tokens", type=int, default=48)
    args = ap.parse_args()
    for name, file in MODELS.items():
        path = os.path.join(args.data_dir, "models", file)
        llm = Llama(model_path=path, n_ctx=1024, n_threads=2, n_batch=512, logits_all=True,
                    verbose=False, seed=0)
        tok = []
        for text in TRICKY:
            ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
            tok.append({"text": text, "ids": [int(i) for i in ids]})
        gen = []
        for prompt in PROMPTS:
            ids = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
            out, margins = greedy(llm, ids, args.tokens)
            gen.append({"prompt": prompt, "prompt_ids": [int(i) for i in ids], "greedy": out,
                        "top2_margin": [round(m, 4) for m in margins]})
        doc = {"model": file, "engine": f"llama-cpp-python {llama_cpp_version}",
               "tokenize": tok, "greedy": gen}
        out = os.path.join(args.out, f"{name}_llama_cpp.json")
        with open(out, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
