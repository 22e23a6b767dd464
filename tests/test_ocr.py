"""On-screen text: burned-in strings at known times come back as exact text with the right time
ranges, a held slide is one sighting read once, and plain pictures give nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import MediaCache
from tests.factory import Caption, Scene, make_video, text_scenes
from vidsense.config import Settings
from vidsense.errors import InvalidArgument, ModelNotInstalled, ToolFailed
from vidsense.media.decode import FrameSource
from vidsense.models import ocr as ocr_models
from vidsense.models.base import TextBox, TextReader
from vidsense.models.ocr import (
    CombinedReader,
    OcrEntry,
    RapidOcrReader,
    TesseractReader,
    join_lines,
    may_lack_spaces,
    normalize_text,
    transfer_spaces,
)
from vidsense.perception import shots
from vidsense.perception.ocr import (
    OcrStats,
    SightingTracker,
    TextSighting,
    read_video_text,
    same_text,
)

pytestmark = pytest.mark.models

EVERY = 1.0  # seconds between samples
SLACK = 0.05  # seconds: frame timing around the sampling interval
TESTSRC2 = (24.0, 31.0)  # the shot whose pattern draws its own clock and frame counter


@dataclass
class TextRun:
    captions: list[Caption]
    sightings: list[TextSighting]
    stats: OcrStats


@pytest.fixture(scope="module")
def text_video(media: MediaCache) -> Path:
    return media.get("ocr-text.mp4", lambda out: make_video(out, text_scenes(), size="1280x720"))


@pytest.fixture(scope="module")
def text_run(text_video: Path) -> TextRun:
    stats = OcrStats()
    sightings = read_video_text(text_video, Settings(), every=EVERY, stats=stats)
    print(
        f"\nOCR: {stats.samples} samples, {stats.ocr_runs} read, "
        f"{1000 * stats.ocr_seconds / max(1, stats.ocr_runs):.0f} ms per read"
    )
    captions = [c for s in text_scenes() for c in s.captions]
    return TextRun(captions, sightings, stats)


def _found(run: TextRun, caption: Caption) -> list[TextSighting]:
    want = normalize_text(caption.text)
    return [s for s in run.sightings if normalize_text(s.text) == want]


def test_burned_in_strings_are_read_exactly(text_run: TextRun) -> None:
    captions = text_run.captions
    assert len({c.text for c in captions}) >= 10
    missing = [c.text for c in captions if not _found(text_run, c)]
    recall = 1 - len(missing) / len(captions)
    print(f"exact-match recall {recall:.0%}; missing: {missing}")
    assert recall >= 0.9, f"missing {missing}; read {[s.text for s in text_run.sightings]}"


def test_time_ranges_are_within_one_sampling_interval(text_run: TextRun) -> None:
    errors = []
    for caption in text_run.captions:
        for s in _found(text_run, caption):
            errors.append(max(abs(s.start - caption.start), abs(s.end - caption.end)))
            assert abs(s.start - caption.start) <= EVERY + SLACK, (caption, s)
            assert abs(s.end - caption.end) <= EVERY + SLACK, (caption, s)
            assert s.start < s.end
    print(f"largest time-range error {max(errors):.3f} s over {len(errors)} sightings")


def test_boxes_are_where_the_text_was_drawn(text_run: TextRun) -> None:
    by_text = {normalize_text(s.text): s for s in text_run.sightings}
    lower_third = by_text[normalize_text("Jane Doe, Chief Engineer")]
    x, y, w, h = lower_third.box
    assert 40 <= x <= 80 and y > 720 / 2 and 20 <= h <= 80  # drawn at x=60, near the bottom
    corner = by_text[normalize_text("www.example.com/signup")]
    assert corner.box[0] > 1280 / 2 and corner.box[1] < 100  # top right
    for s in text_run.sightings:
        x, y, w, h = s.box
        assert x >= 0 and y >= 0 and x + w <= 1280 + 2 and y + h <= 720 + 2
        assert 0.0 <= s.confidence <= 1.0


def test_a_held_slide_is_one_sighting_read_once(text_run: TextRun) -> None:
    slide = next(c for c in text_run.captions if c.text == "Agenda for today")
    found = _found(text_run, slide)
    assert len(found) == 1, found
    assert found[0].end - found[0].start >= slide.end - slide.start - EVERY
    # Unchanged samples reuse the last reading instead of running OCR again.
    stats = text_run.stats
    assert stats.ocr_runs < 0.7 * stats.samples, stats


def test_nothing_is_invented(text_run: TextRun) -> None:
    wanted = {normalize_text(c.text) for c in text_run.captions}
    extra = [
        s
        for s in text_run.sightings
        if normalize_text(s.text) not in wanted
        # testsrc2 draws a running clock and frame counter: real text, not expected here
        and not (TESTSRC2[0] - SLACK <= s.start and s.end <= TESTSRC2[1] + EVERY)
    ]
    assert not extra


def test_plain_pictures_give_no_text_from_one_decode_pass(
    media: MediaCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    def build(out: Path) -> None:
        scenes = [
            Scene(2.0, "color=c=red"),
            Scene(2.0, "color=c=0x335577"),
            Scene(2.0, "color=c=white"),
            Scene(2.0, "color=c=black"),
            Scene(2.0, "gradients=speed=0.05"),
        ]
        make_video(out, scenes, size="640x360")

    path = media.get("ocr-plain.mp4", build)
    opened: list[Path] = []

    class CountingSource(shots.FrameSource):
        def __init__(self, path: Path, **kwargs: Any) -> None:
            opened.append(Path(path))
            super().__init__(path, **kwargs)

    monkeypatch.setattr(shots, "FrameSource", CountingSource)
    stats = OcrStats()
    assert read_video_text(path, Settings(), every=EVERY, stats=stats) == []
    assert opened == [path]  # shots, keyframes and periodic samples: one decode
    assert stats.samples >= 10  # every second, plus the shots' keyframes


MOVING = [  # over testsrc2's moving pattern, which changes every sample everywhere
    Caption("Alpha Station 101", 1.0, 4.0, size=56, box=True),
    Caption("Bravo Station 202", 4.0, 7.0, size=56, box=True),
    Caption("Charlie Station 303", 7.0, 10.5, size=56, box=True),
]


@pytest.fixture(scope="module")
def moving_video(media: MediaCache) -> Path:
    def build(out: Path) -> None:
        make_video(out, [Scene(12.0, "testsrc2", MOVING)], size="1280x720")

    return media.get("ocr-moving.mp4", build)


def _read_with(path: Path, workers: int) -> tuple[list[TextSighting], OcrStats]:
    settings = Settings()
    settings.models.ocr_workers = workers
    stats = OcrStats()
    return read_video_text(path, settings, every=EVERY, stats=stats), stats


def test_reading_threads_give_the_same_sightings(
    moving_video: Path, text_video: Path, text_run: TextRun
) -> None:
    one, one_stats = _read_with(moving_video, 1)
    two, two_stats = _read_with(moving_video, 2)
    assert two == one  # texts, times, boxes and confidences
    # Every sample changed: each was read whole, none reused the one before.
    assert two_stats.ocr_runs == two_stats.samples == one_stats.samples >= 12
    for caption in MOVING:
        (seen,) = [s for s in two if normalize_text(s.text) == normalize_text(caption.text)]
        assert abs(seen.start - caption.start) <= EVERY + SLACK, seen
        assert abs(seen.end - caption.end) <= EVERY + SLACK, seen
    # One thread reads one picture at a time; the summed reading time is its wall time.
    assert one_stats.ocr_wall_seconds == pytest.approx(one_stats.ocr_seconds)
    assert 0 < two_stats.ocr_wall_seconds <= two_stats.ocr_seconds
    # Held slides and partly changed pictures too (text_run read with the default, 2 threads).
    assert Settings().models.ocr_workers == 2
    alone, alone_stats = _read_with(text_video, 1)
    assert alone == text_run.sightings
    assert (alone_stats.ocr_runs, alone_stats.region_reads) == (
        text_run.stats.ocr_runs,
        text_run.stats.region_reads,
    )


class FailingReader(TextReader):
    """The default reader, failing on its ``fail_at``-th picture (counting from 1)."""

    NAME = "failing"

    def __init__(self, fail_at: int) -> None:
        self.inner = OcrEntry(Settings()).load()
        self.fail_at = fail_at
        self.calls = 0
        self.lock = threading.Lock()

    def read(self, image_rgb: np.ndarray) -> list[TextBox]:
        with self.lock:
            self.calls += 1
            call = self.calls
        if call == self.fail_at:
            raise ToolFailed("tesseract could not read a frame")
        return self.inner.read(image_rgb)


def test_an_error_in_a_read_reaches_the_caller(moving_video: Path) -> None:
    reader = FailingReader(fail_at=3)
    stats = OcrStats()
    with pytest.raises(ToolFailed, match="could not read a frame"):
        read_video_text(moving_video, Settings(), every=EVERY, reader=reader, stats=stats)
    # Reading stopped at the error: the pictures after it (12 s of them) were not read.
    assert reader.calls <= 3 + 2, (stats, reader.calls)


@pytest.mark.parametrize("reader_class", [TesseractReader, RapidOcrReader])
def test_each_engine_reads_a_title(
    text_video: Path, reader_class: Callable[[], TextReader]
) -> None:
    with FrameSource(text_video) as source:
        frame = next(f for _, f in source.frames_at([3.0]))
    lines = reader_class().read(frame.full())
    assert "quarterly results 2024" in [normalize_text(b.text) for b in lines]


def test_tesseract_in_process_reads_as_the_program_does(
    text_video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FrameSource(text_video) as source:
        frame = next(f for _, f in source.frames_at([3.0])).full()
    reader = TesseractReader()
    assert ocr_models.tesseract_library() is not None  # libtesseract ships with the program
    inside = reader.read(frame)
    lines = [b.box for b in inside]
    again = reader.read_lines(frame, lines)
    monkeypatch.setattr(ocr_models, "tesseract_library", lambda: None)
    assert reader.read(frame) == inside  # same words, boxes and confidences as the program's
    assert reader.read_lines(frame, lines) == again
    assert "quarterly results 2024" in [normalize_text(b.text) for b in inside]


def test_cli_prints_sightings_as_json(media: MediaCache) -> None:
    def build(out: Path) -> None:
        title = Caption("Hello from vidsense", 1.0, 4.0, size=40)
        make_video(out, [Scene(6.0, "color=c=0x402060", [title])], size="640x360")

    path = media.get("ocr-cli.mp4", build)
    exe = Path(sys.executable).parent / "vidsense"
    proc = subprocess.run(
        [str(exe), "ocr", str(path), "--every", "1", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [d["text"] for d in data] == ["Hello from vidsense"]
    item = data[0]
    assert set(item) == {"text", "start", "end", "box", "confidence"}
    assert abs(item["start"] - 1.0) <= EVERY + SLACK and abs(item["end"] - 4.0) <= EVERY + SLACK
    x, y, w, h = item["box"]  # full-frame pixels of the 640x360 video (OCR read it at 720p)
    assert 0 < x < 320 < x + w < 640 and 0 < y < 180 < y + h < 360


def test_cli_rejects_a_bad_interval(media: MediaCache) -> None:
    exe = Path(sys.executable).parent / "vidsense"
    proc = subprocess.run(
        [str(exe), "ocr", "whatever.mp4", "--every", "0"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--every" in proc.stderr


# --- tracking, without video ------------------------------------------------------------------


def _box(
    text: str, conf: float = 0.95, box: tuple[int, int, int, int] = (10, 10, 200, 30)
) -> TextBox:
    return TextBox(text, box, conf)


def test_tracker_merges_fuzzy_readings_and_ends_at_the_first_miss() -> None:
    tracker = SightingTracker()
    tracker.push(0.0, [])
    tracker.push(1.0, [_box("Hello World")])
    tracker.push(2.0, [_box("Hel1o World", 0.8)])
    tracker.push(3.0, [_box("Hello World")])
    tracker.push(4.0, [])
    tracker.push(5.0, [])
    (s,) = tracker.finish(6.0)
    assert (s.text, s.start, s.end) == ("Hello World", 1.0, 4.0)


def test_tracker_bridges_one_missed_sample_only() -> None:
    tracker = SightingTracker()
    for t, boxes in [(0.0, ["Title One"]), (1.0, []), (2.0, ["Title One"]), (3.0, []),
                     (4.0, []), (5.0, ["Title One"])]:  # fmt: skip
        tracker.push(t, [_box(b) for b in boxes])
    found = tracker.finish(6.0)
    assert [(s.start, s.end) for s in found] == [(0.0, 3.0), (5.0, 6.0)]


def test_tracker_splits_when_a_number_changes() -> None:
    tracker = SightingTracker()
    for t, text in enumerate(["Slide 3 of 7", "Slide 3 of 7", "Slide 4 of 7", "Slide 4 of 7"]):
        tracker.push(float(t), [_box(text)])
    found = tracker.finish(4.0)
    assert [(s.text, s.start, s.end) for s in found] == [
        ("Slide 3 of 7", 0.0, 2.0),
        ("Slide 4 of 7", 2.0, 4.0),
    ]
    assert same_text("Hel1o World", "Hello World") and not same_text("Step 4 of 7", "Step 5 of 7")


def test_tracker_drops_junk() -> None:
    tracker = SightingTracker()
    tracker.push(0.0, [_box("~-|", 0.9), _box("a", 0.99), _box("Wy", 0.6), _box("Real text", 0.3)])
    tracker.push(1.0, [_box("~-|", 0.9), _box("a", 0.99), _box("Wy", 0.6)])
    tracker.push(2.0, [_box("xq7", 0.6)])  # seen once, unsure
    assert tracker.finish(3.0) == []


def test_tracker_keeps_two_texts_apart_and_wants_time_order() -> None:
    tracker = SightingTracker()
    tracker.push(0.0, [_box("Breaking News"), _box("Weather at ten", box=(10, 300, 200, 30))])
    tracker.push(1.0, [_box("Breaking News")])
    found = tracker.finish(2.0)
    assert [(s.text, s.end) for s in found] == [("Breaking News", 2.0), ("Weather at ten", 1.0)]
    with pytest.raises(InvalidArgument):
        tracker.push(0.5, [])


def test_spaces_come_from_the_other_reading() -> None:
    assert transfer_spaces("JaneDoe,ChiefEngineer", "Jane Doe, Chief Engineer") == (
        "Jane Doe, Chief Engineer"
    )
    # only between characters both readings agree on: not around the misread "0"
    assert transfer_spaces("Step4of7", "step 4 0f 7") == "Step 4of 7"
    assert transfer_spaces("Big Buck Bunny", "BigBuck Bunny") == "Big Buck Bunny"


def test_pieces_of_a_line_are_joined_and_their_overlap_read_once() -> None:
    # RapidOCR found "LIGHTHOUSE TOUR" (48 px white on navy) as two boxes sharing the last E.
    pieces = [TextBox("LIGHTHOUSE", (68, 162, 347, 37), 0.99),
              TextBox("ETOUR", (396, 160, 179, 38), 0.94)]  # fmt: skip
    [line] = join_lines(pieces)
    assert line.text == "LIGHTHOUSE TOUR" and line.box == (68, 160, 507, 39)
    # Overlapping boxes whose letters differ keep them; far apart pieces stay two lines.
    [kept] = join_lines(
        [TextBox("OPEN", (0, 0, 100, 30), 0.9), TextBox("DAILY", (90, 0, 120, 30), 0.9)]
    )
    assert kept.text == "OPEN DAILY"
    apart = join_lines(
        [TextBox("LEFT", (0, 0, 80, 30), 0.9), TextBox("RIGHT", (400, 0, 90, 30), 0.9)]
    )
    assert [t.text for t in apart] == ["LEFT", "RIGHT"]


def test_lines_that_may_have_lost_a_space_are_told_apart() -> None:
    lost = ["JaneDoe,ChiefEngineer", "BREMSENEINSTELLEN", "CHAPTER18 STATION", "Doe,Chief"]
    assert all(may_lack_spaces(text) for text in lost)
    kept = ["Jane Doe, Chief Engineer", "00:00:02.640", "Note 3: river ahead", "KETTE ÖLEN"]
    assert not any(may_lack_spaces(text) for text in kept)


def test_tesseract_re_reads_only_the_lines_that_may_have_lost_a_space(text_video: Path) -> None:
    with FrameSource(text_video) as source:
        frame = next(f for _, f in source.frames_at([3.0])).full()
    asked: list[list[tuple[int, int, int, int]]] = []

    class Counting(TesseractReader):
        def read_lines(self, image_rgb: np.ndarray, boxes: Any) -> list[TextBox | None]:
            asked.append(list(boxes))
            return super().read_lines(image_rgb, boxes)

    reader = CombinedReader(Counting(), RapidOcrReader())
    lines = reader.rapid.read(frame)
    title = next(b for b in lines if normalize_text(b.text) == "quarterly results 2024")
    assert reader._second_opinion(frame, [title]) == [title]  # spaced: not read again
    assert asked == []
    glued = TextBox("QuarterlyResults2024", title.box, title.confidence)
    (mended,) = reader._second_opinion(frame, [title, glued])[1:]
    assert asked == [[title.box]]  # only the glued line went to Tesseract
    assert mended.text == "Quarterly Results 2024"


# --- the model entry --------------------------------------------------------------------------


def test_missing_tesseract_names_the_install_step(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    rapid_only = Settings()
    rapid_only.models.ocr = "rapidocr"
    assert OcrEntry(rapid_only).installed()  # RapidOCR alone needs no program
    entry = OcrEntry(Settings())  # the default also runs Tesseract
    assert not entry.installed()
    with pytest.raises(ModelNotInstalled, match=r"scripts/install\.sh") as e:
        entry.require()
    assert "apt-get install tesseract-ocr tesseract-ocr-eng" in str(e.value)


def test_missing_language_and_bad_engine_names() -> None:
    settings = Settings()
    settings.models.ocr = "tesseract"
    settings.models.ocr_languages = "eng+xyz"
    with pytest.raises(ModelNotInstalled, match="tesseract-ocr-xyz"):
        OcrEntry(settings).require()
    settings = Settings()
    settings.models.ocr = "tesseract+easyocr"
    with pytest.raises(InvalidArgument, match="easyocr"):
        OcrEntry(settings).require()
    assert not OcrEntry(settings).status().installed
    settings = Settings()
    settings.models.ocr = "tesseract+rapidocr"
    ok = OcrEntry(settings)
    assert ok.installed(), ok.detail()
    assert "eng" in ok.detail() and "PP-OCRv4" in ok.detail()
