"""Media commands: probe, shots, frames, trim, thumbnail, audio, demo."""

from __future__ import annotations

import time
from pathlib import Path
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
def probe(source: SourceArg, as_json: JsonOpt = False) -> None:
    """Container, streams, duration, rotation and bit rate of a video."""
    from vidsense.media.probe import probe as run_probe

    info = run_probe(local_source(source, settings()))
    data = info.to_dict()
    if as_json:
        print_json(data)
        return
    table = Table(show_header=False, box=None)
    for key, value in data.items():
        if key != "audio":
            table.add_row(key, str(value))
    out.print(table)


@app.command()
def shots(
    source: SourceArg,
    detector: Annotated[
        str | None,
        typer.Option(
            help="combined (cuts, dissolves, fades), content, adaptive, threshold (one "
            "PySceneDetect detector each), transnet (TransNetV2, needs vidsense[transnet]). "
            "Default: VIDSENSE_SHOT_DETECTOR, else combined."
        ),
    ] = None,
    threshold: Annotated[float | None, typer.Option(help="Detector threshold.")] = None,
    min_shot: Annotated[
        float | None,
        typer.Option(
            min=0.0, help="Shortest shot, seconds. Default: 0.25 for combined, 0.4 for the others."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Shot boundaries covering the whole video."""
    from vidsense.perception.shots import DETECTORS, scan_shots

    detector = detector or settings().shot_detector
    if detector not in DETECTORS:
        raise InvalidArgument(f"--detector must be one of {', '.join(DETECTORS)}, not {detector!r}")
    path = local_source(source, settings())
    with progress_bar("shots", not as_json) as progress:
        found = [
            c.shot
            for c in scan_shots(
                path,
                detector=detector,
                keyframes_per_shot=0,
                threshold=threshold,
                min_shot=min_shot,
                progress=progress,
            )
        ]
    if as_json:
        print_json([s.to_dict() for s in found])
        return
    table = Table("#", "start", "end", "length", "begins with")
    for s in found:
        how: str = s.transition or ""
        if s.transition_start is not None and s.transition_end is not None:
            how += f" {mmss(s.transition_start, ms=True)}-{mmss(s.transition_end, ms=True)}"
        table.add_row(
            str(s.index), mmss(s.start, ms=True), mmss(s.end, ms=True), f"{s.duration:.2f}s", how
        )
    out.print(table)


def _parse_times(text: str) -> list[float]:
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError as e:
        raise InvalidArgument(f"--at takes seconds separated by commas, got {text!r}") from e


@app.command()
def frames(
    source: SourceArg,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the JPEGs.")],
    every: Annotated[float | None, typer.Option(help="One frame every N seconds.")] = None,
    at: Annotated[str | None, typer.Option(help="Times in seconds, e.g. 1.5,10,42.")] = None,
    per_shot: Annotated[int | None, typer.Option(help="N representative frames per shot.")] = None,
    count: Annotated[int | None, typer.Option(help="N frames spread evenly.")] = None,
    width: Annotated[int | None, typer.Option(help="Scale to this width (px).")] = None,
    exact: Annotated[
        bool | None,
        typer.Option(
            "--exact/--keyframes",
            help="Exact frames at each time, or the keyframe before it (faster). "
            "Default: keyframes for --every, exact otherwise.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write still frames as JPEGs and list them."""
    from vidsense.media.decode import SeekMode
    from vidsense.media.frames import FrameFile, extract_frames, frame_name, write_jpeg
    from vidsense.perception.shots import scan_shots

    chosen = [
        name
        for name, value in (
            ("--every", every),
            ("--at", at),
            ("--per-shot", per_shot),
            ("--count", count),
        )
        if value is not None
    ]
    if len(chosen) != 1:
        raise InvalidArgument("give exactly one of --every, --at, --per-shot, --count")
    path = local_source(source, settings())
    written: list[FrameFile] = []
    if per_shot is not None:
        if per_shot <= 0:
            raise InvalidArgument("--per-shot must be at least 1")
        with progress_bar("frames", not as_json) as progress:
            for closed in scan_shots(
                path, keyframes_per_shot=per_shot, progress=progress, fast=False
            ):
                for frame in closed.keyframes:
                    target = out_dir / frame_name(frame.time)
                    written.append(
                        FrameFile(
                            frame.time,
                            write_jpeg(frame.full(width), target),
                            shot=closed.shot.index,
                        )
                    )
    else:
        mode: SeekMode = "exact" if (exact if exact is not None else every is None) else "keyframe"
        written = extract_frames(
            path,
            out_dir,
            every=every,
            count=count,
            width=width,
            at=_parse_times(at) if at is not None else None,
            mode=mode,
        )
    if as_json:
        print_json([f.to_dict() for f in written])
        return
    for f in written:
        out.print(f"{mmss(f.timestamp, ms=True)}  {f.path}")


@app.command()
def trim(
    source: SourceArg,
    start: Annotated[float, typer.Option(help="Start, seconds.")],
    end: Annotated[float, typer.Option(help="End, seconds.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Clip file to write.")],
    accurate: Annotated[bool, typer.Option(help="Re-encode so the cut is frame-exact.")] = False,
    copy: Annotated[
        bool, typer.Option(help="Stream copy even if the start is not a keyframe.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Cut a clip (stream copy when the cut points allow it)."""
    from vidsense.media.edit import trim as run_trim

    if accurate and copy:
        raise InvalidArgument("--accurate and --copy exclude each other")
    clip = run_trim(
        local_source(source, settings()),
        start,
        end,
        output,
        mode="accurate" if accurate else "copy" if copy else "auto",
    )
    if as_json:
        print_json(clip.to_dict())
    else:
        out.print(f"{clip.path} ({clip.method}, {clip.duration:.3f} s)")


@app.command()
def thumbnail(
    source: SourceArg,
    at: Annotated[float, typer.Option(help="Time, seconds.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JPEG file to write.")],
    width: Annotated[int, typer.Option(help="Width in px (0 keeps the full size).")] = 480,
    as_json: JsonOpt = False,
) -> None:
    """Write the frame shown at a time as a JPEG."""
    from vidsense.media.frames import thumbnail as run_thumbnail

    made = run_thumbnail(local_source(source, settings()), at, output, width=width or None)
    if as_json:
        print_json(made.to_dict())
    else:
        out.print(str(made.path))


@app.command()
def audio(
    source: SourceArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="WAV file to write.")],
    rate: Annotated[int, typer.Option(help="Sample rate, Hz.")] = 16000,
    as_json: JsonOpt = False,
) -> None:
    """Extract the audio as mono 16-bit WAV (16 kHz by default, as speech models want)."""
    from vidsense.media.edit import extract_audio, write_wav

    samples = extract_audio(local_source(source, settings()), sample_rate=rate)
    write_wav(samples, output, sample_rate=rate)
    data = {"path": str(output), "sample_rate": rate, "duration": round(len(samples) / rate, 3)}
    if as_json:
        print_json(data)
    else:
        out.print(f"{output} ({data['duration']} s)")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the keyframes.")] = Path(
        "vidsense-demo"
    ),
    sample: Annotated[str, typer.Option(help="bigbuckbunny, bikes or carphone.")] = "bigbuckbunny",
) -> None:
    """Probe a sample video that ships in an installed package, find its shots and write one
    keyframe per shot."""
    from vidsense.media.frames import frame_name, write_jpeg
    from vidsense.media.probe import probe as run_probe
    from vidsense.media.samples import sample_video
    from vidsense.perception.shots import scan_shots

    path = sample_video(sample)
    started = time.perf_counter()
    info = run_probe(path)
    out.print(
        f"[bold]{path.name}[/]: {info.width}x{info.height} {info.codec} {info.fps:.2f} fps, "
        f"{info.duration:.2f} s, audio: {info.audio.codec if info.audio else 'none'}"
    )
    table = Table("#", "start", "end", "keyframe")
    for closed in scan_shots(path, info=info, keyframes_per_shot=1, fast=False):
        shot = closed.shot
        names = []
        for frame in closed.keyframes:
            names.append(str(write_jpeg(frame.full(), out_dir / frame_name(frame.time))))
        table.add_row(
            str(shot.index), mmss(shot.start, ms=True), mmss(shot.end, ms=True), ", ".join(names)
        )
    out.print(table)
    out.print(f"done in {time.perf_counter() - started:.2f} s")
