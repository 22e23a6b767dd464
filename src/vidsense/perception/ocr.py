"""On-screen text: read the text in sampled frames, then follow it across frames into sightings.

Three parts, each usable on its own:

* :class:`TextReader` reads one RGB image into :class:`TextBox` lines. :class:`TesseractReader`
  runs the ``tesseract`` program (exact on plain slides and captions, lost on busy pictures);
  :class:`RapidOcrReader` runs the PP-OCRv4 ONNX models of ``rapidocr_onnxruntime`` (finds and
  reads text on any background); :class:`CombinedReader` lets RapidOCR find and read the lines
  and Tesseract re-read them as a second opinion on word spacing. :func:`open_reader` picks one
  from ``settings.models.ocr``.
* :class:`SightingTracker` takes ``(time, boxes)`` per sample in time order and merges the same
  text seen in consecutive samples into one :class:`TextSighting` with a time range.
* :func:`read_video_text` does both over a video, sampling frames from the one decode pass that
  also finds the shots (periodic samples plus one keyframe per shot). Samples that look the same
  as the last one read (a static slide) reuse its text instead of running OCR again.
"""

from __future__ import annotations

import importlib
import logging
import math
import re
import subprocess
import threading
import time as clock
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from vidsense.config import Settings
from vidsense.errors import InvalidArgument, ModelNotInstalled, ToolFailed
from vidsense.media.decode import DecodedFrame, DecodeReport
from vidsense.media.probe import MediaInfo
from vidsense.models.base import load_once
from vidsense.models.ocr import (
    ENGINES,
    RAPIDOCR_HINT,
    RAPIDOCR_PACKAGE,
    TESSERACT_HINT,
    OcrEntry,
)
from vidsense.perception.shots import ClosedShot

log = logging.getLogger(__name__)

Box = tuple[int, int, int, int]
"""``(x, y, width, height)`` in pixels of the full-resolution frame."""

OCR_MAX_SIDE = 1080
"""Frames are read at full resolution, scaled down only when their shorter side is longer than
this (pixels): 4K costs four times the pixels and reads no better. Smaller frames are not
scaled up: text is found on a :data:`DETECT_SIDE` copy anyway, and each line is scaled to the
recogniser's height on its own (see :func:`_crop_line`)."""


def ocr_factor(width: int, height: int) -> float:
    """How much to scale a ``width`` x ``height`` frame (pixels) for OCR (1.0 or less)."""
    short = min(width, height)
    return OCR_MAX_SIDE / short if short > OCR_MAX_SIDE else 1.0


@dataclass(frozen=True)
class TextBox:
    """One line of text read in one image.

    ``box`` is ``(x, y, width, height)`` in pixels of the image read; ``confidence`` is 0..1.
    """

    text: str
    box: Box
    confidence: float

    def scaled(self, factor: float) -> TextBox:
        """The same line with its box multiplied by ``factor`` (e.g. back to full resolution)."""
        x, y, w, h = self.box
        return TextBox(
            self.text,
            (round(x * factor), round(y * factor), round(w * factor), round(h * factor)),
            self.confidence,
        )


@dataclass(frozen=True)
class TextSighting:
    """Text on screen from ``start`` (first sample it was seen in) to ``end`` (first sample it
    was no longer seen in, or the end of the video), both in seconds; ``box`` is where it was
    read with the most confidence, ``(x, y, width, height)`` in full-frame pixels."""

    text: str
    start: float
    end: float
    box: Box
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "box": list(self.box),
            "confidence": round(self.confidence, 3),
        }


# --------------------------------------------------------------------------- text helpers


def normalize_text(text: str) -> str:
    """Casefolded, NFKC-normalised, with runs of whitespace made one space (for comparing)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _load_ratio() -> Callable[[str, str], float]:
    try:
        levenshtein: Any = importlib.import_module("rapidfuzz.distance.Levenshtein")
    except ImportError:
        import difflib

        def ratio(a: str, b: str) -> float:
            return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()

        return ratio

    def normalized(a: str, b: str) -> float:
        return float(levenshtein.normalized_similarity(a, b))

    return normalized


_ratio = _load_ratio()


def similarity(a: str, b: str) -> float:
    """1 - normalised edit distance of the normalised strings (1.0: same text), spaces ignored
    so that a reading that lost its spaces still matches."""
    a, b = normalize_text(a).replace(" ", ""), normalize_text(b).replace(" ", "")
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    return _ratio(a, b)


_NUMBER = re.compile(r"\d+")


def same_text(a: str, b: str, *, threshold: float = 0.8) -> bool:
    """Whether two readings are the same on-screen text: at least ``threshold`` similar (see
    :func:`similarity`) and, when both hold the same count of numbers, the same numbers, so that
    "Slide 3 of 7" and "Slide 4 of 7" stay apart while "Hel1o World" joins "Hello World"."""
    if similarity(a, b) < threshold:
        return False
    numbers_a, numbers_b = _NUMBER.findall(a), _NUMBER.findall(b)
    return len(numbers_a) != len(numbers_b) or numbers_a == numbers_b


def looks_like_text(text: str, confidence: float, *, min_confidence: float = 0.5) -> bool:
    """False for readings that are most likely noise: below ``min_confidence`` (0..1), mostly
    punctuation, or a single character (two characters need a confidence of 0.9)."""
    stripped = "".join(text.split())
    if not stripped or confidence < min_confidence:
        return False
    alnum = sum(ch.isalnum() for ch in stripped)
    if alnum / len(stripped) < 0.6:
        return False
    return alnum >= 3 or (alnum == 2 and confidence >= 0.9)


def _union(boxes: Iterable[Box]) -> Box:
    items = list(boxes)
    x0 = min(b[0] for b in items)
    y0 = min(b[1] for b in items)
    x1 = max(b[0] + b[2] for b in items)
    y1 = max(b[1] + b[3] for b in items)
    return (x0, y0, x1 - x0, y1 - y0)


def _overlap(a: Box, b: Box) -> float:
    """Intersection area over the smaller box's area (1.0 when one contains the other)."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    smaller = min(a[2] * a[3], b[2] * b[3])
    return (ix * iy) / smaller if smaller > 0 else 0.0


# --------------------------------------------------------------------------- readers


class TextReader(ABC):
    """Reads the text lines in one image. Implementations are used from one thread at a time."""

    NAME: ClassVar[str]

    @abstractmethod
    def read(self, image_rgb: np.ndarray) -> list[TextBox]:
        """Lines of text in an RGB uint8 image, boxes in that image's pixels, top to bottom."""

    @classmethod
    @abstractmethod
    def from_entry(cls, entry: OcrEntry) -> TextReader:
        """The reader configured as ``entry`` (languages, threads) says."""


READERS: dict[str, type[TextReader]] = {}
"""Reader classes by ``NAME`` (``tesseract``, ``rapidocr``, ``tesseract+rapidocr``), filled by
:func:`register_reader`; :func:`open_reader` picks one from the settings."""


def register_reader(cls: type[TextReader]) -> type[TextReader]:
    READERS[cls.NAME] = cls
    return cls


def _to_gray(image_rgb: np.ndarray) -> np.ndarray:
    import cv2

    if image_rgb.ndim == 2:
        return image_rgb
    gray: np.ndarray = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2GRAY)
    return gray


@register_reader
class TesseractReader(TextReader):
    """The ``tesseract`` program on a grayscale image, sparse-text layout (``--psm 11``), words
    grouped into lines.

    Args:
        languages: Tesseract language codes joined by ``+`` (``eng``, ``eng+deu``).
        threads: OpenMP threads for Tesseract (1: scale with processes instead).
        min_height: images shorter than this (pixels) are scaled up first; Tesseract reads
            text best when capitals are at least ~20 px tall.
        timeout: seconds one image may take before it is an error.
    """

    NAME = "tesseract"

    def __init__(
        self,
        *,
        languages: str = "eng",
        threads: int = 1,
        min_height: int = 720,
        psm: int = 11,
        timeout: float = 60.0,
    ) -> None:
        import os
        import shutil

        binary = shutil.which("tesseract")
        if binary is None:
            raise ModelNotInstalled(f"OCR needs the tesseract program; {TESSERACT_HINT}")
        self._binary = binary
        self._languages = languages
        self._psm = psm
        self._min_height = min_height
        self._timeout = timeout
        self._env = {**os.environ, "OMP_THREAD_LIMIT": str(max(1, threads))}

    @classmethod
    def from_entry(cls, entry: OcrEntry) -> TesseractReader:
        return cls(languages="+".join(entry.languages), threads=entry.threads)

    def prepare(self, image_rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """The grayscale image Tesseract reads, and the factor from its pixels back to the
        input's."""
        import cv2

        gray = _to_gray(image_rgb)
        height = gray.shape[0]
        if height >= self._min_height:
            return gray, 1.0
        factor = self._min_height / height
        scaled: np.ndarray = cv2.resize(
            gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC
        )
        return scaled, 1.0 / factor

    def read(self, image_rgb: np.ndarray) -> list[TextBox]:
        gray, back = self.prepare(image_rgb)
        return [b.scaled(back) if back != 1.0 else b for b in self.read_gray(gray)]

    def read_gray(self, gray: np.ndarray) -> list[TextBox]:
        """Lines in a grayscale image, boxes in its pixels."""
        return parse_tsv(self._run(gray, self._psm))

    def read_lines(self, image_rgb: np.ndarray, boxes: Sequence[Box]) -> list[TextBox | None]:
        """Re-read the lines another engine found at ``boxes`` (pixels of ``image_rgb``), in one
        Tesseract run: each line is cut out, scaled to a common height, made dark-on-light and
        binarised on its own, and the cut-outs are stacked into one page. Returns one reading
        per box (None where Tesseract read nothing), boxes as given."""
        if not boxes:
            return []
        gray = _to_gray(image_rgb)
        strips = [_line_strip(gray, box) for box in boxes]
        width = max(strip.shape[1] for strip in strips) + 2 * _STACK_GAP
        page = np.full(
            (sum(strip.shape[0] + _STACK_GAP for strip in strips) + _STACK_GAP, width),
            255,
            dtype=np.uint8,
        )
        bands: list[tuple[int, int]] = []
        top = _STACK_GAP
        for strip in strips:
            page[top : top + strip.shape[0], _STACK_GAP : _STACK_GAP + strip.shape[1]] = strip
            bands.append((top, top + strip.shape[0]))
            top += strip.shape[0] + _STACK_GAP
        found: list[list[_Word]] = [[] for _ in boxes]
        for word in _tsv_words(self._run(page, 6)):
            centre = word.box[1] + word.box[3] / 2
            for i, (b0, b1) in enumerate(bands):
                if b0 - _STACK_GAP / 2 <= centre < b1 + _STACK_GAP / 2:
                    found[i].append(word)
                    break
        return [
            _line_of(sorted(words, key=lambda w: w.box[0]), box) if words else None
            for box, words in zip(boxes, found, strict=True)
        ]

    def _run(self, gray: np.ndarray, psm: int) -> str:
        import cv2

        ok, encoded = cv2.imencode(".pgm", gray)
        if not ok:
            raise ToolFailed("could not encode a frame for tesseract")
        args = [
            self._binary, "stdin", "stdout",
            "-l", self._languages,
            "--psm", str(psm),
            "tsv",
        ]  # fmt: skip
        try:
            proc = subprocess.run(
                args,
                input=encoded.tobytes(),
                capture_output=True,
                timeout=self._timeout,
                env=self._env,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise ToolFailed(f"tesseract took longer than {self._timeout:.0f} s") from e
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ToolFailed(f"tesseract failed: {message[-1] if message else proc.returncode}")
        return proc.stdout.decode("utf-8", "replace")


_STACK_GAP = 24
"""White pixels between the line strips stacked for :meth:`TesseractReader.read_lines`."""

_STRIP_HEIGHT = 40
"""Height (pixels) each line strip is scaled to: Tesseract reads best near 30 px capitals."""


def _line_strip(gray: np.ndarray, box: Box) -> np.ndarray:
    """A line cut out of ``gray`` with a margin, scaled to :data:`_STRIP_HEIGHT`, binarised with
    its own Otsu threshold and turned dark text on white (the background is the class that
    covers most of the strip's border)."""
    import cv2

    x, y, w, h = box
    pad = max(2, round(0.15 * h))
    rows, cols = gray.shape
    crop = gray[max(0, y - pad) : min(rows, y + h + pad), max(0, x - pad) : min(cols, x + w + pad)]
    if crop.size == 0:
        return np.full((_STRIP_HEIGHT, _STRIP_HEIGHT), 255, dtype=np.uint8)
    factor = _STRIP_HEIGHT / crop.shape[0]
    scaled = cv2.resize(
        crop,
        (max(1, round(crop.shape[1] * factor)), _STRIP_HEIGHT),
        interpolation=cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA,
    )
    _, binary = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    border = np.concatenate([binary[0], binary[-1], binary[:, 0], binary[:, -1]])
    if np.count_nonzero(border) < border.size / 2:  # dark background: make the text dark
        binary = 255 - binary
    strip: np.ndarray = binary
    return strip


@dataclass(frozen=True)
class _Word:
    line: tuple[str, str, str, str]  # (page, block, paragraph, line) numbers
    box: Box
    confidence: float  # 0..100, as Tesseract reports it
    text: str


def _tsv_words(tsv: str) -> list[_Word]:
    """The recognised words of Tesseract's TSV output (level 5 rows with text)."""
    out = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            conf = float(cols[10])
            box = (int(cols[6]), int(cols[7]), int(cols[8]), int(cols[9]))
        except ValueError:
            continue
        if conf >= 0:
            out.append(_Word((cols[1], cols[2], cols[3], cols[4]), box, conf, cols[11].strip()))
    return out


def _line_of(words: Sequence[_Word], box: Box | None = None) -> TextBox:
    """Words (left to right) as one line: joined by spaces, mean confidence scaled to 0..1,
    the union of their boxes unless ``box`` is given."""
    conf = sum(w.confidence for w in words) / len(words) / 100.0
    return TextBox(
        " ".join(w.text for w in words),
        box or _union(w.box for w in words),
        max(0.0, min(1.0, conf)),
    )


def parse_tsv(tsv: str) -> list[TextBox]:
    """Tesseract's TSV output as lines, top to bottom: words joined by spaces, the line's box
    the union of its words', its confidence the mean word confidence (0..1)."""
    lines: dict[tuple[str, str, str, str], list[_Word]] = {}
    for word in _tsv_words(tsv):
        lines.setdefault(word.line, []).append(word)
    return _reading_order(_line_of(words) for words in lines.values())


def _reading_order(boxes: Iterable[TextBox]) -> list[TextBox]:
    return sorted(boxes, key=lambda b: (b.box[1], b.box[0]))


DETECT_SIDE = 544
"""RapidOCR finds text on a copy of the image whose shorter side is this many pixels (a
multiple of 32): half the detector time of its default 736 px with the same recall on 720p and
1080p test frames (448 px started to miss small text). Lines are still recognised from the
full-size image."""


@register_reader
class RapidOcrReader(TextReader):
    """PP-OCRv4 detection + recognition from ``rapidocr_onnxruntime`` (ONNX, CPU, ``threads``
    onnxruntime threads). Text is found at :data:`DETECT_SIDE` and read from the full image;
    pieces on the same line, closer than their height, are joined into one line."""

    NAME = "rapidocr"

    def __init__(
        self, *, threads: int = 1, detect_side: int = DETECT_SIDE, line_height: int = 48
    ) -> None:
        self._threads = max(1, threads)
        self._line_height = line_height
        self._detect_side = max(32, detect_side // 32 * 32)
        self._engine = load_once(("ocr", "rapidocr", str(self._threads)), self._load)

    @classmethod
    def from_entry(cls, entry: OcrEntry) -> RapidOcrReader:
        return cls(threads=entry.threads)

    def _load(self) -> Any:
        try:
            module: Any = importlib.import_module(RAPIDOCR_PACKAGE)
        except ImportError as e:
            raise ModelNotInstalled(
                f"OCR engine rapidocr is not installed ({e}); {RAPIDOCR_HINT}"
            ) from e
        # The ONNX files ship inside the package; nothing is downloaded. The detector is given
        # images already at the size wanted (limit 32: it never rescales them itself); video
        # text is upright, so the 180-degree classifier is off.
        return module.RapidOCR(
            intra_op_num_threads=self._threads,
            inter_op_num_threads=self._threads,
            det_limit_side_len=32,
            det_limit_type="min",
            use_cls=False,
            print_verbose=False,
        )

    def read(self, image_rgb: np.ndarray) -> list[TextBox]:
        import cv2

        bgr = np.ascontiguousarray(image_rgb[:, :, ::-1]) if image_rgb.ndim == 3 else image_rgb
        if bgr.ndim == 2:
            bgr = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
        height, width = bgr.shape[:2]
        factor = self._detect_side / min(height, width)
        size = (max(32, round(width * factor / 32) * 32), max(32, round(height * factor / 32) * 32))
        small = cv2.resize(
            bgr, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
        )
        engine = self._engine
        found, _ = engine.text_det(small)
        if found is None or len(found) == 0:
            return []
        scale = np.array([width / size[0], height / size[1]], dtype=np.float32)
        quads = [np.asarray(q, dtype=np.float32) * scale for q in engine.sorted_boxes(found)]
        crops = [_crop_line(bgr, quad, self._line_height) for quad in quads]
        recognised, _ = engine.text_rec(crops)
        pieces: list[TextBox] = []
        for quad, result in zip(quads, recognised, strict=True):
            text, score = " ".join(str(result[0]).split()), float(result[1])
            if not text or score < 0.5:
                continue
            x0, y0 = quad.min(axis=0)
            x1, y1 = quad.max(axis=0)
            box = (int(x0), int(y0), max(1, round(x1 - x0)), max(1, round(y1 - y0)))
            pieces.append(TextBox(text, box, score))
        return join_lines(pieces)


def _crop_line(image: np.ndarray, quad: np.ndarray, min_height: int) -> np.ndarray:
    """The line inside ``quad`` (4 corner points, clockwise from top-left) warped upright, at
    least ``min_height`` px tall: small lines are scaled up here, bicubic, rather than left for
    the recogniser's own bilinear stretch (which runs small words together)."""
    import cv2

    width = max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3]))
    height = max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2]))
    factor = max(1.0, min_height / max(1.0, float(height)))
    out_w, out_h = max(1, round(float(width) * factor)), max(1, round(float(height) * factor))
    target = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    crop: np.ndarray = cv2.warpPerspective(
        image, matrix, (out_w, out_h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
    )
    return crop


def join_lines(pieces: Sequence[TextBox], *, gap: float = 1.2) -> list[TextBox]:
    """Join pieces that sit on one line (vertical overlap over 60% of the shorter height) and are
    less than ``gap`` times the line height apart, left to right, with one space."""
    remaining = sorted(pieces, key=lambda b: (b.box[0], b.box[1]))
    lines: list[list[TextBox]] = []
    for piece in remaining:
        x, y, _, h = piece.box
        for line in lines:
            last = line[-1]
            _, ly, _, lh = _union(p.box for p in line)
            vertical = min(y + h, ly + lh) - max(y, ly)
            if vertical < 0.6 * min(h, lh):
                continue
            # Detected pieces of one line may overlap a little (negative gap).
            if -0.5 * min(h, lh) <= x - (last.box[0] + last.box[2]) < gap * max(h, lh):
                line.append(piece)
                break
        else:
            lines.append([piece])
    out = []
    for line in lines:
        chars = [len(p.text) for p in line]
        conf = sum(p.confidence * n for p, n in zip(line, chars, strict=True)) / sum(chars)
        out.append(TextBox(" ".join(p.text for p in line), _union(p.box for p in line), conf))
    return _reading_order(out)


@register_reader
class CombinedReader(TextReader):
    """RapidOCR finds and reads the lines; Tesseract re-reads each line (one run per image) and
    lends its word spacing where the two agree on the characters.

    Word spacing is what RapidOCR's recogniser gets wrong on small text ("JaneDoe,ChiefEngineer"
    from 15 px type read at its own size); Tesseract keeps spaces but loses text on busy
    backgrounds. Since :class:`RapidOcrReader` scales small lines up before reading them, the
    second opinion changed no test string, for about half as much time again per image.
    """

    NAME = "tesseract+rapidocr"

    def __init__(self, tesseract: TesseractReader, rapid: RapidOcrReader) -> None:
        self.tesseract = tesseract
        self.rapid = rapid

    @classmethod
    def from_entry(cls, entry: OcrEntry) -> CombinedReader:
        return cls(TesseractReader.from_entry(entry), RapidOcrReader.from_entry(entry))

    def read(self, image_rgb: np.ndarray) -> list[TextBox]:
        lines = self.rapid.read(image_rgb)
        again = self.tesseract.read_lines(image_rgb, [line.box for line in lines])
        return [merge_reading(line, other) for line, other in zip(lines, again, strict=True)]


def merge_reading(
    line: TextBox, other: TextBox | None, *, agree: float = 0.8, trust: float = 0.75
) -> TextBox:
    """``line`` with the spaces of ``other`` (another engine's reading of the same place) put
    in, when ``other`` has at least ``trust`` confidence (0..1) and the two readings are at
    least ``agree`` similar without spaces."""
    if other is None or other.confidence < trust or similarity(line.text, other.text) < agree:
        return line
    return TextBox(transfer_spaces(line.text, other.text), line.box, line.confidence)


def transfer_spaces(target: str, source: str) -> str:
    """``target`` with a space added wherever ``source`` has one between two characters that
    both strings share (aligned without spaces, ignoring case); existing spaces stay."""
    import difflib

    def split(text: str) -> tuple[str, set[int]]:
        chars: list[str] = []
        before: set[int] = set()
        for ch in text:
            if ch.isspace():
                if chars:
                    before.add(len(chars))
            else:
                chars.append(ch)
        return "".join(chars), before

    t_chars, t_before = split(target)
    s_chars, s_before = split(source)
    matcher = difflib.SequenceMatcher(None, t_chars.casefold(), s_chars.casefold(), autojunk=False)
    for tag, i1, i2, j1, _ in matcher.get_opcodes():
        if tag == "equal":
            t_before.update(i1 + k for k in range(1, i2 - i1) if j1 + k in s_before)
    return "".join((" " if i in t_before else "") + ch for i, ch in enumerate(t_chars))


def open_reader(settings: Settings) -> TextReader:
    """The reader ``settings.models.ocr`` names (``tesseract``, ``rapidocr`` or both, in any
    order), checked to be installed: :class:`~vidsense.errors.ModelNotInstalled` names the fix
    otherwise."""
    entry = OcrEntry(settings)
    entry.require()
    name = "+".join(engine for engine in ENGINES if engine in entry.engines)
    return READERS[name].from_entry(entry)


# --------------------------------------------------------------------------- tracking


@dataclass
class _Open:
    start: float
    last_seen: float
    reads: list[TextBox] = field(default_factory=list)
    missed_at: float | None = None  # first sample time it was not seen (while tolerated)
    misses: int = 0

    @property
    def text(self) -> str:
        return self.reads[-1].text


def _end(s: _Open) -> float:
    return s.missed_at if s.missed_at is not None else s.last_seen


class SightingTracker:
    """Merges the text of consecutive samples into :class:`TextSighting` time ranges.

    Feed ``push(time, boxes)`` for every sample in time order (seconds), then :meth:`finish`.
    A line read in a sample continues the open sighting whose text is the same by
    :func:`same_text` (at least ``threshold`` similar, same numbers); a sighting ends at the
    first sample it is missing from, unless it is read again within ``patience`` samples (one
    misread does not split it).
    Readings that fail :func:`looks_like_text` are dropped; near-duplicate sightings that touch
    in time are merged; sightings seen in one sample only need ``single_confidence``.

    Args:
        threshold: similarity (0..1) for two readings to be the same text.
        min_confidence: readings below this confidence (0..1) are ignored.
        patience: samples a sighting may be missing from before it ends.
        single_confidence: the confidence a one-sample sighting needs to be kept.
    """

    def __init__(
        self,
        *,
        threshold: float = 0.8,
        min_confidence: float = 0.5,
        patience: int = 1,
        single_confidence: float = 0.75,
    ) -> None:
        self.threshold = threshold
        self.min_confidence = min_confidence
        self.patience = patience
        self.single_confidence = single_confidence
        self._open: list[_Open] = []
        self._closed: list[_Open] = []
        self._samples: list[float] = []
        self._last_time = -math.inf

    def push(self, time: float, boxes: Sequence[TextBox]) -> None:
        """Add one sample's lines; ``time`` (seconds) must not go backwards."""
        if time < self._last_time:
            raise InvalidArgument(
                f"samples must come in time order ({time} s after {self._last_time} s)"
            )
        self._last_time = time
        self._samples.append(time)
        floor = self.min_confidence
        kept = [b for b in boxes if looks_like_text(b.text, b.confidence, min_confidence=floor)]
        pairs = sorted(
            (
                (similarity(b.text, o.text), _overlap(b.box, o.reads[-1].box), bi, oi)
                for bi, b in enumerate(kept)
                for oi, o in enumerate(self._open)
                if same_text(b.text, o.text, threshold=self.threshold)
            ),
            reverse=True,
        )
        matched_boxes: set[int] = set()
        matched_open: set[int] = set()
        for _, _, bi, oi in pairs:
            if bi in matched_boxes or oi in matched_open:
                continue
            matched_boxes.add(bi)
            matched_open.add(oi)
            sighting = self._open[oi]
            sighting.reads.append(kept[bi])
            sighting.last_seen = time
            sighting.missed_at = None
            sighting.misses = 0
        still_open: list[_Open] = []
        for oi, sighting in enumerate(self._open):
            if oi not in matched_open:
                if sighting.missed_at is None:
                    sighting.missed_at = time
                sighting.misses += 1
                if sighting.misses > self.patience:
                    self._closed.append(sighting)
                    continue
            still_open.append(sighting)
        for bi, b in enumerate(kept):
            if bi not in matched_boxes:
                still_open.append(_Open(start=time, last_seen=time, reads=[b]))
        self._open = still_open

    def finish(self, end: float | None = None) -> list[TextSighting]:
        """Close everything still open at ``end`` (seconds; default: the last sample's time) and
        return all sightings, ordered by start."""
        stop = end if end is not None else self._last_time
        for still in self._open:
            if still.missed_at is None:
                still.missed_at = max(stop, still.last_seen)
            self._closed.append(still)
        self._open = []
        merged = self._merge_duplicates(sorted(self._closed, key=lambda s: s.start))
        out: list[TextSighting] = []
        for item in merged:
            sighting = self._summarise(item)
            if len(item.reads) == 1 and sighting.confidence < self.single_confidence:
                continue
            out.append(sighting)
        return sorted(out, key=lambda s: (s.start, s.box[1], s.box[0]))

    def _merge_duplicates(self, items: list[_Open]) -> list[_Open]:
        """Join sightings of near-identical text whose time ranges overlap or touch (``items``
        ordered by start)."""
        out: list[_Open] = []
        active: list[tuple[_Open, str]] = []  # merged sightings that may still touch the next
        for item in items:
            active = [(a, text) for a, text in active if _end(a) + 1e-6 >= item.start]
            text = self._best(item)
            for prev, prev_text in active:
                if same_text(prev_text, text, threshold=self.threshold):
                    end = _end(prev)
                    prev.reads.extend(item.reads)
                    prev.last_seen = max(prev.last_seen, item.last_seen)
                    prev.missed_at = max(end, _end(item))
                    break
            else:
                out.append(item)
                active.append((item, text))
        return out

    @staticmethod
    def _best(s: _Open) -> str:
        """The reading with the most support: confidence summed over identical readings."""
        votes: dict[str, float] = {}
        for read in s.reads:
            key = normalize_text(read.text)
            votes[key] = votes.get(key, 0.0) + read.confidence
        return max(votes, key=lambda k: votes[k])

    def _summarise(self, s: _Open) -> TextSighting:
        winner = self._best(s)
        agreeing = [r for r in s.reads if normalize_text(r.text) == winner]
        best = max(agreeing, key=lambda r: r.confidence)
        confidence = sum(r.confidence for r in agreeing) / len(agreeing)
        return TextSighting(best.text, s.start, _end(s), best.box, confidence)


# --------------------------------------------------------------------------- video


def same_picture(a: np.ndarray, b: np.ndarray, *, level: int = 24, pixels: int = 3) -> bool:
    """True when two small grayscale frames differ in at most ``pixels`` pixels by more than
    ``level`` grey levels: compression noise passes, a new caption (even a small one) does not."""
    if a.shape != b.shape:
        return False
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return int(np.count_nonzero(diff > level)) <= pixels


def ocr_image(frame: DecodedFrame, width: int, factor: float) -> np.ndarray:
    """The RGB image OCR reads for ``frame`` (decoded ``width`` pixels wide): full resolution,
    area-averaged down by ``factor`` when it is below 1, rotated as displayed."""
    if factor < 1.0:
        return frame.full(max(2, round(width * factor)))
    return frame.full()


@dataclass
class _Read:
    """One sample: its time (s), the small grayscale picture whose text ``boxes`` hold."""

    time: float
    gray: np.ndarray
    boxes: list[TextBox]


@dataclass
class OcrStats:
    """What a :func:`read_video_text` run did: samples taken, OCR runs, OCR seconds."""

    samples: int = 0
    ocr_runs: int = 0
    ocr_seconds: float = 0.0


Progress = Callable[[float, float], None]
"""Called with (seconds processed, total seconds)."""


class VideoTextReader:
    """Reads a video's text from the frames of a decode pass that someone else runs.

    Hand it every decoded frame (:meth:`on_frame`, e.g. as ``scan_shots(on_frame=...)``) and
    every closed shot (:meth:`on_shot`), then call :meth:`finish` for the sightings. It reads a
    frame every ``every`` seconds and each shot's keyframes; a sample whose small grayscale
    picture matches the last one read reuses that reading instead of running OCR. Frames are
    read at full resolution, scaled down to :data:`OCR_MAX_SIDE` when larger; sighting boxes
    are in full-resolution pixels, as displayed.

    Args:
        settings: picks the reader (``settings.models.ocr``) unless ``reader`` is given.
        info: the probed video (size, rotation, duration).
        every: seconds between periodic samples.
        reader: the text reader to use (default: :func:`open_reader`).
        stats: filled with sample counts and OCR time, when given (also :attr:`stats`).
    """

    def __init__(
        self,
        settings: Settings,
        info: MediaInfo,
        *,
        every: float = 1.0,
        reader: TextReader | None = None,
        stats: OcrStats | None = None,
    ) -> None:
        if not (math.isfinite(every) and every > 0):
            raise InvalidArgument(f"every must be a positive number of seconds, not {every}")
        self.info = info
        self.every = every
        self.reader = reader or open_reader(settings)
        self.stats = stats if stats is not None else OcrStats()
        self._scale = ocr_factor(info.width, info.height)
        self._results: list[tuple[float, list[TextBox]]] = []
        self._recent: list[_Read] = []  # samples of the open shot, for its keyframes to reuse
        self._next_time = 0.0

    def on_frame(self, frame: DecodedFrame) -> None:
        """Offer a decoded frame (in decode order); the first one at or after each multiple of
        ``every`` seconds is read."""
        if frame.time + 1e-6 < self._next_time:
            return
        self._next_time = (math.floor(frame.time / self.every + 1e-9) + 1) * self.every
        self._read(frame, self._recent[-1:])

    def on_shot(self, closed: ClosedShot) -> None:
        """Read a closed shot's keyframes (unless already sampled or unchanged from a sample
        next to them)."""
        recent = self._recent
        for frame in closed.keyframes:
            if not any(abs(r.time - frame.time) < 1e-6 for r in recent):
                self._read(frame, sorted(recent, key=lambda r: abs(r.time - frame.time))[:2])
        recent[:] = [r for r in recent if r.time >= closed.shot.end]

    def finish(
        self, report: DecodeReport | None = None, *, cancelled: bool = False
    ) -> list[TextSighting]:
        """The sightings, ordered by start. Text still on screen at the end lasts until the
        video's duration, or until the last decoded frame when ``report`` says decoding stopped
        early, or until the last sample when ``cancelled``."""
        tracker = SightingTracker()
        for t, boxes in sorted(self._results, key=lambda item: item[0]):
            tracker.push(t, boxes)
        end: float | None
        if cancelled:
            end = None
        elif report is None or report.error is None:
            end = self.info.duration
        else:
            end = report.last_time + (1.0 / self.info.fps if self.info.fps else 0.0)
        sightings = tracker.finish(end)
        stats = self.stats
        log.info(
            "%s: %d text sightings from %d samples, %d read by %s (%.0f ms each)%s",
            Path(self.info.path).name,
            len(sightings),
            stats.samples,
            stats.ocr_runs,
            self.reader.NAME,
            1000 * stats.ocr_seconds / max(1, stats.ocr_runs),
            " (cancelled)" if cancelled else "",
        )
        return sightings

    def _read(self, frame: DecodedFrame, candidates: Sequence[_Read]) -> None:
        gray = frame.gray()
        done = next((r for r in candidates if same_picture(gray, r.gray)), None)
        if done is not None:
            # Keep comparing against the picture that was read, so slow drift still shows.
            current = _Read(frame.time, done.gray, done.boxes)
        else:
            image = ocr_image(frame, self.info.width, self._scale)
            back = self.info.display_size[0] / image.shape[1]
            started = clock.perf_counter()
            boxes = self.reader.read(image)
            self.stats.ocr_seconds += clock.perf_counter() - started
            self.stats.ocr_runs += 1
            if back != 1.0:
                boxes = [b.scaled(back) for b in boxes]
            current = _Read(frame.time, gray, boxes)
        self.stats.samples += 1
        self._results.append((frame.time, current.boxes))
        self._recent.append(current)
        del self._recent[:-64]  # long shots: older samples are just not offered for reuse


def read_video_text(
    path: str | Path,
    settings: Settings,
    *,
    every: float = 1.0,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    reader: TextReader | None = None,
    stats: OcrStats | None = None,
) -> list[TextSighting]:
    """The text shown in a video, as sightings with time ranges (seconds), from one decode pass
    that also finds the shots (see :class:`VideoTextReader`).

    Start and end are within ``every`` seconds of when the text appeared and disappeared.
    ``progress`` is called with (seconds decoded, duration); when ``cancel`` is set, the
    sightings up to that point are returned (text still on screen ends at the last sample).
    """
    from vidsense.media.probe import probe
    from vidsense.perception.shots import scan_shots

    if not (math.isfinite(every) and every > 0):
        raise InvalidArgument(f"every must be a positive number of seconds, not {every}")
    text_reader = reader or open_reader(settings)
    info = probe(path)
    video = VideoTextReader(settings, info, every=every, reader=text_reader, stats=stats)
    report = DecodeReport()
    for closed in scan_shots(
        path,
        info=info,
        keyframes_per_shot=1,
        threads=settings.decode_threads,
        progress=progress,
        cancel=cancel,
        on_frame=video.on_frame,
        report=report,
    ):
        video.on_shot(closed)
    return video.finish(report, cancelled=cancel is not None and cancel.is_set())
