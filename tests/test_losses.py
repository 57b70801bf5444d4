"""gan_utils.losses: the information loss against hand and SciPy computations."""

import math

import numpy as np
import pytest
import tensorflow as tf
from scipy.stats import norm

from gan_utils import losses


def test_category_cross_entropy_by_hand():
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]], np.float32)
    got = losses.category_cross_entropy(tf.constant([0, 2]), tf.constant(logits)).numpy()
    first = -math.log(math.exp(2) / (math.exp(2) + 1 + math.exp(-1)))
    np.testing.assert_allclose(got, [first, math.log(3)], rtol=1e-6)


def test_gaussian_nll_with_fixed_std_matches_scipy():
    rng = np.random.default_rng(0)
    x, mean = rng.uniform(-1, 1, (5, 2)), rng.normal(size=(5, 2))
    got = losses.gaussian_nll(tf.constant(x, tf.float32), tf.constant(mean, tf.float32)).numpy()
    expected = -norm.logpdf(x, loc=mean, scale=1.0).sum(axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_gaussian_nll_with_learned_std_matches_scipy():
    rng = np.random.default_rng(1)
    x, mean, log_std = rng.uniform(-1, 1, (6, 3)), rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    got = losses.gaussian_nll(*(tf.constant(a, tf.float32) for a in (x, mean, log_std))).numpy()
    expected = -norm.logpdf(x, loc=mean, scale=np.exp(log_std)).sum(axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_bce_with_logits_by_hand():
    got = losses.bce_with_logits(1.0, tf.constant([[0.0], [3.0]])).numpy()
    np.testing.assert_allclose(got, [math.log(2), math.log(1 + math.exp(-3))], rtol=1e-6)
    assert losses.bce_with_logits(0.0, tf.constant([[3.0]])).numpy()[0] == pytest.approx(
        math.log(1 + math.exp(3)), rel=1e-6)


def test_cluster_entropy_gap_rewards_confident_balanced_categories():
    confident_balanced = tf.constant(np.eye(4, dtype=np.float32) * 30)
    confident_collapsed = tf.constant(np.tile([[30.0, 0, 0, 0]], (4, 1)))
    unsure = tf.zeros((4, 4))
    assert losses.cluster_entropy_gap(confident_balanced).numpy() == pytest.approx(-math.log(4), abs=1e-4)
    assert losses.cluster_entropy_gap(confident_collapsed).numpy() == pytest.approx(0.0, abs=1e-4)
    assert losses.cluster_entropy_gap(unsure).numpy() == pytest.approx(0.0, abs=1e-4)


def test_cluster_entropy_gap_without_confidence_only_rewards_balance():
    """confidence_weight=0 (the default recipe): an unsure but balanced batch already scores best."""
    unsure = tf.zeros((4, 4))
    collapsed = tf.constant(np.tile([[30.0, 0, 0, 0]], (4, 1)))
    gap = losses.cluster_entropy_gap(unsure, marginal_weight=2.0, confidence_weight=0.0)
    assert gap.numpy() == pytest.approx(-2 * math.log(4), abs=1e-4)
    assert losses.cluster_entropy_gap(collapsed, 2.0, 0.0).numpy() == pytest.approx(0.0, abs=1e-4)


def test_category_agreement_is_the_chance_two_readings_match():
    a = tf.constant([[math.log(3.0), 0.0], [0.0, 0.0]])  # p = (0.75, 0.25), then (0.5, 0.5)
    b = tf.constant([[0.0, math.log(3.0)], [30.0, 0.0]])  # p = (0.25, 0.75), then (1, 0)
    np.testing.assert_allclose(losses.category_agreement(a, b).numpy(),
                               [0.75 * 0.25 + 0.25 * 0.75, 0.5], rtol=1e-5)
