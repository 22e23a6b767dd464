"""A video's evidence as writing sees it: timed items with their vectors, and packs of them.

:class:`VideoEvidence` is read once from the library (segments, keyframes and the text vectors
computed at indexing time) and is all the writers ever look at. Every item keeps the segment
id it came from, so an answer can cite what it used. An :class:`EvidencePack` is a bounded
selection of items (and keyframes) for one writing job: a window of the video, the items most
relevant to a question, or one chapter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from vidsense.library import Library
from vidsense.store import Segment, VideoRecord

T = TypeVar("T")

ItemType = Literal["speech", "text", "audio", "shot", "visual"]
"""What an item is: words spoken, text on screen, a sound, a shot of the picture, what a shot's
keyframe shows (its tags and best label, and how many people when faces were looked for)."""

_TYPES: dict[str, ItemType] = {
    "transcript": "speech",
    "text": "text",
    "audio_event": "audio",
    "shot": "shot",
    "visual": "visual",
}


@dataclass(frozen=True)
class Item:
    """One piece of evidence: ``start``/``end`` in seconds, ``text`` as perceived (the words,
    the on-screen string, the sound's label). ``id`` is the store's segment id."""

    id: str
    type: ItemType
    start: float
    end: float
    text: str
    score: float = 0.0
    """Audio events: the classifier's confidence; text sightings: the OCR confidence; what a
    keyframe shows: the network's best tag or label probability."""

    def citation(self) -> dict[str, Any]:
        """The wire form of this item as a citation."""
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "type": self.type,
            "text": self.text,
        }


@dataclass(frozen=True)
class Frame:
    """A keyframe: the shot it represents, its time in seconds, and its JPEG (when local)."""

    shot: int
    time: float
    blob_key: str
    path: Path | None = None


@dataclass(frozen=True)
class VideoFacts:
    """What the container says: ``duration`` seconds, pixels, frame rate, file name."""

    id: str
    index_id: str
    filename: str
    duration: float
    width: int
    height: int
    fps: float

    @classmethod
    def of(cls, video: VideoRecord) -> VideoFacts:
        return cls(
            video.id,
            video.index_id,
            video.filename,
            video.duration,
            video.width,
            video.height,
            video.fps,
        )


@dataclass
class VideoEvidence:
    """Everything perceived in one video, in time order, with unit text vectors by item id."""

    video: VideoFacts
    items: list[Item]
    frames: list[Frame]
    vectors: dict[str, npt.NDArray[np.float32]] = field(default_factory=dict)
    language: str | None = None
    _derived: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def duration(self) -> float:
        end = max((i.end for i in self.items), default=0.0)
        return max(self.video.duration, end)

    def of_type(self, *types: ItemType) -> list[Item]:
        return [i for i in self.items if i.type in types]

    @property
    def speech(self) -> list[Item]:
        return self.of_type("speech")

    @property
    def shots(self) -> list[Item]:
        return self.of_type("shot")

    def cuts(self) -> list[float]:
        """Times (seconds) where one shot ends and the next begins."""
        return [s.start for s in self.shots if s.start > 0.0]

    def within(self, start: float, end: float) -> list[Item]:
        """Items that overlap ``[start, end)`` by more than half their own length, or whose
        midpoint falls inside it (so every item belongs to exactly one of adjacent windows)."""
        return [i for i in self.items if start <= (i.start + i.end) / 2 < end]

    def vector(self, item: Item) -> npt.NDArray[np.float32] | None:
        return self.vectors.get(item.id)

    def matrix(self, items: Sequence[Item]) -> tuple[list[Item], npt.NDArray[np.float32]]:
        """The items that have vectors, and those vectors as rows."""
        kept = [i for i in items if i.id in self.vectors]
        if not kept:
            return [], np.zeros((0, 0), dtype=np.float32)
        return kept, np.stack([self.vectors[i.id] for i in kept])

    def derived(self, key: Any, make: Callable[[], T]) -> T:
        """``make()``, computed once per evidence (which never changes once loaded): the
        video's centre, its parts, its chapters for given lengths."""
        if key not in self._derived:
            self._derived[key] = make()
        found: T = self._derived[key]
        return found

    def centre(self) -> npt.NDArray[np.float32] | None:
        """The unit mean of the spoken lines' vectors (what the whole video is about)."""

        def make() -> npt.NDArray[np.float32] | None:
            _, matrix = self.matrix(self.speech)
            if not len(matrix):
                return None
            m = matrix.mean(axis=0)
            n = float(np.linalg.norm(m))
            return (m / n).astype(np.float32) if n > 0 else None

        return self.derived("centre", make)

    def parts(self) -> list[str]:
        """The words spoken and shown, in consecutive parts of the video (at least 30 s or a
        twentieth of it each): the background that keyphrases are weighed against."""

        def make() -> list[str]:
            size = max(30.0, self.duration / 20)
            n = max(1, int(np.ceil(self.duration / size)))
            texts: list[list[str]] = [[] for _ in range(n)]
            for item in self.items:
                if item.type in ("speech", "text"):
                    texts[min(n - 1, int(item.start // size))].append(item.text)
            return [" . ".join(t) for t in texts if t]

        return self.derived("parts", make)

    def pack(self, start: float = 0.0, end: float | None = None, **kwargs: Any) -> EvidencePack:
        """The items and keyframes of ``[start, end)`` (default: the whole video)."""
        stop = self.duration + 1e-6 if end is None else end
        items = [i for i in self.within(start, stop) if i.type != "shot"]
        frames = [f for f in self.frames if start <= f.time < stop]
        return EvidencePack(self, start, min(stop, self.duration), items, frames, **kwargs)

    @classmethod
    def load(cls, library: Library, video: VideoRecord) -> VideoEvidence:
        """Read a video's evidence from ``library``. Keyframe files get a path when the
        library's blobs are a local folder (remote ones are left unread)."""
        segments = library.video_segments(video.id)
        items = [_item(s) for s in segments if s.kind in _TYPES]
        language = next(
            (str(s.data.get("language")) for s in segments if s.data.get("language")), None
        )
        owners, matrix = library.video_vectors(video.id, "text")
        vectors = {o: matrix[row] for row, o in enumerate(owners)}
        frames = [
            Frame(k.shot_index, k.time, k.blob_key, library.local_blob_path(k.blob_key))
            for k in library.video_keyframes(video.id)
        ]
        return cls(VideoFacts.of(video), items, frames, vectors, language)


def _item(segment: Segment) -> Item:
    data = segment.data or {}
    score = data.get("score", data.get("confidence", 0.0))
    # what a keyframe shows reads as its short phrase ("dog, animal (Samoyed); 2 people")
    text = str(data.get("shows") or segment.text) if segment.kind == "visual" else segment.text
    return Item(
        segment.id,
        _TYPES[segment.kind],
        float(segment.start),
        float(segment.end),
        text.strip(),
        float(score or 0.0),
    )


@dataclass
class EvidencePack:
    """A bounded selection of a video's evidence for one writing job, ``[start, end]`` seconds.

    ``items`` are in time order; ``focus`` (when set) are the items judged relevant to the
    question, best first. ``cited`` collects what a writer used, for the answer's citations.
    """

    evidence: VideoEvidence
    start: float
    end: float
    items: list[Item]
    frames: list[Frame] = field(default_factory=list)
    focus: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Text already written about parts of this window (chapter summaries, in map-reduce)."""
    cited: dict[str, Item] = field(default_factory=dict)

    @property
    def video(self) -> VideoFacts:
        return self.evidence.video

    def of_type(self, *types: ItemType) -> list[Item]:
        return [i for i in self.items if i.type in types]

    def cite(self, items: Iterable[Item]) -> None:
        for item in items:
            self.cited.setdefault(item.id, item)

    def citations(self) -> list[dict[str, Any]]:
        return [i.citation() for i in sorted(self.cited.values(), key=lambda i: (i.start, i.end))]

    def limited(self, max_chars: int) -> EvidencePack:
        """This pack with at most ``max_chars`` of item text, keeping items spread evenly
        across the window (never only its beginning)."""
        total = sum(len(i.text) + 16 for i in self.items)
        if total <= max_chars or not self.items:
            return self
        keep = max(1, int(len(self.items) * max_chars / total))
        step = len(self.items) / keep
        picked = [self.items[int(k * step)] for k in range(keep)]
        focus_ids = {i.id for i in self.focus}
        picked_ids = {i.id for i in picked}
        picked += [i for i in self.items if i.id in focus_ids and i.id not in picked_ids]
        picked.sort(key=lambda i: (i.start, i.end))
        return EvidencePack(
            self.evidence, self.start, self.end, picked, self.frames, self.focus, self.notes
        )
