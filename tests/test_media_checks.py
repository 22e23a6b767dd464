"""What the server and the CLI make of files that are not whole videos: cut short, damaged in
the middle, or text under a video's name. The real app in-process, real uploads, real
``vidsense`` processes; the clips are ffmpeg-made (see ``damaged_support``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import MediaCache
from tests.damaged_support import (
    LENGTH,
    SPOKEN_LATE,
    corrupt_middle,
    cut,
    ffmpeg_decodes_until,
    twenty_seconds,
)
from tests.library_support import make_settings, wait_for
from vidsense.library.service import PARTIAL_NOTE
from vidsense.server import create_app

pytestmark = pytest.mark.models

TEXT = ("x" * 79 + "\n") * 12
"""Text that ffmpeg's ANSI-art ("bin") demuxer opens as a picture when the file ends in .bin."""


@pytest.fixture(scope="module")
def files(media: MediaCache, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    twenty = twenty_seconds(media)
    root = tmp_path_factory.mktemp("damaged")
    notes = root / "notes.mp4"
    notes.write_text(TEXT)
    return {
        "whole": twenty["faststart"],
        "cut": cut(twenty["faststart"], 0.3, root / "cut.mp4"),
        "damaged": corrupt_middle(twenty["faststart"], root / "damaged.mp4"),
        "notes": notes,
    }


def _server(tmp_path: Path, models_dir: Path, **settings: Any) -> TestClient:
    app = create_app(make_settings(tmp_path / "data", models_dir, **settings))
    return TestClient(app)


def _index_file(http: TestClient, path: Path) -> dict[str, Any]:
    """Upload ``path`` into a fresh index; the finished task, with its video when it has one."""
    index = http.post("/v1/indexes", json={"index_name": path.stem}).json()
    with path.open("rb") as f:
        created = http.post(
            "/v1/tasks",
            data={"index_id": index["_id"]},
            files={"video_file": (path.name, f, "video/mp4")},
        )
    assert created.status_code == 201, created.json()

    def check() -> dict[str, Any] | None:
        task: dict[str, Any] = http.get(f"/v1/tasks/{created.json()['_id']}").json()
        return task if task["status"] in ("ready", "failed") else None

    task: dict[str, Any] = wait_for(check, 180.0, f"{path.name}'s task")
    if task.get("video_id"):
        video = http.get(f"/v1/indexes/{index['_id']}/videos/{task['video_id']}").json()
        task["video"] = video
    return task


@pytest.fixture
def strict(tmp_path: Path, models_dir: Path) -> Iterator[TestClient]:
    with _server(tmp_path, models_dir) as http:
        yield http


@pytest.fixture
def lenient(tmp_path: Path, models_dir: Path) -> Iterator[TestClient]:
    with _server(tmp_path, models_dir, allow_partial_media=True) as http:
        yield http


def test_a_file_cut_short_fails_its_task_saying_how_much_is_there(
    strict: TestClient, files: dict[str, Path]
) -> None:
    task = _index_file(strict, files["cut"])
    assert task["status"] == "failed" and task["error"]["code"] == "corrupt_media"
    readable = ffmpeg_decodes_until(files["cut"])
    assert task["error"]["message"].startswith(
        f"cut.mp4 is cut short: the file ends at {readable:.1f} s of {LENGTH:.1f} s"
    )
    assert task.get("video_id") is None


def test_a_damaged_file_fails_its_task_where_decoding_stopped(
    strict: TestClient, files: dict[str, Path]
) -> None:
    task = _index_file(strict, files["damaged"])
    assert task["status"] == "failed" and task["error"]["code"] == "corrupt_media"
    message = task["error"]["message"]
    assert message.startswith("damaged.mp4 is damaged: decoding stopped at ")
    stopped = float(message.split("stopped at ")[1].split(" s")[0])
    assert 1.0 < stopped < LENGTH - 2.0 and f"of {LENGTH:.1f} s" in message


def test_an_intact_file_is_indexed_whole(strict: TestClient, files: dict[str, Path]) -> None:
    task = _index_file(strict, files["whole"])
    assert task["status"] == "ready", task.get("error")
    video = task["video"]
    assert video["system_metadata"]["duration"] == pytest.approx(LENGTH, abs=0.1)
    assert PARTIAL_NOTE not in video["user_metadata"]


def test_asked_for_the_readable_part_is_indexed_with_a_note(
    lenient: TestClient, files: dict[str, Path]
) -> None:
    readable = ffmpeg_decodes_until(files["cut"])
    task = _index_file(lenient, files["cut"])
    assert task["status"] == "ready", task.get("error")
    video = task["video"]
    assert video["system_metadata"]["duration"] == pytest.approx(readable, abs=0.05)
    note = video["user_metadata"][PARTIAL_NOTE]
    assert f"the file ends at {readable:.1f} s of {LENGTH:.1f} s" in note

    task = _index_file(lenient, files["damaged"])
    assert task["status"] == "ready", task.get("error")
    video = task["video"]
    duration = video["system_metadata"]["duration"]
    assert 1.0 < duration < LENGTH - 2.0  # what decoded, not the header's 20 s
    note = video["user_metadata"][PARTIAL_NOTE]
    assert f"decoding stopped at {duration:.1f} s of {LENGTH:.1f} s" in note
    # Nothing the video holds starts past its readable end (the sound went on to 20 s).
    said = lenient.get(f"/v1/indexes/{video['index_id']}/videos/{video['_id']}/transcription")
    assert said.status_code == 200
    assert all(s["start"] < duration for s in said.json()["data"])
    assert SPOKEN_LATE not in " ".join(s["value"].lower() for s in said.json()["data"])


def test_text_named_mp4_is_unsupported_on_every_path(
    strict: TestClient, files: dict[str, Path], tmp_path: Path
) -> None:
    # Not a video at all: refused at upload (400), the file's own name in the message.
    with files["notes"].open("rb") as f:
        refused = strict.post(
            "/v1/tasks",
            data={"index_id": strict.post("/v1/indexes", json={"index_name": "n"}).json()["_id"]},
            files={"video_file": ("notes.mp4", f, "video/mp4")},
        )
    assert refused.status_code == 400 and refused.json() == {
        "code": "unsupported_media",
        "message": "notes.mp4 is not a video (it looks like text data)",
    }

    exe = str(Path(sys.executable).parent / "vidsense")
    env = {**os.environ, "VIDSENSE_DATA_DIR": str(tmp_path / "cli"), "VIDSENSE_WORKERS": "1"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=300)

    probed = cli("probe", str(files["notes"]))
    assert probed.returncode != 0
    assert probed.stderr.strip() == (
        "error: notes.mp4 is not a video (it looks like text data) [unsupported_media]"
    )
    assert cli("index", "create", "notes").returncode == 0
    added = cli("add", "notes", str(files["notes"]), "--json")
    assert added.returncode != 0
    [refused] = json.loads(added.stdout)  # refused at the door: no task was made
    assert refused["status"] == "refused" and refused["error"] == {
        "code": "unsupported_media",
        "message": "notes.mp4 is not a video (it looks like text data)",
    }
    # In a batch, an empty file and a text file are refused each on its own line, with its
    # code, and the files after them are still added (here: none indexed, nothing waits).
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    batch = cli("add", "notes", str(empty), str(files["notes"]), "--no-wait")
    assert batch.returncode == 1
    said = batch.stderr.splitlines()  # a line each, however long (not wrapped at 80)
    assert f"refused {empty}: empty.mp4 is empty (0 bytes) [empty_media]" in said
    assert (
        f"refused {files['notes']}: notes.mp4 is not a video (it looks like text data) "
        "[unsupported_media]"
    ) in said
    # A missing file is file_not_found on every path; a file:// URI names the file it names;
    # another scheme is refused as the server refuses it.
    missing = tmp_path / "missing.mp4"
    uri = f"file://{files['notes']}"
    batch = cli("add", "notes", str(missing), uri, "ftp://example.com/a.mp4", "--no-wait")
    said = batch.stderr.splitlines()
    assert f"refused {missing}: no such file: {missing} [file_not_found]" in said
    assert (
        f"refused {uri}: notes.mp4 is not a video (it looks like text data) [unsupported_media]"
        in said
    )
    assert any(line.startswith("refused ftp://") and "[url_not_allowed]" in line for line in said)
    probed = cli("probe", str(missing))
    assert probed.stderr.strip() == f"error: no such file: {missing} [file_not_found]"
