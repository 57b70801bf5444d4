"""gan_utils.models: shapes, learning, save/load, bad input, and multi-replica training."""

import os
import re
import subprocess
import sys
import textwrap
from collections import Counter

import keras
import numpy as np
import pytest
import tensorflow as tf

import gan_utils as gu
from gan_utils.checkpoints import load
from gan_utils.models import ACGAN, InfoGAN


def part_names(folder) -> list[str]:
    """A checkpoint folder's file names without the content hash (generator-<hash>.weights.h5)."""
    return sorted(re.sub(r"-[0-9a-f]{16}\.", ".", p.name) for p in folder.iterdir())


def test_generate_and_recognize_shapes(small):
    model = small(num_categories=5)
    images = model.generate([0, 4, 2], seed=3)
    assert images.shape == (3, 28, 28, 1) and images.dtype == np.float32
    assert images.min() >= -1 and images.max() <= 1
    probs, styles = model.recognize(images)
    assert probs.shape == (3, 5) and styles.shape == (3, model.num_styles) == (3, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(model.generate([1, 1], seed=7), model.generate([1, 1], seed=7))
    assert not np.array_equal(model.generate([1, 1], seed=7), model.generate([1, 1], seed=8))


def test_styles_and_noise_steer_generation(small):
    model = small()
    noise = np.zeros((2, 8))
    a = model.generate([3, 3], styles=[[-1, 0, 0], [1, 0, 0]], noise=noise)
    assert not np.allclose(a[0], a[1])  # only the style differs
    b = model.generate([3, 3], styles=[[1, 0, 0], [1, 0, 0]], noise=noise)
    np.testing.assert_allclose(b[0], b[1], atol=1e-6)  # same codes, same image


def test_acgan_shapes_and_no_styles():
    keras.utils.set_random_seed(0)
    model = ACGAN(noise_dim=8)
    assert model.generate(np.arange(10), seed=0).shape == (10, 28, 28, 1)
    assert model.classify(model.generate([1, 2], seed=0)).shape == (2, 10)
    with pytest.raises(ValueError, match="ACGAN has no style codes"):
        model.generate([1], styles=[[0.0, 0.0]])


@pytest.mark.slow
def test_a_few_steps_lower_the_info_loss(digits, small):
    model = small()
    images = gu.data.to_unit_range(digits[0][:64])
    first = model.train_on_batch(images, return_dict=True)
    for _ in range(30):
        last = model.train_on_batch(images, return_dict=True)
    model.reset_metrics()
    last = model.train_on_batch(images, return_dict=True)
    assert last["info_loss"] < 0.6 * first["info_loss"], (first, last)
    assert last["q_category_acc"] > 0.5
    assert all(np.isfinite(v) for v in last.values())


@pytest.mark.slow
def test_category_warmup_keeps_fakes_from_q_category_head_until_its_step(digits, small):
    """With category_warmup_steps=2 and no real-digit terms, only G's fakes could move Q's head."""
    no_real_terms = dict(cluster_weight=0.0, consistency_weight=0.0, neighbour_weight=0.0)
    images = gu.data.to_unit_range(digits[0][:32])
    for warmup, moves in ((2, [False, False, True]), (0, [True, True, True])):
        model = small(category_warmup_steps=warmup, **no_real_terms)
        head = model.discriminator.get_layer("q_category_logits").kernel
        generator = model.generator.trainable_weights[0]
        for step, expected in enumerate(moves):
            before, g_before = head.numpy().copy(), generator.numpy().copy()
            model.train_on_batch(images)
            assert (not np.array_equal(head.numpy(), before)) == expected, (warmup, step)
            assert not np.array_equal(generator.numpy(), g_before)  # G learns from Q throughout


@pytest.mark.slow
def test_acgan_learns_the_real_labels_on_a_tiny_batch(digits, small):
    """D's class head learns 64 real digits of all ten kinds (about 6 of each) by heart.

    Unmoved: with move_real_for_class (the default) it reads a new shift of each digit every
    step and is at ~70% after 90 steps; test_acgan_moved_reals_... covers that recipe.
    """
    model = small(ACGAN, move_real_for_class=False)
    images, labels = gu.data.to_unit_range(digits[0][:64]), digits[1][:64]
    assert len(set(labels.tolist())) == 10  # not one digit, which a constant answer would fit
    first = model.train_on_batch(images, labels, return_dict=True)
    for _ in range(40):
        model.train_on_batch(images, labels, return_dict=True)
    model.reset_metrics()
    last = model.train_on_batch(images, labels, return_dict=True)
    assert last["class_loss"] < 0.5 * first["class_loss"] and last["class_acc_real"] > 0.9


@pytest.mark.slow
def test_fit_on_the_pipeline_reports_every_metric(digits, small):
    model = small()
    data = gu.make_dataset(digits[0], batch_size=32, neighbours=5)
    history = model.fit(data, epochs=2, verbose=0).history
    assert set(history) == set(InfoGAN.metric_names)
    assert len(history["d_loss"]) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"num_categories": 1}, "num_categories must be an integer from 2 to 1024"),
    ({"num_categories": 10**9}, "num_categories must be an integer from 2 to 1024"),
    ({"num_styles": -1}, "num_styles must be an integer from 1 to 1024"),
    ({"num_styles": 0}, "num_styles must be an integer from 1 to 1024, got 0"),
    ({"q_hidden": 10**7}, "q_hidden must be an integer from 0 to 4096"),
    ({"style_range": 0.0}, "style_range must be a number > 0"),
    ({"style_range": float("nan")}, "style_range must be a number > 0"),
    ({"noise_dim": 0}, "noise_dim must be an integer from 1 to 1024"),
    ({"category_weight": -1}, "category_weight must be a number >= 0"),
    ({"marginal_weight": -0.5}, "marginal_weight must be a number >= 0"),
    ({"pair_share": 0.0}, r"pair_share must be a number > 0.0 and at most 1.0, got 0.0"),
    ({"pair_share": 1.5}, r"pair_share must be a number > 0.0 and at most 1.0, got 1.5"),
])
def test_bad_infogan_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        InfoGAN(**kwargs)


def test_bad_acgan_arguments():
    with pytest.raises(ValueError, match="num_classes must be an integer from 2 to 1024"):
        ACGAN(num_classes=1)
    with pytest.raises(ValueError, match="fake_class_weight"):
        ACGAN(fake_class_weight=-1.0)
    with pytest.raises(ValueError, match="move_real_for_class must be True or False, got 'False'"):
        ACGAN(move_real_for_class="False")  # a string from a config file would read as True
    with pytest.raises(ValueError, match="learn_style_std must be True or False"):
        InfoGAN(learn_style_std=1)
    for bad in (1.0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="ema_momentum"):
            ACGAN(ema_momentum=bad)


@pytest.mark.slow
def test_generator_average_replaces_g_after_fit_and_leaves_d_alone(tmp_path, digits):
    """ema_momentum > 0: after fit, G holds its moving average; D trains exactly as without it."""
    trained = {}
    for momentum in (0.0, 0.9):
        keras.utils.set_random_seed(0)
        dataset = gu.make_dataset(*digits, batch_size=32, seed=0)  # a new one: same batch order
        trained[momentum] = ACGAN(noise_dim=8, ema_momentum=momentum)
        trained[momentum].compile()
        trained[momentum].fit(dataset, epochs=1, steps_per_epoch=4, verbose=0)
    plain, averaged = trained[0.0], trained[0.9]
    assert not plain.g_optimizer.use_ema and averaged.g_optimizer.use_ema
    for a, b in zip(plain.discriminator.get_weights(), averaged.discriminator.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    g_plain, g_avg = plain.generator.get_weights()[0], averaged.generator.get_weights()[0]
    assert np.isfinite(g_avg).all() and not np.allclose(g_plain, g_avg)
    restored = gu.load(averaged.save(tmp_path / "acgan"))
    assert restored.ema_momentum == 0.9
    np.testing.assert_array_equal(restored.generate(np.arange(10), seed=1),
                                  averaged.generate(np.arange(10), seed=1))


def test_a_broken_average_leaves_the_generator_as_it_was(digits):
    model = ACGAN(noise_dim=8, ema_momentum=0.9)
    model.compile()
    before = [w.copy() for w in model.generator.get_weights()]
    model.g_optimizer._model_variables_moving_average[0].assign(
        np.full(before[0].shape, np.nan, np.float32))
    assert model.use_average_generator() is False
    for a, b in zip(before, model.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert InfoGAN(noise_dim=8).ema_momentum == 0.0  # InfoGAN's G is not averaged by default


def test_acgan_fake_class_weight_changes_only_ds_update_and_is_saved(tmp_path, digits):
    """D's class loss on fakes is weighted by fake_class_weight; G's step does not depend on it."""
    images, labels = gu.data.to_unit_range(digits[0][:32]), digits[1][:32]
    trained = {}
    for fcw in (0.0, 1.0):
        keras.utils.set_random_seed(0)
        trained[fcw] = ACGAN(noise_dim=8, fake_class_weight=fcw)
        trained[fcw].compile(run_eagerly=True)
        trained[fcw].train_on_batch(images, labels)
    d0, d1 = (trained[w].discriminator.get_layer("class_logits").get_weights()[0] for w in (0.0, 1.0))
    g0, g1 = (trained[w].generator.get_weights()[0] for w in (0.0, 1.0))
    assert not np.allclose(d0, d1)
    np.testing.assert_allclose(g0, g1)
    restored = gu.load(trained[0.0].save(tmp_path / "acgan"))
    assert restored.fake_class_weight == 0.0


def test_acgan_moved_reals_teach_the_class_head_not_g_and_are_saved(tmp_path, digits):
    """move_real_for_class changes what D's class head reads; G's first step is the same."""
    images, labels = gu.data.to_unit_range(digits[0][:32]), digits[1][:32]
    trained = {}
    for moved in (False, True):
        keras.utils.set_random_seed(0)
        trained[moved] = ACGAN(noise_dim=8, move_real_for_class=moved)
        trained[moved].compile(run_eagerly=True)
        trained[moved].train_on_batch(images, labels)
    d_off, d_on = (trained[m].discriminator.get_layer("class_logits").get_weights()[0]
                   for m in (False, True))
    assert not np.allclose(d_off, d_on)
    for g_off, g_on in zip(trained[False].generator.get_weights(), trained[True].generator.get_weights()):
        np.testing.assert_allclose(g_off, g_on)
    moved = trained[True].augment(images, training=True).numpy()
    assert moved.shape == images.shape and not np.allclose(moved, images)
    assert moved.min() >= -1.0 - 1e-6 and moved.max() <= 1.0 + 1e-6  # border filled with background
    assert gu.load(trained[True].save(tmp_path / "acgan")).move_real_for_class is True
    assert ACGAN().move_real_for_class is True  # the default recipe


def test_bad_inputs_to_generate_recognize_and_fit(small):
    model = small()
    with pytest.raises(ValueError, match="labels must be in 0..9"):
        model.generate([10])
    with pytest.raises(ValueError, match=r"styles must have shape \(2, 3\)"):
        model.generate([1, 2], styles=[[0, 0], [0, 0]])  # the paper's two codes, not ours
    with pytest.raises(ValueError, match=r"expected images \(n, 28, 28"):
        model.recognize(np.zeros((2, 32, 32, 1), np.float32))
    with pytest.raises(ValueError, match="scaled to \\[-1, 1\\]"):
        model.recognize(np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"expected batches of images \(batch, 28, 28, 1\)"):
        model.train_on_batch(np.zeros((4, 32, 32, 1), np.float32))
    plain_digits = gu.make_dataset(np.zeros((8, 28, 28), np.uint8), batch_size=4)
    with pytest.raises(ValueError, match=r"make_dataset\(images, neighbours=5\)"):
        model.fit(plain_digits, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="needs each digit's nearest neighbours"):
        model.fit(np.zeros((8, 28, 28, 1), np.float32), epochs=1, verbose=0)  # arrays too
    way_out = small(neighbour_weight=0)  # the way out the message names: plain digits train
    history = way_out.fit(plain_digits, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"][0]) and np.isfinite(history["info_loss"][0])
    assert int(way_out.d_optimizer.iterations.numpy()) == 2  # 8 digits in batches of 4
    assert (model.data_neighbours, InfoGAN(neighbour_weight=0).data_neighbours) == (5, 0)
    assert ACGAN().data_neighbours == 0


def test_pair_share_pairs_the_first_digits_with_moved_copies_and_the_last_with_neighbours(small):
    """pair_share 0.3 of 10 digits: 3 moved copies of digits 0-2 and 3 neighbours of digits 7-9."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    real, neighbours = (tf.constant(rng.uniform(-1, 1, (10, 28, 28, 1)).astype("float32"))
                        for _ in range(2))
    model = small(pair_share=0.3, dropout=0.0)
    model.augment = keras.layers.Identity()  # so a moved copy is the digit itself
    _, logits, *_ = model.discriminator(real, training=False)
    consistency, neighbour = model.pair_terms(real, logits, neighbours)
    assert consistency.shape == neighbour.shape == (3,)
    _, own, *_ = model.discriminator(real[:3], training=True)  # batch norm reads these 3, as the step's
    expected = tf.nn.softmax_cross_entropy_with_logits(tf.nn.softmax(logits[:3]), own)
    np.testing.assert_allclose(consistency.numpy(), expected.numpy(), rtol=1e-5)
    _, theirs, *_ = model.discriminator(neighbours[7:], training=True)
    expected = -np.log(gu.losses.category_agreement(logits[7:], theirs).numpy() + 1e-7)
    np.testing.assert_allclose(neighbour.numpy(), expected, rtol=1e-5)
    full = small(dropout=0.0)  # the default pairs every digit
    full.augment = keras.layers.Identity()
    _, logits, *_ = full.discriminator(real, training=False)
    consistency, neighbour = full.pair_terms(real, logits, neighbours)
    _, own, *_ = full.discriminator(real, training=True)
    np.testing.assert_allclose(consistency.numpy(), tf.nn.softmax_cross_entropy_with_logits(
        tf.nn.softmax(logits), own).numpy(), rtol=1e-5)
    _, theirs, *_ = full.discriminator(neighbours, training=True)
    np.testing.assert_allclose(neighbour.numpy(), -np.log(gu.losses.category_agreement(
        logits, theirs).numpy() + 1e-7), rtol=1e-5)
    off = small(consistency_weight=0, neighbour_weight=0)
    assert [float(tf.reduce_max(tf.abs(t))) for t in off.pair_terms(real, logits, neighbours)] \
        == [0.0, 0.0]


def test_neighbour_gradient_false_makes_the_neighbour_a_target(small):
    """neighbour_gradient=False: no gradient through the neighbour's pass; the digit's pass keeps it."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    real, neighbours = (tf.constant(rng.uniform(-1, 1, (6, 28, 28, 1)).astype("float32"))
                        for _ in range(2))
    for through_both in (True, False):
        model = small(neighbour_gradient=through_both)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([real, neighbours])
            _, real_logits, *_ = model.discriminator(real, training=True)
            loss = tf.reduce_mean(model.neighbour_loss(real_logits, neighbours))
        assert np.isfinite(loss.numpy()) and loss.numpy() > 0
        to_real, to_neighbours = tape.gradient(loss, [real, neighbours])
        assert np.abs(to_real.numpy()).max() > 0
        if through_both:
            assert np.abs(to_neighbours.numpy()).max() > 0
        else:
            assert to_neighbours is None


@pytest.mark.parametrize("model_class, d_rate", [(InfoGAN, 4e-4), (ACGAN, 2e-4)])
def test_compile_gives_d_and_g_each_an_adam_with_its_slots(small, model_class, d_rate):
    """compile(): Adam with beta_1 = 0.5 for D (and Q) and for G, their slots made at once."""
    model = small(model_class)
    parts = ((model.d_optimizer, model.discriminator, d_rate),
             (model.g_optimizer, model.generator, 1e-3))  # the recipe's rates (docs/recipe.md)
    assert model.d_optimizer is not model.g_optimizer
    for optimizer, part, rate in parts:
        assert isinstance(optimizer, keras.optimizers.Adam) and optimizer.beta_1 == 0.5
        assert float(optimizer.learning_rate.numpy()) == pytest.approx(rate)
        assert optimizer.built and int(optimizer.iterations.numpy()) == 0
        # a first and a second moment per trainable weight (and G's average, with ema_momentum)
        copies = 2 + (optimizer is model.g_optimizer and model.ema_momentum > 0)
        slots = Counter(tuple(v.shape) for v in optimizer.variables)
        for shape, count in Counter(tuple(w.shape) for w in part.trainable_weights).items():
            assert slots[shape] >= copies * count, (part.name, shape)
    assert model.g_optimizer.use_ema == (model.ema_momentum > 0) and not model.d_optimizer.use_ema
    model.compile(d_learning_rate=1e-4, g_learning_rate=5e-4)  # the rates can be chosen
    assert float(model.d_optimizer.learning_rate.numpy()) == pytest.approx(1e-4)
    assert float(model.g_optimizer.learning_rate.numpy()) == pytest.approx(5e-4)


@pytest.mark.slow
def test_trains_under_mirrored_strategy_on_two_cpu_devices():
    """Two logical CPUs must be configured before TensorFlow starts: use a fresh process."""
    script = textwrap.dedent("""
        import numpy as np, tensorflow as tf, keras
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        import gan_utils as gu
        from gan_utils.models import InfoGAN
        keras.utils.set_random_seed(0)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        with strategy.scope():
            model = InfoGAN(noise_dim=8)
            model.compile()
        before = model.generator.get_weights()[0].copy()
        x = gu.load_mnist("bundled", verbose=False).x_train[:128]
        data = gu.make_dataset(x, batch_size=32, neighbours=5)  # dict batches, split per replica
        history = model.fit(data, epochs=1, verbose=0).history
        assert strategy.num_replicas_in_sync == 2
        assert all(np.isfinite(v[-1]) for v in history.values()), history
        assert not np.allclose(before, model.generator.get_weights()[0])
        with strategy.scope():  # ACGAN averages G's weights (Keras' use_ema) under replicas too
            acgan = gu.ACGAN(noise_dim=8)
            acgan.compile()
        y = gu.load_mnist("bundled", verbose=False).y_train[:128]
        acgan.fit(gu.make_dataset(x, y, batch_size=32), epochs=1, verbose=0)
        assert all(np.isfinite(w).all() for w in acgan.generator.get_weights())
        print("replicas", strategy.num_replicas_in_sync, "info_loss", round(history["info_loss"][-1], 3))
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "replicas 2" in done.stdout


def test_alignment_lets_you_ask_for_digits_and_survives_save(tmp_path, small):
    model = small()
    with pytest.raises(ValueError, match="not aligned yet"):
        model.generate(digits=[3])
    mapping = {c: (c + 3) % 10 for c in range(10)}  # category c draws digit c + 3
    model.set_alignment(mapping)
    np.testing.assert_array_equal(model.generate(digits=[3, 0], seed=1),
                                  model.generate(labels=[0, 7], seed=1))
    model.save(tmp_path / "aligned")
    again = load(tmp_path / "aligned")
    assert again.alignment == mapping
    np.testing.assert_array_equal(again.generate(digits=[5], seed=2), model.generate([2], seed=2))
    with pytest.raises(ValueError, match="each of the 10 categories to a different digit"):
        model.set_alignment({c: 0 for c in range(10)})
    with pytest.raises(ValueError, match="either labels= .* or digits="):
        model.generate([1], digits=[1])


def test_align_from_real_digits_uses_the_matching(monkeypatch, small):
    model = small()
    labels = np.arange(100) % 10
    fake_probs = np.eye(10)[(labels + 1) % 10]  # Q reads digit d as category d + 1
    monkeypatch.setattr(model, "recognize", lambda images: (fake_probs, None))
    matching = gu.evaluation.align(model, np.zeros((100, 28, 28), np.uint8), labels)
    assert matching.accuracy == 1.0
    assert model.alignment == {(d + 1) % 10: d for d in range(10)}


# --------------------------------------------------------------------------- InfoGAN's other shapes


def train_and_reload(model: InfoGAN, digits: tuple[np.ndarray, np.ndarray], folder) -> InfoGAN:
    """Fit one epoch (the 128 shared digits, 2 batches of 64), check every metric is finite,
    then save and load: the copy has the same settings, draws the same and reads the same."""
    data = gu.make_dataset(digits[0], batch_size=64, neighbours=model.data_neighbours)
    history = model.fit(data, epochs=1, verbose=0).history
    assert set(history) == set(InfoGAN.metric_names)
    assert all(np.isfinite(values[-1]) for values in history.values()), history
    assert int(model.d_optimizer.iterations.numpy()) == 2
    again = gu.load(model.save(folder))
    assert type(again) is InfoGAN and again.get_config() == model.get_config()
    np.testing.assert_array_equal(again.generate(np.arange(10), seed=5),
                                  model.generate(np.arange(10), seed=5))
    images = gu.data.to_unit_range(digits[0][:16])
    for ours, theirs in zip(model.discriminator(images, training=False),
                            again.discriminator(images, training=False), strict=True):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    return again


@pytest.mark.slow
def test_learned_style_std_trains_its_own_head_and_survives_save(tmp_path, digits, small):
    """learn_style_std=True: Q gets a 4th output, q_style_log_std, that learns and is saved."""
    model = small(learn_style_std=True)
    head = model.discriminator.get_layer("q_style_log_std")
    assert len(model.discriminator.outputs) == 4 and head.units == model.num_styles
    before = [w.copy() for w in head.get_weights()]
    again = train_and_reload(model, digits, tmp_path / "std")
    assert not np.allclose(before[0], head.get_weights()[0])  # D's step reached the log-std head
    assert again.learn_style_std is True
    for ours, theirs in zip(head.get_weights(),
                            again.discriminator.get_layer("q_style_log_std").get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    probs, styles = again.recognize(gu.data.to_unit_range(digits[0][:4]))
    assert probs.shape == (4, 10) and styles.shape == (4, 3)  # the extra output stays inside Q
    assert len(small().discriminator.outputs) == 3  # without it: D's logit, category, style mean


@pytest.mark.slow
def test_q_without_a_hidden_layer_reads_the_trunk_directly(tmp_path, digits, small):
    """q_hidden=0: Q's heads sit straight on D's trunk features; it trains and is saved."""
    names = lambda model: [layer.name for layer in model.discriminator.layers]  # noqa: E731
    assert "q_hidden" in names(small())  # the default has one, of 128 units
    model = small(q_hidden=0)
    assert "q_hidden" not in names(model)
    assert model.discriminator.get_layer("q_category_logits").kernel.shape == (
        gu.TRUNK_FEATURES, 10)
    again = train_and_reload(model, digits, tmp_path / "no_hidden")
    assert again.get_config()["q_hidden"] == 0 and "q_hidden" not in names(again)


@pytest.mark.slow
def test_shared_dense_layer_feeds_both_d_and_q(tmp_path, digits, small):
    """shared_dense=1024: the InfoGAN paper's FC-1024, between the trunk and D's and Q's heads."""
    model = small(shared_dense=1024)
    shared = model.discriminator.get_layer("shared_dense")
    assert shared.units == 1024 and shared.kernel.shape == (gu.TRUNK_FEATURES, 1024)
    assert model.discriminator.get_layer("real_fake").kernel.shape == (1024, 1)  # D reads it
    assert model.discriminator.get_layer("q_hidden").kernel.shape == (1024, 128)  # so does Q
    before = shared.kernel.numpy().copy()
    again = train_and_reload(model, digits, tmp_path / "shared")
    assert not np.allclose(before, shared.kernel.numpy())
    assert again.discriminator.get_layer("shared_dense").units == 1024
    assert "shared_dense" not in [layer.name for layer in small().discriminator.layers]  # default


def _slant_and_centre(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each image's slant (x moved per row down, from its ink's moments) and ink centre (x, y)."""
    ink = (images[..., 0] + 1.0) / 2.0
    ink = ink / ink.sum(axis=(1, 2), keepdims=True)
    rows, cols = np.mgrid[:28, :28]
    cx, cy = (ink * cols).sum((1, 2)), (ink * rows).sum((1, 2))
    dx, dy = cols - cx[:, None, None], rows - cy[:, None, None]
    return (ink * dx * dy).sum((1, 2)) / (ink * dy * dy).sum((1, 2)), np.stack([cx, cy], 1)


def test_random_slant_slants_digits_in_place_by_up_to_its_factor(digits):
    from gan_utils.models import RandomSlant

    images = gu.data.to_unit_range(digits[0])
    slanted = RandomSlant(0.3, seed=1)(images, training=True).numpy()
    before, centre_before = _slant_and_centre(images)
    after, centre_after = _slant_and_centre(slanted)
    change = before - after  # the input read at x + s (y - centre): slant falls by s
    assert 0.25 < np.abs(change).max() <= 0.31 and change.min() < -0.1 < 0.1 < change.max()
    assert np.abs(centre_after - centre_before).max() < 0.5  # about the centre: the digit stays
    assert slanted.min() >= -1.0 - 1e-6 and slanted.max() <= 1.0 + 1e-6  # border: background
    np.testing.assert_array_equal(RandomSlant(0.3)(images, training=False), images)
    with pytest.raises(ValueError, match=r"factor must be in \(0, 1\), got 1.5"):
        RandomSlant(1.5)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(
        RandomSlant(0.3, seed=1)))
    assert (again.factor, again.seed) == (0.3, 1)
    # the default InfoGAN's real-digit moves slant; the paper's preset has no such terms
    assert InfoGAN().move_slant == 0.3 and InfoGAN.paper().move_slant == 0.0
    assert any(isinstance(layer, RandomSlant) for layer in InfoGAN().augment.layers)
    assert not any(isinstance(layer, RandomSlant) for layer in InfoGAN(move_slant=0).augment.layers)


def test_generate_nothing_gives_no_images(small):
    model = small()
    assert model.generate(np.array([], int)).shape == (0, 28, 28, 1)


@pytest.mark.parametrize("what", ["styles", "noise"])
def test_nan_codes_are_refused(small, what):
    model = small()
    bad = {"styles": np.array([[np.nan, 0.0]]), "noise": np.full((1, 8), np.nan)}[what]
    with pytest.raises(ValueError, match=f"{what} must be finite numbers"):
        model.generate([0], **{what: bad})


@pytest.mark.parametrize("images, shown", [
    (lambda x: x.astype(np.float32)[..., None], "float32 values 0..255"),
    (lambda x: (x / 255.0).astype(np.float32)[..., None], "float32 values 0..1"),
    (lambda x: x[..., None], "uint8"),
])
def test_fit_refuses_images_on_the_wrong_scale(digits, images, shown):
    model = gu.InfoGAN(noise_dim=8, neighbour_weight=0)
    model.compile()
    with pytest.raises(ValueError, match=f"fit expects float images scaled to \\[-1, 1\\].*{shown}"):
        model.fit(images(digits[0]), epochs=1, batch_size=32, verbose=0)


def test_fit_refuses_a_dataset_of_raw_pixels(digits):
    model = gu.InfoGAN(noise_dim=8, neighbour_weight=0)
    model.compile()
    raw = tf.data.Dataset.from_tensor_slices(digits[0][..., None]).batch(32)
    with pytest.raises(ValueError, match="the dataset gives uint8: build it with"):
        model.fit(raw, epochs=1, verbose=0)


def test_fit_refuses_a_float_dataset_on_the_wrong_scale(digits):
    model = gu.InfoGAN(noise_dim=8, neighbour_weight=0)
    model.compile()
    raw = tf.data.Dataset.from_tensor_slices(digits[0][..., None].astype(np.float32)).batch(32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="fit expects images scaled to"):
        model.fit(raw, epochs=1, verbose=0)


def test_fit_takes_properly_scaled_arrays(digits):
    model = gu.InfoGAN(noise_dim=8, neighbour_weight=0)
    model.compile()
    history = model.fit(gu.data.to_unit_range(digits[0]), epochs=1, batch_size=64, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])
