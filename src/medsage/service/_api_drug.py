"""Drug screening: properties and alerts of SMILES, and screens of uploaded libraries whose
ranked hits (CSV) and report (HTML) can be downloaded by the user who ran them."""

from __future__ import annotations

import asyncio
import csv
import json
import re
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, UploadFile
from fastapi.responses import FileResponse

from medsage.service._auth import Caller
from medsage.service._deps import StateDep, require_roles
from medsage.service._problems import ProblemError
from medsage.service._schemas import JSON, MoleculesIn
from medsage.service._state import ServiceState

router = APIRouter(prefix="/drug", tags=["drug screening"])
Scientist = Annotated[Caller, Depends(require_roles("admin", "clinician", "researcher"))]
SUFFIXES = (".smi", ".csv", ".sdf", ".txt")
_SCREEN_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_HITS_SHOWN = 200


@router.post("/props", summary="Properties, QED, SA score, rules and alerts of SMILES")
async def props(body: MoleculesIn, _caller: Scientist) -> JSON:
    from medsage.drug._filters import split_filters
    from medsage.drug._profile import profile_record, records_from_smiles
    from medsage.drug._report import molecule_svg

    rules, alerts = split_filters(body.filters)

    def run() -> list[JSON]:
        rows = []
        for record in records_from_smiles(body.smiles):
            profile = profile_record(record, rules=rules, alerts=alerts)
            row = profile.props_dict()
            row["passed"] = profile.passed_rules and not profile.alerts
            row["rules"] = [
                {"rule": r.rule, "passed": r.passed, "violations": list(r.violations)}
                for r in profile.rules
            ]
            row["svg"] = (
                molecule_svg(profile.smiles, [(a.catalog, a.atoms) for a in profile.alerts])
                if profile.valid and profile.smiles else None
            )  # fmt: skip
            rows.append(row)
        return rows

    return {"molecules": await asyncio.to_thread(run)}


def _screen_dir(state: ServiceState) -> Path:
    folder = state.work_dir / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _run_screen(
    state: ServiceState, caller: Caller, library: Path, folder: Path, filters: list[str],
    similar_to: list[str], top: int | None,
) -> JSON:  # fmt: skip
    from medsage.drug import screen

    result = screen(
        library, models=state.drug_models, filters=filters, similar_to=similar_to, top=top,
        out_csv=folder / "hits.csv", report_html=folder / "report.html", workers=1,
    )  # fmt: skip
    summary = result.summary()
    with (folder / "hits.csv").open(encoding="utf-8", newline="") as handle:
        hits = [row for _i, row in zip(range(MAX_HITS_SHOWN), csv.DictReader(handle), strict=False)]
    meta = {
        "owner": caller.actor,
        "id": folder.name,
        "read": summary["read"], "valid": summary["valid"], "invalid": summary["invalid"],
        "filtered": summary["filtered"], "ranked": summary["ranked"], "hits": summary["hits"],
        "seconds": summary["seconds"], "filters": summary["filters"], "models": summary["models"],
    }  # fmt: skip
    (folder / "screen.json").write_text(json.dumps(meta), encoding="utf-8")
    library.unlink(missing_ok=True)
    public = {k: v for k, v in meta.items() if k != "owner"}
    return {
        **public,
        "top_hits": hits,
        "downloads": {
            "hits_csv": f"/api/v1/drug/screens/{folder.name}/hits.csv",
            "rejected_csv": f"/api/v1/drug/screens/{folder.name}/rejected.csv",
            "report_html": f"/api/v1/drug/screens/{folder.name}/report.html",
        },
    }


@router.post("/screen", summary="Screen SMILES given as JSON: filter, predict, rank")
async def screen_json(body: MoleculesIn, state: StateDep, caller: Scientist) -> JSON:
    if any(not s.strip() or "\n" in s or "\t" in s for s in body.smiles):
        raise ProblemError(422, "each SMILES must be one non-empty line without tabs")
    folder = _screen_dir(state) / secrets.token_urlsafe(18)
    folder.mkdir()
    library = folder / "library.smi"
    library.write_text(
        "".join(f"{s.strip()}\tm{i}\n" for i, s in enumerate(body.smiles, 1)), encoding="utf-8"
    )
    return await asyncio.to_thread(
        _run_screen, state, caller, library, folder, body.filters, body.similar_to, body.top
    )


@router.post("/screen/upload", summary="Screen an uploaded library (.smi, .csv or .sdf)")
async def screen_upload(
    state: StateDep,
    caller: Scientist,
    file: UploadFile,
    filters: Annotated[str, Form(max_length=200)] = "lipinski,pains",
    top: Annotated[int | None, Form(ge=1, le=100_000)] = None,
) -> JSON:
    name = (file.filename or "").lower()
    suffix = next((s for s in SUFFIXES if name.endswith(s)), None)
    if suffix is None:
        raise ProblemError(
            415, f"the upload must be a .smi, .csv or .sdf file, got {file.filename!r}"
        )
    data = await file.read()
    if not data.strip():
        raise ProblemError(422, "the uploaded file is empty")
    folder = _screen_dir(state) / secrets.token_urlsafe(18)
    folder.mkdir()
    library = folder / f"library{'.smi' if suffix == '.txt' else suffix}"
    library.write_bytes(data)
    names = [f.strip() for f in filters.split(",") if f.strip()]
    return await asyncio.to_thread(_run_screen, state, caller, library, folder, names, [], top)


FILES = {"hits.csv": "text/csv", "rejected.csv": "text/csv", "report.html": "text/html"}


@router.get("/screens/{screen_id}/{name}", summary="Download a screen's hits, rejects or report")
async def screen_file(
    screen_id: str, name: str, state: StateDep, caller: Scientist
) -> FileResponse:
    if name not in FILES or not _SCREEN_ID.match(screen_id):
        raise ProblemError(404, f"no file {name!r} in screen {screen_id!r}")
    folder = _screen_dir(state) / screen_id
    meta_path = folder / "screen.json"
    if not meta_path.is_file():
        raise ProblemError(404, f"no screen {screen_id!r} of yours")
    meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("owner") != caller.actor and caller.user.role != "admin":
        raise ProblemError(404, f"no screen {screen_id!r} of yours")
    path = folder / name
    if not path.is_file():
        raise ProblemError(404, f"screen {screen_id!r} wrote no {name}")
    return FileResponse(path, media_type=FILES[name], filename=f"screen-{screen_id[:8]}-{name}")
