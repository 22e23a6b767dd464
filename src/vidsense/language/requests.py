"""What a prompt asks the writer to do, read from its words: a length, a form, a focus, or
something no writer here can do.

- length: "in two sentences", "in one sentence", "in at most 40 words", "under 50 words";
- form: bullet points ("as bullet points", "list the ..."), numbered steps ("numbered list",
  "step by step"), a checklist, a table ("table of the times each part starts");
- count: how many items a list should hold ("the four tips", "top 5", "3 bullet points");
- focus: "only about the sauce", "focus on the weather", "just the part about tides";
- what a list is of: the video's parts (topics, chapters, tips, sections, slides), its steps
  (what is said, in order), its shots;
- requests that need something vidsense does not have (:attr:`Request.lacks`): making
  videos, pictures, diagrams, 3D models or audio, dubbing, voice-overs, editing the picture;
  and (:attr:`Request.needs_model`) writing that goes beyond the evidence, which only a
  language model can do: translating, continuing a story, writing a poem.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

Form = Literal["prose", "bullets", "numbered", "checklist", "table"]
Wanted = Literal["title", "hashtags", "topics", "topic", "highlights", "colours"]
Items = Literal["parts", "steps", "shots", "sentences"]

_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a few": 3,
}  # fmt: skip
_COUNT = r"(\d{1,3}|a couple of|a few|an?|one|single|two|three|four|five|six|seven|eight|nine|ten)"
_AT_MOST = r"(?:(?:at most|up to|no more than|not more than|under|fewer than|less than|within|" \
           r"maximum of|max|exactly|just|only)\s+)?"  # fmt: skip

_MEDIA = (
    r"videos?|clips?|movies?|films?|animations?|gifs?|images?|pictures?|photos?|drawings?|"
    r"diagrams?|illustrations?|charts?|graphs?|sketch(?:es)?|3d(?: models?)?|models?|audio|"
    r"sound(?:track)?s?|songs?|music|podcasts?|voice|speech|narration|subtitles?|thumbnails?"
)
_LACKS: list[tuple[str, str]] = [
    (rf"\b(?:generate|create|make|produce|render|animate|film|shoot|record|compose|paint|draw|"
     rf"design|build|synthesi[sz]e)\b((?:\s+\w+){{0,4}}?)\s+(?:{_MEDIA})\b",
     "make new videos, pictures, diagrams or audio (vidsense finds, describes and quotes what "
     "is in your videos; it has no generator)"),
    (r"\b(?:draw|sketch|paint|plot|diagram)\b",
     "draw pictures or diagrams (vidsense has no image generator)"),
    (r"\b3d\b|\bthree[- ]dimensional\b",
     "make 3D models (vidsense has no 3D generator)"),
    (r"\bread\b.*\baloud\b|\bout loud\b|\baudio file\b|\btext[- ]to[- ]speech\b|\bspeak it\b",
     "read text aloud or make audio (vidsense has no speech synthesizer)"),
    (r"\bvoice[- ]?overs?\b|\bdub(?:bing|bed)?\b|\bnarrate (?:it|this|the video)\b",
     "add a voice-over or dub a video (vidsense has no speech synthesizer)"),
    (r"\bcolou?r[- ]?grad|\bstabili[sz]e\b|\bupscale\b|\bdenoise\b|\bcolou?ri[sz]e\b|"
     r"\bretouch\b|\bsharpen\b|\bbrighten\b|\badd (?:music|a soundtrack|effects|a filter)\b|"
     r"\bapply (?:a |an )?(?:filter|effect|lut)\b",
     "edit the picture or sound of a video (vidsense cuts clips and quotes videos; it does "
     "not edit them)"),
    (r"\btranslat\w*\b.*\b(?:speech|audio|voice)\b",
     "translate speech into audio (vidsense has no speech synthesizer)"),
]  # fmt: skip
"""Requests for something vidsense has no tool for, and what to say it cannot do. Where a
pattern captures the words between a verb and a medium, a preposition among them makes the
medium the one already there ("generate a summary *of this video*"), not one to make."""
_PREPOSITION = re.compile(r"\b(?:of|for|from|in|about|on|to|into|with|by|behind)\b")


def _lacks(low: str) -> str | None:
    """What vidsense has no tool for in a (lower-cased) prompt, in words, or None."""
    for pattern, why in _LACKS:
        for found in re.finditer(pattern, low):
            between = found.group(1) if found.groups() else None
            if between is None or not _PREPOSITION.search(between):
                return why
    return None


_NEEDS_MODEL: list[tuple[str, str]] = [
    (r"\btranslat\w*\b", "translate"),
    (r"\bcontinue (?:the|this|that) (?:story|text|narration|tale|book|reading)\b|\bsequel\b",
     "continue the story"),
    (r"\bwrite (?:me )?(?:a |an )?(?:poem|song|story|essay|script|joke|limerick|haiku|letter|"
     r"tweet|post)\b|\bmake up\b|\binvent\b|\bimagine\b|\bin the style of\b|\bin the same style\b",
     "write new text"),
    (r"\brewrite\b|\bparaphrase\b|\bin your own words\b", "rewrite it in other words"),
    (r"\b(?:tone|mood|sentiment|target audience|audience|emotions?|vibe)\b"
     r"(?! (?:of|in) the (?:song|music|soundtrack))",
     "judge the tone, mood or audience of a video"),
    (r"\b(?:rate|score|grade|review|critique)\b(?: (?:this|the))? (?:video|clip|film|footage)\b"
     r"|\b(?:how good|is it good|worth watching)\b",
     "judge how good a video is"),
]  # fmt: skip
"""Requests that only a language model can carry out: the extractive writer quotes."""


@dataclass(frozen=True)
class Request:
    """What a prompt asks for (see the module docstring)."""

    text: str
    form: Form = "prose"
    sentences: int | None = None
    words: int | None = None
    count: int | None = None
    focus: str | None = None
    items: Items = "sentences"
    topic: str | None = None
    """What a list or summary is about when the prompt names it ("steps for *pitching the
    tent*", "a *packing* checklist")."""
    lacks: str | None = None
    """What vidsense cannot do for this request (no tool for it), in words."""
    needs_model: str | None = None
    """What only a language model could do here ("translate"), in words."""
    wants: Wanted | None = None
    """What of the video's gist the prompt asks for: a title ("give this video a title"),
    hashtags, its topics ("what topics does it cover?"), its main topic ("what category
    does this video belong to?"), its highlights ("what are the key moments?"), or the
    colours of its picture ("what colours dominate?")."""
    timed: bool = False
    """Whether a list should say when each entry is ("with their times", "timestamps")."""

    @property
    def instruction(self) -> bool:
        """Whether the prompt says how to write (a length, a form or a focus), rather than
        only asking something."""
        return (
            self.form != "prose"
            or self.sentences is not None
            or self.words is not None
            or self.focus is not None
        )


_SHOWN_TITLE = (
    r"\b(?:on (?:the )?screen|shown|written|displayed|caption|slide|sign|card|book|song)\b"
)
_MAKE_TITLE = (
    r"\b(?:give|suggest|propose|write|create|come up with|think of|need|pick|choose|generate|"
    r"make|recommend|good|catchy|best|short|better|new)\b"
)
_VIDEO_TITLE = (
    r"\b(?:video|clip|film|movie|recording)(?:'s)? title\b"
    r"|\btitle (?:for|of) (?:this|the|my|that|our) (?:video|clip|film|movie|recording)\b|^title\b"
)


_GIST_PARTS = (
    r"\btitles?\b", r"\bsummar", r"\bdescri", r"\btopics?\b", r"\bhash ?tags?\b",
    r"\bchapters?\b", r"\bhighlights?\b", r"\bkey moments?\b", r"\bkeywords?\b",
)  # fmt: skip
"""What a prompt may ask to be written about a video; one naming several ("a title, a
summary, the topics and hashtags") asks for them all, not for one of them."""


def _several(low: str) -> bool:
    """Whether a (lower-cased) prompt asks for several parts of the gist at once."""
    return sum(1 for part in _GIST_PARTS if re.search(part, low)) > 1


_AS_HASHTAGS = re.compile(
    r"\b(?:as|into|in the form of) (?:\w+ )?hash ?tags?\b"
    r"|\bhash ?tags? (?:for|of|from) (?:the |its |each |every |all )?"
    r"(?:topics?|subjects?|themes?)\b"
)
"""Hashtags as the form of the topics ("list the topics as hashtags", "turn the topics into
hashtags"): one part of the gist, written as hashtags, not two parts."""


_COLOURS = re.compile(
    r"\b(?:dominant|main|predominant|primary|overall|prevailing|most common) colou?rs?\b"
    r"|\bcolou?r (?:palette|scheme)\b|\bcolou?rs? (?:dominates?|stand out)\b"
    r"|\bwhat colou?rs? (?:is|are|does|do|appear|are used|are shown|can be seen) (?:in )?"
    r"(?:this|the) (?:video|clip|footage|film|picture)\b"
)
"""A question about the colours of the picture as a whole ("what colours dominate?", "what
is the colour palette?"); not the colour of one thing ("what colour is the car?")."""


def _wanted(low: str) -> Wanted | None:
    """What of the gist a (lower-cased) prompt asks for, if any (see :attr:`Request.wants`)."""
    if _AS_HASHTAGS.search(low):
        return "hashtags"
    if _COLOURS.search(low):
        return "colours"
    if _several(low):
        return None
    if re.search(r"\bhash ?tags?\b", low):
        return "hashtags"
    if re.search(
        r"\bhighlights?\b(?! (?:the|that|how|why|what)\b)|\bkey moments?\b|\b(?:best|top|most "
        r"(?:important|interesting|exciting|memorable)) (?:\d+ )?(?:moments?|bits|scenes)\b",
        low,
    ):
        return "highlights"
    if re.search(
        r"\b(?:what|which) (?:category|genre|kind of (?:video|content)|type of (?:video|content))"
        r"\b|\bcategori[sz]e (?:this|the) video\b|\bclassify (?:this|the) (?:video|clip)\W*$",
        low,
    ):
        return "topic"
    titled = re.search(_MAKE_TITLE, low) or re.search(_VIDEO_TITLE, low)
    if re.search(r"\btitles?\b", low) and not re.search(_SHOWN_TITLE, low) and titled:
        return "title"
    if re.search(
        r"\b(?:what|which) (?:are |were )?(?:the )?(?:main |key )?(?:topics|subjects|themes)"
        r"(?: (?:are|were|does|do|did|is|it|this|covered|discussed)\b|\W*$)"
        r"|\b(?:topics|subjects|themes) (?:of|in|covered in) (?:this|the) (?:video|clip)\b",
        low,
    ):
        return "topics"
    if re.search(
        r"\bwhat(?:'s| is) (?:the|its) (?:main |key |central )?(?:topic|subject|theme)\W*$"
        r"|\bwhat(?:'s| is) the (?:main |key |central )?(?:topic|subject|theme) of (?:this|the) "
        r"(?:video|clip)\b",
        low,
    ):
        return "topic"
    return None


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS.get(word, 1)


@functools.lru_cache(maxsize=4096)
def read_request(text: str) -> Request:
    """The :class:`Request` ``text`` makes (a frozen value, so one parse serves every reader
    of the same prompt: the service, its focus and the writer)."""
    low = " ".join(text.lower().replace("-", " ").split())
    lacks = _lacks(low)
    if lacks is not None and re.search(r"\b(?:from|between)\s+\d", low):
        lacks = None  # "make a clip from 0:10 to 0:20" is a trim
    needs = next((what for pattern, what in _NEEDS_MODEL if re.search(pattern, low)), None)
    sentences = re.search(rf"\b(?:in|with|using)?\s*{_AT_MOST}{_COUNT} sentences?\b", low)
    words = re.search(rf"\b{_AT_MOST}{_COUNT} words?\b", low)
    form: Form = "prose"
    if "checklist" in low or "check list" in low or "to do list" in low:
        form = "checklist"
    elif re.search(r"\btable\b", low):
        form = "table"
    elif re.search(r"\bnumbered\b|\bstep by step\b|\bordered list\b|\bnumber them\b", low):
        form = "numbered"
    elif re.search(
        r"\bbullet|\bas a list\b|\blist (?:the|all|every|its|of)\b|\bin a list\b|^list\b", low
    ):
        form = "bullets"
    elif re.search(r"\b(?:give|list|show) (?:me )?(?:the )?(?:\w+ ){0,2}steps\b", low):
        form = "numbered"
    items: Items = "sentences"
    if re.search(r"\bshots?\b|\bscenes?\b|\bcuts\b", low):
        items = "shots"
    elif re.search(
        r"\b(?:topics?|chapters?|sections?|parts?|tips?|subjects?|themes?|slides?|segments?|"
        r"points?|ideas?|stories|times? each)\b",
        low,
    ):
        items = "parts"
    elif re.search(r"\bsteps?\b|\binstructions?\b|\bhow to\b|\bprocedure\b|\brecipe\b", low):
        items = "steps"
    timed = bool(
        re.search(
            r"\b(?:with|and|plus|including) (?:their |the |its )?(?:start )?(?:times?|"
            r"timestamps?|time ?codes?)\b|\btimestamps?\b|\btime ?codes?\b",
            low,
        )
    )
    if (
        re.search(
            r"\b(?:create|generate|make|give|write|split|divide|break|segment)\b.*\bchapters?\b"
            r"|\bchapters? (?:for|of) (?:this|the) (?:video|clip)\b|\b(?:key )?takeaways\b"
            r"|\b(?:key|main) points\b",
            low,
        )
        and form == "prose"
        and not sentences
        and not words
        and not _several(low)
    ):
        form, items = "bullets", "parts"  # "create chapters", "the key takeaways"
        timed = timed or "chapter" in low
    if timed and form == "prose" and not sentences and not words:
        form = "bullets"  # "describe what happens, with timestamps": a line per part
        items = "parts" if items == "sentences" else items
    if form == "table":
        items = "parts" if items == "sentences" else items
    count = re.search(
        rf"\b(?:the |top |first |main )?{_COUNT} (?:main |key |best |most important )?"
        r"(?:tips?|topics?|points?|steps?|items?|bullets?|bullet points?|things?|ideas?|"
        r"chapters?|parts?|sections?|reasons?|facts?|lines?|rows?)\b",
        low,
    )
    focus = re.search(
        r"\b(?:only|just|solely|exclusively)\s+(?:tell me |talk |speak |write |say )?"
        r"(?:about|on|regarding|the part about|the parts about)\s+(.+)"
        r"|\bfocus(?:ing|ed)?\s+(?:only\s+)?on\s+(.+)"
        r"|\bnothing but\s+(.+)",
        low,
    )
    about = None
    if focus:
        about = next(g for g in focus.groups() if g).strip(" .?!")
    named = re.search(
        r"\b(?:steps|checklist|list|table|summary|tips|overview|instructions) "
        r"(?:for|of|about|on) (?!(?:the |a |an )?(?:times?|main|topics?|tips?|chapters?|parts?|"
        r"shots?|video|this|it)\b)(?:the |a |an )?(.+)"
        r"|\b(?!a\b|an\b|the\b|me\b|numbered\b|main\b)(\w+) (?:checklist|steps)\b",
        low,
    )
    topic = next(g for g in named.groups() if g).strip(" .?!") if named else None
    return Request(
        text,
        form,
        _number(sentences.group(1)) if sentences else None,
        _number(words.group(1)) if words and not sentences else None,
        _number(count.group(1)) if count and count.group(1) not in ("a", "an") else None,
        about or None,
        items,
        topic,
        lacks,
        needs,
        _wanted(low),
        timed,
    )


def cannot(request: Request) -> str | None:
    """What to answer a request vidsense has no tool for, or None."""
    if request.lacks is None:
        return None
    return f"I can't do that here: vidsense cannot {request.lacks}."


MAX_QUESTIONS = 5
"""Most questions one prompt is split into (a longer list is answered as one prompt)."""
_ASKS = r"(?:what|how|who|whom|whose|where|when|which|why)\b"
_NEXT_QUESTION = re.compile(
    rf"\s*,\s*(?:and\s+|or\s+)?(?={_ASKS})|\s+(?:and|or)\s+(?={_ASKS})", re.I
)


_REQUEST_VERBS = (
    r"(?:give|list|write|make|summari[sz]e|describe|tell|name|suggest|create|generate|count|"
    r"provide|outline|explain)\b"
)
_NEXT_REQUEST = re.compile(rf"\s*,?\s+(?:and|then|and then)\s+(?={_REQUEST_VERBS})", re.I)


_SUMMARY_VERB = re.compile(r"(?:please\s+)?(?:summari[sz]e|describe|recap)\b", re.I)


def is_request(text: str) -> bool:
    """Whether ``text`` asks the writer for something it knows how to write: a summary
    ("summarize this video"), a part of the gist (a title, hashtags), or something in a form,
    a length or about a focus (:meth:`Request.instruction`)."""
    asked = read_request(text)
    return bool(asked.wants or asked.instruction or _SUMMARY_VERB.match(text.strip()))


def request_parts(text: str) -> list[str]:
    """The requests one prompt makes in a row, each as its own ("Give this video a title and
    list its chapters with times" is two), or the prompt alone. A request starts with one of
    :data:`_REQUEST_VERBS` (after "and" or "then"), and each must ask for something the
    writer knows (a part of the gist, a form, a length or a focus: "describe the setting and
    the people" stays one)."""
    stripped = text.strip().rstrip(".!")
    if "\n" in stripped or not re.match(rf"(?:please\s+)?{_REQUEST_VERBS}", stripped, re.I):
        return [text]
    parts = [p.strip(" ,") for p in _NEXT_REQUEST.split(stripped)]
    if not 2 <= len(parts) <= MAX_QUESTIONS:
        return [text]
    if any(len(p.split()) < 2 or not is_request(p) for p in parts):
        return [text]
    return [f"{p[0].upper()}{p[1:]}." for p in parts]


def question_parts(text: str) -> list[str]:
    """The questions one prompt asks in a row, each as its own ("What is shown, what is said,
    and how long is it?" is three), or the requests it makes (:func:`request_parts`), or the
    prompt alone. A question starts at a question word after a comma or "and"/"or"; every
    part must be a question of two words or more ("where and when was it built?" stays one),
    and the prompt one sentence with no instruction on how to write (a length, a form or a
    focus applies to the whole) and no time or number (a later part may point back at it:
    "what happens at 0:10 and what is said there?")."""
    stripped = text.strip()
    requests = request_parts(stripped)
    if len(requests) > 1:
        return requests
    if (
        re.search(r"[.!?;]\s+\S|\d", stripped)
        or "\n" in stripped
        or read_request(stripped).instruction
        or not re.match(_ASKS, stripped, re.I)
    ):
        return [text]
    parts = [p.strip(" ,?") for p in _NEXT_QUESTION.split(stripped)]
    if not 2 <= len(parts) <= MAX_QUESTIONS or any(len(p.split()) < 2 for p in parts):
        return [text]
    return [f"{p[0].upper()}{p[1:]}?" for p in parts]


__all__ = [
    "Form",
    "Items",
    "Request",
    "Wanted",
    "cannot",
    "is_request",
    "question_parts",
    "read_request",
    "request_parts",
]
