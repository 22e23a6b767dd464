"""Search and classification (``client.search``, ``client.search_next``, ``client.classify``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vidsense.api.search import ClassifyPage, SearchPage
from vidsense.api.wire import Upload
from vidsense.client._transport import Transport
from vidsense.errors import InvalidArgument
from vidsense.media.source import local_file

Classes = (
    Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]] | Sequence[Mapping[str, Any]]
)
"""Classes to classify into: ``{"Sports": ["soccer", ...]}``, ``[("Sports", [...])]`` or
``[{"name": "Sports", "prompts": [...]}]``."""


def class_list(classes: Classes) -> list[dict[str, Any]]:
    """Classes as the API takes them: ``[{"name": ..., "prompts": [...]}]``."""
    items: list[Any] = list(classes.items()) if isinstance(classes, Mapping) else list(classes)
    found: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, Mapping):
            name, prompts = item.get("name", ""), item.get("prompts", [])
        else:
            name, prompts = item
        if isinstance(prompts, str):
            prompts = [prompts]
        found.append({"name": str(name), "prompts": [str(p) for p in prompts]})
    return found


class Search:
    """Moments that match a query (text and/or image), and classes videos belong to."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def query(
        self,
        index_id: str,
        query: str = "",
        *,
        options: Sequence[str] | None = None,
        conversation_option: str = "semantic",
        operator: str = "or",
        group_by: str = "clip",
        threshold: str = "low",
        filter: Mapping[str, Any] | None = None,
        page_limit: int = 10,
        sort_option: str = "score",
        image: str | Path | bytes | None = None,
        image_url: str | None = None,
    ) -> SearchPage:
        """The first page of moments of ``index_id`` that match (see :meth:`Client.search`)."""
        fields: dict[str, Any] = {
            "index_id": index_id,
            "query_text": query,
            "conversation_option": conversation_option,
            "operator": operator,
            "group_by": group_by,
            "threshold": threshold,
            "page_limit": page_limit,
            "sort_option": sort_option,
        }
        if options is not None:
            fields["search_options"] = [str(o) for o in options]
        if filter is not None:
            fields["filter"] = dict(filter)
        if image is not None or image_url is not None:
            fields["query_media_type"] = "image"
        if image_url is not None:
            fields["query_media_url"] = image_url
        upload: Upload | None = None
        if isinstance(image, bytes):
            upload = Upload("query.jpg", image)
        elif image is not None:
            path = local_file(image)
            upload = Upload(path.name, path.read_bytes())
        return self._t.search(fields, upload)

    def next(self, page_token: str) -> SearchPage:
        """The page a ``next_page_token`` (or ``prev_page_token``) names."""
        return self._t.search_page(page_token)

    def classify(
        self,
        classes: Classes,
        *,
        video_ids: Sequence[str] | None = None,
        index_id: str | None = None,
        options: Sequence[str] | None = None,
        conversation_option: str = "semantic",
        threshold: Mapping[str, float] | None = None,
        include_clips: bool = False,
        show_detailed_score: bool = False,
        page_limit: int = 10,
    ) -> ClassifyPage:
        """Which classes the videos belong to (see :meth:`Client.classify`)."""
        fields: dict[str, Any] = {
            "classes": class_list(classes),
            "conversation_option": conversation_option,
            "include_clips": include_clips,
            "show_detailed_score": show_detailed_score,
            "page_limit": page_limit,
        }
        if video_ids:
            fields["video_ids"] = [str(v) for v in video_ids]
        elif index_id:
            fields["index_id"] = index_id
        else:
            raise InvalidArgument("give video_ids or index_id")
        if options is not None:
            fields["options"] = [str(o) for o in options]
        if threshold is not None:
            fields["threshold"] = dict(threshold)
        return self._t.classify(fields, bulk="video_ids" not in fields)
