"""``/assets`` and ``/indexes/{index_id}/indexed-assets`` (:mod:`vidsense.api.assets`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor

from vidsense.api import assets as api
from vidsense.api.assets import (
    Asset,
    AssetMetadata,
    AssetQuery,
    AssetTranscription,
    ChunkReport,
    ChunkReportOut,
    IndexedAsset,
    IndexedAssetCreate,
    IndexedAssetCreated,
    IndexedAssetQuery,
    UploadCreate,
    UploadCreated,
    UploadQuery,
    UploadStatus,
    UploadSummary,
    UrlsOut,
    UrlsRequest,
)
from vidsense.api.indexes import VideoUpdate, delete_video, update_video
from vidsense.api.wire import Listing
from vidsense.server.deps import Svc, api_base, server_base

router = APIRouter(tags=["assets"])
public_router = APIRouter(tags=["assets"])
"""Chunk PUTs: their URLs are signed with their upload session's own secret (no API key)."""
INDEXED = "/indexes/{index_id}/indexed-assets"
UPLOADS = "/assets/multipart-uploads"


class _AssetId(StringConvertor):
    """An asset id: any path segment but ``multipart-uploads`` (so that ``DELETE
    /assets/multipart-uploads`` is the wrong method there, not an unknown asset)."""

    regex = "(?!multipart-uploads$)[^/]+"


register_url_convertor("asset_id", _AssetId())


@router.post("/assets", status_code=201)
async def create_asset(
    svc: Svc,
    method: Annotated[Literal["direct", "url"], Form()] = "direct",
    file: Annotated[UploadFile | None, File()] = None,
    url: Annotated[str | None, Form()] = None,
    filename: Annotated[str | None, Form()] = None,
    user_metadata: Annotated[str | None, Form()] = None,
) -> Asset:
    return await run_in_threadpool(
        api.create_asset,
        svc,
        method,
        file=file.file if file is not None else None,
        filename=filename or (file.filename if file is not None else None),
        url=url,
        user_metadata=user_metadata,
    )


# Multipart uploads (an asset id never takes their path segment: see _AssetId).


@router.post(UPLOADS, status_code=201)
def create_upload(body: UploadCreate, svc: Svc, request: Request) -> UploadCreated:
    return api.create_upload(svc, body, server_base(request))


@router.get(UPLOADS)
def list_uploads(svc: Svc, query: Annotated[UploadQuery, Query()]) -> Listing[UploadSummary]:
    return api.list_uploads(svc, query)


@router.get(UPLOADS + "/{upload_id}")
def upload_status(upload_id: str, svc: Svc, query: Annotated[UploadQuery, Query()]) -> UploadStatus:
    return api.upload_status(svc, upload_id, query)


@router.post(UPLOADS + "/{upload_id}")
async def report_chunks(
    upload_id: str, body: ChunkReport, svc: Svc, request: Request
) -> ChunkReportOut:
    """The report that completes the upload joins the chunks into the asset."""
    return await run_in_threadpool(api.report_chunks, svc, upload_id, body, api_base(request))


@router.post(UPLOADS + "/{upload_id}/presigned-urls")
def upload_urls(upload_id: str, body: UrlsRequest, svc: Svc, request: Request) -> UrlsOut:
    return api.upload_urls(svc, upload_id, body, server_base(request))


@public_router.put(UPLOADS + "/{upload_id}/chunks/{chunk_index}", include_in_schema=False)
async def put_chunk(upload_id: str, chunk_index: int, svc: Svc, request: Request) -> Response:
    """One chunk's bytes, to the signed URL its session gave; answers its ``ETag``."""
    query = request.query_params
    etag = await svc.multipart.receive(
        upload_id,
        chunk_index,
        request.url.path,
        query.get("expires"),
        query.get("signature"),
        request.stream(),
    )
    return Response(status_code=200, headers={"ETag": f'"{etag}"'})


@router.get("/assets")
def list_assets(svc: Svc, query: Annotated[AssetQuery, Query()]) -> Listing[Asset]:
    return api.list_assets(svc, query)


@router.get("/assets/{asset_id:asset_id}")
def get_asset(asset_id: str, svc: Svc) -> Asset:
    return api.get_asset(svc, asset_id)


@router.get("/assets/{asset_id}/transcription", response_model_exclude_none=True)
async def asset_transcription(
    asset_id: str,
    svc: Svc,
    include: Annotated[
        list[Annotated[str, Query(pattern=api.INCLUDE)]] | None,
        Query(description="words, sentences, utterances (repeated, or comma-separated)"),
    ] = None,
) -> AssetTranscription:
    return await run_in_threadpool(api.asset_transcription, svc, asset_id, include or [])


@router.delete("/assets/{asset_id:asset_id}", status_code=204)
def delete_asset(asset_id: str, svc: Svc) -> Response:
    api.delete_asset(svc, asset_id)
    return Response(status_code=204)


@router.put("/assets/{asset_id}/user-metadata", status_code=204)
def replace_asset_metadata(asset_id: str, body: AssetMetadata, svc: Svc) -> Response:
    api.set_asset_metadata(svc, asset_id, body, merge=False)
    return Response(status_code=204)


@router.patch("/assets/{asset_id}/user-metadata", status_code=204)
def update_asset_metadata(asset_id: str, body: AssetMetadata, svc: Svc) -> Response:
    api.set_asset_metadata(svc, asset_id, body, merge=True)
    return Response(status_code=204)


@router.delete("/assets/{asset_id}/user-metadata", status_code=204)
def delete_asset_metadata(asset_id: str, svc: Svc) -> Response:
    api.set_asset_metadata(svc, asset_id, None, merge=False)
    return Response(status_code=204)


@router.post(INDEXED, status_code=201)
async def index_asset(index_id: str, body: IndexedAssetCreate, svc: Svc) -> IndexedAssetCreated:
    return await run_in_threadpool(api.index_asset, svc, index_id, body)


@router.get(INDEXED)
def list_indexed_assets(
    index_id: str, svc: Svc, query: Annotated[IndexedAssetQuery, Query()]
) -> Listing[IndexedAsset]:
    return api.list_indexed_assets(svc, index_id, query)


@router.patch(INDEXED + "/{indexed_asset_id}", status_code=204)
def update_indexed_asset(
    index_id: str, indexed_asset_id: str, body: VideoUpdate, svc: Svc
) -> Response:
    """An indexed asset is its video: its user metadata changes as the video's does."""
    update_video(svc, index_id, indexed_asset_id, body)
    return Response(status_code=204)


@router.delete(INDEXED + "/{indexed_asset_id}", status_code=204)
def delete_indexed_asset(index_id: str, indexed_asset_id: str, svc: Svc) -> Response:
    """An indexed asset is its video: deleting it deletes the video (the asset stays)."""
    delete_video(svc, index_id, indexed_asset_id)
    return Response(status_code=204)


@router.get(INDEXED + "/{indexed_asset_id}")
def get_indexed_asset(
    index_id: str, indexed_asset_id: str, svc: Svc, transcription: bool = False
) -> IndexedAsset:
    return api.get_indexed_asset(svc, index_id, indexed_asset_id, transcription)
