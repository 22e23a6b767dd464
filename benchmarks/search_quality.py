"""Search quality over the generated ten-clip library of ``tests/search_support.py``: share of
paraphrased speech queries whose right moment ranks 1st / in the top 5, of exact on-screen
strings ranked 1st, of rank-1 hits starting within 1 s of the truth, and of all those queries
ranked 1st by the web UI's default (visual + conversation + text_in_video fused).

    python benchmarks/search_quality.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import MediaCache
from tests.library_support import make_settings, prepared_models
from tests.search_support import build_search_library, measure_quality

from vidsense.config import Settings
from vidsense.models.registry import install_models
from vidsense.search import SearchService


def main() -> None:
    install_models(Settings())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "media").mkdir()
        built = build_search_library(
            MediaCache(root / "media"), make_settings(root / "data", prepared_models(root))
        )
        quality = measure_quality(SearchService(built.library), built)
        print(f"library built in {built.build_seconds:.0f} s ({len(built.video_ids)} videos)")
        print(f"speech paraphrase rank 1:  {quality.speech_top1:.0%} (target >= 80%)")
        print(f"speech paraphrase top 5:   {quality.speech_top5:.0%} (target >= 95%)")
        print(f"on-screen string rank 1:   {quality.caption_top1:.0%} (target >= 95%)")
        print(f"rank-1 start within 1 s:   {quality.start_within_1s:.0%}")
        print(f"UI default (fused) rank 1: {quality.fused_top1:.0%} (all queries; never below")
        print("  the single options' share)")
        for miss in quality.misses:
            print("miss:", miss)
        built.library.close()


if __name__ == "__main__":
    main()
