"""Dense passage vectors: a local sentence encoder (MiniLM or multilingual e5), exact search."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from medsage.errors import InvalidInputError

ENCODERS = ("minilm", "e5")
# multilingual-e5 was trained with these prefixes (Wang et al. 2024, "Multilingual E5 text
# embeddings: a technical report"); MiniLM takes plain text.
PREFIXES = {"e5": ("query: ", "passage: ")}
MAX_SEQ_LENGTH = 256  # tokens per passage: title plus the opening of the abstract
BATCH_SIZE = 64

Progress = Callable[[int, int], None]

_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}


def choose_encoder(languages: Sequence[str], requested: str) -> str:
    """ "auto": e5 when any document is Chinese or mixed, else MiniLM; or the name given."""
    if requested == "auto":
        return "e5" if any(lang != "en" for lang in languages) else "minilm"
    if requested not in ENCODERS and not requested.strip():
        raise InvalidInputError(
            f"encoder must be 'auto', {' or '.join(map(repr, ENCODERS))} or a checkpoint folder"
        )
    return requested


def encode_passages(
    encoder: str, texts: Sequence[str], progress: Progress | None = None
) -> NDArray[np.float32]:
    """Unit-length passage vectors, one row per text, encoded in batches."""
    prefix = PREFIXES.get(encoder, ("", ""))[1]
    model = _model(encoder)
    dim = int(_dimension(model))
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for start in range(0, len(texts), BATCH_SIZE):
        batch = [prefix + t for t in texts[start : start + BATCH_SIZE]]
        out[start : start + len(batch)] = model.encode(
            batch, batch_size=BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False
        )
        if progress is not None:
            progress(start + len(batch), len(texts))
    return out


def encode_query(encoder: str, query: str) -> NDArray[np.float32]:
    """The unit-length vector of a query."""
    prefix = PREFIXES.get(encoder, ("", ""))[0]
    vector = _model(encoder).encode(
        [prefix + query], normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vector[0], dtype=np.float32)


def _model(encoder: str) -> Any:
    """The sentence encoder for a name or folder, loaded once per process, offline."""
    with _LOCK:
        if encoder not in _MODELS:
            from medsage.models import resolve_base

            folder = resolve_base(encoder)
            try:
                from sentence_transformers import SentenceTransformer
                from sentence_transformers.sentence_transformer.modules import (
                    Normalize,
                    Pooling,
                    Transformer,
                )
            except ImportError:  # pragma: no cover - a declared dependency
                from medsage.errors import MissingFileError

                raise MissingFileError(
                    "dense search needs sentence-transformers: "
                    "pip install sentence-transformers==6.2.0"
                ) from None
            if (folder / "modules.json").is_file():
                model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
            else:  # a bare Hugging Face checkpoint (the converted e5): mean pooling, as trained
                body = Transformer(str(folder), max_seq_length=MAX_SEQ_LENGTH)
                pooling = Pooling(_dimension(body), pooling_mode="mean")
                model = SentenceTransformer(modules=[body, pooling, Normalize()], device="cpu")
            model.max_seq_length = MAX_SEQ_LENGTH
            model.eval()
            _MODELS[encoder] = model
        return _MODELS[encoder]


def _dimension(module: Any) -> int:
    """Embedding width (sentence-transformers 6 renamed the getters; accept both)."""
    for name in (
        "get_embedding_dimension",
        "get_sentence_embedding_dimension",
        "get_word_embedding_dimension",
    ):
        getter = getattr(module, name, None)
        if getter is not None:
            return int(getter())
    raise TypeError(f"{type(module).__name__} does not report its embedding dimension")


def top_slots(
    vectors: NDArray[np.float32],
    query: NDArray[np.float32],
    allowed: NDArray[np.bool_],
    n: int,
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """The `n` allowed rows with the highest dot product with `query`, best first."""
    candidates = np.flatnonzero(allowed)
    if candidates.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    if candidates.size * 4 < vectors.shape[0]:  # a narrow filter: score only its rows
        scores = vectors[candidates] @ query
    else:
        scores = (vectors @ query)[candidates]
    order = _top(scores, n)
    return candidates[order].astype(np.int64), scores[order]


def _top(scores: NDArray[Any], n: int) -> NDArray[np.int64]:
    """Indices of the `n` highest scores, best first (ties: lower index first)."""
    if scores.size > n:
        part = np.argpartition(-scores, n - 1)[:n]
        threshold = scores[part].min()
        part = np.flatnonzero(scores >= threshold)  # keep every tie at the boundary
    else:
        part = np.arange(scores.size)
    order = part[np.lexsort((part, -scores[part]))]
    return order[:n].astype(np.int64)
