"""Fixtures shared by the test modules, and the summary of why the browser tests were skipped.

Test modules take what they share from here as fixtures; none imports from another. What the
notebooks' nbval run needs (its mode, its groups, what it printed) is in the conftest.py at the
repository's root, which applies to notebooks/ too.
"""

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pytest

import gan_utils as gu

SMALL_NOISE_DIM = 8  # small models: 8 noise values keep a training step fast on a laptop CPU


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="session")
def bundled() -> gu.Mnist:
    """The bundled MNIST (5,000 training digits, the 10,000 test digits), loaded once."""
    return gu.load_mnist("bundled", verbose=False)


@pytest.fixture(scope="session")
def digits(bundled) -> tuple[np.ndarray, np.ndarray]:
    """128 bundled digits and their labels, drawn at random (seed 0): every digit, ~13 of each.

    The bundled digits are sorted by label, so the first 128 would all be zeros. The arrays
    are read-only: every test shares them.
    """
    pick = np.random.default_rng(0).permutation(len(bundled.x_train))[:128]
    x, y = bundled.x_train[pick], bundled.y_train[pick]
    x.flags.writeable = y.flags.writeable = False
    return x, y


def _write_idx(path: Path, array: np.ndarray, magic: int | None = None, gz: bool = False,
               cut: int = 0) -> Path:
    """Write an IDX ubyte file as MNIST does: magic (0, 0, 8, ndim), big-endian dims, bytes."""
    magic = magic if magic is not None else (0x0803 if array.ndim == 3 else 0x0801)
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    raw = raw[: len(raw) - cut] if cut else raw
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(raw)
    return path


@pytest.fixture(scope="session")
def write_idx() -> Callable[..., Path]:
    """write_idx(path, array, magic=None, gz=False, cut=0) -> path: an IDX file as MNIST ships them.

    magic overrides the magic number, gz gzips the file, cut drops that many bytes at the end.
    """
    return _write_idx


@pytest.fixture(scope="session")
def online_mnist_arrays() -> tuple:
    """The 60,000-digit stand-in for keras' MNIST (tests/standin.py), built once, read-only."""
    from tests.standin import online_mnist

    arrays = online_mnist()
    for split in arrays:
        for array in split:
            array.flags.writeable = False
    return arrays


@pytest.fixture
def online_mnist(online_mnist_arrays, monkeypatch) -> tuple:
    """keras.datasets.mnist.load_data returns the 60,000-digit stand-in (and so does the fixture).

    load_mnist("auto") then takes the online path, offline.
    """
    monkeypatch.setattr(keras.datasets.mnist, "load_data",
                        lambda *args, **kwargs: online_mnist_arrays)
    return online_mnist_arrays


# --------------------------------------------------------------------------- models


def _small(model_class: type[keras.Model] = gu.InfoGAN, seed: int = 0, **options) -> keras.Model:
    keras.utils.set_random_seed(seed)
    options.setdefault("noise_dim", SMALL_NOISE_DIM)
    model = model_class(**options)
    model.compile()
    return model


class _RollTwoPixels(keras.layers.Layer):
    """A move with nothing random: every digit two pixels to the right (wrapping round)."""

    def call(self, images, training=None):
        return keras.ops.roll(images, 2, axis=2)


@pytest.fixture
def fixed_moves() -> keras.layers.Layer:
    """A stand-in for InfoGAN.augment that moves each digit the same way every time, so that two
    steps can be compared number for number and the consistency term still has a gradient."""
    return _RollTwoPixels()


@pytest.fixture
def one_fixed_step(digits, fixed_moves) -> Callable[[type], tuple[dict, keras.Model]]:
    """one_fixed_step(model_class): its metrics and the model after one seeded train_step.

    The model has 8 noise values, no batch norm or dropout, and fixed_moves; the batch is 16
    bundled digits with the same digits in reverse order as their neighbours. Two step
    implementations of one recipe must then agree number for number.
    """
    import tensorflow as tf

    images = gu.data.to_unit_range(digits[0][:16])
    batch = {"images": tf.constant(images), "neighbours": tf.constant(images[::-1].copy())}

    def step(model_class: type) -> tuple[dict, keras.Model]:
        keras.utils.set_random_seed(0)
        model = model_class(noise_dim=8, use_bn=False, dropout=0.0)
        model.augment = fixed_moves
        model.compile()
        keras.utils.set_random_seed(1)
        return {k: float(v) for k, v in model.train_step(batch).items()}, model

    return step


@pytest.fixture(scope="session")
def small() -> Callable[..., keras.Model]:
    """small(model_class=gu.InfoGAN, seed=0, **options): a compiled model with 8 noise values.

    Keras' random seed is set first, so the same call builds the same weights.
    """
    return _small


@pytest.fixture
def tiny_npz(tmp_path, digits) -> str:
    """An .npz of the 128 random bundled digits (train) and 40 of them (test), for the CLI."""
    x, y = digits
    np.savez(tmp_path / "tiny.npz", x_train=x, y_train=y, x_test=x[:40], y_test=y[:40])
    return str(tmp_path / "tiny.npz")


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory, digits, bundled) -> str:
    """An .npz of the 128 random bundled training digits and 200 held-out test digits."""
    x, y = digits
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    np.savez(path, x_train=x, y_train=y, x_test=bundled.x_test[:200], y_test=bundled.y_test[:200])
    return str(path)


def _saved_without(knobs: str | tuple[str, ...], model, folder: Path) -> Path:
    model.save(folder, extra={"training": {"seed": 3, "steps": 9, "mode": "full", "seconds": 1.0}})
    meta = json.loads((folder / "config.json").read_text())
    for knob in (knobs,) if isinstance(knobs, str) else knobs:
        del meta["config"][knob]
    (folder / "config.json").write_text(json.dumps(meta))
    return folder


@pytest.fixture(scope="session")
def saved_without() -> Callable[..., Path]:
    """saved_without(knobs, model, folder): model saved as a finished run (seed 3, 9 steps) by
    code that predates the setting(s) `knobs` (their names are missing from its config.json)."""
    return _saved_without


# --------------------------------------------------------------------------- reporting


def pytest_terminal_summary(terminalreporter):
    """Repeat, loudly at the end of the run, why the browser tests were skipped."""
    reasons = set()
    for report in terminalreporter.stats.get("skipped", []):
        if isinstance(report.longrepr, tuple):  # (path, line, "Skipped: reason")
            reason = report.longrepr[2].removeprefix("Skipped: ")
            if reason.startswith("BROWSER TESTS SKIPPED"):
                reasons.add(reason)
    for reason in sorted(reasons):
        terminalreporter.write_line(reason, yellow=True, bold=True)
