"""``vidsense analyze``: every analyzer in one pass, one JSON document."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from vidsense.cli.app import JsonOpt, SourceArg, app, err, local_source, out, print_json
from vidsense.cli.app import settings as load_settings
from vidsense.times import mmss

STAGES = {
    "decode": "shots, keyframes, text",
    "speech": "speech",
    "audio_events": "audio events",
    "embeddings": "embeddings",
}


@app.command()
def analyze(
    source: SourceArg,
    options: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="visual, conversation, text_in_video, logo, audio "
            "(repeat or comma-separate; default: all).",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for keyframes, analysis.json, "
            "embeddings.npz (default: a new temporary folder).",
        ),
    ] = None,
    language: Annotated[str | None, typer.Option(help="Spoken language code, e.g. en.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Shots, keyframes, transcript, on-screen text, audio events and embeddings in one pass."""
    from vidsense.perception.analyze import analyze as run_analyze

    settings = load_settings()
    path = local_source(source, settings)
    target = out_dir or Path(tempfile.mkdtemp(prefix="vidsense-analysis-"))
    show = err.is_terminal and not as_json
    with Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not show,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=1.0)
            bar.update(tasks[stage], completed=min(1.0, fraction))

        result = run_analyze(
            path, settings, out_dir=target, options=options, language=language, progress=progress
        )
    if as_json:
        print_json(result.to_dict())
        return
    info = result.metadata
    out.print(
        f"[bold]{Path(result.source).name}[/]: {info.duration:.1f} s, {len(result.shots)} "
        f"shots, {len(result.text_sightings)} text sightings, "
        f"{len(result.audio_events)} audio events"
    )
    if result.transcript is not None:
        lang = result.transcript.language or "unknown language"
        out.print(f"transcript ({lang}):")
        for segment in result.transcript.segments:
            out.print(f"  {mmss(segment.start, ms=True)}  {segment.text}")
    for sighting in result.text_sightings:
        out.print(
            f"  text {mmss(sighting.start, ms=True)}-{mmss(sighting.end, ms=True)}  {sighting.text}"
        )
    for event in result.audio_events:
        out.print(f"  audio {mmss(event.start, ms=True)}-{mmss(event.end, ms=True)}  {event.label}")
    for note in result.notes:
        out.print(f"[yellow]note:[/] {note}")
    out.print(f"written to {target}  ({result.timings.get('total', 0.0):.1f} s)")
