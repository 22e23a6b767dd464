"""Faces: dlib's HOG detector, 5-point landmarks and 128-d ResNet embedding, offline.

``dlib-bin`` is a prebuilt dlib (Boost Software License). Its frontal face detector (HOG + a
linear SVM) ships inside dlib itself. ``face-recognition-models`` (CC0) ships the two trained
models used here, found with :func:`importlib.util.find_spec` (its ``__init__`` imports
``pkg_resources``, which new setuptools no longer has):

- ``shape_predictor_5_face_landmarks.dat``: two points per eye and one under the nose, enough to
  align a face chip;
- ``dlib_face_recognition_resnet_model_v1.dat``: a ResNet that maps an aligned 150 x 150 chip
  to a 128-d vector; two photos of one person lie about 0.2-0.45 apart (Euclidean), two
  people about 0.7-0.9 (dlib's own threshold is 0.6).

The package also holds a 68-point landmark model, which is NOT used: it was trained on iBUG
300-W, whose images are licensed for non-commercial research only.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidsense.errors import InvalidArgument, ModelNotInstalled
from vidsense.models.base import ModelEntry, load_once

MODELS_PACKAGE = "face_recognition_models"
LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
EMBEDDING_FILE = "dlib_face_recognition_resnet_model_v1.dat"
INSTALL_FACES = "pip install dlib-bin face-recognition-models==0.3.0"
CHIP_SIZE = 150
"""Side (px) of the aligned face chip the ResNet reads."""
CHIP_PADDING = 0.25
"""Margin around the landmarks in an aligned chip, as a fraction of the face size (dlib's)."""
EMBEDDING_DIM = 128


def models_dir() -> Path | None:
    """The ``models`` folder of the installed ``face_recognition_models`` package."""
    try:
        spec = importlib.util.find_spec(MODELS_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "models"
        if folder.is_dir():
            return folder
    return None


def dlib_installed() -> bool:
    try:
        return importlib.util.find_spec("dlib") is not None
    except (ImportError, ValueError):
        return False


@dataclass(frozen=True)
class Detection:
    """A face the detector found: box ``(left, top, right, bottom)`` in pixels of the image it
    ran on, and the SVM score (higher is surer; 0 is dlib's default cut)."""

    box: tuple[int, int, int, int]
    score: float

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


class FaceModel:
    """dlib's detector, landmark predictor and face ResNet, serialised by one lock (dlib's
    objects are not safe to share between threads; each runs on one thread)."""

    def __init__(self, folder: Path) -> None:
        try:
            import dlib
        except ImportError as e:
            raise ModelNotInstalled(f"faces need dlib: {INSTALL_FACES}") from e
        try:
            self.detector: Any = dlib.get_frontal_face_detector()
            self.landmarks: Any = dlib.shape_predictor(str(folder / LANDMARKS_FILE))
            self.resnet: Any = dlib.face_recognition_model_v1(str(folder / EMBEDDING_FILE))
        except RuntimeError as e:
            raise ModelNotInstalled(f"cannot load the face models in {folder}: {e}") from e
        self._dlib = dlib
        self._lock = threading.Lock()

    def detect(
        self, rgb: np.ndarray, *, upsample: int = 0, threshold: float = 0.0
    ) -> list[Detection]:
        """Faces in an ``H x W x 3`` uint8 RGB image scoring at least ``threshold`` (dlib's
        default 0; negative values return weaker candidates), best first. ``upsample`` doubles
        the image that many times first (finds faces down to ~40 px instead of ~80 px, at 4x
        the cost per step)."""
        _check_rgb(rgb)
        with self._lock:
            rects, scores, _ = self.detector.run(rgb, upsample, threshold)
        found = [
            Detection((r.left(), r.top(), r.right(), r.bottom()), float(s))
            for r, s in zip(rects, scores, strict=True)
        ]
        return sorted(found, key=lambda d: -d.score)

    def shape(self, rgb: np.ndarray, box: tuple[int, int, int, int]) -> Any:
        """dlib's ``full_object_detection``: the 5 landmarks of the face in ``box``."""
        rect = self._dlib.rectangle(*box)
        with self._lock:
            return self.landmarks(rgb, rect)

    def chip(self, rgb: np.ndarray, shape: Any, *, size: int = CHIP_SIZE) -> np.ndarray:
        """The face aligned (eyes level, scaled) into a ``size x size`` RGB chip."""
        with self._lock:
            chip: np.ndarray = self._dlib.get_face_chip(rgb, shape, size=size, padding=CHIP_PADDING)
        return chip

    def embed_chip(self, chip: np.ndarray) -> np.ndarray:
        """The 128-d embedding (float32; not unit norm: Euclidean distances are what dlib's
        0.6 same-person threshold is measured in) of a 150 x 150 aligned chip."""
        if chip.shape != (CHIP_SIZE, CHIP_SIZE, 3):
            raise InvalidArgument(f"a face chip is {CHIP_SIZE}x{CHIP_SIZE}x3, got {chip.shape}")
        with self._lock:
            vector = self.resnet.compute_face_descriptor(np.ascontiguousarray(chip))
        return np.asarray(vector, dtype=np.float32)


def _check_rgb(image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InvalidArgument(f"an image must be H x W x 3 uint8, got {image.shape} {image.dtype}")


class FacesEntry(ModelEntry[FaceModel]):
    """dlib face detection, 5-point alignment and 128-d embedding (``dlib-bin`` +
    ``face-recognition-models``). Nothing to prepare: pip installs both."""

    capability = "faces"
    NAME = "dlib-resnet-v1"

    def source(self) -> str:
        folder = models_dir()
        return str(folder) if folder is not None else f"package {MODELS_PACKAGE} (not installed)"

    def _missing(self) -> str | None:
        if not dlib_installed():
            return f"dlib is not installed ({INSTALL_FACES})"
        folder = models_dir()
        if folder is None:
            return f"the {MODELS_PACKAGE} package is not installed ({INSTALL_FACES})"
        lacking = [f for f in (LANDMARKS_FILE, EMBEDDING_FILE) if not (folder / f).is_file()]
        if lacking:
            return f"{folder} lacks {', '.join(lacking)} (reinstall: {INSTALL_FACES})"
        return None

    def installed(self) -> bool:
        return self._missing() is None

    def detail(self) -> str:
        return self._missing() or "HOG detector, 5-point landmarks, 128-d ResNet embedding"

    def require(self) -> None:
        missing = self._missing()
        if missing is not None:
            raise ModelNotInstalled(f"faces: {missing}")

    def load(self) -> FaceModel:
        """The :class:`FaceModel`, loaded once per process."""
        self.require()
        folder = models_dir()
        assert folder is not None
        return load_once(("faces", str(folder)), lambda: FaceModel(folder))
