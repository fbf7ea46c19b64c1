"""An import killed half-way (SIGKILL inside a bundle's transaction) leaves only whole bundles."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from medsage.health._store import PAUSE_ENV, RecordStore

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

IMPORT_SCRIPT = """
import sys
from pathlib import Path
from medsage.health._store import RecordStore
store = RecordStore(sys.argv[1])
store.import_fhir("importer", [Path(p) for p in sys.argv[2:]])
"""


def test_when_import_is_killed_inside_second_bundle_then_only_the_first_is_stored(
    make_url: Callable[[], str],
    bundle_files: list[Path],
) -> None:
    url = make_url()
    RecordStore(url).close()  # migrate first, so the child only imports
    env = {**os.environ, PAUSE_ENV: "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", IMPORT_SCRIPT, url, *map(str, bundle_files[:3])],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            line = child.stderr.readline()
            if not line:
                break
            seen.append(line.strip())
            if line.strip() == "import paused in bundle 1":
                # bundle 0 has committed; bundle 1's rows are flushed in its open transaction
                child.send_signal(signal.SIGKILL)
                break
    finally:
        child.kill()
        child.wait(timeout=30)
    assert seen[-2:] == ["import paused in bundle 0", "import paused in bundle 1"]
    assert child.returncode == -signal.SIGKILL

    with RecordStore(url) as store:
        patients = [p.id for p in store.list_patients("checker")]
        assert patients == ["da03429f-2819-749d-6584-9b057f9e3a9c"]  # bundle 0: Antone63
        counts = {
            t: store.count(t)
            for t in ("observations", "conditions", "medications", "encounters", "care_plans")
        }
        assert counts == {
            "observations": 74,
            "conditions": 12,
            "medications": 2,
            "encounters": 10,
            "care_plans": 3,
        }
        assert [
            (e.action, e.patient_id) for e in store.audit_events("checker", action="import")
        ] == [("import", "da03429f-2819-749d-6584-9b057f9e3a9c")]
