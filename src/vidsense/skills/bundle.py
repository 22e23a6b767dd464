"""Skill bundles: a folder with a ``SKILL.md`` and optional reference files, read from a zip.

A bundle is what VLM Run calls a skill (and what ``AgentSkill.from_directory`` of the
``vlmrun`` SDK zips): ``SKILL.md`` starts with YAML front matter between ``---`` lines holding
``name`` (a slug: lower-case letters, digits and single hyphens, at most 64 characters) and
``description``; the prose after it is the instructions. Beside it may sit ``schema.json``
(the JSON Schema the answer follows), examples, notes and other reference files, in folders
too::

    media-facts/
        SKILL.md            ---\\nname: media-facts\\ndescription: ...\\n---\\nFor every file, ...
        schema.json
        examples/talk.json
        notes.md

:func:`read_zip` checks a zip before anything is kept: it must hold ``SKILL.md`` (UTF-8, with
valid front matter) at its top or inside one top folder; no path may leave the folder (``..``
parts, absolute paths, drive letters, backslashes, symbolic links), and the zip must stay
within :class:`Limits` (its size, the number of files, the bytes they unpack to: a zip bomb is
stopped while it is read, whatever sizes it declares). ``schema.json`` and every JSON file
named like a schema must be valid JSON Schema (:func:`vidsense.language.schema.check`); every
other ``.json`` must be JSON. Each problem is an ``InvalidArgument`` naming the request field
it came in (``param``) and saying what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidsense.errors import InvalidArgument

SKILL_FILE = "SKILL.md"
SCHEMA_FILE = "schema.json"
NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""What a skill name looks like (a slug)."""
MAX_NAME = 64
MAX_DESCRIPTION = 1024
_FRONT = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_JUNK = ("__MACOSX/", ".DS_Store")
_TEXT_SUFFIXES = (".md", ".txt", ".json", ".yaml", ".yml", ".csv", ".tsv", ".xml", ".html")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Limits:
    """How big a bundle may be. Sizes in bytes."""

    zip_bytes: int = 8 * 1024**2
    """The zip itself (or the base64 it travels in, decoded)."""
    total_bytes: int = 32 * 1024**2
    """All files unpacked."""
    file_bytes: int = 16 * 1024**2
    """One file unpacked."""
    files: int = 256
    """Files in the bundle."""
    skill_md_bytes: int = 256 * 1024
    """``SKILL.md``."""


LIMITS = Limits()


@dataclass(frozen=True)
class SkillBundle:
    """A checked skill: its front matter, instructions, schema and every file by its path.

    ``files`` holds the bytes of every file (``SKILL.md`` included) by its ``/``-separated path
    inside the bundle.
    """

    name: str
    description: str
    instructions: str
    schema: dict[str, Any] | None
    files: Mapping[str, bytes] = field(repr=False)

    @property
    def references(self) -> dict[str, str]:
        """The reference files that are text (notes, examples, schemas), by path, in path
        order; ``SKILL.md`` and ``schema.json`` are not among them."""
        out: dict[str, str] = {}
        for path in sorted(self.files):
            if path in (SKILL_FILE, SCHEMA_FILE) or not path.lower().endswith(_TEXT_SUFFIXES):
                continue
            try:
                out[path] = self.files[path].decode("utf-8")
            except UnicodeDecodeError:
                continue
        return out

    def task(self, max_chars: int = 6000) -> str:
        """What the skill asks, for a writer: the instructions, then the text reference files
        (each named; cut at ``max_chars`` characters in all)."""
        parts = [self.instructions.strip() or self.description]
        room = max_chars - len(parts[0])
        for path, text in self.references.items():
            block = f"Reference file {path}:\n{text.strip()}"
            if len(block) > room:
                if room > 200:
                    parts.append(block[:room] + " ...")
                break
            parts.append(block)
            room -= len(block)
        return "\n\n".join(p for p in parts if p)

    def to_zip(self) -> bytes:
        """The bundle as a zip (files in path order, fixed times: the same bundle gives the
        same bytes)."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(self.files):
                info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, self.files[path])
        return out.getvalue()


def check_name(name: Any, param: str = "name") -> str:
    """``name`` if it is a skill name (a slug of at most 64 characters)."""
    if not isinstance(name, str) or not NAME.match(name) or len(name) > MAX_NAME:
        raise InvalidArgument(
            f"a skill name is 1-{MAX_NAME} lower-case letters, digits and single hyphens "
            f"(like media-facts), got {name!r}",
            param=param,
        )
    return name


def check_description(description: Any, param: str = "description") -> str:
    if not isinstance(description, str) or not description.strip():
        raise InvalidArgument("a skill needs a non-empty description", param=param)
    if len(description) > MAX_DESCRIPTION:
        raise InvalidArgument(
            f"a skill's description is at most {MAX_DESCRIPTION} characters, got "
            f"{len(description)}",
            param=param,
        )
    return description.strip()


def _refuse(message: str, param: str, code: str = "invalid_skill_bundle") -> InvalidArgument:
    return InvalidArgument(message, code=code, param=param)


def _check_path(name: str, info: zipfile.ZipInfo, param: str) -> None:
    leaves = (
        name.startswith(("/", "\\"))
        or re.match(r"^[A-Za-z]:", name) is not None
        or "\\" in name
        or "\x00" in name
        or any(part in ("", ".", "..") for part in name.rstrip("/").split("/"))
    )
    if leaves:
        raise _refuse(
            f"the bundle holds the path {name!r}, which leaves its folder: paths must stay "
            "inside the bundle (no '../' parts, no absolute paths or drive letters, no '\\')",
            param,
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise _refuse(
            f"the bundle holds {name!r}, a symbolic link: bundles hold plain files only", param
        )
    if info.flag_bits & 0x1:
        raise _refuse(f"the bundle's file {name!r} is encrypted; send it unencrypted", param)


def _too_big(what: str, size: int, most: int, param: str) -> InvalidArgument:
    return _refuse(
        f"{what} is over the limit: {size} bytes, at most {most}", param, "skill_bundle_too_large"
    )


def unzip(data: bytes, *, param: str = "file", limits: Limits = LIMITS) -> dict[str, bytes]:
    """The files of a bundle zip by path (a single top folder holding ``SKILL.md`` taken off),
    checked as the module docstring says."""
    if len(data) > limits.zip_bytes:
        raise _too_big("the skill bundle", len(data), limits.zip_bytes, param)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as e:
        raise _refuse(f"the skill bundle is not a zip file ({e})", param) from e
    with archive:
        infos = [
            i
            for i in archive.infolist()
            if not i.is_dir() and not any(j in i.filename for j in _JUNK)
        ]
        if len(infos) > limits.files:
            raise _refuse(
                f"the skill bundle holds {len(infos)} files; at most {limits.files}",
                param,
                "skill_bundle_too_large",
            )
        for info in infos:
            _check_path(info.filename, info, param)
        declared = sum(i.file_size for i in infos)
        if declared > limits.total_bytes:
            raise _too_big("the skill bundle unpacked", declared, limits.total_bytes, param)
        files: dict[str, bytes] = {}
        total = 0
        for info in infos:
            if info.filename in files:
                raise _refuse(f"the bundle holds {info.filename!r} twice", param)
            # Read no more than the limits allow, whatever the zip declares (a zip bomb lies).
            most = min(limits.file_bytes, limits.total_bytes - total)
            try:
                with archive.open(info) as f:
                    content = f.read(most + 1)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as e:
                raise _refuse(
                    f"the bundle's file {info.filename!r} cannot be read: {e}", param
                ) from e
            if len(content) > most:
                if most == limits.file_bytes:
                    raise _too_big(f"the file {info.filename!r}", len(content), most, param)
                raise _too_big("the skill bundle unpacked", total + len(content), most, param)
            total += len(content)
            files[info.filename] = content
    if SKILL_FILE not in files:
        tops = {path.split("/", 1)[0] for path in files}
        if len(tops) == 1 and all("/" in p for p in files):
            top = tops.pop() + "/"
            if top + SKILL_FILE in files:
                files = {path[len(top) :]: content for path, content in files.items()}
    if SKILL_FILE not in files:
        found = ", ".join(sorted(files)[:8]) or "nothing"
        raise _refuse(
            f"the skill bundle has no {SKILL_FILE} at its top (it holds {found}); a skill is a "
            f"folder with a {SKILL_FILE} whose front matter gives name and description",
            param,
        )
    return files


def parse(
    files: Mapping[str, bytes], *, param: str = "file", limits: Limits = LIMITS
) -> SkillBundle:
    """A bundle from its files (``SKILL.md`` and the reference files), checked."""
    raw = files.get(SKILL_FILE)
    if raw is None:
        raise _refuse(f"the skill bundle has no {SKILL_FILE}", param)
    if len(raw) > limits.skill_md_bytes:
        raise _too_big(SKILL_FILE, len(raw), limits.skill_md_bytes, param)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _refuse(
            f"{SKILL_FILE} is not UTF-8 text (byte {e.start} cannot be read)", param
        ) from e
    front = _FRONT.match(text)
    if front is None:
        raise _refuse(
            f"{SKILL_FILE} has no front matter: it must start with a YAML block between '---' "
            "lines giving name and description",
            param,
        )
    import yaml

    try:
        meta = yaml.safe_load(front.group(1))
    except yaml.YAMLError as e:
        raise _refuse(f"{SKILL_FILE}'s front matter is not valid YAML: {e}", param) from e
    if not isinstance(meta, dict):
        raise _refuse(
            f"{SKILL_FILE}'s front matter must be YAML fields (name: ..., description: ...)",
            param,
        )
    for key in ("name", "description"):
        if meta.get(key) in (None, ""):
            raise _refuse(f"{SKILL_FILE}'s front matter has no {key}", param)
    try:
        name = check_name(meta["name"], param)
        description = check_description(meta["description"], param)
    except InvalidArgument as e:
        raise _refuse(f"{SKILL_FILE}'s front matter: {e.message}", param) from e
    schema = None
    for path, content in files.items():
        if not path.lower().endswith(".json"):
            continue
        try:
            value = json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise _refuse(f"the bundle's {path} is not JSON: {e}", param) from e
        if path == SCHEMA_FILE or "schema" in path.lower().rsplit("/", 1)[-1]:
            from vidsense.language.schema import check

            try:
                check(value)
            except InvalidArgument as e:
                raise InvalidArgument(
                    f"the bundle's {path} is not a valid JSON schema: {e.message}",
                    code="invalid_schema",
                    param=param,
                ) from e
            if path == SCHEMA_FILE:
                schema = value
    return SkillBundle(name, description, text[front.end() :].strip(), schema, dict(files))


def read_zip(data: bytes, *, param: str = "file", limits: Limits = LIMITS) -> SkillBundle:
    """A checked bundle from a zip (the bytes of an uploaded file)."""
    return parse(unzip(data, param=param, limits=limits), param=param, limits=limits)


def read_zip_file(path: Path, *, param: str = "file", limits: Limits = LIMITS) -> SkillBundle:
    """A checked bundle from a zip file (an upload), refused by its size before it is read."""
    size = path.stat().st_size
    if size > limits.zip_bytes:
        raise _too_big("the skill bundle", size, limits.zip_bytes, param)
    return read_zip(path.read_bytes(), param=param, limits=limits)


def read_folder(folder: Path, *, limits: Limits = LIMITS) -> SkillBundle:
    """A checked bundle from a skill folder on disk (every file under it, hidden ones and
    symbolic links left out), as ``AgentSkill.from_directory`` would zip it."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise InvalidArgument(f"{folder} is not a folder (a skill is a folder with a SKILL.md)")
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_symlink() or not path.is_file() or relative.parts[0].startswith("."):
            continue
        total += path.stat().st_size
        if len(files) >= limits.files or total > limits.total_bytes:
            raise _too_big(f"the skill folder {folder}", total, limits.total_bytes, "folder")
        files[relative.as_posix()] = path.read_bytes()
    return parse(files, param="folder", limits=limits)


def read_base64(data: Any, *, param: str = "source.data", limits: Limits = LIMITS) -> SkillBundle:
    """A checked bundle from the base64 zip that ``AgentSkill.from_directory`` sends."""
    if not isinstance(data, str) or not data.strip():
        raise _refuse("an inline skill needs its bundle as a base64 zip", param)
    if len(data) > limits.zip_bytes * 4 // 3 + 4:
        raise _too_big("the skill bundle", len(data) * 3 // 4, limits.zip_bytes, param)
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as e:
        raise _refuse(f"the inline skill's bundle is not base64: {e}", param) from e
    return read_zip(raw, param=param, limits=limits)


def from_prompt(
    prompt: Any,
    json_schema: Any = None,
    *,
    name: str | None = None,
    description: str | None = None,
) -> SkillBundle:
    """A bundle written from a prompt (its instructions) and an optional JSON schema: a
    ``SKILL.md`` with front matter (``name`` given or made from the prompt's first words,
    ``description`` given or the prompt's first sentence) and ``schema.json``."""
    import yaml

    from vidsense.language.schema import check

    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidArgument("a skill made from a prompt needs a non-empty prompt", param="prompt")
    prompt = prompt.strip()
    if json_schema is not None:
        try:
            check(json_schema)
        except InvalidArgument as e:
            e.param = "json_schema"
            raise
    words = re.findall(r"[a-z0-9]+", prompt.lower())
    made = "-".join(words[:6])[:MAX_NAME].strip("-") or "skill"
    name = check_name(name if name is not None else made)
    first = re.split(r"(?<=[.!?])\s", prompt, maxsplit=1)[0]
    description = check_description(description or first[:MAX_DESCRIPTION])
    front = yaml.safe_dump(
        {"name": name, "description": description}, sort_keys=False, allow_unicode=True
    )
    files = {SKILL_FILE: f"---\n{front}---\n\n{prompt}\n".encode()}
    if json_schema is not None:
        files[SCHEMA_FILE] = (json.dumps(json_schema, indent=2, ensure_ascii=False) + "\n").encode()
    return parse(files, param="prompt")
