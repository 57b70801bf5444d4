"""research/bench.py: the steps' FLOPs, the CPU's matmul rate, minutes to quality, the reference step."""

import pytest
import tensorflow as tf

import gan_utils as gu
import gan_utils.checkpoints
import gan_utils.cli
import gan_utils.data
from research import bench


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


def test_matmul_rate_is_a_positive_gflops_figure_in_the_dtype_asked(monkeypatch):
    multiplied = []

    def matmul(a, b):
        multiplied.append(a.dtype)
        return tf.linalg.matmul(a, b)

    monkeypatch.setattr(tf, "matmul", matmul)  # looked up when the product is traced
    assert 0.1 < bench.matmul_gflops(n=256, runs=2) < 100_000
    assert 0.1 < bench.matmul_gflops(n=256, runs=2, dtype=tf.bfloat16) < 100_000
    assert multiplied == [tf.float32, tf.bfloat16]


@pytest.mark.slow
def test_reference_rate_trains_d_then_g_once_per_timed_step_and_a_warm_up(digits):
    """measure_reference times a quarter of the steps (at least 5), after one warm-up step."""
    model = gu.InfoGAN(noise_dim=8, **bench.PLAIN_LOSSES)
    model.compile()
    batches = iter(gu.make_dataset(digits[0], batch_size=8, seed=0).repeat())
    assert bench.measure_reference(model, batches, 8, steps=8) > 0
    assert int(model.d_optimizer.iterations.numpy()) == int(model.g_optimizer.iterations.numpy()) == 6
    bench.measure_reference(model, batches, 8, steps=40)
    assert int(model.d_optimizer.iterations.numpy()) == 6 + 11


def test_acgans_moved_copies_of_the_real_digits_add_ds_passes_over_one_batch():
    """ACGAN's class head reads moved copies of the real batch: D forward and backward (x3) over
    one batch more than the plain step, and nothing more without move_real_for_class."""
    plain = bench.step_flops(gu.ACGAN(noise_dim=8, move_real_for_class=False), 8)
    moved = bench.step_flops(gu.ACGAN(noise_dim=8), 8)
    d_forward_one_batch = bench._forward_flops(gu.ACGAN(noise_dim=8).discriminator, (8, 28, 28, 1))
    assert plain > 0
    assert moved - plain == pytest.approx(3 * d_forward_one_batch, rel=0.01)


def test_minutes_to_quality_are_read_where_the_curves_meet_every_bar(tmp_path):
    default = {"ema_momentum": gu.ACGANConfig().ema_momentum}
    rows = [{"model": "acgan", "seed": seed, "every": 234, "settings": default,
             "points": [{"step": 234, "seconds": 30.0 + seed, "judge_generated_acc": 0.99},
                        {"step": 468, "seconds": 60.0 + 6 * seed, "judge_generated_acc": 0.9995}]}
            for seed in (1, 2, 3)]
    path = tmp_path / "curves.json"
    path.write_text(__import__("json").dumps({"rows": rows}))
    # the median of 1.1, 1.2 and 1.3 minutes, at the first step where every seed is >= 0.999
    assert bench.minutes_to_quality(path) == {"acgan": (468, 1.2, 3)}
    assert bench.minutes_to_quality(tmp_path / "none.json") == {}
