"""Twelve Labs' assets (``/assets``) and indexed assets (``/indexes/{id}/indexed-assets``),
mapped onto the library.

An asset is a stored upload: a file of the file store (:mod:`vidsense.agent.files`, the same
one ``/v1/files`` keeps; purpose ``user_data``), sent directly or fetched from a URL, and
checked to be a video as it arrives (so it is ``ready`` at once, or refused with 400). Indexing
an asset into an index submits a copy of it as an indexing task whose video takes the task's
id: the indexed asset's id is the video's id everywhere (``/indexes/{id}/videos/{id}``, search
results), known from the moment it is created. Its status is the task's until the video is
ready. The same asset indexed twice into an index is the same indexed asset.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, BinaryIO, Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from vidsense.agent.multipart import FIRST_URLS, ChunkUrl
from vidsense.api.indexes import TimeRange, asset_of, said, video_metadata
from vidsense.api.limits import MAX_PAGE
from vidsense.api.services import Services
from vidsense.api.wire import NOT_BLANK, Listing, PageInfo, Wire, page_info, page_of
from vidsense.errors import FetchFailed, InvalidArgument, MediaError, MediaUnavailable, NotFound
from vidsense.store import TaskRecord, VideoRecord
from vidsense.store.base import utc_now

ASSET_PURPOSE = "user_data"
"""The purpose an asset is stored with among the uploaded files."""
METHODS = ("direct", "url")

# -- requests --------------------------------------------------------------------------------------


class AssetQuery(BaseModel):
    """``GET /assets``: one page (``page`` from 1, ``page_limit`` 1-50), newest first."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_limit: int = Field(default=10, ge=1, le=50)
    filename: str | None = None


class IndexedAssetCreate(Wire):
    """``POST /indexes/{index_id}/indexed-assets``: the asset to index (``user_metadata``
    defaults to the asset's)."""

    asset_id: str
    enable_video_stream: bool | None = None
    user_metadata: dict[str, Any] | None = None


class IndexedAssetQuery(BaseModel):
    """``GET /indexes/{index_id}/indexed-assets``: one page of the index's indexed videos."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_limit: int = Field(default=10, ge=1, le=50)


# -- responses -------------------------------------------------------------------------------------


class Asset(Wire):
    """An asset: ``status`` ``ready`` (it was checked as it arrived); ``duration`` seconds,
    ``size`` bytes, ``width``/``height`` pixels, ``fps`` frames per second."""

    id: str
    method: str
    status: Literal["processing", "ready", "failed"]
    filename: str
    file_type: str
    created_at: str
    size: int
    duration: float
    width: int
    height: int
    fps: float
    user_metadata: dict[str, Any] | None = None
    hls: dict[str, Any] | None = None
    thumbnail: dict[str, Any] | None = None


class IndexedAssetCreated(Wire):
    id: str
    asset_id: str


class IndexedAsset(Wire):
    """An asset in an index. ``status``: validating -> pending -> indexing -> ready or
    failed; ``system_metadata`` has the video's ``filename``, ``duration`` (s), ``fps``,
    ``width``, ``height``, ``size`` (bytes) once known; ``transcription`` only when asked."""

    id: str
    asset_id: str | None
    index_id: str
    status: str
    system_metadata: dict[str, Any]
    user_metadata: dict[str, Any] = Field(default_factory=dict)
    error: dict[str, Any] | None = None
    transcription: list[TimeRange] | None = None
    created_at: str
    updated_at: str
    indexed_at: str | None = None


# -- assets ----------------------------------------------------------------------------------------


def _record(services: Services, asset_id: str) -> dict[str, Any]:
    return services.chat.files.asset(asset_id)


def asset_out(record: dict[str, Any]) -> Asset:
    facts = record["asset"]
    return Asset(
        id=record["id"],
        method=facts["method"],
        status="ready",
        filename=record["filename"],
        file_type=facts["file_type"],
        created_at=facts["created_at"],
        size=record["bytes"],
        duration=facts["duration"],
        width=facts["width"],
        height=facts["height"],
        fps=facts["fps"],
        user_metadata=facts.get("user_metadata"),
    )


def _facts(method: str, user_metadata: dict[str, Any] | None) -> Any:
    """The check an asset's bytes go through as they are stored: a video, probed."""

    def check(path: Path, filename: str) -> dict[str, Any]:
        from vidsense.media.probe import probe

        try:
            info = probe(path)
        except MediaError as e:  # not a video: refused, named as the user knows it
            e.message = e.message.replace(path.name, filename)
            e.args = (e.message,)
            raise
        width, height = info.display_size
        return {
            "method": method,
            "file_type": "video",
            "duration": round(info.duration, 3),
            "width": width,
            "height": height,
            "fps": round(info.fps, 3),
            "user_metadata": user_metadata,
            "created_at": utc_now(),
        }

    return check


def _metadata(text: str | None) -> dict[str, Any] | None:
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError as e:
        raise InvalidArgument(f"user_metadata must be JSON: {e}", param="user_metadata") from e
    if not isinstance(value, dict):
        raise InvalidArgument("user_metadata must be a JSON object", param="user_metadata")
    return value


def create_asset(
    services: Services,
    method: str,
    *,
    file: BinaryIO | None = None,
    filename: str | None = None,
    url: str | None = None,
    user_metadata: str | None = None,
) -> Asset:
    """``POST /assets``: ``method`` ``direct`` (the bytes in ``file``) or ``url`` (fetched
    under the server's address rules). A file that is not a video is refused (400)."""
    meta = _metadata(user_metadata)
    files = services.chat.files
    if method == "direct":
        if file is None:
            raise InvalidArgument("method direct needs the file", param="file")
        record = files.create(file, filename or "asset", ASSET_PURPOSE, _facts(method, meta))
    elif method == "url":
        if not url:
            raise InvalidArgument("method url needs url", param="url")
        from vidsense.media.source import fetch_url

        try:
            path = fetch_url(url, services.settings)
        except FetchFailed as e:
            raise MediaUnavailable(f"could not read {url}: {e.message}", param="url") from e
        name = filename or Path(unquote(urlsplit(url).path)).name or "asset"
        with path.open("rb") as f:
            record = files.create(f, name, ASSET_PURPOSE, _facts(method, meta))
    else:
        raise InvalidArgument(
            f"method must be one of {', '.join(METHODS)}, got {method!r}", param="method"
        )
    return asset_out(record)


def get_asset(services: Services, asset_id: str) -> Asset:
    return asset_out(_record(services, asset_id))


def asset_file(services: Services, asset_id: str) -> tuple[Path, str]:
    """Where an asset's bytes are, and its file name."""
    record = _record(services, asset_id)
    return services.chat.files.path(asset_id), str(record["filename"])


def list_assets(services: Services, query: AssetQuery) -> Listing[Asset]:
    """Assets, newest first; past the last page, an empty page (Twelve Labs' pagers stop
    there)."""
    found = [r for r in services.chat.files.list(ASSET_PURPOSE) if "asset" in r]
    if query.filename:
        found = [r for r in found if query.filename.lower() in str(r["filename"]).lower()]
    page = page_of(found, query.page, query.page_limit)
    return Listing[Asset](data=[asset_out(r) for r in page.items], page_info=page_info(page))


def delete_asset(services: Services, asset_id: str) -> None:
    """Delete an asset (the videos indexed from it stay)."""
    _record(services, asset_id)
    services.chat.files.delete(asset_id)


MetadataValue = str | int | float | bool | list[str] | None


class AssetMetadata(Wire):
    """``/assets/{id}/user-metadata``: ``PUT`` replaces the whole, ``PATCH`` merges (a key
    set to null is removed); with either, a key set to ``""`` or ``[]`` is ignored."""

    model_config = ConfigDict(strict=True)

    user_metadata: dict[str, MetadataValue]


def set_asset_metadata(
    services: Services, asset_id: str, body: AssetMetadata | None, *, merge: bool
) -> None:
    """Replace (``merge`` false) or update an asset's user metadata; ``None``: clear it. The
    videos indexed from it keep theirs (``indexes.indexed_assets.update`` changes those)."""
    record = _record(services, asset_id)
    given = body.user_metadata if body is not None else {}
    kept = dict(record["asset"].get("user_metadata") or {}) if merge else {}
    for key, value in given.items():
        if value == "" or value == []:
            continue
        if value is None:
            kept.pop(key, None)
        else:
            kept[key] = value
    services.chat.files.note_asset(asset_id, user_metadata=kept or None)


# -- indexed assets --------------------------------------------------------------------------------


def index_asset(services: Services, index_id: str, body: IndexedAssetCreate) -> IndexedAssetCreated:
    """Index an asset into an index: a copy of it is submitted as an indexing task (the
    earlier one when the same file is already there)."""
    lib = services.library
    lib.get_index(index_id)
    path, filename = asset_file(services, body.asset_id)
    facts = _record(services, body.asset_id)["asset"]
    meta = body.user_metadata if body.user_metadata is not None else facts.get("user_metadata")
    staged = lib.stage_file(path, filename)
    sub = lib.submit_upload(
        index_id, staged, user_metadata=meta, refuse_unsupported=True, asset_id=body.asset_id
    )
    if not sub.duplicate:
        services.queued(sub.task.id)
    return IndexedAssetCreated(id=sub.task.video_id or sub.task.id, asset_id=body.asset_id)


def _system(video: VideoRecord) -> dict[str, Any]:
    return video_metadata(video).model_dump()


def indexed_out(services: Services, video: VideoRecord) -> IndexedAsset:
    return IndexedAsset(
        id=video.id,
        asset_id=asset_of(services, video.id),
        index_id=video.index_id,
        status=video.status,
        system_metadata=_system(video),
        user_metadata=video.metadata,
        created_at=video.created_at,
        updated_at=video.updated_at,
        indexed_at=video.updated_at if video.status == "ready" else None,
    )


def get_indexed_asset(
    services: Services, index_id: str, indexed_asset_id: str, transcription: bool = False
) -> IndexedAsset:
    """An indexed asset: its video once there is one, else the task indexing it."""
    lib = services.library
    lib.get_index(index_id)
    try:
        video = lib.get_video(index_id, indexed_asset_id)
    except NotFound:
        video = None
    if video is not None:
        found = indexed_out(services, video)
        if transcription:
            found.transcription = said(services, index_id, video.id)
        return found
    try:
        task: TaskRecord | None = lib.get_task(indexed_asset_id)
    except NotFound:
        task = None
    if task is None or task.index_id != index_id:
        raise NotFound(
            f"no indexed asset with id {indexed_asset_id!r} in index {index_id}",
            code="indexed_asset_not_found",
        )
    error = {"code": task.error_code, "message": task.error_message} if task.error_code else None
    asset_id = task.source.get("asset_id")
    return IndexedAsset(
        id=indexed_asset_id,
        asset_id=str(asset_id) if asset_id else None,
        index_id=index_id,
        status=task.status,
        system_metadata={"filename": task.source.get("filename")},
        user_metadata=task.source.get("user_metadata") or {},
        error=error if task.status == "failed" else None,
        created_at=task.created_at,
        updated_at=task.updated_at,
    )


def list_indexed_assets(
    services: Services, index_id: str, query: IndexedAssetQuery
) -> Listing[IndexedAsset]:
    """The index's videos as indexed assets, newest first (an empty page past the last)."""
    found = services.library.list_videos(index_id, page=query.page, page_limit=query.page_limit)
    return Listing[IndexedAsset](
        data=[indexed_out(services, v) for v in found.items], page_info=page_info(found)
    )


# -- multipart uploads -----------------------------------------------------------------------------


class UploadCreate(Wire):
    """``POST /assets/multipart-uploads``: a file to send in chunks (``total_size`` bytes)."""

    model_config = ConfigDict(strict=True)  # JSON: no 0 for false, no text for a number

    filename: str = Field(min_length=1, pattern=NOT_BLANK)
    type: Literal["video"] = Field(description="vidsense keeps video assets only")
    total_size: int = Field(ge=1, description="bytes; at most the server's upload limit (413)")
    enable_hls: bool | None = None
    enable_thumbnail: bool | None = None
    user_metadata: dict[str, Any] | None = None


class UploadUrl(Wire):
    chunk_index: int
    url: str
    expires_at: str


class UploadCreated(Wire):
    """A new upload session: the first chunks' URLs (ask for the rest), each chunk's size, how
    many there are, and the asset the file becomes."""

    upload_id: str
    asset_id: str
    upload_urls: list[UploadUrl]
    upload_headers: dict[str, str] = Field(default_factory=dict)
    chunk_size: int
    total_chunks: int
    expires_at: str


class UrlsRequest(Wire):
    """``POST /assets/multipart-uploads/{id}/presigned-urls``: URLs for ``count`` chunks
    from chunk ``start`` (counted from 1)."""

    model_config = ConfigDict(strict=True)  # JSON: no 0 for false, no text for a number

    start: int = Field(ge=1, le=MAX_PAGE)
    count: int = Field(ge=1, le=1000)


class UrlsOut(Wire):
    upload_id: str
    start_index: int
    count: int
    upload_urls: list[UploadUrl]
    generated_at: str
    expires_at: str


class CompletedChunk(Wire):
    model_config = ConfigDict(strict=True)

    chunk_index: int = Field(ge=1, le=MAX_PAGE)
    proof: str
    proof_type: Literal["etag"] = "etag"
    chunk_size: int = Field(ge=0)


class ChunkReport(Wire):
    """``POST /assets/multipart-uploads/{id}``: chunks PUT, each with the ETag it got."""

    model_config = ConfigDict(strict=True)  # JSON: no 0 for false, no text for a number

    completed_chunks: list[CompletedChunk] = Field(min_length=1, max_length=1000)


class ChunkReportOut(Wire):
    """What a report changed; ``url`` (the asset's) once the last chunk is in."""

    url: str | None = None
    asset_id: str
    processed_chunks: int
    duplicate_chunks: int
    total_completed: int


class ChunkState(Wire):
    index: int
    status: Literal["completed", "pending", "failed"]
    uploaded_at: str | None = None


class UploadStatus(Wire):
    """An upload session: ``active`` (taking chunks), ``completed`` (the asset exists),
    ``failed`` (``error`` says why) or ``expired``; one page of its chunks."""

    upload_id: str
    status: Literal["active", "completed", "failed", "expired"]
    uploaded_chunks: list[ChunkState]
    chunks_completed: int
    chunks_failed: int
    chunks_pending: int
    page_info: PageInfo
    total_size: int
    uploaded_size: int
    asset_id: str
    error: str | None = None
    created_at: str
    updated_at: str


class UploadSummary(Wire):
    upload_id: str
    status: Literal["active", "completed", "failed", "expired"]
    total_size: int
    chunk_size: int
    total_chunks: int
    created_at: str
    expires_at: str


class UploadQuery(BaseModel):
    """One page (``page`` from 1, ``page_limit`` 1-50)."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_limit: int = Field(default=10, ge=1, le=50)


def _urls(urls: list[ChunkUrl]) -> list[UploadUrl]:
    return [UploadUrl(chunk_index=u.chunk_index, url=u.url, expires_at=u.expires_at) for u in urls]


def create_upload(services: Services, body: UploadCreate, server: str) -> UploadCreated:
    """A multipart upload session, with the URLs of its first chunks on ``server``."""
    uploads = services.multipart
    session = uploads.create(body.filename, body.total_size, body.user_metadata)
    return UploadCreated(
        upload_id=session["upload_id"],
        asset_id=session["asset_id"],
        upload_urls=_urls(uploads.urls(session, server, 1, FIRST_URLS)),
        chunk_size=session["chunk_size"],
        total_chunks=session["total_chunks"],
        expires_at=session["expires_at"],
    )


def upload_urls(services: Services, upload_id: str, body: UrlsRequest, server: str) -> UrlsOut:
    uploads = services.multipart
    urls = uploads.urls(uploads.get(upload_id), server, body.start, body.count)
    return UrlsOut(
        upload_id=upload_id,
        start_index=body.start,
        count=len(urls),
        upload_urls=_urls(urls),
        generated_at=utc_now(),
        expires_at=urls[0].expires_at,
    )


def report_chunks(
    services: Services, upload_id: str, body: ChunkReport, api: str
) -> ChunkReportOut:
    """Mark chunks complete; the last one makes the asset (a file that is not a video fails
    the session, 400)."""
    chunks = [c.model_dump() for c in body.completed_chunks]
    session = services.multipart.get(upload_id)
    meta = session.get("user_metadata")
    done = services.multipart.report(upload_id, chunks, _facts("multipart", meta))
    return ChunkReportOut(
        url=f"{api}/assets/{session['asset_id']}" if done["done"] else None,
        asset_id=session["asset_id"],
        processed_chunks=done["processed"],
        duplicate_chunks=done["duplicates"],
        total_completed=done["total_completed"],
    )


def upload_status(services: Services, upload_id: str, query: UploadQuery) -> UploadStatus:
    uploads = services.multipart
    session = uploads.get(upload_id)
    chunks = uploads.chunks(session)
    completed = [c for c in chunks if c["status"] == "completed"]
    page = page_of(chunks, query.page, query.page_limit)
    return UploadStatus(
        upload_id=upload_id,
        status=session["status"],
        uploaded_chunks=[
            ChunkState(index=c["index"], status=c["status"], uploaded_at=c["uploaded_at"])
            for c in page.items
        ],
        chunks_completed=len(completed),
        chunks_failed=0,
        chunks_pending=len(chunks) - len(completed),
        page_info=page_info(page),
        total_size=session["total_size"],
        uploaded_size=sum(c["size"] for c in completed),
        asset_id=session["asset_id"],
        error=session.get("error"),
        created_at=session["created_at"],
        updated_at=session["updated_at"],
    )


def list_uploads(services: Services, query: UploadQuery) -> Listing[UploadSummary]:
    """Sessions still taking chunks, newest first."""
    page = page_of(services.multipart.list_active(), query.page, query.page_limit)
    return Listing[UploadSummary](
        data=[
            UploadSummary(
                upload_id=s["upload_id"],
                status=s["status"],
                total_size=s["total_size"],
                chunk_size=s["chunk_size"],
                total_chunks=s["total_chunks"],
                created_at=s["created_at"],
                expires_at=s["expires_at"],
            )
            for s in page.items
        ],
        page_info=page_info(page),
    )


# -- an asset's transcription ------------------------------------------------------------------


class TranscriptionEntry(Wire):
    start: float
    end: float
    value: str


class TranscriptionUtterance(TranscriptionEntry):
    speaker: str | None = None
    """Speakers are not told apart: always null."""


class AssetTranscription(Wire):
    """What is said in an asset: ``pending`` or ``processing`` while it is analysed (the first
    request starts that), then ``ready`` with the segmentations asked for, or ``failed``."""

    status: Literal["pending", "processing", "ready", "failed"]
    words: list[TranscriptionEntry] | None = None
    sentences: list[TranscriptionEntry] | None = None
    utterances: list[TranscriptionUtterance] | None = None
    error: dict[str, str] | None = None


INCLUDE = r"^[ ,]*(?:(?:words|sentences|utterances)(?:[ ,]+|$))*$"
"""What one ``include`` value may be: segmentations, separated by commas (or spaces)."""


def asset_transcription(
    services: Services, asset_id: str, include: list[str]
) -> AssetTranscription:
    """``GET /assets/{id}/transcription``: the first request has the asset analysed (once per
    content, in the hidden chat index, as a chat about it would); later ones report the
    analysis until it is ready, then read the words with their times, the sentences they make
    and each recognised phrase (as an utterance: speakers are not told apart)."""
    wanted = [p for given in include for p in re.split(r"[ ,]+", given) if p] or ["words"]
    record = _record(services, asset_id)
    library = services.library
    task: TaskRecord | None = None
    if (known := record["asset"].get("analysis_task")) is not None:
        try:
            task = library.get_task(str(known))
        except NotFound:  # its index was deleted: analysed again
            task = None
    if task is None:
        path = services.chat.files.path(asset_id)
        index_id = services.chat.media.index_id()
        task = library.submit_file(index_id, path, filename=str(record["filename"])).task
        services.chat.files.note_asset(asset_id, analysis_task=task.id)
    if task.status == "failed":
        return AssetTranscription(
            status="failed", error={"message": task.error_message or "the analysis failed"}
        )
    if task.status != "ready" or task.video_id is None:
        return AssetTranscription(status="processing" if task.status == "indexing" else "pending")
    from vidsense.language.sentences import segment_sentences

    said = library.store.segments(task.video_id, "transcript")
    out = AssetTranscription(status="ready")
    if "words" in wanted:
        out.words = [
            TranscriptionEntry(
                start=round(float(w["start"]), 3), end=round(float(w["end"]), 3),
                value=str(w["word"]).strip(),
            )
            for s in said for w in (s.data or {}).get("words") or [] if str(w["word"]).strip()
        ]  # fmt: skip
    if "sentences" in wanted:
        out.sentences = [
            TranscriptionEntry(start=round(x.start, 3), end=round(x.end, 3), value=x.text)
            for x in segment_sentences(said)
        ]
    if "utterances" in wanted:
        out.utterances = [
            TranscriptionUtterance(start=round(s.start, 3), end=round(s.end, 3), value=s.text)
            for s in said
        ]
    return out
