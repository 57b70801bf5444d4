"""gan_utils.callbacks and the train CLI: grids, GIFs, safe checkpoints, interruption."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

import gan_utils as gu
import gan_utils.cli
from gan_utils.callbacks import SafeCheckpoint, SampleGrid, save_gif
from gan_utils.checkpoints import weight_files
from gan_utils.cli import main as cli
from gan_utils.plots import sample_grid


def test_sample_grid_shapes_rows_by_columns(small):
    assert sample_grid(small(), n_cols=7).shape == (10 * 30 + 2, 7 * 30 + 2)
    with pytest.raises(ValueError, match="style_index must be in 0..2"):
        sample_grid(small(), style_index=3)  # three style codes: 0, 1 and 2
    acgan_grid = sample_grid(small(gu.ACGAN), n_cols=4)
    assert acgan_grid.shape == (302, 122) and acgan_grid.dtype == np.uint8


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


@pytest.mark.parametrize("kind", ["infogan", "acgan"])
def test_train_cli_writes_everything(tmp_path, digits, kind):
    x, y = digits
    np.savez(tmp_path / "tiny.npz", x_train=x, y_train=y, x_test=x[:10], y_test=y[:10])
    out = tmp_path / "run"
    cli(["train", kind, "--out", str(out), "--steps", "3", "--seed", "3",
         "--data", str(tmp_path / "tiny.npz")])
    assert {"config.json", "grid.png", "training.gif", "history.json"} <= {
        p.name for p in out.iterdir()}
    assert set(weight_files(out)) == {"generator", "discriminator"}
    meta = json.loads((out / "config.json").read_text())
    assert meta["training"]["steps"] == 3 and meta["training"]["seed"] == 3
    assert meta["training"]["passes"] == round(3 * 64 / 128, 2)
    assert meta["training"]["command"].startswith(f"python -m gan_utils train {kind} --out ")
    assert len(json.loads((out / "history.json").read_text())["d_loss"]) == 1
    # untrained + one per epoch, and for ACGAN (ema_momentum > 0) a last frame of G's averaged weights
    assert Image.open(out / "training.gif").n_frames == 2 + (kind == "acgan")
    assert type(gu.load(out)).__name__.lower() == kind


def test_train_cli_counts_steps_across_epochs_and_the_end_of_the_data(tmp_path, digits,
                                                                      monkeypatch):
    """80 steps on 128 digits: 40 passes over the data, one full epoch of 78 steps and 2 more."""
    x, y = digits
    np.savez(tmp_path / "tiny.npz", x_train=x, y_train=y, x_test=x[:10], y_test=y[:10])
    monkeypatch.setattr(gan_utils.cli, "STEPS_PER_EPOCH", 30)  # 3 epochs: 30 + 30 + 20 steps
    training = gan_utils.cli.train("acgan", tmp_path / "run", steps=80,
                                   data=str(tmp_path / "tiny.npz"), verbose=0)
    assert training["steps"] == 80 and training["passes"] == 40.0
    assert len(json.loads((tmp_path / "run" / "history.json").read_text())["d_loss"]) == 3


def test_train_cli_epochs_are_passes_over_the_data(tmp_path, digits):
    x, y = digits
    np.savez(tmp_path / "tiny.npz", x_train=x, y_train=y, x_test=x[:10], y_test=y[:10])
    training = gan_utils.cli.train("infogan", tmp_path / "run", epochs=2,
                                   data=str(tmp_path / "tiny.npz"), verbose=0)
    assert training["steps"] == 4 and training["passes"] == 2.0  # 128 digits = 2 batches of 64


def test_stop_after_steps_ends_fit_inside_an_epoch(small, digits):
    model = small(gu.ACGAN)
    data = gu.make_dataset(*digits, batch_size=32).repeat()
    history = model.fit(data, epochs=3, steps_per_epoch=4, verbose=0,
                        callbacks=[gu.callbacks.StopAfterSteps(10)])
    assert int(model.d_optimizer.iterations.numpy()) == 10
    assert len(history.history["d_loss"]) == 3  # the cut epoch still ends, and is logged
    with pytest.raises(ValueError, match="steps must be a whole number >= 1"):
        gu.callbacks.StopAfterSteps(0)


def test_fit_steps_trains_any_keras_model_on_a_dataset_without_a_shuffle_warning(digits):
    """cli.fit_steps (the CLI's and tools/runs.py's Q-alone training): exactly `steps` steps, and
    no "shuffle=True ... will be ignored" warning from Keras for a model that is not one of ours."""
    import warnings

    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = gu.make_dataset(*digits, batch_size=32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gan_utils.cli.fit_steps(model, data, steps=5, verbose=0)
    assert not [w for w in caught if "shuffle" in str(w.message)]
    assert int(model.optimizer.iterations.numpy()) == 5


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


def test_train_cli_rejects_a_test_only_folder(tmp_path, digits, capsys):
    x, y = digits
    np.savez(tmp_path / "test_only.npz", x_train=x[:0], y_train=y[:0], x_test=x, y_test=y)
    assert cli(["train", "infogan", "--out", str(tmp_path / "run"), "--data",
                str(tmp_path / "test_only.npz")]) == 2
    assert "no training digits" in capsys.readouterr().err


def test_evaluate_cli_reports_infogan_as_json(tmp_path, digits, capsys, monkeypatch, small,
                                             write_idx):
    x, y = digits
    write_idx(tmp_path / "t10k-images-idx3-ubyte", x[:100])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", y[:100])
    model = small()
    model.fit(gu.make_dataset(x, batch_size=64, neighbours=5), epochs=1, verbose=0)
    model.save(tmp_path / "info")
    import functools

    import gan_utils.cli

    quick = functools.partial(gan_utils.cli.evaluate_dir, n_fid=200, n_label=200, style_draws=4)
    monkeypatch.setattr(gan_utils.cli, "evaluate_dir", quick)  # same code, smaller samples
    cli(["evaluate", str(tmp_path / "info"), "--test-data", str(tmp_path), "--json"])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["model"] == "InfoGAN" and report["n_test"] == 100
    assert 0.0 <= report["category_accuracy"] <= 1.0 and len(report["mapping"]) == 10
    assert [c["index"] for c in report["style_codes"]] == [0, 1, 2]  # one per style code
    assert report["fid"] > 0 and "fid_floor" in report and 0 <= report["methods_agree"] <= 10
    # the folder has test digits only: the floor compares two halves of them, not other digits
    assert report["fid_floor_source"] == "two halves of the test digits" and report["fid_floor"] > 0


def test_evaluate_cli_needs_held_out_digits(tmp_path, digits, capsys, small):
    x, y = digits  # training digits only ('bundled' now ships the official test set too)
    np.savez(tmp_path / "train_only.npz", x_train=x, y_train=y, x_test=x[:0], y_test=y[:0])
    small().save(tmp_path / "info")
    assert cli(["evaluate", str(tmp_path / "info"), "--test-data",
                str(tmp_path / "train_only.npz")]) == 2
    assert "no held-out test digits" in capsys.readouterr().err


def test_pack_and_align_cli_make_a_small_aligned_copy(tmp_path, capsys):
    keras.utils.set_random_seed(0)
    model = gu.InfoGAN(noise_dim=8)
    model.save(tmp_path / "run", extra={"training": {"seed": 0}})
    cli(["pack", str(tmp_path / "run"), str(tmp_path / "shipped")])
    assert "MB" in capsys.readouterr().out
    full, half = (weight_files(tmp_path / d)["discriminator"].stat().st_size
                  for d in ("run", "shipped"))
    assert half < 0.6 * full
    cli(["align", str(tmp_path / "shipped"), "--data", "bundled"])
    assert "categories -> digits" in capsys.readouterr().out
    aligned = gu.load(tmp_path / "shipped")
    assert sorted(aligned.alignment.values()) == list(range(10))
    assert len(aligned.style_names) == aligned.num_styles == 3  # the default's codes
    assert aligned.checkpoint_meta["training"] == {"seed": 0}  # kept through both rewrites
    assert weight_files(tmp_path / "shipped")["discriminator"].stat().st_size == half  # still half


def test_epoch_curve_probe_reads_q_between_epochs(tmp_path, digits, monkeypatch, tool):
    from gan_utils.cli import train

    epoch_curve = tool("epoch_curve")
    x, y = digits
    np.savez(tmp_path / "tiny.npz", x_train=x, y_train=y, x_test=x[:10], y_test=y[:10])
    out = tmp_path / "curve"
    probe = epoch_curve.CurveProbe(x, y, every=2, out=out, keep=True)
    monkeypatch.setattr(gan_utils.cli, "STEPS_PER_EPOCH", 2)  # 4 epochs of 2 steps
    train("infogan", out, 8, 64, 0, str(tmp_path / "tiny.npz"), verbose=0, callbacks=(probe,),
          model_options={"noise_dim": 8})
    rows = json.loads((out / "curve.json").read_text())
    assert [row["step"] for row in rows] == [4, 8]
    assert all(0.1 <= row["category_accuracy"] <= 1 for row in rows)  # matched: never below 1/K
    assert [row["merged"] for row in rows] == [[list(g) for g in m] for m in probe.merged]
    assert type(gu.load(out / "step4")).__name__ == "InfoGAN" and gu.load(out).noise_dim == 8


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
