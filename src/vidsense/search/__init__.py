"""Search and classification over the library (Twelve Labs-shaped; no HTTP here)."""

from vidsense.search.base import (
    Clip,
    ImageQuery,
    SearchFilter,
    SearchRequest,
    SearchResult,
    VideoGroup,
    confidence,
)
from vidsense.search.pages import ListPage, ListPageStore, PageStore, ResultPage
from vidsense.search.service import ClassScore, SearchService, VideoClasses

__all__ = [
    "ClassScore",
    "Clip",
    "ImageQuery",
    "ListPage",
    "ListPageStore",
    "PageStore",
    "ResultPage",
    "SearchFilter",
    "SearchRequest",
    "SearchResult",
    "SearchService",
    "VideoClasses",
    "VideoGroup",
    "confidence",
]
