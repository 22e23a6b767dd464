"""The writer interface: text for segments and questions whose evidence is already chosen.

A writer never decides where anything happens. It is handed an
:class:`~vidsense.language.evidence.EvidencePack` (items with their times) and writes: a gist,
a title and summary for a chapter or highlight, a summary of a window, an answer to a
question, or JSON for a schema whose time fields have been taken out. Writers record what they
used with ``pack.cite(...)`` so every answer can name its evidence.

Implementations: ``extractive`` (built from the evidence itself, offline, deterministic),
``openai`` (any OpenAI-compatible endpoint) and ``local`` (a GGUF model through
llama-cpp-python). They register in :data:`vidsense.language.WRITERS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from vidsense.language.evidence import EvidencePack, Item

SpanKind = Literal["chapter", "highlight"]

NOT_IN_VIDEO = "That is not in the video"
"""How every writer begins an answer the evidence does not hold."""


@dataclass(frozen=True)
class Gist:
    """A title, topics and hashtags (``#Word``) for a video or a window of it."""

    title: str
    topics: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)


class Writer(ABC):
    """Writes text from evidence packs. Thread-safe; one per process is enough."""

    NAME: ClassVar[str]
    READS_ALL_NOTES: ClassVar[bool] = False
    """Whether :meth:`summarize` takes any amount of evidence and notes at once (it selects
    rather than reads a prompt); otherwise a long video is summarised chapter by chapter
    first, and the chapters' notes in groups."""

    @property
    def identity(self) -> str:
        """What distinguishes this writer's answers from another's (cached answers are kept
        per identity): its name, and the model it runs where it runs one."""
        return self.NAME

    @abstractmethod
    def gist(self, pack: EvidencePack) -> Gist:
        """Title, topics and hashtags of the pack's window."""

    @abstractmethod
    def describe(self, pack: EvidencePack, kind: SpanKind) -> tuple[str, str]:
        """``(title, summary)`` of one chapter or highlight (the pack is its span)."""

    @abstractmethod
    def summarize(self, pack: EvidencePack, prompt: str | None = None) -> str:
        """A summary of the pack's window. ``pack.notes`` may hold summaries already written
        for its chapters (the reduce step of a long video); ``prompt`` is the user's steer."""

    @abstractmethod
    def answer(self, pack: EvidencePack, question: str) -> str:
        """An answer from the pack alone. ``pack.focus`` holds the items judged relevant,
        best first; when nothing in the evidence answers the question the answer starts with
        :data:`NOT_IN_VIDEO`."""

    @abstractmethod
    def fill(
        self,
        pack: EvidencePack,
        prompt: str,
        schema: dict[str, Any],
        fields: Mapping[str, Sequence[Item]] | None = None,
    ) -> Any:
        """A value for JSON Schema ``schema`` (no time fields left in it), following
        ``prompt``. ``fields`` holds, per string property name, the items that answer the
        property read as a question (best first; absent or empty when none does). The caller
        validates the value."""

    def stream_answer(self, pack: EvidencePack, question: str) -> Iterator[str]:
        """:meth:`answer` in pieces, as they are written (default: the whole answer, in words)."""
        text = self.answer(pack, question)
        parts = text.split(" ")
        for i, part in enumerate(parts):
            yield part if i == len(parts) - 1 else part + " "
