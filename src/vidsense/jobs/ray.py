"""The Ray executor: the embedded workers' durable task loop, with the analysis in Ray actors.

Claiming, heartbeats and running a task are scheduled as the embedded executor does (this
class extends it) and follow the same task life (:mod:`vidsense.library.service`), so a task
behaves the same whoever runs it: a worker that dies stops heartbeating and another claims the
task once its lease runs out. What moves is the analysis
(decode, shots, speech, on-screen text, audio events, embeddings): each worker thread owns one
:class:`AnalyzerActor`, a Ray actor that loads the models once and keeps them warm across
videos. Actors ask Ray for ``settings.ray_cpus`` CPUs and ``settings.ray_gpus`` GPUs each, so
a cluster places them on the machines that have them.

Files travel by path: the video, the analysis folder (under ``DATA_DIR/work``) and the models
must be on a disk every Ray node sees (a local cluster, or a shared mount), and each node needs
vidsense installed. ``settings.ray_address`` names the cluster (``ray://head:10001``, ``auto``);
without one a local cluster starts in this process. If Ray is already initialised (a test,
a notebook), that connection is used as is.

An actor that dies mid-analysis (killed, out of memory) hands the task back like a shutdown
does: it is claimed again (counting an attempt), on a fresh actor. So does one that never comes
up, or does not stop when asked: no wait on an actor is unbounded, so a stop always ends.

Ray runs its worker processes, and so the actors, at niceness 15 (they yield the CPU to its own
services and to any other work on the machine): on a machine shared with other busy processes,
analysis slows far more than their CPU share suggests. A cluster started with
``RAY_worker_niceness=0`` runs them at normal priority.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vidsense.config import Settings
from vidsense.errors import TaskInterrupted, VidsenseError
from vidsense.jobs.embedded import EmbeddedExecutor
from vidsense.jobs.runs import Ended, Handlers
from vidsense.library import Library
from vidsense.library.service import Analyzer

if TYPE_CHECKING:
    from vidsense.perception.analyze import Analysis, StageProgress

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.5
"""How often a worker asks its actor for progress while an analysis runs."""

_START_SECONDS = 300.0
"""How long a new actor may take to come up (a process, and vidsense imported in it; the
models load later, in its first analysis) before it is ended and the task handed back. Ray can
leave an actor pending for good, e.g. one created while another is being killed."""

_STOP_SECONDS = 20.0
"""How long an analysis asked to stop may take to return before its actor is ended."""


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as e:
        raise VidsenseError(
            "the ray executor needs Ray: pip install 'vidsense[ray]'",
            code="backend_not_available",
        ) from e
    return ray


class AnalyzerActor:
    """Runs :func:`~vidsense.perception.analyze.analyze` in a Ray worker process.

    The models load on the first video and stay loaded (they are cached per process), so every
    later video skips the load. Calls are named by the caller so that ``progress`` and
    ``cancel`` can reach a running analysis (the actor serves a few calls at once for that).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.analysed = 0
        self._progress: dict[str, dict[str, float]] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def analyze(
        self,
        call_id: str,
        source: str,
        out_dir: str,
        options: list[str] | None,
        language: str | None,
    ) -> Analysis:
        from vidsense.perception.analyze import analyze

        stages: dict[str, float] = {}
        with self._lock:
            self._progress[call_id] = stages
            # A cancel may arrive before the call starts: it leaves the event set.
            cancel = self._cancel.setdefault(call_id, threading.Event())

        def progress(stage: str, fraction: float) -> None:
            stages[stage] = fraction

        try:
            analysis = analyze(
                Path(source),
                self.settings,
                out_dir=Path(out_dir),
                options=options,
                language=language,
                progress=progress,
                cancel=cancel,
            )
        finally:
            with self._lock:
                self._progress.pop(call_id, None)
                self._cancel.pop(call_id, None)
        self.analysed += 1
        return analysis

    def progress(self, call_id: str) -> dict[str, float]:
        """(stage -> fraction done) of a running call; empty once it ended."""
        with self._lock:
            return dict(self._progress.get(call_id, {}))

    def cancel(self, call_id: str) -> None:
        """Ask a running call to stop early (it returns what it has; the task is retried)."""
        with self._lock:
            self._cancel.setdefault(call_id, threading.Event()).set()

    def stats(self) -> dict[str, Any]:
        """Where this actor runs and what it holds: ``pid``, ``analysed`` (videos), ``models``
        (the loaded models' keys)."""
        from vidsense.models.base import loaded_models

        return {"pid": os.getpid(), "analysed": self.analysed, "models": loaded_models()}


class RayExecutor(EmbeddedExecutor):
    """``workers`` task loops (default ``settings.worker_count``), each analysing through its
    own warm :class:`AnalyzerActor` on the Ray cluster ``settings.ray_address``; jobs run in
    this process's job workers, as the embedded executor runs them (the indexing they wait
    for goes through the actors)."""

    NAME = "ray"

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
        super().__init__(
            library,
            workers,
            lease_seconds=lease_seconds,
            poll_seconds=poll_seconds,
            handlers=handlers,
            job_workers=job_workers,
            ended=ended,
        )
        self._actors: dict[str, tuple[Any, Any]] = {}
        """Each worker's actor, and a reference ready once the actor is up."""
        self._actors_lock = threading.Lock()
        self._ray: Any = None

    def start(self) -> None:
        ray = _import_ray()
        if not ray.is_initialized():
            settings = self.library.settings
            ray.init(
                address=settings.ray_address,
                include_dashboard=False,
                configure_logging=False,
                log_to_driver=False,
            )
            log.info("joined Ray cluster %s", settings.ray_address or "(local)")
        self._ray = ray
        super().start()

    def stop(self, timeout: float | None = 30.0) -> None:
        super().stop(timeout)
        with self._actors_lock:
            actors, self._actors = [a for a, _ in self._actors.values()], {}
        for actor in actors:
            self._ray.kill(actor)

    def actor_stats(self) -> list[dict[str, Any]]:
        """:meth:`AnalyzerActor.stats` of every live actor."""
        with self._actors_lock:
            actors = [a for a, _ in self._actors.values()]
        return [self._ray.get(a.stats.remote()) for a in actors]

    def _actor(self, worker_id: str) -> tuple[Any, Any]:
        """The worker's actor, made when it has none, and a reference that is ready once the
        actor is up."""
        with self._actors_lock:
            found = self._actors.get(worker_id)
            if found is None:
                settings = self.library.settings
                actor = (
                    self._ray.remote(AnalyzerActor)
                    .options(
                        num_cpus=settings.ray_cpus,
                        num_gpus=settings.ray_gpus,
                        max_concurrency=4,  # analyze, plus progress and cancel beside it
                    )
                    # One video at a time per actor: its models need one worker each.
                    .remote(settings.model_copy(update={"workers": 1}))
                )
                found = self._actors[worker_id] = (actor, actor.__ray_ready__.remote())
            return found

    def _forget(self, worker_id: str, actor: Any) -> None:
        with self._actors_lock:
            if self._actors.get(worker_id, (None,))[0] is actor:
                del self._actors[worker_id]

    def _drop(self, worker_id: str, actor: Any) -> None:
        """End ``actor`` (one that did not start, or did not stop) and forget it."""
        self._forget(worker_id, actor)
        self._ray.kill(actor)

    def _await(
        self,
        worker_id: str,
        actor: Any,
        ready: Any,
        ref: Any,
        call_id: str,
        progress: StageProgress | None,
        cancel: threading.Event | None,
    ) -> Analysis:
        """The result of the analysis ``ref`` running as ``call_id`` on ``worker_id``'s
        ``actor``, passing its progress on and asking it to stop when ``cancel`` is set. Every
        wait is bounded: the actor is ended, and :class:`TaskInterrupted` raised (the task is
        handed back), when it is not up (``ready``) within ``_START_SECONDS`` or before a stop
        is asked, or when an analysis asked to stop has not within ``_STOP_SECONDS``."""
        ray = self._ray
        began = time.monotonic()
        up = False
        asked_to_stop: float | None = None
        while True:
            done, _ = ray.wait([ref], timeout=_POLL_SECONDS)
            if done:
                result: Analysis = ray.get(ref)
                return result
            up = up or bool(ray.wait([ready], timeout=0)[0])
            stopping = cancel is not None and cancel.is_set()
            if not up and (stopping or time.monotonic() - began > _START_SECONDS):
                self._drop(worker_id, actor)
                raise TaskInterrupted(
                    f"the analysis process did not start (within {_START_SECONDS:g} s, or before "
                    "the task was stopped); it will be retried"
                )
            if up and progress is not None:
                try:
                    stages = ray.get(actor.progress.remote(call_id), timeout=_POLL_SECONDS * 4)
                except ray.exceptions.GetTimeoutError:
                    stages = {}
                for stage, fraction in stages.items():
                    progress(stage, fraction)
            if not stopping:
                continue
            if asked_to_stop is None:
                actor.cancel.remote(call_id)
                asked_to_stop = time.monotonic()
            elif time.monotonic() - asked_to_stop > _STOP_SECONDS:
                self._drop(worker_id, actor)
                raise TaskInterrupted(
                    f"the analysis did not stop within {_STOP_SECONDS:g} s of being asked; "
                    "its process was ended and the task will be retried"
                )

    def _analyzer(self, worker_id: str) -> Analyzer:
        ray = self._ray

        def analyze(
            source: str | Path,
            settings: Settings,
            *,
            out_dir: Path,
            options: Iterable[str] | None = None,
            language: str | None = None,
            progress: StageProgress | None = None,
            cancel: threading.Event | None = None,
        ) -> Analysis:
            # ``settings`` is the library's; the actor was made with the same ones.
            call_id = secrets.token_hex(8)
            actor, ready = self._actor(worker_id)
            ref = actor.analyze.remote(
                call_id,
                str(source),
                str(out_dir),
                list(options) if options is not None else None,
                language,
            )
            try:
                return self._await(worker_id, actor, ready, ref, call_id, progress, cancel)
            except ray.exceptions.RayTaskError as e:
                cause = getattr(e, "cause", None)
                if isinstance(cause, BaseException):
                    raise cause from None  # the analysis' own error (corrupt_media, ...)
                raise
            except ray.exceptions.RayActorError as e:
                self._forget(worker_id, actor)
                raise TaskInterrupted(f"the analysis process died ({e}); it will be retried") from e

        return analyze
