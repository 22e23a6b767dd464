"""Durable indexing tasks and the executors that run them.

:data:`EXECUTORS` names every executor; :func:`make_executor` is the one place that picks one.
"""

from __future__ import annotations

from vidsense.errors import InvalidArgument
from vidsense.jobs.base import Executor
from vidsense.jobs.embedded import EmbeddedExecutor
from vidsense.library import Library

EXECUTORS: dict[str, type[EmbeddedExecutor]] = {EmbeddedExecutor.NAME: EmbeddedExecutor}

__all__ = ["EXECUTORS", "EmbeddedExecutor", "Executor", "make_executor"]


def make_executor(library: Library, name: str = "embedded", workers: int | None = None) -> Executor:
    """The executor called ``name`` (only ``embedded`` today) for ``library``."""
    if name not in EXECUTORS:
        raise InvalidArgument(f"unknown executor {name!r}; choose from {', '.join(EXECUTORS)}")
    return EXECUTORS[name](library, workers)
