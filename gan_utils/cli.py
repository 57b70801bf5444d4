"""Command line: `python -m gan_utils train {acgan,infogan} --out DIR ...`."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from PIL import Image

DEFAULT_EPOCHS = {"acgan": 30, "infogan": 60}


def train(kind: str, out: Path, epochs: int, batch_size: int, seed: int, data: str,
          verbose: int = 2) -> dict:
    """Train one model from scratch; write checkpoint, grid.png, training.gif, history.json."""
    import keras

    from gan_utils.callbacks import SafeCheckpoint, SampleGrid, save_gif
    from gan_utils.data import load_mnist, make_dataset
    from gan_utils.models import ACGAN, InfoGAN

    if epochs < 1 or batch_size < 1:
        raise SystemExit(f"--epochs and --batch-size must be positive, got {epochs} and {batch_size}.")
    keras.utils.set_random_seed(seed)
    mnist = load_mnist(data)
    if len(mnist.x_train) == 0:
        raise SystemExit(f"{data}: no training digits there (only a test split?); "
                         "train on 'auto', 'keras', 'bundled' or a folder with train-* files.")
    model = ACGAN() if kind == "acgan" else InfoGAN()
    model.compile()
    labels = mnist.y_train if kind == "acgan" else None  # InfoGAN never sees a label
    dataset = make_dataset(mnist.x_train, labels, batch_size=batch_size, seed=seed)
    grids = SampleGrid(seed=seed)
    start = time.perf_counter()
    history = model.fit(dataset, epochs=epochs, verbose=verbose,
                        callbacks=[grids, SafeCheckpoint(out)])
    seconds = time.perf_counter() - start
    training = {"command": "python -m gan_utils " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "",
                "seed": seed, "epochs": len(history.history.get("d_loss", [])),
                "batch_size": batch_size, "data": mnist.source,
                "train_digits": int(len(mnist.x_train)), "seconds": round(seconds, 1)}
    model.save(out, extra={"training": training})
    Image.fromarray(grids.frames[-1]).save(out / "grid.png")
    save_gif(grids.frames, out / "training.gif")
    (out / "history.json").write_text(json.dumps(history.history, indent=1) + "\n")
    print(f"{kind}: {training['epochs']} epochs in {seconds / 60:.1f} min -> {out}")
    return training


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gan_utils",
                                     description="Train ACGAN or InfoGAN on MNIST.")
    commands = parser.add_subparsers(dest="command", required=True)
    t = commands.add_parser("train", help="train a model from scratch")
    t.add_argument("model", choices=["acgan", "infogan"])
    t.add_argument("--out", type=Path, required=True, help="folder for checkpoint and pictures")
    t.add_argument("--epochs", type=int, help=f"default: {DEFAULT_EPOCHS}")
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--data", default="auto", help="'auto', 'keras', 'bundled' or a path")
    args = parser.parse_args(argv)
    if args.command == "train":
        train(args.model, args.out, args.epochs or DEFAULT_EPOCHS[args.model],
              args.batch_size, args.seed, args.data)


if __name__ == "__main__":
    main()
