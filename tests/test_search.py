"""Search and classification: quality over a generated library (real clips, real indexing,
real models) and the Twelve Labs wire shapes through the real app. The library is the
session's ``sl`` fixture (``tests/conftest.py``), shared with ``tests/test_search_cli.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.search_support import SearchLibrary, measure_quality
from vidsense.media.frames import thumbnail
from vidsense.search import SearchRequest, SearchService
from vidsense.server import create_app


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

    # operator=and keeps moments both options hit: the caption and the sentence overlap.
    both = _search(
        http,
        index_id=sl.index_id,
        query="chicken",
        search_options=["conversation", "text_in_video"],
        operator="and",
    )
    assert both["data"] and both["data"][0]["video_id"] == sl.video_ids[5]
    assert set(both["data"][0]["module_confidence"]) == {"conversation", "text_in_video"}

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
        ("vectors", ("text",)),
    ]
    again = SearchService(sl.library).run(
        SearchRequest(sl.index_id, "fresh bread at the bakery", options)
    )
    assert [(c.video_id, c.start, c.score) for c in together.items] == [
        (c.video_id, c.start, c.score) for c in again.items
    ]
