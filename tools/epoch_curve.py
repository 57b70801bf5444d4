"""Train InfoGAN exactly as the CLI does and read Q's matched test accuracy every few epochs.

    python tools/epoch_curve.py --seed 2 --test-data ../shared/data/mnist --out runs/curve_s2
    python tools/epoch_curve.py --noise-dim 62 --test-data ../shared/data/mnist --out runs/noise62

Prints one line per probe and writes curve.json beside the checkpoint; with --keep, also a
checkpoint at each probe (e30/, e35/, ...) for `python -m gan_utils evaluate`. This is how the
"Why 45 epochs" table in docs/recipe.md was measured. Reading Q uses no random numbers, so with the
default noise size the final checkpoint is the one `python -m gan_utils train infogan` gives for
the same seed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import keras

from gan_utils.cli import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, train
from gan_utils.data import load_mnist
from gan_utils.evaluation import category_accuracy


class CategoryProbe(keras.callbacks.Callback):
    """Every `every` epochs: Q's category on held-out digits, matched one-to-one to labels."""

    def __init__(self, images, labels, every: int, out: Path, keep: bool):
        super().__init__()
        self.images, self.labels, self.every, self.out, self.keep = images, labels, every, out, keep
        self.rows: list[dict] = []

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        done = epoch + 1
        if done % self.every:
            return
        matching = category_accuracy(self.model, self.images, self.labels)
        self.rows.append({"epoch": done, "category_accuracy": round(matching.accuracy, 4)})
        print(f"epoch {done}: Q's category, matched, {matching.accuracy:.4f}", flush=True)
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "curve.json").write_text(json.dumps(self.rows, indent=1) + "\n")
        if self.keep:
            self.model.save(self.out / f"e{done}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test-data", required=True, help="folder with the t10k-* IDX files")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS["infogan"])
    parser.add_argument("--every", type=int, default=5, help="probe every N epochs (default 5)")
    parser.add_argument("--keep", action="store_true", help="also save a checkpoint at each probe")
    parser.add_argument("--noise-dim", type=int, help="InfoGAN's noise size (default: the model's, 16)")
    args = parser.parse_args()
    if args.every < 1:
        parser.error(f"--every must be at least 1, got {args.every}")
    test = load_mnist(args.test_data, verbose=False)
    if len(test.x_test) == 0:
        parser.error(f"{args.test_data}: no held-out test digits there (t10k-* IDX files)")
    probe = CategoryProbe(test.x_test, test.y_test, args.every, args.out, args.keep)
    options = {} if args.noise_dim is None else {"noise_dim": args.noise_dim}
    train("infogan", args.out, args.epochs, DEFAULT_BATCH_SIZE, args.seed, "bundled",
          callbacks=(probe,), command="python tools/epoch_curve.py " + shlex.join(sys.argv[1:]),
          model_options=options)


if __name__ == "__main__":
    main()
