"""gan_utils.callbacks and the train CLI: grids, GIFs, safe checkpoints, interruption."""


import keras
import numpy as np
import pytest
from PIL import Image

import gan_utils as gu
import gan_utils.cli
from gan_utils.callbacks import SafeCheckpoint, SampleGrid, save_gif
from gan_utils.plots import sample_grid


def test_sample_grid_shapes_rows_by_columns(small):
    assert sample_grid(small(), n_cols=7).shape == (10 * 30 + 2, 7 * 30 + 2)
    with pytest.raises(ValueError, match="style_index must be in 0..2"):
        sample_grid(small(), style_index=3)  # three style codes: 0, 1 and 2
    acgan_grid = sample_grid(small(gu.ACGAN), n_cols=4)
    assert acgan_grid.shape == (302, 122) and acgan_grid.dtype == np.uint8


@pytest.mark.slow
def test_grid_frames_per_epoch_saved_and_made_into_a_gif(tmp_path, digits, small):
    model = small()
    grids = SampleGrid(n_cols=5, out_dir=tmp_path / "grids")
    model.fit(gu.make_dataset(digits[0], batch_size=64, neighbours=5), epochs=2, verbose=0, callbacks=[grids])
    assert len(grids.frames) == 3  # untrained start + 2 epochs
    assert not np.array_equal(grids.frames[0], grids.frames[-1])  # training changed the drawing
    assert sorted(p.name for p in (tmp_path / "grids").iterdir()) == [
        "grid_000.png", "grid_001.png", "grid_002.png"]
    gif = Image.open(save_gif(grids.frames, tmp_path / "training.gif"))
    assert gif.n_frames == 3 and gif.size == grids.frames[0].shape[::-1]
    with pytest.raises(ValueError, match="no frames"):
        save_gif([], tmp_path / "empty.gif")


@pytest.mark.slow
def test_checkpoint_restores_the_last_good_weights_after_nan(tmp_path, digits, capsys, small):
    model = small()
    data = gu.make_dataset(digits[0], batch_size=64, neighbours=5)
    checkpoint = SafeCheckpoint(tmp_path / "ckpt")
    model.fit(data, epochs=1, verbose=0, callbacks=[checkpoint])
    good = model.generate([3], seed=0)
    kernel = model.discriminator.trainable_weights[0]
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))  # training blows up
    history = model.fit(data, epochs=3, verbose=0, callbacks=[checkpoint]).history
    assert len(history["d_loss"]) == 1 and np.isnan(history["d_loss"][0])  # stopped at once
    assert "back as it was at its last save (optimizer step 2," in capsys.readouterr().out
    assert np.isfinite(model.discriminator.trainable_weights[0].numpy()).all()
    np.testing.assert_array_equal(model.generate([3], seed=0), good)
    # training goes on from there: the optimizers' moments were put back too, not left NaN
    history = model.fit(data, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"][0]) and np.isfinite(history["g_loss"][0])
    assert all(np.isfinite(w).all() for w in model.discriminator.get_weights())


def test_checkpoint_puts_back_the_averaged_generator_after_nan(tmp_path, digits, small):
    model = small(gu.ACGAN)  # ACGAN keeps a moving average of G's weights (ema_momentum)
    data = gu.make_dataset(*digits, batch_size=64)
    checkpoint = SafeCheckpoint(tmp_path / "ckpt")
    model.fit(data, epochs=1, verbose=0, callbacks=[checkpoint])
    average = [v.numpy() for v in model.g_optimizer.variables if "average" in v.path]
    assert average and all(np.isfinite(a).all() for a in average)
    kernel = model.generator.trainable_weights[0]
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    model.fit(data, epochs=2, verbose=0, callbacks=[checkpoint])
    after = [v.numpy() for v in model.g_optimizer.variables if "average" in v.path]
    assert len(after) == len(average)  # zip below would pass on an empty list
    for a, b in zip(average, after):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("every", [0, -1, 1.5, True])
def test_checkpoint_every_must_be_a_whole_number_of_epochs(tmp_path, every):
    with pytest.raises(ValueError, match="every must be a whole number of epochs >= 1"):
        SafeCheckpoint(tmp_path, every=every)


def test_interrupting_fit_keeps_the_weights_trained_so_far(tmp_path, digits, small):
    class Interrupt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise KeyboardInterrupt  # what the notebook's stop button sends

    model = small()
    before = model.generator.get_weights()[0].copy()
    with pytest.raises(KeyboardInterrupt):
        model.fit(gu.make_dataset(digits[0], batch_size=32, neighbours=5), epochs=5, verbose=0,
                  callbacks=[Interrupt()])
    assert not np.allclose(before, model.generator.get_weights()[0])
    model.save(tmp_path / "after_interrupt")
    np.testing.assert_array_equal(gu.load(tmp_path / "after_interrupt").generate([2], seed=1),
                                  model.generate([2], seed=1))


def test_stop_after_steps_ends_fit_inside_an_epoch(small, digits):
    model = small(gu.ACGAN)
    data = gu.make_dataset(*digits, batch_size=32).repeat()
    history = model.fit(data, epochs=3, steps_per_epoch=4, verbose=0,
                        callbacks=[gu.callbacks.StopAfterSteps(10)])
    assert int(model.d_optimizer.iterations.numpy()) == 10
    assert len(history.history["d_loss"]) == 3  # the cut epoch still ends, and is logged
    with pytest.raises(ValueError, match="steps must be a whole number >= 1"):
        gu.callbacks.StopAfterSteps(0)


def test_category_probe_reads_q_on_held_out_digits_every_few_epochs(small, digits, bundled):
    model = small()
    probe = gu.callbacks.CategoryProbe(bundled.x_test[:300], bundled.y_test[:300], every=2)
    data = gu.make_dataset(digits[0], batch_size=32, neighbours=5).repeat()
    model.fit(data, epochs=4, steps_per_epoch=2, verbose=0, callbacks=[probe])
    assert probe.steps == [4, 8]
    expected = gu.evaluation.category_accuracy(model, bundled.x_test[:300], bundled.y_test[:300])
    assert probe.accuracy[-1] == round(expected.accuracy, 4)
    assert 0.1 <= probe.accuracy[-1] <= 1.0
    assert probe.merged[-1] == gu.evaluation.shared_categories(expected.confusion)
    assert len(probe.merged) == 2
    with pytest.raises(ValueError, match="as many labels as images"):
        gu.callbacks.CategoryProbe(bundled.x_test[:10], bundled.y_test[:9])


def test_save_gif_keeps_at_most_max_frames_first_and_last_included(tmp_path):
    frames = [np.full((4, 4), i * 5, np.uint8) for i in range(46)]  # start + 45 epochs
    gif = Image.open(save_gif(frames, tmp_path / "short.gif", max_frames=12))
    assert gif.n_frames == 12
    shown = []
    for k in range(gif.n_frames):
        gif.seek(k)
        shown.append(int(np.asarray(gif.convert("L"))[0, 0]))
    assert shown[0] == 0 and shown[-1] == 45 * 5 and shown == sorted(shown)
    with pytest.raises(ValueError, match="max_frames must be a whole number >= 2"):
        save_gif(frames, tmp_path / "bad.gif", max_frames=1)
