"""VLM Run's skills (:mod:`vidsense.api.skills`), in OpenAI's error envelope. The bundle route
opens with a key or with the signed URL ``/skills/{id}/download`` gives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor

from vidsense.api import skills as api
from vidsense.api.skills import (
    VERSION,
    VERSION_DOC,
    SkillCreateRequest,
    SkillDownload,
    SkillInfo,
    SkillLookupRequest,
    SkillQuery,
    SkillUpdateRequest,
)
from vidsense.server.deps import Svc, server_base


class SkillIdConvertor(Convertor[str]):
    """A skill's id (or name) in a path, but not the words of the routes beside it: so
    ``/skills/create`` and ``/skills/lookup`` are only POST routes (GET is 405)."""

    regex = r"(?!(?:create|lookup)$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("skill_id", SkillIdConvertor())
router = APIRouter(tags=["skills"])
# The version's own check names it (skill_version) and says what a version is.
VersionQ = Annotated[
    str | None, Query(description=VERSION_DOC, json_schema_extra={"pattern": VERSION})
]
VersionP = Annotated[str, Path(description=VERSION_DOC, json_schema_extra={"pattern": VERSION})]


@router.get("/skills")
def list_skills(svc: Svc, query: Annotated[SkillQuery, Depends()]) -> list[SkillInfo]:
    return api.list_all(svc, query)


@router.post("/skills/lookup")
def lookup_skill(body: SkillLookupRequest, svc: Svc) -> SkillInfo:
    return api.lookup(svc, body)


@router.post("/skills/create", status_code=201)
async def create_skill(body: SkillCreateRequest, svc: Svc) -> SkillInfo:
    return await run_in_threadpool(api.create, svc, body)


@router.get("/skills/{skill_id:skill_id}")
def get_skill(skill_id: str, svc: Svc, skill_version: VersionQ = None) -> SkillInfo:
    return api.get(svc, skill_id, skill_version)


@router.post("/skills/{skill_id}/update")
async def update_skill(skill_id: str, body: SkillUpdateRequest, svc: Svc) -> SkillInfo:
    return await run_in_threadpool(api.update, svc, skill_id, body)


@router.get("/skills/{skill_id}/download")
def download_skill(skill_id: str, request: Request, svc: Svc) -> SkillDownload:
    return api.download(svc, skill_id, server_base(request), request.app.state.signer)


@router.get("/skills/{skill_id}/versions/{version}/bundle.zip")
def skill_bundle(skill_id: str, version: VersionP, svc: Svc) -> Response:
    data, filename = api.bundle(svc, skill_id, version)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
