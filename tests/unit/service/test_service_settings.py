"""Service settings: safe defaults in development, refusals in production (no server)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medsage.cli.main import app
from medsage.errors import InvalidInputError
from medsage.service import ServiceSettings
from medsage.service._settings import DEVELOPMENT_SECRET

GOOD_SECRET = "k" * 48


def test_when_env_is_empty_then_development_defaults_are_used(tmp_path: Path) -> None:
    settings = ServiceSettings.from_env({"MEDSAGE_HOME": str(tmp_path)})
    assert (settings.environment, settings.secret_key, settings.token_minutes) == (
        "development", DEVELOPMENT_SECRET, 15
    )  # fmt: skip
    assert (settings.max_body_bytes, settings.rate_limit_per_minute) == (5_000_000, 600)
    assert settings.cors_origins == ()
    assert (settings.production, settings.secure_cookies) == (False, False)


def test_when_env_sets_numbers_and_origins_then_they_are_read(tmp_path: Path) -> None:
    settings = ServiceSettings.from_env({
        "MEDSAGE_HOME": str(tmp_path), "MEDSAGE_MAX_BODY_BYTES": "2000",
        "MEDSAGE_RATE_LIMIT": "30", "MEDSAGE_CORS_ORIGINS": "https://a.example, https://b.example",
        "MEDSAGE_ENV": "Production", "MEDSAGE_SECRET_KEY": GOOD_SECRET,
    })  # fmt: skip
    assert (settings.max_body_bytes, settings.rate_limit_per_minute) == (2000, 30)
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert (settings.environment, settings.production, settings.secure_cookies) == (
        "production", True, True
    )  # fmt: skip


def test_when_production_uses_the_default_secret_then_it_refuses(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="MEDSAGE_SECRET_KEY") as caught:
        ServiceSettings.from_env({"MEDSAGE_HOME": str(tmp_path), "MEDSAGE_ENV": "production"})
    assert "development secret key" in str(caught.value)


def test_when_production_secret_is_short_then_it_refuses_naming_the_length(
    tmp_path: Path,
) -> None:
    env = {"MEDSAGE_HOME": str(tmp_path), "MEDSAGE_ENV": "production"}
    env["MEDSAGE_SECRET_KEY"] = "x" * 31
    with pytest.raises(InvalidInputError) as caught:
        ServiceSettings.from_env(env)
    assert str(caught.value) == (
        "MEDSAGE_SECRET_KEY has 31 characters; production needs at least 32"
    )


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("MEDSAGE_RATE_LIMIT", "lots", "MEDSAGE_RATE_LIMIT='lots' is not a whole number"),
        ("MEDSAGE_MAX_BODY_BYTES", "0", "MEDSAGE_MAX_BODY_BYTES must be a positive number, got 0"),
        ("MEDSAGE_TOKEN_MINUTES", "-5", "MEDSAGE_TOKEN_MINUTES must be a positive number, got -5"),
        ("MEDSAGE_ENV", "staging", "MEDSAGE_ENV='staging' is not one of development, production"),
    ],
)
def test_when_a_variable_is_malformed_then_the_error_names_it(
    tmp_path: Path, name: str, raw: str, message: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        ServiceSettings.from_env({"MEDSAGE_HOME": str(tmp_path), name: raw})
    assert str(caught.value) == message


def _serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDSAGE_")}
    return {**env, "MEDSAGE_HOME": str(tmp_path), "MEDSAGE_ENV": "production", **extra}


def test_when_serve_runs_in_production_without_a_secret_then_it_exits_2_without_traceback(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "medsage", "serve", "--port", "8999"],
        env=_serve_env(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 2
    assert "refusing to start in production with the development secret key" in output
    assert "MEDSAGE_SECRET_KEY" in output
    assert "Traceback" not in output


def test_when_serve_demo_runs_in_production_then_it_is_refused(tmp_path: Path) -> None:
    env = _serve_env(tmp_path, MEDSAGE_SECRET_KEY=GOOD_SECRET)
    result = CliRunner().invoke(app, ["serve", "--demo", "--port", "8999"], env=env)
    assert result.exit_code == 2
    assert "--demo is for development only (its passwords are public)" in result.output
    assert "Traceback" not in result.output
