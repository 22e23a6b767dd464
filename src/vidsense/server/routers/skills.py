"""VLM Run's skills (:mod:`vidsense.api.skills`), in OpenAI's error envelope. The bundle route
opens with a key or with the signed URL ``/skills/{id}/download`` gives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from vidsense.api import skills as api
from vidsense.api.skills import (
    SkillCreateRequest,
    SkillDownload,
    SkillInfo,
    SkillLookupRequest,
    SkillQuery,
    SkillUpdateRequest,
)
from vidsense.server.deps import Svc, server_base

router = APIRouter(tags=["skills"])


@router.get("/skills")
def list_skills(svc: Svc, query: Annotated[SkillQuery, Depends()]) -> list[SkillInfo]:
    return api.list_all(svc, query)


@router.post("/skills/lookup")
def lookup_skill(body: SkillLookupRequest, svc: Svc) -> SkillInfo:
    return api.lookup(svc, body)


@router.post("/skills/create", status_code=201)
async def create_skill(body: SkillCreateRequest, svc: Svc) -> SkillInfo:
    return await run_in_threadpool(api.create, svc, body)


@router.get("/skills/{skill_id}")
def get_skill(skill_id: str, svc: Svc, skill_version: str | None = None) -> SkillInfo:
    return api.get(svc, skill_id, skill_version)


@router.post("/skills/{skill_id}/update")
async def update_skill(skill_id: str, body: SkillUpdateRequest, svc: Svc) -> SkillInfo:
    return await run_in_threadpool(api.update, svc, skill_id, body)


@router.get("/skills/{skill_id}/download")
def download_skill(skill_id: str, request: Request, svc: Svc) -> SkillDownload:
    return api.download(svc, skill_id, server_base(request), request.app.state.signer)


@router.get("/skills/{skill_id}/versions/{version}/bundle.zip")
def skill_bundle(skill_id: str, version: str, svc: Svc) -> Response:
    data, filename = api.bundle(svc, skill_id, version)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
