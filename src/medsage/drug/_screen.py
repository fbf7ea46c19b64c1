"""Screening: standardise, profile, filter, predict and rank a molecule library.

Pipeline: records are read as a stream and sent in batches to worker processes (2 by default),
which standardise each molecule, compute properties, run the drug-likeness rules and alert
catalogs and, with `similar_to`, the ECFP4 similarity to the reference molecules. Molecules
that pass every rule go to the property models: models that predict from features
(`FeaturePredictor`, e.g. `PropertyModel`) run in the workers on features computed once per
molecule; any other `PropertyPredictor` runs in the main process on the standardised SMILES.
The rest go to the rejected file with their reason (rule failures; QED and alerts are not
computed for them). Nothing is dropped silently.

Ranking formula (also printed in the HTML report):

    score = w_qed * QED + w_model * D + w_sim * S - w_alert * min(A, alert_cap)

- QED: Bickerton's quantitative estimate of drug-likeness, 0..1.
- D: model desirability, the mean over every (model, task) of a 0..1 desirability:
  classification -> the predicted probability p (or 1 - p for a task to minimise);
  regression -> the percentile rank of the predicted value among the ranked molecules
  (ties share their mean rank; reversed for a task to minimise). A prediction flagged
  outside the model's applicability domain counts `OUT_OF_DOMAIN_FACTOR` (half) as much.
  D = 0 without models.
- S: highest ECFP4 Tanimoto similarity to the `similar_to` molecules (0 without them).
- A: number of structural alerts found (PAINS, Brenk, NIH as chosen in `filters`).
- Default weights: w_qed = 1, w_model = 1, w_sim = 1, w_alert = 0.25, alert_cap = 4.

Ties are broken by input row (earlier first), so a ranking is identical run to run.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import os
import time
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from medsage.drug._filters import split_filters
from medsage.drug._molecules import (
    MoleculeRecord,
    count_records,
    read_molecules,
    standardize_record,
)
from medsage.drug._profile import MoleculeProfile, profile_molecule
from medsage.errors import EmptyInputError, InvalidInputError

if TYPE_CHECKING:
    from medsage.drug._features import FeatureBatch

DEFAULT_FILTERS = ("lipinski", "veber", "pains", "brenk")
OUT_OF_DOMAIN_FACTOR = 0.5
BATCH_SIZE = 250
# Classification tasks where a high probability is bad (toxicity, side effects): minimised
# unless `objectives` says otherwise. Keys are model names or "model.task".
DEFAULT_MINIMIZE = ("tox21", "sider", "clintox.CT_TOX")

Prediction = dict[str, dict[str, float | bool | None]]
Objective = Literal["max", "min"]


@runtime_checkable
class FeaturePredictor(Protocol):
    """A property model that can predict from `featurize_mols` features (`PropertyModel`)."""

    name: str

    def predict_features(self, part: FeatureBatch) -> list[Prediction]:
        """One prediction dict per featurised molecule, as `PropertyPredictor.predict`."""
        ...


class PropertyPredictor(Protocol):
    """What `screen` needs from a property model (medsage.drug PropertyModel satisfies it)."""

    name: str  # e.g. "esol"
    tasks: list[str]
    task_type: str  # "regression" | "classification"

    def predict(self, smiles: Sequence[str]) -> list[Prediction]:
        """One dict per molecule: {task: {"value", "lower", "upper", "nearest_similarity",
        "in_domain"}}."""
        ...


@dataclass(frozen=True)
class RankingWeights:
    """Weights of the ranking formula (see the module docstring)."""

    qed: float = 1.0
    model: float = 1.0
    similarity: float = 1.0
    alert: float = 0.25
    alert_cap: int = 4


@dataclass
class RankedMolecule:
    """A molecule that passed the rules, with its predictions and score terms."""

    profile: MoleculeProfile
    predictions: dict[str, Prediction] = field(default_factory=dict)
    desirability: float = 0.0
    score: float = 0.0
    rank: int = 0


@dataclass(frozen=True)
class ScreenResult:
    """Counts, timings and the written files of one screen."""

    input: str
    n_read: int
    n_valid: int
    n_invalid: int
    n_filtered: int
    n_ranked: int
    hits: list[RankedMolecule]
    rejected: list[tuple[MoleculeProfile, str, str]]  # (profile, status, reason), first 200
    seconds: float
    molecules_per_second: float
    out_csv: str
    rejected_csv: str
    report_html: str | None
    filters: tuple[str, ...]
    models: tuple[str, ...]
    tasks: tuple[tuple[str, str, str], ...]  # (model, task, objective)
    weights: RankingWeights
    canonical_tautomer: bool
    workers: int
    similar_to: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        """The JSON summary `medsage drug screen --json` prints."""
        return {
            "input": self.input, "read": self.n_read, "valid": self.n_valid,
            "invalid": self.n_invalid, "filtered": self.n_filtered, "ranked": self.n_ranked,
            "hits": len(self.hits), "seconds": round(self.seconds, 3),
            "molecules_per_second": round(self.molecules_per_second, 1),
            "out_csv": self.out_csv, "rejected_csv": self.rejected_csv,
            "report_html": self.report_html, "filters": list(self.filters),
            "models": list(self.models), "canonical_tautomer": self.canonical_tautomer,
            "workers": self.workers,
        }  # fmt: skip


# ---------------------------------------------------------------- worker side


@functools.lru_cache(maxsize=4)
def _reference_fps(smiles: tuple[str, ...], canonical_tautomer: bool) -> tuple[Any, ...]:
    from medsage.drug._molecules import standardize
    from medsage.drug._similarity import morgan_fingerprint

    fps = []
    for text in smiles:
        std = standardize(text, canonical_tautomer=canonical_tautomer)
        if not std.valid:
            raise InvalidInputError(f"--similar-to molecule {text!r} is invalid: {std.error}")
        fps.append(morgan_fingerprint(std.mol))
    return tuple(fps)


@dataclass(frozen=True)
class _BatchJob:
    records: list[MoleculeRecord]
    rules: tuple[str, ...]
    alerts: tuple[str, ...]
    canonical_tautomer: bool
    similar_to: tuple[str, ...]
    inchikey: bool  # also the SA score: both are output-only, so with --top the hits get them


# A profile and, when it passed the rules, each worker-side model's prediction for it.
Screened = tuple[MoleculeProfile, dict[str, Prediction]]

# The feature predictors of this worker process, set once by `_init_worker`.
_worker_models: tuple[FeaturePredictor, ...] = ()


def _profile_batch(
    job: _BatchJob, models: Sequence[FeaturePredictor] | None = None
) -> list[Screened]:
    from medsage.drug._features import featurize_mols

    references = _reference_fps(job.similar_to, job.canonical_tautomer) if job.similar_to else ()
    profiles: list[MoleculeProfile] = []
    passing: list[tuple[int, Any, Any]] = []  # (position, standardised molecule, properties)
    for record in job.records:
        std = standardize_record(
            record, canonical_tautomer=job.canonical_tautomer, inchikey=job.inchikey
        )
        profile = profile_molecule(
            std, record, rules=job.rules, alerts=job.alerts, references=references,
            with_sa=job.inchikey,
            skip_alerts_on_failure=True,  # a rejected row reports its rule failures only
        )  # fmt: skip
        if profile.passed_rules:
            passing.append((len(profiles), std.mol, profile.properties))
        profiles.append(profile)
    predictions: list[dict[str, Prediction]] = [{} for _ in profiles]
    models = _worker_models if models is None else models
    if models and passing:
        part = featurize_mols([mol for _, mol, _ in passing], [p for _, _, p in passing])
        for model in models:
            for (position, _, _), prediction in zip(
                passing, _checked(model, model.predict_features(part), len(passing)), strict=True
            ):
                predictions[position][model.name] = prediction
    return list(zip(profiles, predictions, strict=True))


def _init_worker(models: tuple[FeaturePredictor, ...], with_sa: bool) -> None:
    """Keep this worker's models; load the alert catalogs (and the SA fragment table when
    the workers score SA, i.e. without --top) once, before the first batch."""
    global _worker_models
    from medsage.drug._filters import _screened_catalogs
    from medsage.drug._properties import _fragment_scores

    _worker_models = models
    if with_sa:
        _fragment_scores()
    _screened_catalogs(("PAINS_A", "PAINS_B", "PAINS_C", "BRENK"))  # the default filters


def _batches(records: Iterable[MoleculeRecord], size: int) -> Iterator[list[MoleculeRecord]]:
    batch: list[MoleculeRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _profiled_batches(
    jobs: Iterator[_BatchJob], workers: int, models: tuple[FeaturePredictor, ...], with_sa: bool
) -> Iterator[list[Screened]]:
    """Run jobs in `workers` spawned processes (in order, at most 2 per worker in flight);
    each worker receives `models` once, when it starts."""
    if workers <= 1:
        for job in jobs:
            yield _profile_batch(job, models)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # never fork a process holding torch threads
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(models, with_sa)
    ) as pool:
        pending: deque[Future[list[Screened]]] = deque()
        for job in jobs:
            pending.append(pool.submit(_profile_batch, job))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


# ---------------------------------------------------------------- main side


def _objective(model: str, task: str, objectives: Mapping[str, str]) -> Objective:
    for key in (f"{model}.{task}", model):
        if key in objectives:
            value = objectives[key].strip().lower()
            if value not in ("max", "min"):
                raise InvalidInputError(
                    f"objective for {key!r} must be 'max' or 'min', got {objectives[key]!r}"
                )
            return "max" if value == "max" else "min"
    if f"{model}.{task}" in DEFAULT_MINIMIZE or model in DEFAULT_MINIMIZE:
        return "min"
    return "max"


def _checked(model: Any, predictions: list[Prediction], n: int) -> list[Prediction]:
    if len(predictions) != n:
        raise InvalidInputError(
            f"model {model.name!r} returned {len(predictions)} predictions for "
            f"{n} molecules; a PropertyPredictor returns one per molecule"
        )
    return predictions


def _predict(models: Sequence[PropertyPredictor], ranked: list[RankedMolecule]) -> None:
    smiles = [str(r.profile.smiles) for r in ranked]
    for model in models:
        predictions = _checked(model, model.predict(smiles), len(smiles))
        for item, prediction in zip(ranked, predictions, strict=True):
            item.predictions[model.name] = prediction


def _percentile_ranks(values: list[float]) -> list[float]:
    """Each value's rank among `values` scaled to 0..1 (ties share their mean rank)."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 1:
        return [0.5]
    return [(bisect_left(ordered, v) + bisect_right(ordered, v) - 1) / 2 / (n - 1) for v in values]


def _score(
    ranked: list[RankedMolecule], tasks: Sequence[tuple[str, str, str, Objective]],
    weights: RankingWeights,
) -> None:  # fmt: skip
    """Fill desirability and score of every ranked molecule (see the module docstring)."""
    terms: list[list[float]] = [[] for _ in ranked]
    for model, task, task_type, objective in tasks:
        idx = [
            i for i, r in enumerate(ranked)
            if isinstance(r.predictions.get(model, {}).get(task, {}).get("value"), (int, float))
        ]  # fmt: skip
        values = [float(ranked[i].predictions[model][task]["value"] or 0.0) for i in idx]
        if not values:
            continue
        if task_type == "classification":
            desirability = [min(max(v, 0.0), 1.0) for v in values]
        else:
            desirability = _percentile_ranks(values)
        for i, d in zip(idx, desirability, strict=True):
            if objective == "min":
                d = 1.0 - d
            if ranked[i].predictions[model][task].get("in_domain") is False:
                d *= OUT_OF_DOMAIN_FACTOR
            terms[i].append(d)
    for item, mine in zip(ranked, terms, strict=True):
        props = item.profile.properties
        qed = props.qed if props is not None and props.qed is not None else 0.0
        item.desirability = sum(mine) / len(mine) if mine else 0.0
        similarity = item.profile.similarity or 0.0
        n_alerts = min(len(item.profile.alerts), weights.alert_cap)
        item.score = (
            weights.qed * qed + weights.model * item.desirability
            + weights.similarity * similarity - weights.alert * n_alerts
        )  # fmt: skip


def screen(
    input_path: str | Path,
    *,
    models: Sequence[PropertyPredictor] = (),
    filters: Sequence[str] = DEFAULT_FILTERS,
    similar_to: Sequence[str] = (),
    top: int | None = None,
    out_csv: str | Path,
    report_html: str | Path | None = None,
    smiles_column: str | None = None,
    canonical_tautomer: bool = False,
    weights: RankingWeights | None = None,
    objectives: Mapping[str, str] | None = None,
    workers: int | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> ScreenResult:
    """Screen a .smi/.csv/.sdf library and write ranked hits (CSV, optional HTML report).

    Args:
        input_path: the library.
        models: property predictors (`PropertyPredictor`), run on molecules passing the rules.
        filters: rule names (must pass) and alert catalogs (penalised): see `FILTER_NAMES`.
        similar_to: reference SMILES for the similarity term.
        top: keep the N best; None keeps every molecule that passed.
        out_csv: the hits file; rejected rows go beside it as `<stem>.rejected.csv`.
        report_html: also write an HTML report with structures and highlighted alerts.
        canonical_tautomer: canonicalise tautomers (about +4 ms per molecule; off by default).
        weights: ranking weights (module docstring).
        objectives: "model" or "model.task" -> "max" or "min" (default max, except
            `DEFAULT_MINIMIZE`).
        workers: processes for standardising and profiling (default min(2, CPUs)).
        progress: called with (molecules done, total) after each batch.
    """
    start = time.perf_counter()
    rules, alerts = split_filters(filters)
    if top is not None and top < 1:
        raise InvalidInputError(f"--top must be at least 1, got {top}")
    if batch_size < 1:
        raise InvalidInputError(f"batch_size must be at least 1, got {batch_size}")
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"two models share a name: {names}; load each model once")
    given = dict(objectives or {})
    tasks = [
        (m.name, t, m.task_type, _objective(m.name, t, given)) for m in models for t in m.tasks
    ]
    references = tuple(similar_to)
    if references:
        _reference_fps(references, canonical_tautomer)  # fail fast on a bad reference
    total = count_records(input_path)
    records = read_molecules(input_path, smiles_column=smiles_column)
    n_workers = min(2, os.cpu_count() or 1) if workers is None else max(1, workers)
    if total <= batch_size:
        n_workers = 1  # spawning workers costs more than a single batch
    feature_models = tuple(m for m in models if isinstance(m, FeaturePredictor))
    smiles_models = [m for m in models if not isinstance(m, FeaturePredictor)]
    jobs = (
        # With --top, InChIKeys and SA scores (0.3-0.5 ms each) are computed for the hits only.
        _BatchJob(batch, tuple(rules), tuple(alerts), canonical_tautomer, references, top is None)
        for batch in _batches(records, batch_size)
    )
    ranked: list[RankedMolecule] = []
    rejected: list[tuple[MoleculeProfile, str, str]] = []
    n_read = n_valid = 0
    out = Path(out_csv)
    rejected_path = out.with_name(f"{out.stem}.rejected.csv")
    with _atomic_csv(rejected_path, REJECTED_COLUMNS) as rejected_writer:
        for screened in _profiled_batches(jobs, n_workers, feature_models, top is None):
            passing: list[RankedMolecule] = []
            for profile, predictions in screened:
                n_read += 1
                if not profile.valid:
                    reason = profile.error or "invalid"
                    rejected_writer.writerow(_rejected_row(profile, "invalid", reason))
                    if len(rejected) < 200:
                        rejected.append((profile, "invalid", reason))
                    continue
                n_valid += 1
                if not profile.passed_rules:
                    reason = "; ".join(
                        f"{r.rule}: {', '.join(r.violations)}"
                        for r in profile.rules
                        if not r.passed
                    )
                    rejected_writer.writerow(_rejected_row(profile, "filtered", reason))
                    if len(rejected) < 200:
                        rejected.append((profile, "filtered", reason))
                    continue
                passing.append(RankedMolecule(profile, predictions))
            if passing and smiles_models:
                _predict(smiles_models, passing)
            ranked.extend(passing)
            if progress is not None:
                progress(n_read, total)
    if n_read == 0:
        raise EmptyInputError(f"{input_path} holds no molecules; expected one SMILES per row")
    _score(ranked, [(m, t, ty, o) for m, t, ty, o in tasks], weights or RankingWeights())
    ranked.sort(key=lambda r: (-r.score, r.profile.row))
    for position, item in enumerate(ranked, start=1):
        item.rank = position
    hits = ranked[:top] if top is not None else ranked
    if top is not None:
        _complete_hits(hits)
    columns = hit_columns(tasks, bool(references))
    with _atomic_csv(out, columns) as writer:
        for item in hits:
            writer.writerow(_hit_row(item, tasks))
    seconds = time.perf_counter() - start
    result = ScreenResult(
        input=str(input_path), n_read=n_read, n_valid=n_valid, n_invalid=n_read - n_valid,
        n_filtered=n_valid - len(ranked), n_ranked=len(ranked), hits=hits, rejected=rejected,
        seconds=seconds, molecules_per_second=n_read / seconds if seconds > 0 else 0.0,
        out_csv=str(out), rejected_csv=str(rejected_path),
        report_html=str(report_html) if report_html is not None else None,
        filters=tuple(rules + alerts), models=tuple(names),
        tasks=tuple((m, t, o) for m, t, _ty, o in tasks), weights=weights or RankingWeights(),
        canonical_tautomer=canonical_tautomer, workers=n_workers, similar_to=references,
    )  # fmt: skip
    if report_html is not None:
        from medsage.drug._report import write_report

        write_report(result, Path(report_html))
    return result


def _complete_hits(hits: list[RankedMolecule]) -> None:
    """Add the output-only InChIKey and SA score that the workers skipped (see `_BatchJob`)."""
    from rdkit import Chem

    from medsage.drug._molecules import inchi_key
    from medsage.drug._properties import sa_score

    for item in hits:
        mol = Chem.MolFromSmiles(str(item.profile.smiles))
        props = item.profile.properties
        if props is not None and props.sa is None:
            props = dataclasses.replace(props, sa=sa_score(mol))
        item.profile = dataclasses.replace(item.profile, inchikey=inchi_key(mol), properties=props)


# ---------------------------------------------------------------- CSV output

PROPERTY_COLUMNS = (
    "mw", "clogp", "tpsa", "hbd", "hba", "rotb", "rings", "aromatic_rings", "fsp3",
    "formal_charge", "qed", "sa",
)  # fmt: skip
REJECTED_COLUMNS = ("row", "id", "name", "input", "status", "reason")


def hit_columns(tasks: Sequence[tuple[str, str, str, str]], similarity: bool) -> list[str]:
    """The hits CSV header: identity, properties, alerts, then five columns per model task."""
    columns = ["rank", "score", "row", "id", "name", "input", "smiles", "inchikey"]
    columns += [*PROPERTY_COLUMNS, "lipinski_violations", "n_alerts", "alerts", "desirability"]
    if similarity:
        columns.append("similarity")
    for model, task, _type, _objective in tasks:
        prefix = f"{model}.{task}"
        columns += [prefix, f"{prefix}.lower", f"{prefix}.upper", f"{prefix}.in_domain",
                    f"{prefix}.nearest_similarity"]  # fmt: skip
    return columns


def _fmt(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    return "" if value is None else value


def _hit_row(item: RankedMolecule, tasks: Sequence[tuple[str, str, str, str]]) -> list[Any]:
    from medsage.drug._filters import lipinski_violations

    p = item.profile
    props = p.properties
    row: list[Any] = [item.rank, _fmt(item.score), p.row, p.id, p.name or "", p.input, p.smiles,
                      p.inchikey or ""]  # fmt: skip
    row += [_fmt(getattr(props, name)) for name in PROPERTY_COLUMNS]
    row.append(len(lipinski_violations(props)) if props is not None else "")
    row.append(len(p.alerts))
    row.append("; ".join(f"{a.catalog}:{a.description}" for a in p.alerts))
    row.append(_fmt(item.desirability))
    if p.similarity is not None:
        row.append(_fmt(p.similarity))
    for model, task, _type, _objective in tasks:
        pred = item.predictions.get(model, {}).get(task, {})
        row += [_fmt(pred.get(key)) for key in
                ("value", "lower", "upper", "in_domain", "nearest_similarity")]  # fmt: skip
    return row


def _rejected_row(profile: MoleculeProfile, status: str, reason: str) -> list[Any]:
    return [profile.row, profile.id, profile.name or "", profile.input, status, reason]


class _atomic_csv:
    """Write a CSV to a temporary sibling and rename it into place when complete."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = path
        self.header = list(header)
        self.tmp = path.with_name(f".{path.name}.tmp")

    def __enter__(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.tmp.open("w", encoding="utf-8", newline="")
        writer = csv.writer(self._handle)
        writer.writerow(self.header)
        return writer

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._handle.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)
