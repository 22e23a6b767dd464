"""Bilingual word lists: FreeDict's dictionaries from Debian (``dict-freedict-*``), offline.

Search matches a query's words against what is said and shown; said in another language, a
line holds none of them, and its meaning (multilingual-e5, 4-bit) alone rarely lifts it above a
line in the query's language that shares one word ("test ride after adjusting" found "The ride
back to the station" before "Nach jeder Einstellung macht man eine kurze Probefahrt"). With a
word list, the query's words are also looked for in their translations: "test" as "probe",
"ride" as "fahrt", "adjusting" as "einstellung".

The dictionaries are the dictd files Debian installs in :data:`DICTD_DIR`
(``freedict-eng-deu.index`` and ``.dict.dz``, ...) for English with German, Italian, Spanish
and French, both directions (:data:`PAIRS`). :meth:`LexiconEntry.install` (``vidsense models
install``) reads them once into one SQLite file in the models folder, every pair stored as
English word -> word of the other language (a German-English entry "Einstellung: adjustment,
adjusting" gives adjustment -> einstellung and adjusting -> einstellung), single words only,
notes, examples and cross-references left out; :class:`Lexicon` looks words up in it. Without
the packages nothing is built and words are matched as they are written.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import re
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from vidsense.config import Settings
from vidsense.errors import ModelNotInstalled
from vidsense.models.base import ModelEntry, ModelStatus, load_once

log = logging.getLogger(__name__)

DICTD_DIR = Path("/usr/share/dictd")
"""Where Debian's ``dict-freedict-*`` packages put their dictionaries."""
LANGUAGES = {"deu": "de", "ita": "it", "spa": "es", "fra": "fr"}
"""The other languages (FreeDict's ISO 639-3 names -> ISO 639-1), each with English."""
PAIRS = tuple(p for code in LANGUAGES for p in (f"eng-{code}", f"{code}-eng"))
"""The dictionaries read, ``freedict-<pair>``."""
INSTALL_LEXICON = "apt-get install " + " ".join(f"dict-freedict-{p}" for p in PAIRS)
FILE_NAME = "freedict.sqlite"
MAX_SENSES = 12
"""Entries with more single-word translations than this are dropped (lists of loose
associations, not translations)."""
_VERSION = 2
"""Raised when what is stored changes, so that an older file is built again (2: words are
looked up by themselves, whatever their language)."""

_NOTE = re.compile(r"<[^>]*>|\[[^\]]*\]|\([^)]*\)|\{[^}]*\}")
_NUMBERED = re.compile(r"^\s*\d+\.\s*")
_WORD = re.compile(r"^[^\W\d_][^\W\d_'-]*$", re.UNICODE)
_B64 = {
    c: n for n, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}


def _number(text: str) -> int:
    """dictd's base-64 numbers (offsets and lengths in the ``.index`` file)."""
    n = 0
    for c in text:
        n = n * 64 + _B64[c]
    return n


def read_dictd(index: Path, data: Path) -> Iterator[tuple[str, set[str]]]:
    """``(headword, translations)`` of a FreeDict dictd dictionary: lower-case single words
    only; an entry's first line is its headword (and pronunciation), each following line that
    does not start with a space gives translations (separated by commas or semicolons,
    numbered senses, notes in brackets dropped); indented lines are examples, notes,
    synonyms and cross-references."""
    if data.suffix == ".dz":  # dictzip: gzip with an index of its chunks
        with gzip.open(data) as packed:
            text = packed.read()
    else:
        text = data.read_bytes()
    with index.open(encoding="utf-8") as rows:
        for row in rows:
            parts = row.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[0].startswith("00-database"):
                continue
            head = parts[0].strip().lower()
            if not _WORD.match(head):
                continue
            start, length = _number(parts[1]), _number(parts[2])
            entry = text[start : start + length].decode("utf-8", "replace")
            found: set[str] = set()
            for line in entry.split("\n")[1:]:
                if not line or line[0] in " \t":
                    continue
                for piece in re.split(r"[,;]", _NOTE.sub(" ", line)):
                    word = _NUMBERED.sub("", piece).strip().lower()
                    if len(word) > 1 and _WORD.match(word):
                        found.add(word)
            if found and len(found) <= MAX_SENSES:
                yield head, found


@lru_cache(maxsize=8)
def available_pairs(folder: Path = DICTD_DIR) -> tuple[str, ...]:
    """The :data:`PAIRS` whose dictionaries are in ``folder`` (looked for once per process:
    installing packages needs a restart, as for every model)."""
    return tuple(
        p
        for p in PAIRS
        if (folder / f"freedict-{p}.index").is_file()
        and (folder / f"freedict-{p}.dict.dz").is_file()
    )


def build(path: Path, folder: Path = DICTD_DIR) -> int:
    """Read the dictionaries in ``folder`` into the SQLite file ``path`` (written beside it
    and renamed into place, so a reader never meets half of it); returns the pairs stored."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".lexicon-", suffix=".sqlite", dir=path.parent)
    os.close(fd)
    rows = 0
    try:
        with contextlib.closing(sqlite3.connect(name)) as db:
            db.execute("CREATE TABLE words (language TEXT, english TEXT, word TEXT)")
            db.execute("CREATE TABLE info (key TEXT PRIMARY KEY, value TEXT)")
            for pair in available_pairs(folder):
                source, target = pair.split("-")
                other = LANGUAGES[target if source == "eng" else source]
                entries = read_dictd(
                    folder / f"freedict-{pair}.index", folder / f"freedict-{pair}.dict.dz"
                )
                if source == "eng":
                    found: Iterable[tuple[str, str, str]] = (
                        (other, head, t) for head, ts in entries for t in ts
                    )
                else:
                    found = ((other, t, head) for head, ts in entries for t in ts)
                batch = list(dict.fromkeys(found))
                db.executemany("INSERT INTO words VALUES (?, ?, ?)", batch)
                rows += len(batch)
            db.execute("CREATE INDEX by_english ON words (language, english)")
            db.execute("CREATE INDEX by_word ON words (word)")
            db.execute("INSERT INTO info VALUES ('version', ?)", (str(_VERSION),))
            db.commit()
        os.chmod(name, 0o644)
        os.replace(name, path)
    finally:
        if os.path.exists(name):
            os.unlink(name)
    log.info("word lists: %d pairs of words from %s into %s", rows, folder, path)
    return rows


class Lexicon:
    """Look-ups in a word-list file built by :func:`build` (thread-safe; answers cached)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self.languages = frozenset(
            row[0] for row in self._db().execute("SELECT DISTINCT language FROM words")
        )

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db

    @lru_cache(maxsize=65536)  # noqa: B019 - one lexicon per process (load_once)
    def translations(self, word: str, language: str) -> frozenset[str]:
        """Words of ``language`` (ISO 639-1) an English ``word`` (lower case) translates
        to; empty for English or a language without a word list."""
        if language == "en" or language not in self.languages:
            return frozenset()
        rows = self._db().execute(
            "SELECT word FROM words WHERE language = ? AND english = ?", (language, word)
        )
        return frozenset(row[0] for row in rows)

    @lru_cache(maxsize=65536)  # noqa: B019
    def english(self, word: str) -> frozenset[str]:
        """The English words a word of any other language (lower case) translates to."""
        rows = self._db().execute("SELECT DISTINCT english FROM words WHERE word = ?", (word,))
        return frozenset(row[0] for row in rows)


class LexiconEntry(ModelEntry[Lexicon]):
    """FreeDict's English-German, -Italian, -Spanish and -French word lists (Debian
    ``dict-freedict-*``), read into ``models_dir/freedict.sqlite`` by ``vidsense models
    install`` (or on first use)."""

    capability = "lexicon"
    NAME = "freedict"

    def path(self) -> Path:
        return self.settings.models_dir / FILE_NAME

    def source(self) -> str:
        return str(DICTD_DIR)

    def installed(self) -> bool:
        return _current(self.path())

    def detail(self) -> str:
        pairs = available_pairs()
        if not pairs:
            return f"no FreeDict dictionaries in {DICTD_DIR} ({INSTALL_LEXICON})"
        state = "read" if self.installed() else "not read yet (vidsense models install)"
        return f"{len(pairs)} FreeDict dictionaries ({', '.join(pairs)}), {state}"

    def install(self) -> ModelStatus:
        if available_pairs() and not self.installed():
            build(self.path())
        return self.status()

    def require(self) -> None:
        if not available_pairs():
            raise ModelNotInstalled(f"lexicon: {self.detail()}")

    def load(self) -> Lexicon:
        """The word lists, read from the dictionaries first when they have not been."""
        self.require()
        path = self.path()

        def make() -> Lexicon:
            if not _current(path):
                build(path)
            return Lexicon(path)

        return load_once(("lexicon", str(path)), make)


def _current(path: Path) -> bool:
    """Whether ``path`` is a word-list file of this version."""
    if not path.is_file():
        return False
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT value FROM info WHERE key = 'version'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == str(_VERSION)


def word_lists(settings: Settings) -> Lexicon | None:
    """The word lists (:meth:`LexiconEntry.load`), or None when no FreeDict dictionary is
    installed or they cannot be read into the models folder (words are then matched only as
    they are written; the reason is logged once)."""
    entry = LexiconEntry(settings)
    if not available_pairs() or entry.path() in _UNREADABLE:
        return None
    try:
        return entry.load()
    except (OSError, sqlite3.Error) as e:
        _UNREADABLE.add(entry.path())  # not tried again by this process
        log.warning("word lists not available (%s); words match only as written", e)
        return None


_UNREADABLE: set[Path] = set()
"""Word-list files that could not be built or read, by this process."""
