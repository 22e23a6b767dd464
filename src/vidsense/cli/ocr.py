"""On-screen text commands: ocr."""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.table import Table

from vidsense.cli.app import (
    JsonOpt,
    SourceArg,
    app,
    local_source,
    out,
    print_json,
    progress_bar,
    settings,
)
from vidsense.errors import InvalidArgument
from vidsense.times import mmss


@app.command()
def ocr(
    source: SourceArg,
    every: Annotated[
        float, typer.Option(help="Read a frame every S seconds (plus one per shot).")
    ] = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Text shown on screen, with the time range (seconds) and place (pixels) it was seen."""
    from vidsense.perception.ocr import read_video_text

    if not (math.isfinite(every) and every > 0):
        raise InvalidArgument(f"--every takes a positive number of seconds, not {every}")
    config = settings()
    path = local_source(source, config)
    with progress_bar("ocr", not as_json) as progress:
        sightings = read_video_text(path, config, every=every, progress=progress)
    if as_json:
        print_json([s.to_dict() for s in sightings])
        return
    table = Table("start", "end", "text", "box (x, y, w, h)", "conf")
    for s in sightings:
        table.add_row(
            mmss(s.start, ms=True),
            mmss(s.end, ms=True),
            s.text,
            ", ".join(str(v) for v in s.box),
            f"{s.confidence:.2f}",
        )
    out.print(table)
