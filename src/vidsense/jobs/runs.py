"""The steps of a job's life (the durable work that is not indexing: agent executions today;
later predictions, renders, generated videos): claim, run, hand back, finish. The life itself
is drawn in :mod:`vidsense.store.base`.

Jobs share the indexing tasks' lease scheme (:meth:`~vidsense.store.Store.claim_job` works as
``claim_task`` does): :func:`claim` leases the oldest waiting job of the kinds a worker runs
as a :class:`JobRun`; :func:`run_job` runs it with the handler of its kind and records how it
ended (``completed`` with the handler's result, ``failed`` with the error's code and message,
or handed back, ``pending``, when interrupted); :meth:`JobRun.beat` renews the lease, so a job
whose process died is claimed again once its lease runs out and starts over (handlers make
their steps reusable: an execution finds its videos already indexed and its answers cached).
Executors only schedule these calls on their threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol

from vidsense.errors import Conflict, NotFound, TaskInterrupted, VidsenseError, describe
from vidsense.store import JobRecord
from vidsense.store.base import JobKind

log = logging.getLogger(__name__)

Handler = Callable[["JobRun"], Mapping[str, Any]]
"""Runs a claimed job and returns its result (a JSON object); raises to fail it, or
:class:`~vidsense.errors.TaskInterrupted` to hand it back."""
Handlers = Mapping[JobKind, Handler]
"""The handler of each job kind a worker runs (built where the services are:
:meth:`vidsense.api.services.Services.job_handlers`)."""


class JobQueue(Protocol):
    """What holds jobs: a :class:`~vidsense.store.Store`, or the
    :class:`~vidsense.library.Library` over one (the job methods of the store)."""

    def submit_job(
        self,
        kind: JobKind,
        request: Mapping[str, Any],
        *,
        status: Literal["enqueued", "paused"] = "enqueued",
    ) -> JobRecord: ...

    def claim_job(
        self,
        worker_id: str,
        lease_seconds: float = 60.0,
        *,
        kinds: Sequence[JobKind] | None = None,
    ) -> JobRecord | None: ...

    def heartbeat_job(
        self, job_id: str, worker_id: str, progress: float, *, lease_seconds: float = 60.0
    ) -> JobRecord: ...

    def release_job(self, job_id: str, worker_id: str) -> JobRecord: ...

    def finish_job(
        self,
        job_id: str,
        worker_id: str,
        status: Literal["completed", "failed"],
        *,
        result: Mapping[str, Any] | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> JobRecord: ...


class JobRun:
    """A claimed job as the worker holding it sees it: the job, its cancel event, progress,
    and the transitions only its holder may make (renew the lease, hand it back, finish it).

    Safe to use from the running thread and a heartbeat thread at once.
    """

    def __init__(
        self, store: JobQueue, job: JobRecord, worker_id: str, lease_seconds: float
    ) -> None:
        self.store = store
        self.job = job
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.cancel = threading.Event()
        """Set to stop the run (shutdown); set here when the lease is lost."""
        self.lost = False
        """True once the job is no longer this worker's (another worker claimed it)."""
        self.ended = False
        """True once the job was finished or handed back: no more beats."""
        self._percent = job.progress
        self._lock = threading.Lock()

    def progress(self, percent: float) -> None:
        """Keep ``percent`` (0-100; it never goes back); the next :meth:`beat` stores it."""
        self._percent = max(self._percent, min(100.0, float(percent)))

    def beat(self) -> None:
        """Store the progress and renew the lease for ``lease_seconds``; a lost lease sets
        :attr:`cancel`. After :meth:`finish` or :meth:`hand_back` this does nothing."""
        with self._lock:
            if self.lost or self.ended:
                return
            try:
                self.job = self.store.heartbeat_job(
                    self.job.id, self.worker_id, self._percent, lease_seconds=self.lease_seconds
                )
            except (Conflict, NotFound) as e:
                log.warning("job %s: %s; stopping it", self.job.id, e)
                self.lost = True
                self.cancel.set()

    def hand_back(self) -> None:
        """Interrupted: return the job now (``pending``, progress kept), so that the next
        claim takes it at once."""
        with self._lock:
            if self.lost or self.ended:
                return
            self.ended = True
            try:
                self.job = self.store.release_job(self.job.id, self.worker_id)
            except VidsenseError as e:
                log.warning("could not hand back job %s: %s", self.job.id, e)

    def finish(
        self, result: Mapping[str, Any] | None = None, error: BaseException | None = None
    ) -> None:
        """End the job ``completed`` with ``result``, or ``failed`` with ``error``'s code and
        message (:func:`~vidsense.errors.describe`)."""
        with self._lock:
            if self.lost or self.ended:
                return
            self.ended = True
            try:
                if error is None:
                    self.job = self.store.finish_job(
                        self.job.id, self.worker_id, "completed", result=result or {}
                    )
                else:
                    _, code, message = describe(error)
                    self.job = self.store.finish_job(
                        self.job.id,
                        self.worker_id,
                        "failed",
                        result=result,
                        error_code=code,
                        error_message=message,
                    )
            except (Conflict, NotFound) as e:  # taken over meanwhile
                log.warning("job %s: %s", self.job.id, e)
                self.lost = True


def claim(
    store: JobQueue,
    worker_id: str,
    lease_seconds: float,
    kinds: Sequence[JobKind] | None = None,
) -> JobRun | None:
    """The oldest claimable job (of ``kinds``, when given), now ``running`` and leased to
    ``worker_id`` for ``lease_seconds``; None when nothing waits."""
    job = store.claim_job(worker_id, lease_seconds, kinds=kinds)
    return JobRun(store, job, worker_id, lease_seconds) if job is not None else None


def run_job(run: JobRun, handlers: Handlers) -> None:
    """Run a claimed job with the handler of its kind and record how it ended; never raises
    for the job's own errors. A kind without a handler fails the job (``no_handler``)."""
    job = run.job
    if run.cancel.is_set():
        run.hand_back()
        return
    handler = handlers.get(job.kind)
    if handler is None:
        run.finish(error=VidsenseError(f"nothing here runs {job.kind} jobs", code="no_handler"))
        return
    log.info("job %s: %s (attempt %d) on %s", job.id, job.kind, job.attempts, run.worker_id)
    try:
        result = handler(run)
    except TaskInterrupted:
        run.hand_back()
        log.info("job %s: interrupted; it will be resumed", job.id)
    except Exception as e:
        status, code, message = describe(e)
        if status >= 500 and not isinstance(e, VidsenseError):
            log.exception("job %s failed unexpectedly", job.id)
        else:
            log.info("job %s failed: %s (%s)", job.id, message, code)
        run.finish(error=e)
    else:
        run.finish(result)
        log.info("job %s: completed", job.id)
