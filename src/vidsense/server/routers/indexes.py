"""``/indexes``: create, list, get, rename, delete."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from vidsense.library import Library
from vidsense.server.deps import library
from vidsense.server.protocol import (
    Index,
    IndexCreate,
    IndexUpdate,
    Listing,
    index_out,
    listing,
)

router = APIRouter(tags=["indexes"])
Lib = Annotated[Library, Depends(library)]
PageQ = Annotated[int, Query(ge=1)]
LimitQ = Annotated[int, Query(ge=1, le=50)]
SortQ = Annotated[Literal["asc", "desc"], Query()]


@router.post("/indexes", status_code=201)
def create_index(body: IndexCreate, lib: Lib) -> Index:
    index = lib.create_index(
        body.index_name,
        engines=[e.model_dump() for e in body.engines] if body.engines is not None else None,
        models=[m.model_dump() for m in body.models] if body.models is not None else None,
        addons=body.addons,
    )
    return index_out(index)


@router.get("/indexes")
def list_indexes(
    lib: Lib,
    page: PageQ = 1,
    page_limit: LimitQ = 10,
    sort_by: Literal["created_at", "updated_at", "index_name"] = "created_at",
    sort_option: SortQ = "desc",
) -> Listing[Index]:
    found = lib.list_indexes(
        page=page, page_limit=page_limit, sort_by=sort_by, sort_option=sort_option
    )
    return listing([index_out(i) for i in found.items], found)


@router.get("/indexes/{index_id}")
def get_index(index_id: str, lib: Lib) -> Index:
    return index_out(lib.get_index(index_id))


@router.put("/indexes/{index_id}")
def rename_index(index_id: str, body: IndexUpdate, lib: Lib) -> Index:
    return index_out(lib.rename_index(index_id, body.index_name))


@router.delete("/indexes/{index_id}", status_code=204)
def delete_index(index_id: str, lib: Lib) -> Response:
    lib.delete_index(index_id)
    return Response(status_code=204)
