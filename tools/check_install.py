"""The README's way in without make, checked from nothing: `make test-install` (CI runs it).

Copies the project's files (git ls-files) into a temporary folder, runs there the README's
macOS/Linux lines exactly as written, one process each and no shell (so no shell syntax can
hide in them), except the last, `jupyter lab notebooks`, a server: in its place the new
environment imports gan_utils, executes notebook 00 in quick mode with its own Jupyter, and
lists its packages, which must hold no test tool and no browser driver (a learner's install).
It downloads TensorFlow again unless pip's cache has it, so `make test` does not run it.

    python tools/check_install.py [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "<!-- macOS and Linux lines: tools/check_install.py runs them -->"
NOT_FOR_LEARNERS = ("pytest", "nbval", "playwright", "pytest-xdist")


def readme_lines(readme: str) -> list[str]:
    """The commands in the fenced block that follows MARK in the README, one per line."""
    after = readme.split(MARK, 1)[1]
    block = re.search(r"```[a-z]*\n(.*?)```", after, re.S)
    if block is None:
        raise ValueError(f"README.md: no fenced block after {MARK!r}")
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def run(line: str | list[str], folder: Path, env: dict | None = None) -> str:
    """Run one command in folder, without a shell; its output, or an error naming it."""
    argv = shlex.split(line) if isinstance(line, str) else line
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True)
    print(f"  {time.perf_counter() - start:6.1f} s  {line if isinstance(line, str) else shlex.join(line)}",
          flush=True)
    if done.returncode:
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    """Run the check; exit code 0 when every line worked, 1 with the failing output when not."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    lines = readme_lines((ROOT / "README.md").read_text())
    *install, last = lines
    if last != ".venv/bin/jupyter lab notebooks":
        raise ValueError(f"the README's last line should open JupyterLab, got {last!r}")
    folder = Path(tempfile.mkdtemp(prefix="gan-tutorial-install-")) / "project"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, folder / name)
    print(f"README's lines in {folder}:")
    start = time.perf_counter()
    try:
        for line in install:
            run(line, folder)
        python = folder / ".venv" / "bin" / "python"
        run([str(python), "-c", "import gan_utils; print(gan_utils.__file__)"], folder)
        env = {**os.environ, "GAN_TUTORIAL_MODE": "quick", "TF_CPP_MIN_LOG_LEVEL": "2"}
        run([str(folder / ".venv" / "bin" / "jupyter"), "nbconvert", "--to", "notebook",
             "--execute", "--output-dir", str(folder.parent), "--ExecutePreprocessor.timeout=600",
             "notebooks/00_data_and_builders.ipynb"], folder, env)
        packages = run([str(python), "-m", "pip", "list", "--format=freeze"], folder).lower()
        extra = [name for name in NOT_FOR_LEARNERS if f"\n{name}==" in f"\n{packages}"]
        if extra:
            raise RuntimeError(f"the learner's install brought test tools: {extra}")
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(folder.parent, ignore_errors=True)
    print(f"the README's way in works: {time.perf_counter() - start:.0f} s from nothing, "
          "notebook 00 ran in quick mode, no test tools installed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
