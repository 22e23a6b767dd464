"""The steps of a task's life, drawn in :mod:`vidsense.library.service`: claim, run, interrupt
and finish, made by the worker that holds the task (submitting is the :class:`Library`'s).

:func:`claim` leases the oldest waiting task to a worker as a :class:`TaskRun`;
:func:`run_task` indexes its video and records how it ended (``ready``, ``failed``, or handed
back when interrupted); :meth:`TaskRun.beat` renews the lease. Executors
(:mod:`vidsense.jobs`) only schedule these calls on threads or next to Ray actors.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from vidsense.errors import Conflict, NotFound, TaskInterrupted, VidsenseError, describe
from vidsense.library.service import Analyzer, Library
from vidsense.store import TaskRecord

log = logging.getLogger(__name__)


class TaskRun:
    """A claimed task as the worker holding it sees it: the
    :class:`~vidsense.library.TaskContext` that :meth:`Library.index_video` is given, and the
    transitions only its holder may make (renew the lease, hand it back, finish it).

    Safe to use from the indexing thread and a heartbeat thread at once.
    """

    def __init__(
        self, library: Library, task: TaskRecord, worker_id: str, lease_seconds: float
    ) -> None:
        self.library = library
        self.task = task
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.cancel = threading.Event()
        """Set to stop the run (shutdown); set here when the lease is lost."""
        self.lost = False
        """True once the task is no longer this worker's (taken over, or deleted)."""
        self.ended = False
        """True once the task was finished or handed back: no more beats."""
        self._percent = 0.0
        self._lock = threading.Lock()

    def progress(self, percent: float) -> None:
        """Keep ``percent`` (0-100); the next :meth:`beat` stores it."""
        self._percent = max(0.0, min(100.0, float(percent)))

    def link_video(self, video_id: str) -> None:
        """Record, durably and at once, the video this task made (so a retry reuses it);
        :class:`TaskInterrupted` when the task is no longer this worker's."""
        self._beat(video_id=video_id)
        if self.lost:
            raise TaskInterrupted(f"task {self.task.id} is no longer this worker's")
        self.task = replace(self.task, video_id=video_id)

    def beat(self) -> None:
        """Store the progress and renew the lease for ``lease_seconds``. A lost lease sets
        :attr:`cancel`; after :meth:`finish` or :meth:`hand_back` this does nothing."""
        self._beat()

    def _beat(self, video_id: str | None = None) -> None:
        with self._lock:
            if self.lost or self.ended:
                return
            try:
                self.library.store.heartbeat(
                    self.task.id,
                    self.worker_id,
                    self._percent,
                    lease_seconds=self.lease_seconds,
                    video_id=video_id,
                )
            except (Conflict, NotFound) as e:  # taken over, or its index was deleted
                log.warning("task %s: %s; stopping it", self.task.id, e)
                self.lost = True
                self.cancel.set()

    def hand_back(self) -> None:
        """Interrupted: return the lease now (progress kept), so the task is claimed again at
        once; it stays ``indexing`` until then and is not failed."""
        with self._lock:
            if self.lost or self.ended:
                return
            self.ended = True
            try:
                self.library.store.heartbeat(
                    self.task.id, self.worker_id, self._percent, lease_seconds=0.0
                )
            except VidsenseError as e:
                log.warning("could not hand back task %s: %s", self.task.id, e)

    def finish(self, error: BaseException | None = None) -> None:
        """End the task ``ready`` (no ``error``) or ``failed`` with the error's code and
        message (see :func:`~vidsense.errors.describe`); its video gets the same status."""
        with self._lock:
            if self.lost or self.ended:
                return
            self.ended = True
            code = message = None
            if error is not None:
                _, code, message = describe(error)
            try:
                self.library.store.finish_task(
                    self.task.id,
                    self.worker_id,
                    "ready" if error is None else "failed",
                    error_code=code,
                    error_message=message,
                )
            except (Conflict, NotFound) as e:  # taken over, or deleted with its index
                log.warning("task %s: %s", self.task.id, e)


def claim(library: Library, worker_id: str, lease_seconds: float) -> TaskRun | None:
    """The oldest claimable task, now ``indexing`` and leased to ``worker_id`` for
    ``lease_seconds``; None when nothing waits."""
    task = library.store.claim_task(worker_id, lease_seconds)
    return TaskRun(library, task, worker_id, lease_seconds) if task is not None else None


def run_task(run: TaskRun, analyzer: Analyzer | None = None) -> None:
    """Index a claimed task's video and record how it ended: ``ready``, ``failed`` with the
    error, or handed back when interrupted. Never raises for the task's own errors.

    ``analyzer`` runs the analysis (default: :func:`~vidsense.perception.analyze.analyze` in
    this process); the Ray executor passes one that runs it in a warm actor.
    """
    task = run.task
    if run.cancel.is_set():
        run.hand_back()
        return
    log.info("task %s: indexing (attempt %d) on %s", task.id, task.attempts, run.worker_id)
    try:
        run.library.index_video(run, analyzer)
    except TaskInterrupted:
        run.hand_back()
        log.info("task %s: interrupted; it will be retried", task.id)
    except Exception as e:
        status, code, message = describe(e)
        if status >= 500 and not isinstance(e, VidsenseError):
            log.exception("task %s failed unexpectedly", task.id)
        else:
            log.info("task %s failed: %s (%s)", task.id, message, code)
        run.finish(e)
    else:
        run.finish()
        log.info("task %s: ready", task.id)
