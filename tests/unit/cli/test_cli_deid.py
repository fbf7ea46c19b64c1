"""`medsage deid`: text and file modes, --json, encryption round trip, eval, errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from medsage.cli.main import app

runner = CliRunner()
NOTE = "Pt seen on 3/12/2024. Contact daughter at 617-555-0142 or mary.hughes@example.com."


def test_when_text_given_then_tags_replace_phi() -> None:
    result = runner.invoke(app, ["deid", NOTE])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Pt seen on [DATE]. Contact daughter at [PHONE] or [EMAIL]."


def test_when_json_then_text_and_spans_without_original_phi() -> None:
    result = runner.invoke(app, ["deid", "--json", NOTE])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["text"] == "Pt seen on [DATE]. Contact daughter at [PHONE] or [EMAIL]."
    assert [(s["start"], s["end"], s["type"]) for s in payload["spans"]] == [
        (11, 20, "DATE"), (42, 54, "PHONE"), (58, 81, "EMAIL"),
    ]  # fmt: skip
    assert "617-555-0142" not in result.stdout


def test_when_encrypted_then_decrypt_restores_the_note(tmp_path: Path) -> None:
    key = tmp_path / "deid.key"
    assert runner.invoke(app, ["deid", "keygen", "--out", str(key)]).exit_code == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    sealed = runner.invoke(app, ["deid", "--operator", "encrypt", "--key-file", str(key), NOTE])
    assert sealed.exit_code == 0, sealed.output
    assert "617-555-0142" not in sealed.stdout
    restored = runner.invoke(app, ["deid", "decrypt", "--key-file", str(key), sealed.stdout])
    assert restored.stdout.strip() == NOTE


def test_when_jsonl_file_then_records_kept_and_surrogates_consistent(tmp_path: Path) -> None:
    source = tmp_path / "notes.jsonl"
    rows = [
        {"id": 1, "patient_id": "p1", "text": "Seen 3/1/2024, call 617-555-0142.", "ward": "5B"},
        {"id": 2, "patient_id": "p1", "text": "Back 3/15/2024, call 617-555-0142."},
    ]
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    secret = tmp_path / "secret"
    secret.write_bytes(b"a-long-enough-secret-for-tests")
    out = tmp_path / "out.jsonl"
    args = ["deid", "--input", str(source), "--out", str(out), "--operator", "surrogate"]
    result = runner.invoke(app, [*args, "--secret-file", str(secret), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["notes"], summary["spans_by_type"]) == (2, {"DATE": 2, "PHONE": 2})
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["id"] == 1 and first["ward"] == "5B" and "617-555-0142" not in first["text"]
    phone = first["text"].split("call ")[1]
    assert second["text"].endswith(f"call {phone}")  # same phone, same surrogate
    assert [p["type"] for p in first["phi"]] == ["DATE", "PHONE"]


def test_when_input_has_bad_json_then_line_named_and_no_output(tmp_path: Path) -> None:
    source = tmp_path / "notes.jsonl"
    source.write_text('{"text": "ok"}\n{"text": \n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["deid", "--input", str(source), "--out", str(out)])
    assert result.exit_code == 2
    assert "notes.jsonl:2: not valid JSON" in result.stderr
    assert not out.exists()


def test_when_bad_usage_then_one_line_errors(tmp_path: Path) -> None:
    cases = [
        (["deid", "   "], "the text is empty"),
        (["deid", "--operator", "shred", "x"], "unknown operator 'shred'"),
        (["deid", "--operator", "encrypt", "x"], "needs a key"),
        (["deid", "--input", str(tmp_path / "none.jsonl"), "--out", "o"], "not found"),
        (["deid", "--lang", "fr", "x"], "lang must be one of"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)


def test_when_eval_on_jsonl_gold_then_scores_as_json(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    text = "Call 617-555-0142 on 3/12/2024."
    spans = [{"start": 5, "end": 17, "type": "PHONE"}, {"start": 21, "end": 30, "type": "DATE"}]
    gold.write_text(json.dumps({"id": "g1", "text": text, "spans": spans}) + "\n", "utf-8")
    result = runner.invoke(app, ["deid", "eval", "--gold", "jsonl", str(gold), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["span_recall"], payload["span_precision"]) == (1.0, 1.0)
    assert payload["missed"] == []
