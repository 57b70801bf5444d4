"""gan_utils.evaluation (category matching, style naming, FID), gan_utils.judge (the independent
classifier) and gan_utils.reports (the report as text)."""


import matplotlib
import numpy as np
import pytest

import gan_utils as gu
from gan_utils.evaluation import match_categories
from gan_utils.judge import label_accuracy
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


def test_shared_categories_names_the_merged_digits():
    labels = np.repeat(np.arange(10), 100)
    categories = labels.copy()
    categories[labels == 9] = 4  # 9s filed with the 4s
    categories[labels == 8] = 5  # 8s with the 5s ...
    categories[(labels == 1) & (np.arange(1000) % 2 == 0)] = 9  # ... and the 1s split in two
    categories[(labels == 3) & (np.arange(1000) % 10 < 3)] = 8  # 30% of the 3s elsewhere: not merged
    confusion = match_categories(categories, labels).confusion
    assert gu.evaluation.shared_categories(confusion) == [(4, 9), (5, 8)]
    assert gu.evaluation.shared_categories(np.eye(10) * 50) == []
    halves = np.eye(10) * 100  # 7s and 9s split over two categories by slant, half and half
    halves[7, 7] = halves[7, 9] = halves[9, 7] = halves[9, 9] = 50
    assert gu.evaluation.shared_categories(halves) == [(7, 9)]
    assert gu.evaluation.shared_categories(halves, share=0.6) == []
    with pytest.raises(ValueError, match="square, non-empty"):
        gu.evaluation.shared_categories(np.zeros((10, 10)))


def test_split_digits_names_the_trait_that_splits_a_digit(bundled):
    images, labels = bundled.x_test[:2000], bundled.y_test[:2000]
    categories = labels.copy()
    sevens = labels == 7
    leaning = gu.measures.slant(images) > np.median(gu.measures.slant(images[sevens]))
    categories[sevens & leaning] = 9  # the slanted 7s filed with the 9s, as a failing seed does
    categories[(labels == 3) & (np.arange(2000) % 10 < 1)] = 8  # 10% of 3s elsewhere: no split
    splits = gu.evaluation.split_digits(images, categories, labels)
    assert [(s["digit"], s["categories"]) for s in splits] == [(7, [7, 9])]
    assert splits[0]["shares"][0] + splits[0]["shares"][1] == pytest.approx(1.0, abs=0.002)
    assert splits[0]["trait_auc"]["slant"] == 1.0  # the slant alone sorts them
    assert 0.5 <= splits[0]["trait_auc"]["thickness"] < 0.75  # ink barely tells them apart
    confusion = match_categories(categories, labels).confusion
    notes = gu.evaluation._mapping_problems(confusion, {c: c for c in range(10)}, splits)
    assert "digit 7 is split between categories 7 and 9, best told apart by slant (AUC 1.00)" in notes
    # every digit in one category (a collapsed Q): nothing split, no crash; ties: lower first
    assert gu.evaluation.split_digits(images, np.zeros(2000, int), labels) == []
    halves = gu.evaluation.split_digits(images[:4], np.array([5, 2, 5, 2]), np.zeros(4, int))
    assert [s["categories"] for s in halves] == [[2, 5]]  # two in each: the lower category first
    with pytest.raises(ValueError, match=r"share must be in \(0, 1\], got 0"):
        gu.evaluation.split_digits(images, categories, labels, share=0)
    with pytest.raises(ValueError, match="one category and one label per image"):
        gu.evaluation.split_digits(images[:10], categories, labels)


def test_matching_bad_input():
    with pytest.raises(ValueError, match="equal, non-empty"):
        match_categories(np.array([], int), np.array([], int))
    with pytest.raises(ValueError, match="categories must be in 0..9"):
        match_categories(np.array([10]), np.array([1]))


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
    assert first.categories_agreeing == 3 and min(first.rho_per_category) > 0.9
    assert second.name == "style 2" and abs(second.rho) < 0.8


class TwoShearStub:
    """Three codes over three categories: codes 1 and 2 both shear the bar, code 2 twice as much;
    code 3 does nothing."""

    num_categories, num_styles, noise_dim = 3, 3, 4

    def generate(self, labels, styles, noise):
        shears = 0.15 * styles[:, 0] + 0.3 * styles[:, 1] + 0.01 * noise[:, 0]
        return np.stack([sheared_bar(float(s)) for s in shears])


def test_a_name_goes_to_one_code_the_one_that_moves_it_most():
    """Two codes that both pass the bar for slant were both named "slant" (two sliders with one
    name in the explorer); the stronger keeps it, the other its number, its rho still reported."""
    weaker, stronger, idle = gu.evaluation.name_style_codes(TwoShearStub(), draws=5)
    assert weaker.property == stronger.property == "slant"
    assert weaker.rho >= 0.8 and weaker.categories_agreeing == 3  # it passes the bar alone ...
    assert stronger.rho > weaker.rho  # ... but code 2 moves slant more
    assert [c.name for c in (weaker, stronger, idle)] == ["style 1", "slant", "style 3"]


class CategoryShearStub:
    """Ten categories of bars, each leaning base[c]; style 1 shears them by gain[c] * 0.3 per
    unit of code, style 2 does nothing. moves_beyond: shear only where |code| > 1, outside the
    training range [-1, 1]. (Upright bars, base 0, widen as much leaning left as right, so the
    code moves no width; leaning bars widen as they lean further.)"""

    num_categories, num_styles, noise_dim, style_range = 10, 2, 4, 1.0

    def __init__(self, gain, base=0.0, moves_beyond=False):
        self.gain, self.moves_beyond = np.asarray(gain, float), moves_beyond
        self.base = np.broadcast_to(np.asarray(base, float), (10,))

    def generate(self, labels, styles, noise):
        code = styles[:, 0]
        if self.moves_beyond:
            code = np.sign(code) * np.maximum(np.abs(code) - 1.0, 0.0)
        shears = self.base[labels] + 0.3 * self.gain[labels] * code + 0.01 * noise[:, 0]
        return np.stack([sheared_bar(float(s)) for s in shears])


def test_a_code_that_moves_slant_in_nine_categories_is_named_slant():
    """Pooled over categories (the old way), each category's own lean hid the code: rho ~0.6."""
    stub = CategoryShearStub(gain=[1] * 9 + [0], base=np.linspace(-0.6, 0.6, 10))
    slanted, idle = gu.evaluation.name_style_codes(stub, draws=5)
    assert (slanted.name, slanted.property) == ("slant", "slant")
    assert slanted.rho > 0.9 and slanted.categories_agreeing == 9
    assert len(slanted.rho_per_category) == 10 and slanted.rho_per_category[9] == 0.0
    assert min(slanted.rho_per_category[:9]) > 0.9
    assert idle.name == "style 2" and idle.categories_agreeing == 0


def test_a_code_that_pulls_slant_both_ways_stays_unnamed():
    stub = CategoryShearStub(gain=[1, -1] * 5)  # five categories lean right with it, five left
    slanted, _ = gu.evaluation.name_style_codes(stub, draws=5)
    assert slanted.name == "style 1" and abs(slanted.rho) < 0.8
    assert slanted.categories_agreeing <= 5
    assert sorted(np.sign(slanted.rho_per_category)) == [-1] * 5 + [1] * 5


def test_a_name_needs_eight_of_ten_categories_not_just_a_strong_median():
    stub = CategoryShearStub(gain=[1] * 7 + [-1] * 3)
    slanted, _ = gu.evaluation.name_style_codes(stub, draws=5)
    assert slanted.rho > 0.9 and slanted.categories_agreeing == 7  # median strong, 7 < 8 agree
    assert slanted.name == "style 1"
    assert gu.evaluation.categories_needed(10) == 8 == round(gu.evaluation.AGREEING_SHARE * 10)


def test_style_codes_are_swept_over_the_training_range_only():
    """A code that moves slant only beyond [-style_range, style_range] moves nothing G was
    trained to draw; the old sweep over [-2, 2] named it slant."""
    stub = CategoryShearStub(gain=[1] * 10, moves_beyond=True)
    inside, _ = gu.evaluation.name_style_codes(stub, draws=5)
    assert inside.name == "style 1" and inside.rho == 0.0
    beyond, _ = gu.evaluation.name_style_codes(stub, draws=5, limit=2.0)
    assert beyond.name == "slant" and beyond.categories_agreeing == 10


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
    learned, aligned = fig.axes[:2]  # then their colour bars
    assert [t.get_text() for t in aligned.get_yticklabels()][:2] == ["cat 9", "cat 0"]
    assert [ax.get_title() for ax in show_confusion(confusion).axes if ax.get_title()] == []
    model = gu.InfoGAN(noise_dim=8)
    sweep = show_style_sweep(model, 0, slant, "slant", n_cols=5)
    xs = sweep.axes[1].lines[0].get_xdata()
    assert list(xs) == [-2.0, -1.0, 0.0, 1.0, 2.0]
    grid_axes = sweep.axes[0]
    assert [t.get_text() for t in grid_axes.get_xticklabels()] == ["-2.0", "-1.0", "+0.0", "+1.0", "+2.0"]
    assert [t.get_text() for t in grid_axes.get_yticklabels()][:2] == ["cat 0", "cat 1"]
    model.set_alignment(mapping)
    aligned = show_style_sweep(model, 0, slant, "slant", n_cols=5).axes[0]
    assert [t.get_text() for t in aligned.get_yticklabels()][9] == "cat 9 = digit 0"


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
    aligned = format_report(infogan_report(label_accuracy=0.7818, label_accuracy_mapping="stored"))
    assert "0.7818  generate(digits=d) read as d; mapping: stored" in aligned
    table = compare_table({"model": "ACGAN", "fid": 9.0, "label_accuracy": 0.95},
                          infogan_report(label_accuracy=0.7818))
    assert "0.9500" in table and "0.7818" in table and "slant (+0.90)" in table


def test_reports_put_generation_first_with_the_judges_ceiling_beside_it():
    confusion = (np.eye(10, dtype=int) * 990).tolist()
    confusion[3][8], confusion[3][3], confusion[9][4], confusion[9][9] = 7, 983, 2, 988
    codes = [{"index": 0, "name": "slant", "property": "slant", "rho": -0.85,
              "rho_per_category": [-0.9] * 9 + [0.1], "categories_agreeing": 9},
             {"index": 1, "name": "style 2", "property": "width", "rho": 0.62,
              "rho_per_category": [0.7] * 7 + [-0.2] * 3, "categories_agreeing": 7}]
    report = infogan_report(label_accuracy=0.9808, label_accuracy_mapping="stored",
                            judge_ceiling=0.9815, judge_confusion=confusion, style_codes=codes,
                            style_categories_needed=8)
    lines = format_report(report).splitlines()
    assert lines[1] == ("  label accuracy             0.9808 (judge reads real test digits at "
                        "0.9815)  generate(digits=d) read as d; mapping: stored")
    assert lines[2].startswith("  category accuracy (Q)      0.8000")  # Q beside it
    assert lines[3] == "  judge misreads             3 as 8: 7 of 990, 9 as 4: 2 of 990"
    assert "0.7500 (judge reads real test digits at 0.9815)" in format_report(report)
    assert lines[-3:-1] == [
        "  style 1: slant      (rho -0.85 with slant: median of 10 categories, 9 agree in sign, "
        "8 needed)",
        "  style 2: style 2    (rho +0.62 with width: median of 10 categories, 7 agree in sign, "
        "8 needed)"]
    acgan = {"model": "ACGAN", "n_test": 100, "fid": 9.0, "label_accuracy": 0.9991,
             "judge_ceiling": 0.9815, "judge_confusion": (np.eye(10, dtype=int) * 5).tolist()}
    assert format_report(acgan).splitlines()[1:3] == [
        "  label accuracy             0.9991 (judge reads real test digits at 0.9815)  "
        "generate(digits=d) read as d",
        "  judge misreads             none"]
    table = compare_table(acgan, report).splitlines()
    assert table[2].split() == ["label", "accuracy", "(judge)", "0.9991", "(on", "real:", "0.9815)",
                                "0.9808", "(on", "real:", "0.9815)"]
    assert table[5].endswith("slant (-0.85, 9 of 10 agree), style 2 (+0.62, 7 of 10 agree)")
    assert table[-1] == ("on real: how often it reads the real held-out test digits right "
                         "(its ceiling)")


@pytest.mark.slow
def test_evaluation_reports_read_both_models_generation_alike(small, bundled):
    pick = np.random.default_rng(1).permutation(10_000)[:100]
    images, labels = bundled.x_test[pick], bundled.y_test[pick]
    sizes = dict(n_fid=100, n_label=200, style_draws=2)
    acgan = gu.evaluation.evaluation_report(small(gu.ACGAN), images, labels, **sizes)
    infogan = small(gu.InfoGAN)
    unaligned = gu.evaluation.evaluation_report(infogan, images, labels, **sizes)
    for report in (acgan, unaligned):
        counts = np.array(report["judge_confusion"])
        assert counts.shape == (10, 10) and counts.sum(axis=1).tolist() == [20] * 10
        assert report["label_accuracy"] == np.trace(counts) / 200
        assert report["judge_ceiling"] == gu.judge.judge_ceiling()
    assert acgan["label_accuracy"] == gu.judge.label_accuracy(small(gu.ACGAN), n=200)
    # unaligned: through Q's matching on these digits, the same one the report's mapping shows
    assert unaligned["label_accuracy_mapping"] == "matched by Q on these held-out digits"
    matched = {int(c): d for c, d in unaligned["mapping"].items()}
    expected = gu.judge.judge_confusion(infogan, n=200, mapping=matched)
    assert unaligned["judge_confusion"] == expected.tolist()
    shuffled = {c: (c + 3) % 10 for c in range(10)}
    infogan.set_alignment(shuffled)
    aligned = gu.evaluation.evaluation_report(infogan, images, labels, **sizes)
    assert aligned["label_accuracy_mapping"] == "stored"
    assert aligned["label_accuracy"] == gu.judge.label_accuracy(infogan, n=200)
    assert aligned["judge_confusion"] == gu.judge.judge_confusion(
        infogan, n=200, mapping=shuffled).tolist()
    assert aligned["style_categories_needed"] == 8
    predicted = infogan.recognize(gu.data.to_unit_range(images))[0].argmax(axis=1)
    assert aligned["split_digits"] == gu.evaluation.split_digits(images, predicted, labels)
    for code in aligned["style_codes"]:
        assert {"index", "name", "property", "rho"} <= set(code)  # what the notebooks read
        assert len(code["rho_per_category"]) == 10
        assert code["rho"] == pytest.approx(np.median(code["rho_per_category"]), abs=1e-3)
        assert code["categories_agreeing"] == sum(
            np.sign(r) == np.sign(code["rho"]) != 0 for r in code["rho_per_category"])




def test_align_refuses_labels_that_miss_a_digit(small, bundled):
    """50 labelled 1s used to give accuracy 1.0 and a full map, nine entries of which no label
    supported: an alignment needs labelled digits of every digit it maps."""
    model = small()
    ones = bundled.x_test[bundled.y_test == 1][:50]
    with pytest.raises(ValueError, match=r"digit\(s\) \[0, 2, 3, 4, 5, 6, 7, 8, 9\] are missing"):
        gu.evaluation.align(model, ones, np.ones(50, np.int64))
    assert model.alignment is None  # nothing stored


def test_category_accuracy_of_no_digits_is_one_clear_error(small):
    empty = np.zeros((0, 28, 28), np.uint8)
    with pytest.raises(ValueError, match="no digits given"):
        gu.evaluation.category_accuracy(small(), empty, np.zeros(0, np.int64))


def test_no_fid_from_fewer_digits_than_it_needs(small, bundled):
    """Three test digits used to give an FID of 166 and a floor of 206: with 84 features an FID
    needs many more digits than that, so below the stated minimum there is none, and the report
    says why and how many digits it had."""
    report = gu.evaluation.evaluation_report(small(gu.ACGAN), bundled.x_test[:3],
                                             bundled.y_test[:3], n_label=100)
    assert report["fid"] is None and "fid_floor" not in report and report["fid_digits"] == 3
    assert report["fid_note"] == ("not measured: an FID needs at least 1,000 held-out digits, "
                                  "got 3")
    assert "MNIST FID                  -  (not measured: an FID needs at least 1,000" in \
        gu.reports.format_report(report)
    enough = gu.evaluation.evaluation_report(small(gu.ACGAN), bundled.x_test[:2000],
                                             bundled.y_test[:2000], n_fid=1000, n_label=100)
    assert enough["fid"] > 0 and enough["fid_digits"] == 1000 and enough["fid_floor"] > 0
    assert enough["fid_floor_source"] == "two halves of the test digits"  # no training split
    assert "on 1,000 digits a side" in gu.reports.format_report(enough)
