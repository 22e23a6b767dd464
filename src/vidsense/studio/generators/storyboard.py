"""The built-in generator: a storyboard of the prompt, offline. It is a renderer, not a
generative model, and every video it makes says so in its metadata.

- The prompt is split into scenes (its sentences; long ones at commas; at most one scene per
  :data:`MIN_SCENE_SECONDS`, the shortest neighbours merged), and the seconds are shared by
  word count in whole frames, so the video lasts exactly ``seconds``.
- With a reference image every scene shows it, moving slowly (zoom in, pan, zoom out, ...),
  crossfaded, with the scene's words burned in as subtitles; without one each scene is a
  coloured title card with its words, joined through black.
- Each scene's words are spoken by espeak-ng (faster when they would not fit; cut at the end
  of the scene as a last resort); the subtitles follow the narration.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import textwrap
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidsense.errors import InvalidArgument
from vidsense.media.render import RenderResult, render, speak
from vidsense.media.subtitles import word_cues
from vidsense.media.timeline import parse_spec
from vidsense.studio.generators.base import (
    GeneratedVideo,
    GenerationRequest,
    Progress,
    VideoGenerator,
    previews,
)

FPS = 30
"""Frame rate of a storyboard (frames are how its seconds are shared)."""
SECONDS = (4, 8, 12)
"""The lengths a storyboard is made in (those OpenAI's Videos API offers)."""
MIN_SIDE, MAX_SIDE = 128, 1920
MIN_SCENE_SECONDS = 2.0
"""Shortest scene, seconds (a prompt with more sentences than fit has neighbours merged)."""
TRANSITION = 0.4
"""Seconds of the crossfade (images) or fade through black (cards) between scenes."""
NARRATION_RATE = (170, 420)
"""espeak-ng's speaking rate, words per minute: the usual one and the fastest used to fit."""
PALETTE = ("0x1d3557", "0x2a6f67", "0x5b3a6b", "0x8a3b2e", "0x264653", "0x6b4f2a")
"""Background colours of title cards, in turn."""
MOTIONS = ("zoom_in", "pan_right", "zoom_out", "pan_left")
NOTE = (
    "vidsense storyboard: a storyboard renderer, not a generative video model. The prompt's "
    "scenes are shown as title cards (or the reference image, slowly panned and zoomed), "
    "narrated by espeak-ng with matching subtitles."
)
"""What every storyboard's metadata says it is."""

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


@dataclass(frozen=True)
class Scene:
    """A scene: its words, and where it shows on the output timeline (seconds)."""

    text: str
    start: float
    end: float


def scene_texts(prompt: str, seconds: float) -> list[str]:
    """The prompt's scenes: sentences (long ones cut at commas), at most one per
    :data:`MIN_SCENE_SECONDS`, the pair with the fewest words merged while there are too many."""
    parts: list[str] = []
    for sentence in _SENTENCE.split(prompt.strip()):
        sentence = " ".join(sentence.split())
        if not sentence:
            continue
        if len(sentence.split()) > 30:
            parts += [p.strip() for p in re.split(r"(?<=[,:])\s+", sentence) if p.strip()]
        else:
            parts.append(sentence)
    limit = max(1, int(seconds // MIN_SCENE_SECONDS))
    while len(parts) > limit:
        sizes = [len(a.split()) + len(b.split()) for a, b in itertools.pairwise(parts)]
        i = sizes.index(min(sizes))
        parts[i : i + 2] = [f"{parts[i]} {parts[i + 1]}"]
    return parts or [prompt.strip()]


def share_frames(weights: list[int], total: int, least: int) -> list[int]:
    """``total`` frames shared in proportion to ``weights`` (largest remainder), each at least
    ``least``; the shares add up to ``total`` exactly."""
    n = len(weights)
    spare = total - least * n
    if spare < 0:
        raise ValueError(f"{total} frames cannot give {n} scenes {least} each")
    whole = sum(weights) or n
    exact = [spare * (w or 1) / whole if sum(weights) else spare / n for w in weights]
    shares = [math.floor(x) for x in exact]
    order = sorted(range(n), key=lambda i: -(exact[i] - shares[i]))
    for i in order[: spare - sum(shares)]:
        shares[i] += 1
    return [least + s for s in shares]


def _fit_speech(text: str, voice: str, seconds: float) -> tuple[bytes, float]:
    """espeak-ng's WAV of ``text`` lasting at most ``seconds``: spoken faster when needed, and
    cut (with a short fade) when even the fastest rate does not fit."""
    rate = NARRATION_RATE[0]
    data, duration = speak(text, voice=voice, rate=rate)
    if duration > seconds:
        rate = min(NARRATION_RATE[1], math.ceil(rate * duration / seconds * 1.05))
        data, duration = speak(text, voice=voice, rate=rate)
    if duration <= seconds:
        return data, duration
    with wave.open(io.BytesIO(data)) as w:
        params = w.getparams()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()
    keep = int(seconds * params.framerate) * params.nchannels
    pcm = pcm[:keep]
    fade = min(len(pcm), int(0.15 * params.framerate) * params.nchannels)
    if fade:
        pcm[-fade:] = (pcm[-fade:] * np.linspace(1.0, 0.0, fade)).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setparams(params)
        w.writeframes(pcm.tobytes())
    return out.getvalue(), len(pcm) / params.nchannels / params.framerate


def _timed_words(text: str, start: float, seconds: float) -> list[tuple[float, float, str]]:
    """The words of ``text`` spread over ``seconds`` from ``start`` by their length (what the
    narration says when)."""
    words = text.split()
    weights = [len(w) + 1 for w in words]
    total = sum(weights)
    out, at = [], start
    for word, weight in zip(words, weights, strict=True):
        span = seconds * weight / total
        out.append((at, at + span, word))
        at += span
    return out


class StoryboardGenerator(VideoGenerator):
    """The built-in, offline storyboard renderer (see the module docstring)."""

    NAME = "storyboard"

    def __init__(self, voice: str = "en-us") -> None:
        self.voice = voice

    def model_name(self, asked: str | None) -> str:
        return self.NAME

    def check(self, request: GenerationRequest) -> None:
        if request.seconds not in SECONDS:
            raise InvalidArgument(
                f"seconds: {request.seconds} is not a length this server makes; choose "
                f"{', '.join(str(s) for s in SECONDS)}",
                param="seconds",
            )
        for name, value in (("width", request.width), ("height", request.height)):
            if not MIN_SIDE <= value <= MAX_SIDE or value % 2:
                raise InvalidArgument(
                    f"size: the {name} ({value} px) must be even and between {MIN_SIDE} and "
                    f"{MAX_SIDE}",
                    param="size",
                )
        if not request.prompt.strip():
            raise InvalidArgument("prompt: describe the video to make", param="prompt")

    def plan(self, request: GenerationRequest) -> list[Scene]:
        """The scenes and their windows on the output (seconds)."""
        texts = scene_texts(request.prompt, request.seconds)
        frames = share_frames(
            [len(t.split()) for t in texts], request.seconds * FPS, round(1.0 * FPS)
        )
        scenes, at = [], 0
        for text, count in zip(texts, frames, strict=True):
            scenes.append(Scene(text, at / FPS, (at + count) / FPS))
            at += count
        return scenes

    def spec(self, request: GenerationRequest, scenes: list[Scene], work: Path) -> dict[str, Any]:
        """The render spec of a storyboard (narration WAVs are written into ``work``)."""
        w, h = request.width, request.height
        picture = request.image is not None
        n = len(scenes)
        clips: list[dict[str, Any]] = []
        overlays: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        narration: list[dict[str, Any]] = []
        half = TRANSITION / 2 if n > 1 else 0.0
        size = max(16, round(min(w, h) / 12))
        for i, scene in enumerate(scenes):
            length = scene.end - scene.start + (TRANSITION if i < n - 1 else 0.0)
            clip: dict[str, Any]
            if picture:
                clip = {"kind": "image", "source": str(request.image), "duration": length,
                        "motion": MOTIONS[i % len(MOTIONS)]}  # fmt: skip
            else:
                clip = {"kind": "color", "color": PALETTE[i % len(PALETTE)], "duration": length}
            if i:
                kind = "crossfade" if picture else "fade_black"
                clip["transition"] = {"kind": kind, "duration": TRANSITION}
            clips.append(clip)
            # The scene owns the output from the middle of the transition into it to the
            # middle of the one out of it.
            shown_from = scene.start + (half if i else 0.0)
            shown_until = scene.end + (half if i < n - 1 else 0.0)
            if not picture:
                chars = max(12, int(0.85 * w / (0.55 * size)))
                overlays.append({
                    "kind": "text", "text": textwrap.fill(scene.text, chars), "size": size,
                    "position": "center", "start": round(shown_from, 4),
                    "end": round(shown_until, 4),
                })  # fmt: skip
            at = shown_from + 0.15
            room = shown_until - at - 0.1
            data, spoken = _fit_speech(scene.text, self.voice, room)
            wav = work / f"narration{i}.wav"
            wav.write_bytes(data)
            narration.append({"at": round(at, 4), "source": str(wav)})
            for cue in word_cues(_timed_words(scene.text, at, spoken)):
                lines.append({"start": round(cue.start, 3), "end": round(cue.end, 3),
                              "text": cue.text})  # fmt: skip
        return {
            "clips": clips,
            "overlays": overlays,
            "subtitles": {
                "lines": lines,
                "mode": "burn" if picture else "track",
                "size": max(14, round(h / 20)),
                "margin": max(12, round(h / 18)),
            },
            "audio": {"source": "mute", "narration": narration},
            "output": {"width": w, "height": h, "fps": FPS, "codec": "h264"},
        }

    def generate(
        self,
        request: GenerationRequest,
        out_dir: Path,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> GeneratedVideo:
        self.check(request)
        scenes = self.plan(request)
        spec = parse_spec(self.spec(request, scenes, out_dir))

        def rendering(fraction: float) -> None:
            if progress is not None:
                progress(0.95 * fraction)

        out = out_dir / "video.mp4"
        result: RenderResult = render(
            spec, out, progress=rendering, cancel=cancel, work_root=out_dir
        )
        thumbnail, spritesheet = previews(out, out_dir, result.duration)
        if progress is not None:
            progress(1.0)
        return GeneratedVideo(
            path=out,
            seconds=result.duration,
            width=result.width,
            height=result.height,
            model=self.NAME,
            generator=self.NAME,
            thumbnail=thumbnail,
            spritesheet=spritesheet,
            metadata={
                "generator": self.NAME,
                "generative_model": False,
                "description": NOTE,
                "scenes": [
                    {"start": round(s.start, 3), "end": round(s.end, 3), "text": s.text}
                    for s in scenes
                ],
                "reference_image": request.image is not None,
                "narration_voice": self.voice,
            },
        )
