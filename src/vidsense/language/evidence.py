"""A video's evidence as writing sees it: timed items with their vectors, and packs of them.

:class:`VideoEvidence` is read once from the library (segments, keyframes and the text vectors
computed at indexing time) and is all the writers ever look at. Every item keeps the segment
id it came from, so an answer can cite what it used. An :class:`EvidencePack` is a bounded
selection of items (and keyframes) for one writing job: a window of the video, the items most
relevant to a question, or one chapter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from vidsense.language.sentences import segment_sentences
from vidsense.language.text import noise
from vidsense.library import Library
from vidsense.perception.tags import shows_phrase
from vidsense.store import Segment, VideoRecord

T = TypeVar("T")
Embed = Callable[[list[str]], npt.NDArray[np.float32]]
"""Texts in, unit vectors (rows) out: the text embedder reading passages."""

TITLE_HEIGHT = 0.07
"""Share of the frame's height from which on-screen lettering reads as a title."""

NUMBERED_PART = re.compile(
    r"^\W*(?:(?:part|chapter|section|episode|lesson|module)\s+)?\d{1,2}\s*[-\u2013\u2014.:)]\s*[^\W\d_]",
    re.I,
)
"""A title that numbers a part of the video ("1 - Packing", "Chapter 2: Sauces"; not a step
of one, not "10:00 - 18:00")."""

SEEN_SCORE = 0.5
"""How sure (0-1) the image classifier must be of a keyframe's best label for writing to say
what the picture shows, and of each tag said with it."""

ItemType = Literal["speech", "text", "audio", "shot", "visual"]
"""What an item is: words spoken, text on screen, a sound, a shot of the picture (its text:
how it began, ``cut``, ``dissolve`` or ``fade``), what a shot's keyframe shows (its tags and
best label, and how many people when faces were looked for)."""

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
    box: tuple[int, int, int, int] | None = None
    """Text sightings: where the text is, ``(x, y, width, height)`` in pixels."""

    def citation(self) -> dict[str, Any]:
        """The wire form of this item as a citation."""
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "type": self.type,
            "text": self.text,
        }


def shown_together(a: Item, b: Item) -> bool:
    """Whether two on-screen texts are shown together (overlapping by half the shorter)."""
    overlap = min(a.end, b.end) - max(a.start, b.start)
    return overlap >= 0.5 * min(a.end - a.start, b.end - b.start)


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
    embed: Embed | None = field(default=None, repr=False)
    """The text embedder (passages), for texts that are not items (a topic's words)."""
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

    def is_title(self, item: Item) -> bool:
        """Whether on-screen text ``item`` reads as a title: large lettering (at least
        :data:`TITLE_HEIGHT` of the frame's height) outside the bottom fifth, where captions
        sit; without a known box, a short line shown for two seconds or more."""
        if item.type != "text" or noise(item.text):
            return False
        n = len(item.text.split())
        if item.box is None or not self.video.height:
            return n <= 6 and item.end - item.start >= 2.0
        _, y, _, h = item.box
        centre = (y + h / 2) / self.video.height
        return n <= 8 and h >= TITLE_HEIGHT * self.video.height and centre < 0.8

    def is_heading(self, item: Item) -> bool:
        """Whether ``item`` is a title (:meth:`is_title`) and the heading of the titles shown
        with it: the topmost (a slide's heading, not the lines in large print beneath it),
        unless one of them numbers a part ("A WEEKEND IN THE MOUNTAINS" over "1 - Packing":
        the numbered line names the part, the line above what the parts belong to)."""
        return item.id in self.derived("headings", self._headings)

    def _headings(self) -> set[str]:
        titles = sorted(
            (i for i in self.of_type("text") if self.is_title(i)), key=lambda i: i.start
        )
        numbered = {i.id: NUMBERED_PART.match(i.text) is not None for i in titles}
        found = set()
        for n, item in enumerate(titles):
            beaten = False
            for other in titles[max(0, n - 20) : n + 20]:
                if other is item or other.box is None or item.box is None:
                    continue
                if not shown_together(item, other):
                    continue
                higher = other.box[1] + 2 < item.box[1]
                # Among lines alike the topmost heads the slide; a numbered one heads the rest.
                alike = numbered[item.id] == numbered[other.id]
                beaten = beaten or (higher if alike else numbered[other.id])
            if not beaten:
                found.add(item.id)
        return found

    def pack(self, start: float = 0.0, end: float | None = None, **kwargs: Any) -> EvidencePack:
        """The items and keyframes of ``[start, end)`` (default: the whole video)."""
        stop = self.duration + 1e-6 if end is None else end
        items = [i for i in self.within(start, stop) if i.type != "shot"]
        frames = [f for f in self.frames if start <= f.time < stop]
        return EvidencePack(self, start, min(stop, self.duration), items, frames, **kwargs)

    @classmethod
    def load(
        cls, library: Library, video: VideoRecord, embed: Embed | None = None
    ) -> VideoEvidence:
        """Read a video's evidence from ``library``. The transcript is read as whole
        sentences (:mod:`vidsense.language.sentences`); a sentence that is not one segment as
        it was indexed gets its vector from ``embed`` (passages in, unit rows out), or none.
        Keyframe files get a path when the library's blobs are a local folder (remote ones are
        left unread)."""
        segments = library.video_segments(video.id)
        owners, matrix = library.video_vectors(video.id, "text")
        vectors = {o: matrix[row] for row, o in enumerate(owners)}
        said = [s for s in segments if s.kind == "transcript"]
        items = [_item(s) for s in segments if s.kind in _TYPES and s.kind != "transcript"]
        spoken = _spoken(said)
        items = sorted(items + spoken, key=lambda i: (i.start, i.end))
        unknown = [(n, i) for n, i in enumerate(spoken) if i.id not in vectors]
        if unknown and embed is not None:
            rows = embed([_in_context(spoken, n) for n, _ in unknown])
            vectors.update({i.id: rows[k] for k, (_, i) in enumerate(unknown)})
        language = next(
            (str(s.data.get("language")) for s in segments if s.data.get("language")), None
        )
        frames = [
            Frame(k.shot_index, k.time, k.blob_key, library.local_blob_path(k.blob_key))
            for k in library.video_keyframes(video.id)
        ]
        return cls(VideoFacts.of(video), items, frames, vectors, language, embed)


def _in_context(spoken: list[Item], n: int) -> str:
    """The text a spoken sentence is embedded as: itself, after the sentence before it when
    both were cut from one recognised segment (``<id>.<k>``, k > 0): what was said in one
    breath shares its subject ("El puente de hierro cruza el río. Fue construido por un
    ingeniero francés": the second is about the bridge too)."""
    item = spoken[n]
    base, _, k = item.id.rpartition(".")
    if n == 0 or not base or not k.isdigit() or k == "0":
        return item.text
    before = spoken[n - 1]
    return f"{before.text} {item.text}" if before.id.startswith(base + ".") else item.text


def _item(segment: Segment) -> Item:
    data = segment.data or {}
    score = data.get("score", data.get("confidence", 0.0))
    box = data.get("box")
    text = segment.text
    if segment.kind == "visual":
        # what a keyframe surely shows reads as its short phrase ("animal, dog (Samoyed); 2
        # people"), scored by how sure that is; else all it might show, scored 0
        seen = _seen(data)
        text, score = seen if seen is not None else (str(data.get("shows") or text), 0.0)
    # a shot reads as how it began ("cut", "dissolve", "fade"; empty for the first)
    if segment.kind == "shot":
        text = str(data.get("transition") or "")
    return Item(
        segment.id,
        _TYPES[segment.kind],
        float(segment.start),
        float(segment.end),
        text.strip(),
        float(score or 0.0),
        tuple(int(v) for v in box[:4]) if isinstance(box, list) and len(box) >= 4 else None,  # type: ignore[arg-type]
    )


def _seen(data: dict[str, Any]) -> tuple[str, float] | None:
    """What a keyframe's classification surely shows and how sure it is, when its best label
    (a thing, not a category: "Samoyed", "digital clock") scores :data:`SEEN_SCORE` or more
    or it shows people: the sure tags, then that label, then the people counted, as its
    ``shows`` phrases them ("animal, dog (Samoyed)"). None otherwise: a category's score sums
    a thousand classes, and on a picture the network does not know (a slide, a cartoon) it
    spreads thin over many ("animal" at 0.58 with no class above 0.04)."""
    labels = data.get("labels") or []
    best = labels[0] if labels else None
    sure = float(best["score"]) if best is not None else 0.0
    faces = int(data.get("faces") or 0)
    if sure < SEEN_SCORE and not faces:
        return None
    tags = [str(t["name"]) for t in data.get("tags", []) if float(t["score"]) >= SEEN_SCORE]
    label = str(best["name"]) if best is not None and sure >= SEEN_SCORE else None
    text = shows_phrase(tags[:3], label, faces)
    return text, max(sure, SEEN_SCORE)


def _spoken(said: list[Segment]) -> list[Item]:
    """Transcript segments as whole sentences. A sentence that is exactly one segment keeps
    the segment's id (and so its indexed vector); one cut from several, or from part of one,
    gets ``<first segment id>.<n>``."""

    texts = {s.id: s.text.strip() for s in said}
    out: list[Item] = []
    used: dict[str, int] = {}
    for sentence in segment_sentences(said):
        first = sentence.sources[0]
        whole = len(sentence.sources) == 1 and _same(texts[first], sentence.text)
        n = used.get(first, 0)
        used[first] = n + 1
        sid = first if whole and n == 0 else f"{first}.{n}"
        out.append(Item(sid, "speech", sentence.start, sentence.end, sentence.text))
    return out


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).lower() == " ".join(b.split()).lower()


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
    chapters: list[tuple[float, float]] = field(default_factory=list)
    """The window's chapters, ``(start, end)`` seconds, when they were computed for it."""
    highlights: list[tuple[float, float]] = field(default_factory=list)
    """Its highlights, ``(start, end)`` seconds, when a request asked for them."""
    colours: list[tuple[str, float]] = field(default_factory=list)
    """The colours of its picture (name, share 0-1, most first), when a request asked for
    them (:func:`vidsense.perception.colours.video_colours`)."""

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
            self.evidence,
            self.start,
            self.end,
            picked,
            self.frames,
            self.focus,
            self.notes,
            chapters=self.chapters,
            highlights=self.highlights,
        )
