"""The embedded executor: worker threads in this process, over the store's durable tasks and
jobs.

Each indexing worker loops :func:`~vidsense.library.tasks.claim` ->
:func:`~vidsense.library.tasks.run_task`; each job worker (given a handler table: job kind ->
:data:`~vidsense.jobs.runs.Handler`) loops :func:`~vidsense.jobs.runs.claim` ->
:func:`~vidsense.jobs.runs.run_job`. While a task or a job runs, a heartbeat thread renews its
lease every third of ``lease_seconds`` (at most every 2 s). What those steps do (leases,
retries, handing back on shutdown) is the task's life in :mod:`vidsense.library.service` and
the job's in :mod:`vidsense.store.base`; this module only schedules them.

Job workers are threads of their own, never the indexing workers: a job (an execution) waits
for its videos to be indexed, and would deadlock workers it shared. The default is one indexing
worker per core (``VIDSENSE_WORKERS``) and ``VIDSENSE_JOB_WORKERS`` (2) job workers.

With ``settings.worker_processes`` (the default) each indexing worker analyses its videos in an
:class:`~vidsense.jobs.process.AnalysisProcess`, a child process of its own that keeps the
models loaded: the analysis then shares no interpreter lock with the HTTP server and the other
workers (on a busy machine, threads of one process ran it 15-25% slower). Without it, the
analysis runs in the worker's thread.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from functools import partial
from typing import Protocol

from vidsense.jobs.base import Executor
from vidsense.jobs.process import AnalysisProcess
from vidsense.jobs.runs import Ended, Handlers, JobRun, run_job
from vidsense.jobs.runs import claim as claim_job
from vidsense.library import Library
from vidsense.library.service import Analyzer
from vidsense.library.tasks import TaskRun, claim, run_task

log = logging.getLogger(__name__)

Claimed = tuple[str, "TaskRun | JobRun", Callable[[], None]]
"""A claimed task or job: its id, its run, and the work that runs it to its end."""


class Leased(Protocol):
    """A claimed task or job: its lease length and the beat that renews it."""

    lease_seconds: float

    def beat(self) -> None: ...


def beat_until(run: Leased, done: threading.Event, name: str = "") -> None:
    """Renew ``run``'s lease every third of its length (at most every 2 s) until ``done`` is
    set (runs in its own thread); ``name`` names it in warnings."""
    interval = max(0.2, min(run.lease_seconds / 3.0, 2.0))
    while not done.wait(interval):
        try:
            run.beat()
        except Exception as e:  # the database is busy or gone: try again next beat
            log.warning("heartbeat of %s failed: %s", name, e)


class EmbeddedExecutor(Executor):
    """``workers`` threads (default ``settings.worker_count``) indexing tasks of ``library``,
    and ``job_workers`` threads (default ``settings.job_workers``) running its jobs of the
    kinds ``handlers`` names (none without handlers); ``ended`` is told of each job they
    complete or fail.

    ``lease_seconds`` defaults to ``settings.task_lease_seconds`` (tasks and jobs alike);
    ``poll_seconds`` is how often idle workers look for work queued by other processes.
    """

    NAME = "embedded"

    def __init__(
        self,
        library: Library,
        workers: int | None = None,
        *,
        lease_seconds: float | None = None,
        poll_seconds: float = 1.0,
        handlers: Handlers | None = None,
        job_workers: int | None = None,
        ended: Ended | None = None,
    ) -> None:
        settings = library.settings
        self.library = library
        self.workers = workers if workers and workers > 0 else settings.worker_count
        self.handlers = dict(handlers or {})
        self.ended = ended
        self.job_workers = (
            (job_workers if job_workers is not None else settings.job_workers)
            if self.handlers
            else 0
        )
        self.lease_seconds = lease_seconds or settings.task_lease_seconds
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Semaphore(0)
        self._wake_jobs = threading.Semaphore(0)
        self._threads: list[threading.Thread] = []
        self._running: dict[str, TaskRun | JobRun] = {}
        self._running_lock = threading.Lock()
        self._tag = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._processes: dict[str, AnalysisProcess] = {}

    @property
    def busy(self) -> int:
        """How many tasks are being indexed and jobs run right now."""
        with self._running_lock:
            return len(self._running)

    def analysis_pids(self) -> list[int]:
        """Process ids of the analysis processes now started (``worker_processes``), one per
        indexing worker that analysed a video."""
        with self._running_lock:
            processes = list(self._processes.values())
        return [pid for pid in (p.pid for p in processes) if pid is not None]

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        loops: list[tuple[Callable[[str], None], str, str]] = [
            (self._loop, f"{self._tag}:{i}", f"vidsense-worker-{i}") for i in range(self.workers)
        ]
        loops += [
            (self._job_loop, f"{self._tag}:job{i}", f"vidsense-job-{i}")
            for i in range(self.job_workers)
        ]
        for target, worker_id, name in loops:
            thread = threading.Thread(target=target, args=(worker_id,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info(
            "started %d indexing workers and %d job workers (%s)",
            self.workers,
            self.job_workers,
            ", ".join(self.handlers) or "no job kinds",
        )

    def stop(self, timeout: float | None = 30.0) -> None:
        self._stop.set()
        with self._running_lock:
            for running in self._running.values():
                running.cancel.set()
        for _ in range(self.workers):
            self._wake.release()
        for _ in range(self.job_workers):
            self._wake_jobs.release()
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("worker %s did not stop within %s s", thread.name, timeout)
        self._threads = []
        with self._running_lock:
            processes, self._processes = list(self._processes.values()), {}
        for process in processes:
            process.close()

    def submit(self, task_id: str | None = None) -> None:
        self._wake.release()

    def submit_job(self, job_id: str | None = None) -> None:
        if self.job_workers:
            self._wake_jobs.release()

    # -- the loops -----------------------------------------------------------------------------

    def _loop(self, worker_id: str) -> None:
        def next_task() -> Claimed | None:
            run = claim(self.library, worker_id, self.lease_seconds)
            if run is None:
                return None
            return run.task.id, run, partial(run_task, run, self._analyzer(worker_id))

        self._serve(worker_id, "task", self._wake, next_task)

    def _analyzer(self, worker_id: str) -> Analyzer | None:
        """What analyses the videos of ``worker_id``: its :class:`AnalysisProcess` when
        ``settings.worker_processes``, else None (:func:`analyze` in this thread); executors
        that analyse elsewhere override this."""
        if not self.library.settings.worker_processes:
            return None
        with self._running_lock:
            process = self._processes.get(worker_id)
            if process is None:
                process = AnalysisProcess(self.library.settings, f"vidsense-analysis-{worker_id}")
                self._processes[worker_id] = process
        return process.analyze

    def _job_loop(self, worker_id: str) -> None:
        kinds = list(self.handlers)

        def next_job() -> Claimed | None:
            run = claim_job(self.library, worker_id, self.lease_seconds, kinds=kinds)
            if run is None:
                return None
            return run.job.id, run, partial(run_job, run, self.handlers, self.ended)

        self._serve(worker_id, "job", self._wake_jobs, next_job)

    def _serve(
        self,
        worker_id: str,
        what: str,
        wake: threading.Semaphore,
        next_run: Callable[[], Claimed | None],
    ) -> None:
        """Until stopped: claim the next task or job (``next_run``) and run it, or wait for
        ``wake`` (at most ``poll_seconds``) when none waits."""
        while not self._stop.is_set():
            try:
                found = next_run()
            except Exception as e:
                log.warning("worker %s could not claim a %s: %s", worker_id, what, e)
                found = None
            if found is None:
                wake.acquire(timeout=self.poll_seconds)
                continue
            key, run, work = found
            try:
                self._held(key, run, work)
            except Exception:  # never let one task or job end the worker
                log.exception("worker %s: %s %s could not be finished", worker_id, what, key)

    # -- both ----------------------------------------------------------------------------------

    def _held(self, key: str, run: TaskRun | JobRun, work: Callable[[], None]) -> None:
        """Do ``work`` for a claimed ``run`` while a heartbeat thread renews its lease; a stop
        asked meanwhile reaches it through ``run.cancel``."""
        with self._running_lock:
            self._running[key] = run
        if self._stop.is_set():
            run.cancel.set()
        done = threading.Event()
        beats = threading.Thread(
            target=beat_until,
            args=(run, done, key),
            name=f"vidsense-heartbeat-{key[:12]}",
            daemon=True,
        )
        beats.start()
        try:
            work()
        finally:
            done.set()
            beats.join()
            with self._running_lock:
                self._running.pop(key, None)
