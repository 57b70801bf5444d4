"""gan_utils.evaluation (category matching, style naming, FID), gan_utils.judge (the independent
classifier) and gan_utils.reports (the report as text)."""

import matplotlib
import numpy as np
import pytest

import gan_utils as gu
from gan_utils import cli
from gan_utils.evaluation import match_categories
from gan_utils.judge import classify_digits, label_accuracy
from gan_utils.measures import slant
from gan_utils.plots import show_confusion, show_style_sweep
from gan_utils.reports import compare_table, format_report
from tests.drawing import sheared_bar


def test_matching_recovers_a_known_permutation():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 2000)
    permutation = rng.permutation(10)  # category c is drawn for digit permutation[c]
    categories = np.argsort(permutation)[labels]
    noisy = categories.copy()
    flip = rng.random(2000) < 0.1
    noisy[flip] = rng.integers(0, 10, flip.sum())
    matched = match_categories(noisy, labels)
    assert matched.category_to_label == {c: int(permutation[c]) for c in range(10)}
    assert matched.accuracy == pytest.approx((noisy == categories).mean(), abs=1e-9)
    assert matched.confusion.sum() == 2000


def test_matching_a_merged_pair_costs_its_share():
    labels = np.repeat(np.arange(3), 100)
    categories = np.where(labels == 2, 1, labels)  # digits 1 and 2 share category 1
    matched = match_categories(categories, labels, k=3)
    assert matched.accuracy == pytest.approx(2 / 3)


def test_matching_bad_input():
    with pytest.raises(ValueError, match="equal, non-empty"):
        match_categories(np.array([], int), np.array([], int))
    with pytest.raises(ValueError, match="categories must be in 0..9"):
        match_categories(np.array([10]), np.array([1]))


def test_shipped_classifier_reads_real_digits():
    mnist = gu.load_mnist("bundled", verbose=False)
    picked = np.arange(0, 5000, 10)  # 500 training digits: it has seen them, so ~all right
    assert (classify_digits(mnist.x_train[picked]) == mnist.y_train[picked]).mean() > 0.97


def test_label_accuracy_of_an_untrained_acgan_is_near_chance():
    model = gu.ACGAN(noise_dim=8)
    assert label_accuracy(model, n=500, seed=0) < 0.3


class ShearingStub:
    """A stand-in generator whose first style code shears a bar and whose second does nothing."""

    num_categories, num_styles, noise_dim = 3, 2, 4

    def generate(self, labels, styles, noise):
        shears = 0.15 * styles[:, 0] + 0.01 * noise[:, 0]
        return np.stack([sheared_bar(float(s)) for s in shears])


def test_style_naming_finds_slant_and_an_idle_code():
    first, second = gu.evaluation.name_style_codes(ShearingStub(), draws=5)
    assert (first.name, first.property) == ("slant", "slant") and first.rho > 0.9
    assert second.name == "style 2" and abs(second.rho) < 0.8


def test_fid_of_real_digits_against_themselves_and_against_noise():
    mnist = gu.load_mnist("bundled", verbose=False)
    digits, other_digits = mnist.x_train[0::10], mnist.x_train[5::10]  # both span all classes
    noise = np.random.default_rng(0).integers(0, 256, (500, 28, 28), dtype=np.uint8)
    assert gu.evaluation.mnist_fid(digits, digits) == pytest.approx(0.0, abs=1e-3)
    assert gu.evaluation.mnist_fid(digits, other_digits) < 0.1 * gu.evaluation.mnist_fid(digits, noise)


def test_figures_draw_from_real_inputs():
    matplotlib.use("Agg")
    confusion = np.diag(np.arange(1, 11)) + 1
    mapping = {c: (c + 1) % 10 for c in range(10)}
    fig = show_confusion(confusion, mapping)
    learned, aligned = fig.axes
    assert [t.get_text() for t in aligned.get_yticklabels()][:2] == ["cat 9", "cat 0"]
    assert len(show_confusion(confusion).axes) == 1
    model = gu.InfoGAN(noise_dim=8)
    sweep = show_style_sweep(model, 0, slant, "slant", n_cols=5)
    xs = sweep.axes[1].lines[0].get_xdata()
    assert list(xs) == [-2.0, -1.0, 0.0, 1.0, 2.0]


def test_diversity_is_zero_for_a_collapsed_label_and_positive_otherwise():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(40, 8))
    labels = np.repeat([0, 1], 20)
    features[labels == 1] = features[0]  # label 1: the same image twenty times
    varied, collapsed = gu.evaluation.diversity(features, labels, 2)
    assert collapsed == 0.0
    assert varied == pytest.approx(4.0, rel=0.25)  # E|x - y| for 8-d unit normals ~ sqrt(16)


def test_collapse_notes_hold_each_label_to_its_own_digit():
    real = [12.0, 7.0] + [14.0] * 8  # real 1s vary about half as much as other digits
    # A 1 as varied as real 1s is fine, though below half the average of all digits (~13).
    assert gu.evaluation.collapse_notes([12.0, 6.8], real, {0: 0, 1: 1}) == []
    notes = gu.evaluation.collapse_notes([12.0, 3.0], real, {0: 0, 1: 1})
    assert notes == ["label 1 may have collapsed (diversity 3.00 vs 7.00 for real 1s)"]
    # InfoGAN: category 0 stands for digit 1 and category 1 for digit 0.
    assert gu.evaluation.collapse_notes([3.0, 12.0], real, {0: 1, 1: 0}) == [
        "label 0 may have collapsed (diversity 3.00 vs 7.00 for real 1s)"]
    # No digit for a label: held to the average of all digits.
    assert gu.evaluation.collapse_notes([6.0], real, {})[0].endswith("vs 13.10 for real digits)")


def infogan_report(**overrides) -> dict:
    report = {"model": "InfoGAN", "n_test": 100, "split": "training", "fid": 20.0,
              "diversity": [10.0, 2.0], "diversity_real": 12.0, "category_accuracy": 0.8,
              "nmi": 0.7, "ari": 0.6, "generated_accuracy": 0.75, "methods_agree": 2,
              "mapping": {"0": 1, "1": 0}, "label_accuracy": None,
              "problems": ["label 1 may have collapsed"],
              "style_codes": [{"index": 0, "name": "slant", "property": "slant", "rho": 0.9}]}
    return {**report, **overrides}


def test_format_report_reads_aligned_and_unaligned_infogan_reports():
    unaligned = format_report(infogan_report())
    assert unaligned.startswith("InfoGAN on 100 training digits")
    assert "(not aligned yet)" in unaligned and "note: label 1 may have collapsed" in unaligned
    assert "style 1: slant" in unaligned
    aligned = format_report(infogan_report(label_accuracy=0.7818))
    assert "0.7818  (stored alignment)" in aligned
    table = compare_table({"model": "ACGAN", "fid": 9.0, "label_accuracy": 0.95},
                          infogan_report(label_accuracy=0.7818))
    assert "0.9500" in table and "0.7818" in table and "slant (+0.90)" in table


def test_moved_names_stay_importable_where_the_notebooks_and_cli_use_them():
    for name in ("classify_digits", "label_accuracy", "load_classifier", "classifier_features"):
        assert getattr(gu.evaluation, name) is getattr(gu.judge, name)
    assert gu.evaluation.format_report is gu.reports.format_report
    assert cli.compare_table is gu.reports.compare_table
