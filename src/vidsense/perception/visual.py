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
:class:`VisualPass` does that inside the one decode pass of
:func:`vidsense.perception.analyze.analyze`: each shot's keyframe (and, when faces are looked
for, a frame every :data:`SAMPLE_EVERY` seconds inside shots longer than :data:`LONG_SHOT`) goes
to a one-thread worker through a bounded hand-off, so the decoder never waits for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vidsense.config import Settings
from vidsense.models.faces import FaceModel, FacesEntry
from vidsense.models.imagenet import ChannelOrder, CropMode, ImageLabelsEntry, ImageNetModel
from vidsense.models.wordnet import WordNetEntry
from vidsense.perception.faces import Face, FaceFilter, find_faces
from vidsense.perception.shots import Shot
from vidsense.perception.tags import QueryConcepts, Tag, Taxonomy, shows_phrase

if TYPE_CHECKING:
    from vidsense.media.decode import DecodedFrame

log = logging.getLogger(__name__)

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
LABEL_WIDTH = 512
"""Width (px) keyframes are scaled to by the decoder before labelling (the network reads
224 x 224 of a 256 px short side; 512 keeps the scaling cheap and the detail)."""
FACE_WIDTH = 1024
"""Width (px) of the frames handed over when faces are looked for (the face detector works at
up to :data:`vidsense.perception.faces.DETECT_SIDE`)."""
LONG_SHOT = 10.0
"""Shots longer than this (seconds) get frames sampled for faces besides their keyframe."""
SAMPLE_EVERY = 5.0
"""Seconds between frames sampled for faces inside a long shot."""
MAX_PENDING = 16
"""Pictures handed to the worker and not yet analysed; past this a keyframe is analysed from its
JPEG after the decode, and a face sample is skipped, so the decoder never waits."""


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
        """A short phrase for writers (:func:`shows_phrase`) of the best tags and label."""
        return shows_phrase(
            [t.name for t in self.tags[:tags]],
            self.labels[0].name if self.labels else None,
            len(self.faces),
        )

    def description(self) -> str:
        """Every kept tag, then every kept label (``"animal, dog (Samoyed, white wolf)"``):
        the words a keyframe is found by."""
        tags = ", ".join(t.name for t in self.tags)
        labels = ", ".join(label.name for label in self.labels)
        if tags and labels:
            return f"{tags} ({labels})"
        return tags or labels

    @property
    def score(self) -> float:
        """The best kept tag or label score (0-1): how sure the network is of anything here."""
        return max([t.score for t in self.tags] + [lab.score for lab in self.labels] + [0.0])

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
        self.taxonomy = load_taxonomy(settings)
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

    def faces(self, rgb: np.ndarray) -> tuple[Face, ...]:
        """The human faces in an RGB picture (none when the analyzer does not look for faces)."""
        if self.face_model is None:
            return ()
        return find_faces(self.face_model, rgb, checks=self.face_checks).faces


@dataclass(frozen=True)
class FrameFaces:
    """Faces on a frame sampled inside a long shot, at ``time`` seconds."""

    time: float
    faces: tuple[Face, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"time": round(self.time, 3), "faces": [f.to_dict() for f in self.faces]}


@dataclass
class VisualResult:
    """What a :class:`VisualPass` saw: one :class:`KeyframeVision` per keyframe (in shot order),
    the faces of sampled frames, and how many pictures the worker could not take in time
    (``deferred`` keyframes were read back from their JPEG after the decode; ``skipped``
    face samples were dropped)."""

    keyframes: list[KeyframeVision] = field(default_factory=list)
    samples: list[FrameFaces] = field(default_factory=list)
    deferred: int = 0
    skipped: int = 0


class VisualPass:
    """A :class:`KeyframeAnalyzer` fed from the decode pass, on its own worker thread.

    Call :meth:`on_frame` with every decoded frame (cheap: it only picks face samples) and
    :meth:`on_keyframe` with each shot's keyframe as the shot closes, then :meth:`finish`. The
    decoder hands over a picture scaled by its own scaler (:data:`LABEL_WIDTH`, or
    :data:`FACE_WIDTH` when faces are looked for) and goes on; at most :data:`MAX_PENDING`
    pictures wait. Use it as a context manager so the worker stops on an error.
    """

    def __init__(
        self,
        analyzer: KeyframeAnalyzer,
        *,
        cancel: threading.Event | None = None,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.analyzer = analyzer
        self.faces = analyzer.face_model is not None
        self.width = FACE_WIDTH if self.faces else LABEL_WIDTH
        self.cancel = cancel
        self._slots = threading.BoundedSemaphore(max(1, max_pending))
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vidsense-visual")
        self._keyframes: list[Future[KeyframeVision]] = []
        self._samples: list[Future[FrameFaces]] = []
        self._deferred: list[tuple[Shot, float, Path]] = []
        self._skipped = 0
        self._next_sample = LONG_SHOT

    def __enter__(self) -> VisualPass:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker (pictures not yet analysed are dropped)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self, work: Any, *args: Any) -> Future[Any] | None:
        if not self._slots.acquire(blocking=False):
            return None

        def run() -> Any:
            try:
                return work(*args)
            finally:
                self._slots.release()

        try:
            return self._pool.submit(run)
        except RuntimeError:  # shut down
            self._slots.release()
            return None

    def on_frame(self, frame: DecodedFrame) -> None:
        """Hand over a face sample when ``frame`` is :data:`SAMPLE_EVERY` seconds past the last
        one and its shot has lasted :data:`LONG_SHOT` seconds."""
        if not self.faces or frame.time < self._next_sample:
            return
        self._next_sample = frame.time + SAMPLE_EVERY
        future = self._submit(self._sample, frame.time, frame.full(width=self.width))
        if future is None:
            self._skipped += 1
        else:
            self._samples.append(future)

    def on_keyframe(self, shot: Shot, frame: DecodedFrame, jpeg: Path) -> None:
        """Hand over the keyframe of a shot that just closed (written to ``jpeg`` already: the
        worker reads it from there after the decode if it is behind)."""
        self._next_sample = max(self._next_sample, shot.end + LONG_SHOT)
        image = frame.full(width=self.width)
        future = self._submit(self.analyzer.analyze, Keyframe(shot, frame.time, image))
        if future is None:
            self._deferred.append((shot, frame.time, jpeg))
        else:
            self._keyframes.append(future)

    def _sample(self, at: float, rgb: np.ndarray) -> FrameFaces:
        return FrameFaces(at, self.analyzer.faces(rgb))

    def finish(self) -> VisualResult:
        """Wait for the worker and analyse what it could not take in time; raises what the
        worker raised. Returns early, with what is done, when ``cancel`` is set."""
        result = VisualResult(deferred=len(self._deferred), skipped=self._skipped)
        for future in self._keyframes:
            if self._cancelled():
                return result
            result.keyframes.append(future.result())
        for shot, at, path in self._deferred:
            if self._cancelled():
                return result
            image = _read_bgr(path, self.width)
            result.keyframes.append(self.analyzer.analyze(Keyframe(shot, at, image, "bgr")))
        result.keyframes.sort(key=lambda v: (v.shot, v.time))
        result.samples = [f.result() for f in self._samples if not self._cancelled()]
        if result.deferred or result.skipped:
            log.info(
                "visual analysis fell behind the decoder: %d keyframes read back, %d face samples "
                "skipped",
                result.deferred,
                result.skipped,
            )
        return result

    def _cancelled(self) -> bool:
        if self.cancel is not None and self.cancel.is_set():
            self.close()
            return True
        return False


def _read_bgr(path: Path, width: int) -> np.ndarray:
    import cv2

    from vidsense.errors import InvalidArgument

    image = cv2.imread(str(path))
    if image is None:
        raise InvalidArgument(f"cannot read keyframe {path}")
    height, have = image.shape[:2]
    if have > width:
        size = (width, max(2, round(height * width / have)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    result: np.ndarray = image
    return result


def load_taxonomy(settings: Settings) -> Taxonomy:
    """The ImageNet classes placed under the tags and indexed for query words, built once per
    process (WordNet opens in about 3 s). Needs only WordNet, not the image model: search
    reads queries with it. :class:`~vidsense.errors.ModelNotInstalled` names
    ``apt-get install wordnet-base`` when WordNet is missing."""
    from vidsense.models.base import load_once
    from vidsense.models.imagenet import imagenet_classes

    entry = WordNetEntry(settings)
    entry.require()
    wordnet = entry.load()
    return load_once(("taxonomy", str(id(wordnet))), lambda: Taxonomy(wordnet, imagenet_classes()))


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[len(a), len(b)]`` cosine similarities between unit-length image embeddings."""
    result: np.ndarray = np.atleast_2d(a) @ np.atleast_2d(b).T
    return result
