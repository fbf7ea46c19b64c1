"""The web service: one FastAPI app with every application behind `/api/v1` and a bilingual
web UI (`medsage serve`). Faces only: no medical logic, models or SQL here."""

from __future__ import annotations

from medsage.service._app import API_PREFIX, create_app
from medsage.service._settings import ServiceSettings

__all__ = ["API_PREFIX", "ServiceSettings", "create_app"]
