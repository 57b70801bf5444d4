"""Per-example GAN losses, written once so the models, the notebooks and the tests agree.

The information loss is explained in notebooks/02_infogan.ipynb.
"""

from __future__ import annotations

import math

import tensorflow as tf

LOG_2PI = math.log(2.0 * math.pi)


def bce_with_logits(target: float, logits: tf.Tensor) -> tf.Tensor:
    """Binary cross-entropy of real/fake logits (n, 1) against a constant target, per example (n,)."""
    logits = tf.reshape(logits, [-1])
    labels = tf.fill(tf.shape(logits), tf.cast(target, logits.dtype))
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)


def discriminator_loss(real_logit: tf.Tensor, fake_logit: tf.Tensor) -> tf.Tensor:
    """D's per-example loss: call real images real (1) and generated ones fake (0)."""
    return bce_with_logits(1.0, real_logit) + bce_with_logits(0.0, fake_logit)


def generator_loss(fake_logit: tf.Tensor) -> tf.Tensor:
    """G's per-example non-saturating loss: make D call generated images real."""
    return bce_with_logits(1.0, fake_logit)


def category_cross_entropy(category: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """-log Q(c|x) for integer categories (n,) and unnormalised logits (n, K), per example (n,)."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(category, tf.int32),
                                                          logits=logits)


def gaussian_nll(x: tf.Tensor, mean: tf.Tensor, log_std: tf.Tensor | float = 0.0) -> tf.Tensor:
    """-log N(x; mean, exp(log_std)^2), summed over the code dimensions, per example (n,)."""
    log_std = tf.broadcast_to(tf.cast(log_std, mean.dtype), tf.shape(mean))
    z = (x - mean) * tf.exp(-log_std)
    return tf.reduce_sum(0.5 * tf.square(z) + log_std + 0.5 * LOG_2PI, axis=-1)


def cluster_entropy_gap(logits: tf.Tensor, marginal_weight: float = 1.0,
                        confidence_weight: float = 1.0) -> tf.Tensor:
    """a mean H(p(c|x)) - w H(p̄) of Q's categories on a batch of real images (a scalar; lower is better).

    p(c|x) is Q's category distribution for one digit, p̄ its average over the batch. Low
    average entropy of p(c|x) (weight a = confidence_weight): Q is sure which category each
    real digit belongs to. High entropy of p̄ (weight w = marginal_weight): the batch spreads
    evenly over all categories. Needs no labels.
    """
    log_p = tf.nn.log_softmax(logits)
    conditional = -tf.reduce_mean(tf.reduce_sum(tf.exp(log_p) * log_p, axis=-1))
    marginal_p = tf.reduce_mean(tf.exp(log_p), axis=0)
    marginal = -tf.reduce_sum(marginal_p * tf.math.log(marginal_p + 1e-8))
    return confidence_weight * conditional - marginal_weight * marginal


def category_agreement(logits_a: tf.Tensor, logits_b: tf.Tensor) -> tf.Tensor:
    """P(same category) for two images read independently by Q: sum_c p_a(c) p_b(c), per example (n,)."""
    return tf.reduce_sum(tf.nn.softmax(logits_a) * tf.nn.softmax(logits_b), axis=-1)
