"""gan_utils.judge: the independent judge, its recorded ceiling and recipe, what it reads."""

import json

import keras
import numpy as np
import pytest
from keras import layers

import gan_utils as gu
from gan_utils import judge


@pytest.fixture(scope="module")
def info() -> dict:
    return judge.judge_info()


def test_the_ceiling_is_what_the_shipped_judge_reads_on_the_held_out_digits(bundled, info):
    read = judge.classify_digits(bundled.x_test)
    measured = (read == bundled.y_test).mean()
    assert len(bundled.x_test) == info["test_digits"] == 10_000
    # rounded to 4 places when recorded; another CPU may round a borderline digit differently
    assert judge.judge_ceiling() == info["test_accuracy"] == pytest.approx(measured, abs=5e-4)
    assert 0.97 < judge.judge_ceiling() < 1.0


def test_the_record_says_how_the_judge_was_made(info):
    assert info["command"].startswith("python -m gan_utils.judge --train-classifier")
    assert info["date"][:2] == "20" and len(info["date"]) == 10  # an ISO date
    assert info["train_digits"] == 5000 and "bundled" in info["train_data"]
    recipe, selection = info["recipe"], info["selection"]
    best = max(c["validation_accuracy"] for c in selection["candidates"])
    chosen = selection["chosen"]
    assert (recipe["elastic"], recipe["epochs"]) == (chosen["elastic"], chosen["epochs"])
    first_best = next(c for c in selection["candidates"] if c["validation_accuracy"] == best)
    assert (first_best["elastic"], first_best["epochs"]) == (chosen["elastic"], chosen["epochs"])
    assert selection["fit_digits"] + selection["validation_digits"] == 5000
    assert "test digits are not used" in selection["split"]


def test_the_judge_is_not_acgans_class_head():
    model = judge.build_classifier()
    kinds = {type(layer).__name__ for layer in model.layers}
    assert not kinds & {"RandomTranslation", "RandomRotation", "RandomZoom"}
    assert "BatchNormalization" in kinds
    assert [layer.kernel_size for layer in model.layers if isinstance(layer, layers.Conv2D)] == [
        (5, 5), (5, 5)]
    assert model.get_layer("features").units == 84 and model.output_shape == (None, 10)
    assert judge.classifier_features(np.zeros((3, 28, 28), np.uint8)).shape == (3, 84)


def old_judge() -> keras.Sequential:
    """The classifier shipped before the judge had a recipe of its own: trained with ACGAN's own shifts and turns."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.RandomTranslation(0.1, 0.1, fill_mode="constant", fill_value=-1.0),
        layers.RandomRotation(0.04, fill_mode="constant", fill_value=-1.0),
        layers.Conv2D(32, 3, activation="relu"), layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(), layers.Flatten(), layers.Dropout(0.4),
        layers.Dense(128, activation="relu", name="features"), layers.Dropout(0.4),
        layers.Dense(10, name="logits"),
    ], name="mnist_classifier")


def test_weights_of_another_architecture_give_one_clear_line(tmp_path):
    path = tmp_path / "classifier.weights.h5"
    old_judge().save_weights(path)
    with pytest.raises(judge.JudgeError) as caught:
        judge.load_classifier(path)
    message = str(caught.value)
    assert "\n" not in message and "not the judge's architecture" in message
    assert "python -m gan_utils.judge --train-classifier" in message
    (tmp_path / "junk.weights.h5").write_bytes(b"not an HDF5 file")
    with pytest.raises(judge.JudgeError, match="not a Keras weights file"):
        judge.load_classifier(tmp_path / "junk.weights.h5")
    with pytest.raises(FileNotFoundError, match="--train-classifier"):
        judge.load_classifier(tmp_path / "missing.weights.h5")


def test_the_judges_own_weights_load_from_another_path(tmp_path):
    path = tmp_path / "copy.weights.h5"
    judge.load_classifier().save_weights(path)
    digits = gu.load_mnist("bundled", verbose=False).x_test[:200]
    copy = judge.load_classifier(path)
    assert copy is not judge.load_classifier()
    np.testing.assert_array_equal(judge.classify_digits(digits, copy),
                                  judge.classify_digits(digits))


def test_a_missing_or_empty_record_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="--train-classifier"):
        judge.judge_ceiling(tmp_path / "judge.json")
    (tmp_path / "judge.json").write_text(json.dumps({"recipe": {}}))
    with pytest.raises(judge.JudgeError, match="no test_accuracy"):
        judge.judge_ceiling(tmp_path / "judge.json")


def test_the_validation_split_holds_out_a_fifth_of_each_digit():
    labels = np.repeat(np.arange(10), [50, 40, 60, 50, 50, 50, 50, 50, 50, 50])
    fit, held = judge.validation_split(labels, seed=3)
    assert len(np.intersect1d(fit, held)) == 0 and len(fit) + len(held) == len(labels)
    assert np.bincount(labels[held]).tolist() == [10, 8, 12, 10, 10, 10, 10, 10, 10, 10]
    again, _ = judge.validation_split(labels, seed=3)
    np.testing.assert_array_equal(fit, again)


def test_elastic_distortion_warps_but_keeps_the_digit(bundled):
    digits = bundled.x_train[::50]  # 100 digits, every kind
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(judge.elastic_distort(digits, rng, alpha=0.0), digits)
    warped = judge.elastic_distort(digits, rng)
    assert warped.dtype == np.uint8 and warped.shape == digits.shape
    changed = (warped != digits).mean(axis=(1, 2))
    assert (changed > 0.02).all()  # every digit moved
    ink = warped.astype(float).sum(axis=(1, 2)) / digits.astype(float).sum(axis=(1, 2))
    assert abs(ink.mean() - 1) < 0.05 and np.abs(ink - 1).max() < 0.4  # ... its ink stays
    held_out = judge.elastic_distort(bundled.x_test[::100], rng)  # digits it never trained on
    assert (judge.classify_digits(held_out) == bundled.y_test[::100]).mean() >= 0.9
    with pytest.raises(ValueError, match="uint8"):
        judge.elastic_distort(digits.astype(np.float32), rng)


class ReplayStub:
    """A 'generator' that draws real held-out digits: digit d for label (d + shift) % 10."""

    num_labels = 10

    def __init__(self, bundled, shift=0):
        self.by_digit = [bundled.x_test[bundled.y_test == d][:100] for d in range(10)]
        self.shift = shift

    def generate(self, labels=None, seed=None, digits=None):
        labels = digits if labels is None else labels
        drawn = [(int(label) - self.shift) % 10 for label in labels]
        seen = dict.fromkeys(range(10), 0)
        images = []
        for d in drawn:
            images.append(self.by_digit[d][seen[d]])
            seen[d] += 1
        return gu.data.to_unit_range(np.stack(images))


def test_judge_confusion_rows_are_the_digits_asked_columns_the_readings(bundled):
    stub = ReplayStub(bundled)
    counts = judge.judge_confusion(stub, n=1000)
    assert counts.shape == (10, 10) and counts.sum(axis=1).tolist() == [100] * 10
    real = np.concatenate(stub.by_digit)
    expected = (judge.classify_digits(real) == np.repeat(np.arange(10), 100)).mean()
    assert np.trace(counts) / 1000 == pytest.approx(expected)
    assert judge.label_accuracy(stub, n=1000) == pytest.approx(expected) and expected > 0.95
    # label c draws digit c - 1: through the matching category -> digit that undoes it, all reads
    # land on the diagonal again; without it, on the diagonal below
    shifted = ReplayStub(bundled, shift=1)
    undone = judge.judge_confusion(shifted, n=1000, mapping={c: (c - 1) % 10 for c in range(10)})
    np.testing.assert_array_equal(undone, counts)
    assert np.trace(judge.judge_confusion(shifted, n=1000)) < 50
    with pytest.raises(ValueError, match=r"no category for digit\(s\) \[9\]"):
        judge.judge_confusion(stub, n=100, mapping={c: c for c in range(9)})


@pytest.mark.slow
def test_choosing_the_recipe_reads_only_the_validation_split(bundled):
    pick = np.random.default_rng(0).permutation(5000)[:800]
    selection = judge.select_recipe(bundled.x_train[pick], bundled.y_train[pick], epochs=(1, 2))
    assert [(c["elastic"], c["epochs"]) for c in selection["candidates"]] == [
        (False, 1), (False, 2), (True, 1), (True, 2)]
    assert selection["fit_digits"] + selection["validation_digits"] == 800
    assert abs(selection["validation_digits"] - 160) <= 5  # a fifth of each digit, rounded
    best = max(selection["candidates"], key=lambda c: c["validation_accuracy"])
    assert selection["chosen"] == {"elastic": best["elastic"], "epochs": best["epochs"]}
    with pytest.raises(ValueError, match="at least 64"):
        judge.train_classifier(bundled.x_train[:10], bundled.y_train[:10], epochs=1)


def test_the_judge_reads_held_out_digits_it_never_trained_on(bundled):
    """500 of the 10,000 test digits, every 20th: the judge was chosen and trained on the bundled
    training digits only, so this is its accuracy on new handwriting (its ceiling is 0.9854)."""
    picked = np.arange(0, 10_000, 20)
    assert (judge.classify_digits(bundled.x_test[picked]) == bundled.y_test[picked]).mean() > 0.97
