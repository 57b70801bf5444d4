"""The ways in: the Python check, the pinned versions, make's learner install, the README's lines.

The README's lines themselves run from nothing in tools/check_install.py (`make test-install`,
run by CI after `make test`): they download TensorFlow, so they are not a test here.
"""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import check_install  # noqa: E402  (a tool script, importable from tools/)
import check_python  # noqa: E402

sys.path.remove(str(ROOT / "tools"))


def pins(text: str) -> dict[str, str]:
    """name -> version of every `name==version` line."""
    return {m.group(1).lower(): m.group(2)
            for m in re.finditer(r"^\s*(?:- )?([A-Za-z0-9_.-]+)==([^\s#]+)", text, re.M)}


@pytest.mark.parametrize("version, system, machine, says", [
    ((3, 14, 0), "Linux", "x86_64", "Python 3.14.0 cannot install the tested TensorFlow 2.21"),
    ((3, 10, 12), "Windows", "AMD64", "Python 3.10.12 cannot install"),
    ((3, 12, 1), "Darwin", "x86_64", "an Intel Mac: TensorFlow stopped at 2.16 there"),
])
def test_an_unsupported_python_gets_one_line_that_says_what_to_use(version, system, machine, says):
    message = check_python.problem(version, system, machine)
    assert says in message and "\n" not in message
    assert "3.11 to 3.13" in message or "Intel Mac" in message


@pytest.mark.parametrize("version, system, machine", [
    ((3, 11, 7), "Linux", "x86_64"), ((3, 13, 0), "Windows", "AMD64"),
    ((3, 12, 4), "Darwin", "arm64")])
def test_a_supported_python_passes(version, system, machine):
    assert check_python.problem(version, system, machine) is None


def test_the_check_runs_as_a_script_and_exits_1_on_a_fake_old_python(tmp_path):
    """The real script under a sitecustomize that makes sys.version_info say 3.9."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys, collections\n"
        "V = collections.namedtuple('V', 'major minor micro releaselevel serial')\n"
        "sys.version_info = V(3, 9, 18, 'final', 0)\n")
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "check_python.py")],
                          capture_output=True, text=True, env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 1
    assert done.stderr.startswith("error: Python 3.9.18 cannot install") and done.stderr.count("\n") == 1


def test_constraints_pin_every_package_the_project_names():
    pinned = pins((ROOT / "constraints.txt").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    named = project["dependencies"] + [d for extra in project["optional-dependencies"].values()
                                       for d in extra if not d.startswith("gan_utils")]
    for requirement in named:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()
        assert name in pinned, f"constraints.txt pins no {name}"


def test_environment_yml_pins_what_the_notebooks_need_at_the_tested_versions():
    """conda and Binder install the same versions as pip with constraints.txt, by name (Binder
    builds the environment before the project is copied in, so no `-e .` there)."""
    conda = (ROOT / "environment.yml").read_text()
    pinned, tested = pins(conda), pins((ROOT / "constraints.txt").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["lab"]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()
        assert pinned.get(name) == tested[name], f"environment.yml: {name}"
    assert "-e ." not in conda.split("dependencies:")[1]
    assert "pip install --no-deps -e ." in (ROOT / "postBuild").read_text()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_installs_the_learners_packages_only():
    """`make -n` prints what make would run: lab installs .[lab] with the pins, and neither the
    test stack nor Chromium; test installs .[dev] and Chromium."""
    lab = subprocess.run(["make", "-n", "-B", "lab"], cwd=ROOT, capture_output=True,
                         text=True).stdout
    assert "-c constraints.txt -e '.[lab]'" in lab
    for absent in ("[dev]", "ensure_chromium", "apt-get", "playwright"):
        assert absent not in lab, absent
    test = subprocess.run(["make", "-n", "-B", "test"], cwd=ROOT, capture_output=True,
                          text=True).stdout
    assert "-c constraints.txt -e '.[dev]'" in test and "ensure_chromium" in test


def test_the_readmes_lines_have_no_shell_syntax_and_use_the_pins():
    lines = check_install.readme_lines((ROOT / "README.md").read_text())
    assert lines[0] == "python3 tools/check_python.py" and lines[-1].endswith("jupyter lab notebooks")
    assert any("-c constraints.txt" in line and '".[lab]"' in line for line in lines)
    for line in lines:
        assert not set(line) & set("&|;$`><*"), line  # each runs as one process, on any shell
