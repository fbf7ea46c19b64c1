"""Settings read from the environment, with safe embedded defaults.

| variable | default | meaning |
|---|---|---|
| `MEDSAGE_HOME` | `~/.medsage` | models, indexes and the SQLite database |
| `MEDSAGE_DATA_DIR` | unset | folder of the shared public data sets (tests, benchmarks) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with `get_settings()`."""

    home: Path
    data_dir: Path | None


def get_settings() -> Settings:
    """Read settings from the environment (never cached, so tests may change it)."""
    home = Path(os.environ.get("MEDSAGE_HOME", "~/.medsage")).expanduser()
    data_dir_env = os.environ.get("MEDSAGE_DATA_DIR")
    data_dir = Path(data_dir_env).expanduser() if data_dir_env else None
    return Settings(home=home, data_dir=data_dir)
