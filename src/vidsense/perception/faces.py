"""Faces in a picture, checked so that dogs and drawings do not count, and grouped into people.

:func:`find_faces` runs dlib's HOG detector (:mod:`vidsense.models.faces`) on a picture scaled
to at most :data:`DETECT_SIDE` px, places the 5 landmarks, aligns a 150 x 150 chip and embeds
it. The detector also fires on dog faces (a Samoyed scores 0.43, above dlib's 0 cut) and now and
then on drawings, so a detection counts as a face only when it passes :class:`FaceFilter`:

- ``min_size``: boxes narrower than this (px, at detection scale) are too small to embed well;
- ``min_score``: the detector's own SVM score;
- ``min_chip_score``: the detector run again on the aligned chip: a human face, once its eyes
  are level and centred, looks like a face to it (1.1-2.0 on real photos), a dog's muzzle or a
  circuit board does not (-0.9 to 0.35);
- ``min_eye_ratio``: the distance between the eye centres over the box width (0.37-0.50 for
  people, 0.27-0.31 for dogs, whose eyes sit wide under a broad forehead).

Defaults were chosen on photos (face_recognition's test photos of two people, the Samoyed and
circuit-board photos of ``forensics-samples-files``) and checked on video frames never used to
choose them (``benchmarks/visual.py`` prints both).

:func:`cluster_faces` groups embeddings into people: average-linkage agglomerative clustering
with a Euclidean distance cut (:data:`SAME_PERSON_DISTANCE`; photos of one person lie 0.2-0.47
apart, two people 0.72-0.94). Face data is biometric data: callers store it only for indexes
that opted in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from vidsense.models.faces import FaceModel

DETECT_SIDE = 1024
"""Longest side (px) a picture is scaled down to before detection (HOG costs ~60 ms there)."""
UPSAMPLE_BELOW = 640
"""Pictures whose longest side is below this (px) are doubled once for the detector, so that
faces down to ~40 px are found."""
SAME_PERSON_DISTANCE = 0.55
"""Average-linkage distance cut when grouping faces into people (dlib's own pairwise threshold
is 0.6)."""
CHIP_CHECK_SIDE = 300
"""The aligned chip is enlarged to this side (px) before the detector checks it again."""

RejectReason = Literal["small", "score", "chip", "eyes"]


@dataclass(frozen=True)
class FaceFilter:
    """What a detection must pass to count as a human face (see the module docstring)."""

    min_size: int = 40
    min_score: float = 0.0
    min_chip_score: float = 0.8
    min_eye_ratio: float = 0.33


@dataclass(frozen=True)
class Face:
    """A human face in a picture.

    ``box`` is ``(left, top, right, bottom)`` as fractions (0-1) of the picture's width and
    height, so it holds at any resolution. ``score`` is the detector's score, ``chip_score`` its
    score on the aligned chip and ``eye_ratio`` the eye distance over the box width (the
    quality checks it passed). ``embedding`` is the 128-d dlib vector (float32, compare with
    Euclidean distance); ``chip`` the aligned 150 x 150 RGB face, for thumbnails.
    """

    box: tuple[float, float, float, float]
    score: float
    chip_score: float
    eye_ratio: float
    embedding: np.ndarray = field(repr=False, compare=False)
    chip: np.ndarray = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": [round(v, 4) for v in self.box],
            "score": round(self.score, 3),
            "chip_score": round(self.chip_score, 3),
            "eye_ratio": round(self.eye_ratio, 3),
        }


@dataclass(frozen=True)
class Rejection:
    """A detection that did not pass :class:`FaceFilter`, and the first check it failed."""

    box: tuple[float, float, float, float]
    score: float
    reason: RejectReason


@dataclass(frozen=True)
class FaceScan:
    """What :func:`find_faces` saw in one picture."""

    faces: tuple[Face, ...]
    rejected: tuple[Rejection, ...] = ()


def _scaled(rgb: np.ndarray, side: int) -> np.ndarray:
    import cv2

    height, width = rgb.shape[:2]
    scale = side / max(height, width)
    if scale >= 1.0:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized: np.ndarray = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return resized


def _eye_ratio(shape: Any, box_width: int) -> float:
    """Distance between the two eye centres of a 5-point shape, over the box width."""
    points = np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], dtype=np.float64)
    distance = float(np.linalg.norm(points[0:2].mean(axis=0) - points[2:4].mean(axis=0)))
    return distance / max(1, box_width)


def find_faces(model: FaceModel, rgb: np.ndarray, *, checks: FaceFilter | None = None) -> FaceScan:
    """Human faces in an ``H x W x 3`` uint8 RGB picture, best detector score first, with the
    detections that failed ``checks`` (default :class:`FaceFilter`)."""
    import cv2

    checks = checks or FaceFilter()
    image = np.ascontiguousarray(_scaled(rgb, DETECT_SIDE))
    height, width = image.shape[:2]
    upsample = 1 if max(height, width) < UPSAMPLE_BELOW else 0
    faces: list[Face] = []
    rejected: list[Rejection] = []
    for detection in model.detect(image, upsample=upsample, threshold=min(0.0, checks.min_score)):
        left, top, right, bottom = detection.box
        box = (
            max(0.0, left / width),
            max(0.0, top / height),
            min(1.0, right / width),
            min(1.0, bottom / height),
        )
        reason: RejectReason | None = None
        if detection.width < checks.min_size:
            reason = "small"
        elif detection.score < checks.min_score:
            reason = "score"
        if reason is not None:
            rejected.append(Rejection(box, detection.score, reason))
            continue
        shape = model.shape(image, detection.box)
        eye_ratio = _eye_ratio(shape, detection.width)
        chip = model.chip(image, shape)
        enlarged = cv2.resize(
            chip, (CHIP_CHECK_SIDE, CHIP_CHECK_SIDE), interpolation=cv2.INTER_LINEAR
        )
        again = model.detect(enlarged, threshold=-2.0)
        chip_score = again[0].score if again else -2.0
        if chip_score < checks.min_chip_score:
            reason = "chip"
        elif eye_ratio < checks.min_eye_ratio:
            reason = "eyes"
        if reason is not None:
            rejected.append(Rejection(box, detection.score, reason))
            continue
        faces.append(
            Face(box, detection.score, chip_score, eye_ratio, model.embed_chip(chip), chip)
        )
    return FaceScan(tuple(faces), tuple(rejected))


def face_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[len(a), len(b)]`` Euclidean distances between two sets of 128-d face embeddings."""
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    b = np.atleast_2d(np.asarray(b, dtype=np.float64))
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    result: np.ndarray = np.sqrt(np.maximum(squared, 0.0))
    return result


def cluster_faces(embeddings: np.ndarray, *, threshold: float = SAME_PERSON_DISTANCE) -> np.ndarray:
    """A person number (0, 1, ... in order of first appearance) for each face embedding
    ``[N, 128]``: average-linkage agglomerative clustering cut at ``threshold`` (Euclidean)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    vectors = np.atleast_2d(np.asarray(embeddings, dtype=np.float64))
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(vectors) == 1:
        return np.zeros(1, dtype=np.int64)
    raw = fcluster(linkage(vectors, method="average", metric="euclidean"), threshold, "distance")
    first: dict[int, int] = {}
    labels = np.empty(len(raw), dtype=np.int64)
    for i, cluster in enumerate(raw):
        labels[i] = first.setdefault(int(cluster), len(first))
    return labels


def nearest_person(
    embedding: np.ndarray, people: np.ndarray, *, threshold: float = SAME_PERSON_DISTANCE
) -> int | None:
    """The row of ``people`` (``[P, 128]`` mean embeddings of known people) nearest to a new
    face, or None when none lies within ``threshold``: how a face seen later joins a person
    without clustering everything again."""
    if len(people) == 0:
        return None
    distances = face_distances(embedding, people)[0]
    best = int(np.argmin(distances))
    return best if distances[best] <= threshold else None
