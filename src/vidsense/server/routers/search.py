"""``/search`` (+ ``/search/{page_token}``), ``/classify(/bulk)`` and ``/indexes/{id}/logos``.

Search bodies come as JSON (v1.2) or multipart/url-encoded forms (2026: repeatable
``search_options``, ``query_media_file`` uploads, ``filter`` as stringified JSON).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from vidsense.errors import InvalidArgument
from vidsense.library import Library
from vidsense.options import SEARCH_DEFAULT
from vidsense.search import (
    ImageQuery,
    ListPage,
    ResultPage,
    SearchFilter,
    SearchRequest,
    SearchService,
    VideoGroup,
)
from vidsense.search.base import MAX_PAGE_LIMIT
from vidsense.search.images import decode_image
from vidsense.server.deps import kept, library

router = APIRouter(tags=["search"])
Lib = Annotated[Library, Depends(library)]
MAX_IMAGE_BYTES = 20 << 20


def service(request: Request, lib: Lib) -> SearchService:
    """The app's :class:`SearchService`, made on first use."""
    return kept(request, "search", lib, lambda: SearchService(lib))


Svc = Annotated[SearchService, Depends(service)]


async def _body(request: Request) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """(fields, repeated values incl. uploads) of a JSON or form body."""
    kind = request.headers.get("content-type", "")
    if kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        many: dict[str, list[Any]] = {}
        for key, value in form.multi_items():
            many.setdefault(key, []).append(value)
        return {k: v[0] for k, v in many.items()}, many
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError as e:
        raise InvalidArgument(f"the body is not valid JSON ({e})") from e
    if not isinstance(body, dict):
        raise InvalidArgument("the body must be a JSON object")
    return body, {k: v if isinstance(v, list) else [v] for k, v in body.items()}


def _json_field(value: Any, name: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as e:
            raise InvalidArgument(f"{name} must be JSON: {e}") from e
    return value


def _options(many: dict[str, list[Any]], fields: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for value in many.get("search_options", []):
        value = _json_field(value, "search_options") if str(value).startswith("[") else value
        found.extend([str(v) for v in value] if isinstance(value, list) else [str(value)])
    return found or list(SEARCH_DEFAULT)


def _filter(value: Any) -> SearchFilter:
    if value in (None, ""):
        return SearchFilter()
    data = _json_field(value, "filter")
    if not isinstance(data, dict):
        raise InvalidArgument("filter must be a JSON object")
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
        raise InvalidArgument(f"filter has a value of the wrong type: {e}") from e


def _choice(fields: dict[str, Any], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = str(fields.get(name) or default).strip().lower()
    if value not in allowed:
        raise InvalidArgument(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


async def _images(
    lib: Library, fields: dict[str, Any], many: dict[str, list[Any]]
) -> tuple[ImageQuery, ...]:
    if str(fields.get("query_media_type") or "").lower() not in ("image",):
        if fields.get("query_media_type"):
            raise InvalidArgument("query_media_type must be image")
        return ()
    images: list[ImageQuery] = []
    for upload in many.get("query_media_file", []):
        if isinstance(upload, UploadFile):
            data = await upload.read(MAX_IMAGE_BYTES + 1)
            if len(data) > MAX_IMAGE_BYTES:
                raise InvalidArgument("query_media_file is larger than 20 MiB")
            images.append(ImageQuery(decode_image(data)))
    for url in many.get("query_media_url", []):
        from vidsense.media.source import fetch_url

        path = await run_in_threadpool(fetch_url, str(url), lib.settings)
        images.append(ImageQuery(decode_image(path.read_bytes())))
    if not images:
        raise InvalidArgument("query_media_type=image needs query_media_url or query_media_file")
    if len(images) > 10:
        raise InvalidArgument("at most 10 query images")
    return tuple(images)


def search_request(fields: dict[str, Any], many: dict[str, list[Any]]) -> SearchRequest:
    """The :class:`SearchRequest` of a search body's fields (JSON or form), without images."""
    index_id = fields.get("index_id")
    if not index_id:
        raise InvalidArgument("index_id is required")
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
    transcription = many.get("transcription_options")
    if transcription and [str(t) for t in transcription] == ["lexical"]:
        conversation = "exact_match"
    return SearchRequest(
        index_id=str(index_id),
        query=str(query),
        options=tuple(_options(many, fields)),
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


async def parse_search(request: Request, lib: Library) -> SearchRequest:
    fields, many = await _body(request)
    parsed = search_request(fields, many)
    return replace(parsed, images=await _images(lib, fields, many))


def _clip_out(clip: Any, rank: int, base: str, index_id: str) -> dict[str, Any]:
    text = next((m["text"] for m in clip.metadata if m.get("type") == "conversation"), None)
    return {
        "video_id": clip.video_id,
        "start": round(clip.start, 3),
        "end": round(clip.end, 3),
        "score": round(clip.score, 2),
        "confidence": clip.confidence,
        "rank": rank,
        "thumbnail_url": (
            f"{base}/indexes/{index_id}/videos/{clip.video_id}/thumbnail.jpg"
            f"?time={round(clip.start, 3)}"
        ),
        "metadata": list(clip.metadata),
        "module_confidence": clip.module_confidence,
        "transcription": text,
    }


def _base(request: Request) -> str:
    """The URL the API answers under (``http://host:port/v1``), for thumbnail links."""
    prefix = "/" + request.url.path.strip("/").split("/")[0]
    return str(request.base_url).rstrip("/") + prefix


def page_out(page: ResultPage, request: Request) -> dict[str, Any]:
    """The Twelve Labs search response for one page."""
    return page_body(page, _base(request))


def page_body(page: ResultPage, base: str) -> dict[str, Any]:
    """The Twelve Labs search response for one page; thumbnail links start with ``base``."""
    result = page.result
    index_id = result.request.index_id
    first = page.number * result.request.page_limit
    data: list[dict[str, Any]] = []
    for i, item in enumerate(page.items):
        if isinstance(item, VideoGroup):
            clips = [_clip_out(c, r, base, index_id) for r, c in enumerate(item.clips, 1)]
            data.append({"id": item.id, "rank": first + i + 1, "clips": clips})
        else:
            data.append(_clip_out(item, first + i + 1, base, index_id))
    return {
        "search_pool": {
            "total_count": result.total_count,
            "total_duration": result.total_duration,
            "index_id": index_id,
        },
        "data": data,
        "page_info": {
            "limit_per_page": result.request.page_limit,
            "total_results": len(result.items),
            "page_expired_at": page.expires_at_text,
            "page_expires_at": page.expires_at_text,
            "next_page_token": page.next_token,
            "prev_page_token": page.prev_token,
        },
        **({"visual_evidence": result.evidence["visual"]} if "visual" in result.evidence else {}),
    }


@router.post("/search")
async def search(request: Request, lib: Lib, svc: Svc) -> dict[str, Any]:
    query = await parse_search(request, lib)
    page = await run_in_threadpool(svc.search, query)
    return page_out(page, request)


@router.get("/search/{page_token}")
async def search_page(page_token: str, request: Request, svc: Svc) -> dict[str, Any]:
    return page_out(svc.page(page_token), request)


# -- classify --------------------------------------------------------------------------------


def _classes(value: Any) -> list[tuple[str, list[str]]]:
    value = _json_field(value, "classes")
    if not isinstance(value, list) or not value:
        raise InvalidArgument('classes must be a list like [{"name": "Sports", "prompts": [...]}]')
    found = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("prompts"), list):
            raise InvalidArgument(f"classes[{i}] needs a name and a list of prompts")
        found.append((str(item.get("name", "")), [str(p) for p in item["prompts"]]))
    return found


async def _classify(request: Request, lib: Library, svc: SearchService, bulk: bool) -> Any:
    fields, many = await _body(request)
    return await run_in_threadpool(classify_body, lib, svc, fields, many, bulk, _base(request))


def classify_body(
    lib: Library,
    svc: SearchService,
    fields: dict[str, Any],
    many: dict[str, list[Any]],
    bulk: bool,
    base: str,
) -> dict[str, Any]:
    """The ``/classify`` (``bulk``: ``/classify/bulk``) response to a body's fields."""
    if bulk:
        index_id = fields.get("index_id")
        if not index_id:
            raise InvalidArgument("index_id is required")
    else:
        ids = fields.get("video_ids")
        ids = _json_field(ids, "video_ids") if isinstance(ids, str) and ids[:1] == "[" else ids
        if not ids:
            raise InvalidArgument("video_ids is required")
    threshold = _json_field(fields.get("threshold") or {}, "threshold")
    if not isinstance(threshold, dict):
        raise InvalidArgument("threshold must be an object")
    options = [str(o) for o in many.get("options", [])] or None
    classes = _classes(fields.get("classes"))
    try:
        page_limit = int(fields.get("page_limit") or 10)
    except (TypeError, ValueError):
        raise InvalidArgument("page_limit must be a whole number") from None
    if not 1 <= page_limit <= MAX_PAGE_LIMIT:
        raise InvalidArgument(f"page_limit must be 1-{MAX_PAGE_LIMIT}, got {page_limit}")
    include_clips = str(fields.get("include_clips", False)).lower() in ("true", "1")
    detailed = str(fields.get("show_detailed_score", False)).lower() in ("true", "1")

    if bulk:
        videos = list(svc._pool(str(index_id), SearchFilter()).videos.values())
    else:
        wanted = ids if isinstance(ids, list) else [ids]
        videos = [lib.store.get_video(str(v)) for v in wanted]
    results = svc.classify(
        videos,
        classes,
        options=options,
        conversation_option=str(fields.get("conversation_option") or "semantic"),
        min_video_score=float(threshold.get("min_video_score", 0.0)),
        min_clip_score=float(threshold.get("min_clip_score", 30.0)),
        min_duration_ratio=float(threshold.get("min_duration_ratio", 0.0)),
    )
    data = []
    for video in results:
        if not video.classes:
            continue
        index_id = lib.store.get_video(video.video_id).index_id
        classes_out = []
        for cls in video.classes:
            entry: dict[str, Any] = {
                "name": cls.name,
                "score": cls.score,
                "duration_ratio": cls.duration_ratio,
            }
            if detailed:
                entry["detailed_scores"] = {
                    "max_score": cls.max_score,
                    "avg_score": cls.avg_score,
                    "normalized_score": cls.normalized_score,
                }
            if include_clips:
                entry["clips"] = [
                    {
                        **{k: v for k, v in _clip_out(c, r, base, index_id).items() if k in _CK},
                        "option": option,
                        "prompt": prompt,
                    }
                    for r, (c, option, prompt) in enumerate(cls.clips, 1)
                ]
            classes_out.append(entry)
        data.append({"video_id": video.video_id, "classes": classes_out})
    return classify_page_body(svc.list_pages.first_page(data, page_limit))


def classify_page_body(page: ListPage) -> dict[str, Any]:
    """One page of a ``/classify`` answer; ``next_page_token`` (while more videos remain)
    resolves with ``GET /classify/{page_token}``, as the Twelve Labs SDK's
    ``classify.by_page_token`` does."""
    return {
        "data": page.items,
        "page_info": {
            "limit_per_page": page.page_limit,
            "total_results": page.total,
            "page": page.number + 1,
            "total_page": page.total_pages,
            "page_expires_at": page.expires_at_text,
            "next_page_token": page.next_token,
            "prev_page_token": page.prev_token,
        },
    }


_CK = ("start", "end", "score", "thumbnail_url", "confidence")


@router.post("/classify")
async def classify(request: Request, lib: Lib, svc: Svc) -> Any:
    return await _classify(request, lib, svc, bulk=False)


@router.post("/classify/bulk")
async def classify_bulk(request: Request, lib: Lib, svc: Svc) -> Any:
    return await _classify(request, lib, svc, bulk=True)


@router.get("/classify/{page_token}")
def classify_page(page_token: str, svc: Svc) -> dict[str, Any]:
    return classify_page_body(svc.list_pages.page(page_token))


# -- logos -----------------------------------------------------------------------------------


def _logo_out(logo: Any) -> dict[str, Any]:
    return {"_id": logo.id, "id": logo.id, "name": logo.name, "created_at": logo.created_at}


@router.post("/indexes/{index_id}/logos", status_code=201)
async def add_logo(index_id: str, request: Request, lib: Lib) -> dict[str, Any]:
    form = await request.form()
    name, upload = form.get("name"), form.get("file")
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument("name is required (the brand name)")
    if not isinstance(upload, UploadFile):
        raise InvalidArgument("file is required (a JPEG or PNG of the logo)")
    data = await upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidArgument("file is larger than 20 MiB")
    decode_image(data)  # refuse what is not an image before storing anything
    ext = (upload.filename or "logo.png").rsplit(".", 1)[-1]
    logo = await run_in_threadpool(lib.store.add_logo, index_id, name, data, ext)
    return _logo_out(logo)


@router.get("/indexes/{index_id}/logos")
def list_logos(index_id: str, lib: Lib) -> dict[str, Any]:
    return {"data": [_logo_out(logo) for logo in lib.store.list_logos(index_id)]}


@router.delete("/indexes/{index_id}/logos/{logo_id}", status_code=204)
def delete_logo(index_id: str, logo_id: str, lib: Lib) -> Response:
    lib.store.delete_logo(index_id, logo_id)
    return Response(status_code=204)
