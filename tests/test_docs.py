"""The docs show what the committed result files hold, as the research tools print them."""

import json
import re
from pathlib import Path

import pytest

import gan_utils as gu
import gan_utils.checkpoints
import gan_utils.cli
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


SHIPPED = ("acgan", "infogan_paper", "infogan")


def numbers(text: str) -> list[str]:
    """Every number in a text, in order, as printed."""
    return re.findall(r"[-+]?\d[\d,]*(?:\.\d+)?", text)


def close(shown: str, printed: str) -> bool:
    """Two printed numbers agree to one unit of the last digit shown (another processor's
    rounding may move a FID's or an accuracy's last digit by one)."""
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    value = lambda n: float(n.replace(",", ""))  # noqa: E731
    return abs(value(shown) - value(printed)) <= 1.01 * 10 ** -decimals


def readme_compare_block() -> str:
    """The text block under the README's Results heading: what compare printed."""
    results = (ROOT / "README.md").read_text().split("## Results", 1)[1]
    return results.split("```text\n", 1)[1].split("```", 1)[0]


def test_the_readme_names_the_compare_command_it_shows():
    command = "python -m gan_utils compare " + " ".join(f"gan_utils/pretrained/{n}" for n in SHIPPED)
    assert command in (ROOT / "README.md").read_text()
    assert "MNIST FID" in readme_compare_block()


@pytest.mark.slow
def test_the_readmes_results_are_what_compare_prints(capsys):
    """One evaluation everywhere: the README's table is compare's output, number for number."""
    dirs = [str(gu.checkpoints.PRETRAINED_DIR / name) for name in SHIPPED]
    assert gan_utils.cli.main(["compare", *dirs]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    shown = readme_compare_block().strip().splitlines()
    assert [line.split()[0] for line in shown] == [line.split()[0] for line in printed]
    for ours, theirs in zip(shown, printed):
        assert len(numbers(ours)) == len(numbers(theirs)), (ours, theirs)
        assert all(close(a, b) for a, b in zip(numbers(ours), numbers(theirs))), (ours, theirs)


def test_docs_time_to_quality_tables_are_what_the_tool_prints_from_the_committed_file():
    from research import curves_report

    rows = stored("curves.json")["rows"]
    recipe = (ROOT / "docs" / "recipe.md").read_text()
    for model, momentum in (("acgan", gu.ACGANConfig().ema_momentum), ("infogan", None)):
        mine = [r for r in rows if r["model"] == model]
        assert len(mine) >= 3, model
        table = curves_report.curve_table(model, mine, momentum)
        assert table + "\n\n" in recipe, \
            f"docs/recipe.md's {model} curve differs from `python -m research.curves --table`"
