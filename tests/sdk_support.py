"""Shared pieces of the official-SDK suites (``tests/test_sdk_*.py``): a real ``vidsense serve``
that requires an API key, a local HTTP server for media URLs, and generated media whose words,
titles, shots and times are known.

The media are built once per session through the ``media`` fixture (``MediaCache``); each test
module starts its own server on a throwaway data folder. The SDKs talk to the server exactly as
a user's code would: only the base URL and the key differ from the hosted services.
"""

from __future__ import annotations

import base64
import http.server
import json
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from tests.conftest import MediaCache
from tests.factory import FONT, Caption, Scene, make_speech, make_video, run
from tests.library_support import ServerProcess, shared_models

KEY = "sdk-suite-key"
LEASE = "10"
"""Seconds a task's lease lasts in a suite that kills its server (heartbeats come every 2 s):
the restarted server takes the task back 10 s after the kill, not the default 60."""
"""The API key every suite's server requires."""

NAVY = (0, 0, 128)
GREEN = (27, 77, 43)
BROWN = (128, 80, 32)


@dataclass(frozen=True)
class Line:
    """A sentence as placed in the audio: its text and the true start/end of its sound (s)."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Shot:
    """One shot: when it is on screen (s) and its background colour (RGB)."""

    start: float
    end: float
    rgb: tuple[int, int, int]


@dataclass(frozen=True)
class Clip:
    """A generated video and its truth."""

    path: Path
    duration: float
    lines: list[Line]
    titles: list[Caption]
    shots: list[Shot]

    def line(self, word: str) -> Line:
        """The spoken line that contains ``word``."""
        return next(line for line in self.lines if word.lower() in line.text.lower())

    def shot_at(self, t: float) -> Shot:
        return next(s for s in self.shots if s.start <= t < s.end)


# The "talk": two subjects (pricing, then support) in two shots cut at 10 s; 20.5 s long so
# that its duration is not a whole number of seconds.
TALK_SPEECH = [
    (0.5, "Our pricing starts at twenty dollars per month."),
    (5.0, "The premium plan includes unlimited storage."),
    (10.5, "Support is open every weekday from nine to five."),
    (15.0, "Call the helpdesk if your password stops working."),
]
TALK_TITLES = [
    Caption("PRICING PLANS", 0.2, 4.0, size=32),
    Caption("SUPPORT HOURS", 10.2, 14.0, size=32),
]
TALK_SHOTS = [Shot(0.0, 10.0, NAVY), Shot(10.0, 20.5, GREEN)]

LIGHTHOUSE_SPEECH = [
    (0.5, "The lighthouse on the northern cliff was built in eighteen fifty."),
    (5.5, "Its lamp can be seen forty kilometres away."),
]
LIGHTHOUSE_TITLES = [Caption("LIGHTHOUSE", 0.2, 3.0, size=32)]
LIGHTHOUSE_SHOTS = [Shot(0.0, 10.0, BROWN)]

INVOICE_NUMBER = "4417"
INVOICE_TEXT = ["INVOICE 4417", "TOTAL 86 EUR"]


# Schemas the skills and executions tests ask for.
FACTS_SCHEMA = {
    "type": "object",
    "properties": {
        "files": {
            "type": "array",
            "description": "One entry per input file, in the order given",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": ["video", "image"]},
                    "on_screen_text": {"type": "string"},
                    "spoken_text": {"type": "string"},
                    "speech_starts_at": {
                        "type": ["number", "null"],
                        "description": "seconds from the start when speech begins, null if none",
                    },
                },
                "required": ["kind", "on_screen_text", "spoken_text", "speech_starts_at"],
            },
        }
    },
    "required": ["files"],
}

PRICE_SCHEMA = {
    "type": "object",
    "properties": {
        "monthly_price": {"type": "string", "description": "what the plan costs per month"}
    },
    "required": ["monthly_price"],
}
INVOICE_SCHEMA = {
    "type": "object",
    "properties": {"invoice_number": {"type": "string"}, "total": {"type": "string"}},
    "required": ["invoice_number", "total"],
}


def _hex(rgb: tuple[int, int, int]) -> str:
    return "0x" + "".join(f"{c:02x}" for c in rgb)


def _clip(
    media: MediaCache,
    name: str,
    speech: list[tuple[float, str]],
    titles: list[Caption],
    shots: list[Shot],
) -> Clip:
    """Build ``name`` once per session (320x240, 15 fps) and say what is in it."""
    truth = media.root / f"{name}.lines.json"
    duration = shots[-1].end

    def build(out: Path) -> None:
        wav = out.with_suffix(".wav")
        spoken = make_speech(wav, speech, duration)
        truth.write_text(json.dumps([[s.text, float(s.start), float(s.end)] for s in spoken]))
        scenes = [Scene(s.end - s.start, f"color=c={_hex(s.rgb)}") for s in shots]
        make_video(out, scenes, size="320x240", fps=15, captions=titles, audio=wav)

    path = media.get(name, build)
    lines = [Line(text, start, end) for text, start, end in json.loads(truth.read_text())]
    return Clip(path, duration, lines, titles, shots)


def talk_video(media: MediaCache) -> Clip:
    """20.5 s: "PRICING PLANS" (navy shot, 0-10 s) then "SUPPORT HOURS" (green shot)."""
    return _clip(media, "sdk-talk.mp4", TALK_SPEECH, TALK_TITLES, TALK_SHOTS)


def lighthouse_video(media: MediaCache) -> Clip:
    """10 s, one brown shot titled "LIGHTHOUSE", two sentences about the lighthouse."""
    return _clip(
        media, "sdk-lighthouse.mp4", LIGHTHOUSE_SPEECH, LIGHTHOUSE_TITLES, LIGHTHOUSE_SHOTS
    )


def invoice_image(media: MediaCache) -> Path:
    """A 640x360 JPEG of a white page reading "INVOICE 4417" / "TOTAL 86 EUR"."""

    def build(out: Path) -> None:
        draw = ",".join(
            f"drawtext=fontfile={FONT}:text='{text}':fontsize=44:fontcolor=black"
            f":x=(w-tw)/2:y={90 + 110 * i}"
            for i, text in enumerate(INVOICE_TEXT)
        )
        run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=white:s=640x360",
             "-vf", draw, "-frames:v", "1", "-q:v", "2", str(out)])  # fmt: skip

    return media.get("sdk-invoice.jpg", build)


def frame_base64(path: Path, at: float) -> str:
    """The frame of a video at ``at`` seconds as a base64 JPEG."""
    capture = cv2.VideoCapture(str(path))
    capture.set(cv2.CAP_PROP_POS_MSEC, at * 1000)
    ok, frame = capture.read()
    capture.release()
    assert ok, f"no frame at {at} s"
    ok, jpeg = cv2.imencode(".jpg", frame)
    return base64.b64encode(jpeg.tobytes()).decode()


def notes_file(media: MediaCache) -> Path:
    """A text file named like a video: not a video."""
    return media.get("sdk-notes.mp4", lambda out: out.write_text("this is not a video\n" * 40))


# -- serving ---------------------------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class MediaServer:
    """A local HTTP server for a folder, so that media can be passed by URL."""

    def __init__(self, root: Path) -> None:
        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(_Quiet, directory=str(root))
        )
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: Path) -> str:
        return f"{self.base}/{path.name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Served:
    """A running ``vidsense serve`` (``server.url`` is its root) and the media server."""

    server: ServerProcess
    files: MediaServer

    @property
    def url(self) -> str:
        return self.server.url


@contextmanager
def serve(
    tmp_path_factory: pytest.TempPathFactory, media: MediaCache, name: str, **env: str
) -> Iterator[Served]:
    """A ``vidsense serve`` requiring :data:`KEY` (private URLs allowed, for the media server)."""
    root = tmp_path_factory.mktemp(name)
    models = shared_models(tmp_path_factory)
    files = MediaServer(media.root)
    server = ServerProcess(
        root / "data",
        models,
        VIDSENSE_API_KEY=KEY,
        VIDSENSE_FETCH__ALLOW_PRIVATE="true",
        VIDSENSE_WRITER__CHAPTER_MIN_SECONDS="5",  # the 20.5 s talk has two 10 s chapters
        **env,
    )
    try:
        server.start()
        yield Served(server, files)
    finally:
        server.stop()
        files.close()


# -- checks ----------------------------------------------------------------------------------


def poll(check: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    """Call ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$")


def seconds(value: str | float | int) -> float:
    """A time as the SDKs' users write it ("00:01:05.500", "01:05", "65.5", 65.5) in seconds."""
    if isinstance(value, int | float):
        return float(value)
    text = value.strip().rstrip("s")
    match = _CLOCK.match(text)
    if match is None:
        return float(text)
    hours, minutes, secs = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)


def says_price(text: str) -> bool:
    """Whether ``text`` gives the talk's monthly price (Whisper writes "$20")."""
    low = text.lower()
    return "20" in low or "twenty" in low


def says_hours(text: str) -> bool:
    """Whether ``text`` gives the support hours ("nine to five", or "9 to 5")."""
    low = text.lower()
    return ("9" in low or "nine" in low) and ("5" in low or "five" in low)


def probe_duration(path: Path) -> float:
    """The container duration of a media file, seconds (ffprobe)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(path)], capture_output=True, check=True, text=True,
    )  # fmt: skip
    return float(out.stdout.strip())


def probe_streams(path: Path) -> list[str]:
    """The codec types of a media file's streams ("video", "audio")."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
         str(path)], capture_output=True, check=True, text=True,
    )  # fmt: skip
    return [s.strip() for s in out.stdout.split() if s.strip()]


def corner_rgb(image: np.ndarray) -> tuple[int, int, int]:
    """Mean RGB of an RGB image's top-left corner (the background, away from titles)."""
    h, w = image.shape[:2]
    patch = image[: max(1, h // 8), : max(1, w // 8)].reshape(-1, 3).mean(axis=0)
    return int(patch[0]), int(patch[1]), int(patch[2])


def jpeg_rgb(data: bytes) -> np.ndarray:
    """Decode JPEG (or PNG) bytes to an RGB array; fails if they are not an image."""
    assert data[:3] == b"\xff\xd8\xff" or data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "the bytes do not decode as an image"
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def close_to(rgb: tuple[int, int, int], want: tuple[int, int, int], tol: int = 40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want, strict=True))
