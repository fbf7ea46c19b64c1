"""Models: the classifier bundles the service knows, with their metrics and evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from medsage.errors import ModelBundleError
from medsage.service._auth import Caller
from medsage.service._deps import StateDep, require_roles
from medsage.service._problems import ProblemError
from medsage.service._schemas import JSON
from medsage.service._state import ServiceState

router = APIRouter(prefix="/models", tags=["models"])
Staff = Annotated[Caller, Depends(require_roles("admin", "clinician", "researcher"))]
EVALUATION_FILE = "evaluation.json"  # `medsage evaluate --json` output kept beside a bundle


def _bundles(state: ServiceState) -> dict[str, Path]:
    found: dict[str, Path] = {}
    if state.model_dir is not None:
        found["active"] = state.model_dir
    models_dir = state.settings.home / "models"
    if models_dir.is_dir():
        for manifest in sorted(models_dir.glob("*/medsage.json")):
            found.setdefault(manifest.parent.name, manifest.parent)
    return found


def _describe(name: str, folder: Path, state: ServiceState) -> JSON:
    from medsage.models import read_manifest

    try:
        manifest: dict[str, Any] = read_manifest(folder)
    except ModelBundleError as exc:
        return {"name": name, "error": str(exc)}
    evaluation = None
    path = folder / EVALUATION_FILE
    if path.is_file():
        evaluation = json.loads(path.read_text(encoding="utf-8"))
    return {
        "name": name,
        "active": state.model_dir is not None and folder.resolve() == state.model_dir.resolve(),
        "kind": manifest.get("kind"),
        "backend": manifest.get("backend"),
        "labels": manifest.get("labels", []),
        "created_at": manifest.get("created_at"),
        "calibration": manifest.get("calibration"),
        "training_data": manifest.get("training_data"),
        "metrics": manifest.get("metrics", {}),
        "evaluation": evaluation,
    }


@router.get("", summary="Classifier bundles with their metrics")
async def list_models(state: StateDep, _caller: Staff) -> list[JSON]:
    return [_describe(name, folder, state) for name, folder in _bundles(state).items()]


@router.get("/{name}", summary="One bundle: manifest, metrics and evaluation (reliability bins)")
async def get_model(name: str, state: StateDep, _caller: Staff) -> JSON:
    folder = _bundles(state).get(name)
    if folder is None:
        raise ProblemError(404, f"no model {name!r}; GET /api/v1/models lists them")
    return _describe(name, folder, state)
