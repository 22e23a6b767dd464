"""``/search`` (+ ``/search/{page_token}``), ``/classify(/bulk)`` (+ ``/classify/{page_token}``)
and ``/indexes/{id}/logos``: bodies are read into a :class:`~vidsense.api.wire.Form` (JSON,
url-encoded or multipart with uploads) and answered by :mod:`vidsense.api.search`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor

from vidsense.api import search as api
from vidsense.api.search import MAX_IMAGE_BYTES, ClassifyPage, Logo, Logos, SearchPage
from vidsense.server.deps import Svc, api_base
from vidsense.server.forms import read_form

router = APIRouter(tags=["search"])


class _PageToken(StringConvertor):
    """A classification's page token: any path segment but ``bulk`` (so that ``GET
    /classify/bulk`` is the wrong method for ``/classify/bulk``, not an unknown token)."""

    regex = "(?!bulk$)[^/]+"


register_url_convertor("page_token", _PageToken())
# Optional fields (visual_evidence, a class's clips and detailed scores) appear only when set:
# response_model_exclude_unset.


@router.post("/search", response_model_exclude_unset=True)
async def search(request: Request, svc: Svc) -> SearchPage:
    form = await read_form(request, MAX_IMAGE_BYTES)
    return await run_in_threadpool(api.search, svc, form, api_base(request))


@router.get("/search/{page_token}", response_model_exclude_unset=True)
def search_page(page_token: str, request: Request, svc: Svc) -> SearchPage:
    return api.next_page(svc, page_token, api_base(request))


@router.post("/classify", response_model_exclude_unset=True)
async def classify(request: Request, svc: Svc) -> ClassifyPage:
    form = await read_form(request, MAX_IMAGE_BYTES)
    return await run_in_threadpool(api.classify, svc, form, False, api_base(request))


@router.post("/classify/bulk", response_model_exclude_unset=True)
async def classify_bulk(request: Request, svc: Svc) -> ClassifyPage:
    form = await read_form(request, MAX_IMAGE_BYTES)
    return await run_in_threadpool(api.classify, svc, form, True, api_base(request))


@router.get("/classify/{page_token:page_token}", response_model_exclude_unset=True)
def classify_page(page_token: str, svc: Svc) -> ClassifyPage:
    return api.classify_next(svc, page_token)


@router.post("/indexes/{index_id}/logos", status_code=201)
async def add_logo(index_id: str, request: Request, svc: Svc) -> Logo:
    form = await read_form(request, MAX_IMAGE_BYTES)
    return await run_in_threadpool(api.add_logo, svc, index_id, form)


@router.get("/indexes/{index_id}/logos")
def list_logos(index_id: str, svc: Svc) -> Logos:
    return api.list_logos(svc, index_id)


@router.delete("/indexes/{index_id}/logos/{logo_id}", status_code=204)
def delete_logo(index_id: str, logo_id: str, svc: Svc) -> Response:
    api.delete_logo(svc, index_id, logo_id)
    return Response(status_code=204)
