"""gan_utils.measures: image properties with known answers, and the Fréchet distance."""

import numpy as np
import pytest

from gan_utils.measures import frechet_distance, slant, thickness, width
from tests.drawing import sheared_bar


def test_slant_sign_and_order_of_sheared_bars():
    bars = np.stack([sheared_bar(s) for s in (-0.4, 0.0, 0.4)])
    measured = slant(bars)
    assert measured[0] < -0.2 and abs(measured[1]) < 0.05 and measured[2] > 0.2
    assert measured[2] == pytest.approx(0.4, abs=0.05)  # the shear it was drawn with


def test_width_and_thickness_grow_as_expected():
    thin, thick = sheared_bar(0.0, 0), sheared_bar(0.0, 2)
    assert width(np.stack([thin, thick])).tolist() == pytest.approx([0.0, np.sqrt(2.0)], abs=1e-6)
    assert thickness(np.stack([thin, thick])).tolist() == [20.0, 100.0]
    as_floats = np.stack([thin, thick]).astype(np.float32) / 127.5 - 1
    assert thickness(as_floats).tolist() == pytest.approx([20.0, 100.0])


def test_measures_reject_bad_images():
    with pytest.raises(ValueError, match="non-empty batch"):
        slant(np.zeros((0, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="non-empty batch"):
        width(np.zeros((28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"in \[-1, 1\]"):
        thickness(np.full((2, 28, 28), 3.0))


def test_frechet_distance_of_a_set_against_itself_is_zero():
    features = np.random.default_rng(0).normal(size=(500, 16))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_of_shifted_gaussians():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(20000, 4)), rng.normal(size=(20000, 4)) + 2.0
    assert frechet_distance(a, b) == pytest.approx(4 * 2.0 ** 2, rel=0.03)


def test_frechet_distance_bad_input():
    with pytest.raises(ValueError, match="equal d"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
