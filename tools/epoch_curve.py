"""Train InfoGAN exactly as the CLI does and read Q's matched test accuracy every few hundred steps.

    python tools/epoch_curve.py --seed 2 --test-data ../shared/data/mnist --out runs/curve_s2
    python tools/epoch_curve.py --noise-dim 62 --test-data ../shared/data/mnist --out runs/noise62
    python tools/epoch_curve.py --seed 2 --set category_warmup_steps=780 --test-data ... --out ...

Prints one line per probe (with the digits that share a category) and writes curve.json beside
the checkpoint; with --keep, also a
checkpoint at each probe (step2340/, step2730/, ...) for `python -m gan_utils evaluate`. This is how the
"Why 45 epochs" table in docs/recipe.md was measured (45 epochs of the bundled digits = 3,510 steps). Reading Q uses no random numbers, so with the
default noise size the final checkpoint is the one `python -m gan_utils train infogan` gives for
the same seed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from gan_utils.callbacks import CategoryProbe
from gan_utils.cli import DEFAULT_BATCH_SIZE, DEFAULT_STEPS, STEPS_PER_EPOCH, train
from gan_utils.data import load_mnist

from runs import setting


class CurveProbe(CategoryProbe):
    """gan_utils' CategoryProbe that also writes curve.json (and, with keep, a checkpoint)."""

    def __init__(self, images, labels, every: int, out: Path, keep: bool):
        super().__init__(images, labels, every, verbose=True)
        self.out, self.keep = out, keep

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        probes = len(self.steps)
        super().on_epoch_end(epoch, logs)
        if len(self.steps) == probes:
            return
        rows = [{"step": s, "category_accuracy": a, "merged": m}
                for s, a, m in zip(self.steps, self.accuracy, self.merged)]
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "curve.json").write_text(json.dumps(rows, indent=1) + "\n")
        if self.keep:
            self.model.save(self.out / f"step{self.steps[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test-data", required=True, help="folder with the t10k-* IDX files")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS["infogan"])
    parser.add_argument("--every", type=int, default=5,
                        help=f"probe every N epochs of {STEPS_PER_EPOCH} steps (default 5)")
    parser.add_argument("--keep", action="store_true", help="also save a checkpoint at each probe")
    parser.add_argument("--noise-dim", type=int, help="InfoGAN's noise size (default: the model's, 16)")
    parser.add_argument("--set", dest="settings", type=setting, action="append", default=[],
                        metavar="NAME=VALUE",
                        help="any other InfoGANConfig setting, e.g. --set category_warmup_steps=780")
    args = parser.parse_args()
    if args.every < 1:
        parser.error(f"--every must be at least 1, got {args.every}")
    test = load_mnist(args.test_data, verbose=False)
    if len(test.x_test) == 0:
        parser.error(f"{args.test_data}: no held-out test digits there (t10k-* IDX files)")
    probe = CurveProbe(test.x_test, test.y_test, args.every, args.out, args.keep)
    options = dict(args.settings)
    if args.noise_dim is not None:
        options["noise_dim"] = args.noise_dim
    train("infogan", args.out, args.steps, DEFAULT_BATCH_SIZE, args.seed, "bundled",
          callbacks=(probe,), command="python tools/epoch_curve.py " + shlex.join(sys.argv[1:]),
          model_options=options)


if __name__ == "__main__":
    main()
