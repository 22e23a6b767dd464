"""Search and classification: quality over a generated library (real clips, real indexing,
real models) and the Twelve Labs wire shapes through the real app. The library is the
session's ``sl`` fixture (``tests/conftest.py``), shared with ``tests/test_search_cli.py``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import MediaCache
from tests.factory import Caption, Scene, make_video
from tests.library_support import finished, served
from tests.search_support import SearchLibrary, measure_quality
from vidsense.jobs import EmbeddedExecutor
from vidsense.library import Library
from vidsense.media.frames import thumbnail
from vidsense.models.text_embedding import TextEmbeddingEntry
from vidsense.search import Clip, SearchRequest, SearchService
from vidsense.search.base import MAX_QUERY_CHARS, MAX_QUERY_TOKENS
from vidsense.search.relevance import is_noise
from vidsense.server import create_app

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def http(sl: SearchLibrary) -> Iterator[TestClient]:
    with TestClient(create_app(sl.library.settings, run_workers=False)) as client:
        yield client


def test_quality_of_speech_and_on_screen_text(sl: SearchLibrary) -> None:
    quality = measure_quality(SearchService(sl.library), sl)
    print(quality)
    assert quality.speech_top1 >= 0.8, quality.misses
    assert quality.speech_top5 >= 0.95, quality.misses
    assert quality.caption_top1 >= 0.95, quality.misses
    assert quality.start_within_1s >= 0.95
    # Fusing the UI's options is never worse than the best single option on each query kind.
    n, m = len(sl.speech), len(sl.captions)
    single = (quality.speech_top1 * n + quality.caption_top1 * m) / (n + m)
    assert quality.fused_top1 >= single, quality.misses


def _search(http: TestClient, **body: Any) -> Any:
    reply = http.post("/v1/search", json=body)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_search_answers_twelve_labs_shapes(http: TestClient, sl: SearchLibrary) -> None:
    body = _search(
        http,
        index_id=sl.index_id,
        query="grandma growing roses",
        search_options=["conversation"],
        page_limit=3,
    )
    assert body["search_pool"] == {
        "total_count": 10,
        "total_duration": pytest.approx(120, abs=1),
        "index_id": sl.index_id,
    }
    top = body["data"][0]
    assert top["video_id"] == sl.video_ids[4] and abs(top["start"] - 6.5) < 1.0
    assert top["rank"] == 1 and top["confidence"] in ("high", "medium")
    assert 0 <= top["score"] <= 100
    assert top["metadata"][0]["type"] == "conversation" and "roses" in top["metadata"][0]["text"]
    assert set(top["module_confidence"]) == {"conversation"}
    assert top["thumbnail_url"].endswith(
        f"/v1/indexes/{sl.index_id}/videos/{top['video_id']}/thumbnail.jpg?time={top['start']}"
    )
    image = http.get(top["thumbnail_url"].split("testserver", 1)[1])
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
    info = body["page_info"]
    assert info["limit_per_page"] == 3 and info["page_expired_at"].endswith("Z")
    assert info["prev_page_token"] is None

    # The same search under /v1.2, as a multipart form with repeatable options.
    form = http.post(
        "/v1.2/search",
        data={
            "index_id": sl.index_id,
            "query_text": "ROSE GARDEN",
            "search_options": ["transcription", "visual"],
            "operator": "or",
            "threshold": "none",
        },
        files={"dummy": ("x.txt", b"", "text/plain")},
    )
    assert form.status_code == 200, form.text
    assert form.json()["data"][0]["video_id"] == sl.video_ids[4]
    assert form.json()["visual_evidence"] in ("clip", "image_labels", "text_and_audio_labels")


def test_pages_filters_grouping_and_operators(http: TestClient, sl: SearchLibrary) -> None:
    body = _search(
        http,
        index_id=sl.index_id,
        query="bakery",
        search_options=["conversation", "text_in_video"],
        threshold="none",
        page_limit=2,
    )
    token = body["page_info"]["next_page_token"]
    assert token and len(body["data"]) == 2
    second = http.get(f"/v1/search/{token}").json()
    assert second["data"][0]["rank"] == 3 and second["page_info"]["prev_page_token"]
    assert {d["video_id"] for d in second["data"]}.isdisjoint(
        {(d["video_id"], d["start"]) for d in body["data"]}
    )

    # Filters: by id list (stringified JSON too) and duration.
    only = _search(
        http,
        index_id=sl.index_id,
        query="bakery",
        search_options=["conversation"],
        filter=f'{{"id": ["{sl.video_ids[9]}"]}}',
    )
    assert {d["video_id"] for d in only["data"]} == {sl.video_ids[9]}
    assert only["search_pool"]["total_count"] == 1
    none = _search(http, index_id=sl.index_id, query="bakery", filter={"duration": {"gte": 600}})
    assert none["data"] == [] and none["search_pool"]["total_count"] == 0

    grouped = _search(
        http,
        index_id=sl.index_id,
        query="mountain road",
        search_options=["conversation", "text_in_video"],
        group_by="video",
    )
    assert grouped["data"][0]["id"] in (sl.video_ids[8], sl.video_ids[9])
    assert grouped["data"][0]["clips"][0]["video_id"] == grouped["data"][0]["id"]

    # operator=and keeps moments both options hit: the caption and the sentence overlap;
    # "audio" is found by speech or by sounds (the options it covers), not by both.
    for options in (["conversation", "text_in_video"], ["audio", "text_in_video"]):
        both = _search(
            http, index_id=sl.index_id, query="chicken", search_options=options, operator="and"
        )
        assert both["data"] and both["data"][0]["video_id"] == sl.video_ids[5], options
        assert {"conversation", "text_in_video"} <= set(both["data"][0]["module_confidence"])

    exact = _search(
        http,
        index_id=sl.index_id,
        query="platform nine",
        search_options=["conversation"],
        conversation_option="exact_match",
    )
    assert {d["video_id"] for d in exact["data"]} <= set(sl.video_ids[:2])


def test_bad_searches_say_what_is_wrong(http: TestClient, sl: SearchLibrary) -> None:
    empty = http.post("/v1/search", json={"index_id": sl.index_id, "query": "  "})
    assert empty.status_code == 400 and "query is empty" in empty.json()["message"]
    unknown = http.post(
        "/v1/search", json={"index_id": sl.index_id, "query": "x", "search_options": ["smell"]}
    )
    assert unknown.status_code == 400 and "smell" in unknown.json()["message"]
    index = http.post(
        "/v1/indexes",
        json={
            "index_name": "speech-only",
            "engines": [{"engine_name": "marengo2.6", "engine_options": ["conversation"]}],
        },
    ).json()
    lacking = http.post(
        "/v1/search", json={"index_id": index["_id"], "query": "x", "search_options": ["logo"]}
    )
    assert lacking.status_code == 400 and lacking.json()["code"] == "option_not_in_index"
    assert "conversation" in lacking.json()["message"]
    too_many = http.post(
        "/v1/search", json={"index_id": sl.index_id, "query": "x", "page_limit": 51}
    )
    assert too_many.status_code == 400

    missing = http.get("/v1/search/not-a-token")
    assert missing.status_code == 404 and missing.json()["code"] == "page_token_not_found"
    body = _search(
        http,
        index_id=sl.index_id,
        query="road",
        threshold="none",
        page_limit=1,
        search_options=["conversation"],
    )
    token = body["page_info"]["next_page_token"]
    pages = http.app.state.services.search.pages  # type: ignore[attr-defined]
    clock = pages.clock
    pages.clock = lambda: clock() + 7200
    try:
        gone = http.get(f"/v1/search/{token}")
    finally:
        pages.clock = clock
    assert gone.status_code == 410 and gone.json()["code"] == "page_token_expired"


def test_a_frame_of_a_video_finds_that_moment(
    http: TestClient, sl: SearchLibrary, tmp_path: Path
) -> None:
    frame = tmp_path / "frame.jpg"
    thumbnail(sl.clips[3], 9.0, frame, width=320)
    with frame.open("rb") as f:
        reply = http.post(
            "/v1/search",
            data={"index_id": sl.index_id, "query_media_type": "image", "search_options": "visual"},
            files={"query_media_file": ("frame.jpg", f, "image/jpeg")},
        )
    assert reply.status_code == 200, reply.text
    top = reply.json()["data"][0]
    assert top["video_id"] == sl.video_ids[3]
    assert top["start"] <= 9.0 <= top["end"] and top["start"] >= 5.5
    # An image alone is searched by what it shows: options that cannot read it are refused
    # (they were ignored, and the picture searched anyway).
    with frame.open("rb") as f:
        refused = http.post(
            "/v1/search",
            data={
                "index_id": sl.index_id,
                "query_media_type": "image",
                "search_options": "conversation",
            },
            files={"query_media_file": ("frame.jpg", f, "image/jpeg")},
        )
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "invalid_argument"
    assert "must include visual" in refused.json()["message"]


def test_classify_and_logos(http: TestClient, sl: SearchLibrary, tmp_path: Path) -> None:
    body = {
        "index_id": sl.index_id,
        "classes": [
            {"name": "Food", "prompts": ["bakery bread", "salad tomatoes"]},
            {"name": "Sports", "prompts": ["football", "basketball championship"]},
        ],
        "options": ["conversation", "text_in_video"],
        "include_clips": True,
        "show_detailed_score": True,
        "threshold": {"min_clip_score": 50},
    }
    reply = http.post("/v1/classify/bulk", json=body)
    assert reply.status_code == 200, reply.text
    by_video = {d["video_id"]: {c["name"]: c for c in d["classes"]} for d in reply.json()["data"]}
    assert "Food" in by_video[sl.video_ids[8]] and "Sports" in by_video[sl.video_ids[6]]
    sports = by_video[sl.video_ids[6]]["Sports"]
    assert 0 < sports["duration_ratio"] <= 1 and sports["clips"][0]["prompt"] == "football"
    assert set(sports["detailed_scores"]) == {"max_score", "avg_score", "normalized_score"}
    assert "Sports" not in by_video.get(sl.video_ids[8], {})
    single = http.post(
        "/v1/classify", json={**body, "video_ids": [sl.video_ids[6]], "index_id": None}
    )
    assert [d["video_id"] for d in single.json()["data"]] == [sl.video_ids[6]]

    # A logo: a crop of the caption of video 7's first shot.
    import cv2

    frame = tmp_path / "logo-src.jpg"
    thumbnail(sl.clips[7], 3.0, frame, width=320)
    crop = cv2.imread(str(frame))[90:150, 30:290]
    _ok, png = cv2.imencode(".png", crop)
    added = http.post(
        f"/v1/indexes/{sl.index_id}/logos",
        data={"name": "Hoopla"},
        files={"file": ("hoopla.png", png.tobytes(), "image/png")},
    )
    assert added.status_code == 201, added.text
    logo_id = added.json()["id"]
    assert [x["name"] for x in http.get(f"/v1/indexes/{sl.index_id}/logos").json()["data"]] == [
        "Hoopla"
    ]
    found = _search(http, index_id=sl.index_id, query="hoopla", search_options=["logo"])
    assert found["data"][0]["video_id"] == sl.video_ids[7]
    assert http.delete(f"/v1/indexes/{sl.index_id}/logos/{logo_id}").status_code == 204
    assert http.get(f"/v1/indexes/{sl.index_id}/logos").json()["data"] == []
    gone = http.delete(f"/v1/indexes/{sl.index_id}/logos/{logo_id}")
    assert gone.status_code == 404 and gone.json()["code"] == "logo_not_found"


def test_classify_pages_with_next_page_token(http: TestClient, sl: SearchLibrary) -> None:
    body = {
        "index_id": sl.index_id,
        "classes": [{"name": "Anything", "prompts": ["bread", "football", "music"]}],
        "options": ["conversation", "text_in_video"],
        "threshold": {"min_clip_score": 0},
        "page_limit": 1,
    }
    first = http.post("/v1/classify/bulk", json=body)
    assert first.status_code == 200, first.text
    info = first.json()["page_info"]
    total = info["total_results"]
    assert total >= 2 and info["total_page"] == total and info["page"] == 1
    assert len(first.json()["data"]) == 1 and info["prev_page_token"] is None
    seen = [first.json()["data"][0]["video_id"]]
    token = info["next_page_token"]
    while token:
        page = http.get(f"/v1/classify/{token}")
        assert page.status_code == 200, page.text
        assert len(page.json()["data"]) == 1
        seen.append(page.json()["data"][0]["video_id"])
        assert page.json()["page_info"]["page"] == len(seen)
        token = page.json()["page_info"]["next_page_token"]
    assert len(seen) == total == len(set(seen))
    everything = http.post("/v1/classify/bulk", json={**body, "page_limit": 50}).json()
    assert everything["page_info"]["next_page_token"] is None
    assert sorted(d["video_id"] for d in everything["data"]) == sorted(seen)
    missing = http.get("/v1/classify/no-such-token")
    assert missing.status_code == 404 and missing.json()["code"] == "page_token_not_found"
    bad = http.post("/v1/classify/bulk", json={**body, "page_limit": 51})
    assert bad.status_code == 400


def test_options_of_one_request_share_their_reads(
    sl: SearchLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = SearchService(sl.library)
    calls: list[tuple[str, tuple[str, ...]]] = []
    search_text, search_vectors = service.library.search_text, service.library.search_vectors

    def counted_text(*args: Any, **kwargs: Any) -> Any:
        calls.append(("text", tuple(kwargs.get("kinds") or ())))
        return search_text(*args, **kwargs)

    def counted_vectors(*args: Any, **kwargs: Any) -> Any:
        calls.append(("vectors", (args[1],)))
        return search_vectors(*args, **kwargs)

    monkeypatch.setattr(service.library, "search_text", counted_text)
    monkeypatch.setattr(service.library, "search_vectors", counted_vectors)
    options = ("conversation", "text_in_video", "visual", "audio")
    together = service.run(SearchRequest(sl.index_id, "fresh bread at the bakery", options))
    assert sorted(calls) == [
        ("text", ("audio_event",)),
        ("text", ("text",)),
        ("text", ("transcript",)),
        ("text", ("visual",)),  # what keyframes show, read for the query's WordNet concepts
        ("vectors", ("text",)),  # speech, by the query less what every sentence shares
        ("vectors", ("text",)),  # on-screen text and labels
    ]
    again = SearchService(sl.library).run(
        SearchRequest(sl.index_id, "fresh bread at the bakery", options)
    )
    assert [(c.video_id, c.start, c.score) for c in together.items] == [
        (c.video_id, c.start, c.score) for c in again.items
    ]


def test_long_queries_are_refused_by_their_limit(http: TestClient, sl: SearchLibrary) -> None:
    huge = "where is the bakery " * 2500  # 50 KB: refused before anything reads it
    started = time.monotonic()
    reply = http.post("/v1/search", json={"index_id": sl.index_id, "query": huge})
    assert reply.status_code == 400 and reply.json()["code"] == "query_too_long"
    assert f"{MAX_QUERY_CHARS:,} characters" in reply.json()["message"]
    assert time.monotonic() - started < 5  # not embedded: that would take minutes
    # Under the character limit but over the token limit: digits are a token each.
    digits = " ".join(str(n % 10) for n in range(MAX_QUERY_TOKENS + 50))
    assert len(digits) < MAX_QUERY_CHARS
    reply = http.post("/v1/search", json={"index_id": sl.index_id, "query": digits})
    assert reply.status_code == 400 and reply.json()["code"] == "query_too_long"
    assert f"{MAX_QUERY_TOKENS} tokens" in reply.json()["message"]
    classify = http.post(
        "/v1/classify/bulk",
        json={"index_id": sl.index_id, "classes": [{"name": "Long", "prompts": [huge]}]},
    )
    assert classify.status_code == 400 and classify.json()["code"] == "query_too_long"


def test_a_long_query_does_not_hold_up_a_short_one(sl: SearchLibrary) -> None:
    embedder = TextEmbeddingEntry(sl.library.settings).load()
    words = [
        "the",
        "chef",
        "slices",
        "fresh",
        "tomatoes",
        "for",
        "the",
        "summer",
        "salad",
        "at",
        "the",
        "bakery",
    ]
    big = " ".join(words[i % len(words)] for i in range(350))
    assert 400 < embedder.count_tokens(big) <= MAX_QUERY_TOKENS  # ~1 s to embed on one core
    finished: dict[str, float] = {}
    answers: dict[str, httpx.Response] = {}

    def ask(url: str, name: str, query: str) -> None:
        body = {
            "index_id": sl.index_id,
            "query": query,
            "search_options": ["visual", "conversation"],
        }
        answers[name] = httpx.post(f"{url}/v1/search", json=body, timeout=120)
        finished[name] = time.monotonic()

    with served(create_app(sl.library.settings, run_workers=False)) as url:
        ask(url, "warm", "warm up")  # models loaded before the race
        long_one = threading.Thread(target=ask, args=(url, "big", big))
        long_one.start()
        time.sleep(0.2)  # the long query is being embedded
        ask(url, "small", "grandma growing roses")
        long_one.join(120)
    assert answers["big"].status_code == 200 and answers["small"].status_code == 200
    top = answers["small"].json()["data"][0]
    assert top["video_id"] == sl.video_ids[4]
    assert finished["small"] < finished["big"]


def test_on_screen_noise_is_kept_but_never_fills_the_first_results(
    lib: Library, media: MediaCache
) -> None:
    """A test pattern's numbers and a burned-in time code are stored as sightings, but rank
    below a caption that says something, and below the ``low`` band unless the query is a
    number itself."""

    def build(out: Path) -> None:
        noise = [
            Caption("00:00:04.000", 0.0, 6.0, size=36, y="20"),
            Caption("100", 0.0, 6.0, size=36, x="20"),
            Caption("75", 0.0, 6.0, size=36, x="w-tw-20"),
        ]
        make_video(
            out,
            [
                Scene(6.0, "color=c=navy", noise),
                Scene(6.0, "color=c=maroon", [Caption("FRESH BREAD EVERY MORNING", 6.3, 11.7, 32)]),
            ],
            size="640x360",
        )

    index = lib.create_index("noise", options=["visual", "conversation", "text_in_video"])
    with EmbeddedExecutor(lib, 1):
        task = finished(lib, lib.submit_file(index.id, media.get("noise.mp4", build)).task.id)
    assert task.status == "ready" and task.video_id is not None, task.error_message
    seen = [s.text for s in lib.video_segments(task.video_id, "text")]
    assert any("00:00:04" in t for t in seen) and "100" in seen, seen  # kept as evidence
    service = SearchService(lib)
    everything = ("visual", "conversation", "text_in_video")
    for threshold in ("none", "low"):
        found = service.run(
            SearchRequest(index.id, "bread in the morning", everything, threshold=threshold)
        )
        texts = [_clip_text(c) for c in found.items]
        assert "BREAD" in texts[0].upper(), texts
        assert found.items[0].start == pytest.approx(6.3, abs=0.6)  # type: ignore[union-attr]
    for query in ("bread in the morning", "what time is it", "the price is 75 euros"):
        found = service.run(SearchRequest(index.id, query, everything, threshold="low"))
        texts = [_clip_text(c) for c in found.items]
        assert not any(is_noise(t) for t in texts), (query, texts)
    number = service.run(SearchRequest(index.id, "100", ("text_in_video",), threshold="low"))
    assert number.items and _clip_text(number.items[0]) == "100"


def test_a_question_for_a_time_finds_the_slide_that_gives_one(
    lib: Library, media: MediaCache
) -> None:
    """ "When is the museum shut?" asks for a time: the slide of opening hours (its title and
    the hours beneath, read as one screen) comes before the slide that names the museum."""

    def build(out: Path) -> None:
        make_video(
            out,
            [
                Scene(
                    6.0,
                    "color=c=0x2f3e46",
                    [
                        Caption("CITY MUSEUM OF CLOCKS", 0.0, 6.0, size=34, y="120"),
                        Caption("Visitor information", 0.0, 6.0, size=24, y="200"),
                    ],
                ),
                Scene(
                    6.0,
                    "color=c=0x354f52",
                    [
                        Caption("OPENING HOURS", 6.0, 12.0, size=34, y="100"),
                        Caption("Tuesday to Sunday 10:00 - 18:00", 6.0, 12.0, size=24, y="180"),
                        Caption("Closed on Mondays", 6.0, 12.0, size=24, y="230"),
                    ],
                ),
            ],
            size="640x360",
        )

    index = lib.create_index("hours", options=["visual", "conversation", "text_in_video"])
    with EmbeddedExecutor(lib, 1):
        task = finished(lib, lib.submit_file(index.id, media.get("hours.mp4", build)).task.id)
    assert task.status == "ready" and task.video_id is not None, task.error_message
    service = SearchService(lib)
    found = service.run(SearchRequest(index.id, "when is the museum shut", ("text_in_video",)))
    assert found.items and found.items[0].start == pytest.approx(6.0, abs=0.6), [
        (_clip_text(c), c.start)
        for c in found.items  # type: ignore[union-attr]
    ]
    named = service.run(SearchRequest(index.id, "the museum of clocks", ("text_in_video",)))
    assert "CLOCKS" in _clip_text(named.items[0]).upper()


def _clip_text(item: object) -> str:
    assert isinstance(item, Clip)
    return str(item.metadata[0].get("text", ""))
