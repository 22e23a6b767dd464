"""VLM Run's skills: ``GET /v1/skills``, ``POST /v1/skills/lookup``, ``GET /v1/skills/{id}``,
``POST /v1/skills/create`` (a zip uploaded to ``/v1/files``, named by ``file_id``, or a
``prompt`` and ``json_schema``), ``POST /v1/skills/{id}/update`` (a new version; callers pinned
to a version keep it), ``GET /v1/skills/{id}/download`` (a signed URL to the bundle zip, which
``GET /v1/skills/{id}/versions/{version}/bundle.zip`` serves).

Answers are the ``vlmrun`` SDK's ``SkillInfo`` (``skill_version`` a string, ``"1"`` upward)
plus the skill's ``json_schema``, bundle ``size`` and ``sha256``; lists are bare JSON arrays,
as the SDK reads them. Bundles are checked by :mod:`vidsense.skills` before anything is kept.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vidsense.api.limits import MAX_SKIP
from vidsense.api.services import Services
from vidsense.api.wire import NOT_BLANK, Wire, one_of_fields
from vidsense.errors import InvalidArgument
from vidsense.signing import UrlSigner
from vidsense.skills import (
    SkillBundle,
    bundle_bytes,
    create_skill,
    from_prompt,
    get_skill,
    list_skills,
    lookup_skill,
    read_zip_file,
    update_skill,
)
from vidsense.skills.bundle import MAX_DESCRIPTION, MAX_NAME, NAME
from vidsense.store import SkillRecord

DOWNLOAD_SECONDS = 3600
"""How long a skill's download URL stays valid (seconds)."""

# -- requests ------------------------------------------------------------------------------------

VERSION = r"^([Ll][Aa][Tt][Ee][Ss][Tt]|[Vv]?0*[1-9][0-9]{0,8})?$"
"""A skill version as requests write it: ``latest`` (or blank), or a whole number from 1 (``3``,
``v3``).
The document states it; :func:`vidsense.skills.parse_version` checks it, naming the field."""
VERSION_DOC = "a whole number from 1 (3 or v3), or latest (the default)"
Version = Annotated[
    str | int,
    Field(
        description=VERSION_DOC,
        json_schema_extra={"pattern": VERSION, "minimum": 1, "maximum": 999_999_999},
    ),
]
# Checked where the skill is made (with messages that say what a name is), stated here.
_NAME: dict[str, Any] = {"pattern": NAME.pattern, "maxLength": MAX_NAME}
_DESCRIPTION: dict[str, Any] = {"pattern": f"^$|{NOT_BLANK}", "maxLength": MAX_DESCRIPTION}
"""Blank: the bundle's own description."""


class SkillCreateRequest(BaseModel):
    """``POST /v1/skills/create``: a bundle zip uploaded to ``/v1/files`` (``file_id``), or a
    ``prompt`` (its instructions) and an optional ``json_schema``."""

    model_config = ConfigDict(extra="allow", json_schema_extra=one_of_fields("file_id", "prompt"))

    file_id: str | None = Field(default=None, min_length=1)
    prompt: str | None = None
    json_schema: dict[str, Any] | None = None
    session_id: str | None = None
    name: str | None = Field(
        default=None, description="default: the SKILL.md front matter's", json_schema_extra=_NAME
    )
    description: str | None = Field(default=None, json_schema_extra=_DESCRIPTION)


class SkillUpdateRequest(BaseModel):
    """``POST /v1/skills/{id}/update``: a new bundle (``file_id``) and/or description."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra=one_of_fields("file_id", "description")
    )

    file_id: str | None = Field(default=None, min_length=1)
    description: str | None = Field(
        default=None,
        min_length=1,
        json_schema_extra={"pattern": NOT_BLANK, "maxLength": MAX_DESCRIPTION},
    )


class SkillLookupRequest(BaseModel):
    """``POST /v1/skills/lookup``: a skill by name, at ``skill_version`` (default latest)."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(json_schema_extra={"pattern": NOT_BLANK})
    skill_version: Version | None = None
    version: Version | None = Field(default=None, description="deprecated: skill_version")


class SkillQuery(BaseModel):
    """``GET /v1/skills``: every version, or with ``grouped`` each skill's latest."""

    limit: int = Field(default=25, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=MAX_SKIP)
    order_by: Literal["created_at", "updated_at", "name"] = "created_at"
    descending: bool = True
    grouped: bool = False


# -- responses -----------------------------------------------------------------------------------


class SkillInfo(Wire):
    """One version of a skill (VLM Run's ``SkillInfo``); times ISO 8601 UTC."""

    id: str
    name: str
    description: str
    skill_version: str
    created_at: str
    updated_at: str
    status: str = "completed"
    is_public: bool = False
    json_schema: dict[str, Any] | None = None
    size: int = Field(description="bytes of the bundle zip")
    sha256: str


class SkillDownload(Wire):
    """Where the bundle zip can be fetched without a key, for ``expires_in`` seconds."""

    download_url: str
    expires_in: int | None


def skill_info(record: SkillRecord) -> SkillInfo:
    return SkillInfo(
        id=record.id,
        name=record.name,
        description=record.description,
        skill_version=str(record.version),
        created_at=record.created_at,
        updated_at=record.updated_at,
        json_schema=record.schema,
        size=record.size,
        sha256=record.sha256,
    )


# -- calls ---------------------------------------------------------------------------------------


def _uploaded_bundle(services: Services, file_id: str) -> SkillBundle:
    """The checked bundle in an uploaded zip (``file_not_found``; bundle problems name
    ``file_id``)."""
    return read_zip_file(services.chat.files.path(file_id), param="file_id")


def list_all(services: Services, query: SkillQuery) -> list[SkillInfo]:
    found = list_skills(
        services.library,
        limit=query.limit,
        offset=query.offset,
        order_by=query.order_by,
        descending=query.descending,
        grouped=query.grouped,
    )
    return [skill_info(r) for r in found]


def get(services: Services, skill_id: str, version: str | None = None) -> SkillInfo:
    """A skill by id (or name) at ``version`` (default latest); ``skill_not_found``."""
    return skill_info(get_skill(services.library, skill_id, version))


def lookup(services: Services, body: SkillLookupRequest) -> SkillInfo:
    return skill_info(lookup_skill(services.library, body.name, body.skill_version or body.version))


def create(services: Services, body: SkillCreateRequest) -> SkillInfo:
    """Store a new skill from an uploaded zip or a prompt; the same bundle under the same
    name again answers the skill that has it."""
    if body.file_id:
        bundle = _uploaded_bundle(services, body.file_id)
    elif body.prompt is not None:
        bundle = from_prompt(
            body.prompt, body.json_schema, name=body.name, description=body.description
        )
    elif body.session_id:
        raise InvalidArgument(
            "skills are not made from chat sessions here: send file_id (a zip of the skill "
            "folder) or prompt (+ json_schema)",
            param="session_id",
        )
    else:
        raise InvalidArgument(
            "a skill needs file_id (a zip of the skill folder uploaded to /v1/files) or a "
            "prompt (+ json_schema)",
            param="file_id",
        )
    record = create_skill(services.library, bundle, name=body.name, description=body.description)
    return skill_info(record)


def update(services: Services, skill_id: str, body: SkillUpdateRequest) -> SkillInfo:
    bundle = _uploaded_bundle(services, body.file_id) if body.file_id else None
    return skill_info(
        update_skill(services.library, skill_id, bundle, description=body.description)
    )


def bundle_path(skill_id: str, version: int) -> str:
    """The URL path that serves one version's bundle zip."""
    return f"/v1/skills/{skill_id}/versions/{version}/bundle.zip"


def download(
    services: Services, skill_id: str, server_base: str, signer: UrlSigner | None
) -> SkillDownload:
    """A URL to the latest version's zip, signed (when the server has keys) so that it opens
    without one for :data:`DOWNLOAD_SECONDS`."""
    record = get_skill(services.library, skill_id)
    path = bundle_path(record.id, record.version)
    url = server_base.rstrip("/") + path
    if signer is None:
        return SkillDownload(download_url=url, expires_in=None)
    return SkillDownload(
        download_url=f"{url}?{signer.sign(path, DOWNLOAD_SECONDS)}", expires_in=DOWNLOAD_SECONDS
    )


def bundle(services: Services, skill_id: str, version: str) -> tuple[bytes, str]:
    """``(zip bytes, file name)`` of one version of a skill."""
    record = get_skill(services.library, skill_id, version)
    return bundle_bytes(services.library, record), f"{record.name}-v{record.version}.zip"
