"""InfoGAN.paper(): the InfoGAN paper's MNIST network and update, read back layer by layer.

The paper's table (Chen et al. 2016, appendix C, table 1) and the authors' code
(infogan/models/regularized_gan.py, launchers/run_mnist_exp.py) are the reference.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import gan_utils as gu
from gan_utils.configs import PAPER_BUDGET, InfoGANConfig


def _table(network: keras.Model) -> list[tuple]:
    """(layer kind, units or filters, activation or slope, output shape) for each layer."""
    rows = []
    for layer in network.layers:
        if isinstance(layer, keras.Sequential):
            rows += _table(layer)
            continue
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        size = getattr(layer, "units", None) or getattr(layer, "filters", None)
        detail = layer.negative_slope if kind == "LeakyReLU" else None
        if kind == "Activation":
            detail = layer.activation.__name__
        elif kind == "Rescaling":
            detail = float(layer.scale)
        rows.append((kind, size, detail, tuple(layer.output.shape[1:])))
    return rows


def test_the_papers_generator_layer_by_layer():
    """FC 1024 BN ReLU, FC 7x7x128 BN ReLU, up-conv 64 BN ReLU, up-conv to 1 channel, sigmoid."""
    model = gu.InfoGAN.paper()
    assert _table(model.generator) == [
        ("Dense", 1024, None, (1024,)), ("BatchNormalization", None, None, (1024,)),
        ("ReLU", None, None, (1024,)),
        ("Dense", 6272, None, (6272,)), ("BatchNormalization", None, None, (6272,)),
        ("ReLU", None, None, (6272,)), ("Reshape", None, None, (7, 7, 128)),
        ("Conv2DTranspose", 64, None, (14, 14, 64)),
        ("BatchNormalization", None, None, (14, 14, 64)), ("ReLU", None, None, (14, 14, 64)),
        ("Conv2DTranspose", 1, None, (28, 28, 1)),
        ("Rescaling", None, 0.5, (28, 28, 1)), ("Activation", None, "tanh", (28, 28, 1))]
    assert model.generator.layers[0].kernel.shape == (62 + 10 + 2, 1024)


def test_the_papers_discriminator_and_q_layer_by_layer():
    """conv 64 (no BN) lReLU, conv 128 BN lReLU, FC 1024 BN lReLU -> D's logit; Q: FC 128 BN lReLU."""
    table = _table(gu.InfoGAN.paper().discriminator)
    assert table[:9] == [
        ("Conv2D", 64, None, (14, 14, 64)), ("LeakyReLU", None, 0.01, (14, 14, 64)),
        ("Dropout", None, None, (14, 14, 64)),
        ("Conv2D", 128, None, (7, 7, 128)), ("BatchNormalization", None, None, (7, 7, 128)),
        ("LeakyReLU", None, 0.01, (7, 7, 128)), ("Dropout", None, None, (7, 7, 128)),
        ("Flatten", None, None, (6272,)), ("Dense", 1024, None, (1024,))]
    dense = [(size, shape) for kind, size, _, shape in table if kind == "Dense"]
    assert dense == [(1024, (1024,)), (128, (128,)), (1, (1,)), (10, (10,)), (2, (2,))]
    slopes = {detail for kind, _, detail, _ in table if kind == "LeakyReLU"}
    assert slopes == {0.01}
    ours = _table(gu.InfoGAN().discriminator)  # the default keeps batch norm after the first conv
    assert ours[1] == ("BatchNormalization", None, None, (14, 14, 64)) and ours[2][2] == 0.2


def test_the_papers_sigmoid_is_tanh_of_half_on_our_pixel_scale():
    """The output is 2 sigmoid(a) - 1 of the last up-conv's a: the paper's [0, 1] image on [-1, 1]."""
    model = gu.InfoGAN.paper()
    codes = np.random.default_rng(0).uniform(-1, 1, (4, 74)).astype(np.float32)
    upconv = [layer for layer in model.generator.layers
              if isinstance(layer, layers.Conv2DTranspose)][-1]
    before = keras.Model(model.generator.inputs, upconv.output)(codes).numpy()
    images = model.generator(codes).numpy()
    np.testing.assert_allclose(images, 2 * tf.sigmoid(before).numpy() - 1, atol=1e-5)


def test_the_papers_weights_noise_and_adam_epsilon():
    keras.utils.set_random_seed(0)
    model = gu.InfoGAN.paper()
    kernel = model.discriminator.get_layer("shared_dense").kernel.numpy()
    assert kernel.std() == pytest.approx(0.02, rel=0.02)  # normal(0, 0.02), not Glorot's
    glorot = gu.InfoGAN(shared_dense=1024).discriminator.get_layer("shared_dense").kernel.numpy()
    assert glorot.std() == pytest.approx(np.sqrt(2 / (6272 + 1024)), rel=0.02)
    first_conv = model.discriminator.layers[1].layers[0].kernel.numpy()
    assert np.abs(first_conv).max() <= 0.04 + 1e-6  # truncated at two standard deviations
    codes, _, _ = model.sample_codes(4096)
    noise = codes[:, :62].numpy()
    assert noise.min() >= -1 and noise.max() <= 1 and noise.std() == pytest.approx(
        1 / np.sqrt(3), rel=0.02)  # uniform on [-1, 1]
    drawn = model.draw_noise(np.random.default_rng(0), 4096)
    assert drawn.min() >= -1 and drawn.max() <= 1
    assert np.abs(gu.InfoGAN().draw_noise(np.random.default_rng(0), 4096)).max() > 2  # normal
    model.compile()
    assert model.d_optimizer.epsilon == model.g_optimizer.epsilon == 1e-8
    default = gu.InfoGAN()
    default.compile()
    assert default.d_optimizer.epsilon == 1e-7
    assert PAPER_BUDGET == {"steps": 5_000, "batch_size": 128}


def test_a_separate_step_updates_d_first_then_g_from_fresh_codes_through_the_new_d(digits):
    """The paper's step: D learns, then G draws new codes and learns through D as D now is."""
    keras.utils.set_random_seed(1)
    model = gu.InfoGAN.paper(noise_dim=8)
    model.compile(run_eagerly=True)
    head = model.discriminator.get_layer("real_fake").kernel
    before = head.numpy().copy()
    seen, draws = {}, []
    sample_codes, generator_update = model.sample_codes, model.generator_update

    def counted(batch):
        codes = sample_codes(batch)
        draws.append(codes[0].numpy())
        return codes

    def spying(batch):
        seen["d_head"] = head.numpy().copy()
        seen["g_kernel"] = model.generator.layers[0].kernel.numpy().copy()
        return generator_update(batch)

    model.sample_codes, model.generator_update = counted, spying
    images = gu.data.to_unit_range(digits[0][:32])
    model.train_step(tf.constant(images))
    assert len(draws) == 2 and not np.allclose(draws[0], draws[1])  # G's own codes
    assert not np.allclose(seen["d_head"], before)  # D had learned when G's update began
    np.testing.assert_array_equal(head.numpy(), seen["d_head"])  # G's update leaves D alone
    assert not np.allclose(model.generator.layers[0].kernel.numpy(), seen["g_kernel"])


def test_the_shared_step_draws_codes_once_and_updates_both_from_one_pass(digits):
    keras.utils.set_random_seed(1)
    model = gu.InfoGAN(noise_dim=8, neighbour_weight=0)
    model.compile(run_eagerly=True)
    calls = []
    model.generator_update = lambda batch: calls.append(batch)
    model.train_step(tf.constant(gu.data.to_unit_range(digits[0][:32])))
    assert calls == []


def test_the_paper_preset_trains_compiled_and_round_trips(tmp_path, digits):
    keras.utils.set_random_seed(2)
    model = gu.InfoGAN.paper(noise_dim=8)
    model.compile()
    dataset = gu.make_dataset(digits[0], None, batch_size=32, seed=0)
    history = model.fit(dataset, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values())
    model.save(tmp_path / "paper")
    again = gu.load(tmp_path / "paper")
    assert again.config == InfoGANConfig.paper(noise_dim=8)
    assert np.array_equal(model.generate(labels=np.arange(10), seed=3),
                          again.generate(labels=np.arange(10), seed=3))
    assert again.uniform_noise and again.separate_updates
