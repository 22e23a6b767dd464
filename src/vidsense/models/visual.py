"""Where a CLIP-family image/text model comes from: a local folder, never a hub.

None ships offline, so this capability is optional: with ``settings.models.visual`` unset
(``VIDSENSE_MODELS__VISUAL``), :meth:`VisualEntry.installed` is False and callers go on without
visual embeddings. A model folder holds exactly these files::

    visual.onnx      image tower: input  float32 [N, 3, H, W] (RGB, normalised, H = W = image_size)
                                  output float32 [N, embed_dim]
    textual.onnx     text tower:  input  int64   [N, context_length] token ids
                                  (and int64 attention_mask [N, context_length] when it asks)
                                  output float32 [N, embed_dim]
    config.json      {"image_size": 224, "mean": [r, g, b], "std": [r, g, b],
                      "context_length": 77, "embed_dim": 512, "pad_id": 0}
                      (mean/std on the 0-1 scale; pad_id optional, default 0)
    tokenizer.json   a HuggingFace ``tokenizers`` file that adds the model's own start/end tokens

Each tower's first input and first output are used, whatever their names. Outputs need not be
normalised: vidsense L2-normalises them. Exports of OpenAI CLIP, OpenCLIP or SigLIP towers fit
once split into the two graphs. :meth:`VisualEntry.load` gives the :class:`OnnxClipEmbedder`
that runs them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidsense.errors import InvalidArgument, ModelNotInstalled
from vidsense.models.base import ModelEntry, VisualEmbedder, load_once, normalize, text_list

VISUAL_FILES = ("visual.onnx", "textual.onnx", "config.json", "tokenizer.json")
"""The files a visual model folder must hold."""
NOT_CONFIGURED = "no visual model configured (set VIDSENSE_MODELS__VISUAL=/path)"
IMAGE_BATCH_SIZE = 16
"""Images per call into the image tower."""
TEXT_BATCH_SIZE = 32
"""Texts per call into the text tower."""


class OnnxClipEmbedder(VisualEmbedder):
    """The two ONNX towers of a local CLIP-family model folder (see
    :mod:`vidsense.models.visual` for the layout).

    Images are resized so their shorter side is ``image_size`` (area filter when shrinking,
    bicubic when enlarging), centre-cropped square, scaled to 0-1 and normalised with the
    config's ``mean`` and ``std``. Texts are tokenised, truncated and padded to
    ``context_length`` with ``pad_id``, so a text embeds the same alone or in a batch.
    """

    NAME = "onnx-clip"

    def __init__(self, folder: Path, *, threads: int = 1, batch_size: int = IMAGE_BATCH_SIZE):
        self.folder = folder
        config = _read_config(folder / "config.json")
        self.image_size = int(config["image_size"])
        self.mean = np.asarray(config["mean"], dtype=np.float32)
        self.std = np.asarray(config["std"], dtype=np.float32)
        self.context_length = int(config["context_length"])
        self.dim = int(config["embed_dim"])
        self.pad_id = int(config.get("pad_id", 0))
        self.batch_size = batch_size
        self._visual = _session(folder / "visual.onnx", threads)
        self._textual = _session(folder / "textual.onnx", threads)
        self._text_inputs = [i.name for i in self._textual.get_inputs()]
        self._tokenizer = _tokenizer(folder / "tokenizer.json", self.context_length, self.pad_id)
        self._lock = threading.Lock()

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        """``[3, S, S]`` float32 model input for one image (``S`` = ``image_size``)."""
        import cv2

        img = np.asarray(image)
        if img.dtype != np.uint8:
            raise InvalidArgument(f"images must be uint8 RGB arrays, got dtype {img.dtype}")
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        elif img.ndim == 3 and img.shape[2] == 4:
            img = img[:, :, :3]
        if img.ndim != 3 or img.shape[2] != 3 or min(img.shape[:2]) < 1:
            raise InvalidArgument(f"images must be [H, W, 3] RGB arrays, got shape {img.shape}")
        size = self.image_size
        h, w = img.shape[:2]
        scale = size / min(h, w)
        new_w, new_h = max(size, round(w * scale)), max(size, round(h * scale))
        method = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        resized = cv2.resize(img, (new_w, new_h), interpolation=method)
        top, left = (new_h - size) // 2, (new_w - size) // 2
        crop = resized[top : top + size, left : left + size].astype(np.float32) / 255.0
        return ((crop - self.mean) / self.std).transpose(2, 0, 1)

    def embed_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        items = list(images)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        name = self._visual.get_inputs()[0].name
        parts = []
        for i in range(0, len(items), self.batch_size):
            batch = np.stack([self.preprocess(img) for img in items[i : i + self.batch_size]])
            with self._lock:
                parts.append(self._visual.run(None, {name: batch})[0])
        return self._output(parts, len(items), "visual.onnx")

    def tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(input_ids, attention_mask)``, both int64 ``[n, context_length]``."""
        encodings = self._tokenizer.encode_batch(text_list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return ids.reshape(-1, self.context_length), mask.reshape(-1, self.context_length)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        items = text_list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        for i in range(0, len(items), TEXT_BATCH_SIZE):
            ids, mask = self.tokenize(items[i : i + TEXT_BATCH_SIZE])
            feed = {self._text_inputs[0]: ids}
            if "attention_mask" in self._text_inputs[1:]:
                feed["attention_mask"] = mask
            with self._lock:
                parts.append(self._textual.run(None, feed)[0])
        return self._output(parts, len(items), "textual.onnx")

    def _output(self, parts: list[Any], n: int, graph: str) -> np.ndarray:
        out = np.concatenate([np.asarray(p, dtype=np.float32) for p in parts])
        if out.shape != (n, self.dim):
            raise ModelNotInstalled(
                f"{self.folder / graph} returned shape {out.shape}, expected ({n}, {self.dim}) "
                "(embed_dim in config.json)"
            )
        return normalize(out)


def _read_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelNotInstalled(f"cannot read {path}: {e}") from e
    problems = []
    for key in ("image_size", "context_length", "embed_dim"):
        if not isinstance(config.get(key), int) or config[key] <= 0:
            problems.append(f"{key} must be a positive integer")
    for key in ("mean", "std"):
        value = config.get(key)
        if not (
            isinstance(value, list)
            and len(value) == 3
            and all(isinstance(x, int | float) for x in value)
        ):
            problems.append(f"{key} must be a list of 3 numbers")
    if isinstance(config.get("std"), list) and 0 in config["std"]:
        problems.append("std must not contain 0")
    if problems:
        raise ModelNotInstalled(f"{path}: {'; '.join(problems)}")
    result: dict[str, Any] = config
    return result


def _session(path: Path, threads: int) -> Any:
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise ModelNotInstalled(
            "visual embeddings need onnxruntime: pip install onnxruntime"
        ) from e
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        raise ModelNotInstalled(f"cannot load {path}: {e}") from e


def _tokenizer(path: Path, length: int, pad_id: int) -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError as e:
        raise ModelNotInstalled("visual embeddings need tokenizers: pip install tokenizers") from e
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as e:  # tokenizers raises a bare Exception on a bad file
        raise ModelNotInstalled(f"cannot read the tokenizer {path}: {e}") from e
    tokenizer.enable_truncation(max_length=length)
    tokenizer.enable_padding(length=length, pad_id=pad_id)
    return tokenizer


class VisualEntry(ModelEntry[VisualEmbedder]):
    """A CLIP-family ONNX model from the folder in ``settings.models.visual``, if any."""

    capability = "visual_embedding"
    NAME = "onnx-clip"

    @property
    def folder(self) -> Path | None:
        value = self.settings.models.visual
        return value.expanduser() if value is not None else None

    @property
    def model(self) -> str:
        return str(self.folder) if self.folder is not None else "none"

    def source(self) -> str:
        return str(self.folder) if self.folder is not None else "not configured"

    def missing_files(self) -> list[str]:
        """Files of :data:`VISUAL_FILES` absent from the folder (all when unset)."""
        folder = self.folder
        if folder is None:
            return list(VISUAL_FILES)
        return [name for name in VISUAL_FILES if not (folder / name).is_file()]

    def installed(self) -> bool:
        return self.folder is not None and not self.missing_files()

    def detail(self) -> str:
        if self.folder is None:
            return NOT_CONFIGURED
        missing = self.missing_files()
        if missing:
            return f"{self.folder} lacks {', '.join(missing)} (needs {', '.join(VISUAL_FILES)})"
        return "CLIP-family ONNX image and text towers"

    def require(self) -> None:
        if not self.installed():
            raise ModelNotInstalled(f"visual_embedding: {self.detail()}")

    def load(self) -> VisualEmbedder:
        """The model in ``settings.models.visual``, loaded once per process with
        ``settings.models.threads`` threads.

        Raises :class:`ModelNotInstalled` when none is configured or its folder is incomplete;
        check :meth:`installed` first to go on without one.
        """
        self.require()
        folder = self.folder
        assert folder is not None
        threads = max(1, self.settings.models.threads)
        return load_once(
            ("visual_embedding", str(folder.resolve()), str(threads)),
            lambda: OnnxClipEmbedder(folder, threads=threads),
        )
