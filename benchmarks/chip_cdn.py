"""CHIP-CDN: normalise Chinese diagnosis terms to standard names; micro F1 on the dev split.

Settings (the re-ranking scorer) are chosen on a held-out 20% slice of TRAIN; the chosen
settings are then refitted on all of train and scored once on dev. CBLUE's best published
CHIP-CDN result (MacBERT-large, 59.3 micro F1) is on the hidden test split with the full
~40,000-name ICD-10 Beijing clinical vocabulary, which this folder does not hold: it is a
different split and a harder-to-reach but larger vocabulary, so compare with care.

    .venv/bin/python benchmarks/chip_cdn.py
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import default_data_dir, environment, write_result
from medsage.diagnosis._cdn_metric import cdn_scores, split_names
from medsage.diagnosis._normalize_terms import TermNormalizer

#: CBLUE leaderboard, CHIP-CDN column, best model (MacBERT-large), hidden test split
#: (Zhang et al., "CBLUE", ACL 2022, Table 3; github.com/CBLUEbenchmark/CBLUE README).
CBLUE_BEST_F1 = 59.3

#: Settings compared on the train slice (nothing is tuned on dev).
CANDIDATE_SETTINGS: tuple[dict[str, Any], ...] = (
    {"scorer": "logistic"},
    {"scorer": "boosted", "learning_rate": 0.1, "max_iter": 200},
)
SEED = 0
TUNE_FRACTION = 0.2


def _load(path: Path) -> tuple[list[str], list[str]]:
    items = json.loads(path.read_text(encoding="utf-8"))
    return [x["text"] for x in items], [x["normalized_result"] for x in items]


def main() -> None:
    folder = default_data_dir() / "zh_cblue" / "CHIP-CDN"
    train_x, train_y = _load(folder / "CHIP-CDN_train.json")
    dev_x, dev_y = _load(folder / "CHIP-CDN_dev.json")

    order = list(range(len(train_x)))
    random.Random(SEED).shuffle(order)
    n_tune = int(len(order) * TUNE_FRACTION)
    tune_idx, fit_idx = order[:n_tune], order[n_tune:]
    tuning: list[dict[str, Any]] = []
    for settings in CANDIDATE_SETTINGS:
        t0 = time.perf_counter()
        model = TermNormalizer(seed=SEED, **settings).fit(
            [train_x[i] for i in fit_idx], [train_y[i] for i in fit_idx]
        )
        pred = model.predict([train_x[i] for i in tune_idx])
        scores = cdn_scores([train_y[i] for i in tune_idx], pred)
        tuning.append(
            {
                "settings": settings,
                "train_slice_f1": scores.f1,
                "threshold": model.threshold_,
                "seconds": time.perf_counter() - t0,
            }
        )
        print(f"tune {settings}: train-slice F1 {scores.f1:.4f}", flush=True)
    chosen = max(tuning, key=lambda r: r["train_slice_f1"])["settings"]

    t0 = time.perf_counter()
    model = TermNormalizer(seed=SEED, **chosen).fit(train_x, train_y)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = model.predict(dev_x)
    predict_s = time.perf_counter() - t0
    dev = cdn_scores(dev_y, pred)

    vocab = set(model.vocabulary_)
    gold_names = [n for y in dev_y for n in split_names(y)]
    reachable = sum(n in vocab for n in gold_names) / len(gold_names)
    payload = {
        "command": "python benchmarks/chip_cdn.py",
        "task": "CHIP-CDN diagnosis normalisation (CBLUE), dev split",
        "metric": "micro F1 over (term, standard name) pairs, as CBLUE scores CHIP-CDN",
        "n_train": len(train_x),
        "n_dev": len(dev_x),
        "vocabulary": "standard names seen in train normalized_result (the ICD-10 Beijing "
        "clinical v601 list named in the README is not in the data folder)",
        "vocabulary_size": len(vocab),
        "dev_gold_names_in_vocabulary": reachable,
        "tuning": {"on": f"{TUNE_FRACTION:.0%} of train, seed {SEED}", "runs": tuning},
        "settings": {**chosen, "threshold_": model.threshold_, "seed": SEED},
        "dev": dev.to_dict(),
        "timings_s": {"fit": fit_s, "predict_dev": predict_s},
        "peer": {
            "name": "CBLUE best (MacBERT-large)",
            "f1": CBLUE_BEST_F1 / 100,
            "split": "hidden test (different split from our dev)",
        },
        "environment": environment(),
    }
    path = write_result("chip_cdn", payload)
    print()
    print(f"{'system':<44} {'split':<12} {'P':>6} {'R':>6} {'F1':>6} {'exact':>6}")
    print(
        f"{'MedSage TermNormalizer (' + chosen['scorer'] + ')':<44} {'dev':<12} "
        f"{dev.precision:6.3f} {dev.recall:6.3f} {dev.f1:6.3f} {dev.exact_set_accuracy:6.3f}"
    )
    print(
        f"{'CBLUE best, MacBERT-large':<44} {'hidden test':<12} {'':>6} {'':>6} "
        f"{CBLUE_BEST_F1 / 100:6.3f} {'':>6}"
    )
    print(f"dev gold names in train vocabulary: {reachable:.3f} (recall ceiling)")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
