"""``client.videos``: indexed videos and what was found in them."""

from __future__ import annotations

import builtins

from vidsense.api.indexes import ShotItem, TextItem, TranscriptItem, Video, VideoQuery
from vidsense.api.wire import Listing, validated
from vidsense.client._transport import Transport


class Videos:
    """``client.videos``: list, get and delete videos; their transcript, on-screen text,
    shots and thumbnails."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, index_id: str, *, page: int = 1, page_limit: int = 10) -> Listing[Video]:
        query = validated(VideoQuery, {"page": page, "page_limit": page_limit})
        return self._t.list_videos(index_id, query)

    def all(self, index_id: str) -> builtins.list[Video]:
        """Every video of an index, newest first."""
        found: builtins.list[Video] = []
        page = 1
        while True:
            listing = self.list(index_id, page=page, page_limit=50)
            found.extend(listing.data)
            if page >= listing.page_info.total_page:
                return found
            page += 1

    def get(self, index_id: str, video_id: str) -> Video:
        return self._t.get_video(index_id, video_id)

    def delete(self, index_id: str, video_id: str) -> None:
        self._t.delete_video(index_id, video_id)

    def transcription(self, index_id: str, video_id: str) -> builtins.list[TranscriptItem]:
        """Spoken phrases (``value``) with word times (seconds)."""
        return self._t.transcription(index_id, video_id).data

    def text_in_video(self, index_id: str, video_id: str) -> builtins.list[TextItem]:
        """On-screen text with where (box) and when (seconds) it was seen."""
        return self._t.text_in_video(index_id, video_id).data

    def shots(self, index_id: str, video_id: str) -> builtins.list[ShotItem]:
        """Shot boundaries (seconds)."""
        return self._t.shots(index_id, video_id).data

    def thumbnail(self, index_id: str, video_id: str, time: float | None = None) -> bytes:
        """JPEG bytes: the video's thumbnail, or its frame at ``time`` seconds."""
        return self._t.thumbnail(index_id, video_id, time)
