"""How well the Embed API's moment vectors find what a question asks, with nothing but a cosine:
what a caller that keeps vidsense's vectors in its own store gets.

For each corpus video with speech queries (``benchmarks/corpus``), the video is cut into fixed
moments of 4, 6 and 10 s, each moment's ``transcription`` vector is made as ``POST
/embed-v2`` makes it (:func:`vidsense.search.embeddings.video_embeddings`), and each labelled
query's e5 query vector picks the moments by cosine. R@k: the share of queries whose labelled
span overlaps one of the k best moments of its video. Reads the library that
``benchmarks/quality.py --data DIR`` indexed the corpus into (run that first)::

    python benchmarks/quality.py --data /tmp/q-data --no-chat
    python benchmarks/embeddings.py --data /tmp/q-data
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from vidsense.config import Settings
from vidsense.language.service import WritingService
from vidsense.library import Library
from vidsense.models.text_embedding import TextEmbeddingEntry
from vidsense.search.embeddings import moments, video_embeddings

CORPUS = Path(__file__).parent / "out" / "corpus"
LENGTHS = (4, 6, 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="quality.py's --data folder")
    args = parser.parse_args()
    library = Library.open(Settings(data_dir=args.data))
    e5 = TextEmbeddingEntry(library.settings).load()
    writing = WritingService(library)
    found: dict[tuple[str, int], list[tuple[bool, bool]]] = defaultdict(list)
    for index in library.list_indexes().items:
        for video in library.list_videos(index.id, page_limit=50).items:
            spec_file = CORPUS / (Path(video.filename).stem + ".json")
            if not spec_file.exists():
                continue
            spec = json.loads(spec_file.read_text())
            queries = [q for q in spec["queries"] if "conversation" in q["options"]]
            for length in LENGTHS if queries else ():
                windows = moments([], 0.0, video.duration, fixed=length)
                evidence = writing.evidence(video.id)
                kept, rows = evidence.matrix([i for i in evidence.items if i.type == "speech"])
                sentences = ([(i.start, i.end) for i in kept], rows)
                said = video_embeddings(
                    library, video.id, windows, [], sentences, ["transcription"], ["clip"]
                )
                matrix = np.stack([s.vector for s in said])
                for query in queries:
                    vector = e5.embed([query["text"]], kind="query")[0]
                    best = [said[i] for i in np.argsort(-(matrix @ vector))[:3]]
                    hits = [
                        any(m.start < t1 and (m.end or 0) > t0 for t0, t1 in query["targets"])
                        for m in best
                    ]  # fmt: skip
                    found[(spec["split"], length)].append((hits[0], any(hits)))
    print("EMBED API: transcription moments ranked by cosine to the query, within each video")
    print(f"{'split':6} {'moment':>7} {'queries':>8} {'R@1':>5} {'R@3':>5}")
    for (split, length), hits in sorted(found.items()):
        r1 = sum(h for h, _ in hits) / len(hits)
        r3 = sum(h for _, h in hits) / len(hits)
        print(f"{split:6} {length:>6}s {len(hits):>8} {r1:5.2f} {r3:5.2f}")
    library.close()


if __name__ == "__main__":
    main()
