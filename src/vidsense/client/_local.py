"""The in-process transport: the library runs in this process (on the store the settings name)
and every call is the :mod:`vidsense.api` function the server's route calls, so the answers
are the same models and the errors the same classes. Thumbnail links are paths under
:data:`LOCAL_BASE`, as a server would serve them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, TypeVar

from vidsense.api import (
    embeddings,
    executions,
    generation,
    indexes,
    openai,
    renders,
    search,
    skills,
    writing,
)
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
    TaskForm,
    TaskQuery,
    TextItem,
    TranscriptItem,
    Video,
    VideoQuery,
)
from vidsense.api.openai import FileObject
from vidsense.api.renders import Render
from vidsense.api.search import ClassifyPage, SearchPage
from vidsense.api.services import Services
from vidsense.api.skills import (
    SkillCreateRequest,
    SkillInfo,
    SkillLookupRequest,
    SkillQuery,
    SkillUpdateRequest,
)
from vidsense.api.streams import Stream
from vidsense.api.wire import Form, Listing, Upload
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
from vidsense.config import Settings
from vidsense.errors import InvalidArgument

LOCAL_BASE = "/v1"
"""In-process, thumbnail links are paths under this prefix (as a server would serve them)."""


class LocalTransport(Transport):
    """Runs the library in this process; workers start with :meth:`start_workers`."""

    in_process = True

    def __init__(self, settings: Settings) -> None:
        if "worker_processes" not in settings.model_fields_set:
            # A child process started by "spawn" imports the user's script again, and one
            # without an ``if __name__ == "__main__":`` guard would run again in it (its calls
            # too): in-process, indexing workers analyse in their own threads unless asked.
            settings = settings.model_copy(update={"worker_processes": False})
        self.services = Services.open(settings, local=True)

    def start_workers(self, workers: int | None = None) -> None:
        self.services.start_workers(workers)

    def close(self) -> None:
        self.services.close()

    def health(self) -> Health:
        return indexes.health(self.services)

    # -- indexes ---------------------------------------------------------------------------------

    def create_index(self, body: IndexCreate) -> Index:
        return indexes.create_index(self.services, body)

    def list_indexes(self, query: IndexQuery) -> Listing[Index]:
        return indexes.list_indexes(self.services, query)

    def get_index(self, index_id: str) -> Index:
        return indexes.get_index(self.services, index_id)

    def rename_index(self, index_id: str, body: IndexUpdate) -> Index:
        return indexes.rename_index(self.services, index_id, body)

    def delete_index(self, index_id: str) -> None:
        indexes.delete_index(self.services, index_id)

    # -- videos ----------------------------------------------------------------------------------

    def list_videos(self, index_id: str, query: VideoQuery) -> Listing[Video]:
        return indexes.list_videos(self.services, index_id, query)

    def get_video(self, index_id: str, video_id: str) -> Video:
        return indexes.get_video(self.services, index_id, video_id)

    def delete_video(self, index_id: str, video_id: str) -> None:
        indexes.delete_video(self.services, index_id, video_id)

    def transcription(self, index_id: str, video_id: str) -> Evidence[TranscriptItem]:
        return indexes.transcription(self.services, index_id, video_id)

    def text_in_video(self, index_id: str, video_id: str) -> Evidence[TextItem]:
        return indexes.text_in_video(self.services, index_id, video_id)

    def shots(self, index_id: str, video_id: str) -> Evidence[ShotItem]:
        return indexes.shots(self.services, index_id, video_id)

    def thumbnail(self, index_id: str, video_id: str, time: float | None) -> bytes:
        return indexes.thumbnail_file(self.services, index_id, video_id, time).read_bytes()

    # -- tasks -----------------------------------------------------------------------------------

    def create_task(self, fields: dict[str, str], file: Path | None) -> TaskCreated:
        if file is not None:
            return indexes.create_task_from_file(self.services, fields, file)
        return indexes.create_task(self.services, TaskForm(fields))

    def create_external_task(self, body: ExternalTaskCreate) -> TaskCreated:
        return indexes.create_external_task(self.services, body)

    def get_task(self, task_id: str) -> Task:
        return indexes.get_task(self.services, task_id)

    def list_tasks(self, query: TaskQuery) -> Listing[Task]:
        return indexes.list_tasks(self.services, query)

    # -- search and classify ---------------------------------------------------------------------

    def search(self, fields: dict[str, Any], image: Upload | None) -> SearchPage:
        form = Form.of(fields)
        if image is not None:
            form.fields["query_media_file"] = image
            form.many["query_media_file"] = [image]
        return search.search(self.services, form, LOCAL_BASE)

    def search_page(self, page_token: str) -> SearchPage:
        return search.next_page(self.services, page_token, LOCAL_BASE)

    def classify(self, fields: dict[str, Any], bulk: bool) -> ClassifyPage:
        return search.classify(self.services, Form.of(fields), bulk, LOCAL_BASE)

    # -- writing ---------------------------------------------------------------------------------

    def gist(self, body: GistRequest) -> Gist:
        return writing.gist(self.services, body)

    def summarize(self, body: SummarizeRequest) -> Summary:
        return writing.summarize(self.services, body)

    def generate(self, body: GenerateRequest) -> Generated:
        return _answer(writing.generate(self.services, body))

    def analyze(self, body: AnalyzeRequest) -> Analysis:
        return _answer(writing.analyze(self.services, body))

    def create_embeddings(self, body: EmbedRequest) -> Embeddings:
        return embeddings.create_embeddings(self.services, body)

    # -- renders, edits and generated videos ------------------------------------------------------

    def create_render(self, spec: dict[str, Any]) -> Render:
        return renders.create_render(self.services, spec)

    def create_edit(self, name: str, params: dict[str, Any]) -> Render:
        return renders.create_edit(self.services, name, params)

    def get_render(self, render_id: str) -> Render:
        return renders.get_render(self.services, render_id)

    def cancel_render(self, render_id: str) -> Render:
        return renders.cancel_render(self.services, render_id)

    def delete_render(self, render_id: str) -> None:
        renders.delete_render(self.services, render_id)

    def download_render(self, render_id: str, out: Path) -> Path:
        return _copy(renders.render_content(self.services, render_id).path, out)

    def create_video(self, fields: dict[str, str], image: Upload | None) -> VideoGeneration:
        form = Form.of(fields)
        if image is not None:
            form.fields["input_reference"] = image
        return generation.create_video(self.services, form)

    def get_generated_video(self, video_id: str) -> VideoGeneration:
        return generation.get_video(self.services, video_id)

    def download_generated_video(self, video_id: str, variant: str, out: Path) -> Path:
        return _copy(generation.video_content(self.services, video_id, variant).path, out)

    # -- files, skills and executions ------------------------------------------------------------

    def upload_file(self, path: Path, purpose: str) -> FileObject:
        with path.open("rb") as f:
            return openai.create_file(self.services, f, path.name, {"purpose": purpose})

    def create_skill(self, body: SkillCreateRequest) -> SkillInfo:
        return skills.create(self.services, body)

    def update_skill(self, skill_id: str, body: SkillUpdateRequest) -> SkillInfo:
        return skills.update(self.services, skill_id, body)

    def get_skill(self, skill_id: str, version: str | None) -> SkillInfo:
        return skills.get(self.services, skill_id, version)

    def lookup_skill(self, body: SkillLookupRequest) -> SkillInfo:
        return skills.lookup(self.services, body)

    def list_skills(self, query: SkillQuery) -> list[SkillInfo]:
        return skills.list_all(self.services, query)

    def skill_bundle(self, skill_id: str, version: str) -> bytes:
        return skills.bundle(self.services, skill_id, version)[0]

    def execute(self, body: ExecuteRequest) -> ExecutionResponse:
        return executions.execute(self.services, body, "")

    def get_execution(self, execution_id: str) -> ExecutionResponse:
        return executions.get(self.services, execution_id, "")

    def list_executions(self, query: ExecutionQuery) -> list[ExecutionResponse]:
        return executions.list_all(self.services, query, "")


def _copy(source: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, out)
    return out


A = TypeVar("A")


def _answer(result: A | Stream) -> A:
    if isinstance(result, Stream):
        raise InvalidArgument("the client does not stream; leave stream unset")
    return result
