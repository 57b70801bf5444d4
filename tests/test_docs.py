"""The docs show what the committed result files hold, as the research tools print them."""

import json
from pathlib import Path

from research import ablation, seeds

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"


def stored(name: str):
    """A committed results file (a missing one is an error here, not a skip)."""
    return json.loads((RESULTS / name).read_text())


def test_docs_ablation_table_is_what_the_tool_prints_from_the_committed_file():
    table = ablation.table(stored("ablation.json"))
    assert table.count("\n") == 1 + len(ablation.recipes())  # header, rule, every row
    assert table + "\n\n" in (ROOT / "docs" / "ablation.md").read_text(), \
        "docs/ablation.md's table differs from `python -m research.ablation --table`"


def test_docs_seeds_table_is_what_the_tool_prints_from_the_committed_files():
    printed = seeds.table(stored("seeds.json"), stored("seeds_two_codes.json"), "two style codes")
    rows = printed.split("\n\n")[0]  # the table; the docs word the summary lines themselves
    assert rows.count("\n") == 11 and rows + "\n\n" in (ROOT / "docs" / "recipe.md").read_text(), \
        "docs/recipe.md's seeds table differs from `python -m research.seeds --table --baseline ...`"


def test_every_results_file_is_in_the_index_and_every_indexed_file_exists():
    index = (RESULTS / "README.md").read_text()
    files = sorted(str(p.relative_to(RESULTS)) for p in RESULTS.rglob("*.json"))
    assert files, "no result files"
    for name in files:
        assert f"`{name}`" in index or f"({name})" in index, f"{name} is not in docs/results/README.md"
