"""De-identification: accuracy on the gold standards and speed, beside Presidio's analyzer.

Usage::

    .venv/bin/python benchmarks/deid.py [--presidio-python .venv-presidio/bin/python]

- PhysioNet nursing notes (2,434 notes, 1,779 PHI spans): span and token recall / precision,
  per gold type, for our development part (odd patient numbers, used while writing the
  recognizers), our test part (even numbers, only scored) and all notes.
- The MedSage Chinese gold sets, both written apart from the recognizers: the first
  (tests/data/deid_zh_gold.jsonl) was scored once held out and then became development data;
  the second (tests/data/deid_zh_test.jsonl) is the held-out one.
- Speed of analysis on the PhysioNet text: one process (KB/s per core, notes/s), and the batch
  path with 2 worker processes.
- Presidio (`pip install presidio-analyzer==2.2.366` into its own venv): the same notes, its
  pattern recognizers with a blank spaCy pipeline (its NER model cannot be downloaded here);
  span recall / precision on the same gold and its speed, timed in the same way.

Writes benchmarks/results/deid.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, default_data_dir, environment, write_result
from medsage.datasets import GoldNote, load_deid_jsonl, load_physionet_deid
from medsage.privacy import (
    PHYSIONET_TYPES,
    DeidEvaluation,
    PhiSpan,
    default_analyzer,
    evaluate_deid,
    physionet_split,
)
from medsage.privacy._batch import DeidConfig, deidentify_notes

ZH_GOLD = {
    "zh_dev": REPO_ROOT / "tests" / "data" / "deid_zh_gold.jsonl",
    "zh_test": REPO_ROOT / "tests" / "data" / "deid_zh_test.jsonl",
}


def scores(result: DeidEvaluation) -> dict[str, Any]:
    out = result.to_dict()
    out["missed"] = [
        {"note": m.note, "type": m.type, "text": m.text} for m in result.missed
    ]  # surrogate PHI of a public corpus; listed so that every miss can be checked
    out["false_positives"] = out["false_positives"][:40]
    return out


def time_analysis(notes: list[GoldNote], repeats: int = 3) -> dict[str, float]:
    analyzer = default_analyzer()
    analyzer.analyze(notes[0].text)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for note in notes:
            analyzer.analyze(note.text)
        best = min(best, time.perf_counter() - started)
    kb = sum(len(n.text.encode("utf-8")) for n in notes) / 1000
    return {"seconds": best, "kb_per_second": kb / best, "notes_per_second": len(notes) / best}


def time_batch(notes: list[GoldNote], workers: int) -> dict[str, float]:
    started = time.perf_counter()
    items = [(n.text, n.patient_id) for n in notes]
    for _ in deidentify_notes(items, DeidConfig(operators="tag"), workers=workers):
        pass
    seconds = time.perf_counter() - started
    kb = sum(len(n.text.encode("utf-8")) for n in notes) / 1000
    return {"seconds": seconds, "kb_per_second": kb / seconds, "workers": workers}


def run_presidio(python: Path, notes: list[GoldNote]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "notes.json", Path(tmp) / "out.json"
        src.write_text(json.dumps([n.text for n in notes]), encoding="utf-8")
        runner = Path(__file__).resolve().parent / "_presidio_runner.py"
        subprocess.run([str(python), str(runner), str(src), str(out)], check=True)
        return dict(json.loads(out.read_text(encoding="utf-8")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument(
        "--presidio-python", type=Path, default=REPO_ROOT / ".venv-presidio/bin/python"
    )
    args = parser.parse_args()

    notes = load_physionet_deid(args.data_dir / "en_deid_physionet_nursing")
    analyzer = default_analyzer()
    results: dict[str, Any] = {"command": "python benchmarks/deid.py", "physionet": {}}
    for part in ("dev", "test", "all"):
        subset = physionet_split(notes, part)
        result = evaluate_deid(subset, analyzer.analyze, type_map=PHYSIONET_TYPES)
        results["physionet"][part] = scores(result)
        print(
            f"physionet {part:4}: {result.notes} notes, span recall {result.span_recall:.4f} "
            f"precision {result.span_precision:.4f}; token recall {result.token_recall:.4f} "
            f"precision {result.token_precision:.4f}; missed {len(result.missed)}"
        )
    for name, path in ZH_GOLD.items():
        zh = evaluate_deid(load_deid_jsonl(path), analyzer.analyze)
        results[name] = scores(zh)
        print(
            f"{name}: {zh.notes} notes, {zh.gold_spans} spans, recall {zh.span_recall:.4f} "
            f"precision {zh.span_precision:.4f}; missed {len(zh.missed)}"
        )
    speed = time_analysis(notes)
    results["speed"] = {
        "text_kb": sum(len(n.text.encode("utf-8")) for n in notes) / 1000,
        "one_process": speed,
        "batch_2_workers": time_batch(notes, 2),
    }
    print(f"speed: {speed['kb_per_second']:.0f} KB/s, {speed['notes_per_second']:.0f} notes/s")
    if args.presidio_python.is_file():
        found = run_presidio(args.presidio_python, notes)
        spans = {
            n.id: [PhiSpan(s["start"], s["end"], s["type"], s["score"], "presidio") for s in f]
            for n, f in zip(notes, found["spans"], strict=True)
        }
        by_text = {n.text: spans[n.id] for n in notes}
        presidio: dict[str, Any] = {
            "versions": {k: found[k] for k in ("presidio_analyzer", "spacy")}
        }
        for part in ("test", "all"):
            result = evaluate_deid(physionet_split(notes, part), lambda t: by_text[t])
            presidio[part] = {
                k: getattr(result, k)
                for k in ("span_recall", "span_precision", "token_recall", "token_precision")
            } | {"recall_by_type": result.recall_by_type}
        kb = results["speed"]["text_kb"]
        presidio["speed"] = {
            "seconds": found["seconds"], "kb_per_second": kb / found["seconds"],
            "notes_per_second": len(notes) / found["seconds"],
        }  # fmt: skip
        results["presidio"] = presidio
        every = presidio["all"]
        print(
            f"presidio: recall {every['span_recall']:.4f} precision "
            f"{every['span_precision']:.4f}, {presidio['speed']['kb_per_second']:.0f} KB/s"
        )
    else:
        print(f"presidio: {args.presidio_python} not found; skipped")
    results["environment"] = environment()
    print(f"wrote {write_result('deid', results)}")


if __name__ == "__main__":
    main()
