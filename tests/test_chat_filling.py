"""Which fields of a JSON schema the chat's frames and clips fill, and with what: the Orion
cookbook's response models and VLM Run's typed references, as pydantic writes their schemas.

Pure functions over schemas (no server): the same schemas answered by a real server through
the ``openai`` client are in ``tests/test_chat.py``.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from vidsense.agent.filling import Made, fill, rest, slots, top_times
from vidsense.errors import InvalidArgument
from vidsense.language.schema import inline_refs, time_field, write_time


class VideoFrame(BaseModel):
    url: str = Field(..., description="URL of the video frame.")
    timestamp: str = Field(..., description="Timestamp of the frame in HH:MM:SS.MS format")


class VideoFramesResponse(BaseModel):
    frames: list[VideoFrame]


class VideoTrimResponse(BaseModel):
    url: str = Field(..., description="URL of the trimmed video")
    start_time: str = Field(..., description="Start time of the trimmed segment")
    end_time: str = Field(..., description="End time of the trimmed segment")
    summary: str = ""


class ImageRef(BaseModel):
    id: str = Field(..., pattern=r"^img_\w{6}$")


class VideoRef(BaseModel):
    id: str = Field(..., pattern=r"^vid_\w{6}$")


class FrameWithRef(BaseModel):
    image: ImageRef
    timestamp: str = Field(..., description="Timestamp of the frame in HH:MM:SS format")


class FramesAndClip(BaseModel):
    frames: list[FrameWithRef]
    clip: VideoRef


def _schema(model: type[BaseModel]) -> dict[str, object]:
    return inline_refs(model.model_json_schema())


FRAMES = [
    Made("img_a1b2c3", "image", "http://h/img_a1b2c3?sig", time=3.0),
    Made("img_d4e5f6", "image", "http://h/img_d4e5f6?sig", time=13.25),
]
CLIP = Made("vid_0a0b0c", "video", "http://h/vid_0a0b0c?sig", start=10.0, end=15.5, note="x")


def test_frame_urls_and_their_times() -> None:
    schema = _schema(VideoFramesResponse)
    taken = slots(schema)
    assert [(s.name, s.kind, s.many) for s in taken] == [("frames", "image", True)]
    value = fill(schema, taken, top_times(schema, taken), FRAMES, {})
    assert value == {"frames": [
        {"url": "http://h/img_a1b2c3?sig", "timestamp": "00:00:03.000"},
        {"url": "http://h/img_d4e5f6?sig", "timestamp": "00:00:13.250"},
    ]}  # fmt: skip


def test_a_trim_takes_the_clip_and_leaves_the_rest_to_the_writer() -> None:
    schema = _schema(VideoTrimResponse)
    taken = slots(schema)
    times = top_times(schema, taken)
    assert [s.name for s in taken] == ["url"] and [t.name for t in times] == [
        "start_time",
        "end_time",
    ]
    assert list(rest(schema, taken, times)["properties"]) == ["summary"]
    value = fill(schema, taken, times, [*FRAMES, CLIP], {"summary": "Prices."})
    assert value == {
        "url": "http://h/vid_0a0b0c?sig",
        "start_time": "00:00:10",
        "end_time": "00:00:16",
        "summary": "Prices.",
    }


def test_typed_references_take_the_artifact_of_their_kind() -> None:
    schema = _schema(FramesAndClip)
    taken = slots(schema)
    assert [(s.name, s.kind, s.many) for s in taken] == [
        ("frames", "image", True),
        ("clip", "video", False),
    ]
    value = fill(schema, taken, top_times(schema, taken), [*FRAMES, CLIP], {})
    assert value["clip"] == {"id": "vid_0a0b0c"}
    assert value["frames"] == [
        {"image": {"id": "img_a1b2c3"}, "timestamp": "00:00:03"},
        {"image": {"id": "img_d4e5f6"}, "timestamp": "00:00:13"},
    ]


def test_a_url_no_artifact_can_fill_is_an_error_not_text() -> None:
    schema = _schema(VideoTrimResponse)
    taken = slots(schema)
    with pytest.raises(InvalidArgument) as caught:
        fill(schema, taken, top_times(schema, taken), [], {"summary": "A summary."})
    assert caught.value.code == "schema_not_followed" and "url" in caught.value.message


def test_remaining_item_fields_are_written_for_each_artifact() -> None:
    schema = {
        "type": "object",
        "properties": {"highlights": {"type": "array", "items": {
            "type": "object",
            "properties": {"url": {"type": "string"}, "start": {"type": "number"},
                           "end": {"type": "number"}, "description": {"type": "string"},
                           "mood": {"type": "string"}},
            "required": ["url", "start", "end", "description", "mood"]}}},
        "required": ["highlights"],
    }  # fmt: skip
    asked = []

    def write(sub: dict[str, object], made: Made) -> dict[str, object]:
        asked.append((sorted(sub["properties"]), made.window(72.0)))
        return {"mood": "calm"}

    value = fill(schema, slots(schema), [], [CLIP], {}, write)
    assert value == {"highlights": [
        {"url": CLIP.url, "start": 10.0, "end": 15.5, "description": "x", "mood": "calm"}
    ]}  # fmt: skip
    assert asked == [(["mood"], (10.0, 15.5))]


def test_a_time_fields_description_sets_how_it_is_written() -> None:
    ms = time_field("start_time", {"type": "string", "description": "in HH:MM:SS.MS"})
    plain = time_field("start_time", {"type": "string", "description": "in HH:MM:SS format"})
    short = time_field("timestamp", {"type": "string", "description": "MM:SS"})
    assert ms is not None and plain is not None and short is not None
    assert [write_time(20.534, t) for t in (ms, plain, short)] == [
        "00:00:20.534",
        "00:00:21",
        "00:21",
    ]
    assert time_field("length", {"type": "string", "description": "in MM:SS"}) is None
