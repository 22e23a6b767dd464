"""The embedded executor: worker threads in this process, over the store's durable tasks.

Each worker loops ``claim_task`` -> :meth:`Library.run_task` -> ``finish_task``. While a task
runs, a heartbeat thread extends its lease every third of ``lease_seconds`` (at most every 2 s)
and stores its progress; a worker that dies (the process was killed) stops heartbeating, its
lease runs out, and any worker claims the task again. Interrupting a task (shutdown) hands its
lease back at once, so the next start picks it up without waiting for the lease to run out.
Workers claim ``pending`` tasks only (never one still ``validating``); a task left
``validating`` longer than ``lease_seconds`` (its submission died mid-check) is queued by the
claim, so it is not lost.

The analysers release the GIL while they compute, so threads keep the cores busy; the default
is one worker per core (``VIDSENSE_WORKERS``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass, field, replace

from vidsense.errors import Conflict, NotFound, VidsenseError, describe
from vidsense.jobs.base import Executor
from vidsense.library import Library, TaskInterrupted
from vidsense.library.service import Analyzer
from vidsense.store import TaskRecord

log = logging.getLogger(__name__)


@dataclass
class _Running:
    """The :class:`~vidsense.library.TaskContext` of one claimed task."""

    library: Library
    task: TaskRecord
    worker_id: str
    lease_seconds: float
    cancel: threading.Event = field(default_factory=threading.Event)
    lost: bool = False
    _percent: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self, percent: float) -> None:
        """Keep ``percent``; the next heartbeat stores it."""
        self._percent = max(0.0, min(100.0, float(percent)))

    def link_video(self, video_id: str) -> None:
        self._beat(video_id=video_id)
        if self.lost:
            raise TaskInterrupted(f"task {self.task.id} is no longer this worker's")
        self.task = replace(self.task, video_id=video_id)

    def _beat(self, video_id: str | None = None) -> None:
        with self._lock:
            if self.lost:
                return
            percent = self._percent
            try:
                self.library.store.heartbeat(
                    self.task.id,
                    self.worker_id,
                    percent,
                    lease_seconds=self.lease_seconds,
                    video_id=video_id,
                )
            except (Conflict, NotFound) as e:  # taken over, or its index was deleted
                log.warning("task %s: %s; stopping it", self.task.id, e)
                self.lost = True
                self.cancel.set()

    def beat_until(self, done: threading.Event) -> None:
        """Heartbeat until ``done`` is set (runs in its own thread)."""
        interval = max(0.2, min(self.lease_seconds / 3.0, 2.0))
        while not done.wait(interval):
            try:
                self._beat()
            except Exception as e:  # the database is busy or gone: try again next beat
                log.warning("heartbeat of task %s failed: %s", self.task.id, e)

    def release(self) -> None:
        """Hand the lease back now (progress kept), so the task can be claimed at once."""
        with self._lock:
            if self.lost:
                return
            try:
                self.library.store.heartbeat(
                    self.task.id, self.worker_id, self._percent, lease_seconds=0.0
                )
            except VidsenseError as e:
                log.warning("could not release task %s: %s", self.task.id, e)


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
        self._running: dict[str, _Running] = {}
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
        store = self.library.store
        while not self._stop.is_set():
            try:
                task = store.claim_task(worker_id, self.lease_seconds)
            except Exception as e:
                log.warning("worker %s could not claim a task: %s", worker_id, e)
                task = None
            if task is None:
                self._wake.acquire(timeout=self.poll_seconds)
                continue
            try:
                self._run(task, worker_id)
            except Exception:  # never let one task end the worker
                log.exception("worker %s: task %s could not be finished", worker_id, task.id)

    def _run(self, task: TaskRecord, worker_id: str) -> None:
        running = _Running(self.library, task, worker_id, self.lease_seconds)
        with self._running_lock:
            self._running[task.id] = running
        if self._stop.is_set():
            running.cancel.set()
        done = threading.Event()
        beats = threading.Thread(
            target=running.beat_until,
            args=(done,),
            name=f"vidsense-heartbeat-{task.id[:8]}",
            daemon=True,
        )
        beats.start()
        log.info("task %s: indexing (attempt %d) on %s", task.id, task.attempts, worker_id)
        try:
            self.library.run_task(running, self._analyzer(worker_id))
        except TaskInterrupted:
            done.set()
            beats.join()
            running.release()
            log.info("task %s: interrupted; it will be retried", task.id)
            return
        except Exception as e:
            done.set()
            beats.join()
            status, code, message = describe(e)
            if status >= 500 and not isinstance(e, VidsenseError):
                log.exception("task %s failed unexpectedly", task.id)
            else:
                log.info("task %s failed: %s (%s)", task.id, message, code)
            self._finish(running, "failed", code, message)
        else:
            done.set()
            beats.join()
            self._finish(running, "ready", None, None)
            log.info("task %s: ready", task.id)
        finally:
            with self._running_lock:
                self._running.pop(task.id, None)

    def _analyzer(self, worker_id: str) -> Analyzer | None:
        """What analyses the videos of ``worker_id``; None: :func:`analyze` in this process
        (executors that analyse elsewhere override this)."""
        return None

    def _finish(self, running: _Running, status: str, code: str | None, msg: str | None) -> None:
        if running.lost:
            return
        try:
            self.library.store.finish_task(
                running.task.id,
                running.worker_id,
                "ready" if status == "ready" else "failed",
                error_code=code,
                error_message=msg,
            )
        except (Conflict, NotFound) as e:  # taken over, or deleted with its index
            log.warning("task %s: %s", running.task.id, e)
