"""WordNet 3.0 from Debian's ``wordnet-base``, read with NLTK's reader (never ``nltk.download``).

``wordnet-base`` installs the dictionary files (``data.noun``, ``index.noun``, ...) in
``/usr/share/wordnet``. NLTK's :class:`~nltk.corpus.reader.wordnet.WordNetCorpusReader` reads
them with two adjustments made here:

- Debian leaves out ``lexnames`` (the 45 lexicographer file names; the WordNet library compiles
  them in), which NLTK opens at start: :class:`DebianWordNet` serves it from
  :data:`LEXNAMES`, WordNet 3.0's table (``lexnames(5WN)``);
- NLTK would map the loaded WordNet onto its own downloaded copy for its multilingual data;
  the files here *are* WordNet 3.0 and no multilingual data is used, so there is nothing to map.

NLTK only reads folders it has been told about (``nltk.data.path``), so the folder is added
there before the reader opens it. Opening takes about 3 s (the lemma index is read into
memory, from plain files: NLTK's own reader took 4 s): :func:`open_wordnet` does it once per
process.
"""

from __future__ import annotations

import io
import threading
import warnings
from pathlib import Path
from typing import Any

from vidsense.errors import ModelNotInstalled
from vidsense.models.base import ModelEntry, load_once

WORDNET_DIR = Path("/usr/share/wordnet")
"""Where Debian's ``wordnet-base`` puts the WordNet 3.0 files."""
REQUIRED_FILES = ("data.noun", "index.noun", "noun.exc", "data.verb", "index.verb")
INSTALL_WORDNET = "apt-get install wordnet-base"

LEXNAMES = (
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
)
"""WordNet 3.0's lexicographer files, numbered 0-44 in this order (``lexnames(5WN)``)."""


def _lexnames_text() -> str:
    # Third column: the syntactic category number (1 noun, 2 verb, 3 adjective, 4 adverb).
    category = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
    return "".join(
        f"{i:02d}\t{name}\t{category[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES)
    )


def _reader_class() -> type[Any]:
    try:
        from nltk.corpus.reader.wordnet import WordNetCorpusReader
    except ImportError as e:
        raise ModelNotInstalled("WordNet needs nltk: pip install nltk") from e

    class DebianWordNet(WordNetCorpusReader):  # type: ignore[misc]
        """NLTK's reader over Debian's files (see the module docstring), safe to share between
        threads: NLTK reads a synset by seeking its one handle on the data file and reading a
        line, so two threads at once read each other's lines ("invalid literal for int()");
        here one thread at a time reads a synset that is not cached yet (re-entrant: parsing
        a synset reads those it points to, such as its similar adjectives)."""

        _reading = threading.RLock()  # reading a synset reads the ones it points to

        def synset_from_pos_and_offset(self, pos: str, offset: int) -> Any:
            with self._reading:
                return super().synset_from_pos_and_offset(pos, offset)

        def open(self, fileid: str) -> Any:
            if fileid == "lexnames":
                return io.StringIO(_lexnames_text())
            if fileid.startswith("index.") or fileid.endswith(".exc"):
                # Read once, line by line, at start: a plain file reads the lemma index in
                # 1.3 s where NLTK's seekable reader (kept for the data files, which are
                # read by offset) took 4.3 s, on every process start.
                return (Path(self.root.path) / fileid).open(encoding="utf-8")
            return super().open(fileid)

        def map_wn(self, version: str = "wordnet") -> None:
            return None

    return DebianWordNet


def missing_files(root: Path = WORDNET_DIR) -> list[str]:
    """Files of :data:`REQUIRED_FILES` absent from ``root``."""
    return [name for name in REQUIRED_FILES if not (root / name).is_file()]


def open_wordnet(root: Path = WORDNET_DIR) -> Any:
    """NLTK's WordNet reader over ``root`` (default :data:`WORDNET_DIR`), opened once per
    process. Raises :class:`~vidsense.errors.ModelNotInstalled` naming
    ``apt-get install wordnet-base`` when the files are missing."""
    missing = missing_files(root)
    if missing:
        raise ModelNotInstalled(
            f"WordNet is not installed: {root} lacks {', '.join(missing)}; run: {INSTALL_WORDNET}"
        )

    def build() -> Any:
        import nltk.data

        folder = str(root.resolve())
        if folder not in nltk.data.path:
            nltk.data.path.append(folder)
        reader = _reader_class()
        with warnings.catch_warnings():
            # "multilingual functions are not available": none are used
            warnings.simplefilter("ignore", UserWarning)
            return reader(folder, None)

    return load_once(("wordnet", str(root)), build)


class WordNetEntry(ModelEntry[Any]):
    """WordNet 3.0 (Debian ``wordnet-base``): generalises image labels into tags and expands
    search words into the labels they cover. Nothing to prepare: apt installs it."""

    capability = "wordnet"
    NAME = "wordnet-3.0"

    def source(self) -> str:
        return str(WORDNET_DIR)

    def installed(self) -> bool:
        return not missing_files()

    def detail(self) -> str:
        if self.installed():
            return "WordNet 3.0 (Debian wordnet-base), read with NLTK"
        return f"{WORDNET_DIR} lacks {', '.join(missing_files())} ({INSTALL_WORDNET})"

    def require(self) -> None:
        if not self.installed():
            raise ModelNotInstalled(f"wordnet: {self.detail()}")

    def load(self) -> Any:
        """The NLTK reader (:func:`open_wordnet`)."""
        return open_wordnet()
