"""vidsense: self-hosted video understanding.

Perception computes time, language only writes: every timestamp vidsense returns comes from
shot boundaries, speech word times, on-screen text sightings or audio events.

``vidsense.Client`` (imported on first use) is the library API from Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vidsense.client import Client

__version__ = "0.1.0"
__all__ = ["Client", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Client":
        from vidsense.client import Client

        return Client
    raise AttributeError(f"module 'vidsense' has no attribute {name!r}")
