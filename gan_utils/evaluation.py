"""Measure what a trained GAN learned: InfoGAN's categories against digit labels.

Matching categories to digits, naming the style codes, FID and diversity, and the report that
`python -m gan_utils evaluate` prints. The independent classifier they read digits with lives
in gan_utils.judge; the report's text layout in gan_utils.reports.
Explained in notebooks/04_acgan_vs_infogan.ipynb.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import spearmanr
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, roc_auc_score

from gan_utils.data import to_unit_range
from gan_utils.fid import FID_DRAWS, MIN_FID_DIGITS, diversity, mnist_fid
from gan_utils.judge import classifier_features, classify_digits, judge_ceiling, judge_confusion
from gan_utils.measures import PROPERTIES, frechet_distance


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


# A category "mixes" a digit that gives it at least this share of its real digits, and a digit
# is "split" when its second category takes this share of its examples: one bar for
# shared_categories, split_digits and the report's problems.
MIXED_SHARE = 0.2


def shared_categories(confusion: np.ndarray, share: float = MIXED_SHARE) -> list[tuple[int, ...]]:
    """Digits that share categories, e.g. [(4, 9), (5, 8)]: each gives `share` or more of one category.

    confusion: counts (categories x labels), as in Matching. A category whose digits come at
    least `share` from each of two labels mixes them, whether the pair fills one category or
    is split over two by some other trait (slant, say); each group is listed once, smallest first.
    """
    counts = np.asarray(confusion, dtype=float)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.sum() == 0:
        raise ValueError(f"need a square, non-empty count matrix, got shape {counts.shape}.")
    groups = set()
    for row in counts:
        if row.sum():
            mixed = tuple(int(label) for label in np.flatnonzero(row / row.sum() >= share))
            if len(mixed) > 1:
                groups.add(mixed)
    return sorted(groups)


def split_digits(images: np.ndarray, categories: np.ndarray, labels: np.ndarray,
                 share: float = MIXED_SHARE) -> list[dict]:
    """Digits whose real examples Q splits over two categories, and which trait splits them.

    For each digit whose second most common category holds `share` or more of that digit's
    examples: the two categories (of equal counts, the lower first), their shares, and for each
    handwriting trait (gan_utils.measures: slant, width, thickness) how well it tells the two
    groups apart, as the area under the ROC curve folded to 0.5 (chance) .. 1 (a clean cut).
    """
    categories, labels = np.asarray(categories), np.asarray(labels)
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share!r}.")
    if not len(images) == len(categories) == len(labels):
        raise ValueError(f"need one category and one label per image, got {len(images)} images, "
                         f"{len(categories)} categories, {len(labels)} labels.")
    found = []
    for digit in np.unique(labels):
        mine = labels == digit
        counts = np.bincount(categories[mine], minlength=max(categories.max() + 1, 2))
        first, second = (int(c) for c in np.argsort(-counts, kind="stable")[:2])
        if counts[second] < share * mine.sum():
            continue
        pair = mine & np.isin(categories, [first, second])
        in_second = categories[pair] == second
        traits = {}
        for name, measure in PROPERTIES.items():
            auc = roc_auc_score(in_second, measure(images[pair]))
            traits[name] = round(float(max(auc, 1 - auc)), 3)
        found.append({"digit": int(digit), "categories": [first, second],
                      "shares": [round(float(counts[c] / mine.sum()), 3) for c in (first, second)],
                      "trait_auc": traits})
    return found


def strongest_trait(split: dict) -> tuple[str, float]:
    """The trait of one split_digits entry that best tells its two categories apart, and its AUC."""
    return max(split["trait_auc"].items(), key=lambda trait: trait[1])


def category_accuracy(model, images: np.ndarray, labels: np.ndarray) -> Matching:
    """Q's category on real labelled digits (uint8 or [-1, 1]), matched one-to-one to labels."""
    if len(images) == 0 or len(labels) == 0:
        raise ValueError("no digits given: Q's categories are matched on labelled images, "
                         f"got {len(images)} images and {len(labels)} labels.")
    images = to_unit_range(images) if np.asarray(images).dtype == np.uint8 else images
    probs, _ = model.recognize(images)
    return match_categories(probs.argmax(axis=1), labels, model.num_categories)


def align(model, images: np.ndarray, labels: np.ndarray) -> Matching:
    """Match InfoGAN's categories to digits from Q's reading of real labelled digits; store it.

    Every digit the mapping names must be among the labels: a category -> digit entry that no
    labelled digit supports would be a guess, so labels missing a digit are refused.
    """
    missing = sorted(set(range(model.num_categories)) - set(np.asarray(labels).tolist()))
    if len(labels) and missing:
        raise ValueError(f"alignment needs labelled examples of every digit; digit(s) {missing} "
                         f"are missing from the {len(labels)} labels given (pass digits of all "
                         f"{model.num_categories}, e.g. a few hundred training digits).")
    matching = category_accuracy(model, images, labels)
    model.set_alignment(matching.category_to_label)
    return matching


def generated_matching(model, n_per_category: int = 500, seed: int = 0, classifier=None) -> Matching:
    """Method (b): the independent classifier reads digits generated per category; matched 1:1."""
    categories = np.repeat(np.arange(model.num_categories), n_per_category)
    digits = classify_digits(model.generate(categories, seed=seed), classifier)
    return match_categories(categories, digits, model.num_categories)


# --------------------------------------------------------------------------- style codes


# A style code is named only when its property moves the same way in at least this share of the
# categories (8 of 10): one strong category, or two halves pulling apart, name nothing.
AGREEING_SHARE = 0.8
NAMING_THRESHOLD = 0.8  # |median rho| a name needs


@dataclass
class StyleCode:
    """What one continuous code controls: the best-correlated image property and its rho.

    rho is the median over categories of Spearman's rho within each category;
    rho_per_category holds those values and categories_agreeing how many share the median's sign.
    """

    index: int
    name: str  # the property when named (see name_style_codes), else "style {index + 1}"
    property: str
    rho: float
    all_rho: dict[str, float]  # the median rho of every property
    rho_per_category: list[float] = field(default_factory=list)
    categories_agreeing: int = 0


def categories_needed(k: int, share: float = AGREEING_SHARE) -> int:
    """How many of k categories must agree in sign for a name: 8 of 10 at the default share."""
    return math.ceil(share * k - 1e-9)


def name_style_codes(model, limit: float | None = None, steps: int = 9, draws: int = 40,
                     threshold: float = NAMING_THRESHOLD, seed: int = 0,
                     share: float = AGREEING_SHARE) -> list[StyleCode]:
    """Sweep each style code over its training range, others fixed at 0, and name what it moves.

    limit: the sweep runs over [-limit, limit], by default the model's style_range (the values
    it trained on). Each sweep runs over `draws` noise vectors in every category. For each image
    property (slant, width, thickness) Spearman's rho between code and property is measured
    within each category and its median over categories taken; the code is named after the
    property with the largest |median rho| when that is >= threshold and at least `share` of
    the categories (categories_needed) have a rho of the median's sign. A name goes to one code
    only: where several pass for the same property, the one with the largest |median rho| takes
    it (the first on a tie) and the others keep their numbers, so no two sliders share a name.
    """
    needed = categories_needed(model.num_categories, share)
    codes = []
    for index in range(model.num_styles):
        per_category = style_sweep_rho(model, np.eye(model.num_styles)[index], limit, steps, draws, seed)
        median = {name: float(np.median(rhos)) for name, rhos in per_category.items()}
        best = max(median, key=lambda name: abs(median[name]))
        agreeing = int(sum(np.sign(r) == np.sign(median[best]) != 0 for r in per_category[best]))
        named = abs(median[best]) >= threshold and agreeing >= needed
        codes.append(StyleCode(index, best if named else f"style {index + 1}", best,
                               median[best], median, per_category[best], agreeing))
    for code in codes:
        rivals = [other for other in codes if other.name == code.name == code.property]
        if rivals and max(rivals, key=lambda other: abs(other.rho)) is not code:
            code.name = f"style {code.index + 1}"  # another code moves this property more
    return codes


def prior_noise(model, rng: np.random.Generator, n: int) -> np.ndarray:
    """n noise rows from the prior the model trained on (its draw_noise; else standard normal)."""
    draw = getattr(model, "draw_noise", None)
    return draw(rng, n) if draw is not None else rng.standard_normal((n, model.noise_dim))


def style_sweep_rho(model, direction: np.ndarray, limit: float | None, steps: int, draws: int,
                    seed: int, properties: dict | None = None) -> dict[str, list[float]]:
    """Move the style codes along `direction` over [-limit, limit]; each property's rho per category.

    The other codes stay at 0; `draws` noise vectors (from seed) per category, the same for every
    direction, so two sweeps differ only in where they go.
    """
    k = model.num_categories
    limit = float(getattr(model, "style_range", 1.0) if limit is None else limit)
    values = np.linspace(-limit, limit, steps)
    labels = np.repeat(np.arange(k), draws)
    noise = prior_noise(model, np.random.default_rng(seed), k * draws)
    images = np.concatenate([
        model.generate(labels, styles=np.tile(v * np.asarray(direction, np.float32),
                                              (k * draws, 1)).astype(np.float32), noise=noise)
        for v in values])
    code_values, categories = np.repeat(values, k * draws), np.tile(labels, steps)
    per_category = {}
    for name, measure in (PROPERTIES if properties is None else properties).items():
        measured = measure(images)
        per_category[name] = [_rank_correlation(code_values[categories == c],
                                                measured[categories == c]) for c in range(k)]
    return per_category


def name_styles(model, **sweep) -> list[StyleCode]:
    """Name each style code by what it moves and store the names on the model (saved with it)."""
    codes = name_style_codes(model, **sweep)
    model.set_style_names([code.name for code in codes])
    return codes


def _rank_correlation(code_values: np.ndarray, measured: np.ndarray) -> float:
    """Spearman's rho; 0 when the property does not move at all (the code changes nothing)."""
    if np.ptp(measured) == 0:
        return 0.0
    return float(spearmanr(code_values, measured)[0])


# --------------------------------------------------------------------------- one report


def evaluation_report(model, test_images: np.ndarray, test_labels: np.ndarray,
             train_images: np.ndarray | None = None, n_fid: int = 10_000, n_label: int = 10_000,
             style_draws: int = 40, seed: int = 0, split: str = "held-out",
             fid_draws: int = FID_DRAWS) -> dict:
    """Everything the comparison reports, as one JSON-ready dict (see `python -m gan_utils evaluate`).

    The headline for both models is label_accuracy: how often the judge reads generate(digits=d)
    as d (an InfoGAN through its stored alignment, else through Q's matching on these digits),
    with judge_confusion (rows: digit asked, columns: the judge's reading) and judge_ceiling
    (the judge's own accuracy on real held-out digits) beside it. See docs/judge.md.

    One definition everywhere (the command line, the README, the notebooks): the FID compares
    the first n_fid held-out digits (all 10,000 test digits by default) with as many generated
    ones, fid_draws times with generated draws of seeds seed, seed + 1, ...; "fid" is the median
    and "fid_range" the lowest and highest.
    """
    if len(test_images) == 0:
        raise ValueError("no held-out digits to evaluate on: pass --test-data with a t10k folder.")
    if not isinstance(fid_draws, int) or fid_draws < 1:
        raise ValueError(f"fid_draws must be a whole number of at least 1, got {fid_draws!r}.")
    report: dict = {"model": type(model).__name__, "n_test": int(len(test_images)),
                    "split": split}
    k = model.num_labels
    real = to_unit_range(test_images[:n_fid])
    fake_labels = np.arange(len(real)) % k  # as many generated digits as real ones
    real_features = classifier_features(real)
    draws = [classifier_features(model.generate(fake_labels, seed=seed + i))
             for i in range(fid_draws)]
    fake_features = draws[0]
    report["fid_digits"] = int(len(real))  # a side
    if len(real) >= MIN_FID_DIGITS:
        fids = [frechet_distance(features, real_features) for features in draws]
        report["fid"] = round(float(np.median(fids)), 2)
        report["fid_range"] = [round(min(fids), 2), round(max(fids), 2)]
        report["fid_draws"] = fid_draws
    else:
        report["fid"] = None
        report["fid_note"] = (f"not measured: an FID needs at least {MIN_FID_DIGITS:,} held-out "
                              f"digits, got {len(real):,}")
    report["diversity"] = [round(d, 2) for d in diversity(fake_features, fake_labels, k)]
    real_by_digit = diversity(real_features, np.asarray(test_labels[:n_fid]), 10)
    report["diversity_real"] = round(float(np.mean(real_by_digit)), 2)
    if train_images is not None and len(train_images):  # the same source's training digits
        pick = np.random.default_rng(seed).permutation(len(train_images))[:n_fid]  # may be sorted
        floor_a, floor_b, floor_source = train_images[pick], test_images[:n_fid], "training vs test"
    else:  # no training split given: two halves of the test digits, which share no digit
        half = len(test_images) // 2
        floor_a, floor_b = test_images[:half][:n_fid], test_images[half:][:n_fid]
        floor_source = "two halves of the test digits"
    if min(len(floor_a), len(floor_b)) >= MIN_FID_DIGITS:
        report["fid_floor"] = round(mnist_fid(to_unit_range(floor_a), to_unit_range(floor_b)), 2)
        report["fid_floor_source"] = floor_source
        report["fid_floor_digits"] = int(min(len(floor_a), len(floor_b)))
    report["judge_ceiling"] = judge_ceiling()
    if report["model"] == "ACGAN":
        confusion = judge_confusion(model, n=n_label, seed=seed)
        report["label_accuracy"] = float(np.trace(confusion) / confusion.sum())
        report["judge_confusion"] = confusion.tolist()
        report["problems"] = collapse_notes(report["diversity"], real_by_digit,
                                            {label: label for label in range(k)})
        return report
    probs, _ = model.recognize(to_unit_range(test_images))
    predicted = probs.argmax(axis=1)
    by_q = match_categories(predicted, test_labels, k)
    collapsed = collapse_notes(report["diversity"], real_by_digit, by_q.category_to_label)
    by_classifier = generated_matching(model, n_per_category=max(n_label // k, 1), seed=seed)
    stored = getattr(model, "alignment", None)  # else: Q's matching on these digits
    confusion = judge_confusion(model, n=n_label, seed=seed,
                                mapping=None if stored else by_q.category_to_label)
    codes = name_style_codes(model, draws=style_draws, seed=seed)
    splits = split_digits(test_images, predicted, test_labels)
    report.update(
        label_accuracy=float(np.trace(confusion) / confusion.sum()),  # the headline: generation
        label_accuracy_mapping="stored" if stored else f"matched by Q on these {split} digits",
        judge_confusion=confusion.tolist(),
        category_accuracy=by_q.accuracy,
        nmi=float(normalized_mutual_info_score(test_labels, predicted)),
        ari=float(adjusted_rand_score(test_labels, predicted)),
        mapping={str(c): d for c, d in by_q.category_to_label.items()},
        mapping_by_classifier={str(c): d for c, d in by_classifier.category_to_label.items()},
        methods_agree=sum(by_q.category_to_label[c] == by_classifier.category_to_label[c]
                          for c in range(k)),
        generated_accuracy=by_classifier.accuracy,
        problems=_mapping_problems(by_q.confusion, by_q.category_to_label, splits) + collapsed,
        split_digits=splits,
        style_codes=[{"index": c.index, "name": c.name, "property": c.property,
                      "rho": round(c.rho, 3),
                      "rho_per_category": [round(r, 3) for r in c.rho_per_category],
                      "categories_agreeing": c.categories_agreeing}
                     for c in codes],
        style_categories_needed=categories_needed(model.num_categories),
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


def _mapping_problems(confusion: np.ndarray, mapping: dict[int, int],
                      splits: Sequence[dict] = ()) -> list[str]:
    """Plain-language notes on categories that share a digit or mix two digits (splits: by what)."""
    notes = []
    for category, row in enumerate(confusion):
        if row.sum() == 0:
            notes.append(f"category {category} is never Q's answer on real digits")
            continue
        shares = row / row.sum()
        for digit in np.argsort(shares)[::-1][:2]:
            if digit != mapping[category] and shares[digit] >= MIXED_SHARE:
                notes.append(f"category {category} (digit {mapping[category]}) also takes "
                             f"{shares[digit]:.0%} of its digits from {digit}s")
    traits = {(split["digit"], *sorted(split["categories"])): strongest_trait(split)
              for split in splits}
    for digit in range(confusion.shape[1]):
        column = confusion[:, digit]
        if column.sum() and column.max() / column.sum() < 0.6:
            top = np.argsort(-column, kind="stable")[:2]
            trait = traits.get((digit, *sorted(int(c) for c in top)))
            notes.append(f"digit {digit} is split between categories {top[0]} and {top[1]}"
                         + (f", best told apart by {trait[0]} (AUC {trait[1]:.2f})" if trait else ""))
    return notes

