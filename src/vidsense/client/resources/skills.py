"""``client.skills``: VLM Run-style skills (a folder with a ``SKILL.md``), stored and
versioned on the server."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vidsense.api.skills import (
    SkillCreateRequest,
    SkillInfo,
    SkillLookupRequest,
    SkillQuery,
    SkillUpdateRequest,
)
from vidsense.api.wire import validated
from vidsense.client._transport import Transport
from vidsense.skills import read_folder, read_zip_file


def _uploaded(transport: Transport, source: str | Path) -> str:
    """The file id of a skill folder (checked here, zipped) or a zip, uploaded."""
    path = Path(source).expanduser()
    if path.is_dir():
        bundle = read_folder(path)
        with tempfile.TemporaryDirectory(prefix="vidsense-skill-") as tmp:
            archive = Path(tmp) / f"{bundle.name}.zip"
            archive.write_bytes(bundle.to_zip())
            return transport.upload_file(archive, "assistants").id
    read_zip_file(path)  # refused here, before it is sent, as the server would refuse it
    return transport.upload_file(path, "assistants").id


class Skills:
    """``client.skills``: upload a folder (or zip), make one from a prompt, update, get, look
    up, list, download."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def upload(
        self, source: str | Path, *, name: str | None = None, description: str | None = None
    ) -> SkillInfo:
        """Store a skill folder (with its ``SKILL.md``) or a zip of one as a new skill
        (``name``/``description`` default to the front matter's). The same bundle under the
        same name again answers the stored skill; another bundle under a taken name is
        ``Conflict`` (``skill_exists``): use :meth:`update`."""
        body = {"file_id": _uploaded(self._t, source), "name": name, "description": description}
        return self._t.create_skill(validated(SkillCreateRequest, body))

    def create(
        self,
        prompt: str,
        json_schema: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> SkillInfo:
        """A skill written from a prompt (its instructions) and an optional JSON schema."""
        body = {
            "prompt": prompt,
            "json_schema": dict(json_schema) if json_schema is not None else None,
            "name": name,
            "description": description,
        }
        return self._t.create_skill(validated(SkillCreateRequest, body))

    def update(
        self,
        skill_id: str,
        source: str | Path | None = None,
        *,
        description: str | None = None,
    ) -> SkillInfo:
        """A new version of a skill from a folder or zip and/or a new description; callers
        pinned to an older version keep it."""
        file_id = _uploaded(self._t, source) if source is not None else None
        body = {"file_id": file_id, "description": description}
        return self._t.update_skill(skill_id, validated(SkillUpdateRequest, body))

    def get(self, skill_id: str, version: str | int | None = None) -> SkillInfo:
        """A skill by id or name, at ``version`` (default the latest)."""
        return self._t.get_skill(skill_id, str(version) if version is not None else None)

    def lookup(self, name: str, version: str | int | None = None) -> SkillInfo:
        body = {"name": name, "skill_version": version}
        return self._t.lookup_skill(validated(SkillLookupRequest, body))

    def list(
        self,
        *,
        limit: int = 25,
        offset: int = 0,
        order_by: str = "created_at",
        descending: bool = True,
        grouped: bool = False,
    ) -> list[SkillInfo]:
        """Skill versions (``grouped``: only each skill's latest), sorted by ``order_by``
        (created_at, updated_at, name)."""
        query = {
            "limit": limit,
            "offset": offset,
            "order_by": order_by,
            "descending": descending,
            "grouped": grouped,
        }
        return self._t.list_skills(validated(SkillQuery, query))

    def download(self, skill_id: str, version: str | int | None = None) -> bytes:
        """The zip of a skill (``version`` default the latest)."""
        found = self.get(skill_id, version)
        return self._t.skill_bundle(found.id, found.skill_version)
