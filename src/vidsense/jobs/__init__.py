"""Durable indexing tasks and jobs, and the executors that run them.

:data:`EXECUTORS` names every executor; :func:`make_executor` is the one place that picks one.
"""

from __future__ import annotations

from vidsense.errors import InvalidArgument
from vidsense.jobs.base import Executor
from vidsense.jobs.embedded import EmbeddedExecutor
from vidsense.jobs.ray import RayExecutor
from vidsense.jobs.runs import Handlers
from vidsense.library import Library

# Ray itself is imported only when a RayExecutor starts.
EXECUTORS: dict[str, type[EmbeddedExecutor]] = {
    EmbeddedExecutor.NAME: EmbeddedExecutor,
    RayExecutor.NAME: RayExecutor,
}

__all__ = ["EXECUTORS", "EmbeddedExecutor", "Executor", "RayExecutor", "make_executor"]


def make_executor(
    library: Library,
    name: str | None = None,
    workers: int | None = None,
    *,
    handlers: Handlers | None = None,
    job_workers: int | None = None,
) -> Executor:
    """The executor called ``name`` (default ``settings.executor``: ``embedded`` or ``ray``)
    for ``library``: ``workers`` indexing workers, and ``job_workers`` (default
    ``settings.job_workers``) running the job kinds ``handlers`` names."""
    name = name or library.settings.executor
    if name not in EXECUTORS:
        raise InvalidArgument(f"unknown executor {name!r}; choose from {', '.join(EXECUTORS)}")
    return EXECUTORS[name](library, workers, handlers=handlers, job_workers=job_workers)
