"""A 60,000-digit stand-in for keras.datasets.mnist, made offline from the bundled digits.

A learner online gets keras' 60,000 training digits; offline machines have only the 5,000
bundled ones. online_mnist() makes 60,000 from those: each bundled digit 12 times, each copy
moved by a different small shift (-2..2 pixels in x and y, empty pixels filled with black, so
no ink wraps around), all 60,000 distinct images, shuffled as keras' are; labels carried
along; the 10,000 bundled test digits as the test split. Used by the `online_mnist` fixture
(tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

import gan_utils as gu

COPIES = 12  # 12 x 5,000 bundled digits = 60,000, keras' training set size
MAX_SHIFT = 2  # pixels, in x and in y: 25 possible shifts, 12 drawn for each digit
SHIFTS = [(dy, dx) for dy in range(-MAX_SHIFT, MAX_SHIFT + 1)
          for dx in range(-MAX_SHIFT, MAX_SHIFT + 1)]


def shift(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """images (n, 28, 28) moved dy pixels down and dx right; what moves in is black (0)."""
    out = np.zeros_like(images)
    h, w = images.shape[1:]
    out[:, max(dy, 0): h + min(dy, 0), max(dx, 0): w + min(dx, 0)] = \
        images[:, max(-dy, 0): h + min(-dy, 0), max(-dx, 0): w + min(-dx, 0)]
    return out


def online_mnist(seed: int = 0) -> tuple:
    """keras-style ((x_train, y_train), (x_test, y_test)): 60,000 shifted bundled digits, 10,000 test."""
    bundled = gu.load_mnist("bundled", verbose=False)
    x, y = bundled.x_train, bundled.y_train
    rng = np.random.default_rng(seed)
    # For each digit, COPIES different shifts out of the 25 (a random permutation's first 12).
    chosen = rng.random((len(x), len(SHIFTS))).argsort(axis=1)[:, :COPIES]  # (5000, 12)
    x_train = np.empty((len(x) * COPIES, *x.shape[1:]), np.uint8)
    for s, (dy, dx) in enumerate(SHIFTS):
        digit, copy = np.nonzero(chosen == s)
        x_train[copy * len(x) + digit] = shift(x[digit], dy, dx)
    y_train = np.tile(y, COPIES)
    order = rng.permutation(len(x_train))  # keras' digits are not sorted by label
    x_train, y_train = x_train[order], y_train[order].astype(np.uint8)
    if count_distinct(x_train) != len(x_train):
        raise ValueError(f"the stand-in holds {len(x_train) - count_distinct(x_train)} "
                         "repeated images; every one of the 60,000 should differ.")
    return (x_train, y_train), (bundled.x_test.copy(), bundled.y_test.astype(np.uint8))


def count_distinct(images: np.ndarray) -> int:
    """How many different images there are among images (n, 28, 28), by a hash of each."""
    flat = np.ascontiguousarray(images).reshape(len(images), -1)
    return len({hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in flat})


def write_npz(path: str | os.PathLike, seed: int = 0) -> Path:
    """Save online_mnist(seed) as a keras-style .npz (x_train, y_train, x_test, y_test)."""
    (x_train, y_train), (x_test, y_test) = online_mnist(seed)
    path = Path(path)
    if path.suffix != ".npz":  # np.savez would append .npz, and load_mnist reads by suffix
        raise ValueError(f"{path}: the file name must end in .npz.")
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path
