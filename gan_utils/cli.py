"""Command line: `python -m gan_utils train|evaluate|compare|align|pack ...` (see --help).

It parses the arguments and prints; the work is done by gan_utils.training (train) and
gan_utils.commands (the rest), imported only once the arguments are good, so that --help and a
mistyped argument answer at once, without starting TensorFlow.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import sys
from pathlib import Path

from gan_utils.configs import DEFAULT_BATCH_SIZE, DEFAULT_STEPS


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
    c = commands.add_parser("compare", help="trained models side by side (ACGAN, InfoGANs)")
    c.add_argument("dirs", type=Path, nargs="+", help="two or more checkpoint folders")
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


@contextlib.contextmanager
def _start_up_notices_hidden():
    """Hide what TensorFlow's C++ side prints while it starts (oneDNN, CUDA and CPU-feature
    notices, before its logging reads TF_CPP_MIN_LOG_LEVEL); TF_CPP_MIN_LOG_LEVEL=0 shows them."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        yield
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _run(args: argparse.Namespace, argv: list[str] | None) -> None:
    with _start_up_notices_hidden():  # TensorFlow starts here, and finds its devices
        import tensorflow as tf

        from gan_utils.commands import align_dir, evaluate_dir, pack
        from gan_utils.reports import compare_table, format_report
        from gan_utils.training import UsageError, train

        tf.zeros(1)

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
        if len(args.dirs) < 2:
            raise UsageError("compare needs two or more checkpoint folders.")
        print(compare_table(*(evaluate_dir(d, args.test_data) for d in args.dirs),
                            names=[d.name for d in args.dirs]))


if __name__ == "__main__":
    sys.exit(main())
