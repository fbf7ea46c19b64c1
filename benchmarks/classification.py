"""Benchmark the tfidf text classifier on the real data sets in ../shared/data.

Usage::

    .venv/bin/python benchmarks/classification.py [--data-dir ../shared/data] [--only NAME ...]

Splits (never tuned on the evaluation split):
- symptom2disease: exact duplicates removed, stratified 80/20, seed 0 (no official split).
- kuake_qic, chip_ctc: official train -> official dev (the CBLUE test labels are hidden).
- zh_dialogue_department: Chinese dialogue CSV, title + question -> department, exact
  duplicates removed, stratified 80/20, seed 0.
- dxy: official train -> test.
- symptom2disease_out_of_style: the symptom2disease model on 96 case descriptions we wrote in
  other styles (clinician notes, referrals, portal messages, caregiver reports).

Settings (SVM or logistic regression, class weights) are chosen per data set by 3-fold
cross-validation on the training split only (`medsage.models.select_settings`), scored with the
data set's primary metric; `--no-select` uses the library defaults.

Beside ours, the same run trains the peer a user would otherwise write: scikit-learn's default
TfidfVectorizer (its word tokenizer cannot segment Chinese) with LogisticRegression.
Writes benchmarks/results/classification_tfidf.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.progress import Progress

from _common import BENCH_DIR, default_data_dir, environment, write_result
from medsage.datasets import (
    TextDataset,
    deduplicate,
    load_cblue_classification,
    load_dxy,
    load_med_dialogue,
    load_symptom2disease,
    load_text_label,
    stratified_split,
)
from medsage.evaluation import evaluate
from medsage.models import TextClassifier, evaluate_classifier, select_settings

Splits = tuple[TextDataset, TextDataset]


def symptom2disease(data: Path) -> Splits:
    ds = load_symptom2disease(data / "symptom2disease" / "Symptom2Disease.csv")
    return stratified_split(deduplicate(ds).dataset, test_size=0.2, seed=0)


def cblue(task: str) -> Callable[[Path], Splits]:
    def load(data: Path) -> Splits:
        folder = data / "zh_cblue" / task
        return (
            load_cblue_classification(folder / f"{task}_train.json"),
            load_cblue_classification(folder / f"{task}_dev.json"),
        )

    return load


def dialogue(data: Path) -> Splits:
    ds = load_med_dialogue(data / "zh_med_dialogue_toyhom" / "sample_IM_5000-6000.csv")
    return stratified_split(deduplicate(ds).dataset, test_size=0.2, seed=0)


def dxy(data: Path) -> Splits:
    path = data / "zh_dxy_diagnosis" / "dxy_dialog_data_dialog_v2.txt"
    return load_dxy(path, split="train"), load_dxy(path, split="test")


# name -> (loader, primary metric, evaluation split name, published reference)
TASKS: dict[str, tuple[Callable[[Path], Splits], str, str, str]] = {
    "symptom2disease": (
        symptom2disease,
        "accuracy",
        "stratified 20% (seed 0)",
        "LinearSVC 0.961 / LogReg 0.952 accuracy, random split (public repo, not a paper)",
    ),
    "kuake_qic": (
        cblue("KUAKE-QIC"),
        "accuracy",
        "official dev",
        "CBLUE paper: BERT-base 0.843 acc on the hidden test set",
    ),
    "chip_ctc": (
        cblue("CHIP-CTC"),
        "macro_f1",
        "official dev",
        "CBLUE paper: BERT-base 0.692 macro-F1 on the hidden test set",
    ),
    "zh_dialogue_department": (dialogue, "accuracy", "stratified 20% (seed 0)", "none"),
    "dxy": (
        dxy,
        "accuracy",
        "official test",
        "KR-DS (Xu et al. 2019) ~0.74 accuracy with symptom slots (unverified)",
    ),
}


def fit_peer(train: TextDataset) -> Any:
    """scikit-learn defaults: TfidfVectorizer() + LogisticRegression(max_iter=1000)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000)).fit(
        train.texts, train.labels
    )


def score_peer(peer: Any, test: TextDataset) -> dict[str, float]:
    result = evaluate(test.labels, peer.predict_proba(test.texts), list(peer.classes_))
    return {"accuracy": result.accuracy, "macro_f1": result.macro_f1, "ece": result.ece}


def run_task(
    name: str, data_dir: Path, *, select: bool
) -> tuple[dict[str, Any], TextClassifier, Any]:
    loader, primary, split_name, published = TASKS[name]
    train, test = loader(data_dir)
    started = time.perf_counter()
    selection = select_settings(train, metric=primary, folds=3, seed=0) if select else None
    select_seconds = time.perf_counter() - started
    params = selection.best_params if selection else {}
    started = time.perf_counter()
    model = TextClassifier("tfidf", seed=0, **params).fit(train.texts, train.labels)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = evaluate_classifier(model, test)
    predict_seconds = time.perf_counter() - started
    started = time.perf_counter()
    peer = fit_peer(train)
    peer_scores = {**score_peer(peer, test), "seconds": round(time.perf_counter() - started, 2)}
    return (
        {
            "n_train": len(train),
            "n_eval": len(test),
            "n_labels": len(model.classes_),
            "eval_split": split_name,
            "primary_metric": primary,
            "accuracy": result.accuracy,
            "macro_f1": result.macro_f1,
            "weighted_f1": result.weighted_f1,
            "top_3_accuracy": result.top_k_accuracy.get(3),
            "auroc_ovr_macro": result.auroc_ovr_macro,
            "ece": result.ece,
            "brier": result.brier,
            "settings": model.settings_.to_dict(),
            "temperature": model.calibration_["temperature"],
            "selection": None if selection is None else selection.to_dict(),
            "selection_seconds": round(select_seconds, 2),
            "fit_seconds": round(fit_seconds, 2),
            "predict_texts_per_second": round(len(test) / predict_seconds, 1),
            "published": published,
            "peer_sklearn_default": peer_scores,
        },
        model,
        peer,
    )


def out_of_style(model: TextClassifier, peer: Any) -> dict[str, Any]:
    data = load_text_label(
        BENCH_DIR / "data" / "symptom2disease_out_of_style.jsonl", group_col="style"
    )
    result = evaluate_classifier(model, data)
    return {
        "n_eval": len(data),
        "accuracy": result.accuracy,
        "macro_f1": result.macro_f1,
        "top_3_accuracy": result.top_k_accuracy.get(3),
        "ece": result.ece,
        "by_style": {k: v.accuracy for k, v in (result.subgroups or {}).items()},
        "peer_sklearn_default": score_peer(peer, data),
    }


def markdown_table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| data set | eval split | n train / eval | accuracy | macro-F1 | ECE | "
        "peer (sklearn default) acc / macro-F1 | published |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        peer = r.get("peer_sklearn_default") or {}
        peer_text = (
            f"{peer['accuracy']:.3f} / {peer['macro_f1']:.3f}" if "accuracy" in peer else "-"
        )
        lines.append(
            f"| {name} | {r.get('eval_split', '-')} | {r.get('n_train', '-')} / {r['n_eval']} | "
            f"{r['accuracy']:.3f} | {r['macro_f1']:.3f} | {r['ece']:.3f} | {peer_text} | "
            f"{r.get('published', '-')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--only", nargs="*", choices=sorted(TASKS), default=None)
    parser.add_argument(
        "--no-select",
        action="store_true",
        help="use the default settings instead of choosing them by 3-fold CV on train",
    )
    args = parser.parse_args()
    names = args.only or list(TASKS)
    results: dict[str, dict[str, Any]] = {}
    with Progress(transient=True) as progress:
        bar = progress.add_task("benchmark", total=len(names))
        for name in names:
            progress.update(bar, description=name)
            results[name], model, peer = run_task(name, args.data_dir, select=not args.no_select)
            if name == "symptom2disease":
                results["symptom2disease_out_of_style"] = out_of_style(model, peer)
            progress.advance(bar)
    payload = {
        "command": " ".join(["python", "benchmarks/classification.py", *sys.argv[1:]]),
        "backend": "tfidf: char 1-3 + word 1-2 n-grams; linear model chosen per data set by "
        "3-fold CV on the training split (see each result's selection)",
        "environment": environment(),
        "results": results,
    }
    path = write_result("classification_tfidf", payload)
    print(markdown_table(results))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
