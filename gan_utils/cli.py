"""Command line: `python -m gan_utils train|evaluate|compare ...` (see --help)."""

from __future__ import annotations

import argparse
import json
import math
import shlex
import shutil
import sys
import time
from pathlib import Path

import keras
from PIL import Image

from gan_utils.callbacks import SafeCheckpoint, SampleGrid, StopAfterSteps, save_gif
from gan_utils.checkpoints import describe_training, is_half_precision, load, read_meta
from gan_utils.data import load_mnist, make_dataset
from gan_utils.evaluation import align, evaluation_report, name_styles
from gan_utils.models import ACGAN, InfoGAN
from gan_utils.reports import compare_table, format_report

# Training length is a number of optimizer steps, so a run costs the same on the 5,000 bundled
# digits as on keras' 60,000. The budgets were measured as 60 and 45 passes over the bundled
# digits (78 steps each): ACGAN still improved from 30 to 40 passes; InfoGAN's categories settle
# by ~30, its FID and slant code keep improving to 45 (docs/recipe.md, "Why 45 epochs").
DEFAULT_STEPS = {"acgan": 4_680, "infogan": 3_510}
# A Keras epoch here is this many steps, whatever the data's size: grids, checkpoints and the
# history's points come every 78 steps (one pass over the bundled digits at batch 64).
STEPS_PER_EPOCH = 78
DEFAULT_BATCH_SIZE = 64


class UsageError(ValueError):
    """A command-line request that cannot be carried out as given (main prints it in one line)."""


def train(kind: str, out: Path, steps: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
          seed: int = 0, data: str = "auto", verbose: int = 2, callbacks: tuple = (),
          command: str = "", model_options: dict | None = None, overwrite: bool = False,
          epochs: int | None = None) -> dict:
    """Train one model from scratch; write checkpoint, grid.png, training.gif, history.json.

    steps: optimizer steps (default DEFAULT_STEPS[kind]), the same work on any data size;
    epochs instead asks for that many passes over the training digits. callbacks are extra
    Keras callbacks (e.g. a probe that reads the model between epochs of STEPS_PER_EPOCH
    steps); command is the shell command to record in config.json; model_options are
    constructor arguments that differ from the model's defaults. A trained model already in
    `out` is only replaced with overwrite=True.
    """
    if steps is not None and epochs is not None:
        raise UsageError("give the training length as steps or as epochs, not both.")
    for name, value in (("steps", steps), ("epochs", epochs), ("batch size", batch_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise UsageError(f"the {name} must be a whole number of at least 1, got {value!r}.")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; give a folder for the checkpoint and pictures.")
    if (out / "config.json").is_file() and not overwrite:
        raise UsageError(f"--out {out} already holds a model ({describe_training(read_meta(out))}); "
                         "choose another folder, or pass --overwrite to replace it.")
    keras.utils.set_random_seed(seed)
    mnist = load_mnist(data)
    if len(mnist.x_train) == 0:
        raise UsageError(f"{data}: no training digits there (only a test split?); "
                         "train on 'auto', 'keras', 'bundled' or a folder with train-* files.")
    if batch_size > len(mnist.x_train):
        raise UsageError(f"--batch-size {batch_size} is larger than the "
                         f"{len(mnist.x_train):,} training digits.")
    if epochs is not None:  # passes over the data: their cost grows with the data's size
        steps = epochs * (len(mnist.x_train) // batch_size)
    steps = steps or DEFAULT_STEPS[kind]
    model = (ACGAN if kind == "acgan" else InfoGAN)(**(model_options or {}))
    model.compile()
    labels = mnist.y_train if kind == "acgan" else None  # InfoGAN never sees a label
    dataset = make_dataset(mnist.x_train, labels, batch_size=batch_size, seed=seed,
                           neighbours=model.data_neighbours)  # InfoGAN's nearest-neighbour pairs
    training = {"command": command, "mode": "full", "seed": seed, "batch_size": batch_size,
                "data": mnist.source, "train_digits": int(len(mnist.x_train)),
                "passes": round(steps * batch_size / len(mnist.x_train), 2)}
    grids = SampleGrid(seed=seed)
    start = time.perf_counter()
    history = fit_steps(model, dataset, steps, verbose=verbose,
                        callbacks=[grids, SafeCheckpoint(out, training=training), *callbacks])
    seconds = time.perf_counter() - start
    if model.ema_momentum:  # fit ended by putting G's averaged weights in place: show them last
        grids.add_frame("averaged weights")
    training.update(seconds=round(seconds, 1))
    model.save(out, training=training)  # save adds the steps the optimizers took
    Image.fromarray(grids.frames[-1]).save(out / "grid.png")
    save_gif(grids.frames, out / "training.gif")
    (out / "history.json").write_text(json.dumps(history.history, indent=1) + "\n")
    done = int(model.d_optimizer.iterations.numpy())
    print(f"{kind}: {done:,} steps ({training['passes']:g} passes over {len(mnist.x_train):,} "
          f"digits) in {seconds / 60:.1f} min -> {out}")
    return read_meta(out)["training"]


def fit_steps(model, dataset, steps: int, verbose: int = 2, callbacks: list | tuple = ()):
    """model.fit for exactly `steps` optimizer steps over the repeated dataset, in epochs of
    STEPS_PER_EPOCH steps (the last one cut short by StopAfterSteps when needed). The dataset
    shuffles itself (make_dataset), so fit is told not to try."""
    return model.fit(dataset.repeat(), epochs=math.ceil(steps / STEPS_PER_EPOCH),
                     steps_per_epoch=min(steps, STEPS_PER_EPOCH), verbose=verbose, shuffle=False,
                     callbacks=[StopAfterSteps(steps), *callbacks])


def evaluate_dir(dirpath: Path, test_data: str, seed: int = 0, expect: str | None = None,
                 **sizes) -> dict:
    """Load a checkpoint and held-out digits; return the evaluation report.

    The real-vs-real FID floor compares the test digits with the training digits of the same
    source or, where it has none, two halves of the test digits.
    """
    model = load(dirpath, expect=expect)
    test = load_mnist(test_data, verbose=False)
    if len(test.x_test) == 0:
        raise UsageError(f"{test_data}: no held-out test digits there ({test.source}). Pass "
                         "--test-data bundled (the shipped test digits), 'keras', or a folder "
                         "of t10k-* IDX files.")
    return evaluation_report(model, test.x_test, test.y_test,
                             test.x_train if len(test.x_train) else None, seed=seed, **sizes)


def align_dir(dirpath: Path, data: str) -> None:
    """Store in an InfoGAN checkpoint which digit each category draws and what each style moves."""
    model = load(dirpath, expect=InfoGAN)
    digits = load_mnist(data, verbose=False)
    if len(digits.x_train) == 0:
        raise UsageError(f"{data}: no labelled training digits there to align on.")
    matching = align(model, digits.x_train, digits.y_train)
    codes = name_styles(model)
    model.save(dirpath, half_precision=is_half_precision(dirpath))  # keeps its training record
    print(f"{dirpath}: categories -> digits {matching.category_to_label} "
          f"(accuracy {matching.accuracy:.4f} on {len(digits.x_train)} {digits.source} digits); "
          f"styles: {[f'{c.name} ({c.property} {c.rho:+.2f})' for c in codes]}")


def pack(source: Path, target: Path) -> Path:
    """Copy a trained checkpoint at half precision (how the shipped ones are made)."""
    if Path(target).resolve() == Path(source).resolve():
        raise UsageError("pack writes a copy: give a target folder other than the source.")
    model = load(source)
    model.save(target, half_precision=True)  # keeps its training record
    if (source / "grid.png").is_file():
        shutil.copy(source / "grid.png", target / "grid.png")
    size = sum(f.stat().st_size for f in target.iterdir() if f.is_file())
    print(f"{source} -> {target}: {size / 2**20:.2f} MB")
    return target


def _whole_number(low: int, high: int | None = None):
    """An argparse type: a whole number from low (to high); 0 or -3 epochs mean nothing."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value
    return parse


_positive_int, _seed = _whole_number(1), _whole_number(0, 2**32 - 1)


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr (and exit code 2), not the usage."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> int:
    """Run one command; an error prints one line (no traceback) and gives exit code 2."""
    parser = _OneLineParser(prog="python -m gan_utils",
                            description="Train ACGAN or InfoGAN on MNIST.")
    commands = parser.add_subparsers(dest="command", required=True)
    t = commands.add_parser("train", help="train a model from scratch")
    t.add_argument("model", choices=["acgan", "infogan"])
    t.add_argument("--out", type=Path, required=True, help="folder for checkpoint and pictures")
    length = t.add_mutually_exclusive_group()
    length.add_argument("--steps", type=_positive_int,
                        help=f"optimizer steps, the same work on any data size (default: "
                             f"{DEFAULT_STEPS})")
    length.add_argument("--epochs", type=_positive_int,
                        help="passes over the training digits instead (12x the work on 60,000 "
                             "digits as on 5,000)")
    t.add_argument("--batch-size", type=_positive_int, default=DEFAULT_BATCH_SIZE)
    t.add_argument("--seed", type=_seed, default=0)
    t.add_argument("--data", default="auto", help="'auto', 'keras', 'bundled' or a path")
    t.add_argument("--overwrite", action="store_true", help="replace a model already in --out")
    e = commands.add_parser("evaluate", help="measure what a trained model learned")
    e.add_argument("dir", type=Path)
    e.add_argument("--test-data", default="bundled",
                   help="held-out digits: 'bundled' (the shipped 10,000 test digits, default), "
                        "'keras' or a folder of t10k-* IDX files")
    e.add_argument("--seed", type=_seed, default=0)
    e.add_argument("--json", action="store_true", help="print one JSON object")
    c = commands.add_parser("compare", help="ACGAN and InfoGAN side by side")
    c.add_argument("acgan_dir", type=Path)
    c.add_argument("infogan_dir", type=Path)
    c.add_argument("--test-data", default="bundled", help="held-out digits, as for evaluate")
    a = commands.add_parser("align", help="store an InfoGAN's digit mapping and style names")
    a.add_argument("dir", type=Path)
    a.add_argument("--data", default="auto", help="labelled digits to align on (training split)")
    p = commands.add_parser("pack", help="copy a checkpoint at half precision, for shipping")
    p.add_argument("source", type=Path)
    p.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    try:
        _run(args, argv)
    except (ValueError, OSError) as exc:  # CheckpointError, MnistDataError, UsageError, ...
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _run(args: argparse.Namespace, argv: list[str] | None) -> None:
    if args.command == "train":
        train(args.model, args.out, args.steps, args.batch_size, args.seed, args.data,
              epochs=args.epochs, overwrite=args.overwrite,
              command="python -m gan_utils " + shlex.join(sys.argv[1:] if argv is None else argv))
    elif args.command == "evaluate":
        report = evaluate_dir(args.dir, args.test_data, args.seed)
        print(json.dumps(report) if args.json else format_report(report))
    elif args.command == "align":
        align_dir(args.dir, args.data)
    elif args.command == "pack":
        pack(args.source, args.target)
    else:
        print(compare_table(evaluate_dir(args.acgan_dir, args.test_data, expect="ACGAN"),
                            evaluate_dir(args.infogan_dir, args.test_data, expect="InfoGAN")))


if __name__ == "__main__":
    sys.exit(main())
