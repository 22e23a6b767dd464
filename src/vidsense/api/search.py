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
from typing import Annotated, Any, Literal, cast

from pydantic import Field

from vidsense.api.services import Services
from vidsense.api.wire import (
    NOT_BLANK,
    Decoded,
    Form,
    Listed,
    Lower,
    PageInfo,
    Upload,
    Wire,
    read_body,
)
from vidsense.errors import InvalidArgument
from vidsense.options import SEARCH_DEFAULT, SearchOption
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
    user_metadata: dict[str, Any] | None = None
    """The video's user metadata, when the search asked ``include_user_metadata``."""

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
    user_metadata: dict[str, Any] | None = None


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


def search_page(services: Services, page: ResultPage, base: str) -> SearchPage:
    """The Twelve Labs search response for one page; thumbnail links start with ``base``;
    with ``include_user_metadata``, each result carries its video's user metadata."""
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
    if result.request.include_user_metadata:
        held: dict[str, dict[str, Any]] = {}

        def metadata(video_id: str) -> dict[str, Any]:
            if video_id not in held:
                held[video_id] = dict(services.library.store.get_video(video_id).metadata)
            return held[video_id]

        for entry in data:
            if isinstance(entry, VideoHits):
                entry.user_metadata = metadata(entry.id)
                for clip in entry.clips:
                    clip.user_metadata = metadata(clip.video_id)
            else:
                entry.user_metadata = metadata(entry.video_id)
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


# -- requests ------------------------------------------------------------------------------------


SearchOptionName = Annotated[SearchOption, Lower]
ConversationOption = Annotated[Literal["semantic", "exact_match"], Lower]


class DurationRange(Wire):
    """Seconds: ``gte`` at least, ``lte`` at most."""

    gte: float | None = Field(default=None, ge=0)
    lte: float | None = Field(default=None, ge=0)


class SearchFilterBody(Wire):
    """Which videos a search covers: ``duration`` bounds (seconds), exact ``width`` and
    ``height`` (pixels), ``filename``, ``id`` (or ``video_id``: one id or a list)."""

    duration: DurationRange | None = None
    width: int | None = None
    height: int | None = None
    filename: str | None = None
    id: Annotated[list[str], Listed] | None = None
    video_id: Annotated[list[str], Listed] | None = None


class QueryText(Wire):
    """v1.1's ``query: {"text": ...}``."""

    text: str = ""


class SearchBody(Wire):
    """``POST /search`` (JSON, url-encoded or multipart): a text query (``query_text``, or
    ``query``), query images (``query_media_type=image`` with ``query_media_url`` or uploaded
    ``query_media_file``), or both."""

    index_id: str = Field(min_length=1)
    query_text: str | None = None
    query: str | QueryText | None = None
    search_options: Annotated[list[SearchOptionName], Listed] | None = Field(
        default=None, description="what to search through (default: visual and conversation)"
    )
    conversation_option: ConversationOption = "semantic"
    transcription_options: Annotated[list[str], Listed] | None = Field(
        default=None, description='["lexical"] means conversation_option exact_match'
    )
    operator: Annotated[Literal["or", "and"], Lower] = "or"
    group_by: Annotated[Literal["clip", "video"], Lower] = "clip"
    threshold: Annotated[Literal["high", "medium", "low", "none"], Lower] = "low"
    sort_option: Annotated[Literal["score", "clip_count"], Lower] = "score"
    page_limit: int = Field(default=10, ge=1, le=MAX_PAGE_LIMIT)
    filter: Annotated[SearchFilterBody, Decoded] | None = None
    query_media_type: Annotated[Literal["image"], Lower] | None = None
    query_media_url: Annotated[list[str], Listed] | None = Field(
        default=None, max_length=MAX_QUERY_IMAGES
    )
    include_user_metadata: bool = False


class ClassSpec(Wire):
    """A class: its ``name`` and the ``prompts`` that describe it."""

    name: str = Field(min_length=1, pattern=NOT_BLANK)
    prompts: list[Annotated[str, Field(pattern=NOT_BLANK)]] = Field(min_length=1)


class ClassifyThreshold(Wire):
    """Scores (0-100) and the share of a video (0-1) a class needs."""

    min_video_score: float = Field(default=0.0, ge=0, le=100)
    min_clip_score: float = Field(default=30.0, ge=0, le=100)
    min_duration_ratio: float = Field(default=0.0, ge=0, le=1)


class ClassifyBulkBody(Wire):
    """``POST /classify/bulk``: every ready video of ``index_id``."""

    index_id: str = Field(min_length=1)
    classes: Annotated[list[ClassSpec], Decoded] = Field(min_length=1)
    options: Annotated[list[SearchOptionName], Listed] | None = None
    conversation_option: ConversationOption = "semantic"
    threshold: Annotated[ClassifyThreshold, Decoded] | None = None
    page_limit: int = Field(default=10, ge=1, le=MAX_PAGE_LIMIT)
    include_clips: bool = False
    show_detailed_score: bool = False


class ClassifyBody(ClassifyBulkBody):
    """``POST /classify``: the videos ``video_ids`` names."""

    index_id: str | None = None  # type: ignore[assignment]
    video_ids: Annotated[list[str], Listed] = Field(min_length=1)


class LogoBody(Wire):
    """``POST /indexes/{id}/logos`` (multipart): the brand ``name`` and its image ``file``."""

    name: str = Field(min_length=1, description="the brand name")


def search_request(form: Form) -> SearchRequest:
    """The search a body asks for (JSON or form fields), without its query images."""
    body = read_body(SearchBody, form)
    query = body.query_text if body.query_text is not None else body.query
    if isinstance(query, QueryText):  # v1.1 {"text": ...}
        query = query.text
    conversation = body.conversation_option
    if body.transcription_options == ["lexical"]:
        conversation = "exact_match"
    found = body.filter or SearchFilterBody()
    duration = found.duration or DurationRange()
    ids = found.id if found.id is not None else found.video_id
    return SearchRequest(
        index_id=body.index_id,
        query=query or "",
        options=tuple(body.search_options or SEARCH_DEFAULT),
        conversation_option=conversation,
        operator=body.operator,
        group_by=body.group_by,
        threshold=body.threshold,
        sort_option=body.sort_option,
        page_limit=body.page_limit,
        filter=SearchFilter(
            duration_gte=duration.gte,
            duration_lte=duration.lte,
            width=found.width,
            height=found.height,
            filename=found.filename,
            video_ids=tuple(ids) if ids is not None else None,
        ),
        include_user_metadata=body.include_user_metadata,
    )


def _image_bytes(upload: Upload, name: str) -> bytes:
    if len(upload.data) > MAX_IMAGE_BYTES:
        raise InvalidArgument(f"{name} is larger than 20 MiB", param=name)
    return upload.data


def query_images(services: Services, form: Form) -> tuple[ImageQuery, ...]:
    """The query images of a body (``query_media_type=image``): uploads in
    ``query_media_file``, URLs in ``query_media_url`` (fetched under the server's URL rules)."""
    body = read_body(SearchBody, form)
    if body.query_media_type != "image":
        if "query_media_file" in form.many:
            raise InvalidArgument("query_media_file needs query_media_type=image")
        return ()
    files = form.many.get("query_media_file", [])
    if not all(isinstance(u, Upload) for u in files):
        raise InvalidArgument(
            "query_media_file must be a file part of a multipart form", param="query_media_file"
        )
    uploads: list[Upload] = files
    urls = body.query_media_url or []
    if not uploads and not urls:
        raise InvalidArgument("query_media_type=image needs query_media_url or query_media_file")
    if len(uploads) + len(urls) > MAX_QUERY_IMAGES:
        raise InvalidArgument(f"at most {MAX_QUERY_IMAGES} query images")
    images = [ImageQuery(decode_image(_image_bytes(u, "query_media_file"))) for u in uploads]
    for url in urls:
        from vidsense.media.source import fetch_url

        path = fetch_url(str(url), services.settings)
        try:
            images.append(ImageQuery(decode_image(path.read_bytes())))
        except InvalidArgument:
            path.unlink(missing_ok=True)  # not an image: no reason to keep the download
            raise
    return tuple(images)


# -- search ----------------------------------------------------------------------------------------


def search(services: Services, form: Form, base: str) -> SearchPage:
    """``POST /search``: the first page."""
    query = replace(search_request(form), images=query_images(services, form))
    return search_page(services, services.search.search(query), base)


def next_page(services: Services, page_token: str, base: str) -> SearchPage:
    """``GET /search/{page_token}`` (``page_token_not_found``; ``Gone`` once expired)."""
    return search_page(services, services.search.page(page_token), base)


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
    body: ClassifyBulkBody = read_body(ClassifyBulkBody if bulk else ClassifyBody, form)
    lib, svc = services.library, services.search
    threshold = body.threshold or ClassifyThreshold()
    options = list(body.options) if body.options else None
    classes = [(c.name, list(c.prompts)) for c in body.classes]
    page_limit = body.page_limit
    include_clips, detailed = body.include_clips, body.show_detailed_score

    if isinstance(body, ClassifyBody):
        videos = [lib.video_by_id(v) for v in body.video_ids]
    else:
        videos = lib.ready_videos(str(body.index_id))
    results = svc.classify(
        videos,
        classes,
        options=options,
        conversation_option=body.conversation_option,
        min_video_score=threshold.min_video_score,
        min_clip_score=threshold.min_clip_score,
        min_duration_ratio=threshold.min_duration_ratio,
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
    name, upload = read_body(LogoBody, form).name.strip(), form.fields.get("file")
    if not name:
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
