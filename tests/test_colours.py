"""The colours of a picture, named, and of a video, weighted by how long each keyframe's shot
lasts: on ffmpeg-made frames whose colours are known."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from vidsense.perception.colours import colour_shares, video_colours
from vidsense.search.images import read_image


def frame(out: Path, source: str, filters: str = "null") -> Path:
    """One 320x180 JPEG of a lavfi ``source`` after ``filters``."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"{source}:s=320x180", "-vf",
         filters, "-frames:v", "1", "-q:v", "2", str(out)],
        check=True,
    )  # fmt: skip
    return out


@pytest.mark.parametrize(
    ("colour", "name"),
    [
        ("0x2050a0", "blue"), ("0xd01010", "red"), ("0x30a040", "green"), ("0xf0d020", "yellow"),
        ("0xff8c00", "orange"), ("0x603080", "purple"), ("0xffb0c0", "pink"), ("0x805020", "brown"),
        ("0xf8f8f8", "white"), ("0x808080", "grey"), ("0x080808", "black"),
    ],
)  # fmt: skip
def test_a_plain_picture_is_named_with_its_colour_word(
    tmp_path: Path, colour: str, name: str
) -> None:
    shares = colour_shares(read_image(frame(tmp_path / "f.jpg", f"color=c={colour}")))
    assert max(shares, key=shares.__getitem__) == name and shares[name] > 0.95, shares


def test_shares_follow_the_area_and_the_seconds(tmp_path: Path) -> None:
    # A blue picture with a white box over its left half, then a red picture.
    half = frame(tmp_path / "half.jpg", "color=c=0x2050a0", "drawbox=0:0:160:180:white:t=fill")
    shares = colour_shares(read_image(half))
    assert shares["white"] == pytest.approx(0.5, abs=0.03)
    assert shares["blue"] == pytest.approx(0.5, abs=0.03)
    red = frame(tmp_path / "red.jpg", "color=c=0xd01010")
    # The half-white frame stands for 6 s, the red one for 2 s.
    found = dict(video_colours([(half, 6.0), (red, 2.0)]))
    assert list(found) == ["white", "blue", "red"] or list(found) == ["blue", "white", "red"]
    assert found["red"] == pytest.approx(0.25, abs=0.02)
    assert found["blue"] == pytest.approx(0.375, abs=0.03)
    # A frame that is gone (or not an image) is skipped; none readable gives nothing.
    (tmp_path / "text.jpg").write_text("not a picture")
    assert dict(video_colours([(tmp_path / "gone.jpg", 5.0), (red, 1.0)])) == {"red": 1.0}
    assert video_colours([(tmp_path / "text.jpg", 1.0)]) == []
