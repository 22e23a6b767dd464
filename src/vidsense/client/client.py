"""``vidsense.Client``: the library API from Python, over HTTP or in-process.

::

    from vidsense import Client

    client = Client("http://127.0.0.1:8321", api_key="...")   # a running server
    client = Client()                                          # in-process, embedded store
    index = client.indexes.create("talks")
    task = client.tasks.create(index.id, file="talk.mp4")
    task = client.tasks.wait(task.id)
    for line in client.videos.transcription(index.id, task.video_id):
        print(line.start, line.value)

Both modes return the same typed results (the wire models of
:mod:`vidsense.server.protocol`) and raise the same exceptions: the
:mod:`vidsense.errors` class for the HTTP status, carrying the server's ``code`` and
``message``. In-process, workers start in this process when a task is waited for (or with
:meth:`Client.start_workers`).
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar, cast

import httpx
from pydantic import BaseModel

from vidsense.config import Settings
from vidsense.errors import (
    Conflict,
    FetchFailed,
    InvalidArgument,
    MediaError,
    NotFound,
    ServerUnavailable,
    SourceBlocked,
    SourceTooLarge,
    Unauthorized,
    UnsupportedMedia,
    VidsenseError,
)
from vidsense.server.protocol import (
    ClassifyPage,
    Health,
    Index,
    Listing,
    SearchPage,
    ShotItem,
    Task,
    TaskCreated,
    TextItem,
    TranscriptItem,
    Video,
)
from vidsense.store.base import TASK_STATUSES, TaskStatus
from vidsense.waiting import TASK_ENDED, wait_for

M = TypeVar("M", bound=BaseModel)
Classes = (
    Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]] | Sequence[Mapping[str, Any]]
)
"""Classes to classify into: ``{"Sports": ["soccer", ...]}``, ``[("Sports", [...])]`` or
``[{"name": "Sports", "prompts": [...]}]``."""
LOCAL_BASE = "/v1"
"""In-process, thumbnail links are paths under this prefix (as a server would serve them)."""
TaskProgress = Callable[[Task], None]
"""Called with the task each time it is polled."""

_BY_STATUS: dict[int, type[VidsenseError]] = {
    400: InvalidArgument,
    401: Unauthorized,
    403: SourceBlocked,
    404: NotFound,
    409: Conflict,
    413: SourceTooLarge,
    415: UnsupportedMedia,
    422: MediaError,
    502: FetchFailed,
}
_VERSIONS = ("/v1", "/v1.2", "/v1.3")


def api_error(status: int, code: str, message: str) -> VidsenseError:
    """The :mod:`vidsense.errors` exception for an HTTP error answer."""
    error = _BY_STATUS.get(status, VidsenseError)(message, code=code)
    error.status = status
    return error


class _Backend(Protocol):
    def call(self, method: str, /, **kwargs: Any) -> Any: ...

    def close(self) -> None: ...


# -- over HTTP ---------------------------------------------------------------------------------


class _Http:
    """Talks to a running server."""

    def __init__(self, base_url: str, api_key: str | None, timeout: float) -> None:
        root = base_url.rstrip("/")
        if not root.endswith(_VERSIONS):
            root += "/v1"
        self.root = root
        self.server = root.rsplit("/", 1)[0]
        headers = {"x-api-key": api_key} if api_key else {}
        self.http = httpx.Client(
            headers=headers, timeout=httpx.Timeout(timeout, connect=10.0), follow_redirects=True
        )

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = path if path.startswith("http") else self.root + path
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.TransportError as e:
            raise ServerUnavailable(f"cannot reach the vidsense server at {url}: {e}") from e
        if response.status_code >= 400:
            try:
                body = response.json()
                code, message = str(body["code"]), str(body["message"])
            except (ValueError, KeyError, TypeError):
                code, message = "http_error", response.text[:500] or response.reason_phrase
            raise api_error(response.status_code, code, message)
        return response

    def json(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        return model.model_validate(self.request(method, path, **kwargs).json())

    def call(self, method: str, /, **kw: Any) -> Any:
        return getattr(self, "_" + method)(**kw)

    # one method per API call ----------------------------------------------------------------

    def _health(self) -> Health:
        return self.json(Health, "GET", self.server + "/health")

    def _create_index(
        self,
        name: str,
        options: list[str] | None,
        addons: list[str] | None,
        engines: list[dict[str, Any]] | None,
        models: list[dict[str, Any]] | None,
    ) -> Index:
        body: dict[str, Any] = {"index_name": name}
        if options is not None:
            engines = [{"engine_name": "vidsense", "engine_options": options}]
        if engines is not None:
            body["engines"] = engines
        if models is not None:
            body["models"] = models
        if addons is not None:
            body["addons"] = addons
        return self.json(Index, "POST", "/indexes", json=body)

    def _list_indexes(self, page: int, page_limit: int) -> Listing[Index]:
        return self.json(
            Listing[Index], "GET", "/indexes", params={"page": page, "page_limit": page_limit}
        )

    def _get_index(self, index_id: str) -> Index:
        return self.json(Index, "GET", f"/indexes/{index_id}")

    def _rename_index(self, index_id: str, name: str) -> Index:
        return self.json(Index, "PUT", f"/indexes/{index_id}", json={"index_name": name})

    def _delete_index(self, index_id: str) -> None:
        self.request("DELETE", f"/indexes/{index_id}")

    def _list_videos(self, index_id: str, page: int, page_limit: int) -> Listing[Video]:
        return self.json(
            Listing[Video],
            "GET",
            f"/indexes/{index_id}/videos",
            params={"page": page, "page_limit": page_limit},
        )

    def _get_video(self, index_id: str, video_id: str) -> Video:
        return self.json(Video, "GET", f"/indexes/{index_id}/videos/{video_id}")

    def _delete_video(self, index_id: str, video_id: str) -> None:
        self.request("DELETE", f"/indexes/{index_id}/videos/{video_id}")

    def _evidence(self, index_id: str, video_id: str, what: str) -> list[dict[str, Any]]:
        data = self.request("GET", f"/indexes/{index_id}/videos/{video_id}/{what}").json()
        rows: list[dict[str, Any]] = data["data"]
        return rows

    def _thumbnail(self, index_id: str, video_id: str, time: float | None) -> bytes:
        params = {"time": time} if time is not None else None
        return self.request(
            "GET", f"/indexes/{index_id}/videos/{video_id}/thumbnail.jpg", params=params
        ).content

    def _create_task_file(
        self,
        index_id: str,
        path: Path,
        language: str | None,
        user_metadata: Mapping[str, Any] | None,
    ) -> TaskCreated:
        data: dict[str, str] = {"index_id": index_id}
        if language:
            data["language"] = language
        if user_metadata is not None:
            import json

            data["user_metadata"] = json.dumps(dict(user_metadata))
        with path.open("rb") as f:
            return self.json(
                TaskCreated,
                "POST",
                "/tasks",
                data=data,
                files={"video_file": (path.name, f, "application/octet-stream")},
                timeout=httpx.Timeout(None, connect=10.0),
            )

    def _create_task_url(
        self, index_id: str, url: str, language: str | None, external: bool
    ) -> TaskCreated:
        if external:
            body = {"index_id": index_id, "url": url, "language": language}
            return self.json(TaskCreated, "POST", "/tasks/external-provider", json=body)
        body = {"index_id": index_id, "video_url": url, "language": language}
        return self.json(TaskCreated, "POST", "/tasks", json=body)

    def _get_task(self, task_id: str) -> Task:
        return self.json(Task, "GET", f"/tasks/{task_id}")

    def _list_tasks(
        self, index_id: str | None, status: str | None, page: int, page_limit: int
    ) -> Listing[Task]:
        params: dict[str, Any] = {"page": page, "page_limit": page_limit}
        if index_id:
            params["index_id"] = index_id
        if status:
            params["status"] = status
        return self.json(Listing[Task], "GET", "/tasks", params=params)

    def _search(
        self, fields: dict[str, Any], image: tuple[str, bytes] | None, image_url: str | None
    ) -> SearchPage:
        if image is None:
            body = dict(fields)
            if image_url is not None:
                body.update(query_media_type="image", query_media_url=image_url)
            return self.json(SearchPage, "POST", "/search", json=body)
        form: dict[str, Any] = {"query_media_type": "image"}
        for key, value in fields.items():
            if isinstance(value, dict):
                form[key] = json.dumps(value)
            elif isinstance(value, list):
                form[key] = [str(v) for v in value]
            else:
                form[key] = str(value)
        if image_url is not None:
            form["query_media_url"] = image_url
        name, data = image
        return self.json(
            SearchPage,
            "POST",
            "/search",
            data=form,
            files={"query_media_file": (name, data, "application/octet-stream")},
        )

    def _search_page(self, page_token: str) -> SearchPage:
        return self.json(SearchPage, "GET", f"/search/{page_token}")

    def _classify(self, fields: dict[str, Any], bulk: bool) -> ClassifyPage:
        path = "/classify/bulk" if bulk else "/classify"
        return self.json(ClassifyPage, "POST", path, json=fields)

    def _write(self, route: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", f"/{route}", json=body).json()
        return result


# -- in-process --------------------------------------------------------------------------------


class _Local:
    """Runs the library in this process on the embedded store."""

    def __init__(self, settings: Settings) -> None:
        from vidsense.library import Library

        self.library = Library.open(settings)
        self.executor: Any = None
        self._search_service: Any = None
        self._writing_service: Any = None

    def start_workers(self, workers: int | None = None) -> None:
        if self.executor is None:
            from vidsense.jobs import make_executor

            self.executor = make_executor(self.library, workers=workers)
            self.executor.start()

    def close(self) -> None:
        if self.executor is not None:
            self.executor.stop()
            self.executor = None
        self.library.close()

    def call(self, method: str, /, **kw: Any) -> Any:
        return getattr(self, "_" + method)(**kw)

    def _health(self) -> Health:
        from vidsense import __version__

        workers = self.executor.workers if self.executor is not None else 0
        return Health(status="ok", version=__version__, workers=workers)

    def _create_index(
        self,
        name: str,
        options: list[str] | None,
        addons: list[str] | None,
        engines: list[dict[str, Any]] | None,
        models: list[dict[str, Any]] | None,
    ) -> Index:
        from vidsense.server.protocol import index_out

        return index_out(
            self.library.create_index(
                name, options=options, engines=engines, models=models, addons=addons
            )
        )

    def _list_indexes(self, page: int, page_limit: int) -> Listing[Index]:
        from vidsense.server.protocol import index_out, listing

        found = self.library.list_indexes(page=page, page_limit=page_limit)
        return listing([index_out(i) for i in found.items], found)

    def _get_index(self, index_id: str) -> Index:
        from vidsense.server.protocol import index_out

        return index_out(self.library.get_index(index_id))

    def _rename_index(self, index_id: str, name: str) -> Index:
        from vidsense.server.protocol import index_out

        return index_out(self.library.rename_index(index_id, name))

    def _delete_index(self, index_id: str) -> None:
        self.library.delete_index(index_id)

    def _list_videos(self, index_id: str, page: int, page_limit: int) -> Listing[Video]:
        from vidsense.server.protocol import listing, video_out

        found = self.library.list_videos(index_id, page=page, page_limit=page_limit)
        return listing([video_out(v) for v in found.items], found)

    def _get_video(self, index_id: str, video_id: str) -> Video:
        from vidsense.server.protocol import video_out

        return video_out(self.library.get_video(index_id, video_id))

    def _delete_video(self, index_id: str, video_id: str) -> None:
        self.library.delete_video(index_id, video_id)

    def _evidence(self, index_id: str, video_id: str, what: str) -> list[dict[str, Any]]:
        from vidsense.server import protocol

        lib = self.library
        result: BaseModel
        if what == "transcription":
            result = protocol.transcript_out(lib.transcription(index_id, video_id))
        elif what == "text-in-video":
            result = protocol.text_out(lib.text_in_video(index_id, video_id))
        else:
            result = protocol.shots_out(lib.shots(index_id, video_id))
        rows: list[dict[str, Any]] = result.model_dump()["data"]
        return rows

    def _thumbnail(self, index_id: str, video_id: str, time: float | None) -> bytes:
        return self.library.thumbnail(index_id, video_id, time).read_bytes()

    def _create_task_file(
        self,
        index_id: str,
        path: Path,
        language: str | None,
        user_metadata: Mapping[str, Any] | None,
    ) -> TaskCreated:
        from vidsense.server.protocol import task_created

        sub = self.library.submit_file(
            index_id, path, language=language, user_metadata=user_metadata
        )
        self._wake()
        return task_created(sub.task, sub.duplicate)

    def _create_task_url(
        self, index_id: str, url: str, language: str | None, external: bool
    ) -> TaskCreated:
        from vidsense.server.protocol import task_created

        sub = self.library.submit_url(index_id, url, language=language, external=external)
        self._wake()
        return task_created(sub.task, sub.duplicate)

    def _wake(self) -> None:
        if self.executor is not None:
            self.executor.submit()

    def _get_task(self, task_id: str) -> Task:
        from vidsense.server.protocol import task_out

        task = self.library.get_task(task_id)
        video = None
        if task.video_id is not None:
            try:
                video = self.library.store.get_video(task.video_id)
            except NotFound:
                video = None
        return task_out(task, video)

    def _list_tasks(
        self, index_id: str | None, status: str | None, page: int, page_limit: int
    ) -> Listing[Task]:
        from vidsense.server.protocol import listing, task_out

        if status is not None and status not in TASK_STATUSES:
            raise InvalidArgument(f"status must be one of {', '.join(TASK_STATUSES)}")
        stored = cast(TaskStatus | None, status)
        found = self.library.list_tasks(
            index_id=index_id, status=stored, page=page, page_limit=page_limit
        )
        return listing([task_out(t) for t in found.items], found)

    def _service(self) -> Any:
        if self._search_service is None:
            from vidsense.search import SearchService

            self._search_service = SearchService(self.library)
        return self._search_service

    def _search(
        self, fields: dict[str, Any], image: tuple[str, bytes] | None, image_url: str | None
    ) -> SearchPage:
        from dataclasses import replace

        from vidsense.search import ImageQuery
        from vidsense.search.images import decode_image
        from vidsense.server.routers.search import page_body, search_request

        request = search_request(fields, _many(fields))
        images: list[ImageQuery] = []
        if image is not None:
            images.append(ImageQuery(decode_image(image[1])))
        if image_url is not None:
            from vidsense.media.source import fetch_url

            path = fetch_url(image_url, self.library.settings)
            images.append(ImageQuery(decode_image(path.read_bytes())))
        page = self._service().search(replace(request, images=tuple(images)))
        return SearchPage.model_validate(page_body(page, LOCAL_BASE))

    def _search_page(self, page_token: str) -> SearchPage:
        from vidsense.server.routers.search import page_body

        page = self._service().page(page_token)
        return SearchPage.model_validate(page_body(page, LOCAL_BASE))

    def _classify(self, fields: dict[str, Any], bulk: bool) -> ClassifyPage:
        from vidsense.server.routers.search import classify_body

        body = classify_body(self.library, self._service(), fields, _many(fields), bulk, LOCAL_BASE)
        return ClassifyPage.model_validate(body)

    def _write(self, route: str, body: dict[str, Any]) -> dict[str, Any]:
        if self._writing_service is None:
            from vidsense.language.service import WritingService

            self._writing_service = WritingService(self.library)
        svc = self._writing_service
        video_id = body["video_id"]
        cites = bool(body.get("include_citations"))
        if route == "gist":
            result: dict[str, Any] = svc.gist(video_id, body["types"], citations=cites)
        elif route == "summarize":
            result = svc.summarize(video_id, body["type"], body.get("prompt"), citations=cites)
        elif route == "generate":
            result = svc.generate(video_id, body["prompt"], citations=cites)
        else:
            result = svc.analyze(
                video_id,
                body["prompt"],
                body.get("response_format"),
                start_time=body.get("start_time"),
                end_time=body.get("end_time"),
                citations=cites,
            )
        return result


def _many(fields: Mapping[str, Any]) -> dict[str, list[Any]]:
    """A body's fields as the routers see repeated values: every value a list."""
    return {k: v if isinstance(v, list) else [v] for k, v in fields.items()}


# -- resources ---------------------------------------------------------------------------------


class Indexes:
    """``client.indexes``: libraries of videos."""

    def __init__(self, backend: _Backend) -> None:
        self._b = backend

    def create(
        self,
        name: str,
        *,
        options: builtins.list[str] | None = None,
        addons: builtins.list[str] | None = None,
        engines: builtins.list[dict[str, Any]] | None = None,
        models: builtins.list[dict[str, Any]] | None = None,
    ) -> Index:
        """Create an index; ``options`` (visual, conversation, text_in_video, logo, audio),
        or Twelve Labs ``engines``/``models``; none means every analyzer."""
        result: Index = self._b.call(
            "create_index",
            name=name,
            options=options,
            addons=addons,
            engines=engines,
            models=models,
        )
        return result

    def list(self, *, page: int = 1, page_limit: int = 10) -> Listing[Index]:
        """One page of indexes, newest first."""
        result: Listing[Index] = self._b.call("list_indexes", page=page, page_limit=page_limit)
        return result

    def all(self) -> builtins.list[Index]:
        """Every index, newest first."""
        found: builtins.list[Index] = []
        page = 1
        while True:
            listing = self.list(page=page, page_limit=50)
            found.extend(listing.data)
            if page >= listing.page_info.total_page:
                return found
            page += 1

    def get(self, index_id: str) -> Index:
        result: Index = self._b.call("get_index", index_id=index_id)
        return result

    def find(self, name_or_id: str) -> Index:
        """The index with this id, or else this name (``NotFound`` ``index_not_found``)."""
        try:
            return self.get(name_or_id)
        except NotFound:
            pass
        for index in self.all():
            if index.index_name == name_or_id:
                return index
        raise NotFound(f"no index named {name_or_id!r}", code="index_not_found")

    def rename(self, index_id: str, name: str) -> Index:
        result: Index = self._b.call("rename_index", index_id=index_id, name=name)
        return result

    def delete(self, index_id: str) -> None:
        """Delete an index with its videos."""
        self._b.call("delete_index", index_id=index_id)


class Videos:
    """``client.videos``: indexed videos and what was found in them."""

    def __init__(self, backend: _Backend) -> None:
        self._b = backend

    def list(self, index_id: str, *, page: int = 1, page_limit: int = 10) -> Listing[Video]:
        result: Listing[Video] = self._b.call(
            "list_videos", index_id=index_id, page=page, page_limit=page_limit
        )
        return result

    def all(self, index_id: str) -> builtins.list[Video]:
        """Every video of an index, newest first."""
        found: builtins.list[Video] = []
        page = 1
        while True:
            listing = self.list(index_id, page=page, page_limit=50)
            found.extend(listing.data)
            if page >= listing.page_info.total_page:
                return found
            page += 1

    def get(self, index_id: str, video_id: str) -> Video:
        result: Video = self._b.call("get_video", index_id=index_id, video_id=video_id)
        return result

    def delete(self, index_id: str, video_id: str) -> None:
        self._b.call("delete_video", index_id=index_id, video_id=video_id)

    def transcription(self, index_id: str, video_id: str) -> builtins.list[TranscriptItem]:
        """Spoken phrases with word times (seconds)."""
        rows = self._b.call("evidence", index_id=index_id, video_id=video_id, what="transcription")
        return [TranscriptItem.model_validate(r) for r in rows]

    def text_in_video(self, index_id: str, video_id: str) -> builtins.list[TextItem]:
        """On-screen text with where (box) and when (seconds) it was seen."""
        rows = self._b.call("evidence", index_id=index_id, video_id=video_id, what="text-in-video")
        return [TextItem.model_validate(r) for r in rows]

    def shots(self, index_id: str, video_id: str) -> builtins.list[ShotItem]:
        """Shot boundaries (seconds)."""
        rows = self._b.call("evidence", index_id=index_id, video_id=video_id, what="shots")
        return [ShotItem.model_validate(r) for r in rows]

    def thumbnail(self, index_id: str, video_id: str, time: float | None = None) -> bytes:
        """JPEG bytes: the video's thumbnail, or its frame at ``time`` seconds."""
        data: bytes = self._b.call("thumbnail", index_id=index_id, video_id=video_id, time=time)
        return data


class Tasks:
    """``client.tasks``: submitting videos and following their indexing."""

    def __init__(self, backend: _Backend, before_wait: Callable[[], None]) -> None:
        self._b = backend
        self._before_wait = before_wait

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
        if file is not None:
            path = Path(file).expanduser()
            if not path.is_file():
                raise NotFound(f"no such file: {path}", code="file_not_found")
            result: TaskCreated = self._b.call(
                "create_task_file",
                index_id=index_id,
                path=path,
                language=language,
                user_metadata=user_metadata,
            )
            return result
        result = self._b.call(
            "create_task_url", index_id=index_id, url=url, language=language, external=False
        )
        return result

    def create_external(
        self, index_id: str, url: str, *, language: str | None = None
    ) -> TaskCreated:
        """Submit a page URL (YouTube, Vimeo, ...); the server fetches its video."""
        result: TaskCreated = self._b.call(
            "create_task_url", index_id=index_id, url=url, language=language, external=True
        )
        return result

    def get(self, task_id: str) -> Task:
        result: Task = self._b.call("get_task", task_id=task_id)
        return result

    def list(
        self,
        *,
        index_id: str | None = None,
        status: str | None = None,
        page: int = 1,
        page_limit: int = 10,
    ) -> Listing[Task]:
        result: Listing[Task] = self._b.call(
            "list_tasks", index_id=index_id, status=status, page=page, page_limit=page_limit
        )
        return result

    def wait(
        self,
        task_id: str,
        *,
        timeout: float | None = None,
        poll: float = 0.5,
        progress: TaskProgress | None = None,
    ) -> Task:
        """Poll until the task is ``ready`` or ``failed`` (``timeout`` seconds, None: no
        limit) and return it; a failed task is returned, not raised."""
        self._before_wait()
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


class Client:
    """The library API. ``base_url`` names a running server (``http://host:port``, with or
    without ``/v1``); None runs in-process on the embedded store that ``settings`` (default:
    from the environment) describes. ``api_key`` is sent as ``x-api-key``; ``timeout`` is
    seconds per HTTP request (uploads have none)."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        settings: Settings | None = None,
        *,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url
        self._local: _Local | None = None
        backend: _Backend
        if base_url:
            backend = _Http(base_url, api_key, timeout)
        else:
            self._local = _Local(settings or Settings())
            backend = self._local
        self._backend = backend
        self.indexes = Indexes(backend)
        self.videos = Videos(backend)
        self.tasks = Tasks(backend, self._before_wait)

    @property
    def in_process(self) -> bool:
        """True when the library runs in this process."""
        return self._local is not None

    def health(self) -> Health:
        result: Health = self._backend.call("health")
        return result

    # -- search and classify -----------------------------------------------------------------

    def search(
        self,
        index_id: str,
        query: str = "",
        *,
        options: Sequence[str] | None = None,
        conversation_option: str = "semantic",
        operator: str = "or",
        group_by: str = "clip",
        threshold: str = "low",
        filter: Mapping[str, Any] | None = None,
        page_limit: int = 10,
        sort_option: str = "score",
        image: str | Path | bytes | None = None,
        image_url: str | None = None,
    ) -> SearchPage:
        """Search an index for moments that match ``query`` (and/or a query image: a file
        path or bytes in ``image``, or ``image_url``); the first page, best first.

        ``options``: visual, conversation, text_in_video, logo, audio (default: visual and
        conversation); ``conversation_option``: semantic or exact_match; ``operator``: or/and
        across options; ``group_by``: clip or video; ``threshold``: high, medium, low or none;
        ``filter``: e.g. ``{"id": [...], "duration": {"gte": 10}, "filename": "talk.mp4"}``;
        ``sort_option``: score or clip_count (with ``group_by="video"``). More pages:
        :meth:`search_next` with ``page.page_info.next_page_token``."""
        fields: dict[str, Any] = {
            "index_id": index_id,
            "query_text": query,
            "conversation_option": conversation_option,
            "operator": operator,
            "group_by": group_by,
            "threshold": threshold,
            "page_limit": page_limit,
            "sort_option": sort_option,
        }
        if options is not None:
            fields["search_options"] = [str(o) for o in options]
        if filter is not None:
            fields["filter"] = dict(filter)
        upload: tuple[str, bytes] | None = None
        if isinstance(image, bytes):
            upload = ("query.jpg", image)
        elif image is not None:
            path = Path(image).expanduser()
            if not path.is_file():
                raise NotFound(f"no such file: {path}", code="file_not_found")
            upload = (path.name, path.read_bytes())
        result: SearchPage = self._backend.call(
            "search", fields=fields, image=upload, image_url=image_url
        )
        return result

    def search_next(self, page_token: str) -> SearchPage:
        """The search page a ``next_page_token`` (or ``prev_page_token``) names
        (``NotFound`` ``page_token_not_found``; gone after an hour: ``page_token_expired``)."""
        result: SearchPage = self._backend.call("search_page", page_token=page_token)
        return result

    def classify(
        self,
        classes: Classes,
        *,
        video_ids: Sequence[str] | None = None,
        index_id: str | None = None,
        options: Sequence[str] | None = None,
        conversation_option: str = "semantic",
        threshold: Mapping[str, float] | None = None,
        include_clips: bool = False,
        show_detailed_score: bool = False,
        page_limit: int = 10,
    ) -> ClassifyPage:
        """Which ``classes`` (name -> prompts) the videos ``video_ids``, or else every video
        of ``index_id``, belong to; videos that match no class are left out.

        ``options`` (default: visual, conversation, text_in_video where the index has them);
        ``threshold``: ``min_video_score``, ``min_clip_score`` (default 30),
        ``min_duration_ratio``; ``include_clips``: the moments that matched each class;
        ``show_detailed_score``: max/avg/normalized scores."""
        fields: dict[str, Any] = {
            "classes": _classes(classes),
            "conversation_option": conversation_option,
            "include_clips": include_clips,
            "show_detailed_score": show_detailed_score,
            "page_limit": page_limit,
        }
        if video_ids:
            fields["video_ids"] = [str(v) for v in video_ids]
        elif index_id:
            fields["index_id"] = index_id
        else:
            raise InvalidArgument("give video_ids or index_id")
        if options is not None:
            fields["options"] = [str(o) for o in options]
        if threshold is not None:
            fields["threshold"] = dict(threshold)
        result: ClassifyPage = self._backend.call(
            "classify", fields=fields, bulk="video_ids" not in fields
        )
        return result

    # -- grounded writing (every time in an answer comes from evidence) ----------------------

    def gist(
        self,
        video_id: str,
        types: Sequence[str] = ("title", "topic", "hashtag"),
        *,
        citations: bool = False,
    ) -> dict[str, Any]:
        """``{id, title, topics, hashtags, usage}`` of an indexed video (``citations``: the
        evidence used, ``[{start, end, type, text}]``)."""
        body = {"video_id": video_id, "types": list(types), "include_citations": citations}
        result: dict[str, Any] = self._backend.call("write", route="gist", body=body)
        return result

    def summarize(
        self,
        video_id: str,
        type: str = "summary",
        *,
        prompt: str | None = None,
        citations: bool = False,
    ) -> dict[str, Any]:
        """``type`` summary (``{summary}``), chapter (``{chapters: [{chapter_number, start,
        end, chapter_title, chapter_summary}]}``) or highlight (``{highlights: [{start, end,
        highlight, highlight_summary}]}``); times in seconds."""
        body = {"video_id": video_id, "type": type, "include_citations": citations}
        if prompt:
            body["prompt"] = prompt
        result: dict[str, Any] = self._backend.call("write", route="summarize", body=body)
        return result

    def ask(self, video_id: str, prompt: str, *, citations: bool = False) -> dict[str, Any]:
        """An open question about a video: ``{id, data, usage}`` (``/generate``). Something
        the video never says or shows is answered as not in the video."""
        body = {"video_id": video_id, "prompt": prompt, "include_citations": citations}
        result: dict[str, Any] = self._backend.call("write", route="generate", body=body)
        return result

    def analyze(
        self,
        video_id: str,
        prompt: str,
        *,
        schema: Mapping[str, Any] | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
        citations: bool = False,
    ) -> dict[str, Any]:
        """``/analyze``: ``{id, data, finish_reason, usage}``; with a JSON ``schema``, ``data``
        is JSON text that follows it (time fields filled from evidence); ``start_time`` /
        ``end_time`` (seconds) limit the window."""
        body: dict[str, Any] = {"video_id": video_id, "prompt": prompt}
        if schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": dict(schema)}
        if start_time is not None:
            body["start_time"] = start_time
        if end_time is not None:
            body["end_time"] = end_time
        body["include_citations"] = citations
        result: dict[str, Any] = self._backend.call("write", route="analyze", body=body)
        return result

    def start_workers(self, workers: int | None = None) -> None:
        """In-process only: start indexing workers in this process (idempotent)."""
        if self._local is not None:
            self._local.start_workers(workers)

    def _before_wait(self) -> None:
        self.start_workers()

    def close(self) -> None:
        """Stop in-process workers (their tasks are retried later) and close connections."""
        self._backend.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _classes(classes: Classes) -> list[dict[str, Any]]:
    """Classes as the API takes them: ``[{"name": ..., "prompts": [...]}]``."""
    items: list[Any] = list(classes.items()) if isinstance(classes, Mapping) else list(classes)
    found: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, Mapping):
            name, prompts = item.get("name", ""), item.get("prompts", [])
        else:
            name, prompts = item
        if isinstance(prompts, str):
            prompts = [prompts]
        found.append({"name": str(name), "prompts": [str(p) for p in prompts]})
    return found
