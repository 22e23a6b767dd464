"""Search (``/search``, ``/search/{page_token}``), classification (``/classify``,
``/classify/bulk``, ``/classify/{page_token}``) and the logos an index searches for.

Search bodies come as JSON (v1.2) or as forms (2026: repeatable ``search_options``,
``query_media_file`` uploads, ``filter`` as JSON text); the routers read either into a
:class:`~vidsense.api.wire.Form` and everything else happens here. Every answer is built once,
as the wire models below; thumbnail links start with the ``base`` the caller gives (the
server's URL, or ``/v1`` in-process).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from pydantic import Field

from vidsense.api.services import Services
from vidsense.api.wire import Form, PageInfo, Upload, Wire, flag, json_field
from vidsense.errors import InvalidArgument
from vidsense.options import SEARCH_DEFAULT
from vidsense.search import (
    Clip,
    ImageQuery,
    ListPage,
    ResultPage,
    SearchFilter,
    SearchRequest,
    VideoGroup,
)
from vidsense.search.base import MAX_PAGE_LIMIT
from vidsense.search.images import decode_image
from vidsense.store import LogoRecord

MAX_IMAGE_BYTES = 20 << 20
"""Largest query image or logo image, bytes."""
MAX_QUERY_IMAGES = 10

# -- responses -------------------------------------------------------------------------------------


class SearchHit(Wire):
    """A moment that matches a search: ``start``/``end`` seconds in ``video_id``, ``score``
    0-100 with its ``confidence`` band, ``metadata`` saying what matched."""

    video_id: str
    start: float
    end: float
    score: float
    confidence: str
    rank: int
    thumbnail_url: str | None = None
    metadata: list[dict[str, Any]] = Field(default_factory=list)
    module_confidence: dict[str, str] = Field(default_factory=dict)
    transcription: str | None = None

    @property
    def text(self) -> str:
        """What matched, in words: the spoken or on-screen text (or label) of the hit."""
        if self.transcription:
            return self.transcription
        return next((str(m["text"]) for m in self.metadata if m.get("text")), "")


class VideoHits(Wire):
    """``group_by=video``: one video (``id``) and its matching moments, best first."""

    id: str
    rank: int
    clips: list[SearchHit] = Field(default_factory=list)


class SearchPool(Wire):
    """What a search covered: ``total_count`` videos, ``total_duration`` seconds."""

    total_count: int
    total_duration: float
    index_id: str


class SearchPageInfo(Wire):
    """Where a search page sits; ``next_page_token`` names the next one (None: last page).
    ``page_expired_at`` is the v1.2 spelling of ``page_expires_at``."""

    limit_per_page: int
    total_results: int
    page_expired_at: str | None = None
    page_expires_at: str | None = None
    next_page_token: str | None = None
    prev_page_token: str | None = None


class SearchPage(Wire):
    """One page of search results: moments (``group_by=clip``) or videos (``video``);
    ``visual_evidence`` says what ``visual`` searched when it was asked for."""

    search_pool: SearchPool
    data: list[SearchHit | VideoHits]
    page_info: SearchPageInfo
    visual_evidence: str | None = None

    @property
    def hits(self) -> list[SearchHit]:
        """Every moment on the page, in order (a video group's clips in its place)."""
        found: list[SearchHit] = []
        for item in self.data:
            found.extend(item.clips if isinstance(item, VideoHits) else [item])
        return found


class ClassClip(Wire):
    """A moment that puts a video in a class, found by ``prompt`` with ``option``."""

    start: float
    end: float
    score: float
    confidence: str
    thumbnail_url: str | None = None
    option: str
    prompt: str


class VideoClass(Wire):
    """A class a video belongs to: ``score`` 0-100, ``duration_ratio`` 0-1 of the video the
    class's moments cover; ``detailed_scores`` and ``clips`` when asked for."""

    name: str
    score: float
    duration_ratio: float
    detailed_scores: dict[str, float] | None = None
    clips: list[ClassClip] | None = None


class ClassifiedVideo(Wire):
    """The classes one video belongs to, best first."""

    video_id: str
    classes: list[VideoClass]


class ClassifyPageInfo(PageInfo):
    """A classification page; ``next_page_token`` (while more videos remain) resolves with
    ``GET /classify/{page_token}``."""

    page_expires_at: str | None = None
    next_page_token: str | None = None
    prev_page_token: str | None = None


class ClassifyPage(Wire):
    """Classification results: the videos that belong to at least one class."""

    data: list[ClassifiedVideo]
    page_info: ClassifyPageInfo


class Logo(Wire):
    """A logo image registered on an index (``_id`` and ``id`` are the same)."""

    logo_id: str = Field(alias="_id")
    id: str
    name: str
    created_at: str


class Logos(Wire):
    """An index's logos, oldest first."""

    data: list[Logo]


# -- building them ---------------------------------------------------------------------------------


def _hit(clip: Clip, rank: int, base: str, index_id: str) -> SearchHit:
    spoken = next((m["text"] for m in clip.metadata if m.get("type") == "conversation"), None)
    bands: dict[str, str] = dict(clip.module_confidence)
    return SearchHit(
        video_id=clip.video_id,
        start=round(clip.start, 3),
        end=round(clip.end, 3),
        score=round(clip.score, 2),
        confidence=clip.confidence,
        rank=rank,
        thumbnail_url=(
            f"{base}/indexes/{index_id}/videos/{clip.video_id}/thumbnail.jpg"
            f"?time={round(clip.start, 3)}"
        ),
        metadata=list(clip.metadata),
        module_confidence=bands,
        transcription=spoken,
    )


def search_page(page: ResultPage, base: str) -> SearchPage:
    """The Twelve Labs search response for one page; thumbnail links start with ``base``."""
    result = page.result
    index_id = result.request.index_id
    first = page.number * result.request.page_limit
    data: list[SearchHit | VideoHits] = []
    for i, item in enumerate(page.items):
        if isinstance(item, VideoGroup):
            clips = [_hit(c, r, base, index_id) for r, c in enumerate(item.clips, 1)]
            data.append(VideoHits(id=item.id, rank=first + i + 1, clips=clips))
        else:
            data.append(_hit(cast(Clip, item), first + i + 1, base, index_id))
    answer = SearchPage(
        search_pool=SearchPool(
            total_count=result.total_count,
            total_duration=result.total_duration,
            index_id=index_id,
        ),
        data=data,
        page_info=SearchPageInfo(
            limit_per_page=result.request.page_limit,
            total_results=len(result.items),
            page_expired_at=page.expires_at_text,
            page_expires_at=page.expires_at_text,
            next_page_token=page.next_token,
            prev_page_token=page.prev_token,
        ),
    )
    if "visual" in result.evidence:
        answer.visual_evidence = result.evidence["visual"]
    return answer


def classify_page(page: ListPage) -> ClassifyPage:
    """One page of a classification."""
    return ClassifyPage(
        data=page.items,
        page_info=ClassifyPageInfo(
            page=page.number + 1,
            limit_per_page=page.page_limit,
            total_page=page.total_pages,
            total_results=page.total,
            page_expires_at=page.expires_at_text,
            next_page_token=page.next_token,
            prev_page_token=page.prev_token,
        ),
    )


def logo_out(logo: LogoRecord) -> Logo:
    return Logo(_id=logo.id, id=logo.id, name=logo.name, created_at=logo.created_at)


# -- reading requests ------------------------------------------------------------------------------


def _options(form: Form) -> list[str]:
    found: list[str] = []
    for value in form.many.get("search_options", []):
        value = json_field(value, "search_options") if str(value).startswith("[") else value
        found.extend([str(v) for v in value] if isinstance(value, list) else [str(value)])
    return found or list(SEARCH_DEFAULT)


def _filter(value: Any) -> SearchFilter:
    if value in (None, ""):
        return SearchFilter()
    data = json_field(value, "filter")
    if not isinstance(data, dict):
        raise InvalidArgument("filter must be a JSON object", param="filter")
    duration = data.get("duration") or {}
    if not isinstance(duration, dict):
        raise InvalidArgument('filter.duration must be an object like {"gte": 10, "lte": 600}')
    ids = data.get("id", data.get("video_id"))
    if isinstance(ids, str):
        ids = [ids]
    try:
        return SearchFilter(
            duration_gte=float(duration["gte"]) if "gte" in duration else None,
            duration_lte=float(duration["lte"]) if "lte" in duration else None,
            width=int(data["width"]) if "width" in data else None,
            height=int(data["height"]) if "height" in data else None,
            filename=str(data["filename"]) if "filename" in data else None,
            video_ids=tuple(str(i) for i in ids) if ids is not None else None,
        )
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"filter has a value of the wrong type: {e}", param="filter") from e


def _choice(fields: dict[str, Any], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = str(fields.get(name) or default).strip().lower()
    if value not in allowed:
        raise InvalidArgument(
            f"{name} must be one of {', '.join(allowed)}, got {value!r}", param=name
        )
    return value


def search_request(form: Form) -> SearchRequest:
    """The search a body asks for (JSON or form fields), without its query images."""
    fields = form.fields
    index_id = fields.get("index_id")
    if not index_id:
        raise InvalidArgument("index_id is required", param="index_id")
    query = fields.get("query_text", fields.get("query")) or ""
    if isinstance(query, dict):  # v1.1 {"text": ...}
        query = query.get("text", "")
    try:
        page_limit = int(fields.get("page_limit") or 10)
    except ValueError as e:
        raise InvalidArgument("page_limit must be a number from 1 to 50") from e
    if not 1 <= page_limit <= 50:
        raise InvalidArgument(f"page_limit must be from 1 to 50, got {page_limit}")
    conversation = _choice(fields, "conversation_option", "semantic", ("semantic", "exact_match"))
    transcription = form.many.get("transcription_options")
    if transcription and [str(t) for t in transcription] == ["lexical"]:
        conversation = "exact_match"
    return SearchRequest(
        index_id=str(index_id),
        query=str(query),
        options=tuple(_options(form)),
        conversation_option=conversation,  # type: ignore[arg-type]
        operator=_choice(fields, "operator", "or", ("or", "and")),  # type: ignore[arg-type]
        group_by=_choice(fields, "group_by", "clip", ("clip", "video")),  # type: ignore[arg-type]
        threshold=_choice(  # type: ignore[arg-type]
            fields, "threshold", "low", ("high", "medium", "low", "none")
        ),
        sort_option=_choice(  # type: ignore[arg-type]
            fields, "sort_option", "score", ("score", "clip_count")
        ),
        page_limit=page_limit,
        filter=_filter(fields.get("filter")),
    )


def _image_bytes(upload: Upload, name: str) -> bytes:
    if len(upload.data) > MAX_IMAGE_BYTES:
        raise InvalidArgument(f"{name} is larger than 20 MiB", param=name)
    return upload.data


def query_images(services: Services, form: Form) -> tuple[ImageQuery, ...]:
    """The query images of a body (``query_media_type=image``): uploads in
    ``query_media_file``, URLs in ``query_media_url`` (fetched under the server's URL rules)."""
    kind = str(form.fields.get("query_media_type") or "").lower()
    if kind != "image":
        if kind:
            raise InvalidArgument("query_media_type must be image", param="query_media_type")
        return ()
    images: list[ImageQuery] = []
    for upload in form.many.get("query_media_file", []):
        if isinstance(upload, Upload):
            images.append(ImageQuery(decode_image(_image_bytes(upload, "query_media_file"))))
    for url in form.many.get("query_media_url", []):
        from vidsense.media.source import fetch_url

        path = fetch_url(str(url), services.settings)
        images.append(ImageQuery(decode_image(path.read_bytes())))
    if not images:
        raise InvalidArgument("query_media_type=image needs query_media_url or query_media_file")
    if len(images) > MAX_QUERY_IMAGES:
        raise InvalidArgument(f"at most {MAX_QUERY_IMAGES} query images")
    return tuple(images)


def _classes(value: Any) -> list[tuple[str, list[str]]]:
    value = json_field(value, "classes")
    if not isinstance(value, list) or not value:
        raise InvalidArgument(
            'classes must be a list like [{"name": "Sports", "prompts": [...]}]', param="classes"
        )
    found = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("prompts"), list):
            raise InvalidArgument(f"classes[{i}] needs a name and a list of prompts")
        found.append((str(item.get("name", "")), [str(p) for p in item["prompts"]]))
    return found


# -- search ----------------------------------------------------------------------------------------


def search(services: Services, form: Form, base: str) -> SearchPage:
    """``POST /search``: the first page."""
    query = replace(search_request(form), images=query_images(services, form))
    return search_page(services.search.search(query), base)


def next_page(services: Services, page_token: str, base: str) -> SearchPage:
    """``GET /search/{page_token}`` (``page_token_not_found``; ``Gone`` once expired)."""
    return search_page(services.search.page(page_token), base)


# -- classify --------------------------------------------------------------------------------------


def _class_clip(
    clip: Clip, rank: int, base: str, index_id: str, option: str, prompt: str
) -> ClassClip:
    hit = _hit(clip, rank, base, index_id)
    return ClassClip(
        start=hit.start,
        end=hit.end,
        score=hit.score,
        confidence=hit.confidence,
        thumbnail_url=hit.thumbnail_url,
        option=option,
        prompt=prompt,
    )


def classify(services: Services, form: Form, bulk: bool, base: str) -> ClassifyPage:
    """``POST /classify`` (``video_ids``) or, with ``bulk``, ``/classify/bulk`` (every ready
    video of ``index_id``): the first page of the videos that belong to a class."""
    fields = form.fields
    lib, svc = services.library, services.search
    if bulk:
        index_id = fields.get("index_id")
        if not index_id:
            raise InvalidArgument("index_id is required", param="index_id")
    else:
        ids = fields.get("video_ids")
        ids = json_field(ids, "video_ids") if isinstance(ids, str) and ids[:1] == "[" else ids
        if not ids:
            raise InvalidArgument("video_ids is required", param="video_ids")
    threshold = json_field(fields.get("threshold") or {}, "threshold")
    if not isinstance(threshold, dict):
        raise InvalidArgument("threshold must be an object", param="threshold")
    options = [str(o) for o in form.many.get("options", [])] or None
    classes = _classes(fields.get("classes"))
    try:
        page_limit = int(fields.get("page_limit") or 10)
    except (TypeError, ValueError):
        raise InvalidArgument("page_limit must be a whole number") from None
    if not 1 <= page_limit <= MAX_PAGE_LIMIT:
        raise InvalidArgument(f"page_limit must be 1-{MAX_PAGE_LIMIT}, got {page_limit}")
    include_clips = flag(fields.get("include_clips", False))
    detailed = flag(fields.get("show_detailed_score", False))

    if bulk:
        videos = lib.ready_videos(str(index_id))
    else:
        wanted = ids if isinstance(ids, list) else [ids]
        videos = [lib.video_by_id(str(v)) for v in wanted]
    results = svc.classify(
        videos,
        classes,
        options=options,
        conversation_option=str(fields.get("conversation_option") or "semantic"),
        min_video_score=float(threshold.get("min_video_score", 0.0)),
        min_clip_score=float(threshold.get("min_clip_score", 30.0)),
        min_duration_ratio=float(threshold.get("min_duration_ratio", 0.0)),
    )
    index_of = {v.id: v.index_id for v in videos}
    data: list[ClassifiedVideo] = []
    for video in results:
        if not video.classes:
            continue
        index_id = index_of.get(video.video_id) or lib.video_by_id(video.video_id).index_id
        found = []
        for cls in video.classes:
            entry = VideoClass(name=cls.name, score=cls.score, duration_ratio=cls.duration_ratio)
            if detailed:
                entry.detailed_scores = {
                    "max_score": cls.max_score,
                    "avg_score": cls.avg_score,
                    "normalized_score": cls.normalized_score,
                }
            if include_clips:
                entry.clips = [
                    _class_clip(c, r, base, index_id, option, prompt)
                    for r, (c, option, prompt) in enumerate(cls.clips, 1)
                ]
            found.append(entry)
        data.append(ClassifiedVideo(video_id=video.video_id, classes=found))
    return classify_page(svc.list_pages.first_page(data, page_limit))


def classify_next(services: Services, page_token: str) -> ClassifyPage:
    """``GET /classify/{page_token}``: the next (or previous) page of a classification, as the
    Twelve Labs SDK's ``classify.by_page_token`` asks for it."""
    return classify_page(services.search.list_pages.page(page_token))


# -- logos -----------------------------------------------------------------------------------------


def add_logo(services: Services, index_id: str, form: Form) -> Logo:
    """``POST /indexes/{id}/logos``: multipart ``name`` (the brand) and ``file`` (its image)."""
    name, upload = form.fields.get("name"), form.fields.get("file")
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument("name is required (the brand name)", param="name")
    if not isinstance(upload, Upload):
        raise InvalidArgument("file is required (a JPEG or PNG of the logo)", param="file")
    if len(upload.data) > MAX_IMAGE_BYTES:
        raise InvalidArgument("file is larger than 20 MiB", param="file")
    decode_image(upload.data)  # refuse what is not an image before storing anything
    ext = (upload.filename or "logo.png").rsplit(".", 1)[-1]
    return logo_out(services.library.add_logo(index_id, name, upload.data, ext))


def list_logos(services: Services, index_id: str) -> Logos:
    return Logos(data=[logo_out(logo) for logo in services.library.list_logos(index_id)])


def delete_logo(services: Services, index_id: str, logo_id: str) -> None:
    services.library.delete_logo(index_id, logo_id)
