"""House rules checked by the test suite: lint, format, types, cheap side-effect-free imports."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PUBLIC_PACKAGES = ["medsage.text", "medsage.datasets", "medsage.models", "medsage.evaluation"]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)


def test_when_ruff_check_runs_then_no_findings() -> None:
    proc = _run(str(BIN / "ruff"), "check", "src", "tests", "benchmarks")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_when_ruff_format_checks_then_all_formatted() -> None:
    proc = _run(str(BIN / "ruff"), "format", "--check", "src", "tests", "benchmarks")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_when_mypy_strict_runs_then_no_errors() -> None:
    proc = _run(str(BIN / "mypy"))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_when_public_names_imported_then_all_exist(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_when_medsage_imported_then_no_heavy_library_loaded() -> None:
    code = (
        "import sys, medsage, medsage.text, medsage.datasets, medsage.models, "
        "medsage.evaluation, medsage.cli.main\n"
        "heavy = ['torch', 'sklearn', 'matplotlib', 'jieba', 'scipy', 'jinja2',\n"
        "         'transformers', 'tokenizers', 'safetensors']\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_when_source_scanned_then_no_pickle_and_no_print_in_library() -> None:
    offenders = []
    for path in (REPO / "src" / "medsage").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "import pickle" in text or "joblib" in text or "allow_pickle=True" in text:
            offenders.append(f"{path}: pickle")
        if "/cli/" not in path.as_posix() and "\nprint(" in text.replace("    print(", "\nprint("):
            offenders.append(f"{path}: print")
    assert offenders == []
