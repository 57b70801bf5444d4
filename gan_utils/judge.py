"""The independent judge: a small digit classifier that neither GAN trains with, and what it reads.

It reads generated digits (label_accuracy, classify_digits) and gives the features the MNIST
FID is measured in (classifier_features). The shipped weights are rebuilt with
`python -m gan_utils.judge --train-classifier`. Explained in notebooks/03_acgan_vs_infogan.ipynb.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import keras
import numpy as np
from keras import layers

from gan_utils.data import load_mnist, make_dataset, to_unit_range

CLASSIFIER_DIR = Path(__file__).parent / "pretrained" / "classifier"
_classifier_cache: dict = {}
_extractor_cache: dict = {}


def build_classifier():
    """A small CNN digit classifier, independent of both GANs; its 'features' layer feeds FID."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.RandomTranslation(0.1, 0.1, fill_mode="constant", fill_value=-1.0),
        layers.RandomRotation(0.04, fill_mode="constant", fill_value=-1.0),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.4),
        layers.Dense(128, activation="relu", name="features"),
        layers.Dropout(0.4),
        layers.Dense(10, name="logits"),
    ], name="mnist_classifier")


def train_classifier(images: np.ndarray, labels: np.ndarray, epochs: int = 30, seed: int = 0):
    """Train the independent classifier on uint8 digits (with small shifts and turns)."""
    keras.utils.set_random_seed(seed)
    model = build_classifier()
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(make_dataset(images, labels, batch_size=64, seed=seed), epochs=epochs, verbose=0)
    return model


def load_classifier(path: Path | None = None):
    """The shipped independent classifier (trained once on the bundled digits), loaded once."""
    path = Path(path or CLASSIFIER_DIR / "classifier.weights.h5")
    if path not in _classifier_cache:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: the independent classifier is missing; rebuild it "
                                    "with `python -m gan_utils.judge --train-classifier`.")
        model = build_classifier()
        model.load_weights(path)
        _classifier_cache[path] = model
    return _classifier_cache[path]


def classify_digits(images: np.ndarray, classifier=None) -> np.ndarray:
    """The independent classifier's digit (n,) for images in [-1, 1] (or uint8)."""
    classifier = classifier or load_classifier()
    images = np.asarray(images)
    images = to_unit_range(images) if images.dtype == np.uint8 else images
    return classifier.predict(images, batch_size=500, verbose=0).argmax(axis=1)


def classifier_features(images: np.ndarray, classifier=None) -> np.ndarray:
    """The independent classifier's penultimate features (n, 128) for images in [-1, 1] or uint8."""
    classifier = classifier or load_classifier()
    images = np.asarray(images)
    images = to_unit_range(images) if images.dtype == np.uint8 else images
    if id(classifier) not in _extractor_cache:  # one extractor per classifier, not per call;
        extractor = keras.Model(classifier.inputs, classifier.get_layer("features").output)
        _extractor_cache[id(classifier)] = (classifier, extractor)  # holding it keeps the id unique
    _, extractor = _extractor_cache[id(classifier)]
    return extractor.predict(images, batch_size=500, verbose=0)


def label_accuracy(model, n: int = 10_000, seed: int = 0, classifier=None) -> float:
    """How often the independent classifier reads generate(digits=d) as d (n samples).

    ACGAN's labels are the digits; an InfoGAN must be aligned (its stored mapping is used).
    """
    labels = np.arange(n) % model.num_labels
    images = model.generate(digits=labels, seed=seed)
    return float((classify_digits(images, classifier) == labels).mean())


def main(argv: list[str] | None = None) -> None:
    """`python -m gan_utils.judge --train-classifier [--test-data DIR]`: rebuild the shipped weights."""
    parser = argparse.ArgumentParser(description="(Re)train the shipped independent classifier.")
    parser.add_argument("--train-classifier", action="store_true", required=True)
    parser.add_argument("--test-data", help="folder of held-out IDX digits to report accuracy on")
    args = parser.parse_args(argv)
    train = load_mnist("bundled", verbose=False)
    classifier = train_classifier(train.x_train, train.y_train)
    CLASSIFIER_DIR.mkdir(parents=True, exist_ok=True)
    classifier.save_weights(CLASSIFIER_DIR / "classifier.weights.h5")
    if args.test_data:
        test = load_mnist(args.test_data, verbose=False)
        accuracy = (classify_digits(test.x_test, classifier) == test.y_test).mean()
        print(f"held-out accuracy on {len(test.x_test):,} digits: {accuracy:.4f}")


if __name__ == "__main__":
    main()
