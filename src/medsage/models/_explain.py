"""Why a classifier chose a label: word-level attributions, as data and as highlighted HTML.

Backends give a score per character of the normalised text (tfidf: linear contributions;
transformer: Integrated Gradients); here they are summed over the words `token_spans` finds
(jieba words for Chinese, whole words and numbers-with-units otherwise).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from medsage.errors import InvalidInputError
from medsage.models._classifier import TextClassifier


@dataclass(frozen=True)
class WordAttribution:
    """One word of the normalised text and how much it pushed towards the label."""

    word: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Explanation:
    """Attributions of one prediction; `text` is the normalised text the spans refer to."""

    text: str
    label: str
    probability: float
    method: str
    words: list[WordAttribution]

    def top(self, k: int = 5) -> list[WordAttribution]:
        """The `k` words with the highest scores (the strongest evidence for the label)."""
        return sorted(self.words, key=lambda w: -w.score)[:k]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "label": self.label,
            "probability": round(self.probability, 6),
            "method": self.method,
            "words": [
                {"word": w.word, "start": w.start, "end": w.end, "score": round(w.score, 6)}
                for w in self.words
            ],
        }


def explain(
    model: TextClassifier,
    text: str,
    *,
    label: str | None = None,
    steps: int = 32,
    proba: Sequence[float] | None = None,
) -> Explanation:
    """Word attributions for `label` (default: the predicted label) on `text`.

    `proba`: the model's class probabilities for `text`, when the caller has them already
    (explaining several labels of one text then predicts once, not once per label).
    """
    from medsage.text import normalize, token_spans

    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("explain needs a non-empty text")
    if proba is None:
        proba = model.predict_proba([text])[0]
    elif len(proba) != len(model.classes_):
        raise InvalidInputError(
            f"proba has {len(proba)} values; the model has {len(model.classes_)} labels"
        )
    if label is None:
        index = max(range(len(proba)), key=lambda i: proba[i])
    elif label in model.classes_:
        index = model.classes_.index(label)
    else:
        raise InvalidInputError(
            f"label {label!r} is not one of the model's labels: {', '.join(model.classes_)}"
        )
    backend: Any = model.model_
    if model.backend == "transformer":
        chars = backend.char_attributions(text, index, steps=steps)
        method = f"integrated gradients ({steps} steps, zero-embedding baseline)"
    else:
        chars = backend.char_attributions(text, index)
        method = "linear contributions (tf-idf value x class weight minus mean weight)"
    norm = normalize(text)
    words = [
        WordAttribution(norm[a:b], a, b, float(chars[a:b].sum())) for a, b in token_spans(norm)
    ]
    return Explanation(norm, model.classes_[index], float(proba[index]), method, words)


def explanation_html(explanations: Sequence[Explanation]) -> str:
    """A self-contained HTML page: each text with words shaded green (for) or red (against)."""
    blocks = []
    for ex in explanations:
        scale = max((abs(w.score) for w in ex.words), default=0.0) or 1.0
        pieces, position = [], 0
        for w in ex.words:
            pieces.append(html.escape(ex.text[position : w.start]))
            alpha = min(1.0, abs(w.score) / scale)
            colour = f"rgba(0,150,0,{alpha:.2f})" if w.score >= 0 else f"rgba(200,0,0,{alpha:.2f})"
            pieces.append(
                f'<span style="background:{colour}" title="{w.score:+.4f}">'
                f"{html.escape(w.word)}</span>"
            )
            position = w.end
        pieces.append(html.escape(ex.text[position:]))
        blocks.append(
            f"<p><b>{html.escape(ex.label)}</b> ({ex.probability:.2f}): {''.join(pieces)}</p>"
        )
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>MedSage explanation</title>'
        "</head><body><p>Green words pushed towards the label, red words against it "
        "(hover for the score).</p>" + "".join(blocks) + "</body></html>"
    )
