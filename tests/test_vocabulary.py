"""The small shared vocabulary: time formatting (one rounding rule everywhere), the one
reading of ``response_format``, submit-and-wait."""

from __future__ import annotations

import pytest

from vidsense.errors import Gone, InvalidArgument, VidsenseError
from vidsense.language.schema import ResponseFormat, TimeField, response_format, write_time
from vidsense.times import clock, hms, mmss, stamp
from vidsense.waiting import TASK_ENDED, wait_for


def test_every_formatter_rounds_to_the_nearest_unit_it_shows() -> None:
    # 12.6 s is 13 s wherever whole seconds are shown: prompts, chat, the CLI, schema answers.
    assert clock(12.6) == "0:13"
    assert mmss(12.6) == "00:13"
    assert hms(12.6) == "00:00:13"
    assert write_time(12.6, TimeField("start", "start", False, "hh:mm:ss")) == "00:00:13"
    assert write_time(12.6, TimeField("start", "start", False, "mm:ss")) == "00:13"
    # ... and 12.600 where milliseconds are.
    assert mmss(12.6, ms=True) == "00:12.600"
    assert hms(12.6, ms=True) == "00:00:12.600"
    assert stamp(12.6) == "00:00:12.600" and stamp(12.0) == "00:00:12"
    assert write_time(12.6, TimeField("t", "point", False, "hh:mm:ss.fff")) == "00:00:12.600"
    # An exact half goes to the even second; a rounding carry moves into minutes and hours.
    assert mmss(12.5) == "00:12" and mmss(13.5) == "00:14" and mmss(12.5001) == "00:13"
    assert mmss(59.6) == "01:00" and hms(3599.5) == "01:00:00"
    assert mmss(59.9996, ms=True) == "01:00.000"
    # Hours appear from an hour on (or minutes keep counting when asked).
    assert clock(3725.2) == "1:02:05" and mmss(3725.2) == "1:02:05"
    assert mmss(3725.2, hours=False) == "62:05"
    # Nothing negative.
    assert clock(-3) == "0:00" and hms(-0.4, ms=True) == "00:00:00.000"


SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "start": {"$ref": "#/$defs/Time"}},
    "$defs": {"Time": {"type": "number", "description": "seconds"}},
}


def test_response_format_has_one_reading() -> None:
    assert response_format(None) == ResponseFormat("text")
    assert response_format({"type": "text"}) == ResponseFormat("text")
    # json_object: any JSON object, no schema (for chat and /analyze alike).
    assert response_format({"type": "json_object"}) == ResponseFormat("json_object", None)
    # A schema as OpenAI, Twelve Labs or flat send it is the same schema, $refs inlined.
    inlined = {**SCHEMA, "properties": {**SCHEMA["properties"], "start": SCHEMA["$defs"]["Time"]}}
    for shape in (
        {"type": "json_schema", "json_schema": {"name": "x", "schema": SCHEMA, "strict": True}},
        {"type": "json_schema", "json_schema": SCHEMA},
        {"json_schema": SCHEMA},
        {"schema": SCHEMA},
    ):
        assert response_format(shape) == ResponseFormat("json_schema", inlined), shape
    for bad, code in (
        ("json", "invalid_argument"),
        ({"type": "yaml"}, "invalid_argument"),
        ({"type": "json_schema", "json_schema": {"name": "x"}}, "invalid_schema"),
        ({"json_schema": 5}, "invalid_schema"),
        ({"json_schema": {"type": "object", "properties": 3}}, "invalid_schema"),
    ):
        with pytest.raises(InvalidArgument) as refused:
            response_format(bad)
        assert refused.value.code == code and refused.value.param == "response_format", bad


def test_wait_for_polls_until_ended_and_reports_progress() -> None:
    statuses = iter(["pending", "indexing", "indexing", "ready", "never polled"])
    seen: list[str] = []
    final = wait_for(
        lambda: next(statuses), lambda s: s in TASK_ENDED, progress=seen.append, interval=0.01
    )
    assert final == "ready" and seen == ["pending", "indexing", "indexing", "ready"]
    # Past the time limit the last value becomes the caller's error (or a plain timeout).
    with pytest.raises(VidsenseError) as late:
        wait_for(lambda: "pending", lambda s: s in TASK_ENDED, timeout=0.05, interval=0.01)
    assert late.value.code == "timeout" and "0.05 s" in late.value.message
    with pytest.raises(Gone) as named:
        wait_for(
            lambda: "indexing",
            lambda s: s in TASK_ENDED,
            timeout=0.0,
            interval=0.01,
            timed_out=lambda s: Gone(f"still {s}", code="index_timeout"),
        )
    assert named.value.message == "still indexing" and named.value.code == "index_timeout"
