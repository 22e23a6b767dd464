"""Logo search against logo images a user registered on an index.

A registered logo is matched at query time against the index's keyframes with ORB features
(the keyframe features are cached by :class:`~vidsense.search.images.FeatureCache`); the logos
whose ``name`` matches the query (fuzzy) are the ones looked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vidsense.search.base import Clip
from vidsense.search.images import FeatureCache, FrameFeatures, orb_similarity, read_image
from vidsense.store import Store

if TYPE_CHECKING:
    from vidsense.search.service import SearchService

MIN_ORB = 0.2
"""Share of a logo's ORB descriptors that must find a match in a keyframe."""


class LogoMatcher:
    def __init__(self, store: Store, frames: FeatureCache) -> None:
        self.store = store
        self.frames = frames
        self.logo_features = FeatureCache(capacity=1000)

    def _logo(self, key: str) -> FrameFeatures | None:
        return self.logo_features.get(key, lambda: read_image(self.store.blobs.path(key)))

    def clips(self, index_id: str, query: str, service: SearchService, pool: Any) -> list[Clip]:
        """Shots whose keyframe shows a registered logo named like ``query``."""
        from rapidfuzz import fuzz, utils

        wanted = utils.default_process(query)
        logos = [
            logo
            for logo in self.store.list_logos(index_id)
            if fuzz.token_set_ratio(wanted, utils.default_process(logo.name)) >= 80
        ]
        if not logos:
            return []
        clips: list[Clip] = []
        frames = service._index_keyframes(index_id, pool)
        for logo in logos:
            have = self._logo(logo.blob_key)
            if have is None:
                continue
            for frame in frames:
                seen = self.frames.get(frame.id, lambda f=frame: service.keyframe_pixels(f))  # type: ignore[misc]
                if seen is None:
                    continue
                value = orb_similarity(have.orb, seen.orb)
                if value < MIN_ORB:
                    continue
                start, end = service._shot_range(frame.video_id, frame.time)
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
