"""gan_utils.bench's arithmetic: the step's FLOPs and the CPU's measured matmul rate."""

import pytest

import gan_utils as gu
from gan_utils import bench


def test_each_extra_real_batch_adds_a_forward_and_backward_pass_of_d():
    model = gu.InfoGAN(noise_dim=8)
    plain = bench.step_flops(model, 8)
    d_forward_one_batch = bench._forward_flops(model.discriminator, (8, 28, 28, 1))
    assert plain > 0
    assert bench.step_flops(model, 8, extra_d_batches=2) - plain == \
        pytest.approx(2 * 3 * d_forward_one_batch, rel=0.01)


def test_matmul_rate_is_a_positive_gflops_figure():
    assert 0.1 < bench.matmul_gflops(n=256, runs=2) < 100_000


def test_bench_levers_one_pass_step_gives_the_recipes_losses_when_nothing_is_random(digits):
    """tools/bench_levers.py's one-pass step: same losses as the recipe's step, given no moves.

    With augmentation off and batch norm reading one batch, D's passes over the digits, their
    copies and their neighbours are the same numbers in one call or three, so the information
    loss (one G, one D pass over the same fakes) must agree to float precision.
    """
    import importlib.util
    from pathlib import Path

    import keras
    import numpy as np
    import tensorflow as tf

    path = Path(__file__).parents[1] / "tools" / "bench_levers.py"
    spec = importlib.util.spec_from_file_location("bench_levers", path)
    levers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(levers)
    images = gu.data.to_unit_range(digits[0][:16])
    batch = {"images": tf.constant(images), "neighbours": tf.constant(images[::-1].copy())}
    results, trained = [], []
    for model_class in (gu.InfoGAN, levers.OnePassInfoGAN):
        keras.utils.set_random_seed(0)
        model = model_class(noise_dim=8, use_bn=False, dropout=0.0)
        model.augment = keras.layers.Identity()
        model.compile()
        keras.utils.set_random_seed(1)
        results.append({k: float(v) for k, v in model.train_step(batch).items()})
        trained.append(model.discriminator.get_weights())
    for key in ("d_loss", "info_loss", "mi_category", "consistency_loss", "neighbour_loss"):
        assert results[1][key] == pytest.approx(results[0][key], abs=1e-4), key
    assert results[0]["neighbour_loss"] > 0.01  # the neighbours differ from the digits
    for one, other in zip(*trained):  # the same D loss, so the same update
        np.testing.assert_allclose(one, other, atol=1e-5)
    wrapped = levers.Float32Outputs(gu.InfoGAN(noise_dim=8).discriminator)
    outputs = wrapped(tf.constant(images[:2]))
    assert all(o.dtype == tf.float32 for o in outputs) and wrapped.trainable_weights
    assert np.isfinite(outputs[0].numpy()).all()
