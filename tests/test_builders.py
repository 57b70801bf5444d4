"""gan_utils.builders: the shared generator and discriminator trunk."""

import keras
import numpy as np
import pytest

from gan_utils import TRUNK_FEATURES, mnist_uni_disc_cnn, mnist_uni_gen_cnn
from gan_utils.builders import SingleChannelConv2D


def test_generator_grows_a_code_into_a_digit():
    gen = mnist_uni_gen_cnn(latent_dim=74)
    assert gen.input_shape == (None, 74)
    shapes = [layer.output.shape for layer in gen.layers]
    assert (None, 7, 7, 128) in shapes and (None, 14, 14, 64) in shapes
    assert (None, 28, 28, 32) in shapes
    assert gen.output_shape == (None, 28, 28, 1)
    images = gen(np.random.default_rng(0).normal(size=(5, 74)).astype("float32"),
                 training=False).numpy()
    assert images.shape == (5, 28, 28, 1)
    assert -1.0 <= images.min() and images.max() <= 1.0  # tanh: the data's range


def test_trunk_turns_a_digit_into_features():
    trunk = mnist_uni_disc_cnn()
    assert trunk.input_shape == (None, 28, 28, 1)
    assert trunk.output_shape == (None, TRUNK_FEATURES) == (None, 6272)
    features = trunk(np.zeros((3, 28, 28, 1), "float32"), training=False)
    assert features.shape == (3, 6272)


def test_trunk_without_batch_norm_has_fewer_weights():
    with_bn, without = mnist_uni_disc_cnn(use_bn=True), mnist_uni_disc_cnn(use_bn=False)
    names = [type(layer).__name__ for layer in without.layers]
    assert "BatchNormalization" not in names
    # 64 and 128 channels, 4 BN weights each (gamma, beta, moving mean and variance)
    assert with_bn.count_params() - without.count_params() == 4 * (64 + 128)


def test_builders_are_small_enough_for_a_laptop():
    assert mnist_uni_gen_cnn(74).count_params() < 1_000_000
    assert mnist_uni_disc_cnn().count_params() < 200_000


@pytest.mark.parametrize("bad", [0, -3, 2.5, "74"])
def test_generator_rejects_a_bad_latent_dim(bad):
    with pytest.raises(ValueError, match="latent_dim must be a positive integer"):
        mnist_uni_gen_cnn(bad)


def test_trunk_rejects_a_bad_dropout():
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        mnist_uni_disc_cnn(dropout=1.0)


def test_single_channel_conv_equals_keras_conv2d():
    x = np.random.default_rng(0).normal(size=(3, 28, 28, 32)).astype("float32")
    fast, reference = SingleChannelConv2D(4), keras.layers.Conv2D(1, 4, padding="same")
    fast.build(x.shape), reference.build(x.shape)
    fast.set_weights(reference.get_weights())
    np.testing.assert_allclose(fast(x).numpy(), reference(x).numpy(), atol=1e-5)
