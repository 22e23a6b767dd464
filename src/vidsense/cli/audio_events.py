"""The ``audio-events`` command: what is heard when (speech, music, applause, ...), with YAMNet."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vidsense.cli.app import (
    JsonOpt,
    SourceArg,
    app,
    err,
    local_source,
    out,
    print_json,
    progress_bar,
    settings,
)
from vidsense.times import mmss


@app.command("audio-events")
def audio_events(
    source: SourceArg,
    min_score: Annotated[
        float, typer.Option(help="Lowest score (0-1) for a sound to count.")
    ] = 0.3,
    min_duration: Annotated[
        float, typer.Option(help="Shortest event, seconds (brief confident sounds stay).")
    ] = 0.96,
    as_json: JsonOpt = False,
) -> None:
    """Sound events over time: speech, music, applause, laughter, silence and the rest of the
    521 AudioSet classes."""
    from vidsense.media.edit import SPEECH_RATE, extract_audio
    from vidsense.perception.audio_events import tag_audio

    config = settings()
    samples = extract_audio(local_source(source, config), sample_rate=SPEECH_RATE)
    with progress_bar("audio events", not as_json) as progress:
        events = tag_audio(
            samples,
            config,
            sample_rate=SPEECH_RATE,
            min_score=min_score,
            min_duration=min_duration,
            progress=progress,
        )
    if as_json:
        print_json([e.to_dict() for e in events])
        return
    if samples.size == 0:
        err.print("no audio track")
        return
    table = Table("start", "end", "label", "score")
    for e in events:
        table.add_row(mmss(e.start, ms=True), mmss(e.end, ms=True), e.label, f"{e.score:.2f}")
    out.print(table)
