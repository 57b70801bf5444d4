"""Command line: `python -m gan_utils train|evaluate|compare ...` (see --help)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from PIL import Image

# ACGAN still improved from 30 to 40 epochs; InfoGAN's categories settle by ~30 epochs, but its
# FID and slant code keep improving to 45 (README, "Why 45 epochs": tools/epoch_curve.py)
DEFAULT_EPOCHS = {"acgan": 60, "infogan": 45}
DEFAULT_BATCH_SIZE = 64


def train(kind: str, out: Path, epochs: int, batch_size: int, seed: int, data: str,
          verbose: int = 2, callbacks: tuple = (), command: str = "",
          model_options: dict | None = None) -> dict:
    """Train one model from scratch; write checkpoint, grid.png, training.gif, history.json.

    callbacks are extra Keras callbacks (e.g. a probe that reads the model between epochs);
    command is the shell command to record in config.json, so the checkpoint says how it was made;
    model_options are constructor arguments that differ from the model's defaults.
    """
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
    model = (ACGAN if kind == "acgan" else InfoGAN)(**(model_options or {}))
    model.compile()
    labels = mnist.y_train if kind == "acgan" else None  # InfoGAN never sees a label
    dataset = make_dataset(mnist.x_train, labels, batch_size=batch_size, seed=seed,
                           neighbours=model.data_neighbours)  # InfoGAN's look-alike pairs
    grids = SampleGrid(seed=seed)
    start = time.perf_counter()
    history = model.fit(dataset, epochs=epochs, verbose=verbose,
                        callbacks=[grids, SafeCheckpoint(out), *callbacks])
    seconds = time.perf_counter() - start
    if model.ema_momentum:  # fit ended by putting G's averaged weights in place: show them last
        grids.add_frame("averaged weights")
    training = {"command": command,
                "seed": seed, "epochs": len(history.history.get("d_loss", [])),
                "batch_size": batch_size, "data": mnist.source,
                "train_digits": int(len(mnist.x_train)), "seconds": round(seconds, 1)}
    model.save(out, extra={"training": training})
    Image.fromarray(grids.frames[-1]).save(out / "grid.png")
    save_gif(grids.frames, out / "training.gif")
    (out / "history.json").write_text(json.dumps(history.history, indent=1) + "\n")
    print(f"{kind}: {training['epochs']} epochs in {seconds / 60:.1f} min -> {out}")
    return training


def evaluate_dir(dirpath: Path, test_data: str, seed: int = 0, **sizes) -> dict:
    """Load a checkpoint and the held-out digits; return the evaluation report."""
    from gan_utils.data import load_mnist
    from gan_utils.evaluation import evaluate
    from gan_utils.models import load

    model = load(dirpath)
    test = load_mnist(test_data, verbose=False)
    if len(test.x_test) == 0:
        raise SystemExit(f"{test_data}: no held-out test digits there. Pass --test-data with a "
                         "folder of t10k-* IDX files (or use 'keras' when online).")
    train = load_mnist("auto", verbose=False)  # for the real-vs-real FID floor
    return evaluate(model, test.x_test, test.y_test, train.x_train, seed=seed, **sizes)


def align_dir(dirpath: Path, data: str) -> None:
    """Store in an InfoGAN checkpoint which digit each category draws and what each style moves."""
    from gan_utils.data import load_mnist
    from gan_utils.evaluation import align, name_styles
    from gan_utils.models import InfoGAN, load

    model = load(dirpath, expect=InfoGAN)
    digits = load_mnist(data, verbose=False)
    matching = align(model, digits.x_train, digits.y_train)
    codes = name_styles(model)
    model.save(dirpath, extra=_saved_extras(model), half_precision=_is_half(dirpath))
    print(f"{dirpath}: categories -> digits {matching.category_to_label} "
          f"(accuracy {matching.accuracy:.4f} on {len(digits.x_train)} {digits.source} digits); "
          f"styles: {[f'{c.name} ({c.property} {c.rho:+.2f})' for c in codes]}")


def _saved_extras(model) -> dict:
    """What a loaded checkpoint's config.json holds beyond what save() writes itself (training)."""
    own = ("format", "model", "config", "alignment", "style_names")
    return {k: v for k, v in model.checkpoint_meta.items() if k not in own}


def _is_half(dirpath: Path) -> bool:
    import h5py

    with h5py.File(dirpath / "generator.weights.h5", "r") as f:
        kinds = set()
        f.visititems(lambda _, item: kinds.add(item.dtype.name)
                     if isinstance(item, h5py.Dataset) else None)
    return "float16" in kinds


def pack(source: Path, target: Path) -> Path:
    """Copy a trained checkpoint at half precision (how the shipped ones are made)."""
    import shutil

    from gan_utils.models import load

    model = load(source)
    model.save(target, extra=_saved_extras(model), half_precision=True)
    if (source / "grid.png").is_file():
        shutil.copy(source / "grid.png", target / "grid.png")
    size = sum(f.stat().st_size for f in target.iterdir() if f.is_file())
    print(f"{source} -> {target}: {size / 2**20:.2f} MB")
    return target


def compare_table(acgan: dict, infogan: dict) -> str:
    """The side-by-side table the comparison notebook shows."""
    def cell(report, key, fmt="{:.4f}"):
        return fmt.format(report[key]) if report.get(key) is not None else "-"

    styles = ", ".join(f"{c['name']} ({c['rho']:+.2f})" for c in infogan.get("style_codes", []))
    rows = [("", "ACGAN", "InfoGAN"),
            ("labels", "real (supervised)", "invented (unsupervised)"),
            ("label accuracy", cell(acgan, "label_accuracy"), cell(infogan, "label_accuracy")),
            ("matched category accuracy", "-", cell(infogan, "category_accuracy")),
            ("MNIST FID (floor)", f"{acgan['fid']} ({acgan.get('fid_floor', '-')})",
             f"{infogan['fid']} ({infogan.get('fid_floor', '-')})"),
            ("style codes", "none", styles or "-")]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b:<20}  {c}" for a, b, c in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gan_utils",
                                     description="Train ACGAN or InfoGAN on MNIST.")
    commands = parser.add_subparsers(dest="command", required=True)
    t = commands.add_parser("train", help="train a model from scratch")
    t.add_argument("model", choices=["acgan", "infogan"])
    t.add_argument("--out", type=Path, required=True, help="folder for checkpoint and pictures")
    t.add_argument("--epochs", type=int, help=f"default: {DEFAULT_EPOCHS}")
    t.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--data", default="auto", help="'auto', 'keras', 'bundled' or a path")
    e = commands.add_parser("evaluate", help="measure what a trained model learned")
    e.add_argument("dir", type=Path)
    e.add_argument("--test-data", default="keras", help="held-out digits: a t10k IDX folder")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--json", action="store_true", help="print one JSON object")
    c = commands.add_parser("compare", help="ACGAN and InfoGAN side by side")
    c.add_argument("acgan_dir", type=Path)
    c.add_argument("infogan_dir", type=Path)
    c.add_argument("--test-data", default="keras")
    a = commands.add_parser("align", help="store an InfoGAN's digit mapping and style names")
    a.add_argument("dir", type=Path)
    a.add_argument("--data", default="auto", help="labelled digits to align on (training split)")
    p = commands.add_parser("pack", help="copy a checkpoint at half precision, for shipping")
    p.add_argument("source", type=Path)
    p.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    if args.command == "train":
        train(args.model, args.out, args.epochs or DEFAULT_EPOCHS[args.model],
              args.batch_size, args.seed, args.data,
              command="python -m gan_utils " + shlex.join(sys.argv[1:] if argv is None else argv))
    elif args.command == "evaluate":
        from gan_utils.evaluation import format_report

        report = evaluate_dir(args.dir, args.test_data, args.seed)
        print(json.dumps(report) if args.json else format_report(report))
    elif args.command == "align":
        align_dir(args.dir, args.data)
    elif args.command == "pack":
        pack(args.source, args.target)
    else:
        print(compare_table(evaluate_dir(args.acgan_dir, args.test_data),
                            evaluate_dir(args.infogan_dir, args.test_data)))


if __name__ == "__main__":
    main()
