"""``GET /health``: open to everyone, even when API keys are required."""

from __future__ import annotations

from fastapi import APIRouter, Request

from vidsense import __version__
from vidsense.server.protocol import Health

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> Health:
    executor = getattr(request.app.state, "executor", None)
    workers = int(getattr(executor, "workers", 0)) if executor is not None else 0
    return Health(status="ok", version=__version__, workers=workers)
