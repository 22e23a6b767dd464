"""Search commands: search, classify.

Like the library commands, they work against a running server (``--server URL`` or
``VIDSENSE_SERVER``) or, without one, in-process on the embedded store in the data folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from vidsense.cli.app import JsonOpt, app, out, print_json
from vidsense.cli.library import KeyOpt, ServerOpt, _client
from vidsense.errors import InvalidArgument, NotFound
from vidsense.options import SEARCH_DEFAULT
from vidsense.times import mmss

if TYPE_CHECKING:
    from vidsense.client import Client

TEXT_WIDTH = 60

OptionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--option",
        help="visual, conversation, text_in_video, logo, audio (repeat; default: visual and "
        "conversation where the index has them).",
    ),
]


def _short(text: str, width: int = TEXT_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _names(client: Client, index_id: str, video_ids: list[str]) -> dict[str, str]:
    """Each video's filename (its id when it has none or is gone)."""
    names: dict[str, str] = {}
    for video_id in dict.fromkeys(video_ids):
        try:
            names[video_id] = client.videos.get(index_id, video_id).metadata.filename or video_id
        except NotFound:
            names[video_id] = video_id
    return names


@app.command()
def search(
    index: Annotated[str, typer.Argument(help="Index name or id.")],
    query: Annotated[
        str, typer.Argument(help="What to look for (may be left out with --image).")
    ] = "",
    option: OptionOpt = None,
    exact: Annotated[
        bool, typer.Option("--exact", help="Match the spoken words exactly (a phrase search).")
    ] = False,
    group_by: Annotated[
        str, typer.Option("--group-by", help="clip (moments) or video (moments per video).")
    ] = "clip",
    threshold: Annotated[
        str, typer.Option(help="Lowest confidence kept: high, medium, low or none.")
    ] = "low",
    limit: Annotated[int, typer.Option("--limit", help="Results per page (1-50).")] = 10,
    image: Annotated[
        Path | None, typer.Option("--image", help="Find moments that look like this image.")
    ] = None,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search an index for moments that match a text query or an image."""
    from vidsense.api.search import VideoHits

    with _client(server, api_key) as client:
        found = client.indexes.find(index)
        options = option or None
        if options is None:
            wanted = ("visual",) if image is not None and not query.strip() else SEARCH_DEFAULT
            options = [o for o in wanted if o in found.options] or list(found.options)
        page = client.search(
            found.id,
            query,
            options=options,
            conversation_option="exact_match" if exact else "semantic",
            group_by=group_by,
            threshold=threshold,
            page_limit=limit,
            image=image,
        )
        if as_json:
            print_json(page.model_dump(mode="json", by_alias=True))
            return
        names = _names(client, found.id, [h.video_id for h in page.hits])
    table = Table("rank", "video", "time", "score", "confidence", "matched")
    for item in page.data:
        rows = (
            [(f"{item.rank}.{c.rank}", c) for c in item.clips]
            if isinstance(item, VideoHits)
            else [(str(item.rank), item)]
        )
        for rank, hit in rows:
            table.add_row(
                rank,
                names.get(hit.video_id, hit.video_id),
                f"{mmss(hit.start)}-{mmss(hit.end)}",
                f"{hit.score:.1f}",
                hit.confidence,
                _short(hit.text),
            )
    if not page.data:
        out.print(f"no matches in {page.search_pool.total_count} videos")
        return
    out.print(table)


def parse_class(value: str) -> tuple[str, list[str]]:
    """``"Sports=playing soccer,basketball"`` -> ``("Sports", ["playing soccer", ...])``."""
    name, sep, rest = value.partition("=")
    prompts = [p.strip() for p in rest.split(",") if p.strip()]
    if not sep or not name.strip() or not prompts:
        raise InvalidArgument(f"--class must look like 'NAME=prompt,prompt', got {value!r}")
    return name.strip(), prompts


@app.command()
def classify(
    index: Annotated[str, typer.Argument(help="Index name or id.")],
    classes: Annotated[
        list[str],
        typer.Option(
            "--class", help="A class and its prompts: 'Sports=playing soccer,basketball' (repeat)."
        ),
    ],
    video: Annotated[
        list[str] | None,
        typer.Option("--video", help="Classify only this video id (repeat; default: all)."),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="Options to search the prompts with (repeat; default: visual, conversation "
            "and text_in_video where the index has them).",
        ),
    ] = None,
    clips: Annotated[
        bool, typer.Option("--clips", help="Show the moments that put a video in a class.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", help="Videos to show at most.")] = 50,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sort the videos of an index into classes described by prompts."""
    parsed = [parse_class(c) for c in classes]
    with _client(server, api_key) as client:
        found = client.indexes.find(index)
        for video_id in video or []:
            client.videos.get(found.id, video_id)  # NotFound when not in this index
        result = client.classify(
            parsed,
            video_ids=video or None,
            index_id=found.id,
            options=option or None,
            include_clips=clips,
            page_limit=limit,
        )
        if as_json:
            print_json(result.model_dump(mode="json", by_alias=True))
            return
        names = _names(client, found.id, [v.video_id for v in result.data])
    if not result.data:
        out.print("no video matches any class")
        return
    table = Table("video", "class", "score", "coverage", *(["moments"] if clips else []))
    for entry in result.data:
        for cls in entry.classes:
            row = [
                names.get(entry.video_id, entry.video_id),
                cls.name,
                f"{cls.score:.1f}",
                f"{cls.duration_ratio:.0%}",
            ]
            if clips:
                row.append(
                    "\n".join(
                        f"{mmss(c.start)}-{mmss(c.end)} {c.prompt!r} ({c.option})"
                        for c in cls.clips or []
                    )
                )
            table.add_row(*row)
    out.print(table)
