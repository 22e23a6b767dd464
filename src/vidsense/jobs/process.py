"""Analysis in a child process of the embedded executor's own: one per indexing worker.

An indexing worker thread hands each video it claimed to its :class:`AnalysisProcess`, a
child process that runs :func:`~vidsense.perception.analyze.analyze` and keeps its models
loaded from one video to the next (as a Ray actor does for the Ray executor). The analysis then
has an interpreter, and a garbage collector, of its own: the HTTP server, the heartbeats and
the other workers of the serving process never hold the lock that its Python code waits for.

Everything else stays in the serving process: claiming, leases, storing the evidence. While a
video is analysed the child reports progress (stage, fraction) through a pipe, and a cancel
(shutdown, lost lease) reaches it through an event it checks as it goes; one that has not ended
:data:`STOP_GRACE` seconds later is killed. A child that dies
mid-analysis (killed, out of memory) hands the task back, like a shutdown does: it is claimed
again (counting an attempt) and analysed by a fresh child.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Iterable
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import TYPE_CHECKING

from vidsense.config import Settings
from vidsense.errors import TaskInterrupted

if TYPE_CHECKING:
    from vidsense.perception.analyze import Analysis, StageProgress

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.5
"""How often the waiting worker looks at its cancel event while the child works."""
STOP_GRACE = 2.0
"""Seconds a cancelled analysis has to end by itself (it checks between steps, and one step,
such as recognising a stretch of speech, can take several seconds) before its child is killed:
the task is handed back either way, and a stop should not wait on a step's end."""

_CONTEXT = multiprocessing.get_context("spawn")
"""Children start from a fresh interpreter: the serving process' threads are not copied."""


def _reporter(conn: Connection) -> StageProgress:
    """A progress callback that sends ``("progress", stage, fraction)`` on ``conn``, at most
    every 1% of a stage (the pipe is not a per-frame channel)."""
    sent: dict[str, float] = {}

    def progress(stage: str, fraction: float) -> None:
        if fraction >= 1.0 or fraction - sent.get(stage, -1.0) >= 0.01:
            sent[stage] = fraction
            conn.send(("progress", stage, fraction))

    return progress


def _serve(settings: Settings, conn: Connection, cancel: Event) -> None:
    """The child's loop: analyse each request that arrives on ``conn`` (one at a time) and
    answer ``("progress", stage, fraction)`` while it runs, then ``("done", analysis)`` or
    ``("error", exception)``; ends when the pipe closes."""
    from vidsense.perception.analyze import analyze

    class _Cancel:
        """``cancel`` as the ``threading.Event`` that analyze() polls (``is_set``)."""

        def is_set(self) -> bool:
            return cancel.is_set()

    while True:
        try:
            source, out_dir, options, language = conn.recv()
        except (EOFError, OSError):
            return
        try:
            analysis = analyze(
                Path(source),
                settings,
                out_dir=Path(out_dir),
                options=options,
                language=language,
                progress=_reporter(conn),
                cancel=_Cancel(),  # type: ignore[arg-type]  # only is_set() is called
            )
        except Exception as e:
            try:
                conn.send(("error", e))
            except Exception:  # the error does not pickle: send what it says
                conn.send(("error", RuntimeError(f"{type(e).__name__}: {e}")))
        else:
            conn.send(("done", analysis))


class AnalysisProcess:
    """A child process that analyses one video at a time with ``settings`` (sized for one
    video at a time: ``workers`` 1), started on the first :meth:`analyze` and again after it
    died; :meth:`close` ends it."""

    def __init__(self, settings: Settings, name: str = "vidsense-analysis") -> None:
        self.settings = settings.model_copy(update={"workers": 1})
        self.name = name
        self._process: SpawnProcess | None = None
        self._conn: Connection | None = None
        self._cancel: Event | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The child's process id, None before it started or once it died."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def _start(self) -> tuple[SpawnProcess, Connection, Event]:
        if self._process is not None and self._process.is_alive():
            assert self._conn is not None and self._cancel is not None
            return self._process, self._conn, self._cancel
        self.close()
        ours, theirs = _CONTEXT.Pipe()
        cancel = _CONTEXT.Event()
        process = _CONTEXT.Process(
            target=_serve, args=(self.settings, theirs, cancel), name=self.name, daemon=True
        )
        process.start()
        theirs.close()
        self._process, self._conn, self._cancel = process, ours, cancel
        log.info("started analysis process %s (pid %s)", self.name, process.pid)
        return process, ours, cancel

    def analyze(
        self,
        source: str | Path,
        settings: Settings,
        *,
        out_dir: Path,
        options: Iterable[str] | None = None,
        language: str | None = None,
        progress: StageProgress | None = None,
        cancel: threading.Event | None = None,
    ) -> Analysis:
        """:func:`~vidsense.perception.analyze.analyze` in the child (``settings`` are the
        serving process' own; the child was given the same). Raises what the analysis raised,
        or :class:`TaskInterrupted` when the child died."""
        with self._lock:
            process, conn, stop = self._start()
            stop.clear()
            asked: float | None = None  # when the cancel was passed on
            try:
                conn.send((str(source), str(out_dir), list(options) if options else None, language))
                while True:
                    if cancel is not None and cancel.is_set():
                        stop.set()
                        asked = time.monotonic() if asked is None else asked
                        if time.monotonic() - asked > STOP_GRACE:
                            self.close(timeout=1.0)
                            raise TaskInterrupted(
                                f"the analysis did not stop within {STOP_GRACE:g} s of being "
                                "asked and was ended; it will be retried"
                            )
                    if not conn.poll(_POLL_SECONDS):
                        if not process.is_alive():
                            raise EOFError
                        continue
                    kind, *rest = conn.recv()
                    if kind == "progress":
                        if progress is not None:
                            progress(str(rest[0]), float(rest[1]))
                    elif kind == "done":
                        result: Analysis = rest[0]
                        return result
                    else:
                        raise rest[0]
            except (EOFError, OSError) as e:
                process.join(1.0)
                code = process.exitcode
                self.close()
                raise TaskInterrupted(
                    f"the analysis process died (exit code {code}); it will be retried"
                ) from e

    def close(self, timeout: float = 5.0) -> None:
        """End the child (closing its pipe ends its loop; it is killed if it does not end
        within ``timeout`` seconds)."""
        process, conn = self._process, self._conn
        self._process = self._conn = self._cancel = None
        if conn is not None:
            conn.close()
        if process is not None:
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join(timeout)
