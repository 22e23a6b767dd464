"""The one interface both transports implement: a method per API operation, taking the
request models of :mod:`vidsense.api` and answering with its response models.

:class:`~vidsense.client._http.HttpTransport` sends each call to a server;
:class:`~vidsense.client._local.LocalTransport` makes the same call of :mod:`vidsense.api` in
this process. Either way the answer is the same model and an error is the same
:mod:`vidsense.errors` class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from vidsense.api.embeddings import Embeddings, EmbedRequest
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


class Transport(ABC):
    """How the client reaches the library API (over HTTP or in-process)."""

    in_process: bool = False

    @abstractmethod
    def health(self) -> Health: ...

    # -- indexes ---------------------------------------------------------------------------------

    @abstractmethod
    def create_index(self, body: IndexCreate) -> Index: ...

    @abstractmethod
    def list_indexes(self, query: IndexQuery) -> Listing[Index]: ...

    @abstractmethod
    def get_index(self, index_id: str) -> Index: ...

    @abstractmethod
    def rename_index(self, index_id: str, body: IndexUpdate) -> Index: ...

    @abstractmethod
    def delete_index(self, index_id: str) -> None: ...

    # -- videos ----------------------------------------------------------------------------------

    @abstractmethod
    def list_videos(self, index_id: str, query: VideoQuery) -> Listing[Video]: ...

    @abstractmethod
    def get_video(self, index_id: str, video_id: str) -> Video: ...

    @abstractmethod
    def delete_video(self, index_id: str, video_id: str) -> None: ...

    @abstractmethod
    def transcription(self, index_id: str, video_id: str) -> Evidence[TranscriptItem]: ...

    @abstractmethod
    def text_in_video(self, index_id: str, video_id: str) -> Evidence[TextItem]: ...

    @abstractmethod
    def shots(self, index_id: str, video_id: str) -> Evidence[ShotItem]: ...

    @abstractmethod
    def thumbnail(self, index_id: str, video_id: str, time: float | None) -> bytes:
        """JPEG bytes of the thumbnail, or of the frame at ``time`` seconds."""

    # -- tasks -----------------------------------------------------------------------------------

    @abstractmethod
    def create_task(self, fields: dict[str, str], file: Path | None) -> TaskCreated:
        """``POST /tasks`` with these form ``fields`` and, when given, ``file`` uploaded as
        ``video_file``."""

    @abstractmethod
    def create_external_task(self, body: ExternalTaskCreate) -> TaskCreated: ...

    @abstractmethod
    def get_task(self, task_id: str) -> Task: ...

    @abstractmethod
    def list_tasks(self, query: TaskQuery) -> Listing[Task]: ...

    # -- search and classify ---------------------------------------------------------------------

    @abstractmethod
    def search(self, fields: dict[str, Any], image: Upload | None) -> SearchPage:
        """``POST /search`` with these body fields and, when given, ``image`` uploaded as
        ``query_media_file``."""

    @abstractmethod
    def search_page(self, page_token: str) -> SearchPage: ...

    @abstractmethod
    def classify(self, fields: dict[str, Any], bulk: bool) -> ClassifyPage: ...

    # -- writing ---------------------------------------------------------------------------------

    @abstractmethod
    def gist(self, body: GistRequest) -> Gist: ...

    @abstractmethod
    def summarize(self, body: SummarizeRequest) -> Summary: ...

    @abstractmethod
    def generate(self, body: GenerateRequest) -> Generated: ...

    @abstractmethod
    def analyze(self, body: AnalyzeRequest) -> Analysis: ...

    @abstractmethod
    def create_embeddings(self, body: EmbedRequest) -> Embeddings: ...

    # -- renders, edits and generated videos ------------------------------------------------------

    @abstractmethod
    def create_render(self, spec: dict[str, Any]) -> Render: ...

    @abstractmethod
    def create_edit(self, name: str, params: dict[str, Any]) -> Render: ...

    @abstractmethod
    def get_render(self, render_id: str) -> Render: ...

    @abstractmethod
    def cancel_render(self, render_id: str) -> Render: ...

    @abstractmethod
    def delete_render(self, render_id: str) -> None: ...

    @abstractmethod
    def download_render(self, render_id: str, out: Path) -> Path: ...

    @abstractmethod
    def create_video(self, fields: dict[str, str], image: Upload | None) -> VideoGeneration: ...

    @abstractmethod
    def get_generated_video(self, video_id: str) -> VideoGeneration: ...

    @abstractmethod
    def download_generated_video(self, video_id: str, variant: str, out: Path) -> Path: ...

    # -- files, skills and executions (VLM Run's) -----------------------------------------------

    @abstractmethod
    def upload_file(self, path: Path, purpose: str) -> FileObject:
        """``POST /files``: ``path`` uploaded for ``purpose`` (its id names it in requests)."""

    @abstractmethod
    def create_skill(self, body: SkillCreateRequest) -> SkillInfo: ...

    @abstractmethod
    def update_skill(self, skill_id: str, body: SkillUpdateRequest) -> SkillInfo: ...

    @abstractmethod
    def get_skill(self, skill_id: str, version: str | None) -> SkillInfo: ...

    @abstractmethod
    def lookup_skill(self, body: SkillLookupRequest) -> SkillInfo: ...

    @abstractmethod
    def list_skills(self, query: SkillQuery) -> list[SkillInfo]: ...

    @abstractmethod
    def skill_bundle(self, skill_id: str, version: str) -> bytes:
        """The zip of one version of a skill."""

    @abstractmethod
    def execute(self, body: ExecuteRequest) -> ExecutionResponse: ...

    @abstractmethod
    def get_execution(self, execution_id: str) -> ExecutionResponse: ...

    @abstractmethod
    def list_executions(self, query: ExecutionQuery) -> list[ExecutionResponse]: ...

    # -- lifetime --------------------------------------------------------------------------------

    def start_workers(self, workers: int | None = None) -> None:
        """Start indexing and job workers in this process (in-process only; a server has its
        own)."""
        return None

    @abstractmethod
    def close(self) -> None: ...
