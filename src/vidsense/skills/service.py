"""Stored skills: create (from a bundle zip or a prompt + schema), update (a new version),
look up by id, name and version, list, download; and the skills a request names (VLM Run's
``AgentSkill``: a reference by id or name and version, or an inline base64 bundle) resolved
and pinned so that a queued job runs the version it was given.

Plain functions over what keeps skills (:class:`SkillStore`: a :class:`~vidsense.store.Store`,
or the :class:`~vidsense.library.Library` over one), for every face (HTTP routes, the CLI, the
client in-process). Versions are whole numbers counted from 1; the wire writes them as
strings (``"1"``), and ``"latest"`` (or none) means the newest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from vidsense.errors import InvalidArgument, NotFound
from vidsense.skills.bundle import NAME, SkillBundle, check_description, check_name, read_base64
from vidsense.skills.bundle import parse as parse_files
from vidsense.skills.bundle import unzip as unzip_bundle
from vidsense.store import BlobStore, SkillRecord
from vidsense.store.base import SkillSort

LATEST = "latest"
INLINE_PREFIX = "skills/inline/"
"""Where inline bundles of queued jobs are kept (by content hash), so a job's request stays
small and a restarted job reads the same bundle."""


class SkillStore(Protocol):
    """What keeps skills: their records (:class:`~vidsense.store.Store`'s skill methods) and
    the blobs their bundles live in."""

    @property
    def blobs(self) -> BlobStore: ...

    def create_skill(
        self, name: str, description: str, schema: Mapping[str, Any] | None, bundle: bytes
    ) -> SkillRecord: ...

    def add_skill_version(
        self, skill_id: str, description: str, schema: Mapping[str, Any] | None, bundle: bytes
    ) -> SkillRecord: ...

    def get_skill(self, skill_id: str, version: int | None = None) -> SkillRecord: ...

    def find_skill(self, name: str, version: int | None = None) -> SkillRecord: ...

    def list_skills(
        self,
        *,
        limit: int = 25,
        offset: int = 0,
        order_by: SkillSort = "created_at",
        descending: bool = True,
        latest_only: bool = False,
    ) -> list[SkillRecord]: ...


@dataclass(frozen=True)
class Skill:
    """A skill as a task uses it: its bundle, and its stored record (``None`` for an inline
    skill)."""

    bundle: SkillBundle
    record: SkillRecord | None = None

    @property
    def name(self) -> str:
        return self.record.name if self.record is not None else self.bundle.name

    @property
    def description(self) -> str:
        return self.record.description if self.record is not None else self.bundle.description

    @property
    def schema(self) -> dict[str, Any] | None:
        return self.bundle.schema


def parse_version(value: Any, param: str = "skill_version") -> int | None:
    """A version as requests send it (``"latest"``, none, ``3``, ``"3"``, ``"v3"``): its
    number, or ``None`` for the latest."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", LATEST)):
        return None
    text = str(value).strip().lower().removeprefix("v")
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise InvalidArgument(
            f"a skill version is a whole number from 1 or 'latest', got {value!r}", param=param
        )
    return int(text)


# -- the stored skills -------------------------------------------------------------------------


def create_skill(
    store: SkillStore,
    bundle: SkillBundle,
    *,
    name: str | None = None,
    description: str | None = None,
) -> SkillRecord:
    """Store a checked bundle as version 1 of a new skill named ``name`` (default: its front
    matter's), described by ``description`` (default: the front matter's).

    Sending the same bundle under the same name again returns the skill that has it;
    ``Conflict`` (``skill_exists``) when another skill has the name.
    """
    name = check_name(name if name is not None else bundle.name)
    description = check_description(description or bundle.description)
    data = bundle.to_zip()
    try:
        found = store.find_skill(name)
    except NotFound:
        found = None
    if (
        found is not None
        and found.sha256 == hashlib.sha256(data).hexdigest()
        and found.description == description
    ):
        return found
    return store.create_skill(name, description, bundle.schema, data)


def update_skill(
    store: SkillStore,
    skill_id: str,
    bundle: SkillBundle | None = None,
    *,
    description: str | None = None,
) -> SkillRecord:
    """Store a new version of a skill (its id or name): the new ``bundle`` (default: the
    latest version's) and ``description`` (default: the new bundle's front matter, else the
    latest version's). Older versions stay as they were."""
    current = get_skill(store, skill_id)
    if bundle is None:
        if description is None:
            raise InvalidArgument(
                "an update needs a new bundle (file_id) or a new description", param="file_id"
            )
        bundle = load_bundle(store, current)
        description = check_description(description)
    else:
        description = check_description(description or bundle.description)
    return store.add_skill_version(current.id, description, bundle.schema, bundle.to_zip())


def get_skill(store: SkillStore, skill_id: str, version: Any = None) -> SkillRecord:
    """A skill by id (or by name, as VLM Run's ``skill_id`` may be), at ``version`` (none or
    ``"latest"``: the newest); ``NotFound`` (``skill_not_found``) naming what was asked."""
    number = parse_version(version)
    if not isinstance(skill_id, str) or not skill_id:
        raise InvalidArgument("a skill id is required", param="skill_id")
    try:
        return store.get_skill(skill_id, number)
    except NotFound:
        if not NAME.match(skill_id):
            raise
    return store.find_skill(skill_id, number)


def lookup_skill(store: SkillStore, name: Any, version: Any = None) -> SkillRecord:
    """A skill by name at ``version`` (VLM Run's ``POST /skills/lookup``)."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument("a skill lookup needs a name", param="name")
    return store.find_skill(name.strip(), parse_version(version))


def list_skills(
    store: SkillStore,
    *,
    limit: int = 25,
    offset: int = 0,
    order_by: SkillSort = "created_at",
    descending: bool = True,
    grouped: bool = False,
) -> list[SkillRecord]:
    """Skills as ``skills.list`` asks: every version, or with ``grouped`` only the latest of
    each skill."""
    return store.list_skills(
        limit=limit, offset=offset, order_by=order_by, descending=descending, latest_only=grouped
    )


def bundle_bytes(store: SkillStore, record: SkillRecord) -> bytes:
    """The zip of a stored version (what a download serves)."""
    with store.blobs.open(record.bundle_key) as f:
        return f.read()


def load_bundle(store: SkillStore, record: SkillRecord) -> SkillBundle:
    """The bundle of a stored version (checked when it was stored)."""
    return parse_files(unzip_bundle(bundle_bytes(store, record)))


# -- skills named in requests ------------------------------------------------------------------


def _inline(ref: Mapping[str, Any], param: str) -> SkillBundle:
    source = ref.get("source")
    if isinstance(source, Mapping):
        if source.get("type", "base64") != "base64":
            raise InvalidArgument(
                f"an inline skill's source.type must be base64, got {source.get('type')!r}",
                param=f"{param}.source.type",
            )
        media_type = source.get("media_type", "application/zip")
        if media_type != "application/zip":
            raise InvalidArgument(
                f"an inline skill's source.media_type must be application/zip, got {media_type!r}",
                param=f"{param}.source.media_type",
            )
        return read_base64(source.get("data"), param=f"{param}.source.data")
    return read_base64(ref.get("bundle"), param=f"{param}.source.data")


def resolve(store: SkillStore, ref: Any, param: str = "skills[0]") -> Skill:
    """The skill an ``AgentSkill`` names: ``{type: "skill_reference", skill_id | skill_name,
    skill_version}`` (``skill_id`` may be a name; version ``"latest"`` by default) or
    ``{type: "inline", name, description, source: {type: "base64", media_type:
    "application/zip", data}}`` (checked like an upload; ``name``/``description`` override the
    front matter's)."""
    if not isinstance(ref, Mapping):
        raise InvalidArgument("a skill is an object (an AgentSkill)", param=param)
    kind = ref.get("type") or "skill_reference"
    if kind == "inline" or (kind != "skill_reference" and ref.get("source")):
        bundle = _inline(ref, param)
        name = ref.get("name")
        description = ref.get("description")
        if name or description:
            bundle = SkillBundle(
                check_name(name, f"{param}.name") if name else bundle.name,
                check_description(description, f"{param}.description")
                if description
                else bundle.description,
                bundle.instructions,
                bundle.schema,
                bundle.files,
            )
        return Skill(bundle)
    if kind != "skill_reference":
        raise InvalidArgument(
            f"a skill's type is skill_reference or inline, got {kind!r}", param=f"{param}.type"
        )
    key = ref.get("skill_id") or ref.get("skill_name")
    if not isinstance(key, str) or not key.strip():
        raise InvalidArgument(
            "a skill reference needs a skill_id or a skill_name", param=f"{param}.skill_id"
        )
    version = ref.get("skill_version") or ref.get("version")
    record = get_skill(store, key.strip(), version)
    return Skill(load_bundle(store, record), record)


def pin(store: SkillStore, ref: Any, param: str = "skills[0]") -> dict[str, Any]:
    """What a queued job keeps of a skill it was given: the stored skill's id and the version
    it resolved to now (an update while the job waits does not change what it runs), or an
    inline bundle kept by content hash. :func:`unpin` reads it back."""
    skill = resolve(store, ref, param)
    if skill.record is not None:
        return {"skill_id": skill.record.id, "version": skill.record.version}
    data = skill.bundle.to_zip()
    key = f"{INLINE_PREFIX}{hashlib.sha256(data).hexdigest()}.zip"
    if not store.blobs.exists(key):
        store.blobs.put_bytes(key, data)
    return {"inline": key, "name": skill.bundle.name, "description": skill.bundle.description}


def pinned_name(store: SkillStore, pinned: Mapping[str, Any]) -> str:
    """The name of a skill :func:`pin` kept (an inline bundle keeps its own; a stored skill's
    is looked up)."""
    if pinned.get("name"):
        return str(pinned["name"])
    return store.get_skill(str(pinned["skill_id"]), int(pinned["version"])).name


def unpin(store: SkillStore, pinned: Mapping[str, Any]) -> Skill:
    """The skill a job pinned with :func:`pin`."""
    if "inline" in pinned:
        with store.blobs.open(str(pinned["inline"])) as f:
            bundle = parse_files(unzip_bundle(f.read()))
        return Skill(
            SkillBundle(
                str(pinned.get("name") or bundle.name),
                str(pinned.get("description") or bundle.description),
                bundle.instructions,
                bundle.schema,
                bundle.files,
            )
        )
    record = store.get_skill(str(pinned["skill_id"]), int(pinned["version"]))
    return Skill(load_bundle(store, record), record)
