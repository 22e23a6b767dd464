"""``/assets`` and ``/indexes/{index_id}/indexed-assets`` (:mod:`vidsense.api.assets`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from vidsense.api import assets as api
from vidsense.api.assets import (
    Asset,
    AssetQuery,
    IndexedAsset,
    IndexedAssetCreate,
    IndexedAssetCreated,
    IndexedAssetQuery,
)
from vidsense.api.indexes import VideoUpdate, update_video
from vidsense.api.wire import Listing
from vidsense.server.deps import Svc

router = APIRouter(tags=["assets"])
INDEXED = "/indexes/{index_id}/indexed-assets"


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


@router.get("/assets")
def list_assets(svc: Svc, query: Annotated[AssetQuery, Query()]) -> Listing[Asset]:
    return api.list_assets(svc, query)


@router.get("/assets/{asset_id}")
def get_asset(asset_id: str, svc: Svc) -> Asset:
    return api.get_asset(svc, asset_id)


@router.delete("/assets/{asset_id}", status_code=204)
def delete_asset(asset_id: str, svc: Svc) -> Response:
    api.delete_asset(svc, asset_id)
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


@router.get(INDEXED + "/{indexed_asset_id}")
def get_indexed_asset(
    index_id: str, indexed_asset_id: str, svc: Svc, transcription: bool = False
) -> IndexedAsset:
    return api.get_indexed_asset(svc, index_id, indexed_asset_id, transcription)
