"""The in-process transport: the library runs in this process (on the store the settings name)
and every call is the :mod:`vidsense.api` function the server's route calls, so the answers
are the same models and the errors the same classes. Thumbnail links are paths under
:data:`LOCAL_BASE`, as a server would serve them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from vidsense.api import indexes, search, writing
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
from vidsense.api.search import ClassifyPage, SearchPage
from vidsense.api.services import Services
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


A = TypeVar("A")


def _answer(result: A | Stream) -> A:
    if isinstance(result, Stream):
        raise InvalidArgument("the client does not stream; leave stream unset")
    return result
