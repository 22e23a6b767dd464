"""The on-screen text capability: Tesseract (a system program) and RapidOCR (PP-OCR ONNX models
that ship inside the ``rapidocr-onnxruntime`` package), and the readers that run them.

``settings.models.ocr`` names the engines, ``+`` joined: ``tesseract``, ``rapidocr`` or
``tesseract+rapidocr`` (the default). Nothing is downloaded: Tesseract and its traineddata come
from the system packages, the ONNX files from the installed Python package.

:meth:`OcrEntry.load` gives the :class:`~vidsense.models.base.TextReader` the settings name:
:class:`TesseractReader` runs the ``tesseract`` program (exact on plain slides and captions,
lost on busy pictures); :class:`RapidOcrReader` runs the PP-OCRv4 ONNX models (finds and reads
text on any background); :class:`CombinedReader` lets RapidOCR find and read the lines and
Tesseract re-read them as a second opinion on word spacing. Following the text across frames
is :mod:`vidsense.perception.ocr`'s part.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import functools
import importlib
import importlib.metadata
import importlib.util
import math
import re
import shutil
import subprocess
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from vidsense.config import Settings
from vidsense.errors import InvalidArgument, ModelNotInstalled, ToolFailed
from vidsense.models.base import Box, ModelEntry, ModelStatus, TextBox, TextReader, load_once

Engine = Literal["tesseract", "rapidocr"]
ENGINES: tuple[Engine, ...] = ("tesseract", "rapidocr")

TESSERACT_HINT = "run scripts/install.sh (or: apt-get install tesseract-ocr tesseract-ocr-eng)"
RAPIDOCR_HINT = (
    "run scripts/install.sh (or: pip install --no-deps rapidocr-onnxruntime==1.4.4 and "
    "pip install onnxruntime pyclipper shapely pyyaml six)"
)
RAPIDOCR_PACKAGE = "rapidocr_onnxruntime"
RAPIDOCR_MODELS = {
    "det": "ch_PP-OCRv4_det_infer.onnx",
    "rec": "ch_PP-OCRv4_rec_infer.onnx",
    "cls": "ch_ppocr_mobile_v2.0_cls_infer.onnx",
}


def parse_engines(spec: str) -> list[Engine]:
    """``"tesseract+rapidocr"`` -> ``["tesseract", "rapidocr"]``; unknown names are an error."""
    names = [part.strip().lower() for part in spec.split("+") if part.strip()]
    engines: list[Engine] = []
    for name in names:
        if name not in ENGINES:
            raise InvalidArgument(
                f"unknown OCR engine {name!r} in VIDSENSE_MODELS__OCR={spec!r}; "
                "use tesseract, rapidocr or tesseract+rapidocr"
            )
        engine: Engine = "tesseract" if name == "tesseract" else "rapidocr"
        if engine not in engines:
            engines.append(engine)
    if not engines:
        raise InvalidArgument("VIDSENSE_MODELS__OCR is empty; use tesseract, rapidocr or both")
    return engines


@functools.cache
def _tesseract_info(binary: str) -> tuple[str, frozenset[str]]:
    """(version, installed language codes) of a Tesseract binary; asked once per process."""
    try:
        version = subprocess.run(
            [binary, "--version"], capture_output=True, timeout=20, check=False
        )
        langs = subprocess.run(
            [binary, "--list-langs"], capture_output=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "", frozenset()
    text = (version.stdout + version.stderr).decode("utf-8", "replace")
    match = re.search(r"tesseract\s+v?(\S+)", text)
    listed = langs.stdout.decode("utf-8", "replace").splitlines()
    # The first line is a header naming the tessdata folder; the rest are language codes.
    codes = frozenset(line.strip() for line in listed[1:] if line.strip())
    return (match.group(1) if match else "unknown"), codes


def tesseract_binary() -> str | None:
    """Path of the ``tesseract`` program, or None."""
    return shutil.which("tesseract")


def rapidocr_dir() -> Path | None:
    """Folder of the installed ``rapidocr_onnxruntime`` package (found without importing it)."""
    spec = importlib.util.find_spec(RAPIDOCR_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class OcrEntry(ModelEntry[TextReader]):
    """Tesseract and/or RapidOCR, as ``settings.models.ocr`` names them."""

    capability = "ocr"
    NAME = "tesseract+rapidocr"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        # Threads for onnxruntime and Tesseract's OpenMP: one by default (scale with processes).
        self.threads = max(1, settings.models.threads)

    @property
    def model(self) -> str:
        return self.settings.models.ocr

    @property
    def engines(self) -> list[Engine]:
        return parse_engines(self.settings.models.ocr)

    @property
    def languages(self) -> list[str]:
        """Tesseract language codes (``eng``, ``deu``) from ``settings.models.ocr_languages``."""
        return [c for c in self.settings.models.ocr_languages.split("+") if c.strip()] or ["eng"]

    def missing_languages(self) -> list[str]:
        binary = tesseract_binary()
        if binary is None:
            return self.languages
        _, installed = _tesseract_info(binary)
        return [code for code in self.languages if code not in installed]

    def rapidocr_models(self) -> dict[str, Path]:
        """The PP-OCR ONNX files that ship inside rapidocr_onnxruntime (those present)."""
        root = rapidocr_dir()
        if root is None:
            return {}
        found = {role: root / "models" / name for role, name in RAPIDOCR_MODELS.items()}
        return {role: path for role, path in found.items() if path.is_file()}

    def tesseract_ready(self) -> bool:
        return tesseract_binary() is not None and not self.missing_languages()

    def rapidocr_ready(self) -> bool:
        return (
            len(self.rapidocr_models()) == len(RAPIDOCR_MODELS)
            and importlib.util.find_spec("onnxruntime") is not None
        )

    def status(self) -> ModelStatus:
        try:
            parse_engines(self.settings.models.ocr)
        except InvalidArgument as e:  # a bad setting is listed, not raised, by `models list`
            return ModelStatus(self.capability, self.model, "", False, str(e))
        return super().status()

    def source(self) -> str:
        parts: list[str] = []
        for engine in self.engines:
            if engine == "tesseract":
                parts.append(tesseract_binary() or "tesseract (not on PATH)")
            else:
                root = rapidocr_dir()
                missing = f"{RAPIDOCR_PACKAGE} (not installed)"
                parts.append(str(root / "models") if root else missing)
        return " + ".join(parts)

    def installed(self) -> bool:
        ready = {"tesseract": self.tesseract_ready, "rapidocr": self.rapidocr_ready}
        return all(ready[engine]() for engine in self.engines)

    def detail(self) -> str:
        notes: list[str] = []
        for engine in self.engines:
            if engine == "tesseract":
                binary = tesseract_binary()
                if binary is None:
                    notes.append("tesseract: missing")
                    continue
                version, langs = _tesseract_info(binary)
                missing = self.missing_languages()
                notes.append(
                    f"tesseract {version}, languages {'+'.join(sorted(langs - {'osd'})) or 'none'}"
                    + (f" (missing: {'+'.join(missing)})" if missing else "")
                )
            else:
                models = self.rapidocr_models()
                if not models:
                    notes.append("rapidocr: missing")
                    continue
                try:
                    version = importlib.metadata.version("rapidocr-onnxruntime")
                except importlib.metadata.PackageNotFoundError:
                    version = "?"
                notes.append(f"rapidocr {version}: {', '.join(p.name for p in models.values())}")
        return "; ".join(notes)

    def require(self) -> None:
        """Raise :class:`ModelNotInstalled` naming the install step for what is missing."""
        for engine in self.engines:
            if engine == "tesseract":
                if tesseract_binary() is None:
                    raise ModelNotInstalled(f"OCR needs the tesseract program; {TESSERACT_HINT}")
                missing = self.missing_languages()
                if missing:
                    packages = " ".join(f"tesseract-ocr-{code}" for code in missing)
                    raise ModelNotInstalled(
                        f"Tesseract has no traineddata for {'+'.join(missing)}; "
                        f"run: apt-get install {packages}"
                    )
            elif not self.rapidocr_ready():
                raise ModelNotInstalled(
                    f"OCR engine rapidocr needs the {RAPIDOCR_PACKAGE} package with its ONNX "
                    f"models and onnxruntime; {RAPIDOCR_HINT}"
                )

    def load(self) -> TextReader:
        """The reader ``settings.models.ocr`` names (``tesseract``, ``rapidocr`` or both, in
        any order), checked to be installed: :class:`~vidsense.errors.ModelNotInstalled` names
        the fix otherwise. RapidOCR's ONNX sessions are built once per process; Tesseract runs
        as a program per image."""
        self.require()
        name = "+".join(engine for engine in ENGINES if engine in self.engines)
        return READERS[name](self)


# --- text helpers ----------------------------------------------------------------------------


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


def _union(boxes: Iterable[Box]) -> Box:
    items = list(boxes)
    x0 = min(b[0] for b in items)
    y0 = min(b[1] for b in items)
    x1 = max(b[0] + b[2] for b in items)
    y1 = max(b[1] + b[3] for b in items)
    return (x0, y0, x1 - x0, y1 - y0)


# --- readers ---------------------------------------------------------------------------------


def _to_gray(image_rgb: np.ndarray) -> np.ndarray:
    import cv2

    if image_rgb.ndim == 2:
        return image_rgb
    gray: np.ndarray = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2GRAY)
    return gray


class TesseractReader(TextReader):
    """Tesseract on a grayscale image, sparse-text layout (``--psm 11``), words grouped into
    lines. Tesseract's library runs inside this process when it loads
    (:func:`tesseract_library`: the same engine and traineddata as the program, without
    loading them again for every image); otherwise the ``tesseract`` program runs per image.

    Args:
        languages: Tesseract language codes joined by ``+`` (``eng``, ``eng+deu``).
        threads: OpenMP threads for Tesseract (1: scale with processes instead).
        min_height: images shorter than this (pixels) are scaled up first; Tesseract reads
            text best when capitals are at least ~20 px tall.
        timeout: seconds one image may take before it is an error (the program only).
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
        self._threads = max(1, threads)
        self._env = {**os.environ, "OMP_THREAD_LIMIT": str(self._threads)}

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
        """Tesseract's TSV for ``gray`` (header row first): from the library loaded in this
        process when it can be, else from the program."""
        library = tesseract_library()
        if library is not None:
            tsv = library.tsv(gray, self._languages, psm, self._threads)
            if tsv is not None:
                return tsv
        return self._run_program(gray, psm)

    def _run_program(self, gray: np.ndarray, psm: int) -> str:
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


_TSV_HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\t"
    "left\ttop\twidth\theight\tconf\ttext\n"
)
"""The header row the ``tesseract`` program writes before its TSV rows (the library does not)."""


class TesseractLibrary:
    """Tesseract's C API (``libtesseract``, the library the ``tesseract`` program runs on)
    called through ctypes. Starting Tesseract (reading the traineddata) costs about 0.1 s of
    CPU, as much as reading a caption; the program pays it for every image, this pays it once
    per engine. Engines are kept per language set and handed to one caller at a time (a second
    thread reading at the same moment gets an engine of its own); the GIL is released while
    Tesseract works. The TSV is the program's for the same image, page layout and languages.
    """

    def __init__(self, lib: Any, gomp: Any) -> None:
        self._lib = lib
        self._gomp = gomp
        self._lock = threading.Lock()
        self._idle: dict[str, list[int]] = {}
        atexit.register(self.close)

    @classmethod
    def load(cls) -> TesseractLibrary | None:
        """The library, or None when it is not installed (the program is run instead)."""
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("tesseract") or "libtesseract.so.5")
        except OSError:
            return None
        handle, text = ctypes.c_void_p, ctypes.c_char_p
        lib.TessBaseAPICreate.restype = handle
        lib.TessBaseAPIInit3.argtypes = [handle, text, text]
        lib.TessBaseAPISetVariable.argtypes = [handle, text, text]
        lib.TessBaseAPISetPageSegMode.argtypes = [handle, ctypes.c_int]
        lib.TessBaseAPISetImage.argtypes = [handle, handle] + [ctypes.c_int] * 4
        lib.TessBaseAPIGetTsvText.argtypes = [handle, ctypes.c_int]
        lib.TessBaseAPIGetTsvText.restype = handle
        lib.TessBaseAPIClear.argtypes = [handle]
        lib.TessBaseAPIEnd.argtypes = [handle]
        lib.TessBaseAPIDelete.argtypes = [handle]
        lib.TessDeleteText.argtypes = [handle]
        try:  # Tesseract's OpenMP: one thread per model, as OMP_THREAD_LIMIT does for the program
            gomp: Any = ctypes.CDLL(ctypes.util.find_library("gomp") or "libgomp.so.1")
        except OSError:
            gomp = None
        return cls(lib, gomp)

    def _engine(self, languages: str) -> int | None:
        with self._lock:
            idle = self._idle.setdefault(languages, [])
            if idle:
                return idle.pop()
        engine = self._lib.TessBaseAPICreate()
        if not engine:
            return None
        if self._lib.TessBaseAPIInit3(engine, None, languages.encode()) != 0:
            self._lib.TessBaseAPIDelete(engine)
            return None
        # Tesseract's notes ("Estimating resolution as ...") would go to this process's stderr.
        self._lib.TessBaseAPISetVariable(engine, b"debug_file", b"/dev/null")
        return int(engine)

    def tsv(self, gray: np.ndarray, languages: str, psm: int, threads: int = 1) -> str | None:
        """Tesseract's TSV (header row first) for a grayscale uint8 image with page layout
        ``psm``; None when no engine for ``languages`` could be started."""
        engine = self._engine(languages)
        if engine is None:
            return None
        try:
            if self._gomp is not None:
                self._gomp.omp_set_num_threads(max(1, threads))
            image = np.ascontiguousarray(gray, dtype=np.uint8)
            height, width = image.shape[:2]
            self._lib.TessBaseAPISetPageSegMode(engine, psm)
            self._lib.TessBaseAPISetImage(
                engine, image.ctypes.data, width, height, 1, image.strides[0]
            )
            found = self._lib.TessBaseAPIGetTsvText(engine, 0)
            if not found:
                raise ToolFailed("tesseract could not read a frame")
            try:
                return _TSV_HEADER + ctypes.string_at(found).decode("utf-8", "replace")
            finally:
                self._lib.TessDeleteText(found)
                self._lib.TessBaseAPIClear(engine)
        finally:
            with self._lock:
                self._idle[languages].append(engine)

    def close(self) -> None:
        """End every engine (at exit; engines in use are left to the process's end)."""
        with self._lock:
            idle = [engine for engines in self._idle.values() for engine in engines]
            self._idle = {}
        for engine in idle:
            self._lib.TessBaseAPIEnd(engine)
            self._lib.TessBaseAPIDelete(engine)


@functools.cache
def tesseract_library() -> TesseractLibrary | None:
    """Tesseract's library loaded once per process (None when it is not installed)."""
    return TesseractLibrary.load()


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


class RapidOcrReader(TextReader):
    """PP-OCRv4 detection + recognition from ``rapidocr_onnxruntime`` (ONNX, CPU, ``threads``
    onnxruntime threads). Text is found at :data:`DETECT_SIDE` and read from the full image;
    pieces on the same line, closer than their height, are joined into one line. Threads may
    read at once: onnxruntime sessions run concurrent calls, each on its caller's thread (plus
    ``threads - 1`` of its own), and the detector's per-call preprocessing is the same for
    every image (its fixed side limit), so it does not matter which thread's it uses."""

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
        bgr = _bgr(image_rgb)
        height, width = bgr.shape[:2]
        return self._read(bgr, (0, 0, width, height), self._detect_side / min(height, width))

    def read_regions(self, image_rgb: np.ndarray, regions: Sequence[Box]) -> list[TextBox]:
        """Lines inside ``regions`` of the image (pixels), found at the scale the whole image
        is searched at (so a region costs the detector its share of the picture, and small
        text is found as it would be in the whole); each region is widened to whole detector
        cells (32 px) rather than stretched."""
        bgr = _bgr(image_rgb)
        height, width = bgr.shape[:2]
        factor = self._detect_side / min(height, width)
        found: list[TextBox] = []
        for region in regions:
            part = _cell_region(region, factor, width, height)
            if part is not None:
                found += self._read(bgr, part, factor)
        return _reading_order(found)

    def _read(self, bgr: np.ndarray, region: Box, factor: float) -> list[TextBox]:
        """Lines found in ``region`` of ``bgr`` searched at ``factor`` times its size, read
        from the full-size picture; boxes in ``bgr``'s pixels."""
        import cv2

        x, y, w, h = region
        part = bgr[y : y + h, x : x + w]
        size = (max(32, round(w * factor / 32) * 32), max(32, round(h * factor / 32) * 32))
        small = cv2.resize(
            part, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
        )
        engine = self._engine
        found, _ = engine.text_det(small)
        if found is None or len(found) == 0:
            return []
        scale = np.array([w / size[0], h / size[1]], dtype=np.float32)
        origin = np.array([x, y], dtype=np.float32)
        quads = [
            np.asarray(q, dtype=np.float32) * scale + origin for q in engine.sorted_boxes(found)
        ]
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


def _bgr(image_rgb: np.ndarray) -> np.ndarray:
    import cv2

    if image_rgb.ndim == 2:
        gray: np.ndarray = cv2.cvtColor(image_rgb, cv2.COLOR_GRAY2BGR)
        return gray
    return np.ascontiguousarray(image_rgb[:, :, ::-1])


def _cell_region(region: Box, factor: float, width: int, height: int) -> Box | None:
    """``region`` grown about its centre to a whole number of 32 px detector cells at
    ``factor``, kept inside a ``width`` x ``height`` image (None when it lies outside)."""
    x, y, w, h = region
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    if x1 <= x0 or y1 <= y0:
        return None

    def span(lo: int, hi: int, limit: int) -> tuple[int, int]:
        cells = max(1, math.ceil((hi - lo) * factor / 32))
        length = min(limit, round(cells * 32 / factor))
        start = max(0, min(limit - length, (lo + hi - length) // 2))
        return start, length

    sx, sw = span(x0, x1, width)
    sy, sh = span(y0, y1, height)
    return (sx, sy, sw, sh)


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
    less than ``gap`` times the line height apart, left to right, with one space. Detected
    pieces of one line may overlap by up to a line height; the characters a piece shares with
    the one before inside their overlap are read once ("LIGHTHOUSE" and "ETOUR", whose boxes
    share the last "E", are "LIGHTHOUSE TOUR")."""
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
            if -min(h, lh) <= x - (last.box[0] + last.box[2]) < gap * max(h, lh):
                line.append(_after(last, piece))
                break
        else:
            lines.append([piece])
    out = []
    for line in lines:
        line = [p for p in line if p.text]
        chars = [len(p.text) for p in line]
        conf = sum(p.confidence * n for p, n in zip(line, chars, strict=True)) / sum(chars)
        out.append(TextBox(" ".join(p.text for p in line), _union(p.box for p in line), conf))
    return _reading_order(out)


def _after(left: TextBox, right: TextBox) -> TextBox:
    """``right`` without the characters it repeats of ``left`` where their boxes overlap (as
    many as fit in the overlap at ``right``'s character width; only when they match)."""
    overlap = left.box[0] + left.box[2] - right.box[0]
    if overlap <= 0 or not right.text:
        return right
    shared = round(overlap / (right.box[2] / len(right.text)))
    for n in range(min(shared, len(left.text), len(right.text)), 0, -1):
        if left.text[-n:].lower() == right.text[:n].lower():
            return TextBox(right.text[n:].lstrip(), right.box, right.confidence)
    return right


SPACE_RUN = 10
"""Letters in a row, with no space, from which RapidOCR's reading of a line may have lost a space
("BREMSENEINSTELLEN"); words this long are rare enough that re-reading their lines costs little."""

_CAMEL = re.compile(r"[a-z][A-Z]")
_LETTER_RUN = re.compile(rf"[^\W\d_]{{{SPACE_RUN},}}")
_GLUED = re.compile(r"[^\W\d_][,;:!?][^\W\d_]")
_MIXED = re.compile(r"[^\W\d_]\d|\d[^\W\d_]")


def may_lack_spaces(text: str) -> bool:
    """Whether a line read as ``text`` may have lost a space between words: a run of
    :data:`SPACE_RUN` letters, a capital straight after a small letter ("JaneDoe"),
    punctuation between two letters ("Doe,Chief") or a letter against a digit ("CHAPTER18").
    Numbers and time codes are read as RapidOCR reads them."""
    return any(pattern.search(text) for pattern in (_LETTER_RUN, _CAMEL, _GLUED, _MIXED))


class CombinedReader(TextReader):
    """RapidOCR finds and reads the lines; Tesseract re-reads the lines that may have lost a
    space (:func:`may_lack_spaces`; one run per image) and lends its word spacing where the two
    agree on the characters.

    Word spacing is what RapidOCR's recogniser gets wrong ("JaneDoe,ChiefEngineer" from 15 px
    type read at its own size, "BREMSENEINSTELLEN" from 54 px capitals); Tesseract keeps spaces
    but loses text on busy backgrounds. Lines with no sign of a lost space are not re-read: on
    the quality corpus that leaves every caption as it was read and saves Tesseract's time on
    most lines (and it no longer puts a space into a time code, "00:00:02 .640").
    """

    NAME = "tesseract+rapidocr"

    def __init__(self, tesseract: TesseractReader, rapid: RapidOcrReader) -> None:
        self.tesseract = tesseract
        self.rapid = rapid

    @classmethod
    def from_entry(cls, entry: OcrEntry) -> CombinedReader:
        return cls(TesseractReader.from_entry(entry), RapidOcrReader.from_entry(entry))

    def read(self, image_rgb: np.ndarray) -> list[TextBox]:
        return self._second_opinion(image_rgb, self.rapid.read(image_rgb))

    def read_regions(self, image_rgb: np.ndarray, regions: Sequence[Box]) -> list[TextBox]:
        """RapidOCR's lines in ``regions`` (see :meth:`RapidOcrReader.read_regions`), re-read by
        Tesseract in one run for all of them."""
        return self._second_opinion(image_rgb, self.rapid.read_regions(image_rgb, regions))

    def _second_opinion(self, image_rgb: np.ndarray, lines: list[TextBox]) -> list[TextBox]:
        doubtful = [i for i, line in enumerate(lines) if may_lack_spaces(line.text)]
        if not doubtful:
            return lines
        again = self.tesseract.read_lines(image_rgb, [lines[i].box for i in doubtful])
        out = list(lines)
        for i, other in zip(doubtful, again, strict=True):
            out[i] = merge_reading(lines[i], other)
        return out


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


READERS: dict[str, Callable[[OcrEntry], TextReader]] = {
    TesseractReader.NAME: TesseractReader.from_entry,
    RapidOcrReader.NAME: RapidOcrReader.from_entry,
    CombinedReader.NAME: CombinedReader.from_entry,
}
"""Readers by ``NAME`` (``tesseract``, ``rapidocr``, ``tesseract+rapidocr``), each built as an
:class:`OcrEntry` configures it; :meth:`OcrEntry.load` picks one from the settings."""
