"""Before anything is installed: can this Python run the series? One line, and exit code 1 if not.

    python tools/check_python.py

The tested versions in constraints.txt (TensorFlow 2.21, NumPy 2.4) have wheels for CPython
3.11 to 3.13 on Linux, Windows and macOS on Apple silicon. TensorFlow has no wheel for a newer
Python yet, and none after 2.16 for Intel Macs; pip's own error names neither cause.
Standard library only: it runs before pip installs anything.
"""

from __future__ import annotations

import platform
import sys

OLDEST, NEWEST = (3, 11), (3, 13)  # the Pythons constraints.txt has wheels for


def problem(version: tuple[int, ...], system: str, machine: str) -> str | None:
    """Why this interpreter cannot run the tested set, in one line; None when it can."""
    found = ".".join(str(part) for part in version[:3])
    wanted = f"{OLDEST[0]}.{OLDEST[1]} to {NEWEST[0]}.{NEWEST[1]}"
    if tuple(version[:2]) < OLDEST or tuple(version[:2]) > NEWEST:
        return (f"Python {found} cannot install the tested TensorFlow 2.21 and NumPy 2.4: use "
                f"Python {wanted} (python.org, or `conda env create -f environment.yml`, which "
                "brings Python 3.11).")
    if system == "Darwin" and machine == "x86_64":
        return ("an Intel Mac: TensorFlow stopped at 2.16 there, so the tested versions cannot "
                "install; use a Linux or Windows machine, Colab, or an Apple silicon Mac.")
    return None


def main() -> int:
    """Print the verdict for the running interpreter; exit code 0 when it can, 1 when not."""
    found = problem(tuple(sys.version_info), platform.system(), platform.machine())
    if found:
        print(f"error: {found}", file=sys.stderr)
        return 1
    print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}: "
          "supported.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
