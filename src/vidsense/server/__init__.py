"""The HTTP face of vidsense: ``create_app(settings)`` builds the FastAPI app.

Routers only turn HTTP into calls of :mod:`vidsense.api` (which holds the wire models and
everything else, without the web framework); the app itself is imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vidsense.server.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from vidsense.server.app import create_app

        return create_app
    raise AttributeError(name)
