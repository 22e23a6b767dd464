"""Making videos: ``render`` (a timeline spec), the edits (``reel``, ``subtitle``, ``reframe``,
``speed``, ``gif``, ``concat``, ``slideshow``, ``watermark``) and ``generate-video``.

Each queues a render on the library (in-process, or on ``--server``), shows its progress and
writes the probed file to ``-o``; the output's suffix picks the codec (``.mp4`` H.264,
``.webm`` VP9, ``.gif``, ``.webp``). ``VIDEO`` is a video id, or a file or URL: ``reel`` and
``subtitle`` read what is said, so a file is indexed first (``--index``); the other edits use
a local file as it is in-process (with ``--server`` it is indexed first). Images and logos are
local files in-process, uploaded file ids (``file-...``) with ``--server``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vidsense.cli.app import JsonOpt, app, err, out, print_json, progress_bar, read_json_file
from vidsense.cli.library import KeyOpt, ServerOpt, _client
from vidsense.cli.writing import IndexOpt, VideoArg, resolve_video
from vidsense.errors import InvalidArgument, VidsenseError

if TYPE_CHECKING:
    from vidsense.api.renders import Render
    from vidsense.client import Client

OutOpt = Annotated[Path, typer.Option("-o", "--out", help="Where to write the video.")]
StartOpt = Annotated[float, typer.Option("--start", help="Seconds of the video.")]
EndOpt = Annotated[
    float | None, typer.Option("--end", help="Seconds of the video (default: its end).")
]
CODECS = {".mp4": "h264", ".webm": "vp9", ".gif": "gif", ".webp": "webp"}


def _codec(path: Path) -> str:
    codec = CODECS.get(path.suffix.lower())
    if codec is None:
        raise InvalidArgument(
            f"-o {path.name}: write .mp4, .webm, .gif or .webp (the suffix picks the codec)",
            param="out",
        )
    return codec


def _video(client: Client, video: str, index: str, *, needs_index: bool, show: bool) -> str:
    """What an edit names the video by: its id, or in-process a local file as it is."""
    local = Path(video).expanduser()
    if client.in_process and not needs_index and local.is_file():
        return str(local.resolve())
    return resolve_video(client, video, index, show)


def _file(client: Client, name: str) -> str:
    local = Path(name).expanduser()
    return str(local.resolve()) if client.in_process and local.is_file() else name


def _finish(client: Client, render: Render, target: Path, as_json: bool, label: str) -> None:
    """Follow a render to its end, then write its file to ``target``."""
    with progress_bar(label, not as_json) as update:
        done = client.renders.wait(render.id, progress=lambda r: update(r.progress, 100.0))
    if done.status != "completed" or done.output is None:
        error = done.error
        raise VidsenseError(
            f"the render failed: {error.message if error else done.status}",
            code=error.code if error else "render_failed",
        )
    client.renders.download(done.id, target)
    if as_json:
        print_json({**done.model_dump(mode="json"), "path": str(target)})
        return
    o = done.output
    audio = "with sound" if o.audio else "no sound"
    out.print(f"{target}  {o.duration:.3f} s  {o.width}x{o.height}  {o.fps:g} fps  {audio}")


def _edit(
    server: str | None,
    api_key: str | None,
    target: Path,
    as_json: bool,
    name: str,
    params: dict[str, Any],
    *,
    video: tuple[str, str] | None = None,
    needs_index: bool = False,
) -> None:
    output = dict(params.pop("output", {}) or {})
    output.setdefault("codec", _codec(target))
    with _client(server, api_key) as client:
        if video is not None:
            params["video_id"] = _video(
                client, video[0], video[1], needs_index=needs_index, show=not as_json
            )
        render = client.renders.edit(name, **params, output=output)
        _finish(client, render, target, as_json, name)


@app.command()
def render(
    spec: Annotated[Path, typer.Argument(help="A timeline spec (JSON file).")],
    target: OutOpt,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Render a timeline spec (clips, transitions, overlays, subtitles, audio, output); the
    output's codec defaults to what ``-o``'s suffix names."""
    body = read_json_file(spec)
    output = body.setdefault("output", {}) if isinstance(body, dict) else None
    if isinstance(output, dict):
        codec = output.setdefault("codec", _codec(target))
        if codec != _codec(target):
            raise InvalidArgument(
                f"-o {target.name}: the spec's output.codec is {codec}", param="output.codec"
            )
    with _client(server, api_key) as client:
        _finish(client, client.renders.create(body), target, as_json, "render")


@app.command()
def reel(
    video: VideoArg,
    target: OutOpt,
    seconds: Annotated[float, typer.Option("--seconds", help="Length of the reel.")] = 30.0,
    subtitles: Annotated[
        str, typer.Option("--subtitles", help="none, burn (into the picture) or track.")
    ] = "none",
    aspect: Annotated[str | None, typer.Option("--aspect", help="e.g. 9:16 or 1:1.")] = None,
    crossfade: Annotated[float, typer.Option("--crossfade", help="Seconds.")] = 0.5,
    index: IndexOpt = "default",
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A highlight reel: the best moments in order, crossfaded, no sentence cut."""
    output = {"aspect": aspect} if aspect else {}
    params = {"seconds": seconds, "subtitles": subtitles, "crossfade": crossfade, "output": output}
    _edit(server, api_key, target, as_json, "reel", params, video=(video, index),
          needs_index=True)  # fmt: skip


@app.command()
def subtitle(
    video: VideoArg,
    target: OutOpt,
    mode: Annotated[str, typer.Option("--mode", help="burn (into the picture) or track.")] = (
        "burn"
    ),
    start: StartOpt = 0.0,
    end: EndOpt = None,
    index: IndexOpt = "default",
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The video with what is said as subtitles (burned in or as a soft track)."""
    params = {"mode": mode, "start": start, "end": end}
    _edit(server, api_key, target, as_json, "subtitles", params, video=(video, index),
          needs_index=True)  # fmt: skip


@app.command()
def reframe(
    video: VideoArg,
    target: OutOpt,
    aspect: Annotated[str, typer.Option("--aspect", help="9:16, 1:1, 4:5, ...")] = "9:16",
    start: StartOpt = 0.0,
    end: EndOpt = None,
    index: IndexOpt = "default",
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A vertical (or square) version that follows faces, on-screen text and motion."""
    params = {"aspect": aspect, "start": start, "end": end}
    _edit(server, api_key, target, as_json, "reframe", params, video=(video, index))


@app.command()
def speed(
    video: VideoArg,
    target: OutOpt,
    factor: Annotated[float, typer.Option("--speed", help="2 is twice as fast (0.25-4).")],
    start: StartOpt = 0.0,
    end: EndOpt = None,
    index: IndexOpt = "default",
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A span played faster or slower (the voice keeps its pitch)."""
    params = {"speed": factor, "start": start, "end": end}
    _edit(server, api_key, target, as_json, "speed", params, video=(video, index))


@app.command()
def gif(
    video: VideoArg,
    target: OutOpt,
    start: StartOpt = 0.0,
    end: EndOpt = None,
    width: Annotated[int, typer.Option("--width", help="Pixels.")] = 480,
    fps: Annotated[float, typer.Option("--fps")] = 12.0,
    index: IndexOpt = "default",
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A looping GIF (or animated WebP, -o x.webp) of a span of at most 60 s."""
    codec = _codec(target)
    if codec not in ("gif", "webp"):
        raise InvalidArgument("-o: write a .gif or a .webp", param="out")
    params = {"start": start, "end": end, "format": codec, "width": width, "fps": fps}
    _edit(server, api_key, target, as_json, "animation", params, video=(video, index))


@app.command()
def concat(
    videos: Annotated[list[str], typer.Argument(help="Two or more videos (ids or files).")],
    target: OutOpt,
    transition: Annotated[
        str, typer.Option("--transition", help="cut, crossfade or fade_black.")
    ] = "cut",
    index: IndexOpt = "default",
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Several videos one after another (other sizes padded to the first one's)."""
    output = {"codec": _codec(target)}
    with _client(server, api_key) as client:
        ids = [_video(client, v, index, needs_index=False, show=not as_json) for v in videos]
        render = client.renders.edit("concat", video_ids=ids, transition=transition,
                                     output=output)  # fmt: skip
        _finish(client, render, target, as_json, "concat")


@app.command()
def slideshow(
    images: Annotated[list[str], typer.Argument(help="Images (files, or file ids).")],
    target: OutOpt,
    seconds: Annotated[float, typer.Option("--seconds", help="Per image.")] = 3.0,
    caption: Annotated[
        list[str] | None, typer.Option("--caption", help="One per image, in order.")
    ] = None,
    narrate: Annotated[bool, typer.Option("--narrate", help="Speak the captions.")] = False,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A video from images, each moving slowly, optionally captioned and narrated."""
    output = {"codec": _codec(target)}
    with _client(server, api_key) as client:
        render = client.renders.edit(
            "slideshow",
            images=[_file(client, i) for i in images],
            seconds=seconds,
            captions=caption or None,
            narrate=narrate,
            output=output,
        )
        _finish(client, render, target, as_json, "slideshow")


@app.command()
def watermark(
    video: VideoArg,
    logo: Annotated[str, typer.Argument(help="An image (a file, or a file id).")],
    target: OutOpt,
    position: Annotated[str, typer.Option("--position", help="top-left, ..., bottom-right.")] = (
        "bottom-right"
    ),
    opacity: Annotated[float, typer.Option("--opacity", help="0-1.")] = 0.8,
    index: IndexOpt = "default",
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The video with a logo over it."""
    output = {"codec": _codec(target)}
    with _client(server, api_key) as client:
        video_id = _video(client, video, index, needs_index=False, show=not as_json)
        render = client.renders.edit("watermark", video_id=video_id, logo=_file(client, logo),
                                     position=position, opacity=opacity, output=output)  # fmt: skip
        _finish(client, render, target, as_json, "watermark")


@app.command("generate-video")
def generate_video(
    prompt: Annotated[str, typer.Argument(help="What the video shows, scene by scene.")],
    target: OutOpt,
    seconds: Annotated[int, typer.Option("--seconds", help="4, 8 or 12 (storyboard).")] = 8,
    size: Annotated[str, typer.Option("--size", help="WIDTHxHEIGHT.")] = "1280x720",
    image: Annotated[Path | None, typer.Option("--image", help="A reference image.")] = None,
    model: Annotated[str | None, typer.Option("--model")] = None,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a video from a prompt with the configured generator (the built-in storyboard
    renderer by default: title cards or the image, narrated, subtitled; not a generative
    model)."""
    with _client(server, api_key) as client:
        video = client.generated.create(prompt, seconds=seconds, size=size, model=model,
                                        image=image)  # fmt: skip
        with progress_bar("generate", not as_json) as update:
            done = client.generated.wait(video.id, progress=lambda v: update(v.progress, 100.0))
        if done.status != "completed":
            error = done.error
            raise VidsenseError(
                f"the video could not be made: {error.message if error else done.status}",
                code=error.code if error else "generation_failed",
            )
        client.generated.download(done.id, target)
    if as_json:
        print_json({**done.model_dump(mode="json"), "path": str(target)})
        return
    note = done.vidsense.get("description") or done.model
    out.print(f"{target}  {done.seconds} s  {done.size}  ({note})")
    err.print(f"[dim]{done.id}[/dim]")
