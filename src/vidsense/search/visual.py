"""Visual search over what keyframes show, for when no CLIP-family model is configured; and
similar videos from keyframe image embeddings.

At indexing, each shot's keyframe got ImageNet labels, WordNet tags (a ``visual`` segment over
the shot, its text every kept tag and label, embedded with the text embedder) and a 1280-d
image embedding (the ``image`` vector space). :class:`SeenSearch` answers with them:

- **text queries**: the query is read through WordNet (:meth:`Taxonomy.expand
  <vidsense.perception.tags.Taxonomy.expand>`: lemmas, synonyms, one hypernym step up for
  words below every class, derived forms), the ``visual`` segments naming the tags and classes
  it covers are found with full-text search, and each is scored by
  :meth:`QueryConcepts.match <vidsense.perception.tags.QueryConcepts.match>` over its stored
  labels and tags (a tag naming a category of a query word, "animal" for "rabbit", counts for
  :data:`CATEGORY_SHARE` of its score). Paraphrases WordNet misses ("doggo") come from the
  text embedder: the segments nearest the query in the text space score by their meaning (the
  cosine above the query's background, :func:`vidsense.search.relevance.semantic`). A clip's
  score is
  ``100 * max(sqrt(match), 0.6 * semantic)`` (a picture whose labels put 25% on the query's
  classes scores 50);
- **image queries**: keyframes ranked by the cosine between the query's embedding and theirs
  (:data:`IMAGE_COS_LOW` scores 0, :data:`IMAGE_COS_HIGH` scores 100: the same scene sits near
  0.9, another photo of the same kind of thing 0.5-0.7, unrelated photos 0.2-0.4; flat
  generated pictures all lie above 0.85, so the scale does not saturate before 1).

:func:`similar_videos` compares each keyframe of a video with the index's other keyframes.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vidsense.config import Settings
from vidsense.errors import ModelNotInstalled
from vidsense.library import Library
from vidsense.perception.tags import QueryConcepts, Taxonomy
from vidsense.search.base import Clip, terms
from vidsense.store import Segment

log = logging.getLogger(__name__)

LABEL_CANDIDATES = 300
"""``visual`` segments taken from the full-text search before scoring."""
CLASS_TERMS = 40
"""A query word covering at most this many classes also searches their names (beyond that,
its tags stand for them)."""
SEMANTIC_WEIGHT = 0.6
"""How much a paraphrase match (text embedder alone) can score, as a share of 100."""
CATEGORY_SHARE = 0.16
"""Share of its score a tag keeps when it names a category the query's word falls in
("animal" for "rabbit") rather than the word itself: a picture of that kind of thing is no
evidence of the thing named, so alone it scores at most 40 (the ``low`` band). The most a
query word read through the class above it matches, for the same reason ("puppy" -> any
dog; "folder" -> any covering, a window shade too)."""
IMAGE_COS_LOW, IMAGE_COS_HIGH = 0.35, 1.0
"""Image-embedding cosines mapped to scores 0 and 100 (a frame of the same shot scores about
85-99, another photo of the same kind of thing 25-55)."""
NEAR_DUPLICATE = 0.9
"""Image-embedding cosine from which two keyframes show the same scene."""

ShotRange = Callable[[str, float], tuple[float, float]]
"""(video id, time) -> the (start, end) of the shot holding that time."""


def _unit(value: float, low: float, high: float) -> float:
    return min(1.0, max(0.0, (value - low) / (high - low)))


def shown_share(query: str, shown: set[str]) -> float:
    """Share (0-1) of the query's content words (:func:`~vidsense.search.base.terms`) that are
    among ``shown`` (the terms of the query words that name something a picture can show): a
    picture that shows the bridge of "when the bridge was built" answers half of it (1 for a
    query without content words)."""
    wanted = set(terms(query))
    if not wanted:
        return 1.0
    return len(wanted & shown) / len(wanted)


class SeenSearch:
    """Searches the labels, tags and image embeddings of an index's keyframes."""

    def __init__(self, library: Library, settings: Settings) -> None:
        self.library = library
        self.settings = settings

    def taxonomy(self) -> Taxonomy | None:
        """The label taxonomy, or None when WordNet is missing (queries then match by their
        words and by the text embedder only)."""
        from vidsense.perception.visual import load_taxonomy

        try:
            return load_taxonomy(self.settings)
        except ModelNotInstalled as e:
            log.warning("visual search reads queries without WordNet: %s", e)
            return None

    def concepts(self, query: str) -> QueryConcepts:
        """What ``query`` names, read through WordNet (empty without it)."""
        taxonomy = self.taxonomy()
        return _expand(taxonomy, query) if taxonomy is not None else QueryConcepts(query)

    def terms(self, concepts: QueryConcepts) -> str:
        """The words a ``visual`` segment may hold when it answers ``concepts``: the query,
        the tags it covers, and the names of its classes (for narrow words)."""
        words = [concepts.query, *concepts.tags]
        taxonomy = self.taxonomy()
        if taxonomy is not None:
            for concept in concepts.concepts:
                if len(concept.classes) <= CLASS_TERMS:
                    words += [taxonomy.classes[i].name for i in sorted(concept.classes)]
        return " ".join(dict.fromkeys(words))

    def text_clips(
        self,
        index_id: str,
        query: str,
        video_ids: Sequence[str] | None,
        semantic: Sequence[tuple[Segment, float]],
        in_pool: Callable[[str], bool],
    ) -> list[Clip]:
        """Clips of the shots whose keyframes show what ``query`` names. ``semantic`` are the
        ``visual`` segments nearest the query in the text space, with their meaning (0-1,
        :func:`vidsense.search.relevance.semantic`)."""
        concepts = self.concepts(query)
        found = self.library.search_text(
            index_id,
            self.terms(concepts),
            kinds=["visual"],
            limit=LABEL_CANDIDATES,
            video_ids=video_ids,
        )
        meaning = {s.id: m for s, m in semantic}
        # tags naming a query word ("dog" for "dogs") count fully, categories of it a share
        own = set(terms(" ".join(c.word for c in concepts.concepts)))
        named = shown_share(query, own)
        candidates = {s.id: s for s, _ in found}
        candidates.update({s.id: s for s, _ in semantic})
        clips = []
        for segment in candidates.values():
            if not in_pool(segment.video_id):
                continue
            data = segment.data
            labels = {int(lab["index"]): float(lab["score"]) for lab in data.get("labels", [])}
            tags = {}
            for tag in data.get("tags", []):
                name, score = str(tag["name"]), float(tag["score"])
                tags[name] = score if own & set(terms(name)) else CATEGORY_SHARE * score
            match = concepts.match(labels, tags, climbed=CATEGORY_SHARE)
            quality = max(math.sqrt(named * match), SEMANTIC_WEIGHT * meaning.get(segment.id, 0.0))
            if quality <= 0.0:
                continue
            score = round(100.0 * quality, 2)
            clips.append(
                Clip(
                    segment.video_id,
                    segment.start,
                    segment.end,
                    score,
                    (
                        {
                            "type": "visual",
                            "keyframe_time": data.get("time", segment.start),
                            "text": data.get("shows", segment.text),
                        },
                    ),
                    (("visual", score),),
                )
            )
        return clips

    def image_clips(
        self,
        index_id: str,
        images: Sequence[np.ndarray],
        video_ids: Sequence[str] | None,
        in_pool: Callable[[str], bool],
        shot_range: ShotRange,
    ) -> list[Clip] | None:
        """Clips of the keyframes most like ``images`` (RGB arrays) by image embedding; None
        when the image model is not installed or the searched videos have no image vectors."""
        from vidsense.models.imagenet import ImageLabelsEntry
        from vidsense.perception.visual import CROP

        entry = ImageLabelsEntry(self.settings)
        if not entry.installed():
            return None
        vectors = entry.load().score(list(images), crop=CROP).embeddings
        hits = [
            hit
            for vector in vectors
            for hit in self.library.search_vectors(
                index_id, "image", vector, limit=100, video_ids=video_ids
            )
        ]
        if not hits:
            return None
        frames = self.library.keyframes_by_id([owner for owner, _ in hits])
        best: dict[str, float] = {}
        for owner, cos in hits:
            best[owner] = max(cos, best.get(owner, -1.0))
        clips = []
        for owner, cos in best.items():
            frame = frames.get(owner)
            if frame is None or not in_pool(frame.video_id):
                continue
            start, end = shot_range(frame.video_id, frame.time)
            score = round(100.0 * _unit(cos, IMAGE_COS_LOW, IMAGE_COS_HIGH), 2)
            clips.append(
                Clip(
                    frame.video_id,
                    start,
                    end,
                    score,
                    (
                        {
                            "type": "visual",
                            "keyframe_time": round(frame.time, 3),
                            "similarity": round(cos, 4),
                        },
                    ),
                    (("visual", score),),
                )
            )
        return clips


@functools.lru_cache(maxsize=1024)
def _expand(taxonomy: Taxonomy, query: str) -> QueryConcepts:
    return taxonomy.expand(query)


# -- similar videos ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ShotMatch:
    """A shot of the asked video (``start``/``end`` seconds) and the most similar shot of
    another video (``other_start``/``other_end``), with the cosine of their keyframes."""

    start: float
    end: float
    other_start: float
    other_end: float
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "other_start": round(self.other_start, 3),
            "other_end": round(self.other_end, 3),
            "similarity": round(self.similarity, 4),
        }


@dataclass(frozen=True)
class SimilarVideo:
    """Another video of the index and how alike it is: ``score`` 0-100 (the mean, over the
    asked video's shots, of each one's best keyframe cosine with this video, mapped as image
    queries are), ``duplicate_ratio`` the share of the asked video's shots with a
    near-duplicate here (cosine >= :data:`NEAR_DUPLICATE`), ``shots`` the best match of each
    of its shots, best first."""

    video_id: str
    score: float
    duplicate_ratio: float
    shots: tuple[ShotMatch, ...]

    @property
    def near_duplicate(self) -> bool:
        """Most shots of the asked video have a near-duplicate in this one."""
        return self.duplicate_ratio >= 0.5

    def to_dict(self) -> dict[str, Any]:
        return {
            "video_id": self.video_id,
            "score": round(self.score, 2),
            "duplicate_ratio": round(self.duplicate_ratio, 4),
            "near_duplicate": self.near_duplicate,
            "shots": [s.to_dict() for s in self.shots],
        }


def similar_videos(
    library: Library, index_id: str, video_id: str, shot_range: ShotRange, *, limit: int = 10
) -> list[SimilarVideo]:
    """The videos of ``index_id`` most like ``video_id`` by keyframe image embeddings, best
    first (``NotFound`` for an unknown index or video; empty when the video has no image
    vectors: indexed without the image model). ``shot_range`` gives a keyframe's shot."""
    library.get_video(index_id, video_id)
    owners, matrix = library.video_vectors(video_id, "image")
    if not owners:
        return []
    own = library.keyframes_by_id(owners)
    hits = {
        owner: [
            (other, cos)
            for other, cos in library.search_vectors(index_id, "image", vector, limit=200)
            if other not in own
        ]
        for owner, vector in zip(owners, matrix, strict=True)
    }
    frames = library.keyframes_by_id(list({other for found in hits.values() for other, _ in found}))
    # per other video: each asked keyframe's best match there (other keyframe id, cosine)
    best: dict[str, dict[str, tuple[str, float]]] = {}
    for owner, found in hits.items():
        for other, cos in found:
            frame = frames.get(other)
            if frame is None or frame.video_id == video_id:
                continue
            matches = best.setdefault(frame.video_id, {})
            if cos > matches.get(owner, ("", -1.0))[1]:
                matches[owner] = (other, cos)
    results = []
    for other_video, matches in best.items():
        cosines = [matches[o][1] if o in matches else 0.0 for o in owners]
        pairs = [
            ShotMatch(
                *shot_range(video_id, own[owner].time),
                *shot_range(other_video, frames[other].time),
                cos,
            )
            for owner, (other, cos) in matches.items()
            if owner in own
        ]
        pairs.sort(key=lambda m: (-m.similarity, m.start))
        mean = float(np.mean([_unit(c, IMAGE_COS_LOW, IMAGE_COS_HIGH) for c in cosines]))
        ratio = sum(c >= NEAR_DUPLICATE for c in cosines) / len(owners)
        results.append(SimilarVideo(other_video, 100.0 * mean, ratio, tuple(pairs)))
    results.sort(key=lambda r: (-r.score, r.video_id))
    return results[: max(1, limit)]
