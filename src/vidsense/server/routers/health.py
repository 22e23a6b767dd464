"""``GET /health``: open to everyone, even when API keys are required."""

from __future__ import annotations

from fastapi import APIRouter

from vidsense.api import indexes as api
from vidsense.api.indexes import Health
from vidsense.server.deps import Svc

router = APIRouter(tags=["health"])


@router.get("/health")
def health(svc: Svc) -> Health:
    return api.health(svc)
