"""What the service opens once in `lifespan`: stores, models, indexes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medsage.health import RecordStore
from medsage.health._users import UserStore
from medsage.service._middleware import Metrics, RateLimiter
from medsage.service._settings import ServiceSettings

log = logging.getLogger("medsage.service")


@dataclass
class ServiceState:
    """Shared, long-lived objects of one app (thread-safe for reads)."""

    settings: ServiceSettings
    records: RecordStore
    users: UserStore
    metrics: Metrics
    limiter: RateLimiter
    login_limiter: RateLimiter
    classifier: Any = None  # medsage.models.TextClassifier
    model_dir: Path | None = None
    consultant: Any = None  # medsage.consult.Consultant
    literature: Any = None  # medsage.literature.LiteratureIndex
    drug_models: list[Any] = field(default_factory=list)
    ready: bool = False

    @property
    def pseudonym_key(self) -> bytes:
        return ("pseudonym:" + self.settings.secret_key).encode()

    @property
    def work_dir(self) -> Path:
        """Per-service files (screen results) under MEDSAGE_HOME."""
        folder = self.settings.home / "service"
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def open_state(settings: ServiceSettings, metrics: Metrics) -> ServiceState:
    """Open stores and load models (each failure to load an optional part is logged, not fatal)."""
    from medsage.consult import Consultant
    from medsage.consult._knowledge import KnowledgeBase

    records = RecordStore(settings.database_url)
    users = UserStore(settings.database_url)
    state = ServiceState(
        settings=settings,
        records=records,
        users=users,
        metrics=metrics,
        limiter=RateLimiter(settings.rate_limit_per_minute),
        login_limiter=RateLimiter(settings.login_rate_per_minute),  # per client address
    )
    if settings.demo:
        from medsage.service._demo import seed_demo

        seed_demo(state)
    model_dir = settings.model or _default_model(settings)
    if model_dir is not None:
        from medsage.models import TextClassifier

        state.classifier = TextClassifier.load(model_dir)
        state.model_dir = model_dir
    literature = settings.literature_index or _default_literature(settings)
    if literature is not None:
        from medsage.literature import LiteratureIndex

        state.literature = LiteratureIndex.open(literature)
    if settings.drug_models:
        from medsage.drug import load_property_model

        state.drug_models = [load_property_model(p) for p in settings.drug_models]
    kb = KnowledgeBase.open(settings.home / "consult" / "kb")
    state.consultant = Consultant(
        kb, conversations=settings.home / "consult" / "conversations.sqlite3"
    )
    state.ready = True
    log.info(
        "service ready: model=%s literature=%s drug_models=%d",
        state.model_dir is not None, state.literature is not None, len(state.drug_models),
    )  # fmt: skip
    return state


def _default_model(settings: ServiceSettings) -> Path | None:
    candidate = settings.home / "demo" / "model"
    return candidate if (candidate / "medsage.json").is_file() else None


def _default_literature(settings: ServiceSettings) -> Path | None:
    candidate = settings.home / "demo" / "literature"
    return candidate if (candidate / "manifest.json").is_file() else None


def close_state(state: ServiceState) -> None:
    state.ready = False
    state.records.close()
    state.users.close()
