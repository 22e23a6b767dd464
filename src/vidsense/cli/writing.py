"""Grounded writing commands: gist, summarize, ask, analyze-json.

``VIDEO`` is the id of an indexed video, or a file or URL: a file or URL is first added to an
index (``--index``, created when missing) and indexed, so one command answers about a new
video. Like the library commands they work against a server (``--server``) or in-process.
Every time printed comes from the video's evidence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from vidsense.cli.app import JsonOpt, app, err, out, print_json, read_json_file
from vidsense.cli.library import KeyOpt, ServerOpt, _client, _follow
from vidsense.errors import InvalidArgument, NotFound, from_code
from vidsense.times import mmss

if TYPE_CHECKING:
    from vidsense.client import Client

VideoArg = Annotated[str, typer.Argument(help="A video id, or a video file or URL to index first.")]
IndexOpt = Annotated[
    str, typer.Option("--index", help="Where a file or URL given as VIDEO is indexed.")
]
CiteOpt = Annotated[
    bool, typer.Option("--citations", help="Also print the evidence the answer used.")
]


def resolve_video(client: Client, video: str, index: str, show: bool) -> str:
    """The id of ``video``: itself when it names no file or URL, else the indexed copy."""
    from vidsense.media.source import is_url

    if not is_url(video) and not Path(video).expanduser().exists():
        return video
    try:
        found = client.indexes.find(index)
    except NotFound:
        found = client.indexes.create(index)
    if is_url(video):
        created = client.tasks.create(found.id, url=video)
    else:
        created = client.tasks.create(found.id, file=Path(video).expanduser())
    task = _follow(client, [(video, created)], show=show)[0]
    if task.status != "ready" or not task.video_id:
        error = task.error
        if error is None:
            raise InvalidArgument(f"{video} could not be indexed: {task.status}")
        raise from_code(error.code, f"{video} could not be indexed: {error.message}")
    return task.video_id


def _citations(result: dict[str, Any]) -> None:
    for c in result.get("citations", []):
        out.print(f"  [dim]{mmss(c['start'])}-{mmss(c['end'])} {c['type']}:[/dim] {c['text']}")


@app.command()
def gist(
    video: VideoArg,
    index: IndexOpt = "default",
    citations: CiteOpt = False,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Title, topics and hashtags of a video."""
    with _client(server, api_key) as client:
        video_id = resolve_video(client, video, index, show=not as_json)
        result = client.gist(video_id, citations=citations)
    if as_json:
        print_json(result)
        return
    out.print(f"[bold]{result.get('title', '')}[/bold]")
    out.print("topics:   " + ", ".join(result.get("topics", [])))
    out.print("hashtags: " + " ".join(result.get("hashtags", [])))
    _citations(result)


@app.command()
def summarize(
    video: VideoArg,
    type: Annotated[str, typer.Option("--type", help="summary, chapter or highlight.")] = "summary",
    prompt: Annotated[str | None, typer.Option(help="What the summary should focus on.")] = None,
    index: IndexOpt = "default",
    citations: CiteOpt = False,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A summary, the chapters or the highlights of a video."""
    with _client(server, api_key) as client:
        video_id = resolve_video(client, video, index, show=not as_json)
        result = client.summarize(video_id, type, prompt=prompt, citations=citations)
    if as_json:
        print_json(result)
        return
    if "summary" in result:
        out.print(result["summary"])
    elif "chapters" in result:
        table = Table("#", "start", "end", "title", "summary")
        for c in result["chapters"]:
            table.add_row(
                str(c["chapter_number"]),
                mmss(c["start_sec"]),
                mmss(c["end_sec"]),
                c["chapter_title"],
                c["chapter_summary"],
            )
        out.print(table)
    else:
        table = Table("start", "end", "highlight", "summary")
        for h in result["highlights"]:
            table.add_row(
                mmss(h["start_sec"]), mmss(h["end_sec"]), h["highlight"], h["highlight_summary"]
            )
        out.print(table)
    _citations(result)


@app.command()
def ask(
    video: VideoArg,
    question: Annotated[str, typer.Argument(help="What to ask about the video.")],
    index: IndexOpt = "default",
    citations: CiteOpt = False,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask a question about a video; the answer comes from what it says, shows and sounds."""
    with _client(server, api_key) as client:
        video_id = resolve_video(client, video, index, show=not as_json)
        result = client.ask(video_id, question, citations=citations)
    if as_json:
        print_json(result)
        return
    out.print(result["data"])
    _citations(result)


@app.command("analyze-json")
def analyze_json(
    video: VideoArg,
    schema: Annotated[Path, typer.Option("--schema", help="A JSON Schema file.")],
    prompt: Annotated[str, typer.Option(help="What to fill the schema with.")] = (
        "Fill the schema from the video."
    ),
    start: Annotated[float | None, typer.Option(help="Window start, seconds.")] = None,
    end: Annotated[float | None, typer.Option(help="Window end, seconds.")] = None,
    index: IndexOpt = "default",
    server: ServerOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """JSON that follows SCHEMA (times filled from evidence), printed to stdout."""
    loaded = read_json_file(schema, "invalid_schema")
    with _client(server, api_key) as client:
        video_id = resolve_video(client, video, index, show=True)
        result = client.analyze(video_id, prompt, schema=loaded, start_time=start, end_time=end)
    try:
        print_json(json.loads(result["data"]))
    except json.JSONDecodeError:
        err.print("the answer was not JSON")
        out.print(result["data"])
