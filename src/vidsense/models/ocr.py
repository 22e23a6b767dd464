"""The on-screen text capability: Tesseract (a system program) and RapidOCR (PP-OCR ONNX models
that ship inside the ``rapidocr-onnxruntime`` package).

``settings.models.ocr`` names the engines, ``+`` joined: ``tesseract``, ``rapidocr`` or
``tesseract+rapidocr`` (the default). Nothing is downloaded: Tesseract and its traineddata come
from the system packages, the ONNX files from the installed Python package.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Literal

from vidsense.config import Settings
from vidsense.errors import InvalidArgument, ModelNotInstalled
from vidsense.models.base import ModelEntry, ModelStatus

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


class OcrEntry(ModelEntry[Any]):
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
