"""Prediction speed and accuracy: our transformer `predict` (PyTorch, ONNX fp32, ONNX int8)
against a plain `transformers.pipeline` loop over the same model.

Usage::

    .venv/bin/python benchmarks/inference_speed.py [--n 512] [--epochs 4]

The model: the packaged MiniLM fine-tuned on the Symptom2Disease training split of the
foundation benchmark (exact duplicates removed, stratified 80/20, seed 0) for --epochs epochs,
saved once, exported to ONNX (fp32 and int8 dynamic quantisation). Speed is measured on the
test texts repeated to --n, accuracy on the 231 test texts. Peer: `pipeline("feature-extraction")`
over the same encoder, then the same mean pooling and head, at batch 1 and 32. Each
configuration runs in its own process (2 threads) so that peak memory (max RSS) is its own.
Writes benchmarks/results/inference_speed.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import default_data_dir, environment, write_result

CONFIGS = [
    ("ours-pytorch", 32),
    ("ours-onnx-fp32", 32),
    ("ours-onnx-int8", 32),
    ("pipeline", 1),
    ("pipeline", 32),
]


def splits(data_dir: Path) -> Any:
    from medsage.datasets import deduplicate, load_symptom2disease, stratified_split

    ds = load_symptom2disease(data_dir / "symptom2disease" / "Symptom2Disease.csv")
    return stratified_split(deduplicate(ds).dataset, test_size=0.2, seed=0)


def prepare(root: Path, data_dir: Path, epochs: int) -> dict[str, Any]:
    """Fine-tune once; write the PyTorch bundle and two copies with ONNX fp32 / int8."""
    from medsage.models import TextClassifier, export_onnx

    train, _test = splits(data_dir)
    started = time.perf_counter()
    model = TextClassifier(
        "transformer", base="minilm", epochs=epochs, batch_size=16, learning_rate=1e-4
    ).fit(train.texts, train.labels)
    fit_seconds = time.perf_counter() - started
    model.save(root / "pytorch")
    shutil.copytree(root / "pytorch", root / "onnx-fp32")
    shutil.copytree(root / "pytorch", root / "onnx-int8")
    fp32 = export_onnx(root / "onnx-fp32")
    int8 = export_onnx(root / "onnx-int8", quantize=True)
    (root / "onnx-int8" / "onnx" / "model.onnx").unlink()  # keep the int8 graph only
    return {"fit_seconds": round(fit_seconds, 1), "export_fp32": fp32, "export_int8": int8}


def measure(kind: str, batch: int, n: int, data_dir: Path, root: Path) -> dict[str, Any]:
    import numpy as np
    import torch

    from medsage.evaluation import evaluate
    from medsage.models import TextClassifier

    torch.set_num_threads(2)
    _train, test = splits(data_dir)
    texts = (test.texts * (n // len(test.texts) + 1))[:n]
    folder = {"ours-onnx-fp32": "onnx-fp32", "ours-onnx-int8": "onnx-int8"}.get(kind, "pytorch")
    model = TextClassifier.load(root / folder)
    backend: Any = model.model_
    if kind == "pipeline":
        from transformers import pipeline

        from medsage.text import normalize

        backend.network.eval()
        extractor = pipeline(
            "feature-extraction", model=backend.network.encoder, tokenizer=backend.tokenizer,
            device=-1, batch_size=batch, truncation=True, max_length=backend.max_length,
        )  # fmt: skip

        def predict(items: list[str]) -> Any:
            lengths = [len(ids) for ids in backend.encode(items)]
            rows = []
            with torch.inference_mode():
                outputs = extractor([normalize(t) for t in items])
                for features, length in zip(outputs, lengths, strict=True):
                    pooled = torch.tensor(features[0][:length]).mean(0)  # own tokens only
                    rows.append(backend.network.head(pooled).numpy())
            logits = np.stack(rows)
            proba = np.exp(logits - logits.max(1, keepdims=True))
            return proba / proba.sum(1, keepdims=True)
    else:
        predict = model.predict_proba
    started = time.perf_counter()
    predict(texts)
    seconds = time.perf_counter() - started
    result = evaluate(test.labels, predict(test.texts), model.classes_)
    return {
        "kind": kind,
        "batch_size": batch,
        "engine": (getattr(backend, "onnx", None) and backend.onnx[1]) or "pytorch",
        "n_texts": n,
        "seconds": round(seconds, 2),
        "texts_per_second": round(n / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "test_accuracy": result.accuracy,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--one", nargs=3, metavar=("KIND", "BATCH", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, batch, root = args.one
        print(json.dumps(measure(kind, int(batch), args.n, args.data_dir, Path(root))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        prepared = prepare(root, args.data_dir, args.epochs)
        print(prepared, flush=True)
        runs = []
        for kind, batch in CONFIGS:
            out = subprocess.run(
                [sys.executable, __file__, "--n", str(args.n), "--data-dir", str(args.data_dir),
                 "--one", kind, str(batch), str(root)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(runs[-1], flush=True)
    speed = {f"{r['kind']}@{r['batch_size']}": r["texts_per_second"] for r in runs}
    payload = {
        "command": " ".join(["python", "benchmarks/inference_speed.py", *sys.argv[1:]]),
        "environment": environment(),
        "model": {"base": "minilm", "epochs": args.epochs, **prepared},
        "runs": runs,
        "speedup_vs_pipeline_batch_32": {
            k: round(v / speed["pipeline@32"], 2) for k, v in speed.items() if k.startswith("ours")
        },
        "int8_accuracy_change": round(runs[2]["test_accuracy"] - runs[1]["test_accuracy"], 4),
    }
    print(f"wrote {write_result('inference_speed', payload)}")


if __name__ == "__main__":
    main()
