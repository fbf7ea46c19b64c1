"""`medsage lit`: index, search, summarize, trends and evaluate a literature corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from medsage.cli._common import emit_json, handles_errors, progress_bar, stdout
from medsage.errors import InvalidInputError

app = typer.Typer(
    help="Medical literature: index, search, summarize, trends, eval.", no_args_is_help=True
)


def _filters(
    year_from: int | None, year_to: int | None, source: list[str] | None,
    journal: list[str] | None, language: list[str] | None, pub_type: list[str] | None,
) -> dict[str, Any]:  # fmt: skip
    return {
        k: v
        for k, v in {
            "year_min": year_from,
            "year_max": year_to,
            "sources": tuple(source or ()),
            "journals": tuple(journal or ()),
            "languages": tuple(language or ()),
            "publication_types": tuple(pub_type or ()),
        }.items()
        if v not in (None, ())
    }


@app.command("index")
@handles_errors
def index_command(
    corpus: Path = typer.Option(..., "--corpus", help="A file or folder of documents."),
    index: Path = typer.Option(..., "--index", help="The index folder to write or extend."),
    fmt: str = typer.Option(
        "auto", "--format", help="auto, pubmed, medline, beir, medquad, jsonl, csv, dialogue."
    ),
    dense: bool = typer.Option(True, "--dense/--no-dense", help="Also compute dense vectors."),
    encoder: str = typer.Option("auto", "--encoder", help="auto, minilm, e5 or a folder."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Index --corpus into --index (an existing index is extended; same ids are replaced)."""
    from medsage.literature import LiteratureIndex, load_documents
    from medsage.literature._ingest import FORMATS

    if fmt != "auto" and fmt not in FORMATS:
        raise InvalidInputError(f"--format must be auto or one of {', '.join(FORMATS)}: {fmt!r}")
    docs = load_documents(corpus, format=fmt)  # type: ignore[arg-type]
    with progress_bar("indexing", enabled=not as_json) as bar:

        def progress(stage: str, done: int, total: int) -> None:
            bar(done, total)

        if (index / "manifest.json").is_file():
            built = LiteratureIndex.open(index)
            built.add(docs, progress=progress)
            built.save()
        else:
            built = LiteratureIndex.build(
                docs, index, dense=dense, encoder=encoder, progress=progress
            )
    summary = {"index": str(index), "documents": len(built), "added": len(docs),
               "encoder": built.encoder}  # fmt: skip
    if as_json:
        emit_json(summary)
    else:
        stdout.print(f"{index}: {len(built)} documents ({len(docs)} read from {corpus})")


@app.command("search")
@handles_errors
def search_command(
    query: str = typer.Argument(..., help="What to search for (English or Chinese)."),
    index: Path = typer.Option(..., "--index"),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, bm25 or dense."),
    k: int = typer.Option(10, "--k"),
    year_from: int | None = typer.Option(None, "--year-from"),
    year_to: int | None = typer.Option(None, "--year-to"),
    source: list[str] | None = typer.Option(None, "--source", help="Source prefix (repeat)."),
    journal: list[str] | None = typer.Option(None, "--journal"),
    language: list[str] | None = typer.Option(None, "--language"),
    pub_type: list[str] | None = typer.Option(None, "--pub-type"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per hit."),
) -> None:
    """Search an index: ranked hits with snippets (matched terms in **bold**)."""
    from medsage.literature import LiteratureIndex

    hits = LiteratureIndex.open(index).search(
        query, k=k, mode=mode,
        filters=_filters(year_from, year_to, source, journal, language, pub_type),
    )  # fmt: skip
    if as_json:
        for hit in hits:
            emit_json(hit.to_dict())
        return
    for hit in hits:
        year = f" ({hit.year})" if hit.year else ""
        stdout.print(f"[bold]{hit.rank}. {hit.title}[/]{year}  [dim]{hit.id} {hit.score:.3f}[/]")
        stdout.print(f"   {hit.snippet}", highlight=False)
    if not hits:
        stdout.print("no hits")


@app.command("summarize")
@handles_errors
def summarize_command(
    query: str = typer.Argument(..., help="The question or topic."),
    index: Path = typer.Option(..., "--index"),
    mode: str = typer.Option("hybrid", "--mode"),
    k: int = typer.Option(10, "--k", help="Hits to summarise."),
    sentences: int = typer.Option(5, "--sentences"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """An extractive summary of the top hits for QUERY, each sentence cited."""
    from medsage.literature import LiteratureIndex, summarize

    hits = LiteratureIndex.open(index).search(query, k=k, mode=mode)
    if not hits:
        raise InvalidInputError(f"no document matches {query!r}: nothing to summarise")
    summary = summarize([h.document for h in hits], query, max_sentences=sentences)
    if as_json:
        emit_json(summary.to_dict())
    else:
        stdout.print(summary.to_text(), highlight=False, markup=False)


@app.command("trends")
@handles_errors
def trends_command(
    index: Path = typer.Option(..., "--index"),
    query: str | None = typer.Option(None, "--query", help="Only the hits of this query."),
    k: int = typer.Option(1000, "--k", help="Hits to analyse with --query."),
    png: Path | None = typer.Option(None, "--png", help="Write a plot here."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Publications per year, top MeSH headings and terms (of the index or a query's hits)."""
    from medsage.literature import LiteratureIndex, trends

    opened = LiteratureIndex.open(index)
    docs = (
        [h.document for h in opened.search(query, k=k, mode="bm25")]
        if query else list(opened.documents())
    )  # fmt: skip
    result = trends(docs, query)
    if png is not None:
        result.plot(png)
    if as_json:
        emit_json(result.to_dict())
        return
    data = result.to_dict()
    stdout.print(json.dumps(data, ensure_ascii=False, indent=1)[:4000], highlight=False)


@app.command("eval")
@handles_errors
def eval_command(
    index: Path = typer.Option(..., "--index"),
    queries: Path = typer.Option(
        ..., "--queries", help="LiveQA XML, or TSV/JSONL with qid and text."
    ),
    qrels: Path = typer.Option(
        ..., "--qrels", help="TREC qrels file, or the MedQuAD LiveQA judgements folder."
    ),
    mode: str = typer.Option("hybrid", "--mode"),
    run_out: Path | None = typer.Option(None, "--run-out", help="Write the TREC run here."),
    run_in: Path | None = typer.Option(None, "--run", help="Score this TREC run instead."),
    min_relevant: int = typer.Option(1, "--min-relevant", help="Smallest relevant grade."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """nDCG@10, MAP, MRR, Recall@100 (and the LiveQA average score for LiveQA data)."""
    from medsage.literature import LiteratureIndex
    from medsage.literature._evaluate import evaluate_liveqa, run_queries, score_run
    from medsage.literature._trec import read_qrels, read_run, write_run

    opened = LiteratureIndex.open(index)
    with progress_bar("searching", enabled=not as_json) as bar:
        if qrels.is_dir() and queries.suffix.lower() == ".xml":
            result = evaluate_liveqa(opened, queries, qrels, mode=mode, progress=bar)
            scores, run = result.to_dict(), result.run
        else:
            questions = _read_queries(queries)
            run = (
                read_run(run_in)
                if run_in
                else run_queries(opened, questions, mode=mode, progress=bar)
            )
            scores = {"mode": mode, **score_run(run, read_qrels(qrels), min_relevant=min_relevant)}
    if run_out is not None:
        write_run(run, run_out, tag=f"medsage-{mode}")
    if as_json:
        emit_json(scores)
        return
    table = Table("measure", "value")
    for key, value in scores.items():
        if isinstance(value, float):
            table.add_row(key, f"{value:.4f}")
        elif isinstance(value, dict):
            for sub, v in value.items():
                table.add_row(f"{key}.{sub}", f"{v:.4f}" if isinstance(v, float) else str(v))
        else:
            table.add_row(key, str(value))
    stdout.print(table)


def _read_queries(path: Path) -> list[tuple[str, str]]:
    from medsage.datasets import read_text_file
    from medsage.errors import DataFormatError

    rows: list[tuple[str, str]] = []
    for number, line in enumerate(read_text_file(path).splitlines(), 1):
        if not line.strip():
            continue
        if path.suffix.lower() == ".jsonl":
            obj = json.loads(line)
            rows.append((str(obj["qid"]), str(obj["text"])))
        else:
            parts = line.split("\t", 1)
            if len(parts) != 2:
                raise DataFormatError(f"{path}:{number}: expected 'qid<TAB>query'")
            rows.append((parts[0], parts[1]))
    return rows
