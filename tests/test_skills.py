"""Skill bundles and stored skills: read from a zip, from the base64 zip the ``vlmrun`` SDK's
``AgentSkill.from_directory`` sends, or written from a prompt and a schema; versioned in the
store (SQLite and PostgreSQL); every bad bundle refused with a message naming the problem.
"""

from __future__ import annotations

import base64
import io
import json
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from vlmrun.client.skills import bundle_from_directory
from vlmrun.client.types import AgentSkill

from tests.database_support import DATABASES, database_url
from vidsense.errors import Conflict, InvalidArgument, NotFound
from vidsense.skills import (
    Limits,
    create_skill,
    from_prompt,
    get_skill,
    list_skills,
    load_bundle,
    lookup_skill,
    pin,
    read_base64,
    read_zip,
    resolve,
    unpin,
    update_skill,
)
from vidsense.skills.service import bundle_bytes
from vidsense.store import Store, open_store

PRICE_SCHEMA = {
    "type": "object",
    "properties": {"monthly_price": {"type": "string", "description": "per month"}},
    "required": ["monthly_price"],
}


def skill_md(
    name: str = "media-facts", description: str = "Facts from media", body: str = "Go."
) -> str:
    return f"---\nname: {name}\ndescription: {description}\n---\n\n{body}\n"


def make_zip(files: dict[str, str | bytes], *, links: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in links:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, content)
    return out.getvalue()


def skill_folder(root: Path) -> Path:
    folder = root / "media-facts"
    (folder / "resources").mkdir(parents=True)
    (folder / "examples").mkdir()
    (folder / "SKILL.md").write_text(skill_md(body="Report what is said and shown, per file."))
    (folder / "schema.json").write_text(json.dumps(PRICE_SCHEMA, indent=2))
    (folder / "resources" / "notes.md").write_text("Prices are per month, in dollars.\n")
    (folder / "examples" / "talk.json").write_text(json.dumps({"monthly_price": "$20"}))
    return folder


# -- reading bundles -----------------------------------------------------------------------------


def test_a_folder_sent_by_the_sdk_is_read_whole(tmp_path: Path) -> None:
    folder = skill_folder(tmp_path)
    ref = AgentSkill.from_directory(folder)  # the official client's inline bundle
    sent = ref.model_dump(exclude_none=True)
    assert sent["type"] == "inline" and sent["source"]["media_type"] == "application/zip"
    bundle = read_base64(sent["source"]["data"])
    assert (bundle.name, bundle.description) == ("media-facts", "Facts from media")
    assert bundle.instructions == "Report what is said and shown, per file."
    assert bundle.schema == PRICE_SCHEMA
    assert sorted(bundle.files) == [
        "SKILL.md", "examples/talk.json", "resources/notes.md", "schema.json",
    ]  # fmt: skip
    assert bundle.files["SKILL.md"] == (folder / "SKILL.md").read_bytes()
    assert list(bundle.references) == ["examples/talk.json", "resources/notes.md"]
    task = bundle.task()
    assert task.startswith("Report what is said and shown, per file.")
    assert "Reference file resources/notes.md:\nPrices are per month, in dollars." in task
    # The zip a bundle writes reads back as the same bundle, byte for byte the same each time.
    again = read_zip(bundle.to_zip())
    assert again == bundle and again.to_zip() == bundle.to_zip()


def test_a_zip_of_the_folder_itself_and_mac_junk_are_accepted() -> None:
    bundle = read_zip(
        make_zip(
            {
                "media-facts/SKILL.md": skill_md(),
                "media-facts/schema.json": json.dumps(PRICE_SCHEMA),
                "__MACOSX/media-facts/._SKILL.md": b"\x00\x05",
            }
        )
    )
    assert sorted(bundle.files) == ["SKILL.md", "schema.json"] and bundle.schema == PRICE_SCHEMA


BAD_BUNDLES: list[tuple[str, dict[str, str | bytes], tuple[str, ...], str]] = [
    ("no-skill-md", {"schema.json": json.dumps(PRICE_SCHEMA)}, (), "has no SKILL.md"),
    ("no-front-matter", {"SKILL.md": "no front matter here\n"}, (), "has no front matter"),
    ("front-matter-not-yaml", {"SKILL.md": "---\nname: [a\n---\nx"}, (), "is not valid YAML"),
    ("front-matter-a-list", {"SKILL.md": "---\n- a\n- b\n---\nx"}, (), "must be YAML fields"),
    ("no-name", {"SKILL.md": "---\ndescription: d\n---\nx"}, (), "front matter has no name"),
    ("no-description", {"SKILL.md": "---\nname: n\n---\nx"}, (), "has no description"),
    ("name-not-a-slug", {"SKILL.md": skill_md(name="Media Facts")}, (), "lower-case letters"),
    ("not-utf8", {"SKILL.md": b"---\nname: n\ndescription: caf\xe9\n---\n"}, (), "not UTF-8"),
    ("path-escape", {"SKILL.md": skill_md(), "../evil.txt": "x"}, (), "'../evil.txt'"),
    ("absolute-path", {"SKILL.md": skill_md(), "/etc/cron.d/x": "x"}, (), "leaves its folder"),
    ("drive-letter", {"SKILL.md": skill_md(), "C:/x.txt": "x"}, (), "leaves its folder"),
    ("backslash", {"SKILL.md": skill_md(), "a\\..\\..\\x": "x"}, (), "leaves its folder"),
    ("symlink", {"SKILL.md": skill_md(), "notes.md": "/etc/passwd"}, ("notes.md",), "symbolic"),
    (
        "invalid-schema",
        {"SKILL.md": skill_md(), "schema.json": json.dumps({"properties": {"a": {"type": 1}}})},
        (),
        "schema.json is not a valid JSON schema",
    ),
    ("schema-not-json", {"SKILL.md": skill_md(), "schema.json": "{nope"}, (), "is not JSON"),
    (
        "reference-schema-invalid",
        {"SKILL.md": skill_md(), "schemas/invoice.schema.json": json.dumps({"type": 7})},
        (),
        "schemas/invoice.schema.json is not a valid JSON schema",
    ),
    ("example-not-json", {"SKILL.md": skill_md(), "examples/a.json": "nope"}, (), "not JSON"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "links", "problem"),
    [b[1:] for b in BAD_BUNDLES],
    ids=[b[0] for b in BAD_BUNDLES],
)
def test_bad_bundles_are_refused_with_the_problem(
    files: dict[str, str | bytes], links: tuple[str, ...], problem: str
) -> None:
    with pytest.raises(InvalidArgument) as e:
        read_zip(make_zip(files, links=links), param="file_id")
    assert problem in e.value.message, e.value.message
    assert e.value.status == 400 and e.value.param == "file_id"
    inline = base64.b64encode(make_zip(files, links=links)).decode()
    with pytest.raises(InvalidArgument) as e:
        read_base64(inline, param="config.skills[0].source.data")
    assert problem in e.value.message and e.value.param == "config.skills[0].source.data"


def test_the_sdk_example_messages() -> None:
    """The four bad bundles of the SDK suite, with the words its test looks for."""
    cases = {
        "SKILL.md": {"schema.json": json.dumps(PRICE_SCHEMA)},
        "front matter": {"SKILL.md": "no front matter here\n"},
        "../": {"SKILL.md": "---\nname: escape\ndescription: x\n---\n", "../evil.txt": "x"},
        "schema": {
            "SKILL.md": "---\nname: bad-schema\ndescription: x\n---\n",
            "schema.json": json.dumps({"type": "object", "properties": {"a": {"type": "money"}}}),
        },
    }
    for words, files in cases.items():
        with pytest.raises(InvalidArgument) as e:
            read_zip(make_zip(dict(files)))
        assert words in e.value.message
    with pytest.raises(InvalidArgument) as e:
        read_zip(make_zip(cases["schema"]))
    assert e.value.code == "invalid_schema" and "'money'" in e.value.message


def test_size_limits_and_zip_bombs() -> None:
    small = Limits(zip_bytes=4096, total_bytes=10_000, file_bytes=6_000, files=3)
    with pytest.raises(InvalidArgument) as e:
        read_zip(b"PK" + bytes(5000), limits=small)
    assert (
        e.value.code == "skill_bundle_too_large" and "5002 bytes, at most 4096" in e.value.message
    )
    many = {"SKILL.md": skill_md(), **{f"n{i}.md": "x" for i in range(3)}}
    with pytest.raises(InvalidArgument) as e:
        read_zip(make_zip(many), limits=small)
    assert "holds 4 files; at most 3" in e.value.message
    # Zeros pack small: a few kilobytes of zip that would unpack to much more.
    bomb = make_zip({"SKILL.md": skill_md(), "zeros.txt": bytes(9_000)})
    assert len(bomb) < 4096
    with pytest.raises(InvalidArgument) as e:
        read_zip(bomb, limits=small)
    assert "the file 'zeros.txt' is over the limit" in e.value.message
    bombs = make_zip({"SKILL.md": skill_md(), "a.txt": bytes(5_900), "b.txt": bytes(5_900)})
    with pytest.raises(InvalidArgument) as e:
        read_zip(bombs, limits=small)
    assert "unpacked is over the limit" in e.value.message
    big = make_zip({"SKILL.md": skill_md(), "zeros.txt": bytes(40 * 1024**2)})
    with pytest.raises(InvalidArgument) as e:
        read_zip(big)  # the default limits: 32 MiB unpacked
    assert "unpacked is over the limit" in e.value.message
    with pytest.raises(InvalidArgument) as e:
        read_zip(b"not a zip at all")
    assert "not a zip file" in e.value.message
    with pytest.raises(InvalidArgument) as e:
        read_base64("@@@@")
    assert "not base64" in e.value.message


def test_a_skill_written_from_a_prompt() -> None:
    bundle = from_prompt(
        "Extract the monthly price of the plan from a product video. Quote it.", PRICE_SCHEMA
    )
    assert bundle.name == "extract-the-monthly-price-of-the"
    assert bundle.description == "Extract the monthly price of the plan from a product video."
    assert bundle.schema == PRICE_SCHEMA and bundle.instructions.endswith("Quote it.")
    named = from_prompt("Price: what does it cost?", None, name="price-only", description="P")
    assert (named.name, named.description, named.schema) == ("price-only", "P", None)
    assert read_zip(named.to_zip()) == named  # front matter written as YAML that reads back
    with pytest.raises(InvalidArgument) as e:
        from_prompt("x", {"type": "money"})
    assert (e.value.param, e.value.code) == ("json_schema", "invalid_schema")
    with pytest.raises(InvalidArgument) as e:
        from_prompt("x", name="Price Only")
    assert e.value.param == "name"
    with pytest.raises(InvalidArgument) as e:
        from_prompt("  ")
    assert e.value.param == "prompt"


# -- stored skills -------------------------------------------------------------------------------


@pytest.fixture(params=DATABASES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with database_url(request.param, tmp_path) as url:
        s = open_store(url, tmp_path / "blobs")
        yield s
        s.close()


def _bundle(description: str, body: str, schema: dict[str, Any] | None = PRICE_SCHEMA) -> Any:
    files = {"SKILL.md": skill_md("pinned", description, body)}
    if schema is not None:
        files["schema.json"] = json.dumps(schema)
    return read_zip(make_zip(dict(files)))


def test_versions_are_kept_and_pins_keep_theirs(store: Store, tmp_path: Path) -> None:
    v1 = create_skill(store, _bundle("First wording", "Give the price."))
    assert (v1.name, v1.version, v1.description) == ("pinned", 1, "First wording")
    assert create_skill(store, _bundle("First wording", "Give the price.")) == v1  # the same
    with pytest.raises(Conflict) as e:
        create_skill(store, _bundle("Other", "Other."))
    assert e.value.code == "skill_exists"
    pinned = pin(store, {"type": "skill_reference", "skill_id": v1.id})
    assert pinned == {"skill_id": v1.id, "version": 1}

    v2 = update_skill(store, v1.id, _bundle("Second wording", "Price only."), description="Second")
    assert (v2.id, v2.version, v2.description) == (v1.id, 2, "Second")
    v3 = update_skill(store, "pinned", description="Third")  # by name; the bundle is kept
    assert (v3.version, v3.description) == (3, "Third")
    assert load_bundle(store, v3).instructions == "Price only."

    assert unpin(store, pinned).bundle.instructions == "Give the price."  # the queued job's
    assert get_skill(store, v1.id, "1").description == "First wording"
    assert get_skill(store, v1.id, "latest") == v3
    assert get_skill(store, "pinned", 2) == v2  # VLM Run's skill_id may be a name
    assert lookup_skill(store, "pinned", "v1") == store.get_skill(v1.id, 1)
    assert lookup_skill(store, "pinned") == v3
    latest = resolve(store, {"skill_name": "pinned"})
    assert latest.record == v3 and latest.bundle.instructions == "Price only."
    old = resolve(store, {"type": "skill_reference", "skill_id": v1.id, "skill_version": "1"})
    assert old.bundle.instructions == "Give the price." and old.schema == PRICE_SCHEMA

    with pytest.raises(NotFound) as nf:
        get_skill(store, "skill-0000000000")
    assert nf.value.code == "skill_not_found" and "skill-0000000000" in nf.value.message
    with pytest.raises(NotFound) as nf:
        lookup_skill(store, "pinned", 9)
    assert "no version 9" in nf.value.message
    with pytest.raises(InvalidArgument) as bad:
        get_skill(store, v1.id, "two")
    assert bad.value.param == "skill_version"
    with pytest.raises(InvalidArgument):
        update_skill(store, v1.id)  # nothing new

    assert [(s.name, s.version) for s in list_skills(store)] == [
        ("pinned", 3), ("pinned", 2), ("pinned", 1),
    ]  # fmt: skip
    assert [(s.name, s.version) for s in list_skills(store, grouped=True)] == [("pinned", 3)]


def test_a_download_is_the_bundle_as_written(store: Store, tmp_path: Path) -> None:
    folder = skill_folder(tmp_path)
    record = create_skill(store, read_base64(bundle_from_directory(folder)))
    with zipfile.ZipFile(io.BytesIO(bundle_bytes(store, record))) as z:
        assert z.read("SKILL.md").decode() == (folder / "SKILL.md").read_text()
        assert json.loads(z.read("schema.json")) == PRICE_SCHEMA
        assert z.read("resources/notes.md") == (folder / "resources" / "notes.md").read_bytes()


def test_inline_skills_are_pinned_by_content(store: Store, tmp_path: Path) -> None:
    folder = skill_folder(tmp_path)
    ref = AgentSkill.from_directory(folder, name="facts-inline").model_dump(exclude_none=True)
    pinned = pin(store, ref, "config.skills[0]")
    assert pinned["inline"].startswith("skills/inline/") and pinned["name"] == "facts-inline"
    assert pin(store, ref) == pinned  # the same bundle is kept once
    skill = unpin(store, pinned)
    assert skill.record is None and skill.name == "facts-inline"
    assert skill.schema == PRICE_SCHEMA and "per file" in skill.bundle.instructions
    assert list_skills(store) == []  # inline skills are not stored skills
    legacy = {"type": "inline", "bundle": ref["source"]["data"]}
    assert resolve(store, legacy).bundle.name == "media-facts"
    for bad, param in [
        ({"type": "inline", "source": {"type": "url"}}, "config.skills[0].source.type"),
        ({"type": "inline", "source": {"data": "%%%"}}, "config.skills[0].source.data"),
        ({"type": "skill_reference"}, "config.skills[0].skill_id"),
        ({"type": "tool"}, "config.skills[0].type"),
    ]:  # fmt: skip
        with pytest.raises(InvalidArgument) as e:
            pin(store, bad, "config.skills[0]")
        assert e.value.param == param
