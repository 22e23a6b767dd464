"""The transport to a running server, over httpx. An error answer (either envelope) raises the
:mod:`vidsense.errors` class the server raised (:func:`vidsense.api.envelopes.read_error`); a
server that cannot be reached raises ``ServerUnavailable``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from vidsense.api.embeddings import Embeddings, EmbedRequest
from vidsense.api.envelopes import read_error
from vidsense.api.executions import ExecuteRequest, ExecutionQuery, ExecutionResponse
from vidsense.api.generation import VideoGeneration
from vidsense.api.indexes import (
    Evidence,
    ExternalTaskCreate,
    Health,
    Index,
    IndexCreate,
    IndexQuery,
    IndexUpdate,
    ShotItem,
    Task,
    TaskCreated,
    TaskQuery,
    TextItem,
    TranscriptItem,
    Video,
    VideoQuery,
)
from vidsense.api.openai import FileObject
from vidsense.api.renders import Render
from vidsense.api.search import ClassifyPage, SearchPage
from vidsense.api.skills import (
    SkillCreateRequest,
    SkillInfo,
    SkillLookupRequest,
    SkillQuery,
    SkillUpdateRequest,
)
from vidsense.api.wire import Listing, Upload
from vidsense.api.writing import (
    Analysis,
    AnalyzeRequest,
    Generated,
    GenerateRequest,
    Gist,
    GistRequest,
    SummarizeRequest,
    Summary,
)
from vidsense.client._transport import Transport
from vidsense.errors import ServerUnavailable

M = TypeVar("M", bound=BaseModel)
UPLOAD = httpx.Timeout(None, connect=10.0)
"""Uploads have no time limit."""
VERSIONS = ("/v1", "/v1.2", "/v1.3")


def _body(model: BaseModel) -> dict[str, Any]:
    """A request model as JSON fields (what was set, by its wire names)."""
    found: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return found


def _query(model: BaseModel) -> dict[str, Any]:
    found: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return found


def _form_value(value: Any) -> Any:
    """A body field as a multipart form carries it: objects as JSON text, lists repeated."""
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value)


class HttpTransport(Transport):
    """Talks to a running server at ``base_url`` (``http://host:port``, with or without a
    ``/v1``-style prefix); ``api_key`` goes in ``x-api-key``; ``timeout`` seconds per request
    (uploads have none)."""

    def __init__(self, base_url: str, api_key: str | None, timeout: float) -> None:
        root = base_url.rstrip("/")
        if not root.endswith(VERSIONS):
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
            except ValueError:
                body = None
            raise read_error(response.status_code, body, response.text or response.reason_phrase)
        return response

    def _json(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        return model.model_validate(self.request(method, path, **kwargs).json())

    def _list(self, model: type[M], method: str, path: str, **kwargs: Any) -> list[M]:
        """A bare JSON array of ``model`` (VLM Run's lists)."""
        return [model.model_validate(x) for x in self.request(method, path, **kwargs).json()]

    def health(self) -> Health:
        return self._json(Health, "GET", self.server + "/health")

    # -- indexes ---------------------------------------------------------------------------------

    def create_index(self, body: IndexCreate) -> Index:
        return self._json(Index, "POST", "/indexes", json=_body(body))

    def list_indexes(self, query: IndexQuery) -> Listing[Index]:
        return self._json(Listing[Index], "GET", "/indexes", params=_query(query))

    def get_index(self, index_id: str) -> Index:
        return self._json(Index, "GET", f"/indexes/{index_id}")

    def rename_index(self, index_id: str, body: IndexUpdate) -> Index:
        return self._json(Index, "PUT", f"/indexes/{index_id}", json=_body(body))

    def delete_index(self, index_id: str) -> None:
        self.request("DELETE", f"/indexes/{index_id}")

    # -- videos ----------------------------------------------------------------------------------

    def list_videos(self, index_id: str, query: VideoQuery) -> Listing[Video]:
        path = f"/indexes/{index_id}/videos"
        return self._json(Listing[Video], "GET", path, params=_query(query))

    def get_video(self, index_id: str, video_id: str) -> Video:
        return self._json(Video, "GET", f"/indexes/{index_id}/videos/{video_id}")

    def delete_video(self, index_id: str, video_id: str) -> None:
        self.request("DELETE", f"/indexes/{index_id}/videos/{video_id}")

    def transcription(self, index_id: str, video_id: str) -> Evidence[TranscriptItem]:
        path = f"/indexes/{index_id}/videos/{video_id}/transcription"
        return self._json(Evidence[TranscriptItem], "GET", path)

    def text_in_video(self, index_id: str, video_id: str) -> Evidence[TextItem]:
        path = f"/indexes/{index_id}/videos/{video_id}/text-in-video"
        return self._json(Evidence[TextItem], "GET", path)

    def shots(self, index_id: str, video_id: str) -> Evidence[ShotItem]:
        return self._json(Evidence[ShotItem], "GET", f"/indexes/{index_id}/videos/{video_id}/shots")

    def thumbnail(self, index_id: str, video_id: str, time: float | None) -> bytes:
        params = {"time": time} if time is not None else None
        path = f"/indexes/{index_id}/videos/{video_id}/thumbnail.jpg"
        return self.request("GET", path, params=params).content

    # -- tasks -----------------------------------------------------------------------------------

    def create_task(self, fields: dict[str, str], file: Path | None) -> TaskCreated:
        if file is None:
            return self._json(TaskCreated, "POST", "/tasks", json=fields)
        with file.open("rb") as f:
            return self._json(
                TaskCreated,
                "POST",
                "/tasks",
                data=fields,
                files={"video_file": (file.name, f, "application/octet-stream")},
                timeout=UPLOAD,
            )

    def create_external_task(self, body: ExternalTaskCreate) -> TaskCreated:
        return self._json(TaskCreated, "POST", "/tasks/external-provider", json=_body(body))

    def get_task(self, task_id: str) -> Task:
        return self._json(Task, "GET", f"/tasks/{task_id}")

    def list_tasks(self, query: TaskQuery) -> Listing[Task]:
        return self._json(Listing[Task], "GET", "/tasks", params=_query(query))

    # -- search and classify ---------------------------------------------------------------------

    def search(self, fields: dict[str, Any], image: Upload | None) -> SearchPage:
        if image is None:
            return self._json(SearchPage, "POST", "/search", json=fields)
        form = {key: _form_value(value) for key, value in fields.items()}
        upload = (image.filename, image.data, "application/octet-stream")
        return self._json(
            SearchPage, "POST", "/search", data=form, files={"query_media_file": upload}
        )

    def search_page(self, page_token: str) -> SearchPage:
        return self._json(SearchPage, "GET", f"/search/{page_token}")

    def classify(self, fields: dict[str, Any], bulk: bool) -> ClassifyPage:
        path = "/classify/bulk" if bulk else "/classify"
        return self._json(ClassifyPage, "POST", path, json=fields)

    # -- writing ---------------------------------------------------------------------------------

    def gist(self, body: GistRequest) -> Gist:
        return self._json(Gist, "POST", "/gist", json=_body(body))

    def summarize(self, body: SummarizeRequest) -> Summary:
        return self._json(Summary, "POST", "/summarize", json=_body(body))

    def generate(self, body: GenerateRequest) -> Generated:
        return self._json(Generated, "POST", "/generate", json=_body(body))

    def analyze(self, body: AnalyzeRequest) -> Analysis:
        return self._json(Analysis, "POST", "/analyze", json=_body(body))

    def create_embeddings(self, body: EmbedRequest) -> Embeddings:
        return self._json(Embeddings, "POST", "/embed-v2", json=_body(body))

    # -- renders, edits and generated videos ------------------------------------------------------

    def create_render(self, spec: dict[str, Any]) -> Render:
        return self._json(Render, "POST", self.server + "/v1/renders", json=spec)

    def create_edit(self, name: str, params: dict[str, Any]) -> Render:
        return self._json(Render, "POST", f"{self.server}/v1/edits/{name}", json=params)

    def get_render(self, render_id: str) -> Render:
        return self._json(Render, "GET", f"{self.server}/v1/renders/{render_id}")

    def cancel_render(self, render_id: str) -> Render:
        return self._json(Render, "POST", f"{self.server}/v1/renders/{render_id}/cancel")

    def delete_render(self, render_id: str) -> None:
        self.request("DELETE", f"{self.server}/v1/renders/{render_id}")

    def _download(self, path: str, out: Path, params: dict[str, str] | None = None) -> Path:
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(f".{out.name}.part")
        try:
            with self.http.stream("GET", self.server + path, params=params) as response:
                if response.status_code >= 400:
                    response.read()
                    try:
                        body = response.json()
                    except ValueError:
                        body = None
                    raise read_error(response.status_code, body, response.text)
                with part.open("wb") as f:
                    for chunk in response.iter_bytes(1 << 20):
                        f.write(chunk)
            part.replace(out)
        except httpx.TransportError as e:
            raise ServerUnavailable(
                f"cannot reach the vidsense server at {self.server}: {e}"
            ) from e
        finally:
            part.unlink(missing_ok=True)
        return out

    def download_render(self, render_id: str, out: Path) -> Path:
        return self._download(f"/v1/renders/{render_id}/content", out)

    def create_video(self, fields: dict[str, str], image: Upload | None) -> VideoGeneration:
        if image is None:
            return self._json(VideoGeneration, "POST", self.server + "/v1/videos", json=fields)
        upload = (image.filename, image.data, "application/octet-stream")
        return self._json(
            VideoGeneration,
            "POST",
            self.server + "/v1/videos",
            data=fields,
            files={"input_reference": upload},
        )

    def get_generated_video(self, video_id: str) -> VideoGeneration:
        return self._json(VideoGeneration, "GET", f"{self.server}/v1/videos/{video_id}")

    def download_generated_video(self, video_id: str, variant: str, out: Path) -> Path:
        return self._download(f"/v1/videos/{video_id}/content", out, {"variant": variant})

    # -- files, skills and executions (VLM Run's, under /v1 only) --------------------------------

    def upload_file(self, path: Path, purpose: str) -> FileObject:
        with path.open("rb") as f:
            upload = {"file": (path.name, f, "application/octet-stream")}
            url = self.server + "/v1/files"
            return self._json(
                FileObject, "POST", url, data={"purpose": purpose}, files=upload, timeout=UPLOAD
            )

    def create_skill(self, body: SkillCreateRequest) -> SkillInfo:
        return self._json(SkillInfo, "POST", self.server + "/v1/skills/create", json=_body(body))

    def update_skill(self, skill_id: str, body: SkillUpdateRequest) -> SkillInfo:
        url = f"{self.server}/v1/skills/{skill_id}/update"
        return self._json(SkillInfo, "POST", url, json=_body(body))

    def get_skill(self, skill_id: str, version: str | None) -> SkillInfo:
        params = {"skill_version": version} if version else None
        return self._json(SkillInfo, "GET", f"{self.server}/v1/skills/{skill_id}", params=params)

    def lookup_skill(self, body: SkillLookupRequest) -> SkillInfo:
        return self._json(SkillInfo, "POST", self.server + "/v1/skills/lookup", json=_body(body))

    def list_skills(self, query: SkillQuery) -> list[SkillInfo]:
        return self._list(SkillInfo, "GET", self.server + "/v1/skills", params=_query(query))

    def skill_bundle(self, skill_id: str, version: str) -> bytes:
        url = f"{self.server}/v1/skills/{skill_id}/versions/{version}/bundle.zip"
        return self.request("GET", url).content

    def execute(self, body: ExecuteRequest) -> ExecutionResponse:
        url = self.server + "/v1/agent/execute"
        return self._json(ExecutionResponse, "POST", url, json=_body(body))

    def get_execution(self, execution_id: str) -> ExecutionResponse:
        url = f"{self.server}/v1/agent/executions/{execution_id}"
        return self._json(ExecutionResponse, "GET", url)

    def list_executions(self, query: ExecutionQuery) -> list[ExecutionResponse]:
        url = self.server + "/v1/agent/executions"
        return self._list(ExecutionResponse, "GET", url, params=_query(query))
