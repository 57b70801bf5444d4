"""The independent judge: a digit classifier that neither GAN trains with, and what it reads.

It reads generated digits (label_accuracy, judge_confusion, classify_digits) and gives the
features the MNIST FID is measured in (classifier_features). Its architecture (a LeNet-5 layout
with batch norm) and its training recipe (elastic distortions or none, how many epochs) are its
own: the recipe is chosen only by its accuracy on a validation split of the bundled training
digits, never by a GAN's score. The shipped weights and judge.json beside them (recipe, command,
date, and the judge's accuracy on the 10,000 held-out test digits: its ceiling) are rebuilt with
`python -m gan_utils.judge --train-classifier`. See docs/judge.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from pathlib import Path

import h5py
import keras
import numpy as np
from keras import layers
from scipy.ndimage import gaussian_filter, map_coordinates

from gan_utils.data import load_mnist, to_unit_range

CLASSIFIER_DIR = Path(__file__).parent / "pretrained" / "classifier"
WEIGHTS_NAME, INFO_NAME = "classifier.weights.h5", "judge.json"
COMMAND = "python -m gan_utils.judge --train-classifier"
ARCHITECTURE = ("LeNet-5 layout with batch norm: conv 5x5 20 - BN - ReLU - max-pool 2 - "
                "conv 5x5 50 - BN - ReLU - max-pool 2 - dense 120 - BN - ReLU - "
                "dense 84 (features, ReLU) - dense 10")
# What the validation split chooses between: elastic distortions or none, and how long to train.
ELASTIC = {"alpha": 34.0, "sigma": 4.0}  # Simard et al. 2003's values for 28 x 28 digits
CANDIDATE_EPOCHS = (10, 20, 30)
VALIDATION_SHARE = 0.2  # of the training digits, per digit: 1,000 of the bundled 5,000
BATCH_SIZE, LEARNING_RATE, DECAY = 64, 1e-3, 0.9  # the learning rate shrinks 0.9x each epoch
FALLBACK_RECIPE = {"elastic": True, "epochs": 20}  # used only when judge.json is missing

_classifier_cache: dict = {}
_extractor_cache: dict = {}


class JudgeError(ValueError):
    """The judge's weights or judge.json are not what this code builds and reads."""


def build_classifier() -> keras.Sequential:
    """The judge: a LeNet-5-style CNN with batch norm; its 84-wide 'features' layer feeds FID."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(20, 5, use_bias=False, name="judge_conv1"),           # 24 x 24 x 20
        layers.BatchNormalization(name="judge_bn1"),
        layers.ReLU(),
        layers.MaxPooling2D(),                                               # 12 x 12 x 20
        layers.Conv2D(50, 5, use_bias=False, name="judge_conv2"),           # 8 x 8 x 50
        layers.BatchNormalization(name="judge_bn2"),
        layers.ReLU(),
        layers.MaxPooling2D(),                                               # 4 x 4 x 50
        layers.Flatten(),
        layers.Dense(120, use_bias=False, name="judge_dense"),
        layers.BatchNormalization(name="judge_bn3"),
        layers.ReLU(),
        layers.Dense(84, activation="relu", name="features"),
        layers.Dense(10, name="logits"),
    ], name="mnist_judge")


def elastic_distort(images: np.ndarray, rng: np.random.Generator, alpha: float = ELASTIC["alpha"],
                    sigma: float = ELASTIC["sigma"]) -> np.ndarray:
    """Elastic distortions (Simard et al. 2003) of uint8 digits (n, 28, 28): a smooth random warp.

    Every pixel moves by a random field smoothed with a Gaussian of `sigma` pixels and scaled
    by `alpha`; alpha=0 returns the digits unchanged.
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 digits (n, h, w), got {images.dtype} {images.shape}.")
    n, h, w = images.shape
    fields = [gaussian_filter(rng.uniform(-1, 1, images.shape), (0, sigma, sigma),
                              mode="constant") * alpha for _ in range(2)]
    index, rows, cols = np.meshgrid(np.arange(n), np.arange(h), np.arange(w), indexing="ij")
    moved = map_coordinates(images.astype(np.float32),
                            [index, rows + fields[0], cols + fields[1]], order=1,
                            mode="constant", cval=0.0)
    return np.clip(np.rint(moved), 0, 255).astype(np.uint8)


def _compiled_classifier() -> keras.Sequential:
    model = build_classifier()
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _fit(images: np.ndarray, labels: np.ndarray, epochs: int, elastic: bool, seed: int,
         check=None) -> keras.Sequential:
    """Train epoch by epoch (new distortions, smaller steps each epoch); check(model, epoch)."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    model = _compiled_classifier()
    plain = to_unit_range(images)
    for epoch in range(1, epochs + 1):
        model.optimizer.learning_rate.assign(LEARNING_RATE * DECAY ** (epoch - 1))
        x = to_unit_range(elastic_distort(images, rng)) if elastic else plain
        model.fit(x, labels, batch_size=BATCH_SIZE, epochs=1, shuffle=True, verbose=0)
        if check is not None:
            check(model, epoch)
    return model


def _recipe(elastic: bool | None, epochs: int | None) -> tuple[bool, int]:
    """Fill what the caller left out with the shipped judge's recipe (judge.json)."""
    if elastic is None or epochs is None:
        try:
            shipped = judge_info()["recipe"]
        except FileNotFoundError:
            shipped = FALLBACK_RECIPE
        elastic = shipped["elastic"] if elastic is None else elastic
        epochs = shipped["epochs"] if epochs is None else epochs
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a whole number of at least 1, got {epochs!r}.")
    return bool(elastic), epochs


def train_classifier(images: np.ndarray, labels: np.ndarray, epochs: int | None = None,
                     seed: int = 0, elastic: bool | None = None) -> keras.Sequential:
    """Train the judge on uint8 digits; epochs/elastic default to the shipped judge's recipe."""
    elastic, epochs = _recipe(elastic, epochs)
    labels = np.asarray(labels)
    if len(images) != len(labels) or len(images) < BATCH_SIZE:
        raise ValueError(f"need as many labels as digits, at least {BATCH_SIZE}; got "
                         f"{len(images)} digits and {len(labels)} labels.")
    return _fit(np.asarray(images), labels, epochs, elastic, seed)


def validation_split(labels: np.ndarray, share: float = VALIDATION_SHARE,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (fit, validation): `share` of each digit's examples held out, drawn at random."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held = []
    for digit in np.unique(labels):
        where = rng.permutation(np.flatnonzero(labels == digit))
        held.append(where[:round(share * len(where))])
    validation = np.sort(np.concatenate(held))
    return np.setdiff1d(np.arange(len(labels)), validation), validation


def select_recipe(images: np.ndarray, labels: np.ndarray, seed: int = 0,
                  epochs: tuple[int, ...] = CANDIDATE_EPOCHS) -> dict:
    """Choose elastic-or-not and the epochs by accuracy on a validation split of these digits.

    Two trainings on the fit part (with and without elastic distortions), each read on the
    validation part after every epoch count in `epochs`. Ties go to the candidate listed first:
    no distortion before distortion, fewer epochs before more.
    """
    fit, held = validation_split(labels, seed=seed)
    val_x = to_unit_range(images[held])
    candidates = []
    for elastic in (False, True):
        def check(model, epoch, elastic=elastic):
            if epoch in epochs:
                read = model.predict(val_x, batch_size=500, verbose=0).argmax(axis=1)
                candidates.append({"elastic": elastic, "epochs": epoch,
                                   "validation_accuracy": float((read == labels[held]).mean())})
        _fit(images[fit], labels[fit], max(epochs), elastic, seed, check)
    best = max(candidates, key=lambda c: c["validation_accuracy"])  # first of equals wins
    return {"fit_digits": int(len(fit)), "validation_digits": int(len(held)),
            "split": f"{VALIDATION_SHARE:.0%} of each digit's training examples held out "
                     f"(seed {seed}); the test digits are not used",
            "candidates": candidates, "chosen": {"elastic": best["elastic"],
                                                  "epochs": best["epochs"]}}


def _weight_shapes(path: Path) -> list[tuple]:
    """The shapes of the layer variables a .weights.h5 file holds (optimizer state left out)."""
    shapes = []
    with h5py.File(path, "r") as f:
        if "layers" in f:
            f["layers"].visititems(lambda _, item: shapes.append(tuple(item.shape))
                                   if isinstance(item, h5py.Dataset) else None)
    return sorted(shapes)


def load_classifier(path: Path | None = None) -> keras.Sequential:
    """The shipped judge (trained once on the bundled digits), loaded once per path."""
    path = Path(path or CLASSIFIER_DIR / WEIGHTS_NAME)
    if path not in _classifier_cache:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: the judge's weights are missing; rebuild them "
                                    f"with `{COMMAND}`.")
        model = build_classifier()
        mismatch = JudgeError(f"{path}: these weights are not the judge's architecture "
                              f"({ARCHITECTURE.split(':')[0]}); rebuild them with `{COMMAND}`.")
        try:
            stored = _weight_shapes(path)
        except OSError as exc:
            raise JudgeError(f"{path}: not a Keras weights file ({exc}).") from None
        if stored != sorted(tuple(v.shape) for v in model.weights):
            raise mismatch
        try:
            model.load_weights(path)
        except ValueError:
            raise mismatch from None
        _classifier_cache[path] = model
    return _classifier_cache[path]


def judge_info(path: Path | None = None) -> dict:
    """judge.json beside the weights: recipe, command, date and accuracy on held-out test digits."""
    path = Path(path or CLASSIFIER_DIR / INFO_NAME)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the judge's record is missing; rebuild it with "
                                f"`{COMMAND}`.")
    info = json.loads(path.read_text())
    if not isinstance(info.get("test_accuracy"), float) or "recipe" not in info:
        raise JudgeError(f"{path}: no test_accuracy or recipe in it; rebuild it with `{COMMAND}`.")
    return info


def judge_ceiling(path: Path | None = None) -> float:
    """How often the judge reads the 10,000 held-out real test digits right (its ceiling on real digits)."""
    return judge_info(path)["test_accuracy"]


def _as_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    return to_unit_range(images) if images.dtype == np.uint8 else images


def classify_digits(images: np.ndarray, classifier=None) -> np.ndarray:
    """The judge's digit (n,) for images in [-1, 1] (or uint8)."""
    classifier = classifier or load_classifier()
    return classifier.predict(_as_images(images), batch_size=500, verbose=0).argmax(axis=1)


def classifier_features(images: np.ndarray, classifier=None) -> np.ndarray:
    """The judge's 'features' layer (n, 84 for the shipped judge) for images in [-1, 1] or uint8."""
    classifier = classifier or load_classifier()
    if id(classifier) not in _extractor_cache:  # one extractor per classifier, not per call;
        extractor = keras.Model(classifier.inputs, classifier.get_layer("features").output)
        _extractor_cache[id(classifier)] = (classifier, extractor)  # holding it keeps the id unique
    _, extractor = _extractor_cache[id(classifier)]
    return extractor.predict(_as_images(images), batch_size=500, verbose=0)


def judge_confusion(model, n: int = 10_000, seed: int = 0, classifier=None,
                    mapping: dict[int, int] | None = None) -> np.ndarray:
    """Counts (10, 10): row = the digit asked of generate(digits=d), column = the judge's reading.

    n digits are asked, 0..9 in turn. An InfoGAN draws them through its stored alignment, or
    through `mapping` (category -> digit) when given.
    """
    digits = np.arange(n) % model.num_labels
    if mapping is None:
        images = model.generate(digits=digits, seed=seed)
    else:
        category_of = {d: c for c, d in mapping.items()}
        missing = sorted(set(range(model.num_labels)) - set(category_of))
        if missing:
            raise ValueError(f"the mapping draws no category for digit(s) {missing}.")
        images = model.generate(np.array([category_of[d] for d in digits]), seed=seed)
    counts = np.zeros((model.num_labels, 10), np.int64)
    np.add.at(counts, (digits, classify_digits(images, classifier)), 1)
    return counts


def label_accuracy(model, n: int = 10_000, seed: int = 0, classifier=None) -> float:
    """How often the judge reads generate(digits=d) as d (n samples).

    ACGAN's labels are the digits; an InfoGAN must be aligned (its stored mapping is used).
    """
    counts = judge_confusion(model, n=n, seed=seed, classifier=classifier)
    return float(np.trace(counts) / counts.sum())


def train_judge(seed: int = 0, out: Path = CLASSIFIER_DIR, log=print) -> dict:
    """Choose the recipe on a validation split, train on all bundled digits, measure, save both."""
    start = time.perf_counter()
    mnist = load_mnist("bundled", verbose=False)
    log(f"choosing the recipe on a validation split of the {len(mnist.x_train):,} training digits")
    selection = select_recipe(mnist.x_train, mnist.y_train, seed=seed)
    for c in selection["candidates"]:
        log(f"  elastic {'yes' if c['elastic'] else 'no ':<3}  {c['epochs']:>2} epochs: "
            f"validation accuracy {c['validation_accuracy']:.4f}")
    chosen = selection["chosen"]
    log(f"chosen: elastic {chosen['elastic']}, {chosen['epochs']} epochs; training on all digits")
    classifier = train_classifier(mnist.x_train, mnist.y_train, epochs=chosen["epochs"],
                                  seed=seed, elastic=chosen["elastic"])
    accuracy = float((classify_digits(mnist.x_test, classifier) == mnist.y_test).mean())
    info = {
        "command": COMMAND + (f" --seed {seed}" if seed else ""),
        "date": datetime.date.today().isoformat(),
        "architecture": ARCHITECTURE,
        "recipe": {"elastic": chosen["elastic"], "epochs": chosen["epochs"],
                   "elastic_alpha": ELASTIC["alpha"], "elastic_sigma": ELASTIC["sigma"],
                   "batch_size": BATCH_SIZE,
                   "optimizer": f"Adam, learning rate {LEARNING_RATE} x {DECAY} per epoch",
                   "seed": seed},
        "train_data": mnist.source, "train_digits": int(len(mnist.x_train)),
        "selection": selection,
        "test_digits": int(len(mnist.x_test)), "test_accuracy": round(accuracy, 4),
        "seconds": round(time.perf_counter() - start, 1),
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fresh = build_classifier()  # weights only, without the optimizer's state
    fresh.set_weights(classifier.get_weights())
    fresh.save_weights(out / WEIGHTS_NAME)
    (out / INFO_NAME).write_text(json.dumps(info, indent=1) + "\n")
    for cache in (_classifier_cache, _extractor_cache):
        cache.clear()
    log(f"judge reads {accuracy:.4f} of the {len(mnist.x_test):,} held-out test digits right "
        f"({info['seconds'] / 60:.1f} min) -> {out}")
    return info


def main(argv: list[str] | None = None) -> None:
    """`python -m gan_utils.judge --train-classifier [--seed N] [--test-data DIR]`: rebuild it."""
    parser = argparse.ArgumentParser(description="(Re)train the shipped judge (independent "
                                                 "classifier) and record its recipe and ceiling.")
    parser.add_argument("--train-classifier", action="store_true", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-data", help="another folder of held-out IDX digits to read too")
    args = parser.parse_args(argv)
    train_judge(seed=args.seed)
    if args.test_data:
        test = load_mnist(args.test_data, verbose=False)
        accuracy = (classify_digits(test.x_test) == test.y_test).mean()
        print(f"held-out accuracy on {len(test.x_test):,} digits of {test.source}: {accuracy:.4f}")


if __name__ == "__main__":
    main()
