"""A single self-contained HTML report of an `EvaluationResult`.

Plots are embedded as base64 PNG data URIs and the CSS is inline: the file references no
external resource and runs no script. All text is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from medsage.evaluation._io import atomic_write_bytes
from medsage.evaluation._plots import (
    MAX_ANNOTATED_LABELS,
    confusion_matrix_png,
    reliability_diagram_png,
)
from medsage.evaluation._result import EvaluationResult

#: Sentence placed at the top of every report.
SCOPE_NOTE = (
    "These metrics describe this data set only. They are not evidence of performance on other "
    "data sets, sites, populations or time periods, and not evidence of clinical safety."
)

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei",
       sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { margin-bottom: .3rem; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.scope { background: #fff7e0; border-left: 4px solid #e0a800; padding: .5rem .8rem; }
.warn { background: #fdecea; border-left: 4px solid #c0392b; padding: .5rem .8rem; }
.miss { background: #fdf1f0; } .muted { color: #777; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
.text { max-width: 40rem; white-space: pre-wrap; word-break: break-word; }
</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<p class="scope">{{ scope_note }}</p>
</header>

<section id="headline">
<h2>Headline metrics</h2>
<table>
<tr><th>Samples</th><td class="num">{{ r.n }}</td></tr>
<tr><th>Classes</th><td class="num">{{ r.classes | length }}</td></tr>
<tr><th>Primary metric ({{ r.primary_metric }})</th>
    <td class="num"><strong>{{ r.primary_value | fmt }}</strong></td></tr>
<tr><th>Accuracy</th><td class="num">{{ r.accuracy | fmt }}</td></tr>
<tr><th>Macro F1</th><td class="num">{{ r.macro_f1 | fmt }}</td></tr>
<tr><th>Weighted F1</th><td class="num">{{ r.weighted_f1 | fmt }}</td></tr>
<tr><th>Macro precision</th><td class="num">{{ r.macro_precision | fmt }}</td></tr>
<tr><th>Macro recall</th><td class="num">{{ r.macro_recall | fmt }}</td></tr>
<tr><th>AUROC (one-vs-rest, macro)</th><td class="num">{{ r.auroc_ovr_macro | fmt }}</td></tr>
<tr><th>ECE ({{ r.n_bins }} bins)</th><td class="num">{{ r.ece | fmt }}</td></tr>
<tr><th>Brier score</th><td class="num">{{ r.brier | fmt }}</td></tr>
<tr><th>Log loss (NLL)</th><td class="num">{{ r.nll | fmt }}</td></tr>
</table>
{% if r.unseen_labels %}
<p class="warn">{{ r.unseen_labels | length }} true label(s) are not among the model's classes
and always count as errors: {{ r.unseen_labels | join(", ") }}.</p>
{% endif %}
<p class="muted">Macro averages run over labels that occur as a true or a predicted label.</p>
</section>

<section id="per-class">
<h2>Per-class metrics</h2>
<table>
<tr><th>Label</th><th>Support</th><th>Precision</th><th>Recall</th><th>F1</th>
    <th>AUROC (one-vs-rest)</th></tr>
{% for label, m in r.per_class.items() %}
<tr{% if label in r.unseen_labels %} class="miss"{% endif %}>
<td>{{ label }}{% if label in r.unseen_labels %} <span class="muted">(not a model class)</span>
{%- endif %}</td>
<td class="num">{{ m.support }}</td><td class="num">{{ m.precision | fmt }}</td>
<td class="num">{{ m.recall | fmt }}</td><td class="num">{{ m.f1 | fmt }}</td>
<td class="num">{{ r.auroc_per_class.get(label) | fmt }}</td></tr>
{% endfor %}
</table>
</section>

<section id="top-k">
<h2>Top-k accuracy</h2>
{% if r.top_k_accuracy %}
<table>
<tr><th>k</th><th>Accuracy</th></tr>
{% for k, v in r.top_k_accuracy.items() %}
<tr><td class="num">{{ k }}</td><td class="num">{{ v | fmt }}</td></tr>
{% endfor %}
</table>
{% else %}
<p class="muted">No requested k was at most the number of classes.</p>
{% endif %}
</section>

<section id="calibration">
<h2>Calibration</h2>
<table>
<tr><th>Expected calibration error (ECE)</th><td class="num">{{ r.ece | fmt }}</td></tr>
<tr><th>Brier score</th><td class="num">{{ r.brier | fmt }}</td></tr>
<tr><th>Log loss (NLL)</th><td class="num">{{ r.nll | fmt }}</td></tr>
</table>
<img alt="Reliability diagram" src="data:image/png;base64,{{ reliability_png }}">
<table>
<tr><th>Confidence bin</th><th>Rows</th><th>Mean confidence</th><th>Accuracy</th></tr>
{% for b in r.reliability %}
<tr><td>({{ "%.2f" | format(b.lower) }}, {{ "%.2f" | format(b.upper) }}]</td>
<td class="num">{{ b.count }}</td><td class="num">{{ b.mean_confidence | fmt }}</td>
<td class="num">{{ b.accuracy | fmt }}</td></tr>
{% endfor %}
</table>
</section>

<section id="confusion">
<h2>Confusion matrix</h2>
<p class="muted">Rows are true labels, columns predicted labels; the image is normalised by
row.</p>
<img alt="Confusion matrix" src="data:image/png;base64,{{ confusion_png }}">
{% if r.labels | length <= max_table_labels %}
<table>
<tr><th>True \\ predicted</th>{% for label in r.labels %}<th>{{ label }}</th>{% endfor %}</tr>
{% for row in r.confusion_matrix %}
<tr><th>{{ r.labels[loop.index0] }}</th>
{% for x in row %}<td class="num">{{ x }}</td>{% endfor %}</tr>
{% endfor %}
</table>
{% endif %}
</section>

{% if r.subgroups is not none %}
<section id="subgroups">
<h2>Subgroups</h2>
<table>
<tr><th>Group</th><th>Samples</th><th>Accuracy</th><th>Macro F1</th><th>ECE</th>
    <th>In gap</th></tr>
{% for group, m in r.subgroups.items() %}
<tr><td>{{ group }}</td><td class="num">{{ m.n }}</td><td class="num">{{ m.accuracy | fmt }}</td>
<td class="num">{{ m.macro_f1 | fmt }}</td><td class="num">{{ m.ece | fmt }}</td>
<td>{{ "yes" if group in gap.eligible_groups else "no (too few rows)" }}</td></tr>
{% endfor %}
</table>
{% if gap.gap is not none %}
<p>Accuracy gap across groups with at least {{ gap.min_group_size }} rows:
<strong>{{ gap.gap | fmt }}</strong> (highest {{ gap.best_group }} {{ gap.best_value | fmt }},
lowest {{ gap.worst_group }} {{ gap.worst_value | fmt }}).</p>
{% else %}
<p class="muted">Accuracy gap not computed: fewer than two groups have at least
{{ gap.min_group_size }} rows.</p>
{% endif %}
</section>
{% endif %}

{% if model_info %}
<section id="model">
<h2>Model</h2>
<table>
{% for key, value in model_info %}
<tr><th>{{ key }}</th><td>{{ value }}</td></tr>
{% endfor %}
</table>
</section>
{% endif %}

{% if examples %}
<section id="examples">
<h2>Example predictions</h2>
<table>
<tr><th>Text</th><th>True</th><th>Predicted</th><th>Confidence</th></tr>
{% for e in examples %}
<tr{% if not e.correct %} class="miss"{% endif %}><td class="text">{{ e.text }}</td>
<td>{{ e.true }}</td><td>{{ e.predicted }}</td><td class="num">{{ e.confidence }}</td></tr>
{% endfor %}
</table>
</section>
{% endif %}

<footer><p class="muted">{{ scope_note }} Generated by MedSage {{ version }}.</p></footer>
</body>
</html>
"""


def _fmt(value: object) -> str:
    """A number with 4 decimals; None (undefined) as 'n/a'."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return f"{float(value):.4f}"
    return str(value)


def _info_value(value: object) -> str:
    """A model-info value as text: mappings and sequences as JSON, the rest with str()."""
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=False)
    return str(value)


def _example_rows(examples: Sequence[Mapping[str, object]]) -> list[dict[str, Any]]:
    """Examples as rows with keys text, true, predicted, confidence (text) and correct."""
    rows: list[dict[str, Any]] = []
    for example in examples:
        true = example.get("true", "")
        predicted = example.get("predicted", "")
        confidence = example.get("confidence")
        rows.append(
            {
                "text": str(example.get("text", "")),
                "true": str(true),
                "predicted": str(predicted),
                "confidence": "" if confidence is None else _fmt(confidence),
                "correct": str(true) == str(predicted),
            }
        )
    return rows


def render_html_report(
    result: EvaluationResult,
    *,
    title: str,
    model_info: Mapping[str, object] | None = None,
    examples: Sequence[Mapping[str, object]] | None = None,
) -> str:
    """The HTML report of `result` as a string (see `write_html_report`)."""
    import jinja2

    from medsage import __version__

    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    env.filters["fmt"] = _fmt
    template = env.from_string(_TEMPLATE)
    info = [(str(k), _info_value(v)) for k, v in (model_info or {}).items()]
    return template.render(
        title=title,
        scope_note=SCOPE_NOTE,
        r=result,
        gap=result.subgroup_gap,
        reliability_png=base64.b64encode(reliability_diagram_png(result)).decode("ascii"),
        confusion_png=base64.b64encode(confusion_matrix_png(result)).decode("ascii"),
        max_table_labels=MAX_ANNOTATED_LABELS,
        model_info=info,
        examples=_example_rows(examples or []),
        version=__version__,
    )


def write_html_report(
    result: EvaluationResult,
    path: str | Path,
    *,
    title: str,
    model_info: Mapping[str, object] | None = None,
    examples: Sequence[Mapping[str, object]] | None = None,
) -> Path:
    """Write one self-contained HTML report of `result` (inline CSS, PNGs as data URIs).

    Sections: headline metrics, per-class table, top-k accuracy, calibration (ECE, Brier, NLL,
    reliability diagram), confusion matrix, subgroups (when present), model information and
    example predictions (when given). The report states that the metrics describe this data set
    only.

    Args:
        result: The evaluation to report.
        path: Destination HTML file (written atomically; parent folders are created).
        title: Report title.
        model_info: Key/value pairs about the model (name, version, training data, ...).
        examples: Example predictions, each a mapping with keys "text", "true", "predicted"
            and "confidence" (missing keys are left blank).

    Returns:
        The path written.
    """
    html = render_html_report(result, title=title, model_info=model_info, examples=examples)
    return atomic_write_bytes(path, html.encode("utf-8"))
