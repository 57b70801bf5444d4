"""gan_utils.bench's arithmetic: the step's FLOPs and the CPU's measured matmul rate."""

import pytest

import gan_utils as gu
from gan_utils import bench


def test_each_real_digit_term_adds_its_passes_of_d():
    """The consistency term adds D's forward and backward over a batch; the neighbour term too,
    or the forward pass only when its neighbours are targets (neighbour_gradient=False); each
    over pair_share of the batch."""
    plain = bench.step_flops(gu.InfoGAN(noise_dim=8, consistency_weight=0, neighbour_weight=0), 8)
    d_forward_one_batch = bench._forward_flops(gu.InfoGAN(noise_dim=8).discriminator,
                                               (8, 28, 28, 1))
    assert plain > 0
    for options, passes in (({}, 2 * 3), ({"neighbour_gradient": False}, 3 + 1),
                            ({"neighbour_weight": 0}, 3), ({"consistency_weight": 0}, 3),
                            ({"pair_share": 0.5}, 3), ({"pair_share": 0.25}, 1.5)):
        assert bench.step_flops(gu.InfoGAN(noise_dim=8, **options), 8) - plain == \
            pytest.approx(passes * d_forward_one_batch, rel=0.01), options


def test_matmul_rate_is_a_positive_gflops_figure():
    assert 0.1 < bench.matmul_gflops(n=256, runs=2) < 100_000


def test_bench_levers_steps_give_the_recipes_losses_when_nothing_is_random(digits, one_fixed_step):
    """tools/bench_levers.py's one-pass and pipeline-moves steps: the recipe's numbers, given fixed moves.

    With the same move every time and no batch norm or dropout, D's passes over the digits, their
    copies and their neighbours are the same numbers in one call or three, so the losses and
    D's update must agree to float precision.
    """
    import importlib.util
    from pathlib import Path

    import numpy as np
    import tensorflow as tf

    path = Path(__file__).parents[1] / "tools" / "bench_levers.py"
    spec = importlib.util.spec_from_file_location("bench_levers", path)
    levers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(levers)
    recipe, model = one_fixed_step(gu.InfoGAN)
    for lever_class in (levers.OnePassInfoGAN,
                        lambda **options: levers.PipelineMovesInfoGAN(in_data=False, **options)):
        results, lever = one_fixed_step(lever_class)
        for key in ("d_loss", "info_loss", "mi_category", "consistency_loss", "neighbour_loss"):
            assert results[key] == pytest.approx(recipe[key], abs=1e-4), (lever_class, key)
        for one, other in zip(model.discriminator.get_weights(), lever.discriminator.get_weights()):
            np.testing.assert_allclose(one, other, atol=1e-5)  # the same D loss, the same update
    assert recipe["neighbour_loss"] > 0.01  # the neighbours differ from the digits
    with pytest.raises(ValueError, match="leave pair_share at 1"):
        levers.PipelineMovesInfoGAN(noise_dim=8, pair_share=0.5)
    paired = gu.make_dataset(digits[0][:16], batch_size=8, seed=0, neighbours=2)
    moved = next(iter(levers.with_moves(paired, gu.InfoGAN(noise_dim=8).augment)))
    assert sorted(moved) == ["images", "moved", "neighbours"]
    assert all(t.shape == (8, 28, 28, 1) for t in moved.values())
    assert float(tf.reduce_max(tf.abs(moved["moved"] - moved["images"]))) > 0.1  # really moved
    wrapped = levers.Float32Outputs(gu.InfoGAN(noise_dim=8).discriminator)
    outputs = wrapped(tf.constant(gu.data.to_unit_range(digits[0][:2])))
    assert all(o.dtype == tf.float32 for o in outputs) and wrapped.trainable_weights
    assert np.isfinite(outputs[0].numpy()).all()
