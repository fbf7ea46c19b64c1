"""Helpers shared by the benchmark scripts: data location, environment facts, result files."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


def default_data_dir() -> Path:
    """`$MEDSAGE_DATA_DIR`, else `../shared/data` beside the repository."""
    env = os.environ.get("MEDSAGE_DATA_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def environment() -> dict[str, Any]:
    """Facts about the machine and library versions, stored next to every result."""
    import numpy
    import sklearn

    import medsage

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "numpy": numpy.__version__,
        "scikit_learn": sklearn.__version__,
        "medsage": medsage.__version__,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Write `benchmarks/results/<name>.json` (UTF-8, indented)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
