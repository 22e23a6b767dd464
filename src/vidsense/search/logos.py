"""Logo search against logo images a user registered on an index.

A registered logo is matched at query time against the index's keyframes with ORB features
(the keyframe features are cached by :class:`~vidsense.search.images.FeatureCache`); the logos
whose ``name`` matches the query (fuzzy) are the ones looked for. The search service hands in
the logos, the keyframes and how to find a keyframe's shot: nothing here reads the library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from vidsense.search.base import Clip
from vidsense.search.images import FeatureCache, FrameFeatures, orb_similarity
from vidsense.store import Keyframe, LogoRecord

MIN_ORB = 0.2
"""Share of a logo's ORB descriptors that must find a match in a keyframe."""
MIN_NAME_RATIO = 80
"""rapidfuzz token-set ratio (0-100) a logo's name needs against the query."""

ShotRange = Callable[[str, float], tuple[float, float]]
"""``(video_id, time)`` -> ``(start, end)`` in seconds of the shot showing that moment."""


def named_like(logos: Iterable[LogoRecord], query: str) -> list[LogoRecord]:
    """The logos whose name matches ``query`` (fuzzy, case and punctuation ignored)."""
    from rapidfuzz import fuzz, utils

    wanted = utils.default_process(query)
    return [
        logo
        for logo in logos
        if fuzz.token_set_ratio(wanted, utils.default_process(logo.name)) >= MIN_NAME_RATIO
    ]


class LogoMatcher:
    """Finds registered logo images in keyframes.

    ``pixels(blob_key)`` reads a stored image (a logo or a keyframe) as RGB; ``frames`` caches
    keyframe features by keyframe id (shared with image queries); logo features are cached
    here by blob key.
    """

    def __init__(self, frames: FeatureCache, pixels: Callable[[str], np.ndarray]) -> None:
        self.frames = frames
        self.pixels = pixels
        self.logo_features = FeatureCache(capacity=1000)

    def _logo(self, key: str) -> FrameFeatures | None:
        return self.logo_features.get(key, lambda: self.pixels(key))

    def clips(
        self, logos: Sequence[LogoRecord], keyframes: Sequence[Keyframe], shot_range: ShotRange
    ) -> list[Clip]:
        """The shots (from ``shot_range``) whose keyframe shows one of ``logos``."""
        clips: list[Clip] = []
        for logo in logos:
            have = self._logo(logo.blob_key)
            if have is None:
                continue
            for frame in keyframes:
                seen = self.frames.get(frame.id, lambda f=frame: self.pixels(f.blob_key))  # type: ignore[misc]
                if seen is None:
                    continue
                value = orb_similarity(have.orb, seen.orb)
                if value < MIN_ORB:
                    continue
                start, end = shot_range(frame.video_id, frame.time)
                score = round(100.0 * min(1.0, 0.4 + 0.6 * value), 2)
                clips.append(
                    Clip(
                        frame.video_id,
                        start,
                        end,
                        score,
                        ({"type": "logo", "text": logo.name, "logo_id": logo.id},),
                        (("logo", score),),
                    )
                )
        return clips
