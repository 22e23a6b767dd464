"""JSON that follows a schema, from the evidence alone (the extractive writer's ``fill``).

A field's name and description say what goes in it: a title, the topics or hashtags, the
summary, what is said or shown, a count of shots or people, the video's size, the value written
after a label on screen (``invoice_number`` from "INVOICE 4417"), a choice among an enum's
options by the words the evidence shares with them, or the line the service ranked as the
answer to the field read as a question. Times never come from here: :mod:`.schema` plans the
time fields from the evidence first, and this fills what is left.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from vidsense.language.answering import (
    GENERIC_FIELD_WORDS,
    NUMBER,
    field_words,
    people_counted,
    value_in,
)
from vidsense.language.base import Gist, Writer
from vidsense.language.evidence import EvidencePack, Item
from vidsense.language.text import content_terms

_SPOKEN = ("spoken", "speech", "said", "narrat", "voice", "dialog", "utterance")
"""Words of field names that ask for what is said (the words of the transcript)."""
_SHOWN = ("screen", "onscreen", "written", "ocr", "slide")
"""Words of field names that ask for the text shown on screen."""
_ID_WORDS = frozenset({"number", "no", "num", "nr", "id", "code"})
_ANSWER = frozenset({"answer", "response", "reply", "result", "output"})
"""Words of field names that ask for the answer to the request itself."""
_WHOLE = ("summary", "description", "overview", "abstract", "synopsis", "gist", "content")
"""Words of field names that ask for the whole window in prose (the summary)."""


_OWN_NAME = frozenset({"title", "name", "headline", "video", "clip", "short", "main", "suggested"})
"""The words of a field that asks for the video's own title (``title``, ``video_name``), not
the name of something in it (``dog_name``)."""
_VALUE_WORDS = frozenset(
    {"price", "cost", "fee", "fare", "year", "amount", "total", "count", "number", "age"}
)
"""Words of a text field's name that ask for a value ("$12", "1852"), not a sentence."""


_LINE_WORDS = frozenset({"line", "sentence", "words", "quote", "utterance"})
_FIRST_WORDS = frozenset({"first", "opening"})
_LAST_WORDS = frozenset({"last", "closing", "final"})
"""Words of a field that asks for the first or last line (``first_line``, ``closing_words``)."""


def _as_number(written: str) -> float | None:
    digits = re.search(NUMBER, written)
    return float(digits.group(0).replace(",", "")) if digits else None


class Filler:
    """JSON for a schema from the evidence: field names and descriptions say what goes where."""

    def __init__(
        self,
        writer: Writer,
        pack: EvidencePack,
        prompt: str,
        fields: Mapping[str, Sequence[Item]],
    ) -> None:
        self.writer = writer
        self.pack = pack
        self.prompt = prompt
        self.fields = fields
        self._gist: Gist | None = None
        self._summary: str | None = None
        self._described: tuple[str, str] | None = None

    @property
    def gist(self) -> Gist:
        if self._gist is None:
            self._gist = self.writer.gist(self.pack)
        return self._gist

    @property
    def part(self) -> bool:
        """Whether the pack is one segment of the video (an item of a list of chapters)."""
        return self.pack.end - self.pack.start < self.pack.evidence.duration - 0.5

    @property
    def described(self) -> tuple[str, str]:
        """Title and summary of the pack as a chapter (for the items of a list of segments)."""
        if self._described is None:
            self._described = self.writer.describe(self.pack, "chapter")
        return self._described

    @property
    def summary(self) -> str:
        if self._summary is None:
            if self.part:
                self._summary = self.described[1]
            else:
                self._summary = self.writer.summarize(self.pack, self.prompt)
        return self._summary

    def value(self, schema: dict[str, Any], name: str) -> Any:
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.choose(schema["enum"], name, schema)
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
                return self.value(options[0], name)
        kind = schema.get("type", "object" if "properties" in schema else "string")
        nullable = isinstance(kind, list) and "null" in kind
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        hint = f"{name} {schema.get('description', '')}".lower()
        if kind == "object":
            props: dict[str, Any] = schema.get("properties", {})
            return {k: self.value(v, k) for k, v in props.items()}
        if kind == "array":
            return self.array(schema.get("items", {"type": "string"}), hint, schema)
        if kind == "boolean":
            terms = content_terms(schema.get("description", "") or name.replace("_", " "))
            return any(terms & content_terms(i.text) for i in self.pack.items) if terms else False
        if kind in ("number", "integer"):
            number = self.number(hint, name)
            if number is None:
                return None if nullable else 0
            return round(number) if kind == "integer" else number
        return self.text(hint, name, nullable)

    def choose(self, options: list[Any], name: str, schema: dict[str, Any]) -> Any:
        evidence = (
            set().union(*(content_terms(i.text) for i in self.pack.items))
            if self.pack.items
            else set()
        )
        scored = [(len(content_terms(str(o)) & evidence), -n, o) for n, o in enumerate(options)]
        return max(scored)[2] if scored else None

    def array(self, items: dict[str, Any], hint: str, schema: dict[str, Any]) -> list[Any]:
        limit = int(schema.get("maxItems", 5))
        if items.get("type", "string") == "string" and "enum" not in items:
            if "hashtag" in hint or "tag" in hint:
                return self.gist.hashtags[:limit]
            if any(k in hint for k in ("topic", "keyword", "theme", "subject", "categor")):
                return self.gist.topics[:limit]
            if any(k in hint for k in ("text", "caption", "screen", "title")):
                return list(dict.fromkeys(i.text for i in self.pack.of_type("text")))[:limit]
            if any(k in hint for k in ("sound", "audio", "noise")):
                return list(dict.fromkeys(i.text for i in self.pack.of_type("audio")))[:limit]
            return self.gist.topics[:limit]
        if "enum" in items:
            return [self.choose(items["enum"], hint, items)]
        return [self.value(items, hint)]

    def labelled(self, name: str, numeric: bool = False) -> str | None:
        """The value written after a label on screen, for a field named like the label:
        ``invoice_number`` reads ``4417`` from "INVOICE 4417", ``total`` reads ``86 EUR``
        from "TOTAL: 86 EUR" (only the first number when the field is a number or an id)."""
        words = field_words(name)
        label = [w for w in words if w not in GENERIC_FIELD_WORDS]
        if not label:
            return None
        numeric = numeric or any(w in _ID_WORDS for w in words)
        for item in self.pack.of_type("text"):
            tokens = item.text.split()
            head = [t.lower().strip(":#.-") for t in tokens[: len(label)]]
            if len(tokens) <= len(label) or head != label:
                continue
            rest = " ".join(tokens[len(label) :]).lstrip(":#- ").strip()
            if numeric:
                found = re.search(r"\d[\d.,]*\d|\d", rest)
                if found is None:
                    continue
                rest = found.group(0)
            if rest:
                self.pack.cite([item])
                return rest
        return None

    def number(self, hint: str, name: str = "") -> float | None:
        """The number a field asks for: the video's own measures (its length, size, frame
        rate, shots, people seen), the value after its label on screen, else the number in the
        line that answers the field read as a question (the one nearest the field's words: a
        year for ``year_built``, an amount of money for ``adult_price``); None when none
        does."""
        v = self.pack.video
        if any(k in hint for k in ("duration", "length", "seconds", "long")):
            return round(self.pack.end - self.pack.start, 3)
        if "width" in hint:
            return float(v.width)
        if "height" in hint:
            return float(v.height)
        if "fps" in hint or "frame rate" in hint:
            return float(v.fps)
        if "shot" in hint:
            return float(
                len(
                    [
                        s
                        for s in self.pack.evidence.shots
                        if self.pack.start <= s.start < self.pack.end
                    ]
                )
            )
        if "people" in hint or "person" in hint:
            seen = [people_counted(i.text) for i in self.pack.of_type("visual")]
            if any(n is not None for n in seen):  # faces were looked for: the most in one shot
                return float(max(n or 0 for n in seen))
        if "speaker" in hint or "people" in hint or "person" in hint:
            return 1.0 if self.pack.of_type("speech") else 0.0
        shown = self.labelled(name, numeric=True) if name else None
        if shown is not None:
            try:
                return float(shown.replace(",", ""))
            except ValueError:
                pass
        found = self.answered_value(name) if name else None
        return _as_number(found) if found is not None else None

    def answered_value(self, name: str) -> str | None:
        """The value (a year, an amount of money, a number) that the line answering field
        ``name`` holds, as written ("$12", "1852"), cited; None when the line holds none."""
        for item in (self.fields.get(name) or [])[:1]:
            found = value_in(item.text, field_words(name))
            if found is not None:
                self.pack.cite([item])
                return found
        return None

    def text(self, hint: str, name: str = "", nullable: bool = False) -> str | None:
        """The text a field asks for (see the module docstring); a nullable field about
        something no line answers is null, not the summary."""
        field = field_words(name)
        named = not name or set(field) <= _OWN_NAME
        if named and ("title" in hint or "name" in hint or "headline" in hint):
            return self.described[0] if self.part else self.gist.title
        if "language" in hint:
            return self.pack.evidence.language or "unknown"
        edge = self.edge_line(field)
        if edge is not None:
            self.pack.cite([edge])
            return edge.text.strip()
        if "transcript" in hint or any(w.startswith(_SPOKEN) for w in field):
            speech = self.pack.of_type("speech")
            self.pack.cite(speech)
            return " ".join(i.text for i in speech)
        if any(w.startswith(_SHOWN) for w in field):
            shown = self.pack.of_type("text")
            self.pack.cite(shown)
            return "\n".join(dict.fromkeys(i.text.strip() for i in shown))
        value = self.labelled(name) if name else None
        if value is not None:
            return value
        if name and _VALUE_WORDS.intersection(field):
            found = self.answered_value(name)
            if found is not None:
                return found
        if any(k in hint for k in ("topic", "subject", "theme", "category")):
            return self.gist.topics[0] if self.gist.topics else self.gist.title
        if self.prompt.strip() and any(w in _ANSWER for w in field):
            return self.writer.answer(self.pack, self.prompt)
        if name and not any(w.startswith(_WHOLE) for w in field):
            line = self.answering(name)
            if line is not None:
                return line
            if nullable:
                return None  # "dog_name" of a video with no dog
        return self.summary

    def edge_line(self, field: Sequence[str]) -> Item | None:
        """The first or last line said (else shown) when the field asks for it by its words
        (``first_line``, ``opening_sentence``, ``last_words``); None otherwise."""
        words = set(field)
        if not words & _LINE_WORDS:
            return None
        first, last = bool(words & _FIRST_WORDS), bool(words & _LAST_WORDS)
        if first == last:
            return None
        lines = self.pack.of_type("speech") or self.pack.of_type("text")
        if not lines:
            return None
        return lines[0] if first else lines[-1]

    def answering(self, name: str) -> str | None:
        """The line said or shown that answers the field ``name`` read as a question (the
        service ranked the lines for it: ``monthly_price`` "what the plan costs per month"
        is answered by "Our pricing starts at $20 per month."), cited; None when none does."""
        found = self.fields.get(name) or []
        if not found:
            return None
        self.pack.cite(found[:1])
        return found[0].text.strip()
