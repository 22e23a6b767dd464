"""The ``extractive`` writer: answers built from the evidence itself, offline and deterministic.

Sentences are chosen by embedding centrality (how close a spoken sentence is to what its window
is about, with redundancy removed) and quoted whole. Every chapter has a subject, a noun phrase
(:meth:`ExtractiveWriter.subjects`: its title on screen, else what its lines name most and
nearest in meaning); topics and hashtags are the chapters' subjects, a title names them, and a
summary names them all, then quotes each chapter's most central sentence. Prompts are read as
instructions (:mod:`vidsense.language.requests`: a length, bullets, numbered steps, a
checklist, a table of times, a focus) and followed; questions are answered with the lines the
service found (:meth:`~vidsense.language.service.WritingService.relevant`). Sounds people
notice (applause, music, laughter) are named, and so is what the picture confidently shows
(the image classifier's tags and best label of a shot). What it writes quotes the video; it
never invents.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from vidsense.language.answering import (
    SOUND_WORDS,
    Kind,
    Question,
    a_person,
    about_file,
    about_language,
    about_people,
    about_picture,
    about_screen_text,
    about_shots,
    about_sounds,
    about_speech,
    asked_kind,
    asks_speaker,
    holds_kind,
    introduced,
    people_counted,
    spoken_of,
    terms,
)
from vidsense.language.base import NOT_IN_VIDEO, Gist, SpanKind, Writer
from vidsense.language.evidence import SEEN_SCORE, EvidencePack, Item, ItemType, shown_together
from vidsense.language.filling import Filler
from vidsense.language.phrases import (
    generalise,
    heading,
    kind_of,
    names_kind,
    names_something,
    noun_phrases,
    part_of,
    subjects_of,
)
from vidsense.language.requests import Request, read_request
from vidsense.language.text import (
    as_sentence,
    content_terms,
    hashtag,
    keyphrases,
    language_name,
    noise,
    short_list,
    spoken_list,
    title_case,
    words,
)
from vidsense.perception.tags import shows_in_words
from vidsense.times import clock, span
from vidsense.words import legible, lemma

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

TITLE_WEIGHT = 3.0
"""How much a title on screen counts, as a source of subjects, against a sentence said."""
KEY_SIMILARITY = 1.0
"""How much a candidate subject's closeness in meaning to its window weighs (0 = not at
all; 1 = from half to one and a half times its weight)."""
SHARED_AMONG = 2
"""How many of a whole video's leading subjects may be what its chapters share."""
SHARED_LINES = 0.25
"""Share of a chapter's lines (said and shown) that must speak of what the chapters share:
one in four, so a word said once in each of many chapters shares nothing."""
REFERENT_GAP = 3.0
"""Seconds of silence within which a sentence that names someone tells who the next one's
"he" or "she" is, when the video's chapters are not known (else: within the chapter)."""
_PRONOUN_SUBJECT = re.compile(r"(?:and |but |so )?(?:he|she|they|his|her|their)\b", re.I)
"""A sentence that opens on a pronoun for someone ("He was not ...", "And her sister ...")."""
PART_SHARE = 0.5
"""How much a mention of a part (WordNet meronymy: "brakes" of a bike) counts as a mention of
its whole, when both are named in one window: half, as a part says less about what a
stretch is about than its whole does."""
FIT_SPAN = 0.1
"""The least spread of those closeness scores (cosines) that is scaled to the full range:
candidates whose fits differ by less are weighed nearly alike."""
MAX_TOPICS = 10
"""Most topics a gist lists."""
MAX_TITLE_TOPICS = 9
"""Most subjects an overview sentence names."""
TITLE_CHARS = 100
"""Longest title that names subjects (characters): past it, the leading subjects and "and
More" (video sites refuse longer titles; chosen on the corpus's dev half, where a 70-character
limit left topics of six-topic videos unnamed)."""
MAX_ENTRIES = 20
"""Most lines in a list of steps or a checklist."""

CONTRAST = 0.7
"""How much closeness to the whole video counts against a line in a part of it."""
NUMBER_BONUS = 0.03
"""Added to the centrality of a line with a number in it: such lines usually state the facts
a summary should keep (a date, an amount, a score)."""

_SUMMARY_QUESTION = (
    "about",
    "summar",
    "describe",
    "description",
    "overview",
    "happens in",
    "gist",
    "main point",
    "tell me about",
)

_ASKING_WORDS = frozenset(
    words(
        """generate give write provide create make produce brief short quick detailed detail full
    summary summarize summarise summarization overview description describe gist recap main
    point points"""
    )
)
"""Words of a request for a summary that name nothing it should be about."""


class _Weighted(NamedTuple):
    """A line said or shown, as a source of subjects: its ``weight``, whether it is a
    ``title``, and its ``start`` (seconds)."""

    text: str
    weight: float
    title: bool
    start: float


class ExtractiveWriter(Writer):
    """Writes with the evidence's own words (the default writer)."""

    NAME = "extractive"
    READS_ALL_NOTES = True
    VERSION = 71
    """Raised when what it writes changes, so that answers kept from before are not served."""

    @property
    def identity(self) -> str:
        return f"{self.NAME}/{self.VERSION}"

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

    def subjects(self, pack: EvidencePack, limit: int = 3) -> list[str]:
        """What the pack's window is about, best first, as noun phrases: the phrases of its
        titles (weighted :data:`TITLE_WEIGHT`, less when shown late), of its other on-screen
        text and of what is said (weighted by centrality), grouped by head noun, each scored
        by the share of its mentions in the whole video that fall in this window (what every
        part of a video mentions says nothing about one part). Nouns that share a close
        WordNet hypernym are named by it when together they outweigh the best alone
        ("spaghetti" and "noodles": "pasta"). Other languages than English: the titles as
        shown (without a leading article), then keyphrases."""
        ev = pack.evidence
        english = (ev.language or "en").startswith("en")
        weighted = self._weighted(pack)
        if not weighted:
            return []
        if not english:
            titles = [_unarticled(w.text) for w in weighted if w.title]
            rest = keyphrases(
                [(w.text, w.weight) for w in weighted], limit=limit, background=ev.parts()
            )
            named = list(dict.fromkeys([*titles, *(p.lower() if p.isupper() else p for p in rest)]))
            return [f for f in named if f][:limit]
        found = noun_phrases([w.text for w in weighted])
        for n, w in enumerate(weighted):
            whole = heading(w.text) if w.title else None
            if whole is not None:  # a title that is one noun phrase stays whole
                found[n] = [whole]
        video = self._mentions(pack)
        score: dict[str, float] = {}
        surface: dict[str, Counter[str]] = {}
        written: dict[str, dict[str, float]] = {}  # how each is written, weighted
        titled: dict[str, float] = {}
        first: dict[str, float] = {}  # when each is first mentioned
        bare: dict[str, list[float]] = {}  # when each is said as its bare head ("the tower")
        for (_, weight, title, start), phrases in zip(weighted, found, strict=True):
            for phrase in phrases:
                key = phrase.head.lower()
                first[key] = min(first.get(key, start), start)
                if not title and phrase.text == key:
                    bare.setdefault(key, []).append(start)
                into = titled if title else score
                into[key] = into.get(key, 0.0) + weight
                score.setdefault(key, 0.0)
                surface.setdefault(key, Counter())[phrase.text] += 1
                forms = written.setdefault(key, {})
                forms[phrase.text] = forms.get(phrase.text, 0.0) + weight
        for key in score:
            # A title names its part however often the rest of the video mentions the same
            # noun ("PITCHING THE TENT" in a video about camping): only what is said and
            # shown besides is weighed by its share of the video's mentions.
            here = sum(surface[key].values())
            score[key] = score[key] * here / max(video.get(key, here), here) + titled.get(key, 0)
        # A sentence whose subject is "it" goes on about what the sentence before it was about
        # ("The old lighthouse stands at the harbour. It was built in 1860."): one more mention.
        said = sorted(
            (w for w in weighted if not w.title), key=lambda w: (w.start, w.text, w.weight)
        )
        before: str | None = None
        for line, subject in zip(said, subjects_of([w.text for w in said]), strict=True):
            if subject == "it":
                if before in score:
                    score[before] += line.weight
            else:
                before = subject if subject is not None and not a_person(subject) else None
        # A class said bare after one candidate alone of its kinds was named names that one:
        # "the tower" after "the old lighthouse" (a definite description and its antecedent;
        # not "a sleeping bag", a kind of its own, nor "light" before "a ray" is named).
        so_far = dict(score)
        for key, times in bare.items():
            kinds = [k for k in so_far if kind_of(k, key)]
            if len(kinds) == 1:
                after = sum(t > first[kinds[0]] for t in times)
                score[kinds[0]] += so_far[key] * after / sum(surface[key].values())
        # A part mentioned speaks of its whole ("check the brakes" in a stretch about bikes).
        parts = {k: sum(score[p] for p in score if part_of(p, k)) for k in score}
        for key, more in parts.items():
            score[key] += PART_SHARE * more
        if KEY_SIMILARITY and ev.embed is not None and len(score) > 1:
            self._by_meaning(pack, score, written)
        ranked = sorted(score, key=lambda k: (-score[k], k))
        general = generalise([(k, score[k]) for k in ranked[:6]])
        names = [_best(written[k]) for k in ranked]
        if general is not None:
            names.insert(0, general)
        return list(dict.fromkeys(names))[:limit]

    @staticmethod
    def _by_meaning(
        pack: EvidencePack, score: dict[str, float], written: dict[str, dict[str, float]]
    ) -> None:
        """Weigh the best candidate subjects by how close their words are to what the window
        says (the mean of its lines' text vectors) rather than to the whole video: the
        embedding view of a keyphrase (as KeyBERT does), scaled to 0.5-1.5 across them (less
        when their fits differ by under :data:`FIT_SPAN`: nearly equal fits are noise)."""
        ev = pack.evidence
        assert ev.embed is not None
        best = sorted(score, key=lambda k: (-score[k], k))[:8]
        _, lines = ev.matrix(
            [i for i in ev.within(pack.start, pack.end + 1e-6) if i.type in ("speech", "text")]
        )
        if len(lines) == 0:
            return
        here = lines.mean(axis=0)
        here /= max(float(np.linalg.norm(here)), 1e-9)
        whole = ev.centre()
        vectors = ev.embed([_best(written[k]) for k in best])
        fit = vectors @ here
        if whole is not None and pack.end - pack.start < ev.duration - 0.5:
            fit = fit - CONTRAST * (vectors @ whole)
        lo, hi = float(fit.min()), float(fit.max())
        span = max(hi - lo, FIT_SPAN)
        for key, f in zip(best, fit, strict=True):
            score[key] *= 1.0 + KEY_SIMILARITY * (float(f) - (lo + hi) / 2) / span

    def _weighted(self, pack: EvidencePack) -> list[_Weighted]:
        """Everything said and shown in the window, weighted as a source of subjects."""
        ev = pack.evidence
        window = [i for i in ev.within(pack.start, pack.end + 1e-6) if i.type != "shot"]
        full = EvidencePack(ev, pack.start, pack.end, window)
        span = max(pack.end - pack.start, 1e-6)
        english = (ev.language or "en").startswith("en")
        out: list[_Weighted] = []
        shown = [
            i
            for i in full.of_type("text")
            if not (noise(i.text) or (english and not legible(i.text)))
        ]
        crowds = _crowds([i for i in shown if not ev.is_heading(i)])
        for item in shown:
            if ev.is_heading(item):
                early = (item.start - pack.start) / span < 0.4
                weight = TITLE_WEIGHT * (1.0 if early else 0.5)
                out.append(_Weighted(_untagged(item.text), weight, True, item.start))
            else:
                # A screen of lines shown at once (a terminal, a menu, a table) counts as one
                # caption does, not once per line.
                out.append(
                    _Weighted(_untagged(item.text), 1.0 / crowds[item.id], False, item.start)
                )
        out += [_Weighted(i.text, 0.5 + max(s, 0.0), False, i.start) for i, s in self.central(full)]
        return out

    def _mentions(self, pack: EvidencePack) -> Counter[str]:
        """How often each head noun is mentioned in the whole video."""
        ev = pack.evidence

        def make() -> Counter[str]:
            whole = EvidencePack(ev, 0.0, ev.duration, [])
            texts = [w.text for w in self._weighted(whole)]
            found: Counter[str] = Counter()
            for phrases in noun_phrases(texts):
                found.update(p.head.lower() for p in phrases)
            return found

        return ev.derived(("mentions", self.NAME), make)

    @staticmethod
    def screen_title(pack: EvidencePack) -> Item | None:
        """The on-screen text most like a title: short, shown long, shown early, naming
        something (a sign-off such as "SEE YOU NEXT TIME" titles nothing)."""
        best: tuple[float, Item] | None = None
        span = max(pack.end - pack.start, 1e-6)
        language = pack.evidence.language
        for item in pack.of_type("text"):
            n = len(item.text.split())
            if not 1 <= n <= 8 or len(item.text) < 4:
                continue
            if not names_something(item.text, language):
                continue
            shown = min(item.end - item.start, 10.0)
            early = 1.0 - min((item.start - pack.start) / span, 1.0)
            score = shown * (0.5 + early) * (1.2 if item.text.isupper() else 1.0)
            score *= 3.0 if pack.evidence.is_heading(item) else 1.0
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

    def shared(self, pack: EvidencePack, parts: Sequence[EvidencePack]) -> str | None:
        """What the pack's chapters share, when they are several: one of its leading subjects
        (of :meth:`subjects`, over the whole pack) that every chapter speaks of, in at least
        :data:`SHARED_LINES` of its lines (as a noun phrase or inside one: "green coffee beans"
        speaks of coffee), and none is named after ("the moon" of a video about its phases,
        the tides and eclipses; not "experts" of "experts say ..." said once in each of ten
        chapters); else None. English only (heads are lemmas of English nouns); computed once
        per window and chapters."""
        if len(parts) < 2 or not (pack.evidence.language or "en").startswith("en"):
            return None

        def find() -> str | None:
            spoken: set[str] | None = None
            for part in parts:
                texts = [w.text for w in self._weighted(part)]
                lines: Counter[str] = Counter()
                for found in noun_phrases(texts):
                    lines.update(
                        {  # heads, and nouns naming a kind: "coffee" in "green coffee beans"
                            word
                            for p in found
                            for word in (p.head.lower(), *(lemma(w) for w in p.text.split()))
                        }
                    )
                enough = {w for w, n in lines.items() if n >= SHARED_LINES * len(texts)}
                spoken = enough if spoken is None else spoken & enough
                if not spoken:
                    return None
            named = {self._head(s) for p in parts for s in self.subjects(p, limit=1)}
            for subject in self.subjects(pack, limit=SHARED_AMONG):
                head = self._head(subject)
                if head and head in (spoken or set()) and head not in named:
                    return subject
            return None

        key = ("shared", self.NAME, pack.start, pack.end, tuple((p.start, p.end) for p in parts))
        return pack.evidence.derived(key, find)

    @staticmethod
    def _head(phrase: str) -> str:
        """The head noun (lower-case lemma) of a noun phrase, "" when it has none."""
        found = noun_phrases([phrase])[0]
        return found[-1].head.lower() if found else ""

    def chapters_of(self, pack: EvidencePack) -> list[EvidencePack]:
        """The pack's chapters as packs of their own (the chapters the service computed for
        the window, or the window as one)."""
        ev = pack.evidence
        bounds = pack.chapters or [(pack.start, pack.end)]
        return [ev.pack(lo, hi) for lo, hi in bounds if hi > lo]

    def gist(self, pack: EvidencePack) -> Gist:
        parts = self.chapters_of(pack)
        per_part = [self.subjects(p, limit=2) for p in parts]
        topics: list[str] = []
        for found in per_part:  # every chapter's subject first, then their second ones
            topics += found[:1]
        for found in per_part:
            topics += found[1:2]
        if len(topics) < 3:
            topics += self.subjects(pack, limit=5)
        shared = self.shared(pack, parts)
        if shared is not None:
            topics.insert(0, shared)
        topics = _distinct([title_case(t) for t in topics])[:MAX_TOPICS]
        screen = self.screen_title(pack)
        sights = self.sights(pack)
        if len(topics) < 5:
            shown = [title_case(_subject(i.text)) for i in sights]
            topics += [t for t in dict.fromkeys(shown) if t not in topics][: 5 - len(topics)]
        named = _distinct([title_case(f[0]) for f in per_part if f])
        if len(named) > 1 and shared is not None:  # "Moon: Sunlit Half, Ocean and Eclipse"
            head = f"{title_case(shared)}: "
            title = head + short_list(named, TITLE_CHARS - len(head))
        elif len(named) > 1:
            title = short_list(named, TITLE_CHARS)
        elif screen is not None:
            pack.cite([screen])
            title = _tidy_title(screen.text)
        elif topics:
            title = topics[0]
        else:
            sounds = self.sounds(pack)
            title = f"{sounds[0].text} video" if sounds else "Untitled video"
        pack.cite(sights)
        hashtags = _distinct([hashtag(t) for t in topics if hashtag(t) != "#"])
        pack.cite(self.pick_sentences(pack, 3))
        return Gist(title, topics, hashtags)

    def describe(self, pack: EvidencePack, kind: SpanKind) -> tuple[str, str]:
        screen = self.screen_title(pack)
        subjects = self.subjects(pack, limit=1)
        sounds = self.sounds(pack)
        sights = self.sights(pack, limit=2)
        if screen is not None and self.pack_is_titled(pack, screen):
            title = _tidy_title(screen.text)
        elif subjects:
            title = title_case(subjects[0])
        elif screen is not None:
            title = _tidy_title(screen.text)
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
            parts.append(self.shown(pack))
        if sights and not lines:
            parts.append(_shows(sights))
        if sounds:
            parts.append(as_sentence(spoken_list([s.text for s in sounds[:3]]) + " can be heard"))
        if not parts:
            parts.append(f"A {kind} of {round(pack.end - pack.start)} seconds with no speech.")
        pack.cite(lines + ([screen] if screen else []) + (sights if not lines else []) + sounds[:3])
        return title, " ".join(parts)

    @staticmethod
    def pack_is_titled(pack: EvidencePack, screen: Item) -> bool:
        """Whether ``screen`` is the window's own title: a title shown in its first part."""
        span = max(pack.end - pack.start, 1e-6)
        return pack.evidence.is_heading(screen) and (screen.start - pack.start) / span < 0.4

    @staticmethod
    def shown(pack: EvidencePack) -> str:
        """What the window shows on screen, as a sentence (its title, then its lines)."""
        ev = pack.evidence
        texts = [i for i in pack.of_type("text") if not noise(i.text)]
        titles = [i for i in texts if ev.is_heading(i)]
        first = titles[0] if titles else texts[0] if texts else None
        if first is None:
            return ""
        rest = [i for i in texts if i is not first and shown_together(first, i)]
        pack.cite([first, *rest])
        lines = "; ".join(i.text.strip() for i in rest[:4])
        said = f"{_tidy_title(first.text)}: {lines}" if lines else _tidy_title(first.text)
        return f'The screen shows "{said}".'

    def summarize(self, pack: EvidencePack, prompt: str | None = None) -> str:
        request = read_request(prompt) if prompt else None
        wanted = self._wanted(pack, request) if request is not None else None
        if wanted is not None:
            return wanted
        if request is not None and (request.instruction or request.needs_model):
            return self.follow(pack, request)
        parts = self.chapters_of(pack)
        whole = pack.end - pack.start >= pack.evidence.duration - 0.5
        subjects = _distinct([s for p in parts for s in self.subjects(p, limit=1)])
        if len(subjects) < 2:
            subjects = self.subjects(pack, limit=3)
        lead = ""
        if subjects and whole:
            lead = _covers(subjects[:MAX_TITLE_TOPICS], self.shared(pack, parts))
        if len(parts) > SUMMARY_SENTENCES:  # the same share of the video for every sentence
            step = len(parts) / SUMMARY_SENTENCES
            parts = [parts[int(k * step)] for k in range(SUMMARY_SENTENCES)]
        body = [s for p in parts for s in self._part_sentences(p, pack)]
        if len(body) > SUMMARY_SENTENCES:  # one sentence per chapter, then
            body = [s for p in parts for s in self._part_sentences(p, pack)[:1]]
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
        text = " ".join(p for p in (lead, *body[:SUMMARY_SENTENCES], seen, tail) if p)
        return text or "The video has no speech, on-screen text or notable sounds to summarize."

    def _part_sentences(self, part: EvidencePack, cite: EvidencePack) -> list[str]:
        """A chapter in a summary: its most central sentences (one, two for a chapter over a
        minute), whole, in time order; or what it shows on screen."""
        count = 2 if part.end - part.start > 60 else 1
        lines = self.pick_sentences(part, count)
        if lines:
            cite.cite(lines)
            return [as_sentence(i.text) for i in lines]
        shown = self.shown(part)
        cite.cite(part.cited.values())
        return [shown] if shown else []

    def answer(self, pack: EvidencePack, question: str) -> str:
        if about_file(question):
            return _facts(pack)
        request = read_request(question)
        wanted = self._wanted(pack, request)
        if wanted is not None:
            return wanted
        if request.instruction or request.needs_model:
            return self.follow(pack, request)
        if asks_speaker(question):
            return self._speaker(pack, about=spoken_of(question) is not None)
        if about_sounds(question):
            return self._heard(pack, question)
        language = about_language(question)
        if language is not None:
            return self._language(pack, language)
        if about_screen_text(question):
            return self._on_screen(pack)
        if about_people(question):
            return self._people_seen(pack)
        if about_shots(question):
            return self._cut(pack, question)
        if about_picture(question):
            return self._seen(pack)
        q = question.lower()
        if not content_terms(question) and about_speech(question):
            said = pack.of_type("speech")[:SAID_LINES]
            if said:  # "What is said?": the words, not a summary of them
                pack.cite(said)
                words = "The video says: " + " ".join(f'"{i.text.strip()}"' for i in said)
                # "what is said, and what is shown?": the picture too
                seen = re.search(r"\b(?:shown|shows?|seen|see|visible|on screen)\b", q)
                return f"{words} {self._seen(pack)}" if seen else words
            return f"Nothing is said in the video: it has no speech. {self.summarize(pack)}"
        summary = any(k in q for k in _SUMMARY_QUESTION[1:])
        if (not pack.focus and (not content_terms(question) or summary)) or (
            summary and not content_terms(question) - _ASKING_WORDS
        ):  # "generate a summary of this video": nothing named but the summary itself
            return self.summarize(pack)
        if not pack.focus:
            return (
                f'{NOT_IN_VIDEO}: nothing said, shown or heard in it matches "{question.strip()}".'
            )
        # The best line, and the next when it is as good and says something else: not the
        # same words, nor a caption shown while the best is said (or the reverse), which
        # restates it ("SIMMER 20 MIN" under "Let the sauce simmer for 20 minutes").
        best = pack.focus[0]
        others = [
            i
            for i in pack.focus[1:]
            if content_terms(i.text) != content_terms(best.text)
            and not (i.type != best.type and abs(i.start - best.start) < RESTATED)
        ]
        chosen = [best, *others[:1]]
        told = _told_otherwise(pack, best, asked_kind(question))
        if told is not None and told not in chosen:
            chosen.append(told)
        asked = Question.read(question)
        parts = []
        for item in chosen:
            pack.cite([item])
            named = self._referent_before(pack, item, asked)
            if named is not None:  # "He was not ill disposed": who he is was said just before
                pack.cite([named])
                both = f"{named.text.strip()} {item.text.strip()}"
                parts.append(f'At {clock(named.start)}, the video says: "{both}"')
            else:
                parts.append(self._quote(pack, item))
        return " ".join(parts)

    @staticmethod
    def _referent_before(pack: EvidencePack, item: Item, asked: Question) -> Item | None:
        """The sentence said just before a spoken line, when the line speaks of what the
        question asks for without naming it and that sentence names it: asked who, a line
        whose subject is a pronoun ("He was not an ill-disposed young man") after one that
        names someone by name; asked which animal (or city, tool, ...), a line that names none
        ("When one of them sees danger, it gives a sharp whistle") after one that names one
        ("Marmots live in burrows"). Else None."""
        if item.type != "speech":
            return None
        # What a sentence speaks of was named earlier in its chapter (a pause between the two
        # changes nothing); without chapters, only within a short pause.
        within = [lo for lo, hi in pack.chapters if lo <= item.start < hi]
        before = [
            i
            for i in pack.evidence.speech
            if (within[0] <= i.start if within else item.start - REFERENT_GAP <= i.end)
            and i.end <= item.start + 1e-6
            and i is not item
        ]
        if not before:
            return None
        previous = before[-1]
        if asked.kind == "person":
            named = _PRONOUN_SUBJECT.match(item.text.strip()) is not None
            return previous if named and holds_kind(previous.text, "name") else None
        category = asked.head if asked.kind in ("thing", "name") else None
        if category is None or names_kind(item.text, category):
            return None
        return previous if names_kind(previous.text, category) else None

    def _wanted(self, pack: EvidencePack, request: Request) -> str | None:
        """The part of the gist a prompt asks for ("give this video a title": the title;
        hashtags; "what topics does it cover?"), or None. A list of topics ("list the topics
        with their times") is written by :meth:`follow`."""
        if request.wants is None or (request.wants.startswith("topic") and request.form != "prose"):
            return None
        gist = self.gist(pack)
        if request.wants == "title":
            return gist.title
        if request.wants == "highlights":
            return self._highlighted(pack)
        if request.wants == "colours":
            return self._coloured(pack)
        if request.wants == "hashtags":
            tags = gist.hashtags or ["#Video"]
            return " ".join(tags) if request.form == "prose" else "\n".join(f"- {t}" for t in tags)
        if not gist.topics:
            return "The video has no speech, on-screen text or recognised pictures to name topics."
        if request.wants == "topic" and len(self.chapters_of(pack)) == 1:
            return f"The video is about {gist.topics[0]}."  # the main one: a single subject
        return f"The video covers {spoken_list(gist.topics)}."

    @staticmethod
    def _coloured(pack: EvidencePack) -> str:
        """The colours the service read from the keyframes, with the share of the picture
        each covers."""
        if not pack.colours:
            return "No keyframe of the video could be read here, so its colours are not known."
        named = [f"{name} ({round(100 * share)}%)" for name, share in pack.colours[:5]]
        return (
            f"The main colours are {spoken_list(named)} "
            "(shares of the picture over the video's keyframes)."
        )

    def _highlighted(self, pack: EvidencePack) -> str:
        """The highlights the service computed for the pack (else its chapters), a timed line
        each with its title and what happens."""
        entries = []
        for lo, hi in pack.highlights or pack.chapters or [(pack.start, pack.end)]:
            part = pack.evidence.pack(lo, hi)
            title, said = self.describe(part, "highlight")
            pack.cite(part.cited.values())
            entries.append((lo, hi, f"{title}: {said}"))
        return "\n".join(f"- {text}" for _, _, text in _timed(entries))

    @staticmethod
    def _language(pack: EvidencePack, asked: str) -> str:
        """The language spoken (as speech recognition detected it), or yes/no to "is it in
        ``asked``?"."""
        said = pack.of_type("speech")
        code = pack.evidence.language
        if not said or not code:
            return "No one speaks in the video: it has no speech."
        pack.cite(said[:1])
        name = language_name(code)
        if asked:
            return f"{'Yes' if asked == name else 'No'}: the speech is in {name}."
        return f"The speech is in {name}."

    @staticmethod
    def _on_screen(pack: EvidencePack) -> str:
        """The text read on screen, each line once with when it first appears."""
        lines: dict[str, Item] = {}
        for item in pack.of_type("text"):
            if not noise(item.text) and item.text.strip().lower() not in lines:
                lines[item.text.strip().lower()] = item
        if not lines:
            return "No text was read on screen."
        shown = list(lines.values())[:SCREEN_LINES]
        pack.cite(shown)
        said = ", ".join(f'"{i.text.strip()}" ({clock(i.start)})' for i in shown)
        more = f", and {len(lines) - len(shown)} more lines" if len(lines) > len(shown) else ""
        return f"On screen: {said}{more}."

    def _seen(self, pack: EvidencePack) -> str:
        """What the picture shows: the things recognised with their times, and what is on
        screen."""
        sights = self.sights(pack, limit=SIGHTS_LISTED)
        pack.cite(sights)
        said = [_shows(sights)] if sights else []
        shown = self.shown(pack)
        if shown:
            said.append(shown)
        return " ".join(said) or (
            "Nothing in the picture was recognised with confidence, and no text is on screen."
        )

    @staticmethod
    def _cut(pack: EvidencePack, question: str) -> str:
        """How the window is cut: how many shots, and how each began (a cut, or a dissolve or
        fade, with when); for a question about one kind of transition, first whether there is
        any."""
        shots = [s for s in pack.evidence.shots if pack.start <= s.start < pack.end]
        if not shots:
            return "No shots were found in the video."
        began = shots[1:]  # how each shot after the first began (its item's text)
        head = f"The video has {_counted(len(shots), 'shot')}"
        if not began:
            return f"{head}: it is not cut."
        if not any(s.text for s in began):  # indexed before transitions were kept
            return f"{head}, {_counted(len(began), 'boundary')} between them."
        joins = []
        cuts = [s for s in began if s.text == "cut"]
        if cuts:
            joins.append(_counted(len(cuts), "cut"))
        for kind in ("dissolve", "fade"):
            found = [s for s in began if s.text == kind]
            if found:
                pack.cite(found)
                at = spoken_list([clock(s.start) for s in found])
                joins.append(f"{_counted(len(found), kind)} (at {at})")
        answer = f"{head}, joined by {spoken_list(joins)}."
        q = question.lower()
        asked = "dissolve" if re.search(r"dissolve|cross-?fade", q) else None
        asked = asked or ("fade" if re.search(r"\bfades?\b", q) else None)
        if asked and not any(s.text == asked for s in began):
            return f"No {asked} was found. {answer}"
        return answer

    def _people_seen(self, pack: EvidencePack) -> str:
        """How many people are seen, from the faces found on keyframes (only an index made
        with the ``faces`` option looks for them; a keyframe's phrase counts them)."""
        counted = [
            (n, i) for i in pack.of_type("visual") if (n := people_counted(i.text)) is not None
        ]
        if not counted:
            return (
                "No face was found in the picture (faces are looked for only in an index "
                f"created with the faces option). {self._seen(pack)}"
            )
        most, item = max(counted, key=lambda c: (c[0], -c[1].start))
        pack.cite([item])
        who = "1 person is" if most == 1 else f"Up to {most} people are"
        return f"{who} seen at once (at {clock(item.start)}), counted by their faces."

    @staticmethod
    def _heard(pack: EvidencePack, question: str) -> str:
        """What can be heard, from the audio events: each sound with when it is heard (the
        ones the question names, when it names some: "is there music?")."""
        heard: dict[str, list[Item]] = {}
        for item in pack.of_type("audio"):
            if item.text != "Silence":
                heard.setdefault(item.text, []).append(item)
        asked = Question.read(question)
        named = {w for w in asked.words if w not in SOUND_WORDS}
        if named:
            heard = {
                label: found
                for label, found in heard.items()
                if any(asked.synonyms[w] & terms(label) for w in named)
            }
            if not heard:
                asked_for = spoken_list(sorted(named))
                return f"{NOT_IN_VIDEO}: no sound in it was recognised as {asked_for}."
        if not heard:
            return "No sounds were recognised in the video."
        longest = sorted(heard.items(), key=lambda kv: -sum(i.end - i.start for i in kv[1]))
        said = []
        for label, found in longest[:SOUNDS_LISTED]:
            spans = _merged(found)
            pack.cite(found[:1])
            name = label.split(",")[0].strip().lower()
            if len(spans) > 3:
                when = f"{len(spans)} times between {clock(spans[0][0])} and {clock(spans[-1][1])}"
            else:
                when = ", ".join(span(lo, hi) for lo, hi in spans)
            said.append(f"{name} ({when})")
        return as_sentence(spoken_list(said) + " can be heard")

    def _speaker(self, pack: EvidencePack, *, about: bool) -> str:
        """Who speaks: the line where a speaker gives their name, else that no name is given,
        with what is said about the subject asked of ("who talks about sunscreen?") or when
        speech is heard (the transcript has no voices told apart)."""
        said = pack.of_type("speech")
        if not said:
            return "No one speaks in the video: it has no speech."
        named = [i for i in said if introduced(i.text)]
        if named:
            pack.cite(named[:1])
            return self._quote(pack, named[0])
        unnamed = "The video does not say who is speaking: no one gives their name."
        if about and pack.focus:  # the line said about it, or said while it is shown
            best = pack.focus[0]
            spoken = [i for i in pack.focus if i.type == "speech"] or [
                i for i in said if abs(i.start - best.start) < RESTATED
            ]
            if spoken:
                pack.cite(spoken[:1])
                return f"{unnamed} {self._quote(pack, spoken[0])}"
        first, last = said[0], said[-1]
        pack.cite([first, last] if last is not first else [first])
        return f"{unnamed} Speech is heard from {clock(first.start)} to {clock(last.end)}."

    # -- instructions ----------------------------------------------------------------------

    def follow(self, pack: EvidencePack, request: Request) -> str:
        """The window written as ``request`` asks: a length in sentences or words, bullet
        points, numbered steps, a checklist or a table of times, about the whole window or
        only the part it focuses on. What only a language model could write is declined."""
        if request.needs_model:
            return (
                f"I can't {request.needs_model} here: the extractive writer only quotes and "
                "arranges what the video says and shows; that needs a language model "
                "(VIDSENSE_WRITER__KIND=openai or local)."
            )
        parts = self.chapters_of(pack)
        about = request.focus or request.topic
        if about:
            parts = self._about(pack, parts, about) or parts
        if request.form == "prose":
            return self._prose(pack, parts, request, focused=bool(request.focus))
        entries = self._entries(pack, parts, request)
        if not entries:
            return "The video has no speech, on-screen text or shots to list."
        if request.form == "table":
            rows = [f"| {clock(lo)} | {clock(hi)} | {text} |" for lo, hi, text in entries]
            return "\n".join(["| Start | End | What |", "|---|---|---|", *rows])
        if request.form == "numbered":
            return "\n".join(f"{n}. {text}" for n, (_, _, text) in enumerate(entries, 1))
        mark = "- [ ]" if request.form == "checklist" else "-"
        return "\n".join(f"{mark} {text}" for _, _, text in entries)

    def _about(
        self, pack: EvidencePack, parts: list[EvidencePack], about: str
    ) -> list[EvidencePack]:
        """The part that ``about`` names best: its words in the part's words (with synonyms),
        and the best rank among the lines the service found closest to it (``pack.focus``);
        none when nothing names it."""
        asked = Question.read(about)
        scores = []
        for part in parts:
            said = " ".join(i.text for i in part.items if i.type in ("speech", "text"))
            named = asked.said(f"{' '.join(self.subjects(part, limit=2))} {said}")
            # The part that holds the closest line (not the one with most lines near it: a
            # part of many short lines would outvote one long line that names the focus).
            close = max(
                (
                    1.0 / (n + 1)
                    for n, i in enumerate(pack.focus[:5])
                    if part.start <= (i.start + i.end) / 2 < part.end
                ),
                default=0.0,
            )
            scores.append(2.0 * named + close)
        best = max(scores, default=0.0)
        if best <= 0:
            return []
        return [parts[scores.index(best)]]

    def _entries(
        self, pack: EvidencePack, parts: list[EvidencePack], request: Request
    ) -> list[tuple[float, float, str]]:
        """What a list holds, ``(start, end, text)``: the parts (their subject and first
        sentence), the shots, or the sentences said (the steps), as the request asks."""
        if request.items == "shots":
            return self._shots(pack, parts)
        low = request.text.lower()
        if len(parts) == 1 and request.form != "table" and re.search(r"\btopics\b", low):
            # "list the topics" of a video of one part: its topics (a list of one chapter, or
            # of what each shot shows, does not name them)
            topics = [(parts[0].start, parts[0].end, t) for t in self.gist(pack).topics]
            if topics:
                return _timed(topics) if request.timed else topics
        wanted = request.count or 0
        chapters = re.search(r"\bchapters?\b", low)  # one is still a chapter
        if request.form == "table" or (
            request.items == "parts" and (chapters or len(parts) >= max(wanted, 2))
        ):
            out = []
            for part in parts:
                title, _ = self.describe(part, "chapter")
                lines = self.pick_sentences(part, 1)
                pack.cite(lines)
                first = (
                    f": {as_sentence(lines[0].text)}" if lines and request.form != "table" else ""
                )
                out.append((part.start, part.end, f"{title}{first}"))
            return _timed(out) if request.timed and request.form != "table" else out
        lines = [i for p in parts for i in p.of_type("speech")]
        if not lines:
            lines = [i for p in parts for i in p.of_type("text") if not noise(i.text)]
        if not lines:  # nothing said or written: what each shot shows
            return self._shots(pack, parts)
        pack.cite(lines[:MAX_ENTRIES])
        out = [(i.start, i.end, as_sentence(i.text)) for i in lines[:MAX_ENTRIES]]
        return _timed(out) if request.timed else out

    def _shots(
        self, pack: EvidencePack, parts: list[EvidencePack]
    ) -> list[tuple[float, float, str]]:
        """The shots of ``parts`` as list entries: each with what is said in it, else what it
        shows on screen or in the picture."""
        ev = pack.evidence
        lo, hi = parts[0].start, parts[-1].end
        shots = [s for s in ev.shots if lo <= s.start < hi] or [
            *(ev.shots[:1] or [Item("", "shot", lo, hi, "")])
        ]
        out = []
        for n, shot in enumerate(shots[:MAX_ENTRIES], 1):
            inside = ev.pack(shot.start, shot.end)
            said = self.pick_sentences(inside, 1)
            sights = [] if said else self.sights(inside, limit=1)
            what = as_sentence(said[0].text) if said else self.shown(inside)
            if not what and sights:
                what = as_sentence(f"The picture shows {shows_in_words(sights[0].text)}")
            pack.cite(said or sights)
            text = f"Shot {n} ({span(shot.start, shot.end)})"
            out.append((shot.start, shot.end, f"{text}: {what}" if what else text))
        return out

    def _prose(
        self, pack: EvidencePack, parts: list[EvidencePack], request: Request, focused: bool
    ) -> str:
        """Sentences about ``parts``: an overview naming their subjects (unless the request
        focuses on one), then their most central sentences (for a focus, the lines closest to
        it), kept within the length asked."""
        subjects = _distinct([s for p in parts for s in self.subjects(p, limit=1)])
        shared = None if focused else self.shared(pack, parts)
        lead = ""
        if focused and len(parts) == 1:
            title, _ = self.describe(parts[0], "chapter")
            lead = f"{title} ({span(parts[0].start, parts[0].end)}):"
        elif subjects:
            lead = _covers(subjects[:MAX_TITLE_TOPICS], shared)
        body = [s for p in parts for s in self._part_sentences(p, pack)]
        # Only about the focus: the sentences said closest to it (the service's focus) in the
        # parts chosen, in time order; else the parts' most central ones.
        near = sorted(
            (
                i
                for i in pack.focus
                if i.type == "speech" and any(p.start <= i.start < p.end for p in parts)
            ),
            key=lambda i: i.start,
        )
        if focused and near:
            pack.cite(near)
            body = _distinct([as_sentence(i.text) for i in near])
        elif focused:
            extra = [as_sentence(i.text) for p in parts for i in self.pick_sentences(p, 3)]
            body = _distinct(body + extra)
        if not body:
            body = self._without_words(pack)
        most_sentences = request.sentences or len(body) + 1
        most_words = request.words or 10**6
        out: list[str] = []
        if most_sentences == 1 and len(subjects) < 2 and not focused and body:
            lead = ""  # one sentence of one subject: what is said of it, not only its name
        if lead:
            while subjects and _count_words(lead) > most_words:  # fewer subjects until it fits
                subjects = subjects[:-1]
                lead = _covers(subjects, shared) if subjects else ""
            if lead:
                out.append(lead)
        for sentence in body:
            sentences_now = len(out) - (1 if focused and lead.endswith(":") else 0)
            if sentences_now >= most_sentences:
                break
            if _count_words(" ".join([*out, sentence])) > most_words:
                continue
            out.append(sentence)
        if not out and body:
            out = [body[0]]
        return " ".join(out)

    def _without_words(self, pack: EvidencePack) -> list[str]:
        """Sentences about a window where nothing is said or shown: what the picture shows,
        its shots and length, the sounds heard."""
        ev = pack.evidence
        shots = [s for s in ev.shots if pack.start <= s.start < pack.end]
        length = clock(pack.end - pack.start)
        sights = self.sights(pack)
        pack.cite(sights)
        out = [_shows(sights)] if sights else []
        out.append(
            f"The video is {length} long, in {len(shots)} shots, with no speech or text on screen."
            if len(shots) > 1
            else f"The video is {length} long, one shot with no speech or text on screen."
        )
        sounds = self.sounds(pack)
        if sounds:
            pack.cite(sounds[:3])
            out.append(as_sentence(spoken_list([s.text for s in sounds[:3]]) + " can be heard"))
        return out

    @staticmethod
    def _quote(pack: EvidencePack, item: Item) -> str:
        """``item`` quoted with its time; a line on screen with the title it is shown under,
        a very short spoken line with the sentence that follows it."""
        when = f"At {clock(item.start)}"
        if item.type == "text":
            titles = [
                i
                for i in pack.evidence.of_type("text")
                if i is not item
                and pack.evidence.is_heading(i)
                and abs(i.start - item.start) < 1.5
                and len(i.text) < len(item.text) + 40
            ]
            under = f' under "{titles[0].text.strip()}"' if titles else ""
            if titles:
                pack.cite(titles[:1])
            return f'{when}, the screen shows "{item.text.strip()}"{under}.'
        if item.type == "speech":
            text = item.text.strip()
            if len(words(text)) < 4:
                after = [
                    i
                    for i in pack.evidence.speech
                    if item.end <= i.start <= item.end + 2.0 and i is not item
                ]
                if after:
                    pack.cite(after[:1])
                    text = f"{text} {after[0].text.strip()}"
            return f'{when}, the video says: "{text}"'
        return _quote(item)

    def fill(
        self,
        pack: EvidencePack,
        prompt: str,
        schema: dict[str, Any],
        fields: Mapping[str, Sequence[Item]] | None = None,
    ) -> Any:
        return Filler(self, pack, prompt, fields or {}).value(schema, "")


def _count_words(text: str) -> int:
    """Words as a reader counts them ("10:00" is two)."""
    return len(re.findall(r"[\w'-]+", text))


def _distinct(texts: Iterable[str]) -> list[str]:
    """``texts`` in order without repeats (ignoring case)."""
    seen: set[str] = set()
    out = []
    for t in texts:
        if t and t.lower() not in seen:
            seen.add(t.lower())
            out.append(t)
    return out


def _best(found: Mapping[str, float]) -> str:
    """The way a phrase was written most often, each time weighted by where (a title
    outweighs a line said); the longer of ties, up to three words."""
    return max(found, key=lambda t: (found[t], min(len(t.split()), 3), t))


_STEP = re.compile(r"^\s*(?:step|part|chapter|tip|no\.?)?\s*\d+\s*[:.)\-]\s*", re.I)
_ARTICLES = frozenset(
    [
        "the",
        "a",
        "an",
        "el",
        "la",
        "los",
        "las",
        "il",
        "lo",
        "gli",
        "le",
        "i",
        "un",
        "una",
        "uno",
        "der",
        "die",
        "das",
        "den",
        "dem",
        "des",
        "ein",
        "eine",
        "les",
    ]
)


def _untagged(text: str) -> str:
    """On-screen text without a leading "STEP 2:" or "1 -"."""
    return _STEP.sub("", text).strip() or text


def _unarticled(text: str) -> str:
    """A title in sentence case without its leading article ("EL MERCADO" -> "Mercado")."""
    words_in = _untagged(text).split()
    while len(words_in) > 1 and words_in[0].lower() in _ARTICLES:
        words_in = words_in[1:]
    phrase = " ".join(words_in)
    if phrase.isupper():
        phrase = phrase.lower()
    return phrase[:1].upper() + phrase[1:]


def _crowds(items: list[Item]) -> dict[str, int]:
    """For each item, how many of ``items`` are shown together with it
    (:func:`~vidsense.language.evidence.shown_together`), itself included; one sweep over them
    in time order."""
    ordered = sorted(items, key=lambda i: (i.start, i.end))
    counts = {i.id: 1 for i in ordered}
    for n, item in enumerate(ordered):
        for other in ordered[n + 1 :]:
            if other.start >= item.end:
                break
            if shown_together(item, other):
                counts[item.id] += 1
                counts[other.id] += 1
    return counts


def _tidy_title(text: str) -> str:
    t = " ".join(text.split())
    return title_case(t.lower()) if t.isupper() else t


SCREEN_LINES = 8
"""Lines of on-screen text quoted in an answer to "what text appears on screen?"."""
SIGHTS_LISTED = 5
"""Things in the picture named in an answer to "what objects are visible?", surest first."""
SOUNDS_LISTED = 5
"""Sounds named in an answer to "what can be heard?", longest heard first."""
SOUND_GAP = 1.0
"""Seconds between two sightings of a sound within which they are heard as one."""


def _counted(n: int, noun: str) -> str:
    """``"1 shot"``, ``"3 shots"``, ``"2 boundaries"``."""
    if n == 1:
        return f"1 {noun}"
    return f"{n} {noun[:-1]}ies" if noun.endswith("y") else f"{n} {noun}s"


def _timed(entries: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """List entries with their times in front ("0:12-0:22 Houseplants: ...")."""
    return [(lo, hi, f"{span(lo, hi)} {text}") for lo, hi, text in entries]


def _merged(items: list[Item]) -> list[tuple[float, float]]:
    """The spans ``items`` (one sound's sightings) cover, joined across short gaps."""
    spans: list[tuple[float, float]] = []
    for item in sorted(items, key=lambda i: i.start):
        if spans and item.start - spans[-1][1] <= SOUND_GAP:
            spans[-1] = (spans[-1][0], max(spans[-1][1], item.end))
        else:
            spans.append((item.start, item.end))
    return spans


RESTATED = 2.0
"""A line shown within this many seconds of a line said (or the reverse) restates it."""
VALUE_KINDS: frozenset[Kind] = frozenset({"price", "quantity", "duration", "time", "frequency"})
"""Kinds of answer that are a value written in digits (a time, a price, an amount)."""
SAID_LINES = 40
"""The most spoken lines quoted for "what is said?" (the transcript holds the rest)."""
SUMMARY_SENTENCES = 28
"""The most sentences a summary keeps (one per chapter at least, the chapters spread evenly
through the video when there are more)."""


def _told_otherwise(pack: EvidencePack, best: Item, kind: Kind) -> Item | None:
    """The line of the other kind (on screen for a line said, or the reverse) shown within
    :data:`RESTATED` seconds of ``best`` that gives another value of the ``kind`` asked
    ("VALLEY LINE 07:15" on screen while "the train leaves at 7.50" is heard, misheard): it
    does not restate the answer but contradicts it, and both are quoted. None when the kind is
    no value, or every such line gives the same digits."""
    if kind not in VALUE_KINDS or best.type not in ("speech", "text"):
        return None
    said = _digits(best.text)
    if not said:
        return None
    other: ItemType = "text" if best.type == "speech" else "speech"
    for item in pack.evidence.of_type(other):  # the whole evidence: a long pack is thinned
        if noise(item.text):
            continue
        if item.start > best.end + RESTATED or item.end < best.start - RESTATED:
            continue
        if not pack.start <= item.start < pack.end:
            continue
        shown = _digits(item.text)
        if shown - said and holds_kind(item.text, kind):
            return item
    return None


def _digits(text: str) -> frozenset[str]:
    """The numbers written in ``text``, as digit groups without leading zeros ("07:15": 7
    and 15)."""
    return frozenset(str(int(d)) for d in re.findall(r"\d+", text))


def _covers(subjects: Sequence[str], shared: str | None) -> str:
    """The overview sentence that names a video's ``subjects`` (and what they share)."""
    named = spoken_list(subjects)
    return f"This video covers {shared}: {named}." if shared else f"This video covers {named}."


def _subject(shows: str) -> str:
    """The most specific thing a "shows" phrase names: its best label (``Samoyed`` of
    ``"animal, dog (Samoyed); 2 people"``), else its first tag."""
    phrase = shows.split(";")[0]
    if "(" in phrase:
        return phrase.split("(", 1)[1].rstrip(") ").strip() or phrase
    return phrase.split(",")[0].strip() or shows


def _shows(sights: list[Item]) -> str:
    """``The picture shows a Samoyed (a dog) at 0:02 and a banana at 0:10.``"""
    said = [f"{shows_in_words(i.text)} at {clock(i.start)}" for i in sights]
    return as_sentence("The picture shows " + spoken_list(said))


def _quote(item: Item) -> str:
    when = f"At {clock(item.start)}"
    if item.type == "speech":
        return f'{when}, the video says: "{item.text.strip()}"'
    if item.type == "text":
        return f'{when}, the screen shows "{item.text.strip()}".'
    if item.type == "visual":
        return f"{when}, the picture shows {shows_in_words(item.text)}."
    return f"{when}, {item.text.lower()} can be heard."


def _facts(pack: EvidencePack) -> str:
    v = pack.video
    size = f", {v.width}x{v.height}" if v.width and v.height else ""
    rate = f" at {v.fps:g} fps" if v.fps else ""
    return f"The video is {clock(v.duration)} long ({v.duration:.2f} seconds){size}{rate}."
