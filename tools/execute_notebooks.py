"""Execute notebooks top to bottom in one fresh kernel each, storing outputs in place.

Used by `make tutorial` to refresh the outputs a reader sees. TensorFlow's C++ start-up
logs would otherwise be captured into the stored outputs (they never appear under nbval),
so the kernel runs with fd capture off.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, timeout: int) -> float:
    """Run one notebook in its own folder and save it; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,  # no diff noise
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    total = 0.0
    for path in sorted(args.notebooks):
        seconds = execute(path, args.timeout)
        total += seconds
        print(f"{path}: {seconds:7.1f} s", flush=True)
    print(f"all {len(args.notebooks)} notebooks: {total:.1f} s "
          f"(mode {os.environ.get('GAN_TUTORIAL_MODE', 'full')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
