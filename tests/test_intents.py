"""The chat's intent reader and planner on labelled requests (``tests/intent_phrasings.py``):
which tools a request reaches, with the times, spans and counts it names.

Pure functions, no server: the end-to-end behaviour of the same requests through the real
``openai`` client is in ``tests/test_chat.py`` and ``tests/test_chat_intents.py``.
"""

from __future__ import annotations

import math

import pytest

from tests.intent_phrasings import DEV, HELD_OUT, HELD_OUT_LATER
from vidsense.agent.intents import labels, read
from vidsense.agent.planner import Step, plan
from vidsense.times import ends_asked, find_times, parse_time


def _accuracy(cases: list[tuple[str, str]]) -> tuple[float, list[str]]:
    wrong = [f"{want} <- {labels(read(text))}: {text!r}" for text, want in cases
             if labels(read(text)) != want]  # fmt: skip
    return 1 - len(wrong) / len(cases), wrong


def test_the_labelled_phrasings_reach_their_tools() -> None:
    dev, wrong = _accuracy(DEV)
    assert dev == 1.0, wrong
    held, wrong = _accuracy(HELD_OUT + HELD_OUT_LATER)
    assert held >= 0.9, wrong
    assert len(DEV) + len(HELD_OUT) + len(HELD_OUT_LATER) >= 60


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("frames at 00:05, 00:15, 00:25", [Step("frames", {"times": [5.0, 15.0, 25.0]})]),
        ("Extract frames at 00:05, 00:15 and 00:25", [Step("frames", {"times": [5, 15, 25]})]),
        ("I'd like three frames at 5, 15 and 25 seconds", [Step("frames", {"times": [5, 15, 25]})]),
        ("Grab a screenshot at 1:02:03.5", [Step("frames", {"times": [3723.5]})]),
        ("Take a frame every 10 seconds", [Step("frames_every", {"every": 10.0})]),
        ("one frame per second", [Step("frames_every", {"every": 1.0})]),
        ("Show me 5 frames spread across the video", [Step("frames_spread", {"count": 5})]),
        ("Capture the first frame and the last frame", [Step("frames", {"times": [0, math.inf]})]),
        (
            "Given the chapter details, sample a frame from every 4 chapters. "
            "<summary>01. [00:00 - 00:06] a town</summary>",
            [Step("chapter_frames", {"step": 4})],
        ),
        ("Show me a frame at the start of each chapter.", [Step("chapter_frames", {"step": 1})]),
        (
            "Trim this video from 00:30 to 00:45 seconds and return the trimmed pre-signed URL.",
            [Step("trim", {"start": 30.0, "end": 45.0})],
        ),
        ("Cut the clip between 0:10 and 0:20", [Step("trim", {"start": 10.0, "end": 20.0})]),
        ("Trim the last 5 seconds", [Step("trim", {"start": -5.0, "end": math.inf})]),
        ("Give me the first 10 seconds as a clip", [Step("trim", {"start": 0.0, "end": 10.0})]),
        ("drop everything after 1:00", [Step("trim", {"start": 0.0, "end": 60.0})]),
        ("Clip the part where they talk about coffee", [Step("clip_about", {"query": "coffee"})]),
        (
            "Take frames at 00:03 and 00:13, and trim a clip from 00:10 to 00:15.",
            [Step("frames", {"times": [3.0, 13.0]}), Step("trim", {"start": 10.0, "end": 15.0})],
        ),
        (
            "Extract the 2 best/most interesting moments from this video as separate clips "
            "with timestamps and descriptions.",
            [Step("highlights", {"count": 2})],
        ),
        ("Pick the two most important moments", [Step("highlights", {"count": 2})]),
        ("show me the most emotional moment", [Step("highlights", {"count": 1})]),
        (
            "Make a 20 second highlight reel of this video with subtitles",
            [Step("edit", {"kind": "reel", "subtitles": True, "seconds": 20.0})],
        ),
        ("make it vertical", [Step("edit", {"kind": "reframe", "aspect": "9:16"})]),
        ("Slow down the video by half", [Step("edit", {"kind": "speed", "factor": 0.5})]),
        ("Translate the audio into Spanish", [Step("unsupported", {"why": "translate"})]),
        ("Find the moment they mention pricing", [Step("search", {"query": "pricing"})]),
    ],
)
def test_steps_carry_what_the_request_names(text: str, want: list[Step]) -> None:
    assert plan(text) == want


def test_questions_go_to_the_writer_whole() -> None:
    for question in ("What is said about castling?", "How long should the cake bake?",
                     "What did they say about tent stakes?",
                     "What colour do indoor photos turn without white balance?"):  # fmt: skip
        assert plan(question) == [Step("answer", {"question": question})]
    assert plan("Which photos show the dog?")[0].tool != "answer", "pictures asked for"
    [step] = plan("Give me a checklist of the steps")
    assert step == Step("summary", {"prompt": "Give me a checklist of the steps"})


def test_generation_keeps_the_description_without_the_delivery() -> None:
    [step] = plan(
        "Generate a 6 second vertical video of this invoice sliding onto a desk. Return the "
        "proper presigned URL with https at starting."
    )
    assert step.tool == "generate"
    assert step.args == {
        "prompt": "Generate a 6 second vertical video of this invoice sliding onto a desk.",
        "seconds": 6.0,
        "size": "720x1280",
    }


@pytest.mark.parametrize(
    ("text", "kinds", "values"),
    [
        ("at 00:05, 00:15, 00:25", ["point"] * 3, [(5,), (15,), (25,)]),
        ("from 30 to 45 seconds", ["range"], [(30, 45)]),
        ("between 1:00 and 1:30", ["range"], [(60, 90)]),
        ("00:01:10 - 00:01:25", ["range"], [(70, 85)]),
        ("every 2.5 s", ["interval"], [(2.5,)]),
        ("the first 10 seconds", ["first"], [(10,)]),
        ("the last 2 min", ["last"], [(120,)]),
        ("a 20 second highlight reel", ["duration"], [(20,)]),
        ("30s each", ["duration"], [(30,)]),
        ("1 min 30 s in", ["point"], [(90,)]),
        ("2m30s", ["point"], [(150,)]),
        ("ninety seconds in", ["point"], [(90,)]),
        ("at the 2 minute mark", ["point"], [(120,)]),
        ("from 1:00 to the end", ["range"], [(60, math.inf)]),
        ("the top 5 moments", [], []),
        ("a second clip", [], []),
    ],
)
def test_the_time_parser(text: str, kinds: list[str], values: list[tuple[float, ...]]) -> None:
    found = find_times(text)
    assert [m.kind for m in found] == kinds
    assert [m.values for m in found] == [tuple(float(v) for v in vs) for vs in values]


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("What happens at the start?", ["start"]),
        ("what is said in the first seconds", ["start"]),
        ("What happens when the video begins?", ["start"]),
        ("What is shown at the very end?", ["end"]),
        ("What is said at the end of the video?", ["end"]),
        ("What happens at the end of the race?", []),  # the end of something in it
        ("What happens in the middle?", ["middle"]),
        ("What is shown halfway through?", ["middle"]),
        ("What happens in the middle of the race?", []),
        ("How does the story start?", []),
        ("What is shown at 0:12?", []),
    ],
)
def test_the_ends_of_a_video_asked_without_a_time(text: str, ends: list[str]) -> None:
    assert ends_asked(text) == ends


def test_parse_time_forms() -> None:
    assert parse_time("1:05") == 65.0
    assert parse_time("01:02:03.250") == 3723.25
    assert parse_time("12.5 s") == 12.5
    assert parse_time("2 minutes 5 seconds") == 125.0
    assert parse_time("half a minute") == 30.0
