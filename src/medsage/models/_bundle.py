"""The model bundle: a folder with `medsage.json` plus plain arrays. Nothing is pickled.

Layout::

    model/
      medsage.json        kind, format_version, medsage_version, labels, settings, metrics,
                          training fingerprint, created_at, arrays (name -> file)
      *.npy               numeric arrays, loaded with allow_pickle=False
      *.json              string tables (vocabularies)

Writes go to a temporary sibling folder that is renamed into place, so a crash never leaves a
half-written bundle.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from medsage import __version__
from medsage.errors import ModelBundleError

MANIFEST = "medsage.json"
FORMAT_VERSION = 1


@dataclass
class Bundle:
    """What a bundle holds in memory: metadata, arrays and string tables."""

    kind: str
    meta: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    tables: dict[str, list[str]] = field(default_factory=dict)


def save_bundle(bundle: Bundle, path: str | Path) -> Path:
    """Write `bundle` to the folder `path` atomically; an existing bundle there is replaced.

    Raises ModelBundleError if `path` exists and is something other than a MedSage bundle
    (we never delete a folder we did not write).
    """
    target = Path(path)
    is_bundle = target.is_dir() and (target / MANIFEST).is_file()
    if target.exists() and not is_bundle and (target.is_file() or any(target.iterdir())):
        raise ModelBundleError(
            f"{target} exists and is not a MedSage model bundle; choose an empty or new folder"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        files: dict[str, str] = {}
        for name, array in bundle.arrays.items():
            filename = f"{name}.npy"
            np.save(tmp / filename, np.ascontiguousarray(array), allow_pickle=False)
            files[name] = filename
        for name, table in bundle.tables.items():
            filename = f"{name}.json"
            (tmp / filename).write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
            files[name] = filename
        manifest = {
            "kind": bundle.kind,
            "format_version": FORMAT_VERSION,
            "medsage_version": __version__,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **bundle.meta,
            "files": files,
        }
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False), encoding="utf-8"
        )
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read and check `medsage.json` of the bundle at `path`."""
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
    return manifest


def load_bundle(path: str | Path, *, expected_kind: str | None = None) -> Bundle:
    """Load a bundle folder written by `save_bundle` (arrays with allow_pickle=False)."""
    folder = Path(path)
    manifest = read_manifest(folder)
    kind = str(manifest.get("kind"))
    if expected_kind is not None and kind != expected_kind:
        raise ModelBundleError(f"{folder} holds a {kind!r} bundle, expected {expected_kind!r}")
    arrays: dict[str, np.ndarray] = {}
    tables: dict[str, list[str]] = {}
    for name, filename in dict(manifest.get("files", {})).items():
        file = folder / str(filename)
        if not file.is_file():
            raise ModelBundleError(f"{folder} is incomplete: {filename} is missing")
        try:
            if file.suffix == ".npy":
                arrays[name] = np.load(file, allow_pickle=False)
            else:
                tables[name] = list(json.loads(file.read_text(encoding="utf-8")))
        except (ValueError, OSError) as exc:
            raise ModelBundleError(f"{file} could not be read ({exc})") from None
    meta = {k: v for k, v in manifest.items() if k not in ("kind", "files")}
    return Bundle(kind=kind, meta=meta, arrays=arrays, tables=tables)
