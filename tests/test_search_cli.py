"""``Client.search``/``search_next``/``classify`` in-process and over HTTP, and the ``vidsense
search``/``classify`` commands, over the session's generated search library (``sl`` in
``tests/conftest.py``, shared with ``tests/test_search.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.library_support import served
from tests.search_support import SearchLibrary
from vidsense.api.search import SearchHit, VideoHits
from vidsense.cli.search import parse_class
from vidsense.client import Client
from vidsense.errors import InvalidArgument, NotFound
from vidsense.media.frames import thumbnail
from vidsense.server import create_app
from vidsense.times import mmss

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def server(sl: SearchLibrary) -> Iterator[str]:
    """A real uvicorn server on a free port (in a thread) over the library's data folder."""
    with served(create_app(sl.library.settings, run_workers=False)) as url:
        yield url


@pytest.fixture(scope="module")
def clients(sl: SearchLibrary, server: str) -> Iterator[dict[str, Client]]:
    local = Client(settings=sl.library.settings)
    remote = Client(server)
    yield {"in-process": local, "http": remote}
    local.close()
    remote.close()


def test_client_search_agrees_in_process_and_over_http(
    clients: dict[str, Client], sl: SearchLibrary, server: str
) -> None:
    tops = {}
    for mode, client in clients.items():
        page = client.search(
            sl.index_id, "grandma growing roses", options=["conversation"], page_limit=3
        )
        assert page.search_pool.total_count == 10 and page.search_pool.index_id == sl.index_id
        assert page.page_info.limit_per_page == 3 and page.page_info.prev_page_token is None
        top = page.hits[0]
        assert isinstance(top, SearchHit) and top.rank == 1, mode
        assert top.video_id == sl.video_ids[4] and abs(top.start - 6.5) < 1.0, mode
        assert top.confidence in ("high", "medium") and 0 <= top.score <= 100
        assert "roses" in top.text and top.metadata[0]["type"] == "conversation"
        assert top.thumbnail_url is not None
        tops[mode] = (top.video_id, top.start, top.end, top.score)
    assert tops["in-process"] == tops["http"]
    # Thumbnail links: absolute from a server, the server's path in-process.
    remote = clients["http"].search(sl.index_id, "grandma growing roses", options=["conversation"])
    assert remote.hits[0].thumbnail_url.startswith(f"{server}/v1/indexes/")  # type: ignore[union-attr]

    for mode, client in clients.items():
        grouped = client.search(
            sl.index_id,
            "mountain road",
            options=["conversation", "text_in_video"],
            group_by="video",
            filter={"id": sl.video_ids[8:]},
        )
        assert all(isinstance(g, VideoHits) for g in grouped.data), mode
        assert {g.id for g in grouped.data} <= set(sl.video_ids[8:])  # type: ignore[union-attr]
        assert grouped.hits and grouped.search_pool.total_count == 2


def test_client_pages_and_errors(clients: dict[str, Client], sl: SearchLibrary) -> None:
    for mode, client in clients.items():
        first = client.search(
            sl.index_id,
            "bakery",
            options=["conversation", "text_in_video"],
            threshold="none",
            page_limit=2,
        )
        token = first.page_info.next_page_token
        assert token and len(first.hits) == 2, mode
        second = client.search_next(token)
        assert second.hits[0].rank == 3 and second.page_info.prev_page_token, mode
        assert client.search_next(second.page_info.prev_page_token).hits == first.hits  # type: ignore[arg-type]

        with pytest.raises(InvalidArgument) as empty:
            client.search(sl.index_id, "  ")
        assert empty.value.code == "invalid_argument" and "query is empty" in str(empty.value)
        with pytest.raises(InvalidArgument) as unknown:
            client.search(sl.index_id, "x", options=["smell"])
        assert "smell" in str(unknown.value)
        with pytest.raises(NotFound) as gone:
            client.search_next("not-a-token")
        assert gone.value.code == "page_token_not_found"


def test_client_image_search(clients: dict[str, Client], sl: SearchLibrary, tmp_path: Path) -> None:
    frame = tmp_path / "frame.jpg"
    thumbnail(sl.clips[3], 9.0, frame, width=320)
    for mode, client in clients.items():
        image: Path | bytes = frame if mode == "http" else frame.read_bytes()
        page = client.search(sl.index_id, options=["visual"], image=image, page_limit=3)
        top = page.hits[0]
        assert top.video_id == sl.video_ids[3] and top.start <= 9.0 <= top.end, mode


def test_client_classify(clients: dict[str, Client], sl: SearchLibrary) -> None:
    classes = {
        "Food": ["bakery bread", "salad tomatoes"],
        "Sports": ["football", "basketball championship"],
    }
    results = {}
    for mode, client in clients.items():
        bulk = client.classify(
            classes,
            index_id=sl.index_id,
            options=["conversation", "text_in_video"],
            include_clips=True,
            show_detailed_score=True,
            threshold={"min_clip_score": 50},
        )
        by_video = {v.video_id: {c.name: c for c in v.classes} for v in bulk.data}
        assert "Food" in by_video[sl.video_ids[8]] and "Sports" in by_video[sl.video_ids[6]]
        sports = by_video[sl.video_ids[6]]["Sports"]
        assert 0 < sports.score <= 100 and 0 < sports.duration_ratio <= 1, mode
        assert sports.clips and sports.clips[0].prompt == "football"
        assert set(sports.detailed_scores or {}) == {"max_score", "avg_score", "normalized_score"}
        results[mode] = {v: sorted(c) for v, c in by_video.items()}

        single = client.classify(
            [("Sports", ["football"])],
            video_ids=[sl.video_ids[6]],
            options=["conversation", "text_in_video"],
        )
        assert [v.video_id for v in single.data] == [sl.video_ids[6]]
        assert single.data[0].classes[0].clips is None  # not asked for
        with pytest.raises(InvalidArgument):
            client.classify({"Empty": []}, index_id=sl.index_id)
    assert results["in-process"] == results["http"]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vidsense.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def test_cli_search_and_classify_against_a_server(sl: SearchLibrary, server: str) -> None:
    found = _cli(
        "search", "search-quality", "grandma growing roses", "--option", "conversation",
        "--limit", "3", "--json", "--server", server,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    page = json.loads(found.stdout)
    assert page["data"][0]["video_id"] == sl.video_ids[4] and page["data"][0]["rank"] == 1

    table = _cli(
        "search",
        sl.index_id,
        "the Berlin train departs",
        "--option",
        "conversation",
        "--server",
        server,
    )
    assert table.returncode == 0, table.stderr
    first = next(line for line in table.stdout.splitlines() if "search-0.mp4" in line)
    assert "00:06-00:" in first and "Berlin" in first

    classified = _cli(
        "classify", "search-quality", "--class", "Sports=football,basketball championship",
        "--class", "Cooking=chopping vegetables", "--option", "conversation",
        "--option", "text_in_video", "--json", "--server", server,
    )  # fmt: skip
    assert classified.returncode == 0, classified.stderr
    names = {
        v["video_id"]: [c["name"] for c in v["classes"]]
        for v in json.loads(classified.stdout)["data"]
    }
    assert "Sports" in names[sl.video_ids[6]]

    empty = _cli("search", "search-quality", "", "--server", server)
    assert empty.returncode == 2
    assert empty.stderr.count("\n") == 1 and "query is empty" in empty.stderr
    assert empty.stderr.rstrip().endswith("[invalid_argument]")


def test_cli_search_in_process_refuses_an_empty_query(sl: SearchLibrary) -> None:
    settings = sl.library.settings
    env = {
        "VIDSENSE_DATA_DIR": str(settings.data_dir),
        "VIDSENSE_MODELS__DIR": str(settings.models.dir),
    }
    empty = _cli("search", sl.index_id, "", env=env)
    assert empty.returncode == 2, empty.stderr
    assert empty.stderr.startswith("error: ") and empty.stderr.count("\n") == 1
    assert "[invalid_argument]" in empty.stderr
    unknown = _cli("search", "no-such-index", "roses", env=env)
    assert unknown.returncode == 1 and "[index_not_found]" in unknown.stderr


def test_class_and_time_parsing() -> None:
    assert parse_class("Sports=playing soccer, basketball") == (
        "Sports",
        ["playing soccer", "basketball"],
    )
    for bad in ("Sports", "=x", "Sports=", "Sports= , "):
        with pytest.raises(InvalidArgument):
            parse_class(bad)
    assert mmss(6.9) == "00:07" and mmss(125.2) == "02:05" and mmss(3725) == "1:02:05"
