"""`create_app(settings)`: the FastAPI application (API under /api/v1, web UI at /)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from medsage import __version__
from medsage.service._middleware import Metrics, ServiceMiddleware
from medsage.service._problems import install_problem_handlers
from medsage.service._settings import ServiceSettings
from medsage.service._state import ServiceState, close_state, open_state

API_PREFIX = "/api/v1"
DESCRIPTION = """
MedSage assists clinicians, researchers and patients; it never gives a final diagnosis and it
sends emergencies to emergency care first.

Authenticate with a bearer token (`POST /api/v1/auth/token`, OAuth2 password flow) or an
`X-API-Key` header. Errors are RFC 9457 problem documents (`application/problem+json`).
"""


def create_app(
    settings: ServiceSettings | None = None, *, state: ServiceState | None = None
) -> FastAPI:
    """The service app. Stores and models are opened once, in `lifespan` (or pass `state`)."""
    settings = settings or ServiceSettings.from_env()
    metrics = state.metrics if state is not None else Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = state or open_state(settings, metrics)
        app.state.medsage = opened
        try:
            yield
        finally:
            if state is None:
                close_state(opened)

    app = FastAPI(
        title="MedSage",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.metrics = metrics
    install_problem_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=False,
            allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "X-API-Key",
            "Content-Type"],
        )  # fmt: skip
    app.add_middleware(
        ServiceMiddleware, max_body_bytes=settings.max_body_bytes, metrics=metrics,
        production=settings.production,
    )  # fmt: skip
    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    from medsage.service import (
        _api_auth,
        _api_consult,
        _api_drug,
        _api_literature,
        _api_models,
        _api_ops,
        _api_patients,
        _api_text,
    )

    app.include_router(_api_ops.router)
    for module_router in (
        _api_auth.router, _api_auth.users_router, _api_text.router, _api_literature.router,
        _api_patients.router, _api_patients.risk_router, _api_consult.router,
        _api_drug.router, _api_models.router,
    ):  # fmt: skip
        app.include_router(module_router, prefix=API_PREFIX)
    from medsage.service import _ui

    _ui.install(app)
