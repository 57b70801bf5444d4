"""pytest's settings for the whole repository: the notebooks under nbval and the tests alike.

Here, at the root, because a conftest.py applies to the folders below it only, and the
notebooks' cells are collected from notebooks/. The tests' fixtures are in tests/conftest.py.
"""

import os
import re

if os.environ.get("PYTEST_XDIST_WORKER"):  # make test: two test processes on two cores, so each
    for _name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(_name, "1")  # (and its notebook kernels) computes on one thread

from pathlib import Path  # noqa: E402  (TensorFlow reads the variables above when it starts)

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent

NBVAL_RUNS = pytest.StashKey[dict]()


def pytest_configure(config):
    """nbval runs the notebooks in read mode: the reader's path, which trains and writes nothing.

    The quick (training) path runs once more in tests/test_notebooks.py.
    """
    os.environ["GAN_TUTORIAL_MODE"] = "read"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def pytest_itemcollected(item):
    """A notebook's cell under nbval is slow (not in make test-fast)."""
    if ".ipynb" in item.nodeid:
        item.add_marker(pytest.mark.slow)


def pytest_collection_modifyitems(config, items):
    """Before nbval runs: note notebooks/'s files, to check after each notebook that read mode
    wrote nothing."""
    if any(".ipynb" in item.nodeid for item in items):
        config.stash[NBVAL_RUNS] = {"mode": os.environ["GAN_TUTORIAL_MODE"],
                                    "before": _files_of(ROOT / "notebooks")}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """In read mode, an nbval cell that trains, or a notebook that wrote a file, fails.

    Read mode is the reader's path: 01 and 02 load the shipped models where they would train
    (their training cell, the one with a TrainingBackup, prints no line of Keras' fit log), and
    no notebook writes anything under notebooks/. nbval compares outputs with the stored
    full-mode ones, which it cannot do for the training cells (their outputs are ignored).
    """
    report = yield
    runs = item.config.stash.get(NBVAL_RUNS, None)
    if runs is None or runs["mode"] != "read" or call.when != "call" or report.failed \
            or not hasattr(item, "test_outputs"):
        return report
    printed = "".join(output.get("text", "") for output in item.test_outputs or [])
    problem = None
    if "TrainingBackup(" in item.cell.source and re.search(r"Epoch \d+/|resuming at", printed):
        problem = f"read mode trained: {printed[:300]!r}"
    if problem is None and _last_cell(item) and _files_of(ROOT / "notebooks") != runs["before"]:
        problem = "read mode wrote or changed files under notebooks/"
    if problem:
        report.outcome, report.longrepr = "failed", f"{item.nodeid}: {problem}"
    return report


def _last_cell(item) -> bool:
    """Whether an nbval item is its notebook's last code cell."""
    cells = [cell for cell in item.parent.nb.cells if cell.cell_type == "code"]
    return bool(cells) and item.cell is cells[-1]
