"""Speech commands: transcribe."""

from __future__ import annotations

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
def transcribe(
    source: SourceArg,
    language: Annotated[
        str | None,
        typer.Option(help="Spoken language as an ISO 639-1 code (e.g. en); detected if left out."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """What is said, with start and end times (seconds) per phrase and per word."""
    from vidsense.perception.speech import transcribe_file

    if language is not None and not (language.isalpha() and 2 <= len(language) <= 3):
        raise InvalidArgument(f"--language takes a code like en or de, not {language!r}")
    config = settings()
    path = local_source(source, config)
    with progress_bar("transcribe", not as_json) as progress:
        transcript = transcribe_file(
            path, config, language=language.lower() if language else None, progress=progress
        )
    if as_json:
        print_json(transcript.to_dict())
        return
    if transcript.note:
        out.print(f"[dim]{transcript.note}[/]")
    if not transcript.segments:
        return
    out.print(
        f"language: {transcript.language or 'unknown'}"
        + (
            f" ({transcript.language_probability:.2f})"
            if transcript.language_probability is not None
            else ""
        )
    )
    table = Table("start", "end", "text")
    for seg in transcript.segments:
        table.add_row(mmss(seg.start, ms=True), mmss(seg.end, ms=True), seg.text)
    out.print(table)
