"""Scoring a de-identifier against a gold standard: span and token recall / precision / F1.

Span level, as the original deid evaluation (Neamatullah et al. 2008), is type-blind: a gold
span counts as caught when every letter and digit of it lies inside some predicted span (a
partly masked name still leaks), and a predicted span is correct when it overlaps a gold span.
Token level counts word tokens (runs of letters/digits; each CJK character is one token).
Per-type recall is reported both type-blind and "typed" (caught by a span of a compatible type).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from medsage.datasets import GoldNote
from medsage.privacy._spans import ADDRESS, AGE, DATE, FACILITY, NAME, PHONE, PhiSpan

_TOKEN = re.compile(r"[^\W_]", re.UNICODE)

# PhysioNet gold types -> the MedSage types that count as the right type for them.
PHYSIONET_TYPES: dict[str, frozenset[str]] = {
    "HCPName": frozenset({NAME}),
    "PTName": frozenset({NAME}),
    "PTNameInitial": frozenset({NAME}),
    "RelativeProxyName": frozenset({NAME}),
    "Date": frozenset({DATE}),
    "DateYear": frozenset({DATE}),
    "Location": frozenset({ADDRESS, FACILITY}),
    "Phone": frozenset({PHONE}),
    "Age": frozenset({AGE}),
}
PATIENT_NAME_TYPES = ("PTName", "PTNameInitial")


@dataclass(frozen=True)
class Missed:
    """A gold span not (fully) caught."""

    note: str
    type: str
    text: str
    start: int
    end: int
    context: str


@dataclass
class DeidEvaluation:
    """Scores of one run over a gold set."""

    notes: int
    gold_spans: int
    predicted_spans: int
    span_recall: float
    span_precision: float
    span_f1: float
    token_recall: float
    token_precision: float
    token_f1: float
    recall_by_type: dict[str, dict[str, float]]  # gold type -> {n, recall, typed_recall}
    precision_by_type: dict[str, dict[str, float]]  # predicted type -> {n, precision}
    missed: list[Missed] = field(default_factory=list)
    false_positives: list[tuple[str, int]] = field(default_factory=list)  # (text, count)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["false_positives"] = [{"text": t, "count": c} for t, c in self.false_positives]
        return out


def evaluate_deid(
    notes: Sequence[GoldNote],
    analyze: Callable[[str], Sequence[PhiSpan]],
    *,
    type_map: Mapping[str, Iterable[str]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> DeidEvaluation:
    """Run `analyze` on every note and score it against the gold spans.

    `type_map` maps gold types to the compatible predicted types (default: identity, i.e. the
    gold uses MedSage's own types).
    """
    compatible = {k: frozenset(v) for k, v in (type_map or {}).items()}
    caught = gold_total = 0
    pred_total = pred_correct = 0
    tok_gold = tok_pred = tok_both = 0
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    pred_by_type: dict[str, Counter[str]] = defaultdict(Counter)
    missed: list[Missed] = []
    fp_texts: Counter[str] = Counter()
    for i, note in enumerate(notes):
        predicted = list(analyze(note.text))
        covered = _mask(len(note.text), [(s.start, s.end) for s in predicted])
        gold_mask = _mask(len(note.text), [(s, e) for s, e, _ in note.spans])
        for start, end, gtype in note.spans:
            gold_total += 1
            by_type[gtype]["n"] += 1
            chars = [j for j in range(start, end) if _TOKEN.match(note.text[j])]
            if all(covered[j] for j in chars):
                caught += 1
                by_type[gtype]["caught"] += 1
                allowed = compatible.get(gtype, frozenset({gtype}))
                if any(p.type in allowed and p.start < end and start < p.end for p in predicted):
                    by_type[gtype]["typed"] += 1
            else:
                missed.append(
                    Missed(note.id, gtype, note.text[start:end], start, end,
                           note.text[max(0, start - 40) : end + 40].replace("\n", " "))
                )  # fmt: skip
        for p in predicted:
            pred_total += 1
            pred_by_type[p.type]["n"] += 1
            if any(gold_mask[j] for j in range(p.start, p.end)):
                pred_correct += 1
                pred_by_type[p.type]["correct"] += 1
            else:
                fp_texts[note.text[p.start : p.end]] += 1
        for a, b in _tokens(note.text):
            g = any(gold_mask[a:b])
            q = any(covered[a:b])
            tok_gold += g
            tok_pred += q
            tok_both += g and q
        if progress is not None:
            progress(i + 1)
    span_r = _ratio(caught, gold_total)
    span_p = _ratio(pred_correct, pred_total)
    tok_r = _ratio(tok_both, tok_gold)
    tok_p = _ratio(tok_both, tok_pred)
    return DeidEvaluation(
        notes=len(notes),
        gold_spans=gold_total,
        predicted_spans=pred_total,
        span_recall=span_r,
        span_precision=span_p,
        span_f1=_f1(span_p, span_r),
        token_recall=tok_r,
        token_precision=tok_p,
        token_f1=_f1(tok_p, tok_r),
        recall_by_type={
            t: {
                "n": c["n"],
                "recall": _ratio(c["caught"], c["n"]),
                "typed_recall": _ratio(c["typed"], c["n"]),
            }
            for t, c in sorted(by_type.items())
        },
        precision_by_type={
            t: {"n": c["n"], "precision": _ratio(c["correct"], c["n"])}
            for t, c in sorted(pred_by_type.items())
        },
        missed=missed,
        false_positives=fp_texts.most_common(),
    )


def physionet_split(notes: Sequence[GoldNote], part: str) -> list[GoldNote]:
    """Our development/test division of the PhysioNet corpus, by patient.

    "dev": patients with an odd record number (used while writing recognizers); "test": even
    (looked at only to report); "all": every note.
    """
    if part == "all":
        return list(notes)
    if part not in ("dev", "test"):
        raise ValueError(f"part must be all, dev or test, got {part!r}")
    parity = 1 if part == "dev" else 0
    return [n for n in notes if int(n.patient_id) % 2 == parity]


def _mask(length: int, ranges: Iterable[tuple[int, int]]) -> list[bool]:
    mask = [False] * length
    for start, end in ranges:
        for j in range(max(0, start), min(length, end)):
            mask[j] = True
    return mask


def _tokens(text: str) -> list[tuple[int, int]]:
    """Word tokens: runs of letters/digits; each CJK character alone."""
    out: list[tuple[int, int]] = []
    for m in re.finditer(r"[^\W_]+", text):
        a, b = m.span()
        run_start = a
        for j in range(a, b):
            if "\u3400" <= text[j] <= "\u9fff":
                if run_start < j:
                    out.append((run_start, j))
                out.append((j, j + 1))
                run_start = j + 1
        if run_start < b:
            out.append((run_start, b))
    return out


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0
