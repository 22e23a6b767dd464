"""Speech to text with word times: the configured recogniser (faster-whisper by default)
behind Silero VAD.

The steps, and why each is there:

1. Silero VAD (:func:`~vidsense.models.vad.speech_regions`) runs first on the raw samples. No
   speech at all (silence, music, noise) ends the job there: the recogniser is never asked,
   so it cannot invent text for it.
2. The recogniser that ``settings.models.speech_engine`` names
   (:func:`~vidsense.models.registry.speech_entry`) transcribes with word timestamps; how
   Whisper is asked for them is :class:`~vidsense.models.whisper.FasterWhisperModel`'s part.
3. Each segment is checked: repetition loops (high compression ratio), segments Whisper itself
   thinks are not speech (high no-speech probability with a low log probability), decodes that
   failed at every temperature, and the stock phrases Whisper says over near-silence
   ("Thank you.", "you", "Thanks for watching!") unless they were said with confidence beside
   real speech.
4. Word edges that fall in what the VAD calls silence are moved to the VAD's speech edges:
   Whisper's alignment tends to start the first word of a phrase a few hundred milliseconds
   early, Silero's onsets are within tens of milliseconds.

All times are seconds from the start of the audio.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidsense.config import Settings
from vidsense.errors import InvalidArgument
from vidsense.media.edit import SPEECH_RATE, extract_audio
from vidsense.models.registry import speech_entry
from vidsense.models.vad import speech_regions

log = logging.getLogger(__name__)

Progress = Callable[[float, float], None]
"""``progress(done_seconds, total_seconds)`` of audio transcribed."""

NO_AUDIO = "no audio track"
NO_SPEECH = "no speech detected"

LANGUAGE_MIN_PROBABILITY = 0.5
"""Below this detection probability the transcript's language is reported as unknown."""

# Segment filters (thresholds follow Whisper's own defaults, made a little stricter).
MAX_COMPRESSION_RATIO = 2.4
NO_SPEECH_PROB = 0.6
NO_SPEECH_LOGPROB = -0.5
MIN_AVG_LOGPROB = -1.0
MIN_WORD_PROBABILITY = 0.3
# A stock phrase is kept only when said this confidently beside real speech.
PHRASE_MIN_WORD_PROBABILITY = 0.6
PHRASE_MAX_NO_SPEECH_PROB = 0.3

_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Lowercase, punctuation removed, single spaces (for phrase matching)."""
    return _SPACE.sub(" ", _PUNCT.sub("", text.lower())).strip()


# What Whisper says over silence, music and noise (from its subtitle-heavy training data).
HALLUCINATIONS = frozenset(
    normalize_text(phrase)
    for phrase in (
        "you",
        "Thank you.",
        "Thank you very much.",
        "Thank you so much.",
        "Thanks.",
        "Thanks for watching!",
        "Thank you for watching!",
        "Thanks for watching and see you next time.",
        "Please subscribe.",
        "Subscribe.",
        "Like and subscribe.",
        "Bye.",
        "Bye-bye.",
        "Okay.",
        "Oh.",
        "So.",
        "Hmm.",
        "[Music]",
        "(Applause)",
        "[Laughter]",
        "[Silence]",
        "Subtitles by the Amara.org community",
        "Transcription by CastingWords",
        "The end.",
        "Sous-titrage ST' 501",
        "Sous-titres réalisés para la communauté d'Amara.org",
        "Untertitel im Auftrag des ZDF für funk, 2017",
        "Untertitel der Amara.org-Community",
        "Продолжение следует...",
    )
)


@dataclass(frozen=True)
class Word:
    """One recognised word: ``start``/``end`` in seconds, ``probability`` in [0, 1]."""

    word: str
    start: float
    end: float
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "probability": round(self.probability, 3),
        }


@dataclass(frozen=True)
class TranscriptSegment:
    """A phrase as Whisper split it: ``start``/``end`` in seconds, its text and its words."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
            "words": [w.to_dict() for w in self.words],
        }


@dataclass(frozen=True)
class Transcript:
    """What was said. ``language`` is an ISO 639-1 code, or None when no speech was found or
    the language could not be told with probability >= 0.5; ``note`` says why a transcript is
    empty or partial (``no audio track``, ``no speech detected``, ``cancelled at 12.0 s``)."""

    language: str | None
    language_probability: float | None
    segments: tuple[TranscriptSegment, ...]
    note: str | None = None

    @property
    def text(self) -> str:
        """All segments' text, joined with spaces."""
        return " ".join(s.text for s in self.segments)

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "language_probability": (
                None if self.language_probability is None else round(self.language_probability, 3)
            ),
            "segments": [s.to_dict() for s in self.segments],
            "note": self.note,
        }


@dataclass(frozen=True)
class SegmentEvidence:
    """What Whisper reports about one decoded segment, as the filters need it."""

    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    word_probabilities: tuple[float, ...]

    @property
    def mean_word_probability(self) -> float:
        probs = self.word_probabilities
        return sum(probs) / len(probs) if probs else 0.0

    @property
    def stock_phrase(self) -> bool:
        return normalize_text(self.text) in HALLUCINATIONS


def rejection(seg: SegmentEvidence) -> str | None:
    """Why a segment is not speech on its own evidence, or None to keep it."""
    if not normalize_text(seg.text):
        return "empty"
    if seg.compression_ratio > MAX_COMPRESSION_RATIO:
        return f"repetitive (compression ratio {seg.compression_ratio:.2f})"
    if seg.no_speech_prob > NO_SPEECH_PROB and seg.avg_logprob < NO_SPEECH_LOGPROB:
        return f"no-speech probability {seg.no_speech_prob:.2f}"
    if seg.avg_logprob < MIN_AVG_LOGPROB:
        return f"average log probability {seg.avg_logprob:.2f}"
    if seg.mean_word_probability < MIN_WORD_PROBABILITY:
        return f"mean word probability {seg.mean_word_probability:.2f}"
    return None


def drop_stock_phrases(segments: Sequence[SegmentEvidence]) -> list[bool]:
    """Which segments to keep, judged together: a stock phrase ("Thank you.", "you") is kept
    only when the transcript has other speech and the phrase was heard confidently."""
    real_speech = any(not s.stock_phrase for s in segments)
    keep = []
    for s in segments:
        if not s.stock_phrase:
            keep.append(True)
            continue
        keep.append(
            real_speech
            and s.mean_word_probability >= PHRASE_MIN_WORD_PROBABILITY
            and s.no_speech_prob <= PHRASE_MAX_NO_SPEECH_PROB
        )
    return keep


def _snap(words: list[Word], edges: list[tuple[float, float]], floor: float = 0.0) -> list[Word]:
    """Move word edges that lie in VAD silence onto the speech edge inside the word, and keep
    words in order, none starting before ``floor`` seconds."""
    starts = [a for a, _ in edges]

    def in_speech(t: float) -> bool:
        i = bisect.bisect_right(starts, t) - 1
        return i >= 0 and edges[i][0] <= t <= edges[i][1]

    out: list[Word] = []
    for w in words:
        start, end = w.start, w.end
        if not in_speech(start):
            i = bisect.bisect_right(starts, start)
            if i < len(edges) and edges[i][0] < end:
                start = edges[i][0]
        if not in_speech(end):
            i = bisect.bisect_right(starts, end) - 1
            if i >= 0 and start < edges[i][1] < end:
                end = edges[i][1]
        start = max(start, out[-1].end if out else floor)
        end = max(end, start)
        out.append(Word(w.word, start, end, w.probability))
    return out


def _rejoin_cut_word(
    previous: TranscriptSegment, words: list[Word], text: str
) -> tuple[TranscriptSegment, list[Word], str]:
    """Undo a word cut at a 30 s window edge: Whisper ends one window on "Saturday." and
    starts the next on "day." at the same instant. The echo is dropped and the earlier word
    extended over it (times in seconds)."""
    last = previous.words[-1]
    head = normalize_text(words[0].word)
    if not head or words[0].start - last.end > 0.1 or words[0].end <= last.end:
        return previous, words, text
    tail = normalize_text(last.word)
    if tail == head or not tail.endswith(head):
        return previous, words, text
    log.debug("rejoined %r onto %r at %.2f s", words[0].word, last.word, last.end)
    extended = Word(last.word, last.start, words[0].end, last.probability)
    previous = TranscriptSegment(
        previous.start, extended.end, previous.text, (*previous.words[:-1], extended)
    )
    rest = text.lstrip()
    if rest.startswith(words[0].word):
        rest = rest[len(words[0].word) :].lstrip()
    return previous, words[1:], rest


def _as_samples(samples: np.ndarray) -> np.ndarray:
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim != 1:
        raise InvalidArgument(
            f"speech needs mono samples (one dimension), got an array of shape {audio.shape}"
        )
    return np.ascontiguousarray(audio)


def transcribe(
    samples: np.ndarray,
    settings: Settings,
    *,
    language: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Transcript:
    """Transcribe 16 kHz mono float32 ``samples`` (values in [-1, 1]) with word timestamps.

    ``language`` (e.g. ``"en"``) skips detection. Empty samples give an empty transcript noted
    ``no audio track``; audio with no speech gives an empty one noted ``no speech detected``.
    ``progress`` is called with seconds done and total; when ``cancel`` is set the transcript
    so far is returned, noted ``cancelled at N s``.

    Raises :class:`~vidsense.errors.ModelNotInstalled` when the speech model is not ready and
    :class:`~vidsense.errors.InvalidArgument` for samples that are not one-dimensional or a
    language the recogniser does not know.
    """
    recogniser = speech_entry(settings)
    recogniser.require()
    language = language.strip().lower() or None if language else None
    audio = _as_samples(samples)
    duration = len(audio) / SPEECH_RATE
    if audio.size == 0:
        return Transcript(None, None, (), NO_AUDIO)
    edges = speech_regions(audio)
    if not edges:
        log.info("no speech in %.1f s of audio", duration)
        if progress is not None:
            progress(duration, duration)
        return Transcript(None, None, (), NO_SPEECH)

    if cancel is not None and cancel.is_set():
        return Transcript(None, None, (), "cancelled at 0.0 s")
    recognition = recogniser.load().transcribe(audio, language=language)
    decoded: list[tuple[SegmentEvidence, list[Word]]] = []
    note: str | None = None
    for seg in recognition.segments:
        evidence = SegmentEvidence(
            text=seg.text.strip(),
            avg_logprob=seg.avg_logprob,
            no_speech_prob=seg.no_speech_prob,
            compression_ratio=seg.compression_ratio,
            word_probabilities=tuple(w.probability for w in seg.words),
        )
        reason = rejection(evidence)
        if reason is not None:
            log.info("dropped %r at %.2f s: %s", evidence.text, seg.start, reason)
        else:
            words = [
                Word(
                    w.word.strip(),
                    min(max(w.start, 0.0), duration),
                    min(max(w.end, 0.0), duration),
                    w.probability,
                )
                for w in seg.words
                if w.word.strip()
            ]
            if words:
                decoded.append((evidence, words))
        if progress is not None:
            progress(min(seg.end, duration), duration)
        if cancel is not None and cancel.is_set():
            note = f"cancelled at {min(seg.end, duration):.1f} s"
            break
    if progress is not None and note is None:
        progress(duration, duration)

    keep = drop_stock_phrases([evidence for evidence, _ in decoded])
    segments: list[TranscriptSegment] = []
    for (evidence, words), kept in zip(decoded, keep, strict=True):
        if not kept:
            log.info("dropped stock phrase %r", evidence.text)
            continue
        text = evidence.text
        if segments:
            segments[-1], words, text = _rejoin_cut_word(segments[-1], words, text)
            if not words:
                continue
        snapped = _snap(words, edges, segments[-1].end if segments else 0.0)
        segments.append(TranscriptSegment(snapped[0].start, snapped[-1].end, text, tuple(snapped)))

    if not segments:
        return Transcript(None, None, (), note or NO_SPEECH)
    probability = recognition.language_probability
    detected = recognition.language
    if language is None and probability < LANGUAGE_MIN_PROBABILITY:
        log.info("language unclear (%s at %.2f)", recognition.language, probability)
        detected = None
    return Transcript(detected, probability, tuple(segments), note)


def transcribe_file(
    path: str | Path,
    settings: Settings,
    *,
    language: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Transcript:
    """Transcribe the audio track of a video (or audio) file; see :func:`transcribe`.

    A file without an audio track gives an empty transcript noted ``no audio track``.
    """
    samples = extract_audio(Path(path), sample_rate=SPEECH_RATE)
    return transcribe(samples, settings, language=language, progress=progress, cancel=cancel)
