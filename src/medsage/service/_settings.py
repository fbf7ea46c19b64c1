"""Service settings, read from the environment once when the app is created.

| variable | default | meaning |
|---|---|---|
| `MEDSAGE_ENV` | `development` | `development` or `production` |
| `MEDSAGE_SECRET_KEY` | a development key | signs tokens, sessions, pseudonyms (32+ chars) |
| `MEDSAGE_TOKEN_MINUTES` | `15` | lifetime of an OAuth2 access token |
| `MEDSAGE_SESSION_HOURS` | `8` | lifetime of a browser session |
| `MEDSAGE_MAX_BODY_BYTES` | `5000000` | largest request body accepted |
| `MEDSAGE_RATE_LIMIT` | `600` | requests per minute per user |
| `MEDSAGE_LOGIN_RATE` | `20` | login attempts per minute per client address |
| `MEDSAGE_CORS_ORIGINS` | empty (closed) | origins allowed to call the API from a browser |
| `MEDSAGE_MODEL` | the demo model, if any | classifier bundle (classify, explain, diagnose) |
| `MEDSAGE_LITERATURE_INDEX` | none | literature index folder (`medsage lit index`) |
| `MEDSAGE_DRUG_MODELS` | none | comma-separated property-model bundles used by screening |
| `MEDSAGE_DATABASE_URL` | SQLite file under `MEDSAGE_HOME` | records and users |

Outside development the service refuses to start with the development key or a short key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from medsage.errors import InvalidInputError
from medsage.settings import get_settings

DEVELOPMENT_SECRET = "medsage-development-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32
ENVIRONMENTS = ("development", "production")


@dataclass(frozen=True)
class ServiceSettings:
    """Everything `create_app` needs; `from_env()` reads them, tests build them directly."""

    home: Path
    environment: str = "development"
    secret_key: str = DEVELOPMENT_SECRET
    database_url: str | None = None
    token_minutes: int = 15
    session_hours: int = 8
    max_body_bytes: int = 5_000_000
    rate_limit_per_minute: int = 600
    login_rate_per_minute: int = 20
    cors_origins: tuple[str, ...] = ()
    model: Path | None = None
    literature_index: Path | None = None
    drug_models: tuple[Path, ...] = ()
    demo: bool = False
    secure_cookies: bool = field(default=False)

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise InvalidInputError(
                f"MEDSAGE_ENV={self.environment!r} is not one of {', '.join(ENVIRONMENTS)}"
            )
        if self.environment != "development":
            if self.secret_key == DEVELOPMENT_SECRET:
                raise InvalidInputError(
                    "refusing to start in production with the development secret key; set "
                    "MEDSAGE_SECRET_KEY to a random value of 32+ characters "
                    '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
                )
            if len(self.secret_key) < MIN_SECRET_LENGTH:
                raise InvalidInputError(
                    f"MEDSAGE_SECRET_KEY has {len(self.secret_key)} characters; production needs "
                    f"at least {MIN_SECRET_LENGTH}"
                )
        for name, value in (
            ("MEDSAGE_TOKEN_MINUTES", self.token_minutes),
            ("MEDSAGE_SESSION_HOURS", self.session_hours),
            ("MEDSAGE_MAX_BODY_BYTES", self.max_body_bytes),
            ("MEDSAGE_RATE_LIMIT", self.rate_limit_per_minute),
            ("MEDSAGE_LOGIN_RATE", self.login_rate_per_minute),
        ):
            if value <= 0:
                raise InvalidInputError(f"{name} must be a positive number, got {value}")

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, demo: bool = False
    ) -> ServiceSettings:
        """Settings from `env` (default `os.environ`); a malformed number names its variable."""
        source = os.environ if env is None else env
        environment = source.get("MEDSAGE_ENV", "development").strip().lower()

        def number(name: str, default: int) -> int:
            raw = source.get(name)
            if raw is None or not raw.strip():
                return default
            try:
                return int(raw)
            except ValueError:
                raise InvalidInputError(f"{name}={raw!r} is not a whole number") from None

        def path(name: str) -> Path | None:
            raw = source.get(name, "").strip()
            return Path(raw).expanduser() if raw else None

        origins = tuple(
            o.strip() for o in source.get("MEDSAGE_CORS_ORIGINS", "").split(",") if o.strip()
        )
        models = tuple(
            Path(p.strip()).expanduser()
            for p in source.get("MEDSAGE_DRUG_MODELS", "").split(",")
            if p.strip()
        )
        home_env = source.get("MEDSAGE_HOME")
        home = Path(home_env).expanduser() if home_env else get_settings().home
        return cls(
            home=home,
            environment=environment,
            secret_key=source.get("MEDSAGE_SECRET_KEY", DEVELOPMENT_SECRET),
            database_url=source.get("MEDSAGE_DATABASE_URL") or None,
            token_minutes=number("MEDSAGE_TOKEN_MINUTES", 15),
            session_hours=number("MEDSAGE_SESSION_HOURS", 8),
            max_body_bytes=number("MEDSAGE_MAX_BODY_BYTES", 5_000_000),
            rate_limit_per_minute=number("MEDSAGE_RATE_LIMIT", 600),
            login_rate_per_minute=number("MEDSAGE_LOGIN_RATE", 20),
            cors_origins=origins,
            model=path("MEDSAGE_MODEL"),
            literature_index=path("MEDSAGE_LITERATURE_INDEX"),
            drug_models=models,
            demo=demo,
            secure_cookies=environment == "production",
        )
