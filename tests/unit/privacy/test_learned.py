"""LearnedRecognizer: training on invented notes, predictions, the model bundle, vetoes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from medsage.datasets import GoldNote
from medsage.errors import InvalidInputError, ModelBundleError, NotFittedError
from medsage.privacy import Analyzer, PhiSpan, default_recognizers
from medsage.privacy._learned import LearnedRecognizer, phi_spans, veto_ranges
from medsage.privacy._learned_features import note_tokens

# Invented notes: (piece, gold type or None). Names, hospitals and dates are made up.
_TEMPLATES = [
    [("Pt seen by Dr. ", None), ("{last}", "HCPName"), (" this am, ", None),
     ("{month}/{day}", "Date"), (". Wife ", None), ("{first}", "RelativeProxyName"),
     (" called at noon.", None)],
    [("Transferred from ", None), ("{place}", "Location"), (" on ", None),
     ("{month}/{day}", "Date"), (". Son ", None), ("{first}", "RelativeProxyName"),
     (" at bedside. Lungs clear.", None)],
    [("Resp: sats 95% on 2L. Plan d/w Dr ", None), ("{last}", "HCPName"),
     (". Daughter ", None), ("{first}", "RelativeProxyName"), (" updated.", None)],
]  # fmt: skip
_FILLERS = [
    {"last": last, "first": first, "place": place, "month": month, "day": day}
    for last, first, place, month, day in [
        ("Quistorff", "Marla", "Nethercott Hospital", "3", "14"),
        ("Abernathy", "Dolores", "Elmsworth Clinic", "11", "2"),
        ("Brennick", "Tobias", "Varga Hospital", "7", "23"),
        ("Castellano", "Wendell", "Greystone Hospital", "1", "9"),
    ]
]


def _note(number: int, pieces: list[tuple[str, str | None]], fill: dict[str, str]) -> GoldNote:
    text, spans = "", []
    for piece, gold in pieces:
        part = piece.format(**fill)
        if gold is not None:
            spans.append((len(text), len(text) + len(part), gold))
        text += part
    return GoldNote(str(number), str(number % 4), text, tuple(spans))


def _notes() -> list[GoldNote]:
    return [
        _note(k, template, fill)
        for k, (template, fill) in enumerate((t, f) for t in _TEMPLATES for f in _FILLERS)
    ]


@pytest.fixture(scope="module")
def fitted() -> LearnedRecognizer:
    return LearnedRecognizer(c=10.0, threshold=0.5, min_count=1).fit(_notes())


_SENTENCE = "Seen by Dr. Halvorsen on 5/30. Wife Greta called."


def _triples(spans: list[PhiSpan]) -> list[tuple[str, str]]:
    return [(_SENTENCE[s.start : s.end], s.type) for s in spans]


def test_when_fitted_on_invented_notes_then_classes_are_the_mapped_types(
    fitted: LearnedRecognizer,
) -> None:
    assert fitted.classes_ == ["O", "DATE", "FACILITY", "NAME"]


def test_when_a_new_sentence_is_read_then_its_names_and_date_are_found(
    fitted: LearnedRecognizer,
) -> None:
    spans = fitted.find(_SENTENCE)
    assert _triples(spans) == [("Halvorsen", "NAME"), ("5/30", "DATE"), ("Greta", "NAME")]
    assert all(s.recognizer == "en_learned" and 0.5 <= s.score <= 1.0 for s in spans)
    assert fitted.protect(_SENTENCE) == []


def test_when_saved_and_loaded_then_spans_and_weights_are_identical(
    fitted: LearnedRecognizer, tmp_path: Path
) -> None:
    fitted.save(tmp_path / "model")
    loaded = LearnedRecognizer.load(tmp_path / "model")
    assert loaded.find(_SENTENCE) == fitted.find(_SENTENCE)
    assert np.array_equal(loaded.coef_, fitted.coef_)
    assert loaded.settings() == fitted.settings()
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "medsage.json",
        "vocabulary.json",
        "weights.npz",
    ]


def test_when_saved_then_every_array_loads_without_pickle(
    fitted: LearnedRecognizer, tmp_path: Path
) -> None:
    fitted.save(tmp_path / "model")
    with np.load(tmp_path / "model" / "weights.npz", allow_pickle=False) as weights:
        assert sorted(weights.files) == ["coef", "intercept"]
        assert weights["coef"].dtype == np.float32
    with zipfile.ZipFile(tmp_path / "model" / "weights.npz") as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    manifest = json.loads((tmp_path / "model" / "medsage.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "deid-learned-recognizer"
    assert manifest["class"] == "LearnedRecognizer"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "weights.npz").unlink(), "weights.npz is missing"),
        (lambda d: (d / "weights.npz").write_bytes(b"PK\x03\x04 not a zip"), "could not be read"),
        (lambda d: (d / "weights.npz").write_bytes(b"\x80\x04garbage"), "could not be read"),
        (lambda d: (d / "vocabulary.json").write_text("[1,", encoding="utf-8"), "could not be"),
        (lambda d: (d / "vocabulary.json").write_text('["w=x"]', encoding="utf-8"), "disagree"),
        (lambda d: (d / "medsage.json").write_text("{", encoding="utf-8"), "not valid JSON"),
        (lambda d: (d / "medsage.json").unlink(), "medsage.json is missing"),
    ],
    ids=["missing-weights", "corrupt-zip", "pickle-bytes", "bad-vocab-json", "short-vocab",
         "bad-manifest", "missing-manifest"],
)  # fmt: skip
def test_when_a_bundle_file_is_missing_or_corrupt_then_model_bundle_error(
    fitted: LearnedRecognizer, tmp_path: Path, damage: object, message: str
) -> None:
    folder = fitted.save(tmp_path / "model")
    damage(folder)  # type: ignore[operator]
    with pytest.raises(ModelBundleError, match=message):
        LearnedRecognizer.load(folder)


def test_when_the_folder_does_not_exist_then_model_bundle_error(tmp_path: Path) -> None:
    with pytest.raises(ModelBundleError, match="does not exist"):
        LearnedRecognizer.load(tmp_path / "nowhere")


def test_when_used_before_fit_then_not_fitted_error() -> None:
    with pytest.raises(NotFittedError, match="call fit"):
        LearnedRecognizer().find("Dr. Smith")


@pytest.mark.parametrize(
    "settings", [{"threshold": 0.0}, {"threshold": 1.0}, {"veto_below": 0.6}, {"c": 0.0}]
)
def test_when_settings_are_out_of_range_then_invalid_input_error(
    settings: dict[str, float],
) -> None:
    with pytest.raises(InvalidInputError):
        LearnedRecognizer(**settings).fit(_notes())  # type: ignore[arg-type]


def test_when_combined_with_the_rules_then_the_analyzer_unions_their_spans(
    fitted: LearnedRecognizer,
) -> None:
    text = "Seen by Dr. Halvorsen. Call 410-555-1234."
    both = Analyzer([*default_recognizers(), fitted]).analyze(text)
    assert [(text[s.start : s.end], s.type) for s in both] == [
        ("Halvorsen", "NAME"),
        ("410-555-1234", "PHONE"),
    ]


def test_when_tokens_are_phi_then_runs_become_spans_trimmed_of_punctuation() -> None:
    text = "Dr. Ann Lee.\nBob"
    tokens = note_tokens(text)  # Dr . Ann Lee . \n Bob
    phi = [0.1, 0.1, 0.9, 0.8, 0.7, 0.6]
    probs = np.array([[1 - p, p] for p in phi])
    spans = phi_spans(text, tokens, probs, ["O", "NAME"], 0.5, "t")
    assert [(text[s.start : s.end], s.score) for s in spans] == [
        ("Ann Lee", pytest.approx(0.9)),
        ("Bob", pytest.approx(0.6)),
    ]


def test_when_the_model_disbelieves_a_rule_span_then_it_is_protected() -> None:
    text = "Foley in place, Smith here"
    tokens = note_tokens(text)
    probs = np.array([[0.99, 0.01], [0.99, 0.01], [0.99, 0.01], [0.99, 0.01], [0.2, 0.8],
                      [0.99, 0.01]])  # fmt: skip
    rule_spans = [
        PhiSpan(0, 5, "NAME", 0.6, "en_name_dictionary"),
        PhiSpan(16, 21, "NAME", 0.6, "en_name_dictionary"),
        PhiSpan(0, 5, "NAME", 0.6, "never_seen_in_training"),
    ]
    vetoes = veto_ranges(tokens, probs, rule_spans, 0.05, ["en_name_dictionary"])
    assert [(v.start, v.end, v.score) for v in vetoes] == [(0, 5, 0.95)]


def test_when_propagating_then_a_rare_word_is_phi_wherever_it_recurs() -> None:
    text = "to Zorbin today. Zorbin again, and again."
    tokens = note_tokens(text)  # to Zorbin today . Zorbin again , and again .
    phi = [0.01, 0.9, 0.01, 0.0, 0.2, 0.3, 0.0, 0.01, 0.3, 0.0]
    probs = np.array([[1 - p, p] for p in phi])
    spans = phi_spans(text, tokens, probs, ["O", "NAME"], 0.5, "t", propagate=0.8)
    # "again" is a common word: its 0.3 stays under the threshold; "Zorbin" takes 0.9 twice
    assert [(text[s.start : s.end], s.score) for s in spans] == [
        ("Zorbin", pytest.approx(0.9)),
        ("Zorbin", pytest.approx(0.9)),
    ]
    assert phi_spans(text, tokens, probs, ["O", "NAME"], 0.5, "t") == spans[:1]


def test_when_a_learned_span_overlaps_a_rule_span_then_it_takes_the_rule_type() -> None:
    text = "at Sacred Heart Memorial"
    tokens = note_tokens(text)
    probs = np.array([[0.99, 0.005, 0.005], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8], [0.9, 0.05, 0.05]])
    rule = [PhiSpan(10, 24, "FACILITY", 0.85, "en_facility")]
    spans = phi_spans(text, tokens, probs, ["O", "FACILITY", "NAME"], 0.5, "t", rule)
    assert [(text[s.start : s.end], s.type) for s in spans] == [("Sacred Heart", "FACILITY")]


def test_when_deid_cli_gets_a_model_then_its_spans_are_added(
    fitted: LearnedRecognizer, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from medsage.cli.main import app

    fitted.save(tmp_path / "learned")
    text = "Son Marla at bedside."
    plain = CliRunner().invoke(app, ["deid", "--json", text])
    learned = CliRunner().invoke(
        app, ["deid", "--json", "--model", str(tmp_path / "learned"), text]
    )
    assert plain.exit_code == learned.exit_code == 0, learned.output
    found = {s["recognizer"] for s in json.loads(learned.stdout)["spans"]}
    assert fitted.name in found
    assert fitted.name not in {s["recognizer"] for s in json.loads(plain.stdout)["spans"]}
