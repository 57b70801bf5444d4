"""Words of prose (markdown cells) per notebook, and the longest cell: `python tools/prose_words.py`.

Counts whitespace-separated words of every markdown cell, code cells excluded; the
lesson's target is no prose cell over ~150 words.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def prose_words(path: Path) -> list[int]:
    """Words in each markdown cell of one notebook, in order."""
    cells = json.loads(path.read_text())["cells"]
    return [len("".join(c["source"]).split()) for c in cells if c["cell_type"] == "markdown"]


def main(argv: list[str] | None = None) -> int:
    """Print one line per notebook and the total."""
    paths = [Path(p) for p in (argv or [])] or sorted(NOTEBOOKS.glob("*.ipynb"))
    total = 0
    for path in paths:
        words = prose_words(path)
        total += sum(words)
        print(f"{path.name:<28} {sum(words):>6} words in {len(words):>2} prose cells, longest "
              f"{max(words, default=0):>4}, over 150: {sum(w > 150 for w in words)}, "
              f"{path.stat().st_size / 2**20:.2f} MB")
    print(f"{'total':<28} {total:>6} words")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
