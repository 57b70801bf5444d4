"""The online learner's cost beside the offline one: 5,000 bundled digits vs 60,000 keras-sized.

    python tools/bench_online.py [--steps N] [--skip-training]

Offline machines train on the 5,000 bundled digits; a learner online gets keras' 60,000. The
60,000 here are the stand-in of tests/standin.py (the bundled digits, 12 shifted copies each).
Side by side, each in a fresh subprocess so that its peak memory is its own:

- nearest_neighbours(x, k=5), InfoGAN's nearest-neighbour search: its own seconds, and the peak RSS
  of the whole process (TensorFlow's import included);
- the default InfoGAN training run, `python -m gan_utils train infogan --data ... --out ...`
  (with --steps N if given, else the CLI's default): wall clock and peak RSS of the process.

Prints a table, the ratios 60k/5k and whether the same training budget holds within 15%.
Writes only into a temporary folder (the stand-in's .npz, the trained models), removed after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.standin, and gan_utils from this checkout

BUDGET_TOLERANCE = 0.15  # "the same budget": 60k training within 15% of 5k's wall clock

_NEIGHBOURS = """
import json, sys, time
import gan_utils as gu
x = gu.load_mnist(sys.argv[1], verbose=False).x_train
start = time.perf_counter()
found = gu.data.nearest_neighbours(x, k=int(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - start, "digits": len(x)}))
"""


def run_measured(command: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """Run command; its wall seconds, its own peak RSS (MiB), exit status and output."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        "TF_CPP_MIN_LOG_LEVEL": "2"}
    with tempfile.TemporaryFile("w+") as log:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(process.pid, 0)  # this child's rusage, not all children's
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read()
    return seconds, usage.ru_maxrss / 1024, process.returncode, output  # Linux: KiB


def _checked(what: str, rc: int, output: str) -> str:
    """output, or a RuntimeError with its last lines if the subprocess failed."""
    if rc != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise RuntimeError(f"{what} failed (exit status {rc}):\n{tail}")
    return output


def measure_neighbours(source: str, k: int, cwd: Path) -> dict:
    """nearest_neighbours on source's training digits, in a fresh process: seconds, peak MiB."""
    _, peak, rc, output = run_measured([sys.executable, "-c", _NEIGHBOURS, source, str(k)], cwd)
    result = json.loads(_checked(f"nearest_neighbours on {source}", rc, output)
                        .strip().splitlines()[-1])
    return {**result, "peak_mib": peak}


def measure_training(source: str, out: Path, steps: int | None, cwd: Path) -> dict:
    """The CLI's default InfoGAN run on source, in a fresh process: wall seconds, peak MiB."""
    command = [sys.executable, "-m", "gan_utils", "train", "infogan", "--data", source,
               "--out", str(out), "--overwrite"]
    if steps is not None:
        command += ["--steps", str(steps)]
    seconds, peak, rc, output = run_measured(command, cwd)
    _checked(f"training on {source}", rc, output)
    training = json.loads((out / "config.json").read_text()).get("training", {})
    return {"seconds": seconds, "peak_mib": peak, "steps": training.get("steps"),
            "digits": training.get("train_digits")}


def _row(name: str, small: float, large: float, unit: str) -> str:
    """One table row: the 5k and 60k values and their ratio."""
    fmt = "{:,.1f} " + unit if unit == "s" else "{:,.0f} " + unit
    return (f"{name:<34}{fmt.format(small):>16}{fmt.format(large):>18}"
            f"{large / small:>10.2f}x")


def main() -> None:
    """Measure both data sizes and print the table (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None,
                        help="optimizer steps of each training run (default: the CLI's default)")
    parser.add_argument("--skip-training", action="store_true",
                        help="only the nearest-neighbour search, no training runs")
    parser.add_argument("--k", type=int, default=5, help="nearest neighbours per digit (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="the stand-in's seed (default 0)")
    args = parser.parse_args()
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}.")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow's import
    from tests.standin import write_npz

    with tempfile.TemporaryDirectory(prefix="bench_online_") as tmp:
        tmp = Path(tmp)
        sources = {"5k": "bundled", "60k": str(write_npz(tmp / "online60k.npz", args.seed))}
        lines = [f"{'':<34}{'bundled 5,000':>16}{'stand-in 60,000':>18}{'60k/5k':>11}"]
        nn = {size: measure_neighbours(src, args.k, tmp) for size, src in sources.items()}
        lines += [_row(f"nearest_neighbours(k={args.k})", nn["5k"]["seconds"],
                       nn["60k"]["seconds"], "s"),
                  _row("  peak RSS of that process", nn["5k"]["peak_mib"],
                       nn["60k"]["peak_mib"], "MiB")]
        if not args.skip_training:
            run = {size: measure_training(src, tmp / f"infogan_{size}", args.steps, tmp)
                   for size, src in sources.items()}
            steps = "/".join(str(run[size]["steps"]) for size in run)
            lines += [_row(f"train infogan ({steps} steps)", run["5k"]["seconds"],
                           run["60k"]["seconds"], "s"),
                      _row("  peak RSS of that process", run["5k"]["peak_mib"],
                           run["60k"]["peak_mib"], "MiB")]
            ratio = run["60k"]["seconds"] / run["5k"]["seconds"]
            holds = abs(ratio - 1) <= BUDGET_TOLERANCE
            lines.append(f"Same training budget within {BUDGET_TOLERANCE:.0%}: "
                         f"{'yes' if holds else 'NO'} (60k takes {ratio:.2f}x the wall clock "
                         f"of 5k, {run['60k']['peak_mib'] / run['5k']['peak_mib']:.2f}x "
                         "the memory).")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
