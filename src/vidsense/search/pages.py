"""Page tokens: a search's results kept server-side for ``ttl`` seconds, one token per page.

An expired token answers ``410 page_token_expired``; a token never issued (or forgotten long
ago) ``404 page_token_not_found``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vidsense.errors import Gone, NotFound
from vidsense.search.base import SearchResult


@dataclass(frozen=True)
class ResultPage:
    """Page ``number`` (from 0) of ``result``; tokens name the pages next to it."""

    result: SearchResult
    number: int
    expires_at: float
    next_token: str | None
    prev_token: str | None

    @property
    def items(self) -> list[object]:
        size = self.result.request.page_limit
        return list(self.result.items[self.number * size : (self.number + 1) * size])

    @property
    def expires_at_text(self) -> str:
        return datetime.fromtimestamp(self.expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Entry:
    result: SearchResult
    expires_at: float
    tokens: list[str]


class PageStore:
    """Results of recent searches by page token (in memory; ``ttl`` seconds; at most
    ``capacity`` searches kept, oldest dropped first)."""

    def __init__(
        self, ttl: float = 3600.0, capacity: int = 1000, clock: Callable[[], float] = time.time
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self.clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()  # by first token
        self._pages: dict[str, tuple[str, int]] = {}  # token -> (entry key, page number)
        self._expired: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_page(self, result: SearchResult) -> ResultPage:
        """Keep ``result`` and return its first page (with a token for the next one)."""
        size = max(1, result.request.page_limit)
        pages = max(1, -(-len(result.items) // size))
        tokens = [secrets.token_urlsafe(12) for _ in range(pages)]
        with self._lock:
            self._sweep()
            entry = _Entry(result, self.clock() + self.ttl, tokens)
            self._entries[tokens[0]] = entry
            for number, token in enumerate(tokens):
                self._pages[token] = (tokens[0], number)
            while len(self._entries) > self.capacity:
                self._drop(next(iter(self._entries)))
            return self._page(entry, 0)

    def page(self, token: str) -> ResultPage:
        """The page a token names; ``Gone`` once expired, ``NotFound`` if unknown."""
        with self._lock:
            self._sweep()
            if token in self._expired:
                raise Gone(
                    "this page token has expired; run the search again", code="page_token_expired"
                )
            found = self._pages.get(token)
            if found is None:
                raise NotFound(f"unknown page token {token!r}", code="page_token_not_found")
            return self._page(self._entries[found[0]], found[1])

    def _page(self, entry: _Entry, number: int) -> ResultPage:
        tokens = entry.tokens
        return ResultPage(
            entry.result,
            number,
            entry.expires_at,
            tokens[number + 1] if number + 1 < len(tokens) else None,
            tokens[number - 1] if number > 0 else None,
        )

    def _sweep(self) -> None:
        now = self.clock()
        for key in [k for k, e in self._entries.items() if e.expires_at <= now]:
            self._drop(key, expired=True)

    def _drop(self, key: str, *, expired: bool = False) -> None:
        entry = self._entries.pop(key)
        for token in entry.tokens:
            self._pages.pop(token, None)
            if expired:
                self._expired[token] = None
        while len(self._expired) > 100 * self.capacity:
            self._expired.popitem(last=False)


@dataclass(frozen=True)
class ListPage:
    """Page ``number`` (from 0) of a kept list of response items (e.g. ``/classify`` videos)."""

    items: list[Any]
    number: int
    page_limit: int
    total: int
    expires_at: float
    next_token: str | None
    prev_token: str | None

    @property
    def total_pages(self) -> int:
        return max(1, -(-self.total // self.page_limit))

    @property
    def expires_at_text(self) -> str:
        return datetime.fromtimestamp(self.expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ListPageStore:
    """Lists of response items by page token, like :class:`PageStore` (``ttl`` seconds, at
    most ``capacity`` lists, ``410 page_token_expired`` / ``404 page_token_not_found``)."""

    def __init__(
        self, ttl: float = 3600.0, capacity: int = 1000, clock: Callable[[], float] = time.time
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self.clock = clock
        self._lists: OrderedDict[str, tuple[list[Any], int, float, list[str]]] = OrderedDict()
        self._pages: dict[str, tuple[str, int]] = {}
        self._expired: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_page(self, items: Sequence[Any], page_limit: int) -> ListPage:
        """Keep ``items`` and return their first page (with a token for the next one)."""
        size = max(1, page_limit)
        tokens = [secrets.token_urlsafe(12) for _ in range(max(1, -(-len(items) // size)))]
        with self._lock:
            self._sweep()
            self._lists[tokens[0]] = (list(items), size, self.clock() + self.ttl, tokens)
            for number, token in enumerate(tokens):
                self._pages[token] = (tokens[0], number)
            while len(self._lists) > self.capacity:
                self._drop(next(iter(self._lists)))
            return self._page(tokens[0], 0)

    def page(self, token: str) -> ListPage:
        """The page a token names; ``Gone`` once expired, ``NotFound`` if unknown."""
        with self._lock:
            self._sweep()
            if token in self._expired:
                raise Gone(
                    "this page token has expired; run the request again",
                    code="page_token_expired",
                )
            found = self._pages.get(token)
            if found is None:
                raise NotFound(f"unknown page token {token!r}", code="page_token_not_found")
            return self._page(*found)

    def _page(self, key: str, number: int) -> ListPage:
        items, size, expires_at, tokens = self._lists[key]
        return ListPage(
            items[number * size : (number + 1) * size],
            number,
            size,
            len(items),
            expires_at,
            tokens[number + 1] if number + 1 < len(tokens) else None,
            tokens[number - 1] if number > 0 else None,
        )

    def _sweep(self) -> None:
        now = self.clock()
        for key in [k for k, v in self._lists.items() if v[2] <= now]:
            self._drop(key, expired=True)

    def _drop(self, key: str, *, expired: bool = False) -> None:
        for token in self._lists.pop(key)[3]:
            self._pages.pop(token, None)
            if expired:
                self._expired[token] = None
        while len(self._expired) > 100 * self.capacity:
            self._expired.popitem(last=False)
