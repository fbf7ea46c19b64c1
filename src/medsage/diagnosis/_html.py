"""A self-contained HTML page for a `CaseReport`: the text with findings highlighted by
assertion, triage, the differential with evidence, follow-up questions and the disclaimer."""

from __future__ import annotations

from html import escape
from typing import Any

from medsage.diagnosis._case import CaseReport

_COLOURS = {
    "present": "#ffe08a", "negated": "#c8e6c9", "uncertain": "#bbdefb",
    "historical": "#e0e0e0", "family": "#f8bbd0",
}  # fmt: skip
_TRIAGE_COLOURS = {
    "emergency": "#b71c1c", "urgent": "#e65100", "routine": "#1565c0", "self_care": "#2e7d32",
}  # fmt: skip


def case_report_html(report: CaseReport) -> str:
    """The report as one HTML page (no scripts, no external resources)."""
    data = report.to_dict()
    zh = report.language in ("zh", "mixed")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>MedSage case report</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.5}"
        "mark{padding:0 .15em;border-radius:.2em}.tag{color:#fff;padding:.2em .6em;"
        "border-radius:.3em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:.3em .6em;text-align:left}.disclaimer{border:2px solid #b71c1c;padding:1em}"
        "</style></head><body>",
        f"<p class='disclaimer'>{escape(report.disclaimer)}</p>",
        f"<h1>{'病例分析' if zh else 'Case analysis'}</h1>",
        _triage(data["triage"], zh),
        f"<h2>{'病例' if zh else 'Case'}</h2><p>{_highlight(report)}</p>",
        "<p>" + " ".join(
            f"<mark style='background:{c}'>{a}</mark>" for a, c in _COLOURS.items()
        ) + "</p>",
        _differential(data["differential"], zh),
    ]  # fmt: skip
    if report.follow_up_questions:
        items = "".join(f"<li>{escape(q)}</li>" for q in report.follow_up_questions)
        parts.append(f"<h2>{'建议追问' if zh else 'Questions to ask'}</h2><ul>{items}</ul>")
    if report.warnings:
        items = "".join(f"<li>{escape(w)}</li>" for w in report.warnings)
        parts.append(f"<h2>{'提示' if zh else 'Notes'}</h2><ul>{items}</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _highlight(report: CaseReport) -> str:
    out: list[str] = []
    cursor = 0
    for f in sorted(report.findings, key=lambda f: f.start):
        if f.start < cursor:
            continue
        out.append(escape(report.text[cursor : f.start]))
        colour = _COLOURS.get(f.assertion, "#ffe08a")
        out.append(
            f"<mark style='background:{colour}' title='{escape(f.concept)}: {f.assertion}'>"
            f"{escape(report.text[f.start : f.end])}</mark>"
        )
        cursor = f.end
    out.append(escape(report.text[cursor:]))
    return "".join(out).replace("\n", "<br>")


def _triage(triage: dict[str, Any], zh: bool) -> str:
    level = str(triage.get("level", "routine"))
    colour = _TRIAGE_COLOURS.get(level, "#1565c0")
    rows = "".join(
        f"<li><b>{escape(str(r.get('title', r.get('rule_id', ''))))}</b>: "
        f"{escape(str(r.get('advice', '')))}</li>"
        for r in triage.get("rules", [])
    )
    head = "分诊" if zh else "Triage"
    return f"<h2>{head} <span class='tag' style='background:{colour}'>{level}</span></h2>" + (
        f"<ul>{rows}</ul>" if rows else ""
    )


def _differential(candidates: list[dict[str, Any]], zh: bool) -> str:
    if not candidates:
        return ""
    head = ("鉴别诊断", "诊断", "概率", "ICD-10", "支持", "不支持") if zh else (
        "Differential", "diagnosis", "probability", "ICD-10", "for", "against"
    )  # fmt: skip
    rows = []
    for c in candidates:
        code = c["icd10"]["code"] if c.get("icd10") else ""
        support = ", ".join(escape(str(e["text"])) for e in c["evidence"])
        against = ", ".join(escape(str(e["text"])) for e in c["against"])
        rows.append(
            f"<tr><td>{escape(c['label'])}</td><td>{c['probability']:.2f}</td>"
            f"<td>{escape(code)}</td><td>{support}</td><td>{against}</td></tr>"
        )
    cols = "".join(f"<th>{h}</th>" for h in head[1:])
    return f"<h2>{head[0]}</h2><table><tr>{cols}</tr>{''.join(rows)}</table>"
