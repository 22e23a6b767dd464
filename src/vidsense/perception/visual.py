"""What a shot's keyframe shows: ImageNet labels, WordNet tags, an image embedding and faces.

:class:`KeyframeAnalyzer` takes decoded keyframes (``H x W x 3`` uint8 arrays, RGB as
:meth:`vidsense.media.decode.DecodedFrame.full` yields them, or BGR) with the shot they stand
for, and returns one frozen :class:`KeyframeVision` each:

- ``labels``: the best ImageNet classes (MobileNetV2), score = softmax probability;
- ``tags``: the curated WordNet tags (:mod:`vidsense.perception.tags`), score = the probability
  mass of the classes under the tag;
- ``embedding``: the 1280-d pooled MobileNetV2 feature, unit length (dot product = cosine
  similarity: the same scene scores about 0.9, another photo of the same kind of thing about
  0.5-0.7, unrelated pictures about 0.2-0.4);
- ``faces``: human faces with their 128-d embeddings, only when asked for (faces are biometric
  data: an index opts in).

Models load once per process; the analyzer itself holds no state between keyframes, so one
instance serves a whole analysis and its calls can run beside the decoder in a worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vidsense.config import Settings
from vidsense.models.faces import FaceModel, FacesEntry
from vidsense.models.imagenet import ChannelOrder, CropMode, ImageLabelsEntry, ImageNetModel
from vidsense.models.wordnet import WordNetEntry
from vidsense.perception.faces import Face, FaceFilter, find_faces
from vidsense.perception.shots import Shot
from vidsense.perception.tags import QueryConcepts, Tag, Taxonomy

TOP_LABELS = 5
"""Most labels kept per keyframe."""
MIN_LABEL_SCORE = 0.03
"""Lowest probability (0-1) a label needs to be kept (the best label is always kept)."""
MIN_TAG_SCORE = 0.1
"""Lowest probability mass (0-1) a tag needs to be kept."""
CROP: CropMode = "center"
"""How keyframes are fitted to the network's 224 x 224 input: ``center`` is torchvision's
resize-256-and-crop (what the weights were trained with), ``full`` squeezes the whole frame so
wide video frames keep their edges. On the labelled photos of ``benchmarks/visual.py``
``center`` answered 10 of 13 category queries at rank 1, ``full`` 8."""


@dataclass(frozen=True)
class Label:
    """An ImageNet class seen in a picture: ``index`` its output position (0-999), ``synset``
    its WordNet id (``n02111889``), ``score`` its probability (0-1)."""

    index: int
    name: str
    synset: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "synset": self.synset,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class KeyframeVision:
    """What one keyframe of a shot shows. ``start``/``end`` are the shot's time range and
    ``time`` the keyframe's, in seconds from the start of the video."""

    shot: int
    start: float
    end: float
    time: float
    labels: tuple[Label, ...]
    tags: tuple[Tag, ...]
    embedding: np.ndarray = field(repr=False, compare=False)
    faces: tuple[Face, ...] = ()
    seconds: float = field(default=0.0, compare=False)
    """Wall-clock seconds this keyframe took to analyse."""

    def shows(self, *, tags: int = 3) -> str:
        """A short phrase for writers: the best tags, then the best label
        (``"dog, animal (Samoyed)"``); people are counted when faces were looked for."""
        text = ", ".join(t.name for t in self.tags[:tags])
        best = self.labels[0].name if self.labels else ""
        if best and best not in text:
            text = f"{text} ({best})" if text else best
        if self.faces:
            count = len(self.faces)
            text += f"; {count} {'person' if count == 1 else 'people'}"
        return text

    def match(self, query: QueryConcepts) -> float:
        """How well this keyframe answers a query read by :meth:`Taxonomy.expand` (0-1), from
        its kept labels and tags (:meth:`QueryConcepts.match`)."""
        return query.match(
            {label.index: label.score for label in self.labels},
            {tag.name: tag.score for tag in self.tags},
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without the embedding and face vectors (they are stored as arrays)."""
        return {
            "shot": self.shot,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "time": round(self.time, 3),
            "labels": [label.to_dict() for label in self.labels],
            "tags": [tag.to_dict() for tag in self.tags],
            "faces": [face.to_dict() for face in self.faces],
        }


@dataclass(frozen=True)
class Keyframe:
    """A decoded keyframe to analyse: the shot it stands for, its time (s) and the picture."""

    shot: Shot
    time: float
    image: np.ndarray = field(repr=False)
    channels: ChannelOrder = "rgb"


class KeyframeAnalyzer:
    """Labels, tags, embedding (and faces when ``faces=True``) for keyframes.

    Loading raises :class:`~vidsense.errors.ModelNotInstalled` naming the fix when the
    MobileNetV2 graph is not installed (``vidsense models install``), WordNet is missing
    (``apt-get install wordnet-base``) or, with ``faces=True``, dlib or its models are.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        faces: bool = False,
        crop: CropMode = CROP,
        face_checks: FaceFilter | None = None,
    ) -> None:
        self.model: ImageNetModel = ImageLabelsEntry(settings).load()
        wordnet = WordNetEntry(settings)
        wordnet.require()
        self.taxonomy = _taxonomy(wordnet.load(), self.model)
        self.face_model: FaceModel | None = FacesEntry(settings).load() if faces else None
        self.crop = crop
        self.face_checks = face_checks or FaceFilter()

    def labels(self, probabilities: np.ndarray) -> tuple[Label, ...]:
        """The best :data:`TOP_LABELS` classes of one picture's probabilities ``[1000]``."""
        order = np.argsort(-probabilities)[:TOP_LABELS]
        classes = self.model.classes
        return tuple(
            Label(int(i), classes[i].name, classes[i].synset, float(probabilities[i]))
            for rank, i in enumerate(order)
            if rank == 0 or probabilities[i] >= MIN_LABEL_SCORE
        )

    def analyze(self, keyframe: Keyframe) -> KeyframeVision:
        """What one keyframe shows."""
        started = time.perf_counter()
        scores = self.model.score([keyframe.image], channels=keyframe.channels, crop=self.crop)
        probabilities = scores.probabilities[0]
        faces: tuple[Face, ...] = ()
        if self.face_model is not None:
            rgb = keyframe.image[:, :, ::-1] if keyframe.channels == "bgr" else keyframe.image
            faces = find_faces(self.face_model, rgb, checks=self.face_checks).faces
        shot = keyframe.shot
        return KeyframeVision(
            shot=shot.index,
            start=shot.start,
            end=shot.end,
            time=keyframe.time,
            labels=self.labels(probabilities),
            tags=tuple(self.taxonomy.tags(probabilities, min_score=MIN_TAG_SCORE)),
            embedding=scores.embeddings[0],
            faces=faces,
            seconds=time.perf_counter() - started,
        )

    def analyze_all(self, keyframes: Iterable[Keyframe]) -> Iterator[KeyframeVision]:
        """:meth:`analyze` over keyframes as they come (a generator)."""
        for keyframe in keyframes:
            yield self.analyze(keyframe)


def _taxonomy(wordnet: Any, model: ImageNetModel) -> Taxonomy:
    from vidsense.models.base import load_once

    return load_once(("taxonomy", str(id(wordnet))), lambda: Taxonomy(wordnet, model.classes))


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[len(a), len(b)]`` cosine similarities between unit-length image embeddings."""
    result: np.ndarray = np.atleast_2d(a) @ np.atleast_2d(b).T
    return result
