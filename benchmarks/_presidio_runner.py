"""Run Presidio's analyzer over notes (in Presidio's own virtual environment).

Usage: .venv-presidio/bin/python benchmarks/_presidio_runner.py NOTES.json OUT.json

NOTES.json is a list of texts. Presidio's default spaCy model (en_core_web_lg) cannot be
downloaded here (no network), so the NLP engine is a blank spaCy English pipeline: Presidio's
pattern, checksum and context recognizers run; its spaCy NER recognizer finds nothing. OUT.json
gets the spans per note and the timing of one full pass after a warm-up.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time


def main() -> None:
    from importlib.metadata import version

    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    # Offline: use tldextract's bundled public-suffix snapshot instead of fetching the list.
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    with open(sys.argv[1], encoding="utf-8") as handle:
        notes = json.load(handle)
    with tempfile.TemporaryDirectory() as tmp:
        spacy.blank("en").to_disk(tmp)
        provider = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": tmp}],
            }
        )
        engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
        engine.analyze(text=notes[0], language="en")  # warm-up
        started = time.perf_counter()
        found = [
            [
                {"start": r.start, "end": r.end, "type": r.entity_type, "score": r.score}
                for r in engine.analyze(text=text, language="en")
            ]
            for text in notes
        ]
        seconds = time.perf_counter() - started
    payload = {
        "spans": found,
        "seconds": seconds,
        "presidio_analyzer": version("presidio-analyzer"),
        "spacy": spacy.__version__,
    }
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        json.dump(payload, handle)


if __name__ == "__main__":
    main()
