"""The model bundle: a folder with `medsage.json` plus weight files. Nothing is pickled.

Layout::

    model/
      medsage.json        kind, format_version, medsage_version, created_at, labels, settings,
                          metrics, training fingerprint, files (the weight files, each checked
                          on load)
      ...                 weights the backend writes: `.npy` arrays (allow_pickle=False),
                          `.json` tables, `.safetensors` tensors, tokenizer files

Writes go to a temporary sibling folder that is renamed into place, so a crash never leaves a
half-written bundle.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from medsage import __version__
from medsage._atomic import atomic_folder
from medsage.errors import ModelBundleError

MANIFEST = "medsage.json"
FORMAT_VERSION = 1


def save_bundle(
    path: str | Path, *, kind: str, meta: dict[str, Any], write_files: Callable[[Path], None]
) -> Path:
    """Write a bundle folder at `path` atomically; an existing bundle there is replaced.

    `write_files(folder)` writes the weight files into the (temporary) folder. Raises
    ModelBundleError if `path` exists and is something other than a MedSage bundle (we never
    delete a folder we did not write).
    """
    target = Path(path)
    is_bundle = target.is_dir() and (target / MANIFEST).is_file()
    if target.exists() and not is_bundle and (target.is_file() or any(target.iterdir())):
        raise ModelBundleError(
            f"{target} exists and is not a MedSage model bundle; choose an empty or new folder"
        )
    with atomic_folder(target) as tmp:
        write_files(tmp)
        files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        manifest = {
            "kind": kind,
            "format_version": FORMAT_VERSION,
            "medsage_version": __version__,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **meta,
            "files": files,
        }
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
    return target


def read_manifest(path: str | Path, *, expected_kind: str | None = None) -> dict[str, Any]:
    """Read and check `medsage.json` of the bundle at `path` (version, kind, listed files)."""
    folder = Path(path)
    if not folder.is_dir():
        raise ModelBundleError(
            f"model folder {folder} does not exist; train one with `medsage train`"
        )
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ModelBundleError(f"{folder} is not a MedSage model bundle: {MANIFEST} is missing")
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelBundleError(f"{manifest_path} is not valid JSON ({exc})") from None
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise ModelBundleError(f"{manifest_path} has no integer format_version")
    if version > FORMAT_VERSION:
        raise ModelBundleError(
            f"{folder} was written by a newer MedSage ({manifest.get('medsage_version')}, bundle "
            f"format {version}); this MedSage {__version__} reads format {FORMAT_VERSION} or "
            "older: upgrade medsage"
        )
    kind = manifest.get("kind")
    if expected_kind is not None and kind != expected_kind:
        raise ModelBundleError(f"{folder} holds a {kind!r} bundle, expected {expected_kind!r}")
    for name in manifest.get("files", []):
        if not (folder / str(name)).is_file():
            raise ModelBundleError(f"{folder} is incomplete: {name} is missing")
    return manifest


def load_array(file: Path) -> np.ndarray:
    """A `.npy` array, refusing pickled objects."""
    try:
        array: np.ndarray = np.load(file, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ModelBundleError(f"{file} could not be read ({exc})") from None
    return array


def load_json_table(file: Path) -> list[str]:
    """A JSON list of strings (a vocabulary)."""
    try:
        table = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        raise ModelBundleError(f"{file} could not be read ({exc})") from None
    if not isinstance(table, list):
        raise ModelBundleError(f"{file} should hold a JSON list")
    return [str(x) for x in table]
