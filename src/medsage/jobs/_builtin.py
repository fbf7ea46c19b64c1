"""The built-in job kinds, each a few lines over a library function."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from medsage.errors import InvalidInputError
from medsage.jobs._kinds import JOB_KINDS, JobKind, OptionSpec, Outcome, text_of

# ------------------------------------------------------------------------------------ deid

REPRODUCIBLE_OPERATORS = ("tag", "mask", "redact", "surrogate", "hash")
_KEYED = ("surrogate", "hash")


def _load_deid(options: Mapping[str, Any]) -> Any:
    from medsage.privacy import Deidentifier

    operator = options["operator"]
    if operator in _KEYED and not options["secret"]:
        # Without a fixed secret every worker would draw its own: outputs would differ.
        raise InvalidInputError(
            f"operator {operator!r} needs a fixed secret so every worker and every rerun "
            "gives the same replacements; pass --option secret=TEXT"
        )
    secret = options["secret"].encode() if options["secret"] else None
    return Deidentifier(options["lang"], operator, secret=secret, threshold=options["threshold"])


def _process_deid(state: Any, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    out: list[Outcome] = []
    for record in records:
        patient = record.get("patient_id")
        result = state.anonymize(
            text_of(record), patient_id=None if patient is None else str(patient)
        )
        phi = [
            {"start": s.start, "end": s.end, "type": s.type, "recognizer": s.recognizer}
            for s in result.spans
        ]
        out.append({"text": result.text, "phi": phi})
    return out


JOB_KINDS.register(
    JobKind(
        name="deid",
        summary="de-identify notes: text with PHI replaced, and the PHI spans (types, offsets)",
        fields=("text",),
        load=_load_deid,
        process=_process_deid,
        options={
            "lang": OptionSpec("str", "auto", "auto, en or zh", choices=("auto", "en", "zh")),
            "operator": OptionSpec(
                "str", "tag", "how PHI is replaced", choices=REPRODUCIBLE_OPERATORS
            ),
            "secret": OptionSpec("str", None, "key of the surrogate/hash operators", secret=True),
            "threshold": OptionSpec("float", 0.5, "minimum recognizer score"),
        },
    )
)

# -------------------------------------------------------------------------------- classify


def _load_classify(options: Mapping[str, Any]) -> Any:
    from medsage.models import TextClassifier

    return TextClassifier.load(options["model"])


def _process_classify(state: Any, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    texts = [text_of(r) for r in records]
    proba = state.predict_proba(texts)
    labels: list[str] = list(state.classes_)
    out: list[Outcome] = []
    for row in proba:
        best = int(row.argmax())
        out.append(
            {
                "label": labels[best],
                "probabilities": {label: float(p) for label, p in zip(labels, row, strict=True)},
            }
        )
    return out


JOB_KINDS.register(
    JobKind(
        name="classify",
        summary="label texts with a trained classifier: label and class probabilities",
        fields=("text",),
        load=_load_classify,
        process=_process_classify,
        options={"model": OptionSpec("str", None, "classifier bundle folder", required=True)},
    )
)

# -------------------------------------------------------------------------------- diagnose


def _load_diagnose(options: Mapping[str, Any]) -> Any:
    from medsage.diagnosis import ConceptProfiles
    from medsage.models import TextClassifier

    model = TextClassifier.load(options["model"]) if options["model"] else None
    knowledge = ConceptProfiles.load(options["knowledge"]) if options["knowledge"] else None
    return {"model": model, "knowledge": knowledge, "k": options["k"], "lang": options["lang"]}


def _process_diagnose(state: Any, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    from medsage.diagnosis import analyze_case

    out: list[Outcome] = []
    for record in records:
        report = analyze_case(
            text_of(record), model=state["model"], knowledge=state["knowledge"],
            lang=state["lang"], k=state["k"],
        )  # fmt: skip
        out.append(report.to_dict())
    return out


JOB_KINDS.register(
    JobKind(
        name="diagnose",
        summary="analyse case notes: the case-report dict of analyze_case",
        fields=("text",),
        load=_load_diagnose,
        process=_process_diagnose,
        options={
            "model": OptionSpec("str", None, "classifier bundle folder (the differential)"),
            "knowledge": OptionSpec("str", None, "concept profiles JSON"),
            "k": OptionSpec("int", 5, "differential length"),
            "lang": OptionSpec("str", "auto", "auto, en or zh", choices=("auto", "en", "zh")),
        },
    )
)

# ----------------------------------------------------------------------------------- embed


def pin_torch_threads() -> None:
    """One intra-op thread per worker: the same float sums in every process, and no
    oversubscription when several workers share the cores."""
    import torch

    torch.set_num_threads(1)


def _load_embed(options: Mapping[str, Any]) -> Any:
    from medsage.literature._dense import encode_passages

    pin_torch_threads()
    encode_passages(options["encoder"], ["warm up"])  # load the model now, once
    return options["encoder"]


def _process_embed(state: Any, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    from medsage.literature._dense import encode_passages

    vectors = encode_passages(state, [text_of(r) for r in records])
    return [{"vector": [float(x) for x in row]} for row in vectors]


JOB_KINDS.register(
    JobKind(
        name="embed",
        summary="sentence vectors (unit length, float32 values) of texts",
        fields=("text",),
        load=_load_embed,
        process=_process_embed,
        options={"encoder": OptionSpec("str", "minilm", "minilm, e5 or a checkpoint folder")},
    )
)

# ---------------------------------------------------------------------------------- screen


def _load_screen(options: Mapping[str, Any]) -> Any:
    from medsage.drug import RULES, load_property_model

    unknown = [name for name in options["filters"] if name not in RULES]
    if unknown:
        raise InvalidInputError(
            f"unknown filter {unknown[0]!r}; expected some of {', '.join(RULES)}"
        )
    models = [load_property_model(Path(p)) for p in options["models"]]
    return {
        "filters": tuple(options["filters"]),
        "alerts": tuple(options["alerts"]),
        "models": models,
        "tautomers": bool(options["tautomers"]),
    }


def _process_screen(state: Any, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    from medsage.drug import MoleculeRecord, profile_record

    profiles = []
    for i, record in enumerate(records):
        smiles = text_of(record, "smiles")
        item = MoleculeRecord(row=i + 1, input=smiles, name=None, id=str(record.get("id", "")))
        profiles.append(
            profile_record(
                item,
                rules=state["filters"],
                alerts=state["alerts"],
                canonical_tautomer=state["tautomers"],
            )
        )
    valid = [p for p in profiles if p.valid]
    predictions: dict[int, dict[str, Any]] = {id(p): {} for p in valid}
    for model in state["models"]:
        for profile, prediction in zip(
            valid, model.predict([str(p.smiles) for p in valid]), strict=True
        ):
            predictions[id(profile)][model.name] = prediction
    out: list[Outcome] = []
    for profile in profiles:
        if not profile.valid:
            out.append(f"invalid molecule: {profile.error}")
            continue
        props = profile.props_dict()
        for key in ("row", "id", "input", "valid", "error", "alerts"):
            props.pop(key)
        out.append(
            {
                "props": props,
                "rules": [
                    {"rule": r.rule, "passed": r.passed, "violations": list(r.violations)}
                    for r in profile.rules
                ],
                "alerts": [a.to_dict() for a in profile.alerts],
                "predictions": predictions[id(profile)],
            }
        )
    return out


JOB_KINDS.register(
    JobKind(
        name="screen",
        summary="profile molecules: properties, rule results, structural alerts, predictions",
        fields=("smiles",),
        load=_load_screen,
        process=_process_screen,
        options={
            "filters": OptionSpec("list", [], "drug-likeness rules, comma-separated"),
            "alerts": OptionSpec("list", ["pains", "brenk", "nih"], "alert catalogs"),
            "models": OptionSpec("list", [], "property-model bundle folders"),
            # off by default, as in `medsage drug screen`: tautomer canonicalisation costs
            # more than everything else in a profile
            "tautomers": OptionSpec("bool", False, "canonicalise tautomers"),
        },
    )
)

# ----------------------------------------------------------------------------------- index


def _load_index(options: Mapping[str, Any]) -> Any:
    return None


def _process_index(state: Any, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    from medsage.literature import Document

    out: list[Outcome] = []
    for record in records:
        text_of(record)
        try:
            doc = Document.from_dict({k: v for k, v in record.items() if v is not None})
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"not a literature document ({exc})") from None
        out.append({"title": doc.title, "language": doc.language, "characters": len(doc.text)})
    return out


def _finalize_index(options: Mapping[str, Any], documents: Any) -> dict[str, Any]:
    from medsage.literature import LiteratureIndex

    encoder = options["encoder"]
    index = LiteratureIndex.build(
        documents, options["folder"], dense=encoder != "none",
        encoder="auto" if encoder == "none" else encoder,
    )  # fmt: skip
    return {"index": str(index.folder), "documents": len(index)}


JOB_KINDS.register(
    JobKind(
        name="index",
        summary="build a literature index folder from documents {id, title, text, ...}",
        fields=("text",),
        load=_load_index,
        process=_process_index,
        finalize=_finalize_index,
        options={
            "encoder": OptionSpec("str", "none", "none (BM25 only), minilm, e5 or a folder"),
            "folder": OptionSpec("str", None, "index folder (default: OUTPUT/index)"),
        },
    )
)
