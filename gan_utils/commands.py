"""What the command line's evaluate, compare, align and pack commands do (gan_utils.cli parses
their arguments and prints; train is gan_utils.training.train)."""

from __future__ import annotations

import shutil
from pathlib import Path

from gan_utils.checkpoints import is_half_precision, load
from gan_utils.data import load_mnist
from gan_utils.evaluation import align, evaluation_report, name_styles
from gan_utils.models import InfoGAN
from gan_utils.training import UsageError


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
