"""How well the chat reads what a request asks for: the intent reader
(:mod:`vidsense.agent.intents`) on the labelled phrasings of ``tests/intent_phrasings.py``.

Prints accuracy on the phrasings the features were chosen on (``dev``) and on the ones kept
apart (``held-out``), per intent (recall), and every miss with the features that fired.
No timing: the reader is a few regular expressions per clause.

    python benchmarks/intents.py [--quiet]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.intent_phrasings import DEV, HELD_OUT, HELD_OUT_LATER  # noqa: E402

from vidsense.agent.intents import clauses, labels, normalise, read, score  # noqa: E402


def evaluate(name: str, cases: list[tuple[str, str]], quiet: bool) -> float:
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    misses = []
    for text, want in cases:
        got = labels(read(text))
        seen[want] += 1
        if got == want:
            right[want] += 1
        else:
            misses.append((text, want, got))
    accuracy = sum(right.values()) / len(cases)
    print(f"{name}: {sum(right.values())}/{len(cases)} = {accuracy:.3f}")
    print("  " + ", ".join(f"{k} {right[k]}/{seen[k]}" for k in sorted(seen)))
    if not quiet:
        for text, want, got in misses:
            print(f"  miss: want {want}, got {got}: {text!r}")
            for clause in clauses(normalise(text)):
                totals, fired, _ = score(clause)
                shown = {k: v for k, v in totals.items() if v}
                print(f"        {clause!r}: {shown} {fired}")
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quiet", action="store_true", help="figures only, no misses")
    args = parser.parse_args()
    dev = evaluate("dev", DEV, args.quiet)
    held = evaluate("held-out", HELD_OUT, args.quiet)
    later = evaluate("held-out, written later", HELD_OUT_LATER, args.quiet)
    sets = [(dev, DEV), (held, HELD_OUT), (later, HELD_OUT_LATER)]
    total = sum(a * len(c) for a, c in sets) / sum(len(c) for _, c in sets)
    print(f"overall: {total:.3f}")


if __name__ == "__main__":
    main()
