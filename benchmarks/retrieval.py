"""LiteratureIndex speed on a synthetic English corpus, beside rank_bm25 and bm25s in one run.

Usage::

    .venv/bin/python benchmarks/retrieval.py [--docs 20000] [--queries 200]
        [--encode-sample 500] [--peer-queries 20]

Documents are recombined from the sentences of the real MedQuAD answers (4-12 random sentences
each, the title of a real question); queries are the 104 LiveQA-Med test questions (summaries)
and real MedQuAD questions, 1,000 in all. Measured:

- build: BM25 index build (terms + postings + save) for all documents;
- dense encoding throughput of the real encoder on `--encode-sample` documents; the remaining
  rows get random unit vectors (search cost does not depend on what the vectors hold), so
  dense and hybrid query latency is that of a full-size index with the real query encoder;
- per-query latency (p50, p95) for bm25, dense and hybrid, snippets included;
- rank_bm25 BM25Okapi.get_scores and bm25s (numpy backend) retrieve on the same tokens;
- add 1% new documents and delete 1%, then the first query after (delta postings).

Threads are limited to 2 (the acceptance target is 2 cores); on a machine whose cores are busy
with other work, --threads 1 avoids waiting for a descheduled second thread. Writes
benchmarks/results/retrieval.json (retrieval_<docs>.json for other sizes).
"""

from __future__ import annotations

import os
import sys

# Thread counts must be set before numpy and torch load; --threads N (default 2) is read here.
_THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "2"
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = _THREADS

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import default_data_dir, environment, write_result
from medsage.literature._documents import Document
from medsage.literature._index import LiteratureIndex, _searchable
from medsage.literature._tokens import analyze

MEDQUAD = default_data_dir() / "medquad"
LIVEQA = (
    default_data_dir() / "liveqa_med_trec2017"
    / "TREC-2017-LiveQA-Medical-Test-Questions-w-summaries.xml"
)  # fmt: skip


def corpus(n_docs: int, seed: int = 0) -> tuple[list[Document], list[str]]:
    """`n_docs` documents recombined from the sentences of the real MedQuAD answers (4-12
    sentences each, title from a real question), and real queries: the LiveQA-Med test
    questions (summaries) and the MedQuAD questions."""
    from medsage.literature._ingest import load_liveqa_questions, load_medquad
    from medsage.text import split_sentences

    rng = random.Random(seed)
    real = load_medquad(MEDQUAD)
    sentences = [s for d in real for s in split_sentences(d.text) if len(s) > 30]
    titles = [d.title for d in real]
    docs = []
    for i in range(n_docs):
        body = " ".join(rng.choice(sentences) for _ in range(rng.randint(4, 12)))
        docs.append(
            Document(
                id=f"syn{i}",
                title=rng.choice(titles),
                text=body,
                year=1990 + i % 35,
                journal=f"Journal {i % 50}",
                source="synthetic",
            )
        )
    queries = [q for _, q in load_liveqa_questions(LIVEQA, text="summary")]
    queries += rng.sample(titles, 1000 - len(queries))
    return docs, queries


def _percentiles(times: list[float]) -> dict[str, float]:
    ms = np.asarray(times) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "mean_ms": round(float(ms.mean()), 2),
    }


def _time_queries(fn: Any, queries: list[str]) -> dict[str, float]:
    fn(queries[0])  # warm-up
    times = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - start)
    return _percentiles(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--encode-sample", type=int, default=500)
    parser.add_argument("--peer-queries", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="BLAS and torch threads")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    result: dict[str, Any] = {"environment": environment(), "settings": vars(args)}
    docs, queries = corpus(args.docs)
    queries = queries[: args.queries]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        index = LiteratureIndex.build(docs, Path(tmp) / "idx", dense=False)
        result["build_bm25_s"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        LiteratureIndex.open(Path(tmp) / "idx")
        result["open_s"] = round(time.perf_counter() - start, 2)
        result["postings"] = int(index._sparse.doc_terms.shape[0])
        print("build", result["build_bm25_s"], "s; open", result["open_s"], "s", flush=True)
        result["bm25"] = _time_queries(lambda q: index.search(q, k=10, mode="bm25"), queries)
        result["bm25_no_snippet_scoring"] = _time_queries(
            lambda q: index._bm25(analyze(q), None, 10), queries
        )
        filters = {"year": (2000, 2010)}
        result["bm25_filtered"] = _time_queries(
            lambda q: index.search(q, k=10, mode="bm25", filters=filters), queries
        )
        print("bm25", result["bm25"], flush=True)

        # Dense: real encoder on a sample for throughput; random unit rows for the rest.
        from medsage.literature._dense import encode_passages

        sample = [f"{d.title}. {d.text}" for d in docs[: args.encode_sample]]
        encode_passages("minilm", sample[:8])  # load the model
        start = time.perf_counter()
        encoded = encode_passages("minilm", sample)
        per_s = len(sample) / (time.perf_counter() - start)
        result["dense_encode_docs_per_s"] = round(per_s, 1)
        result["dense_encode_estimated_build_s"] = round(args.docs / per_s, 1)
        rng = np.random.default_rng(0)
        rest = rng.standard_normal((args.docs - len(sample), encoded.shape[1])).astype(np.float32)
        rest /= np.linalg.norm(rest, axis=1, keepdims=True)
        index.encoder = "minilm"
        index._vectors = np.concatenate([encoded, rest]).astype(np.float16).astype(np.float32)
        result["dense"] = _time_queries(lambda q: index.search(q, k=10, mode="dense"), queries)
        result["hybrid"] = _time_queries(lambda q: index.search(q, k=10, mode="hybrid"), queries)
        print("dense", result["dense"], "hybrid", result["hybrid"], flush=True)

        # Incremental changes.
        extra, _ = corpus(max(1, args.docs // 100), seed=1)
        extra = [Document(id=f"new{i}", title=d.title, text=d.text) for i, d in enumerate(extra)]
        index.encoder = None  # BM25 only for the timing of add/delete
        index._vectors = None
        start = time.perf_counter()
        index.add(extra)
        result["add_1pct_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        index.delete([d.id for d in docs[: len(extra)]])
        result["delete_1pct_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        index.search(queries[0], mode="bm25")
        result["first_query_after_changes_ms"] = round((time.perf_counter() - start) * 1000, 1)
        result["bm25_after_changes"] = _time_queries(
            lambda q: index.search(q, k=10, mode="bm25"), queries
        )

    # Peers on the same tokens.
    tokens = [analyze(_searchable(d)) for d in docs]
    peer_queries = [analyze(q) for q in queries[: args.peer_queries]]
    import rank_bm25

    start = time.perf_counter()
    okapi = rank_bm25.BM25Okapi(tokens)
    result["rank_bm25_build_s"] = round(time.perf_counter() - start, 2)
    rank_times = []
    for q in peer_queries:
        start = time.perf_counter()
        scores = okapi.get_scores(q)
        np.argsort(scores)[::-1][:10]
        rank_times.append(time.perf_counter() - start)
    result["rank_bm25"] = _percentiles(rank_times)
    import bm25s

    start = time.perf_counter()
    peer = bm25s.BM25(method="atire", idf_method="robertson")
    peer.index(tokens, show_progress=False)
    result["bm25s_build_s"] = round(time.perf_counter() - start, 2)
    vocab = peer.vocab_dict
    known = [q for q in queries if any(t in vocab for t in analyze(q))]
    result["bm25s"] = _time_queries(
        lambda q: peer.retrieve([[t for t in analyze(q) if t in vocab]], k=10, show_progress=False),
        known,
    )
    ours = result["bm25_no_snippet_scoring"]["mean_ms"]
    result["speedup_vs_rank_bm25_mean"] = round(result["rank_bm25"]["mean_ms"] / ours, 1)
    print({k: v for k, v in result.items() if k != "environment"})
    name = "retrieval" if args.docs == 20_000 else f"retrieval_{args.docs}"
    print("wrote", write_result(name, result))


if __name__ == "__main__":
    main()
