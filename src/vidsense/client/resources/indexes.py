"""``client.indexes``: libraries of videos."""

from __future__ import annotations

import builtins
from typing import Any

from vidsense.api.indexes import ENGINE_NAME, Index, IndexCreate, IndexQuery, IndexUpdate
from vidsense.api.wire import Listing, validated
from vidsense.client._transport import Transport
from vidsense.errors import NotFound


class Indexes:
    """``client.indexes``: create, list, find, rename and delete indexes."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def create(
        self,
        name: str,
        *,
        options: builtins.list[str] | None = None,
        addons: builtins.list[str] | None = None,
        engines: builtins.list[dict[str, Any]] | None = None,
        models: builtins.list[dict[str, Any]] | None = None,
    ) -> Index:
        """Create an index; ``options`` (visual, conversation, text_in_video, logo, audio),
        or Twelve Labs ``engines``/``models``; none means every analyzer."""
        if options is not None:
            engines = [{"engine_name": ENGINE_NAME, "engine_options": options}]
        body: dict[str, Any] = {"index_name": name}
        for key, value in (("engines", engines), ("models", models), ("addons", addons)):
            if value is not None:
                body[key] = value
        return self._t.create_index(validated(IndexCreate, body))

    def list(self, *, page: int = 1, page_limit: int = 10) -> Listing[Index]:
        """One page of indexes, newest first."""
        query = validated(IndexQuery, {"page": page, "page_limit": page_limit})
        return self._t.list_indexes(query)

    def all(self) -> builtins.list[Index]:
        """Every index, newest first."""
        found: builtins.list[Index] = []
        page = 1
        while True:
            listing = self.list(page=page, page_limit=50)
            found.extend(listing.data)
            if page >= listing.page_info.total_page:
                return found
            page += 1

    def get(self, index_id: str) -> Index:
        return self._t.get_index(index_id)

    def find(self, name_or_id: str) -> Index:
        """The index with this id, or else this name (``NotFound`` ``index_not_found``)."""
        try:
            return self.get(name_or_id)
        except NotFound:
            pass
        for index in self.all():
            if index.index_name == name_or_id:
                return index
        raise NotFound(f"no index named {name_or_id!r}", code="index_not_found")

    def rename(self, index_id: str, name: str) -> Index:
        return self._t.rename_index(index_id, validated(IndexUpdate, {"index_name": name}))

    def delete(self, index_id: str) -> None:
        """Delete an index with its videos."""
        self._t.delete_index(index_id)
