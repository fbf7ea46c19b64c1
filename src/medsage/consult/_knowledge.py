"""The consultation knowledge base: trusted documents, searched by answer and by question.

Per language ("en", "zh") the base holds two literature indexes over the same documents:
`answers` (title and text) and `questions` (focus and question, the idea of question
entailment: a consumer question is answered by the answer of the most similar known question,
Ben Abacha and Demner-Fushman 2019, BMC Bioinformatics 20:511). A query is searched with BM25
and dense vectors in both, and the four rankings are fused by reciprocal rank (k = 60), with a
bonus for candidates whose focus words all appear in the question.

Measured on TREC 2017 LiveQA-Med over MedQuAD (benchmarks/consult_liveqa.py): see
benchmarks/README.md. Trust: "trusted" for curated guidelines and MedQuAD (NIH sources),
"community" for answers from online dialogue data, shown to the user as such.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from medsage.errors import InvalidInputError, MissingFileError
from medsage.literature import Document, LiteratureIndex, load_documents
from medsage.literature._ingest import load_document_table
from medsage.literature._tokens import analyze
from medsage.settings import get_settings

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "zh")
TRUST_LEVELS = ("trusted", "community")
RRF_K = 60
DEPTH = 100
# One top-ranked list's worth (1 / 61 = 0.016) is about half of this: a candidate whose focus
# is named in the question moves ahead of one that only matched the words around it.
FOCUS_BONUS = 0.03
ENCODERS = {"en": "minilm", "zh": "e5"}

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Passage:
    """A retrieved document, numbered for citation."""

    number: int
    document: Document
    score: float

    @property
    def id(self) -> str:
        return self.document.id

    @property
    def title(self) -> str:
        return self.document.title

    @property
    def text(self) -> str:
        return self.document.text

    @property
    def trust(self) -> str:
        return self.document.extra.get("trust", "trusted")


def default_kb_folder() -> Path:
    """`$MEDSAGE_HOME/consult/kb`."""
    return get_settings().home / "consult" / "kb"


def curated_documents(language: str | None = None) -> list[Document]:
    """The project's own curated demo knowledge (package data), both languages or one."""
    out: list[Document] = []
    folder = resources.files("medsage") / "resources" / "consult" / "knowledge"
    for lang in LANGUAGES if language is None else (language,):
        with resources.as_file(folder / f"{lang}.jsonl") as path:
            for doc in load_document_table(path, language=lang, source=f"medsage-curated-{lang}"):
                out.append(_with_extra(doc, trust="trusted", curated="1"))
    return out


def _with_extra(doc: Document, **extra: str) -> Document:
    return dataclasses.replace(doc, extra={**doc.extra, **extra})


def _question_view(doc: Document) -> Document:
    """The document as its known question: focus and question (title when there is none)."""
    question = doc.extra.get("question") or doc.title
    focus = doc.extra.get("focus", "")
    return dataclasses.replace(doc, text=" ".join(filter(None, [focus, question])))


class KnowledgeBase:
    """Trusted documents in per-language answer and question indexes under one folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._indexes: dict[tuple[str, str], LiteratureIndex] = {}
        for lang in LANGUAGES:
            for view in ("answers", "questions"):
                path = self.folder / lang / view
                if (path / "manifest.json").is_file():
                    self._indexes[lang, view] = LiteratureIndex.open(path)

    @classmethod
    def open(cls, folder: str | Path | None = None) -> KnowledgeBase:
        """The base in `folder` (default `$MEDSAGE_HOME/consult/kb`), built from the curated
        demo knowledge when the folder holds none yet."""
        path = Path(folder) if folder is not None else default_kb_folder()
        kb = cls(path)
        if not kb.languages():
            kb.add(curated_documents())
        return kb

    def languages(self) -> list[str]:
        """Languages with documents."""
        return [lang for lang in LANGUAGES if (lang, "answers") in self._indexes]

    def __len__(self) -> int:
        return sum(len(ix) for (_l, view), ix in self._indexes.items() if view == "answers")

    def get(self, doc_id: str) -> Document:
        for (_lang, view), index in self._indexes.items():
            if view == "answers" and doc_id in index:
                return index.get(doc_id)
        raise KeyError(doc_id)

    def add(
        self, documents: Iterable[Document], *, trust: str | None = None,
        progress: Progress | None = None,
    ) -> int:  # fmt: skip
        """Index documents (an existing id is replaced); returns how many were added.

        `trust`: set every document's trust level ("trusted" or "community"); default: keep
        the document's own (extra["trust"]), else "trusted".
        """
        if trust is not None and trust not in TRUST_LEVELS:
            raise InvalidInputError(f"trust must be one of {TRUST_LEVELS}, got {trust!r}")
        by_lang: dict[str, list[Document]] = {lang: [] for lang in LANGUAGES}
        count = 0
        for doc in documents:
            level = trust or doc.extra.get("trust", "trusted")
            lang = "zh" if doc.language in ("zh", "mixed") else "en"
            by_lang[lang].append(_with_extra(doc, trust=level))
            count += 1
        for lang, docs in by_lang.items():
            if not docs:
                continue
            for view, batch in (
                ("answers", docs),
                ("questions", [_question_view(d) for d in docs]),
            ):
                key = (lang, view)
                if key in self._indexes:
                    self._indexes[key].add(batch, progress=progress)
                    self._indexes[key].save()
                else:
                    self._indexes[key] = LiteratureIndex.build(
                        batch, self.folder / lang / view, encoder=ENCODERS[lang],
                        progress=progress,
                    )  # fmt: skip
        logger.info("knowledge base: added %d documents", count)
        return count

    def add_path(
        self, path: str | Path, *, format: str = "auto", trust: str | None = None,
        progress: Progress | None = None,
    ) -> int:  # fmt: skip
        """Index a corpus file or folder (any `load_documents` format); returns the count."""
        if not Path(path).exists():
            raise MissingFileError(f"{path} does not exist; give a corpus file or folder")
        docs = load_documents(path, format)  # type: ignore[arg-type]
        return self.add(docs, trust=trust, progress=progress)

    def adopt_indexes(self, language: str, answers: Path, questions: Path) -> None:
        """Copy ready-made answer and question index folders in (benchmarks reuse them)."""
        for view, source in (("answers", answers), ("questions", questions)):
            target = self.folder / language / view
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target)
            self._indexes[language, view] = LiteratureIndex.open(target)

    def retrieve(self, query: str, language: str, k: int = 5) -> list[Passage]:
        """The `k` best documents for `query`, searched in `language` (else the other one)."""
        langs = [language] + [lang for lang in self.languages() if lang != language]
        for lang in langs:
            if (lang, "answers") in self._indexes:
                return self._retrieve(query, lang, k)
        return []

    def _retrieve(self, query: str, lang: str, k: int) -> list[Passage]:
        fused: dict[str, float] = {}
        for view in ("answers", "questions"):
            index = self._indexes.get((lang, view))
            if index is None:
                continue
            modes = ("bm25", "dense") if index.encoder is not None else ("bm25",)
            for mode in modes:
                for rank, (doc_id, _score) in enumerate(index.ranked_ids(query, DEPTH, mode), 1):
                    fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (RRF_K + rank)
        answers = self._indexes[lang, "answers"]
        query_terms = set(analyze(query))
        for doc_id in fused:
            fused[doc_id] += FOCUS_BONUS * focus_coverage(
                answers.get(doc_id).extra.get("focus", ""), query_terms
            )
        best = sorted(fused, key=lambda d: (-fused[d], d))[:k]
        return [Passage(i, answers.get(d), fused[d]) for i, d in enumerate(best, 1)]


@functools.lru_cache(maxsize=65_536)
def _focus_terms(focus: str) -> tuple[str, ...]:
    return tuple(analyze(focus)) if focus else ()


def focus_coverage(focus: str, query_terms: set[str] | Sequence[str]) -> float:
    """Share of the focus's search terms that the query holds (0 when there is no focus)."""
    terms = _focus_terms(focus)
    if not terms:
        return 0.0
    wanted = set(query_terms)
    return sum(t in wanted for t in terms) / len(terms)
