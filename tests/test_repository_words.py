"""The repository speaks of the project only: no issue numbers, work sessions or machine paths."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# what the files may not say (spelled in parts, so this file does not match itself)
FORBIDDEN = {
    "an issue number": re.compile(r"\bissue" + r"s? ?#?\d+", re.IGNORECASE),
    "a work session": re.compile(r"\bsess" + r"ions?\b", re.IGNORECASE),
    "a machine path": re.compile(r"(?<![\w.])/(?:work|tmp|home|root|Users|mnt)/" + r"\w"),
}
# the same letters where an API spells them: pytest's fixture scope, subprocess's keyword
API_SPELLINGS = re.compile(r'scope="sess' + r'ion"|start_new_sess' + r'ion')


def tracked_text_files() -> list[Path]:
    """Every file git tracks that reads as UTF-8 text."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True,
                           text=True).stdout.split("\0")
    files = []
    for name in filter(None, names):
        path = ROOT / name
        try:
            path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # images, weights
        files.append(path)
    return files


def test_the_repository_names_no_issue_numbers_work_sessions_or_machine_paths():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing says which files are the repository's")
    found = []
    for path in tracked_text_files():
        if path == Path(__file__).resolve():
            continue  # this file names what it looks for
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = API_SPELLINGS.sub("", line)
            found += [f"{path.relative_to(ROOT)}:{number}: {what}: {line.strip()[:100]}"
                      for what, pattern in FORBIDDEN.items() if pattern.search(line)]
    assert not found, "\n".join(found)


def test_the_check_finds_what_it_looks_for():
    assert FORBIDDEN["an issue number"].search("as issue " + "19's targets ask")
    assert FORBIDDEN["a work session"].search("across sess" + "ions")
    assert FORBIDDEN["a machine path"].search("--out /wo" + "rk/exp7/cli")
    assert not FORBIDDEN["a machine path"].search("docs/results/work/x and a/tmp/b")
    assert not API_SPELLINGS.sub("", '@pytest.fixture(scope="sess' + 'ion")').count("sess")
