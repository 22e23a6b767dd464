"""The embedded executor: worker threads in this process, over the store's durable tasks.

Each worker loops :func:`~vidsense.library.tasks.claim` ->
:func:`~vidsense.library.tasks.run_task`; while a task runs, a heartbeat thread calls
:meth:`TaskRun.beat <vidsense.library.tasks.TaskRun.beat>` every third of ``lease_seconds`` (at
most every 2 s). What those steps do to a task (leases, retries, handing back on shutdown) is
the task's life in :mod:`vidsense.library.service`; this module only schedules them.

The analysers release the GIL while they compute, so threads keep the cores busy; the default
is one worker per core (``VIDSENSE_WORKERS``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading

from vidsense.jobs.base import Executor
from vidsense.library import Library
from vidsense.library.service import Analyzer
from vidsense.library.tasks import TaskRun, claim, run_task

log = logging.getLogger(__name__)


def beat_until(run: TaskRun, done: threading.Event) -> None:
    """Renew ``run``'s lease every third of its length (at most every 2 s) until ``done`` is
    set (runs in its own thread)."""
    interval = max(0.2, min(run.lease_seconds / 3.0, 2.0))
    while not done.wait(interval):
        try:
            run.beat()
        except Exception as e:  # the database is busy or gone: try again next beat
            log.warning("heartbeat of task %s failed: %s", run.task.id, e)


class EmbeddedExecutor(Executor):
    """``workers`` threads (default ``settings.worker_count``) indexing tasks of ``library``.

    ``lease_seconds`` defaults to ``settings.task_lease_seconds``; ``poll_seconds`` is how
    often idle workers look for tasks queued by other processes.
    """

    NAME = "embedded"

    def __init__(
        self,
        library: Library,
        workers: int | None = None,
        *,
        lease_seconds: float | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        settings = library.settings
        self.library = library
        self.workers = workers if workers and workers > 0 else settings.worker_count
        self.lease_seconds = lease_seconds or settings.task_lease_seconds
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Semaphore(0)
        self._threads: list[threading.Thread] = []
        self._running: dict[str, TaskRun] = {}
        self._running_lock = threading.Lock()
        self._tag = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    @property
    def busy(self) -> int:
        """How many tasks are being indexed right now."""
        with self._running_lock:
            return len(self._running)

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        for i in range(self.workers):
            thread = threading.Thread(
                target=self._loop,
                args=(f"{self._tag}:{i}",),
                name=f"vidsense-worker-{i}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        log.info("started %d indexing workers", self.workers)

    def stop(self, timeout: float | None = 30.0) -> None:
        self._stop.set()
        with self._running_lock:
            for running in self._running.values():
                running.cancel.set()
        for _ in self._threads:
            self._wake.release()
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("worker %s did not stop within %s s", thread.name, timeout)
        self._threads = []

    def submit(self, task_id: str | None = None) -> None:
        self._wake.release()

    def _loop(self, worker_id: str) -> None:
        while not self._stop.is_set():
            try:
                run = claim(self.library, worker_id, self.lease_seconds)
            except Exception as e:
                log.warning("worker %s could not claim a task: %s", worker_id, e)
                run = None
            if run is None:
                self._wake.acquire(timeout=self.poll_seconds)
                continue
            try:
                self._run(run, worker_id)
            except Exception:  # never let one task end the worker
                log.exception("worker %s: task %s could not be finished", worker_id, run.task.id)

    def _run(self, run: TaskRun, worker_id: str) -> None:
        with self._running_lock:
            self._running[run.task.id] = run
        if self._stop.is_set():
            run.cancel.set()
        done = threading.Event()
        beats = threading.Thread(
            target=beat_until,
            args=(run, done),
            name=f"vidsense-heartbeat-{run.task.id[:8]}",
            daemon=True,
        )
        beats.start()
        try:
            run_task(run, self._analyzer(worker_id))
        finally:
            done.set()
            beats.join()
            with self._running_lock:
                self._running.pop(run.task.id, None)

    def _analyzer(self, worker_id: str) -> Analyzer | None:
        """What analyses the videos of ``worker_id``; None: :func:`analyze` in this process
        (executors that analyse elsewhere override this)."""
        return None
