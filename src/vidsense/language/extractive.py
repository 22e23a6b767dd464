"""The ``extractive`` writer: answers built from the evidence itself, offline and deterministic.

Sentences are chosen by embedding centrality (how close a spoken line is to what its window is
about, with redundancy removed), titles come from on-screen titles or the window's keyphrases,
topics and hashtags from keyphrases weighted by centrality, sounds people notice (applause,
music, laughter) are named, and so is what the picture confidently shows (the image
classifier's tags and best label of a shot). What it writes quotes the video; it never invents.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from vidsense.language.base import NOT_IN_VIDEO, Gist, SpanKind, Writer
from vidsense.language.evidence import EvidencePack, Item
from vidsense.language.text import (
    as_sentence,
    content_terms,
    hashtag,
    keyphrases,
    sentences,
    spoken_list,
    title_case,
    words,
)
from vidsense.times import clock

NOTABLE_SOUNDS = (
    "Applause",
    "Cheering",
    "Laughter",
    "Music",
    "Singing",
    "Explosion",
    "Siren",
    "Dog",
    "Bird",
    "Engine",
    "Rain",
    "Thunder",
)
"""Audio-event labels worth a mention in a summary."""

SEEN_SCORE = 0.5
"""How sure (0-1) the image classifier must be of a shot's best tag or label for a summary to
mention what the picture shows."""

CONTRAST = 0.7
"""How much closeness to the whole video counts against a line in a part of it."""
NUMBER_BONUS = 0.03
"""Added to the centrality of a line with a number in it: such lines usually state the facts
a summary should keep (a date, an amount, a score)."""

_SUMMARY_QUESTION = (
    "about",
    "summar",
    "describe",
    "overview",
    "happens in",
    "gist",
    "main point",
    "tell me about",
)
_LENGTH_QUESTION = ("how long", "duration", "length", "resolution", "how big", "frame rate", "fps")


class ExtractiveWriter(Writer):
    """Writes with the evidence's own words (the default writer)."""

    NAME = "extractive"
    READS_ALL_NOTES = True

    # -- building blocks -------------------------------------------------------------------

    @staticmethod
    def central(pack: EvidencePack, items: list[Item] | None = None) -> list[tuple[Item, float]]:
        """Spoken lines (or ``items``) with their centrality in ``pack``, best first."""
        pool = items if items is not None else pack.of_type("speech")
        kept, matrix = pack.evidence.matrix(pool)
        if not kept:
            return [(i, 0.0) for i in pool]
        centre = matrix.mean(axis=0)
        norm = float(np.linalg.norm(centre))
        if norm == 0:
            return [(i, 0.0) for i in kept]
        sims = matrix @ (centre / norm)
        ev = pack.evidence
        if pack.end - pack.start < ev.duration - 0.5:
            # A part of the video: what makes a line worth quoting is what sets this part apart
            # from the rest, not what every part says.
            whole = ev.centre()
            if whole is not None:
                sims = sims - CONTRAST * (matrix @ whole)
        # Very short lines ("Okay.") sit near every centre; they are rarely what a video says.
        # Lines with numbers usually state facts, which summaries should keep.
        ranked = [
            (
                item,
                float(s) * min(1.0, len(words(item.text)) / 6)
                + (NUMBER_BONUS if any(c.isdigit() for c in item.text) else 0.0),
            )
            for item, s in zip(kept, sims, strict=True)
        ]
        return sorted(ranked, key=lambda p: (-p[1], p[0].start))

    def pick_sentences(
        self, pack: EvidencePack, count: int, in_time_order: bool = True
    ) -> list[Item]:
        """``count`` central spoken lines that do not repeat each other, in time order (or
        best first)."""
        ranked = self.central(pack)
        focus = {i.id for i in pack.focus}
        if focus:
            ranked = sorted(ranked, key=lambda p: (p[0].id not in focus, -p[1]))
        chosen: list[Item] = []
        for item, _ in ranked:
            terms = content_terms(item.text)
            if not terms:
                continue
            if any(len(terms & content_terms(c.text)) > 0.6 * len(terms) for c in chosen):
                continue
            chosen.append(item)
            if len(chosen) >= count:
                break
        return sorted(chosen, key=lambda i: i.start) if in_time_order else chosen

    def phrases(self, pack: EvidencePack, limit: int = 6) -> list[str]:
        """Keyphrases of the pack's window (all its evidence, not only what a bounded pack
        kept): spoken lines weighted by centrality, on-screen titles by how title-like they
        are, each scored against the whole video."""
        ev = pack.evidence
        window = [i for i in ev.within(pack.start, pack.end + 1e-6) if i.type != "shot"]
        full = EvidencePack(ev, pack.start, pack.end, window)
        weighted = [(i.text, 0.5 + max(s, 0.0)) for i, s in self.central(full)]
        for item in full.of_type("text"):
            title_like = len(item.text.split()) <= 5 and item.end - item.start >= 2.0
            weighted.append((item.text, 3.0 if title_like else 1.0))
        found = keyphrases(weighted, limit=limit, background=pack.evidence.parts())
        # Titles on screen are often in capitals; a topic reads better in sentence case.
        return [p.lower() if p.isupper() and len(p) > 4 else p for p in found]

    @staticmethod
    def screen_title(pack: EvidencePack) -> Item | None:
        """The on-screen text most like a title: short, shown long, shown early."""
        best: tuple[float, Item] | None = None
        span = max(pack.end - pack.start, 1e-6)
        for item in pack.of_type("text"):
            n = len(item.text.split())
            if not 1 <= n <= 8 or len(item.text) < 4:
                continue
            shown = min(item.end - item.start, 10.0)
            early = 1.0 - min((item.start - pack.start) / span, 1.0)
            score = shown * (0.5 + early) * (1.2 if item.text.isupper() else 1.0)
            if best is None or score > best[0]:
                best = (score, item)
        return best[1] if best else None

    @staticmethod
    def sounds(pack: EvidencePack) -> list[Item]:
        seen: dict[str, Item] = {}
        for item in pack.of_type("audio"):
            if item.text in NOTABLE_SOUNDS and item.text not in seen:
                seen[item.text] = item
        return list(seen.values())

    @staticmethod
    def sights(pack: EvidencePack, limit: int = 3) -> list[Item]:
        """What the picture confidently shows in the pack (score >= :data:`SEEN_SCORE`), one
        item per distinct phrase, surest first."""
        seen: dict[str, Item] = {}
        for item in sorted(pack.of_type("visual"), key=lambda i: (-i.score, i.start)):
            if item.score >= SEEN_SCORE and item.text and item.text not in seen:
                seen[item.text] = item
        return list(seen.values())[:limit]

    # -- the interface ---------------------------------------------------------------------

    def gist(self, pack: EvidencePack) -> Gist:
        phrases = self.phrases(pack, limit=8)
        topics = [title_case(p) for p in phrases[:5]]
        screen = self.screen_title(pack)
        sights = self.sights(pack)
        if len(topics) < 5:
            shown = [title_case(_subject(i.text)) for i in sights]
            topics += [t for t in dict.fromkeys(shown) if t not in topics][: 5 - len(topics)]
        if screen is not None:
            pack.cite([screen])
            title = _tidy_title(screen.text)
        elif topics:
            title = spoken_list(topics[:3])
        else:
            sounds = self.sounds(pack)
            title = f"{sounds[0].text} video" if sounds else "Untitled video"
        pack.cite(sights)
        hashtags = list(dict.fromkeys(hashtag(p) for p in phrases[:5] if hashtag(p) != "#"))
        pack.cite(self.pick_sentences(pack, 3))
        return Gist(title, topics, hashtags)

    def describe(self, pack: EvidencePack, kind: SpanKind) -> tuple[str, str]:
        screen = self.screen_title(pack)
        phrases = self.phrases(pack, limit=3)
        sounds = self.sounds(pack)
        sights = self.sights(pack, limit=2)
        if screen is not None:
            title = _tidy_title(screen.text)
        elif phrases:
            title = title_case(phrases[0])
        elif sights:
            title = title_case(_subject(sights[0].text))
        elif sounds:
            title = sounds[0].text
        else:
            title = f"Scene at {clock(pack.start)}"
        # Best first: a summary of many chapters keeps only the first sentence of each.
        lines = self.pick_sentences(pack, 2 if kind == "chapter" else 1, in_time_order=False)
        parts = [as_sentence(i.text) for i in lines]
        if (screen is not None and kind == "highlight") or (not parts and screen is not None):
            parts.append(f'On screen: "{screen.text}".')
        if sights and not lines:
            parts.append(_shows(sights))
        if sounds:
            parts.append(as_sentence(spoken_list([s.text for s in sounds[:3]]) + " can be heard"))
        if not parts:
            parts.append(f"A {kind} of {round(pack.end - pack.start)} seconds with no speech.")
        pack.cite(lines + ([screen] if screen else []) + (sights if not lines else []) + sounds[:3])
        return title, " ".join(parts)

    def summarize(self, pack: EvidencePack, prompt: str | None = None) -> str:
        topics = [title_case(p) for p in self.phrases(pack, limit=4)]
        whole = pack.end - pack.start >= pack.evidence.duration - 0.5
        lead = f"This video covers {spoken_list(topics[:4]).lower()}." if topics and whole else ""
        if pack.notes:
            body = _narrate(_condensed(pack.notes, SUMMARY_SENTENCES), whole)
        else:
            lines = self.pick_sentences(
                pack, max(2, min(6, int((pack.end - pack.start) // 30) + 2))
            )
            pack.cite(lines)
            body = _narrate([as_sentence(i.text) for i in lines], whole)
        sights = self.sights(pack)
        seen = ""
        if sights:
            pack.cite(sights)
            seen = _shows(sights)
        sounds = self.sounds(pack)
        tail = ""
        if sounds:
            pack.cite(sounds[:3])
            tail = as_sentence(spoken_list([s.text for s in sounds[:3]]) + " can be heard")
        text = " ".join(p for p in (lead, body, seen, tail) if p)
        return text or "The video has no speech, on-screen text or notable sounds to summarize."

    def answer(self, pack: EvidencePack, question: str) -> str:
        q = question.lower()
        if any(k in q for k in _LENGTH_QUESTION):
            return _facts(pack)
        if not pack.focus and (
            not content_terms(question) or any(k in q for k in _SUMMARY_QUESTION[1:])
        ):
            return self.summarize(pack)
        if not pack.focus:
            return (
                f'{NOT_IN_VIDEO}: nothing said, shown or heard in it matches "{question.strip()}".'
            )
        parts = []
        for item in pack.focus[:3]:
            pack.cite([item])
            parts.append(_quote(item))
        return " ".join(parts)

    def fill(self, pack: EvidencePack, prompt: str, schema: dict[str, Any]) -> Any:
        return _Filler(self, pack, prompt).value(schema, "")


_SPOKEN = ("spoken", "speech", "said", "narrat", "voice", "dialog", "utterance")
"""Words of field names that ask for what is said (the words of the transcript)."""
_SHOWN = ("screen", "onscreen", "written", "ocr", "slide")
"""Words of field names that ask for the text shown on screen."""
_GENERIC_LABEL = frozenset({"number", "no", "num", "nr", "id", "code", "value", "amount"})
"""Words of a field name that say what kind of value it is, not which label it follows."""
_ID_WORDS = frozenset({"number", "no", "num", "nr", "id", "code"})


def _snake(name: str) -> str:
    """``invoiceNumber`` -> ``invoice_number``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _tidy_title(text: str) -> str:
    t = " ".join(text.split())
    return title_case(t.lower()) if t.isupper() else t


SUMMARY_SENTENCES = 28
"""The most sentences a summary built from chapter notes keeps."""


def _condensed(notes: list[str], most: int) -> list[str]:
    """At most ``most`` sentences from ``notes``, the same share from each, spread evenly
    through each note (so every part of the video keeps its say)."""
    split = [sentences(n) or [n] for n in notes]
    total = sum(len(s) for s in split)
    if total <= most:
        return [" ".join(s) for s in split]
    share = max(1, most // max(len(split), 1))
    kept = []
    for parts in split:
        if len(parts) <= share:
            kept.append(" ".join(parts))
        else:
            step = len(parts) / share
            kept.append(" ".join(parts[int(k * step)] for k in range(share)))
    return kept


def _narrate(sentences: list[str], whole: bool = True) -> str:
    """Sentences joined, the last one marked as the end when they cover the whole video."""
    if len(sentences) <= 1 or not whole:
        return " ".join(sentences)
    out = []
    for i, s in enumerate(sentences):
        s = s.strip()
        if not s:
            continue
        if i == 0:
            out.append(s)
        elif i == len(sentences) - 1:
            out.append(f"Finally, {s[0].lower()}{s[1:]}" if not s[:2].isupper() else s)
        else:
            out.append(s)
    return " ".join(out)


def _subject(shows: str) -> str:
    """The most specific thing a "shows" phrase names: its best label (``Samoyed`` of
    ``"animal, dog (Samoyed); 2 people"``), else its first tag."""
    phrase = shows.split(";")[0]
    if "(" in phrase:
        return phrase.split("(", 1)[1].rstrip(") ").strip() or phrase
    return phrase.split(",")[0].strip() or shows


def _people(shows: str) -> int | None:
    """How many people a "shows" phrase counts (``"...; 2 people"``), or None when it counts
    none (faces were not looked for, or none were seen)."""
    found = re.search(r";\s*(\d+) (?:person|people)\b", shows)
    return int(found.group(1)) if found else None


def _shows(sights: list[Item]) -> str:
    """``The picture shows dog, animal (Samoyed) at 0:02 and fruit (Granny Smith) at 0:10.``"""
    said = [f"{i.text} at {clock(i.start)}" for i in sights]
    return as_sentence("The picture shows " + spoken_list(said))


def _quote(item: Item) -> str:
    when = f"At {clock(item.start)}"
    if item.type == "speech":
        return f'{when}, the video says: "{item.text.strip()}"'
    if item.type == "text":
        return f'{when}, the screen shows "{item.text.strip()}".'
    if item.type == "visual":
        return f"{when}, the picture shows {item.text.strip()}."
    return f"{when}, {item.text.lower()} can be heard."


def _facts(pack: EvidencePack) -> str:
    v = pack.video
    size = f", {v.width}x{v.height}" if v.width and v.height else ""
    rate = f" at {v.fps:g} fps" if v.fps else ""
    return f"The video is {clock(v.duration)} long ({v.duration:.2f} seconds){size}{rate}."


class _Filler:
    """JSON for a schema from the evidence: field names and descriptions say what goes where."""

    def __init__(self, writer: ExtractiveWriter, pack: EvidencePack, prompt: str) -> None:
        self.writer = writer
        self.pack = pack
        self.prompt = prompt
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
            return round(number) if kind == "integer" else number
        return self.text(hint, name)

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
        words = [w for w in re.split(r"[^a-z0-9]+", _snake(name)) if w]
        label = [w for w in words if w not in _GENERIC_LABEL]
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

    def number(self, hint: str, name: str = "") -> float:
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
            seen = [_people(i.text) for i in self.pack.of_type("visual")]
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
        return 0.0

    def text(self, hint: str, name: str = "") -> str:
        if "title" in hint or "name" in hint or "headline" in hint:
            return self.described[0] if self.part else self.gist.title
        if "language" in hint:
            return self.pack.evidence.language or "unknown"
        field = [w for w in re.split(r"[^a-z0-9]+", _snake(name)) if w]
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
        if any(k in hint for k in ("topic", "subject", "theme", "category")):
            return self.gist.topics[0] if self.gist.topics else self.gist.title
        return self.summary
