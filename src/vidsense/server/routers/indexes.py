"""``/indexes``: create, list, get, rename, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from vidsense.api import indexes as api
from vidsense.api.indexes import Index, IndexCreate, IndexQuery, IndexUpdate
from vidsense.api.wire import Listing
from vidsense.server.deps import Svc

router = APIRouter(tags=["indexes"])


@router.post("/indexes", status_code=201)
def create_index(body: IndexCreate, svc: Svc) -> Index:
    return api.create_index(svc, body)


@router.get("/indexes")
def list_indexes(svc: Svc, query: Annotated[IndexQuery, Query()]) -> Listing[Index]:
    return api.list_indexes(svc, query)


@router.get("/indexes/{index_id}")
def get_index(index_id: str, svc: Svc) -> Index:
    return api.get_index(svc, index_id)


@router.put("/indexes/{index_id}")
def rename_index(index_id: str, body: IndexUpdate, svc: Svc) -> Index:
    return api.rename_index(svc, index_id, body)


@router.delete("/indexes/{index_id}", status_code=204)
def delete_index(index_id: str, svc: Svc) -> Response:
    api.delete_index(svc, index_id)
    return Response(status_code=204)
