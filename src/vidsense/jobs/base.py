"""How indexing tasks and jobs get run: a small executor interface.

Tasks are durable rows in the store (queued by :class:`~vidsense.library.Library`; their life
is drawn in :mod:`vidsense.library.service`); jobs (executions, predictions, renders) are
durable rows too (their life is drawn in :mod:`vidsense.store.base`). An executor only
schedules workers that claim them and run them (:mod:`vidsense.library.tasks`,
:mod:`vidsense.jobs.runs`). The embedded executor runs worker threads in this process (each
analysing in a child process of its own, by default); the Ray executor runs the same loops with
the analysis in Ray actors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType


class Executor(ABC):
    """Runs indexing workers (and job workers). ``start`` then ``stop``; ``submit`` and
    ``submit_job`` are hints that a task or a job is waiting (workers also find those queued
    by other processes on their own)."""

    NAME: str

    @abstractmethod
    def start(self) -> None:
        """Start the workers (they claim waiting tasks, including ones whose worker died)."""

    @abstractmethod
    def stop(self, timeout: float | None = 30.0) -> None:
        """Ask running tasks and jobs to stop (they are handed back and run again later),
        and wait up to ``timeout`` seconds for the workers to end."""

    def submit(self, task_id: str | None = None) -> None:
        """Wake a worker: a task (``task_id``, if known) was just queued."""
        return None

    def submit_job(self, job_id: str | None = None) -> None:
        """Wake a job worker: a job (``job_id``, if known) was just queued."""
        return None

    def __enter__(self) -> Executor:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
