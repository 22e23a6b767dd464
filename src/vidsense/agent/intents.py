"""What a chat request asks for, read from the whole request by a small scored intent reader.

A request is cut into clauses (sentences, and joins such as ``", and trim ..."`` or
``" and return ..."`` before an imperative verb); context the user pasted inside tags
(``<summary>...</summary>``) is not read. Each clause is described by explicit features:

- imperative verbs and their objects (frames, clips, trims, highlights, chapters, transcript,
  captions, summaries, a new video, reels, subtitles, reframing, ...);
- question words (a question about the content goes to the writer, not to a keyword tool);
- time expressions, read by :func:`vidsense.times.find_times` (the one time parser:
  ``00:05``, ``1:02:03.5``, ``12 s``, ``2 min 30 s``, ``5, 15 and 25 seconds``, ranges,
  ``every 10 seconds``, ``the first/last 10 seconds``, ``a 20 second reel``);
- numbers (``the 3 best moments``, ``five frames``).

Every intent sums the weights of the features it sees (:data:`FEATURES`); some need a
parameter to be possible at all (a trim needs a span or a subject to cut around). A clause's
best intent wins when it scores at least :data:`THRESHOLD`; another intent of the same clause
is kept too when it scores at least :data:`ALSO` (``"a summary and the chapters"``). A clause
that only says how to deliver (``"return the frame URLs with timestamps"``) adds nothing, and a
clause that repeats an earlier intent without new parameters is dropped. When nothing scores,
a question is a question for the writer (``answer``) and anything else an instruction to it
(``summary``).

Times are float seconds; ``math.inf`` stands for the end of the video and a negative time for
that many seconds before the end (``"the last 5 seconds"`` is ``-5`` to ``inf``), resolved
where the video's duration is known.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from vidsense.language.requests import is_request
from vidsense.times import NUMBER_WORDS, TimeMention, find_times

IntentName = Literal[
    "frames",
    "trim",
    "highlights",
    "chapters",
    "transcript",
    "shots",
    "metadata",
    "summary",
    "search",
    "answer",
    "generate",
    "edit",
    "unsupported",
]
INTENTS: tuple[IntentName, ...] = get_args(IntentName)
THRESHOLD = 2.0
"""Least score at which a clause's best intent is taken."""
ALSO = 3.0
"""Least score at which a second intent of the same clause is taken too."""

# -- numbers -----------------------------------------------------------------------------------

_COUNT_WORDS = {
    **NUMBER_WORDS,
    "a": 1,
    "an": 1,
    "a couple of": 2,
    "a few": 3,
    "several": 4,
    "some": 3,
}


def count_before(text: str, nouns: str) -> int | None:
    """The count written just before one of ``nouns`` (a regex): "the 3 best moments",
    "top five highlights", "a frame", "two most important moments"; ``None`` when none is."""
    words = "|".join(re.escape(w) for w in sorted(_COUNT_WORDS, key=len, reverse=True))
    found = re.search(
        rf"(?<![\w:.])(\d+|{words})\s+(?:(?!and\b)[\w/-]+\s+){{0,4}}?(?:{nouns})", text
    )
    if found is None:
        return None
    word = found.group(1)
    return int(word) if word.isdigit() else _COUNT_WORDS[word]


# -- features ----------------------------------------------------------------------------------

FRAME = (
    r"frames?|stills?|screenshots?|screen ?grabs?|screen ?caps?|snapshots?|thumbnails?|"
    r"key ?frames?|images?|pictures?|photos?|jpe?gs?|pngs?"
)
CLIP = r"clips?|segments?|excerpts?|snippets?|portions?|parts?|bits?|pieces?|section"
CUT = r"trim|cut|clip|snip|slice|excerpt|extract|save|keep|isolate|export"
HIGHLIGHT = (
    r"highlights?|best (?:\w+ )?(?:moments?|parts?|bits?|scenes?|clips?|shots?|sections?)|"
    r"key moments?|top (?:\d+ |\w+ )?(?:moments?|parts?|bits?|scenes?|clips?)|"
    r"most \w+ (?:moments?|parts?|bits?|scenes?|clips?|sections?)|standout|memorable|hooks?"
)
VIDEO = r"videos?|clips?|animations?|movies?|films?|footage|shorts?|cinematic"
LANGUAGE = (
    r"spanish|french|german|italian|portuguese|chinese|mandarin|japanese|korean|arabic|hindi|"
    r"russian|dutch|polish|turkish|swedish"
)
QUESTION = (
    r"^(?:what|when|where|who|whom|whose|why|how|which|is|are|was|were|does|do|did|can|could|"
    r"will|would|should|has|have|had)\b"
)
DELIVERY = (
    r"^(?:and\s+)?(?:return|give|send|provide|output|include|display|show|list|share|format|"
    r"respond|reply|answer)\b.*\b(?:urls?|links?|json|timestamps?|presigned|pre-signed|"
    r"results?|them|it|ids?)\b"
)

Weights = dict[IntentName, float]
FEATURES: list[tuple[str, str, Weights]] = [
    # (name, pattern on the clause, weights); patterns see a lower-case clause
    # frames
    ("frame noun", rf"\b(?:{FRAME})\b", {"frames": 2.5}),
    ("screenshot verb", r"^(?:screenshot|snapshot|capture|grab|sample)\b", {"frames": 1.0}),
    (
        "on screen at a time",
        r"what(?:'s| is| was)? (?:on (?:the )?screen|shown|visible|displayed|on display)|"
        r"what (?:do|can|did) (?:we|you|i) see",
        {"frames": 1.0, "answer": 0.5},
    ),
    ("frame per chapter", r"\b(?:each|every|per) (?:\d+ |\w+ )?chapters?\b", {"frames": 0.5}),
    (
        "seen at a time",
        r"\b(?:on (?:the )?screen|shown|visible|displayed|see|showing)\b.*\bat (?:\d|the \d)",
        {"frames": 3.0},
    ),
    # trims
    ("cut verb", rf"^(?:{CUT})\b", {"trim": 2.0}),
    ("clip noun", rf"\b(?:{CLIP})\b", {"trim": 1.0}),
    ("just a span", r"\b(?:just|only)\b.*\b(?:first|last|between|from)\b", {"trim": 2.0}),
    (
        "drop a side",
        r"^(?:drop|remove|delete|cut)\b.*\b(?:after|before|first|last)\b",
        {"trim": 2.5},
    ),
    # highlights
    ("highlight noun", rf"\b(?:{HIGHLIGHT})\b", {"highlights": 3.5, "trim": -1.0}),
    (
        "interesting",
        r"\b(?:interesting|exciting|important|emotional|funniest|funny)\b",
        {"highlights": 0.5},
    ),
    # chapters
    (
        "chapter noun",
        r"\bchapters?\b|\bchapteri[sz]e\b|table of contents|\bsections\b|start times|"
        r"\btopics?\b.*\b(?:when|start|begin|timestamps?)\b",
        {"chapters": 3.5},
    ),
    ("chapter frames", rf"\b(?:{FRAME})\b.*\bchapters?\b", {"chapters": -3.0, "frames": 1.0}),
    # transcript
    (
        "transcript noun",
        r"\btranscri(?:pt|pts|be|bed|ption)\b|\bword for word\b|\bverbatim\b|"
        r"\beverything (?:that )?(?:is |was )?(?:\w+ )?(?:said|say|says)\b|"
        r"^(?:type|write) (?:out|down)\b.*\bsay",
        {"transcript": 3.5},
    ),
    (
        "captions noun",
        r"\b(?:subtitles|captions|closed captions|dialogue|lyrics)\b",
        {"transcript": 2.5},
    ),
    (
        "what is said",
        r"^what (?:is|was|gets|'s) (?:being )?(?:said|spoken|narrated)\b"
        r"(?! about| regarding| on\b)",
        {"transcript": 3.0, "answer": -1.0},
    ),
    (
        "said about",
        r"\b(?:said|say|says|mentioned|mention|discussed|stated|explained|told|talk|talks)\b"
        r" (?:\w+ )?(?:about|regarding|concerning|on the subject of)\b",
        {"answer": 2.0, "transcript": -3.0},
    ),
    # shots
    (
        "shot noun",
        r"\bshots\b|\bscene (?:changes?|cuts?|boundaries|transitions?|detection)\b|"
        r"\bcamera cuts?\b|\b(?:hard )?cuts\b|\bshot (?:changes?|boundaries|list)\b",
        {"shots": 3.5},
    ),
    # metadata
    (
        "metadata noun",
        r"\b(?:duration|runtime|run time|resolution|frame ?rate|fps|dimensions|aspect ratio|"
        r"bit ?rate|codec|file size|video quality|quality|hd|video length|length of (?:the|this) "
        r"(?:video|clip))\b",
        {"metadata": 3.0},
    ),
    (
        "how long is the video",
        r"\bhow many (?:seconds|minutes|frames)(?: long)? (?:is|was|does|are)\b|"
        r"\bhow (?:long|many (?:seconds|minutes))\b (?:is|was|are)\b(?: (?:it|this|that|the|this)"
        r"(?: (?:video|clip|recording|footage|file|movie|film|one))?)?(?: (?:long|in)\b|\W*$|,)",
        {"metadata": 3.5},
    ),
    (
        "duration of something else",
        r"\b(?:duration|length) of (?!(?:the |this |that )?(?:video|clip|recording|footage|file))",
        {"metadata": -3.0},
    ),
    # summaries and writing
    (
        "summary verb",
        r"^(?:summari[sz]e|describe|recap|outline|explain|analy[sz]e|review|caption|write|draft|"
        r"compose|parse|paraphrase|condense|break ?down)\b",
        {"summary": 2.5},
    ),
    ("list verb", r"^list\b", {"summary": 1.0}),
    ("caption verb", r"^caption\b", {"summary": 1.0}),
    (
        "summary noun",
        r"\b(?:summary|summaries|overview|descriptions?|synopsis|recap|gist|tl;?dr|rundown|"
        r"key points|main points|(?:key )?takeaways|bullet points?|bullets|checklist|steps|"
        r"title|blog post|tweet|paragraph)\b",
        {"summary": 3.0},
    ),
    (
        "what is it about",
        r"\bwhat(?:'s| is| was)? (?:this|the|it)(?: \w+)? about\b|\bwhat happens\b(?! (?:at|after|"
        r"before|when|in)\b)|\bwhat(?:'s| is) going on\b|\btell me about (?:this|the|it)\b"
        r"(?: (?:video|clip))?\s*$",
        {"summary": 3.0},
    ),
    (
        "summary of each chapter",
        r"\b(?:summary|summaries|description) (?:for|of) (?:each|every) (?:chapter|section|scene)",
        {"summary": -3.0},
    ),
    # moments found by what happens in them
    (
        "find verb",
        r"^(?:find|search|locate|look for|spot|jump to|go to|seek|pinpoint)\b|"
        r"^show me (?:where|when)\b",
        {"search": 3.0},
    ),
    (
        "where in the video",
        r"\bwhere in the (?:video|clip)\b|\bat what (?:point|time|moment|timestamp)\b|"
        r"\bwhen (?:in the (?:video|clip) )?(?:do|does|did|is|are)\b.*\b(?:talk|mention|discuss|"
        r"speak|appear|shown|show|say)",
        {"search": 5.0},
    ),
    (
        "every time",
        r"\b(?:timestamps?|times|moments?|points?) (?:for |of )?(?:when|where)\b|\bevery time\b|"
        r"\beach time\b|\bwhenever\b|\ball the (?:times|moments|places) (?:when|where)\b|"
        r"\bevery (?:quote|mention|instance|reference|occurrence)\b|"
        r"\ball (?:the )?(?:quotes|mentions|instances|references|occurrences)\b",
        {"search": 3.5},
    ),
    # questions
    ("question word", QUESTION, {"answer": 1.5}),
    (
        "is there",
        r"^(?:is|are|was|were) there\b|^(?:does|do|did) (?:it|the video|this video|the clip|this) "
        r"(?:have|contain|show|include|mention)\b",
        {"answer": 2.0},
    ),
    ("question mark", r"\?\s*$", {"answer": 1.0}),
    (
        # "what colour do indoor *photos* turn ...?": pictures named after the auxiliary are
        # what a question is about, not what it asks for ("which photos show ...?" is)
        "pictures in a question",
        rf"^(?:what|which|why|how|when|where|who)(?: \w+)? (?:do|does|did|is|are|was|were|"
        rf"should|must|will|would|can|could|has|have|had)\b.*\b(?:{FRAME})\b",
        {"answer": 1.0},
    ),
    ("tell me about", r"^tell me (?:about|what|how|why|when|who)\b", {"answer": 2.0}),
    # generation
    (
        "make a video",
        rf"^(?:generate|create|make|produce|render|film|shoot|craft|build|compose|design)\b"
        rf"(?:(?!\b(?:this|the|it|these|that)\b).)*\b(?:{VIDEO})\b",
        {"generate": 2.5},
    ),
    (
        "new content",
        rf"\b(?:{VIDEO}|effect)\b (?:of|showing|where|in which|about|with) "
        r"(?:an?|some|two|three)\b|"
        r"\bvideo effect\b",
        {"generate": 1.0},
    ),
    (
        "animate",
        r"\banimate\b|\banimation\b|\bbring (?:this|the|it|these)\b.*\bto life\b|"
        r"\b(?:turn|make) (?:this|the|these) (?:image|photo|picture|logo|drawing|still|pic)s?\b.*"
        r"\binto\b|\btext[- ]to[- ]video\b|\bimage[- ]to[- ]video\b|\bof this (?:logo|image|photo|"
        r"picture|invoice|drawing|product)\b",
        {"generate": 3.5, "frames": -2.0},
    ),
    (
        "generate alone",
        r"^(?:generate|create|make) (?:a |an )?(?:new )?(?:short )?video\W*$",
        {"generate": 1.0},
    ),
    (
        "of this video",
        r"\b(?:of|from|in) (?:this|the|that|my|our) (?:video|clip|recording)\b",
        {"generate": -2.0},
    ),
    # edits
    (
        "reel",
        r"\b(?:reel|montage|supercut|compilation|trailer|teaser|sizzle)\b",
        {"edit": 4.0, "highlights": -1.5, "generate": -2.0},
    ),
    (
        "subtitles burned in",
        r"\b(?:add|burn|burnt|burned|put|overlay|embed|hardcode|hard-code|hard code|include|with)\b"
        r".*\b(?:subtitles|subtitle|captions|caption)\b|\bcaptioned\b|\bsubtitled\b",
        {"edit": 3.5, "transcript": -2.5, "summary": -2.5},
    ),
    (
        "text on screen",
        r"^(?:add|put|place|overlay|insert|stamp)\b.*\b(?:text|title|logo|watermark|caption|"
        r"lower third|overlay|banner|label)\b",
        {"edit": 2.5},
    ),
    ("watermark", r"\bwatermark\b|\blogo\b.*\bcorner\b", {"edit": 3.0}),
    (
        "reframe",
        r"\b(?:vertical|portrait|landscape|square|9:16|16:9|1:1|4:5|tiktok|instagram|reels|"
        r"shorts|for (?:a )?(?:phone|mobile))\b",
        {"edit": 2.5, "generate": 0.5},
    ),
    (
        "reframe this",
        r"^(?:make|turn|convert|reframe|crop|resize|export|change) (?:it|this|the video|this video|"
        r"the clip|in)\b(?! (?:image|photo|picture|logo|drawing|still|pic)s?\b)",
        {"edit": 2.0, "generate": -2.0},
    ),
    (
        "speed",
        r"\bspeed (?:\w+ )?up\b|\bslow (?:\w+ )?down\b|\bslow[- ]?mo(?:tion)?\b|\b\d+(?:\.\d+)?x\b|"
        r"\btime-?lapse\b|\b(?:faster|slower)\b|\bplayback speed\b",
        {"edit": 3.5},
    ),
    ("gif", r"\b(?:gifs?|webp)\b", {"edit": 4.0, "frames": -2.0}),
    (
        "join",
        r"\b(?:join|concatenate|stitch|merge|combine|splice|append)\b.*\b(?:videos?|clips?|together)"
        r"\b",
        {"edit": 3.5},
    ),
    (
        "target length",
        r"\b(?:cut|trim|shorten|condense|edit|bring)\b (?:\w+ )?down to\b|"
        r"\b(?:shorten|condense|reduce)\b(?: (?:it|this|the video|this video|the clip|the talk))?"
        r" to (?:\d|an? |one |under )|^make (?:it|this)\b.*"
        r"\blong\b|\bshorter version\b|\bboring (?:parts|bits)\b|\bdead air\b|\bsilences\b",
        {"edit": 3.5, "trim": -1.0},
    ),
    (
        "aspect ratios",
        r"^(?:export|render|convert)\b.*\baspect ratios?\b",
        {"edit": 3.0, "metadata": -3.0},
    ),
    # what vidsense has no tool for
    (
        "translate",
        rf"\btranslat\w*|\bdub(?:bing|bed|s)?\b|\b(?:{LANGUAGE}) (?:captions|subtitles|audio|"
        rf"voice|version|dub|narration|translation)\b|\binto (?:{LANGUAGE})\b",
        {"unsupported": 5.0},
    ),
    (
        "remove things",
        r"\b(?:remove|erase|delete|get rid of|take out|cut out)\b (?:all )?(?:the |any )?(?:\w+ )?"
        r"(?:background|person|people|man|woman|object|objects|watermark|text|ums?|uhs?|ahs?|"
        r"filler|noise|music|voice|car|dog|cat|logo|subtitles|captions|stutters?)\b|\binpaint",
        {"unsupported": 5.0},
    ),
    (
        "enhance",
        r"\b(?:colou?ri[sz]e|upscale|super[- ]?resolution|enhance|sharpen|denoise|stabili[sz]e|"
        r"deblur|restore|de-?noise|interpolate|4k)\b",
        {"unsupported": 5.0},
    ),
    (
        "change voices and faces",
        r"\b(?:change|swap|replace|clone|alter|modify)\b (?:the )?(?:\w+'s |\w+ )?(?:voice|voices|"
        r"face|faces|music|background|soundtrack|audio|sky)\b|\bface ?swap|\bdeepfake|"
        r"\blip[- ]?sync|\bvoice[- ]?over\b|\bblur (?:the |all |out )?(?:\w+ )?(?:faces?|plates?|"
        r"background|logos?)\b",
        {"unsupported": 5.0},
    ),
    (
        "a still image",
        r"^(?:generate|create|make|draw|paint|design)\b (?:me )?(?:an? |the )?(?:\w+ )?(?:image|"
        r"picture|photo|drawing|painting|illustration|poster|icon)s?\b(?! (?:into|to))",
        {"unsupported": 5.0},
    ),
    (
        "audio out",
        r"\b(?:extract|pull|export|rip|save|give me|download)\b (?:out )?(?:just )?(?:the )?"
        r"(?:audio|soundtrack|sound track|mp3|wav|sound)\b",
        {"unsupported": 5.0},
    ),
    (
        "adjust an earlier clip",
        r"\bback it up\b|\b(?:that|the previous|the last|this) clip\b.*\b(?:starts|ends|late|early|"
        r"longer|shorter)\b|\bextend (?:that|the|this) clip\b",
        {"unsupported": 5.0},
    ),
]
"""The features, with their weights per intent."""

_COMPILED = [(name, re.compile(pattern), weights) for name, pattern, weights in FEATURES]
_POLITE = re.compile(
    r"^(?:(?:ok(?:ay)?|hey|hi|hello|so|now|also|and|then|next|finally|lastly|please|kindly|"
    r"just|pls|plz)[,!]?\s+)*(?:(?:can|could|would|will) (?:you|u)(?: please)?\s+|"
    r"(?:i(?:'d| would) like(?: you)? to\s+|i(?:'d| would) like\s+|i want(?: you)? to\s+|i want\s+|"
    r"i need(?: you)? to\s+|i need\s+|help me\s+|let's\s+|let us\s+|can i (?:get|have|see)\s+|"
    r"may i (?:get|have|see)\s+|please\s+))*"
)
_VERBS = (
    r"take|grab|sample|capture|extract|pull|trim|cut|clip|snip|make|create|generate|render|"
    r"produce|give|show|return|provide|send|list|summari[sz]e|describe|find|search|locate|"
    r"transcribe|add|burn|convert|translate|tell|explain|export|save|put|crop|speed|slow|"
    r"output|include|write"
)
_MADE = (
    r"frames?|stills?|screenshots?|snapshots?|thumbnails?|clips?|gifs?|reels?|montages?|"
    r"trims?|cuts?"
)
"""Nouns of the files a request may ask for ("a frame", "two clips")."""
_SPLIT = re.compile(
    rf"(?:,\s*(?:and\s+)?(?:then\s+)?|\s+and\s+(?:then\s+)?(?:also\s+)?|\s+then\s+)(?=(?:{_VERBS})\b)"
    # "take a frame at 0:20 and a clip from 0:10 to 0:15": the verb serves both
    rf"|(?:,\s*and|\s+and|,)\s+(?=(?:a|an|the|one|two|three|four|five|\d+)\s+(?:\w+\s+)?"
    rf"(?:{_MADE})\b)"
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+|;\s*(?!dr\b)")
_CONTEXT = re.compile(r"<(\w+)[^>]*>.*?</\1>|```.*?```", re.S)


def normalise(text: str) -> str:
    """``text`` as the reader sees it: lower case, context blocks removed, one kind of dash and
    quote, slashes between words read as "or"."""
    text = _CONTEXT.sub(" ", text)
    text = text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"(?<=[a-z])/(?=[a-z])", " or ", text.lower())
    return re.sub(r"[ \t]+", " ", text).strip()


def clauses(text: str) -> list[str]:
    """The clauses of a normalised request, each with its polite opening removed."""
    out: list[str] = []
    for sentence in _SENTENCES.split(text):
        for part in _SPLIT.split(sentence):
            part = _POLITE.sub("", part.strip(" \t,.")).strip(" \t,.")
            if part:
                out.append(part)
    return out


TIME_FEATURES: dict[str, Weights] = {
    "time span": {"trim": 1.5, "generate": -3.0},
    "time interval": {"frames": 1.5},
}
"""Weights of the time expressions a clause holds: a span (a range, the first or last N
seconds) and an interval ("every 10 seconds")."""


def score(
    clause: str, times: list[TimeMention] | None = None
) -> tuple[dict[IntentName, float], list[str], dict[IntentName, int]]:
    """Every intent's score for one clause, the names of the features that fired, and where
    in the clause each intent's first feature sits (to keep the order asked)."""
    times = find_times(clause) if times is None else times
    totals: dict[IntentName, float] = dict.fromkeys(INTENTS, 0.0)
    where: dict[IntentName, int] = dict.fromkeys(INTENTS, len(clause))
    fired: list[str] = []
    kinds = {m.kind for m in times}
    matches: list[tuple[str, int, Weights]] = []
    for name, pattern, weights in _COMPILED:
        found = pattern.search(clause)
        if found:
            matches.append((name, found.start(), weights))
    if kinds & {"range", "first", "last"}:
        matches.append(("time span", 0, TIME_FEATURES["time span"]))
    if "interval" in kinds:
        matches.append(("time interval", 0, TIME_FEATURES["time interval"]))
    for name, at, weights in matches:
        fired.append(name)
        for intent, weight in weights.items():
            totals[intent] += weight
            if weight > 0:
                where[intent] = min(where[intent], at)
    return totals, fired, where


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intent:
    """One thing a request asks for: its ``name``, the ``score`` it won with, what it needs
    (``args``) and the ``clause`` it was read from."""

    name: IntentName
    score: float
    args: dict[str, Any] = field(default_factory=dict)
    clause: str = ""


LISTINGS = frozenset({"summary", "chapters", "transcript", "shots", "metadata"})
"""Intents one clause may ask for together ("a summary and the chapters")."""
ARTIFACTS = frozenset({"frames", "trim", "highlights", "generate", "edit"})
"""Intents whose answer is a file (frames, clips, new videos)."""

_NUMBER_WORDS = "|".join(sorted(_COUNT_WORDS, key=len, reverse=True))
_FIRST_FRAME = re.compile(rf"\b(?:first|opening|initial|start(?:ing)?) (?:{FRAME})\b")
_LAST_FRAME = re.compile(rf"\b(?:last|final|closing|ending|end) (?:{FRAME})\b")
_CHAPTER_STEP = re.compile(
    rf"\b(?:each|every|per|from each|from every) (?:(\d+|{_NUMBER_WORDS})(?:st|nd|rd|th)? )?"
    r"chapters?\b|\bchapter (?:starts?|beginnings?)\b|\bstart of (?:each|every) chapter\b"
)
_SINGLE_MOMENT = re.compile(
    r"\bthe (?:single )?(?:best|most \w+|top|key) (?:moment|part|bit|scene|clip|section)\b(?!s)"
)
_ABOUT = re.compile(
    r"\b(?:where|when|in which|about|that (?:talks?|mentions?|shows?|covers?)|showing|with)\b\s+"
    r"(?:(?:they|he|she|we|you|people|someone|the speaker|the narrator) )?(?:(?:talks?|speaks?|"
    r"mentions?|discuss(?:es)?|says?|shows?|explains?|covers?) )?(?:about )?(.+)"
)
_FIND_LEAD = re.compile(
    r"^(?:find|search(?: for)?|locate|look for|spot|jump to|go to|seek|pinpoint|show me)\s+"
    r"(?:me\s+)?(?:the\s+|all\s+|every\s+|any\s+)?(?:exact\s+)?(?:(?:moments?|parts?|places?|"
    r"times?|points?|spots?|segments?|scenes?|bits?|mentions?|sections?|clips?)\s+)?"
    r"(?:of\s+|where\s+|when\s+|in which\s+|that\s+|about\s+)?(?:(?:they|he|she|we|you|people|"
    r"someone|it)\s+)?(?:(?:talk|talks|speak|speaks|mention|mentions|discuss|discusses|say|says|"
    r"show|shows|is shown|are shown|appears?)\s+)?(?:about\s+)?"
)
_WHERE_LEAD = re.compile(
    r"^.*?\b(?:where in the (?:video|clip)|at what (?:point|time|moment|timestamp)|when)\b\s*"
    r"(?:(?:in the (?:video|clip) )?(?:do|does|did|is|are|was|were)\s+)?(?:(?:they|he|she|we|"
    r"you|people|someone|it|the speaker|the narrator)\s+)?(?:(?:talk|speak|mention|discuss|say|"
    r"show|appear)s?\s+)?(?:about\s+)?"
)
_SIZE = re.compile(r"\b(\d{3,4})\s*x\s*(\d{3,4})\b")
_FACTOR = re.compile(r"\b(\d+(?:\.\d+)?)\s*x\b|\b(?:by )?(half|double|twice|triple)\b")


def _frames_args(clause: str, times: list[TimeMention]) -> dict[str, Any]:
    points = [m.values[0] for m in times if m.kind == "point"]
    every = next((m.values[0] for m in times if m.kind == "interval"), None)
    span = next((m.values for m in times if m.kind == "range"), None)
    if _FIRST_FRAME.search(clause):
        points.insert(0, 0.0)
    if _LAST_FRAME.search(clause):
        points.append(math.inf)
    if every is not None:
        out: dict[str, Any] = {"every": every}
        if span is not None:
            out["start"], out["end"] = span
        return out
    if span is not None and not points:
        points = list(span)
    if points:
        return {"times": points}
    step = _CHAPTER_STEP.search(clause)
    if step is not None:
        word = step.group(1)
        n = 1 if word is None else int(word) if word.isdigit() else _COUNT_WORDS[word]
        return {"chapters": max(1, n)}
    count = count_before(clause, rf"(?:\w+ )?(?:{FRAME})\b")
    if count is not None:
        return {"count": count}
    return {"chapters": 1}


def _trim_args(clause: str, times: list[TimeMention], fired: list[str]) -> dict[str, Any] | None:
    if not {"cut verb", "clip noun", "just a span", "drop a side"} & set(fired):
        return None
    span = next((m for m in times if m.kind in ("range", "first", "last")), None)
    point = next((m.values[0] for m in times if m.kind == "point"), None)
    if re.match(r"^(?:drop|remove|delete|cut)\b", clause):
        if point is not None and re.search(r"\bafter\b", clause):
            return {"start": 0.0, "end": point}
        if point is not None and re.search(r"\bbefore\b", clause):
            return {"start": point, "end": math.inf}
        if span is not None and span.kind == "first":
            return {"start": span.values[0], "end": math.inf}
        if span is not None and span.kind == "last":
            return {"start": 0.0, "end": -span.values[0]}
    if span is not None:
        if span.kind == "first":
            return {"start": 0.0, "end": span.values[0]}
        if span.kind == "last":
            return {"start": -span.values[0], "end": math.inf}
        return {"start": span.values[0], "end": span.values[1]}
    about = _ABOUT.search(clause)
    if about is not None and not times:
        query = about.group(1).strip(" ?.!")
        if query and query not in ("it", "this", "them", "timestamps"):
            return {"query": query}
    return None


def _highlight_args(clause: str) -> dict[str, Any]:
    if _SINGLE_MOMENT.search(clause) and count_before(clause, HIGHLIGHT) is None:
        return {"count": 1}
    nouns = rf"(?:{HIGHLIGHT}|moments?|clips?|parts?|bits?|scenes?)\b"
    count = count_before(clause, nouns)
    return {"count": max(1, min(count or 3, 20))}


def _query(clause: str) -> str:
    text = _FIND_LEAD.sub("", clause)
    if text == clause:
        text = _WHERE_LEAD.sub("", clause)
    return text.strip(" ?.!") or clause.strip(" ?.!")


def _edit_args(clause: str, times: list[TimeMention], fired: list[str]) -> dict[str, Any]:
    names = set(fired)
    args: dict[str, Any] = {}
    length = next((m.values[0] for m in times if m.kind == "duration"), None)
    if length is None and "target length" in names:  # "shorten the video to 45 seconds"
        length = next((m.values[0] for m in times if m.kind == "point"), None)
    span = next((m.values for m in times if m.kind == "range"), None)
    edge = next((m for m in times if m.kind in ("first", "last")), None)
    if span is None and edge is not None:
        n = edge.values[0]
        span = (0.0, n) if edge.kind == "first" else (-n, math.inf)
    if "gif" in names:
        args["kind"] = "gif"
    elif "join" in names:
        args["kind"] = "concat"
    elif "speed" in names:
        args["kind"] = "speed"
        found = _FACTOR.search(clause)
        factor = 2.0
        if found is not None and found.group(1):
            factor = float(found.group(1))
        elif found is not None:
            factor = {"half": 0.5, "double": 2.0, "twice": 2.0, "triple": 3.0}[found.group(2)]
        if re.search(r"\bslow", clause) and factor > 1:
            factor = 1 / factor
        args["factor"] = factor
    elif {"reel", "target length"} & names:
        args["kind"] = "reel"
    elif "watermark" in names or re.search(r"\blogo\b", clause):
        args["kind"] = "watermark"
    elif "reframe" in names or "aspect ratios" in names:
        args["kind"] = "reframe"
    elif "subtitles burned in" in names:
        args["kind"] = "subtitles"
    else:
        args["kind"] = "overlay"
    if args["kind"] != "subtitles" and "subtitles burned in" in names:
        args["subtitles"] = True
    if "reframe" in names or args["kind"] == "reframe":
        args["aspect"] = _aspect(clause)
    if length is not None:
        args["seconds"] = length
    if span is not None:
        args["start"], args["end"] = span
    return args


def _aspect(clause: str) -> str:
    if re.search(r"\b(?:square|1:1)\b", clause):
        return "1:1"
    if re.search(r"\b4:5\b", clause):
        return "4:5"
    if re.search(r"\b(?:landscape|16:9|horizontal)\b", clause):
        return "16:9"
    return "9:16"


def _generate_args(clause: str, times: list[TimeMention]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    length = next((m.values[0] for m in times if m.kind in ("duration", "point")), None)
    if length is not None:
        args["seconds"] = length
    size = _SIZE.search(clause)
    if size is not None:
        args["size"] = f"{size.group(1)}x{size.group(2)}"
    elif re.search(r"\b(?:vertical|portrait|9:16|tiktok|reels|shorts|phone)\b", clause):
        args["size"] = "720x1280"
    elif re.search(r"\b(?:square|1:1)\b", clause):
        args["size"] = "1024x1024"
    return args


def _args(
    name: IntentName, clause: str, times: list[TimeMention], fired: list[str]
) -> dict[str, Any] | None:
    """What ``name`` needs from ``clause``, or ``None`` when the clause does not make it
    possible (a trim with no span and nothing to cut around; frames with no frame named)."""
    if name == "frames":
        asked = {"frame noun", "screenshot verb"} & set(fired) or (
            "on screen at a time" in fired and any(m.kind == "point" for m in times)
        )
        return _frames_args(clause, times) if asked else None
    if name == "trim":
        return _trim_args(clause, times, fired)
    if name == "highlights":
        return _highlight_args(clause) if "highlight noun" in fired else None
    if name == "search":
        return {"query": _query(clause)}
    if name == "edit":
        return _edit_args(clause, times, fired)
    if name == "generate":
        return _generate_args(clause, times)
    if name == "unsupported":
        kinds = [f for f in fired if f in _REASONS]
        return {"why": kinds[0] if kinds else ""}
    return {}


def _is_question(clause: str) -> bool:
    return bool(re.search(QUESTION, clause) or clause.rstrip().endswith("?"))


def read_clause(clause: str) -> list[Intent]:
    """The intents of one normalised clause (empty when none scores)."""
    if re.match(r"^(?:given|based on|according to|considering|using)\b", clause):
        return []  # context for what follows, not a request
    times = find_times(clause)
    totals, fired, where = score(clause, times)
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    picked: list[Intent] = []
    for name, value in ranked:
        if value < THRESHOLD or (picked and value < ALSO):
            break
        if picked and not (picked[0].name in LISTINGS and name in LISTINGS):
            continue
        args = _args(name, clause, times, fired)
        if args is not None:
            picked.append(Intent(name, value, args, clause))
    return sorted(picked, key=lambda i: where[i.name])


def read(text: str) -> list[Intent]:
    """What ``text`` asks for, in the order asked (at least one intent). ``summary`` and
    ``answer`` carry the whole request (``prompt``/``question``): the writer reads all of it."""
    request = _CONTEXT.sub(" ", text).strip() or text.strip()
    norm = normalise(text)
    found: list[Intent] = []
    for clause in clauses(norm):
        if found and re.search(DELIVERY, clause):
            continue  # "... and return the frame URLs with timestamps"
        for intent in read_clause(clause):
            same = next((i for i in found if i.name == intent.name), None)
            if same is None:
                found.append(intent)
            elif intent.name == "frames" and "times" in same.args and "times" in intent.args:
                same.args["times"] += intent.args["times"]
    if not found:
        name: IntentName = "answer" if _is_question(norm) else "summary"
        found.append(Intent(name, 0.0, {}, norm))
    out = []
    for intent in found:
        if intent.name == "summary":
            # Beside other intents ("give it a title and list its chapters"), the writer is
            # asked its own clause: the chapters are listed by their own tool.
            own = _own_clause(request, intent.clause) if len(found) > 1 else None
            intent = Intent("summary", intent.score, {"prompt": own or request}, intent.clause)
        elif intent.name == "answer":
            intent = Intent("answer", intent.score, {"question": request}, intent.clause)
        elif intent.name == "generate":
            args = {"prompt": generation_prompt(text), **intent.args}
            intent = Intent("generate", intent.score, args, intent.clause)
        out.append(intent)
    return out


def _own_clause(request: str, clause: str) -> str | None:
    """``clause`` (normalised) as ``request`` writes it, when it is a request of its own (a
    part of the gist, a form or a length the writer follows); else None."""
    found = re.search(r"\s+".join(map(re.escape, clause.split())), request, re.I)
    if found is None or found.group(0).strip() == request.strip():
        return None
    own = found.group(0).strip()
    return own if is_request(own) else None


def generation_prompt(text: str) -> str:
    """The description of a video to make: the request without pasted context and without
    the sentences that only say how to deliver it ("Return the presigned URL.")."""
    kept = []
    for sentence in _SENTENCES.split(_CONTEXT.sub(" ", text).strip()):
        if sentence.strip() and not re.search(DELIVERY, normalise(sentence)):
            kept.append(sentence.strip())
    return " ".join(kept) or text.strip()


def labels(intents: Iterable[Intent]) -> str:
    """``frames+trim``: the names of ``intents`` joined, as the labelled phrasings write them."""
    return "+".join(i.name for i in intents)


_REASONS: dict[str, str] = {
    "translate": (
        "translating or dubbing speech needs a translation model, which this server does not have"
    ),
    "remove things": (
        "removing or replacing things in the picture or the sound needs an editing model "
        "(inpainting, source separation) that this server does not have"
    ),
    "enhance": (
        "upscaling, colourising, stabilising or restoring footage needs an enhancement model "
        "that this server does not have"
    ),
    "change voices and faces": (
        "changing voices, faces, music or backgrounds needs generative models that this "
        "server does not have"
    ),
    "a still image": "vidsense makes videos, not still images",
    "audio out": "the chat returns frames and video clips, not audio files",
    "adjust an earlier clip": (
        "I do not keep earlier clips to adjust; ask for the new span directly (for example "
        "'trim from 00:07 to 00:20')"
    ),
}


def reason(key: str) -> str:
    """Why vidsense cannot do what an ``unsupported`` intent asks (``why`` in its args)."""
    return _REASONS.get(key, "this server has no tool for it")
