"""The services of one library, made once and shared by every request: what the server keeps
for its lifetime and what the in-process client holds.

::

    services = Services.open(settings)      # opens the library (store, blobs)
    services.start_workers()                # indexing and job workers here (optional)
    services.search.search(...)             # made on first use, then kept
    services.close()                        # workers stop (tasks, jobs retried later), store closes

The job workers run the kinds :meth:`Services.job_handlers` names (one line per kind).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from vidsense.config import Settings
from vidsense.library import Library

if TYPE_CHECKING:
    from vidsense.agent.multipart import MultipartUploads
    from vidsense.agent.predictions import Predictions
    from vidsense.agent.service import ChatService
    from vidsense.jobs import Executor
    from vidsense.jobs.runs import Handlers
    from vidsense.language.service import WritingService
    from vidsense.search import SearchService
    from vidsense.store import JobRecord
    from vidsense.studio.renders import Renders
    from vidsense.studio.sources import Sources
    from vidsense.studio.videos import Videos

S = TypeVar("S")


class Services:
    """A library, its indexing and job workers (when started here) and the search, writing,
    chat and prediction services over it, each made on first use (thread-safe)."""

    def __init__(
        self, library: Library, executor: Executor | None = None, *, local: bool = False
    ) -> None:
        self.library = library
        self.executor = executor
        self.local = local
        """In-process (the CLI, ``Client()``): render specs may also name local paths."""
        self._made: dict[str, Any] = {}
        self._lock = threading.RLock()

    @classmethod
    def open(cls, settings: Settings, *, local: bool = False) -> Services:
        """The services of the library ``settings`` describe (``local``: in-process)."""
        return cls(Library.open(settings), local=local)

    @property
    def settings(self) -> Settings:
        return self.library.settings

    def _kept(self, name: str, make: Callable[[], S]) -> S:
        with self._lock:
            if name not in self._made:
                self._made[name] = make()
            found: S = self._made[name]
            return found

    @property
    def search(self) -> SearchService:
        from vidsense.search import SearchService

        return self._kept("search", lambda: SearchService(self.library))

    @property
    def writing(self) -> WritingService:
        from vidsense.language.service import WritingService

        return self._kept("writing", lambda: WritingService(self.library))

    @property
    def chat(self) -> ChatService:
        from vidsense.agent.service import ChatService

        return self._kept("chat", lambda: ChatService(self.library, self.writing))

    @property
    def multipart(self) -> MultipartUploads:
        """Assets sent in chunks (Twelve Labs' multipart uploads), kept beside the files."""
        from vidsense.agent.multipart import MultipartUploads

        return self._kept(
            "multipart",
            lambda: MultipartUploads(
                self.chat.files, self.settings.max_upload_bytes, self.settings.limits.chunk_bytes
            ),
        )

    @property
    def predictions(self) -> Predictions:
        from vidsense.agent.predictions import Predictions

        return self._kept("predictions", lambda: Predictions(self.chat, self.job_queued))

    @property
    def sources(self) -> Sources:
        """What render specs and edits may name: library videos, uploaded files, earlier
        outputs, fonts (and local paths in-process)."""
        from vidsense.studio.sources import Sources

        return self._kept(
            "sources",
            lambda: Sources(self.library, files=self.chat.files.path, allow_paths=self.local),
        )

    @property
    def renders(self) -> Renders:
        from vidsense.studio.renders import Renders

        return self._kept("renders", lambda: Renders(self.library, self.sources))

    @property
    def videos(self) -> Videos:
        from vidsense.studio.videos import Videos

        return self._kept("videos", lambda: Videos(self.library))

    # -- workers -------------------------------------------------------------------------------

    def job_handlers(self) -> Handlers:
        """What runs each kind of job (:mod:`vidsense.jobs.runs`): the table the job workers
        are given."""
        from vidsense.agent import analysis, embedding, executions, predictions
        from vidsense.studio import renders, videos

        return {
            executions.KIND: executions.execution_handler(self.chat),
            predictions.KIND: predictions.prediction_handler(self.predictions),
            analysis.KIND: analysis.analysis_handler(self.chat),
            embedding.KIND: embedding.embedding_handler(self.chat),
            renders.KIND: renders.render_handler(self.renders),
            videos.KIND: videos.video_handler(self.videos),
        }

    def job_ended(self, job: JobRecord) -> None:
        """A job run here completed or failed: call the ``callback_url`` it gave, if any."""
        from vidsense.agent.executions import describe_execution
        from vidsense.agent.predictions import describe_prediction
        from vidsense.media.network import post_callback

        described = {"execution": describe_execution, "prediction": describe_prediction}
        url = job.request.get("callback_url")
        if url and job.kind in described:
            post_callback(str(url), described[job.kind](job), self.settings.fetch)

    def start_workers(
        self, workers: int | None = None, kind: str | None = None, jobs: int | None = None
    ) -> None:
        """Start indexing workers and job workers in this process (``kind``: ``embedded`` or
        ``ray``, default ``settings.executor``; ``workers`` default ``settings.worker_count``;
        ``jobs`` default ``settings.job_workers``); idempotent."""
        with self._lock:
            if self.executor is None:
                from vidsense.jobs import make_executor

                self.executor = make_executor(
                    self.library,
                    kind,
                    workers,
                    handlers=self.job_handlers(),
                    job_workers=jobs,
                    ended=self.job_ended,
                )
                self.executor.start()

    def queued(self, task_id: str) -> None:
        """A task was just queued: wake a worker, if this process runs any."""
        if self.executor is not None:
            self.executor.submit(task_id)

    def job_queued(self, job_id: str) -> None:
        """A job was just queued: wake a job worker, if this process runs any."""
        if self.executor is not None:
            self.executor.submit_job(job_id)

    @property
    def workers(self) -> int:
        """Indexing workers running in this process (0 when none)."""
        return int(getattr(self.executor, "workers", 0)) if self.executor is not None else 0

    def close(self) -> None:
        """Stop the workers (running tasks and jobs are handed back for a retry) and close
        the library."""
        with self._lock:
            executor, self.executor = self.executor, None
        if executor is not None:
            executor.stop()
        self.library.close()
