"""Skills and executions: ``skills upload|list|get|download``, ``execute``, ``executions
list|get``.

A skill is a folder with a ``SKILL.md`` (front matter ``name`` and ``description``, then the
instructions) and optional reference files (``schema.json``: the JSON schema the answer
follows). ``execute`` runs one over files (local files are uploaded; URLs are fetched by the
server) as a durable job; ``--wait`` follows it to its end. Like the library commands they
work against a server (``--server``) or in-process (the job then runs in this process, so
use ``--wait``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from vidsense.cli.app import JsonOpt, app, err, out, print_json, read_json_file
from vidsense.cli.library import KeyOpt, ServerOpt, _client

if TYPE_CHECKING:
    from vidsense.api.executions import ExecutionResponse
    from vidsense.api.skills import SkillInfo

skills_app = typer.Typer(help="Upload, list and download skills.", no_args_is_help=True)
app.add_typer(skills_app, name="skills")
executions_app = typer.Typer(help="List executions and follow one.", no_args_is_help=True)
app.add_typer(executions_app, name="executions")

WaitOpt = Annotated[bool, typer.Option("--wait", help="Wait until it completes or fails.")]


def _skill_row(table: Table, s: SkillInfo) -> None:
    table.add_row(s.id, s.name, s.skill_version, s.description, s.updated_at[:19])


@skills_app.command("upload")
def skills_upload(
    folder: Annotated[Path, typer.Argument(help="A skill folder (with SKILL.md) or its zip.")],
    name: Annotated[str | None, typer.Option(help="Default: the front matter's.")] = None,
    description: Annotated[str | None, typer.Option(help="Default: the front matter's.")] = None,
    update: Annotated[
        str | None,
        typer.Option("--update", help="Store it as a new version of this skill (id or name)."),
    ] = None,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store a skill (checked here first: SKILL.md, front matter, schemas, paths, size)."""
    with _client(server, api_key) as client:
        if update:
            skill = client.skills.update(update, folder, description=description)
        else:
            skill = client.skills.upload(folder, name=name, description=description)
    if as_json:
        print_json(skill.model_dump(mode="json"))
    else:
        out.print(f"{skill.id}  {skill.name}  version {skill.skill_version}")


@skills_app.command("list")
def skills_list(
    every_version: Annotated[
        bool, typer.Option("--all-versions", help="Every version, not only the latest.")
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List skills (the latest version of each, by name)."""
    with _client(server, api_key) as client:
        found = client.skills.list(
            limit=limit, order_by="name", descending=False, grouped=not every_version
        )
    if as_json:
        print_json([s.model_dump(mode="json") for s in found])
        return
    table = Table("id", "name", "version", "description", "updated")
    for s in found:
        _skill_row(table, s)
    out.print(table)


@skills_app.command("get")
def skills_get(
    skill: Annotated[str, typer.Argument(help="A skill's id or name.")],
    version: Annotated[str | None, typer.Option(help="Default: the latest.")] = None,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One skill version, with its schema."""
    with _client(server, api_key) as client:
        found = client.skills.get(skill, version)
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    out.print(f"{found.id}  {found.name}  version {found.skill_version}\n{found.description}")
    if found.json_schema is not None:
        out.print_json(json.dumps(found.json_schema))


@skills_app.command("download")
def skills_download(
    skill: Annotated[str, typer.Argument(help="A skill's id or name.")],
    to: Annotated[Path, typer.Option("--to", "-o", help="Where the zip is written.")],
    version: Annotated[str | None, typer.Option(help="Default: the latest.")] = None,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """Write a skill's bundle (a zip of its folder)."""
    with _client(server, api_key) as client:
        data = client.skills.download(skill, version)
    to.write_bytes(data)
    out.print(f"wrote {to} ({len(data)} bytes)")


# -- executions ----------------------------------------------------------------------------------


def _show(found: ExecutionResponse, as_json: bool) -> None:
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    out.print(f"{found.id}  {found.name}  [bold]{found.status}[/bold]  {found.progress:.0f}%")
    for item in found.inputs:
        label = item.get("filename") or item.get("url") or item.get("file_id") or ""
        out.print(f"  input {item.get('name')}: {item.get('kind')} {label}")
    for a in found.artifacts:
        out.print(f"  artifact {a.id} ({a.type}, {a.input}): {a.url}")
    if found.error is not None:
        out.print(f"  [red]{found.error.message}[/red] [{found.error.code}]")
    if found.response is not None:
        print_json(found.response)


def _wait(client: Any, execution_id: str, show: bool) -> ExecutionResponse:
    seen = [""]

    def report(found: ExecutionResponse) -> None:
        line = f"{found.status} {found.progress:.0f}%"
        if show and line != seen[0]:
            seen[0] = line
            err.print(f"{execution_id}: {line}")

    done: ExecutionResponse = client.executions.wait(execution_id, progress=report)
    return done


@app.command()
def execute(
    inputs: Annotated[
        list[str],
        typer.Option("--input", "-i", help="A file (uploaded) or a URL; repeat for several."),
    ],
    skill: Annotated[
        list[str] | None,
        typer.Option(
            "--skill", help="A skill folder (sent inline) or a stored skill's name[:version]."
        ),
    ] = None,
    prompt: Annotated[
        str | None, typer.Option(help="The task, with or instead of a skill.")
    ] = None,
    schema: Annotated[
        Path | None, typer.Option("--schema", help="A JSON schema file the answer follows.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A name for the execution.")] = None,
    wait: WaitOpt = False,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a skill (or a prompt and a schema) over files: queued as a durable job; with
    --wait, followed to its end and its JSON answer printed."""
    json_schema = read_json_file(schema, "invalid_schema") if schema is not None else None
    with _client(server, api_key) as client:
        started = client.executions.create(
            inputs, skills=skill or [], prompt=prompt, json_schema=json_schema, name=name
        )
        if not wait and client.in_process:
            err.print(
                "queued; in-process it runs while a command waits for it (vidsense executions "
                f"get {started.id} --wait) or `vidsense work` runs"
            )
        found = _wait(client, started.id, not as_json) if wait else started
    _show(found, as_json)
    if found.status == "failed":
        raise typer.Exit(1)


@executions_app.command("list")
def executions_list(
    status: Annotated[
        str | None,
        typer.Option(help="enqueued, pending, running, completed, failed or paused."),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 20,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List executions, newest first."""
    with _client(server, api_key) as client:
        found = client.executions.list(status=status, limit=limit)
    if as_json:
        print_json([e.model_dump(mode="json") for e in found])
        return
    table = Table("id", "name", "status", "progress", "inputs", "created")
    for e in found:
        table.add_row(
            e.id, e.name, e.status, f"{e.progress:.0f}%", str(len(e.inputs)), e.created_at[:19]
        )
    out.print(table)


@executions_app.command("get")
def executions_get(
    execution_id: Annotated[str, typer.Argument(help="An execution id (exec_...).")],
    wait: WaitOpt = False,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One execution: status, inputs, artifacts and its JSON answer."""
    with _client(server, api_key) as client:
        found = (
            _wait(client, execution_id, not as_json)
            if wait
            else client.executions.get(execution_id)
        )
    _show(found, as_json)
    if found.status == "failed":
        raise typer.Exit(1)
