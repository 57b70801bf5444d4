"""Measure what a trained GAN learned: InfoGAN's categories against digit labels.

Explained in notebooks/03_acgan_vs_infogan.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from gan_utils.measures import frechet_distance


@dataclass
class Matching:
    """A one-to-one matching of K categories to K labels and how often it is right."""

    accuracy: float
    category_to_label: dict[int, int]
    confusion: np.ndarray  # rows: categories, columns: labels


def confusion_matrix(categories: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Counts (k, k): row = predicted category, column = true label."""
    categories, labels = np.asarray(categories), np.asarray(labels)
    if categories.shape != labels.shape or categories.ndim != 1 or len(labels) == 0:
        raise ValueError(f"need two equal, non-empty 1-D arrays, got {categories.shape} "
                         f"and {labels.shape}.")
    for name, values in (("categories", categories), ("labels", labels)):
        if values.min() < 0 or values.max() >= k:
            raise ValueError(f"{name} must be in 0..{k - 1}, got {values.min()}..{values.max()}.")
    counts = np.zeros((k, k), np.int64)
    np.add.at(counts, (categories, labels), 1)
    return counts


def match_categories(categories: np.ndarray, labels: np.ndarray, k: int = 10) -> Matching:
    """Best one-to-one category->label assignment (Hungarian method) and its accuracy."""
    counts = confusion_matrix(categories, labels, k)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    accuracy = counts[rows, cols].sum() / counts.sum()
    return Matching(float(accuracy), {int(r): int(c) for r, c in zip(rows, cols)}, counts)


def category_accuracy(model, images: np.ndarray, labels: np.ndarray) -> Matching:
    """Q's category on real labelled digits (uint8 or [-1, 1]), matched one-to-one to labels."""
    from gan_utils.data import to_unit_range

    images = to_unit_range(images) if np.asarray(images).dtype == np.uint8 else images
    probs, _ = model.recognize(images)
    return match_categories(probs.argmax(axis=1), labels, model.num_categories)


def align(model, images: np.ndarray, labels: np.ndarray) -> Matching:
    """Match InfoGAN's categories to digits from Q's reading of real labelled digits; store it."""
    matching = category_accuracy(model, images, labels)
    model.set_alignment(matching.category_to_label)
    return matching


# --------------------------------------------------------------------------- independent classifier

CLASSIFIER_DIR = Path(__file__).parent / "pretrained" / "classifier"
_classifier_cache: dict = {}
_extractor_cache: dict = {}


def build_classifier():
    """A small CNN digit classifier, independent of both GANs; its 'features' layer feeds FID."""
    import keras
    from keras import layers

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
    import keras

    from gan_utils.data import make_dataset

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
                                    "with `python -m gan_utils.evaluation --train-classifier`.")
        model = build_classifier()
        model.load_weights(path)
        _classifier_cache[path] = model
    return _classifier_cache[path]


def classify_digits(images: np.ndarray, classifier=None) -> np.ndarray:
    """The independent classifier's digit (n,) for images in [-1, 1] (or uint8)."""
    from gan_utils.data import to_unit_range

    classifier = classifier or load_classifier()
    images = np.asarray(images)
    images = to_unit_range(images) if images.dtype == np.uint8 else images
    return classifier.predict(images, batch_size=500, verbose=0).argmax(axis=1)


def label_accuracy(model, n: int = 10_000, seed: int = 0, classifier=None) -> float:
    """How often the independent classifier reads generate(digits=d) as d (n samples).

    ACGAN's labels are the digits; an InfoGAN must be aligned (its stored mapping is used).
    """
    labels = np.arange(n) % model.num_labels
    images = model.generate(digits=labels, seed=seed)
    return float((classify_digits(images, classifier) == labels).mean())


def _main() -> None:
    import argparse

    from gan_utils.data import load_mnist

    parser = argparse.ArgumentParser(description="(Re)train the shipped independent classifier.")
    parser.add_argument("--train-classifier", action="store_true", required=True)
    parser.add_argument("--test-data", help="folder of held-out IDX digits to report accuracy on")
    args = parser.parse_args()
    train = load_mnist("bundled", verbose=False)
    classifier = train_classifier(train.x_train, train.y_train)
    CLASSIFIER_DIR.mkdir(parents=True, exist_ok=True)
    classifier.save_weights(CLASSIFIER_DIR / "classifier.weights.h5")
    if args.test_data:
        test = load_mnist(args.test_data, verbose=False)
        accuracy = (classify_digits(test.x_test, classifier) == test.y_test).mean()
        print(f"held-out accuracy on {len(test.x_test):,} digits: {accuracy:.4f}")


if __name__ == "__main__":
    _main()


# --------------------------------------------------------------------------- style codes and FID


@dataclass
class StyleCode:
    """What one continuous code controls: the best-correlated image property and its rho."""

    index: int
    name: str  # the property's name when |rho| >= threshold, else "style {index + 1}"
    property: str
    rho: float
    all_rho: dict[str, float]


def name_style_codes(model, limit: float = 2.0, steps: int = 9, draws: int = 40,
                     threshold: float = 0.8, seed: int = 0) -> list[StyleCode]:
    """Sweep each style code over [-limit, limit], others fixed at 0, and name what it moves.

    Each sweep runs over `draws` noise vectors for every category; a code is named after the
    image property (slant, width, thickness) whose Spearman rank correlation with it is
    strongest, provided |rho| >= threshold.
    """
    from gan_utils.measures import PROPERTIES

    rng = np.random.default_rng(seed)
    k, s = model.num_categories, model.num_styles
    values = np.linspace(-limit, limit, steps)
    labels = np.repeat(np.arange(k), draws)
    noise = rng.standard_normal((k * draws, model.noise_dim))
    codes = []
    for index in range(s):
        sweep_images, sweep_values = [], []
        for v in values:
            styles = np.zeros((k * draws, s), np.float32)
            styles[:, index] = v
            sweep_images.append(model.generate(labels, styles=styles, noise=noise))
            sweep_values.append(np.full(k * draws, v))
        images, code_values = np.concatenate(sweep_images), np.concatenate(sweep_values)
        rho = {name: _rank_correlation(code_values, measure(images))
               for name, measure in PROPERTIES.items()}
        best = max(rho, key=lambda name: abs(rho[name]))
        named = abs(rho[best]) >= threshold
        codes.append(StyleCode(index, best if named else f"style {index + 1}", best,
                               rho[best], rho))
    return codes


def name_styles(model, **sweep) -> list[StyleCode]:
    """Name each style code by what it moves and store the names on the model (saved with it)."""
    codes = name_style_codes(model, **sweep)
    model.set_style_names([code.name for code in codes])
    return codes


def _rank_correlation(code_values: np.ndarray, measured: np.ndarray) -> float:
    """Spearman's rho; 0 when the property does not move at all (the code changes nothing)."""
    from scipy.stats import spearmanr

    if np.ptp(measured) == 0:
        return 0.0
    return float(spearmanr(code_values, measured)[0])


def classifier_features(images: np.ndarray, classifier=None) -> np.ndarray:
    """The independent classifier's penultimate features (n, 128) for images in [-1, 1] or uint8."""
    import keras

    from gan_utils.data import to_unit_range

    classifier = classifier or load_classifier()
    images = np.asarray(images)
    images = to_unit_range(images) if images.dtype == np.uint8 else images
    if id(classifier) not in _extractor_cache:  # one extractor per classifier, not per call;
        extractor = keras.Model(classifier.inputs, classifier.get_layer("features").output)
        _extractor_cache[id(classifier)] = (classifier, extractor)  # holding it keeps the id unique
    _, extractor = _extractor_cache[id(classifier)]
    return extractor.predict(images, batch_size=500, verbose=0)


def diversity(features: np.ndarray, labels: np.ndarray, k: int) -> list[float]:
    """Mean pairwise distance between the feature vectors of each label's images (collapse -> 0)."""
    from scipy.spatial.distance import pdist

    out = []
    for label in range(k):
        group = features[labels == label][:500]
        out.append(float(pdist(group).mean()) if len(group) > 1 else 0.0)
    return out


def mnist_fid(images_a: np.ndarray, images_b: np.ndarray, classifier=None) -> float:
    """An "MNIST FID": Fréchet distance of two image sets in the classifier's feature space."""
    return frechet_distance(classifier_features(images_a, classifier),
                            classifier_features(images_b, classifier))


# --------------------------------------------------------------------------- one report


def generated_matching(model, n_per_category: int = 500, seed: int = 0, classifier=None) -> Matching:
    """Method (b): the independent classifier reads digits generated per category; matched 1:1."""
    categories = np.repeat(np.arange(model.num_categories), n_per_category)
    digits = classify_digits(model.generate(categories, seed=seed), classifier)
    return match_categories(categories, digits, model.num_categories)


def evaluate(model, test_images: np.ndarray, test_labels: np.ndarray,
             train_images: np.ndarray | None = None, n_fid: int = 5000, n_label: int = 10_000,
             style_draws: int = 40, seed: int = 0, split: str = "held-out") -> dict:
    """Everything the comparison reports, as one JSON-ready dict (see `python -m gan_utils evaluate`)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from gan_utils.data import to_unit_range

    if len(test_images) == 0:
        raise ValueError("no held-out digits to evaluate on: pass --test-data with a t10k folder.")
    report: dict = {"model": type(model).__name__, "n_test": int(len(test_images)),
                    "split": split}
    k = model.num_labels
    fake_labels = np.arange(n_fid) % k
    fake = model.generate(fake_labels, seed=seed)
    real = to_unit_range(test_images[:n_fid])
    fake_features, real_features = classifier_features(fake), classifier_features(real)
    report["fid"] = round(frechet_distance(fake_features, real_features), 2)
    report["diversity"] = [round(d, 2) for d in diversity(fake_features, fake_labels, k)]
    real_by_digit = diversity(real_features, np.asarray(test_labels[:n_fid]), 10)
    report["diversity_real"] = round(float(np.mean(real_by_digit)), 2)
    if train_images is not None and len(train_images):  # the same source's training digits
        floor_a, floor_b, floor_source = train_images[:n_fid], test_images[:n_fid], "training vs test"
    else:  # no training split given: two halves of the test digits, which share no digit
        half = len(test_images) // 2
        floor_a, floor_b = test_images[:half][:n_fid], test_images[half:][:n_fid]
        floor_source = "two halves of the test digits"
    if min(len(floor_a), len(floor_b)) >= 2:
        report["fid_floor"] = round(mnist_fid(to_unit_range(floor_a), to_unit_range(floor_b)), 2)
        report["fid_floor_source"] = floor_source
    if report["model"] == "ACGAN":
        report["label_accuracy"] = label_accuracy(model, n=n_label, seed=seed)
        report["problems"] = collapse_notes(report["diversity"], real_by_digit,
                                            {label: label for label in range(k)})
        return report
    probs, _ = model.recognize(to_unit_range(test_images))
    predicted = probs.argmax(axis=1)
    by_q = match_categories(predicted, test_labels, k)
    collapsed = collapse_notes(report["diversity"], real_by_digit, by_q.category_to_label)
    by_classifier = generated_matching(model, n_per_category=max(n_label // k, 1), seed=seed)
    report.update(
        category_accuracy=by_q.accuracy,
        nmi=float(normalized_mutual_info_score(test_labels, predicted)),
        ari=float(adjusted_rand_score(test_labels, predicted)),
        mapping={str(c): d for c, d in by_q.category_to_label.items()},
        mapping_by_classifier={str(c): d for c, d in by_classifier.category_to_label.items()},
        methods_agree=sum(by_q.category_to_label[c] == by_classifier.category_to_label[c]
                          for c in range(k)),
        generated_accuracy=by_classifier.accuracy,
        label_accuracy=(label_accuracy(model, n=n_label, seed=seed)  # with the stored mapping
                        if getattr(model, "alignment", None) else None),
        problems=_mapping_problems(by_q.confusion, by_q.category_to_label) + collapsed,
        style_codes=[{"index": s.index, "name": s.name, "property": s.property,
                      "rho": round(s.rho, 3)}
                     for s in name_style_codes(model, draws=style_draws, seed=seed)],
    )
    return report


def collapse_notes(fake_diversity: list[float], real_diversity: list[float],
                   digit_of_label: dict[int, int], threshold: float = 0.5) -> list[str]:
    """Labels whose digits vary less than `threshold` times the real digits they stand for.

    Each label is held to its own digit: real 1s vary about half as much as real 8s.
    """
    notes = []
    for label, varied in enumerate(fake_diversity):
        digit = digit_of_label.get(label)
        reference = real_diversity[digit] if digit is not None else float(np.mean(real_diversity))
        if varied < threshold * reference:
            notes.append(f"label {label} may have collapsed (diversity {varied:.2f} vs "
                         f"{reference:.2f} for real {digit if digit is not None else 'digit'}s)")
    return notes


def _mapping_problems(confusion: np.ndarray, mapping: dict[int, int]) -> list[str]:
    """Plain-language notes on categories that share a digit or mix two digits."""
    notes = []
    for category, row in enumerate(confusion):
        if row.sum() == 0:
            notes.append(f"category {category} is never Q's answer on real digits")
            continue
        shares = row / row.sum()
        for digit in np.argsort(shares)[::-1][:2]:
            if digit != mapping[category] and shares[digit] >= 0.2:
                notes.append(f"category {category} (digit {mapping[category]}) also takes "
                             f"{shares[digit]:.0%} of its digits from {digit}s")
    for digit in range(confusion.shape[1]):
        column = confusion[:, digit]
        if column.sum() and column.max() / column.sum() < 0.6:
            top = np.argsort(column)[::-1][:2]
            notes.append(f"digit {digit} is split between categories {top[0]} and {top[1]}")
    return notes


def format_report(report: dict) -> str:
    """The report as a short readable table."""
    lines = [f"{report['model']} on {report['n_test']:,} {report.get('split', 'held-out')} digits"]
    floor = (f" (real-vs-real floor {report['fid_floor']}: {report['fid_floor_source']})"
             if "fid_floor" in report else "")
    lines.append(f"  MNIST FID                  {report['fid']}{floor}")
    if "diversity" in report:
        lines.append(f"  diversity per label        {min(report['diversity'])}..{max(report['diversity'])}"
                     f"  (real digits {report['diversity_real']}; near 0 = collapse)")
    if report["model"] == "ACGAN":
        lines.append(f"  label accuracy             {report['label_accuracy']:.4f}  "
                     "(independent classifier reads generate(label) as label)")
        return "\n".join(lines + [f"  note: {p}" for p in report.get("problems", [])])
    lines += [
        f"  category accuracy (Q)      {report['category_accuracy']:.4f}  (matched one-to-one)",
        f"  NMI / ARI                  {report['nmi']:.3f} / {report['ari']:.3f}",
        f"  generated accuracy         {report['generated_accuracy']:.4f}  "
        "(classifier on generate(category), matched)",
        f"  methods agree on           {report['methods_agree']} of {len(report['mapping'])} categories",
        "  generate(digits=d) read d  " + (f"{report['label_accuracy']:.4f}  (stored alignment)"
                                          if report.get("label_accuracy") is not None
                                          else "-  (not aligned yet)"),
        "  category -> digit          " + " ".join(f"{c}->{d}" for c, d in report["mapping"].items()),
    ]
    for code in report["style_codes"]:
        lines.append(f"  style {code['index'] + 1}: {code['name']:<10} (rho {code['rho']:+.2f} "
                     f"with {code['property']})")
    lines += [f"  note: {problem}" for problem in report["problems"]]
    return "\n".join(lines)
