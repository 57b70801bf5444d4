"""gan_utils.bench's arithmetic (the step's FLOPs, the CPU's matmul rate) and the speed tools in tools/."""

import keras
import numpy as np
import pytest
import tensorflow as tf

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


def test_matmul_rate_is_a_positive_gflops_figure_in_the_dtype_asked(monkeypatch):
    multiplied = []

    def matmul(a, b):
        multiplied.append(a.dtype)
        return tf.linalg.matmul(a, b)

    monkeypatch.setattr(tf, "matmul", matmul)  # looked up when the product is traced
    assert 0.1 < bench.matmul_gflops(n=256, runs=2) < 100_000
    assert 0.1 < bench.matmul_gflops(n=256, runs=2, dtype=tf.bfloat16) < 100_000
    assert multiplied == [tf.float32, tf.bfloat16]


def test_reference_rate_trains_d_then_g_once_per_timed_step_and_a_warm_up(digits):
    """measure_reference times a quarter of the steps (at least 5), after one warm-up step."""
    model = gu.InfoGAN(noise_dim=8, **bench.PLAIN_LOSSES)
    model.compile()
    batches = iter(gu.make_dataset(digits[0], batch_size=8, seed=0).repeat())
    assert bench.measure_reference(model, batches, 8, steps=8) > 0
    assert int(model.d_optimizer.iterations.numpy()) == int(model.g_optimizer.iterations.numpy()) == 6
    bench.measure_reference(model, batches, 8, steps=40)
    assert int(model.d_optimizer.iterations.numpy()) == 6 + 11


def test_bench_levers_steps_give_the_recipes_losses_when_nothing_is_random(digits, one_fixed_step,
                                                                           tool):
    """tools/bench_levers.py's one-pass and pipeline-moves steps: the recipe's numbers, given fixed moves.

    With the same move every time and no batch norm or dropout, D's passes over the digits, their
    copies and their neighbours are the same numbers in one call or three, so the losses and
    D's update must agree to float precision.
    """
    levers = tool("bench_levers")
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


def test_fused_batch_norm_lever_computes_what_keras_batch_norm_computes(monkeypatch, tool):
    """tools/bench_levers.py's fused batch norm: the same outputs, gradients and moving statistics.

    G and D/Q are cloned with every BatchNormalization swapped; given the same weights, one
    training pass must run the fused kernel in each of them and agree with Keras' own layers to
    float round-off (the kernel's batch variance is unbiased: the layer must store the biased
    one, as Keras does).
    """
    levers = tool("bench_levers")
    fused_calls = []
    fused_batch_norm = tf.compat.v1.nn.fused_batch_norm

    def counted(*args, **kwargs):
        fused_calls.append(args[0].shape)
        return fused_batch_norm(*args, **kwargs)

    monkeypatch.setattr(tf.compat.v1.nn, "fused_batch_norm", counted)
    keras.utils.set_random_seed(3)
    keras_bn, fused = (gu.InfoGAN(noise_dim=8, dropout=0.0),  # no random masks: same numbers
                       levers.with_fused_batch_norm(gu.InfoGAN(noise_dim=8, dropout=0.0)))
    for part, batch_norms in (("generator", 3), ("discriminator", 3)):
        one, other = getattr(keras_bn, part), getattr(fused, part)
        swapped = [layer for layer in other._flatten_layers(include_self=False, recursive=True)
                   if isinstance(layer, keras.layers.BatchNormalization)]
        assert [type(layer) for layer in swapped] == [levers.FusedBatchNormalization] * batch_norms
        other.set_weights(one.get_weights())
        shape = (16, *one.input_shape[1:])
        x = tf.random.stateless_normal(shape, seed=(1, 2))
        results, fused_calls[:] = [], []
        for net in (one, other):
            with tf.GradientTape() as tape:
                outputs = tf.nest.flatten(net(x, training=True))
                loss = sum(tf.reduce_sum(o * tf.cos(float(i) + o)) for i, o in enumerate(outputs))
            results.append((outputs, tape.gradient(loss, net.trainable_weights),
                            [w.numpy() for w in net.non_trainable_weights]))
        assert len(fused_calls) == batch_norms  # the fused path ran, once per layer
        (out_a, grad_a, stats_a), (out_b, grad_b, stats_b) = results
        for ours, theirs in ((out_a, out_b), (grad_a, grad_b)):  # round-off, relative to the largest
            ours, theirs = [t.numpy().ravel() for t in ours], [t.numpy().ravel() for t in theirs]
            scale = max(np.max(np.abs(t)) for t in ours)
            assert max(np.max(np.abs(a - b)) for a, b in zip(ours, theirs)) <= 1e-5 * scale
        for a, b in zip(stats_a, stats_b):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
        assert max(float(np.max(np.abs(s - 1))) for s in stats_b[1::2]) > 1e-4  # variances moved
        np.testing.assert_allclose(tf.nest.flatten(one(x))[0], tf.nest.flatten(other(x))[0],
                                   rtol=1e-6, atol=1e-6)  # inference: Keras' path on both


def test_profile_step_splits_the_steps_op_time_into_its_groups(digits, tool):
    """tools/profile_step.py: each op of a real compiled step lands in its group, and each group has ops."""
    profile = tool("profile_step")
    assert profile.group_of("infogan_discriminator_1/uni_disc_trunk_1/batch_normalization_3_1/"
                            "moments/mean", "Mean") == "batch norm"
    assert profile.group_of("gradient_tape/infogan_discriminator_3/uni_disc_trunk_1/dropout_1/"
                            "stateless_dropout/SelectV2", "SelectV2") == "dropout"
    assert profile.group_of("augment_1/random_rotation_1/ImageProjectiveTransformV3",
                            "ImageProjectiveTransformV3") == "moves (augment)"
    assert profile.group_of("adam_1/Mul_3", "Mul") == "optimizer (Adam)"
    assert profile.group_of("infogan_generator_1/conv2d_transpose_1/conv_transpose",
                            "_MklNativeConv2DBackpropInput") == "convolutions and matmuls"
    assert profile.group_of("AddN_16", "AddN") == "the rest"

    model = gu.InfoGAN(noise_dim=8)
    model.compile()
    batches = iter(gu.make_dataset(digits[0][:64], batch_size=16, seed=0,
                                   neighbours=model.data_neighbours).repeat())
    grouped, wall = profile.profile_step(tf.function(model.train_step), batches, steps=3)
    assert list(grouped) == list(profile.GROUPS) and wall > 0
    assert all(grouped[group] > 0 for group in profile.GROUPS)  # this recipe runs every kind
