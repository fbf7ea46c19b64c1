"""Subgroup metrics on a real data set with a derivable group.

Usage::

    .venv/bin/python benchmarks/fairness.py

1. DXY paediatric consultations (official train -> test): the child's age band is read from
   the parent's self-report ("10个月", "一岁九个月", "3岁"): infant (< 1 year), toddler
   (1-2 years), child (3 years and over), or unknown when no age is stated.
2. The embedded demo set (Chinese and English cases): the language of each case as its group.

For each, the tfidf classifier's accuracy, macro-F1 and ECE per group and the largest accuracy
gap between groups of at least 10 cases. Writes benchmarks/results/fairness.json.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import default_data_dir, environment, write_result
from medsage.datasets import TextDataset, load_dxy, stratified_split
from medsage.demo import load_demo_cases
from medsage.evaluation import evaluate
from medsage.models import TextClassifier

_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9}  # fmt: skip
_NUMBER = r"(\d+|[零一二两三四五六七八九十]+)"
_YEARS = re.compile(_NUMBER + r"\s*(?:周岁|岁)")
_MONTHS = re.compile(_NUMBER + r"\s*(?:个半月|个多月|个月|月大)")


def chinese_number(text: str) -> int:
    """'十' -> 10, '十一' -> 11, '二十' -> 20, '两' -> 2, '12' -> 12."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_DIGITS.get(tens, 1) if tens else 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0)
    return _DIGITS.get(text, 0)


def age_band(text: str) -> str:
    """Age band of the child described in a parent's report."""
    years = _YEARS.search(text)
    if years:
        value = chinese_number(years.group(1))
        return (
            "child (3+ y)" if value >= 3 else ("toddler (1-2 y)" if value >= 1 else "infant (<1 y)")
        )
    months = _MONTHS.search(text)
    if months:
        value = chinese_number(months.group(1))
        if value < 12:
            return "infant (<1 y)"
        return "toddler (1-2 y)" if value < 36 else "child (3+ y)"
    return "unknown"


def subgroup_report(train: TextDataset, test: TextDataset) -> dict[str, Any]:
    model = TextClassifier("tfidf", seed=0).fit(train.texts, train.labels)
    result = evaluate(
        test.labels, model.predict_proba(test.texts), model.classes_, groups=test.groups,
        min_group_size=10,
    )  # fmt: skip
    return {
        "n": result.n,
        "accuracy": result.accuracy,
        "macro_f1": result.macro_f1,
        "subgroups": {k: v.to_dict() for k, v in (result.subgroups or {}).items()},
        "gap": None if result.subgroup_gap is None else result.subgroup_gap.to_dict(),
    }


def main() -> None:
    data = default_data_dir() / "zh_dxy_diagnosis" / "dxy_dialog_data_dialog_v2.txt"
    train, test = load_dxy(data, "train"), load_dxy(data, "test")
    test = TextDataset(test.texts, test.labels, [age_band(t) for t in test.texts], test.name)
    demo_train, demo_test = stratified_split(load_demo_cases(), test_size=0.25, seed=0)
    payload = {
        "command": "python benchmarks/fairness.py",
        "environment": environment(),
        "dxy_by_age_band": subgroup_report(train, test),
        "demo_by_language": subgroup_report(demo_train, demo_test),
    }
    path = write_result("fairness", payload)
    for name in ("dxy_by_age_band", "demo_by_language"):
        report = payload[name]
        assert isinstance(report, dict)
        print(f"{name}: accuracy {report['accuracy']:.3f}")
        for group, metrics in sorted(report["subgroups"].items()):
            print(f"  {group}: n={metrics['n']} accuracy {metrics['accuracy']:.3f}")
        print(f"  largest gap: {report['gap']}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
