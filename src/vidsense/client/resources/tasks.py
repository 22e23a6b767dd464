"""``client.tasks``: submitting videos and following their indexing."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vidsense.api.indexes import ExternalTaskCreate, Task, TaskCreated, TaskQuery
from vidsense.api.wire import Listing, validated
from vidsense.client._transport import Transport
from vidsense.errors import InvalidArgument, VidsenseError
from vidsense.media.source import local_file
from vidsense.waiting import TASK_ENDED, wait_for

TaskProgress = Callable[[Task], None]
"""Called with the task each time it is polled."""


class Tasks:
    """``client.tasks``: submit a file or URL, get, list, and wait for tasks."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def create(
        self,
        index_id: str,
        *,
        file: str | Path | None = None,
        url: str | None = None,
        language: str | None = None,
        user_metadata: Mapping[str, Any] | None = None,
    ) -> TaskCreated:
        """Submit a local ``file`` (uploaded) or a video ``url`` (downloaded by the server)."""
        if (file is None) == (url is None):
            raise InvalidArgument("give exactly one of file or url")
        fields: dict[str, str] = {"index_id": index_id}
        if language:
            fields["language"] = language
        if user_metadata is not None:
            fields["user_metadata"] = json.dumps(dict(user_metadata))
        if file is None:
            return self._t.create_task({**fields, "video_url": str(url)}, None)
        path = local_file(file)
        return self._t.create_task(fields, path)

    def create_external(
        self, index_id: str, url: str, *, language: str | None = None
    ) -> TaskCreated:
        """Submit a page URL (YouTube, Vimeo, ...); the server fetches its video."""
        body = {"index_id": index_id, "url": url, "language": language}
        return self._t.create_external_task(validated(ExternalTaskCreate, body))

    def get(self, task_id: str) -> Task:
        return self._t.get_task(task_id)

    def list(
        self,
        *,
        index_id: str | None = None,
        status: str | None = None,
        page: int = 1,
        page_limit: int = 10,
    ) -> Listing[Task]:
        """Tasks, optionally of one index and/or status (validating, pending, indexing,
        ready, failed), newest first."""
        query = {
            "index_id": index_id,
            "status": [status] if status else None,
            "page": page,
            "page_limit": page_limit,
        }
        return self._t.list_tasks(validated(TaskQuery, query))

    def wait(
        self,
        task_id: str,
        *,
        timeout: float | None = None,
        poll: float = 0.5,
        progress: TaskProgress | None = None,
    ) -> Task:
        """Poll until the task is ``ready`` or ``failed`` (``timeout`` seconds, None: no
        limit) and return it; a failed task is returned, not raised. In-process, indexing
        workers start here first."""
        self._t.start_workers()
        return wait_for(
            lambda: self.get(task_id),
            lambda task: task.status in TASK_ENDED,
            progress=progress,
            timeout=timeout,
            interval=poll,
            timed_out=lambda task: VidsenseError(
                f"task {task_id} is still {task.status} after {timeout} s", code="timeout"
            ),
        )
