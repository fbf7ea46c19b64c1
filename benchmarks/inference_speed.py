"""Prediction speed of the transformer backend against a plain `transformers.pipeline` loop.

Usage::

    .venv/bin/python benchmarks/inference_speed.py [--n 512]

Same model, same texts (Symptom2Disease test split texts, repeated to --n): the packaged
MiniLM encoder with a 24-label head (weights do not change speed). Ours: `predict_proba`
(length-sorted batches, dynamic padding, torch.inference_mode). Peer: a
`pipeline("feature-extraction")` loop over the same encoder, then the same mean pooling and
head, at batch size 1 and 32. Each configuration runs in its own process so that peak memory
(max RSS) is its own. Writes benchmarks/results/inference_speed.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import default_data_dir, environment, write_result

CONFIGS = [("ours", 32), ("pipeline", 1), ("pipeline", 32)]


def build_model(texts: list[str], labels: list[str]) -> Any:
    """A MiniLM classifier trained for one tiny step (speed does not depend on the weights)."""
    from medsage.models import TextClassifier

    return TextClassifier("transformer", base="minilm", epochs=1, batch_size=32).fit(
        texts[::10], labels[::10]
    )


def measure(kind: str, batch: int, n: int, data_dir: Path) -> dict[str, Any]:
    import numpy as np
    import torch

    from medsage.datasets import deduplicate, load_symptom2disease, stratified_split

    torch.set_num_threads(2)
    ds = load_symptom2disease(data_dir / "symptom2disease" / "Symptom2Disease.csv")
    train, test = stratified_split(deduplicate(ds).dataset, test_size=0.2, seed=0)
    texts = (test.texts * (n // len(test.texts) + 1))[:n]
    model = build_model(train.texts, train.labels)
    backend = model.model_
    started = time.perf_counter()
    if kind == "ours":
        proba = model.predict_proba(texts)
    else:
        from transformers import pipeline

        from medsage.text import normalize

        extractor = pipeline(
            "feature-extraction",
            model=backend.network.encoder,
            tokenizer=backend.tokenizer,
            device=-1,
            batch_size=batch,
            truncation=True,
            max_length=backend.max_length,
        )
        backend.network.eval()
        inputs = [normalize(t) for t in texts]
        # A batched pipeline returns padded rows: pool over each text's own tokens only.
        lengths = [len(ids) for ids in backend.encode(texts)]
        rows = []
        head = backend.network.head
        with torch.inference_mode():
            for features, length in zip(extractor(inputs), lengths, strict=True):
                pooled = torch.tensor(features[0][:length]).mean(0)
                rows.append(head(pooled).numpy())
        logits = np.stack(rows)
        proba = np.exp(logits - logits.max(1, keepdims=True))
        proba /= proba.sum(1, keepdims=True)
    seconds = time.perf_counter() - started
    return {
        "kind": kind,
        "batch_size": batch,
        "n_texts": n,
        "seconds": round(seconds, 2),
        "texts_per_second": round(n / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        # Same model, same texts: both ways must give the same probabilities.
        "mean_top_probability": round(float(proba.max(1).mean()), 4),
        "predicted_label_counts": np.bincount(proba.argmax(1), minlength=proba.shape[1]).tolist(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--one", nargs=2, metavar=("KIND", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]), args.n, args.data_dir)))
        return
    runs = []
    for kind, batch in CONFIGS:
        out = subprocess.run(
            [sys.executable, __file__, "--n", str(args.n), "--data-dir", str(args.data_dir),
             "--one", kind, str(batch)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(runs[-1], flush=True)
    ours = runs[0]["texts_per_second"]
    payload = {
        "command": " ".join(["python", "benchmarks/inference_speed.py", *sys.argv[1:]]),
        "environment": environment(),
        "runs": runs,
        "speedup_vs_pipeline_batch_1": round(ours / runs[1]["texts_per_second"], 2),
        "speedup_vs_pipeline_batch_32": round(ours / runs[2]["texts_per_second"], 2),
    }
    print(f"wrote {write_result('inference_speed', payload)}")


if __name__ == "__main__":
    main()
