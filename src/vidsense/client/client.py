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
    skill = client.skills.upload("media-facts/")                # a folder with a SKILL.md
    run = client.executions.create(["talk.mp4", "page.jpg"], skills=[skill.name])
    print(client.executions.wait(run.id).response)

Both modes return the same typed results (the response models of :mod:`vidsense.api`) and
raise the same exceptions (the :mod:`vidsense.errors` class the server raised, carrying its
``code`` and ``message``): the HTTP transport sends each call to the server, the in-process one
makes the call the server's route makes. In-process, workers start in this process when a task
is waited for (or with :meth:`Client.start_workers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from vidsense.api.embeddings import EmbedRequest
from vidsense.api.indexes import Health
from vidsense.api.search import ClassifyPage, SearchPage
from vidsense.api.wire import validated
from vidsense.client._transport import Transport
from vidsense.client.resources import (
    Classes,
    Executions,
    GeneratedVideos,
    Indexes,
    Renders,
    Search,
    Skills,
    Tasks,
    Videos,
    Writing,
)
from vidsense.config import Settings


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
        transport: Transport
        if base_url:
            from vidsense.client._http import HttpTransport

            transport = HttpTransport(base_url, api_key, timeout)
        else:
            from vidsense.client._local import LocalTransport

            transport = LocalTransport(settings or Settings())
        self._transport = transport
        self.indexes = Indexes(transport)
        self.videos = Videos(transport)
        self.tasks = Tasks(transport)
        self.renders = Renders(transport)
        self.generated = GeneratedVideos(transport)
        self.skills = Skills(transport)
        self.executions = Executions(transport)
        self._search = Search(transport)
        self._writing = Writing(transport)

    @property
    def in_process(self) -> bool:
        """True when the library runs in this process."""
        return self._transport.in_process

    def health(self) -> Health:
        return self._transport.health()

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

        ``options``: visual, conversation (or transcription), text_in_video, logo, audio
        (default: visual and conversation); ``conversation_option``: semantic or exact_match;
        ``operator``: or/and across options; ``group_by``: clip or video; ``threshold``: high,
        medium, low or none; ``filter``: e.g. ``{"id": [...], "duration": {"gte": 10},
        "filename": "talk.mp4"}``; ``sort_option``: score or clip_count (with
        ``group_by="video"``). More pages: :meth:`search_next` with
        ``page.page_info.next_page_token``."""
        return self._search.query(
            index_id,
            query,
            options=options,
            conversation_option=conversation_option,
            operator=operator,
            group_by=group_by,
            threshold=threshold,
            filter=filter,
            page_limit=page_limit,
            sort_option=sort_option,
            image=image,
            image_url=image_url,
        )

    def search_next(self, page_token: str) -> SearchPage:
        """The search page a ``next_page_token`` (or ``prev_page_token``) names
        (``NotFound`` ``page_token_not_found``; after an hour ``Gone``
        ``page_token_expired``)."""
        return self._search.next(page_token)

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
        return self._search.classify(
            classes,
            video_ids=video_ids,
            index_id=index_id,
            options=options,
            conversation_option=conversation_option,
            threshold=threshold,
            include_clips=include_clips,
            show_detailed_score=show_detailed_score,
            page_limit=page_limit,
        )

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
        return _plain(self._writing.gist(video_id, types, citations=citations))

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
        return _plain(self._writing.summarize(video_id, type, prompt=prompt, citations=citations))

    def ask(self, video_id: str, prompt: str, *, citations: bool = False) -> dict[str, Any]:
        """An open question about a video: ``{id, data, usage}`` (``/generate``). Something
        the video never says or shows is answered as not in the video."""
        return _plain(self._writing.ask(video_id, prompt, citations=citations))

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
        result = self._writing.analyze(
            video_id,
            prompt,
            schema=schema,
            start_time=start_time,
            end_time=end_time,
            citations=citations,
        )
        return _plain(result)

    # -- embeddings (the vectors analysis keeps, for a vector store of the caller's) -------------

    def embed_text(self, text: str) -> dict[str, Any]:
        """``{data: [{embedding, embedding_model}]}``: the text embedder's query vector, to
        compare with videos' ``transcription`` moment vectors (:meth:`embed_video`)."""
        body = {"input_type": "text", "model_name": "vidsense", "text": {"input_text": text}}
        return _plain(
            self._transport.create_embeddings(validated(EmbedRequest, body)), drop_none=True
        )

    def embed_video(
        self,
        video_id: str,
        *,
        moment: float | None = None,
        options: Sequence[str] = ("visual", "transcription"),
        scopes: Sequence[str] = ("clip", "asset"),
    ) -> dict[str, Any]:
        """An indexed video's moment vectors (``/embed-v2``): ``{data: [{embedding,
        embedding_option, embedding_scope, start_sec, end_sec, embedding_model}], metadata}``;
        moments of ``moment`` seconds, or its shots (joined up to 4 s at least) when None."""
        segmentation = (
            {"strategy": "fixed", "fixed": {"duration_sec": moment}}
            if moment is not None
            else {"strategy": "dynamic", "dynamic": {"min_duration_sec": 4}}
        )
        video = {"media_source": {"asset_id": video_id}, "segmentation": segmentation,
                 "embedding_option": list(options), "embedding_scope": list(scopes)}  # fmt: skip
        body = {"input_type": "video", "model_name": "vidsense", "video": video}
        return _plain(
            self._transport.create_embeddings(validated(EmbedRequest, body)), drop_none=True
        )

    # -- lifetime --------------------------------------------------------------------------------

    def start_workers(self, workers: int | None = None) -> None:
        """In-process only: start indexing and job workers in this process (idempotent)."""
        self._transport.start_workers(workers)

    def close(self) -> None:
        """Stop in-process workers (their tasks are retried later) and close connections."""
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _plain(answer: Any, *, drop_none: bool = False) -> dict[str, Any]:
    """An answer as the JSON object its route answers: fields it did not set left out (the
    writing routes), or those that are null (``drop_none``: the embedding routes)."""
    found: dict[str, Any] = answer.model_dump(
        mode="json", by_alias=True, exclude_unset=not drop_none, exclude_none=drop_none
    )
    return found
