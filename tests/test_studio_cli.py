"""The video-making commands, run as a user runs them (``vidsense ...`` in a subprocess,
in-process on a fresh library): the files they write are probed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MediaCache
from tests.library_support import spoken_clip
from tests.render_support import ffprobe
from vidsense.media.samples import sample_video

pytestmark = pytest.mark.models


def _cli(tmp: Path, models_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COLUMNS": "200",
        "VIDSENSE_DATA_DIR": str(tmp / "data"),
        "VIDSENSE_MODELS__DIR": str(models_dir),
        "VIDSENSE_WORKERS": "1",
        "VIDSENSE_JOB_WORKERS": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "vidsense.cli.main", *args],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp,
    )  # fmt: skip


def test_subtitle_indexes_the_file_then_adds_a_track(
    media: MediaCache, models_dir: Path, tmp_path: Path
) -> None:
    clip = spoken_clip(media)
    done = _cli(tmp_path, models_dir, "subtitle", str(clip), "--mode", "track",
                "-o", "subs.mp4", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["status"] == "completed" and answer["edit"] == "subtitles"
    data = ffprobe(tmp_path / "subs.mp4")
    assert data["subtitle"]["codec_name"] == "mov_text"
    assert data["video"]["seconds"] == pytest.approx(4.0, abs=1 / 15)


def test_gif_render_and_generate_video(models_dir: Path, tmp_path: Path) -> None:
    bikes = sample_video("bikes")
    done = _cli(tmp_path, models_dir, "gif", str(bikes), "--start", "1", "--end", "3",
                "--width", "320", "-o", "bikes.gif")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "bikes.gif" in done.stdout and "320x" in done.stdout
    assert (tmp_path / "bikes.gif").read_bytes()[:4] == b"GIF8"

    spec = {"clips": [{"kind": "video", "source": str(bikes), "start": 0, "end": 2},
                      {"kind": "color", "color": "black", "duration": 1}]}  # fmt: skip
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    done = _cli(tmp_path, models_dir, "render", "spec.json", "-o", "joined.webm")
    assert done.returncode == 0, done.stderr
    data = ffprobe(tmp_path / "joined.webm")
    assert data["video"]["codec_name"] == "vp9"
    assert data["video"]["seconds"] == pytest.approx(3.0, abs=0.05)

    done = _cli(tmp_path, models_dir, "generate-video", "A quiet harbour. Boats leave at dawn.",
                "--seconds", "4", "--size", "320x180", "-o", "made.mp4", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["status"] == "completed" and answer["model"] == "storyboard"
    assert ffprobe(tmp_path / "made.mp4")["video"]["seconds"] == pytest.approx(4.0, abs=1 / 30)

    bad = _cli(tmp_path, models_dir, "speed", str(bikes), "--speed", "2", "-o", "fast.mov")
    assert bad.returncode == 2 and "[invalid_argument]" in bad.stderr
    assert "-o fast.mov" in bad.stderr and not (tmp_path / "fast.mov").exists()


def test_a_spec_or_schema_file_that_is_missing_or_not_json_says_so(tmp_path: Path) -> None:
    """A missing file is ``file_not_found``, one that is not JSON the code the command names
    (``invalid_schema`` for a schema); a schema that is JSON but no object is refused by the
    client before anything is sent."""
    from vidsense.cli.app import read_json_file
    from vidsense.client import Client
    from vidsense.errors import InvalidArgument, NotFound

    with pytest.raises(NotFound) as missing:
        read_json_file(tmp_path / "nosuch.json")
    assert missing.value.code == "file_not_found"
    (tmp_path / "notes.json").write_text("not json")
    with pytest.raises(InvalidArgument) as bad:
        read_json_file(tmp_path / "notes.json", "invalid_schema")
    assert bad.value.code == "invalid_schema" and "is not JSON" in bad.value.message
    with Client("http://127.0.0.1:9") as client, pytest.raises(InvalidArgument) as listed:
        client.analyze("0" * 24, "title", schema=[1, 2])  # type: ignore[arg-type]
    assert listed.value.code == "invalid_schema"
