"""``/indexes/{id}/people`` (faces grouped into people, for indexes with the ``faces`` option)
and ``/indexes/{id}/videos/{vid}/similar``, answered by :mod:`vidsense.api.people`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor

from vidsense.api import people as api
from vidsense.api.people import (
    MAX_FACE_IMAGE_BYTES,
    People,
    PersonMatches,
    PersonOut,
    PersonUpdate,
    SimilarVideos,
)
from vidsense.server.deps import Svc, api_base
from vidsense.server.forms import read_form

router = APIRouter(tags=["people"])


class _PersonId(StringConvertor):
    """A person id: any path segment but ``search`` and ``regroup`` (so that a GET there is
    the wrong method for those routes, not an unknown person)."""

    regex = "(?!(?:search|regroup)$)[^/]+"


register_url_convertor("person_id", _PersonId())
PEOPLE = "/indexes/{index_id}/people"
PERSON = PEOPLE + "/{person_id:person_id}"


@router.get(PEOPLE)
def list_people(index_id: str, request: Request, svc: Svc) -> People:
    return api.list_people(svc, index_id, api_base(request))


@router.post(PEOPLE + "/search")
async def find_person(index_id: str, request: Request, svc: Svc) -> PersonMatches:
    form = await read_form(request, MAX_FACE_IMAGE_BYTES)
    return await run_in_threadpool(api.find_person, svc, index_id, form, api_base(request))


@router.post(PEOPLE + "/regroup")
def regroup_people(index_id: str, request: Request, svc: Svc) -> People:
    return api.regroup_people(svc, index_id, api_base(request))


@router.get(PERSON)
def get_person(index_id: str, person_id: str, request: Request, svc: Svc) -> PersonOut:
    return api.get_person(svc, index_id, person_id, api_base(request))


@router.get(PERSON + "/thumbnail.jpg")
def person_thumbnail(index_id: str, person_id: str, svc: Svc) -> Response:
    data = api.person_thumbnail(svc, index_id, person_id)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "max-age=60"})


@router.patch(PERSON)
def rename_person(
    index_id: str, person_id: str, body: PersonUpdate, request: Request, svc: Svc
) -> PersonOut:
    return api.rename_person(svc, index_id, person_id, body, api_base(request))


@router.delete(PERSON, status_code=204)
def delete_person(index_id: str, person_id: str, svc: Svc) -> Response:
    api.delete_person(svc, index_id, person_id)
    return Response(status_code=204)


@router.get("/indexes/{index_id}/videos/{video_id}/similar")
def similar_videos(
    index_id: str,
    video_id: str,
    svc: Svc,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SimilarVideos:
    return api.similar_videos(svc, index_id, video_id, limit)
