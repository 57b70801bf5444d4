"""Bad input gets one clear line, and nothing already trained is lost (the probe of issue 16).

Each test here failed before its fix: a wrong number, a damaged or foreign checkpoint, a
crash in the middle of a save, images on the wrong scale.
"""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import gan_utils as gu
import gan_utils.checkpoints
import gan_utils.cli
from gan_utils.checkpoints import CheckpointError, load, weight_files
from gan_utils.cli import main as cli


@pytest.fixture(scope="module")
def digits():
    mnist = gu.load_mnist("bundled", verbose=False)
    pick = np.random.default_rng(0).permutation(len(mnist.x_train))[:128]
    return mnist.x_train[pick], mnist.y_train[pick]


@pytest.fixture
def tiny_npz(tmp_path, digits):
    x, y = digits
    np.savez(tmp_path / "tiny.npz", x_train=x, y_train=y, x_test=x[:40], y_test=y[:40])
    return str(tmp_path / "tiny.npz")


def small_infogan(seed: int = 0) -> gu.InfoGAN:
    keras.utils.set_random_seed(seed)
    model = gu.InfoGAN(noise_dim=8)
    model.compile()
    return model


def one_line_error(capsys) -> str:
    """What the CLI printed on stderr: exactly one line, no traceback."""
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def fingerprint(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# --------------------------------------------------------------------------- the CLI's numbers


@pytest.mark.parametrize("option, value", [("--steps", "0"), ("--steps", "-3"),
                                           ("--epochs", "0"), ("--batch-size", "0"),
                                           ("--seed", "-1"), ("--steps", "ten")])
def test_train_cli_refuses_nonsense_numbers_and_keeps_the_model(tmp_path, tiny_npz, capsys,
                                                                option, value):
    small_infogan().save(tmp_path / "run")
    before = fingerprint(tmp_path / "run")
    with pytest.raises(SystemExit) as stop:  # argparse exits by itself, after one line
        cli(["train", "infogan", "--out", str(tmp_path / "run"), option, value, "--data", tiny_npz])
    assert stop.value.code == 2
    assert f"argument {option}" in one_line_error(capsys)
    assert fingerprint(tmp_path / "run") == before


def test_train_cli_never_replaces_a_trained_model_unasked(tmp_path, tiny_npz, capsys):
    small_infogan().save(tmp_path / "run", training={"mode": "full", "seed": 4})
    before = fingerprint(tmp_path / "run")
    assert cli(["train", "infogan", "--out", str(tmp_path / "run"), "--epochs", "1",
                "--data", tiny_npz]) == 2
    assert "already holds a model (full mode, seed 4); choose another folder, or pass " \
           "--overwrite" in one_line_error(capsys)
    assert fingerprint(tmp_path / "run") == before
    assert cli(["train", "infogan", "--out", str(tmp_path / "run"), "--epochs", "1",
                "--data", tiny_npz, "--overwrite"]) == 0
    assert load(tmp_path / "run").checkpoint_meta["training"]["steps"] == 2  # 128 digits


def test_train_cli_takes_steps_or_epochs_not_both(tmp_path, tiny_npz, capsys):
    with pytest.raises(SystemExit) as stop:
        cli(["train", "acgan", "--out", str(tmp_path / "run"), "--steps", "5", "--epochs", "1",
             "--data", tiny_npz])
    assert stop.value.code == 2
    assert "not allowed with argument" in one_line_error(capsys)
    assert not (tmp_path / "run").exists()


def test_train_cli_checks_out_before_training(tmp_path, capsys, monkeypatch):
    (tmp_path / "taken").write_text("a file")
    monkeypatch.setattr(gan_utils.cli, "load_mnist",
                        lambda *a, **k: pytest.fail("loaded the data before checking --out"))
    assert cli(["train", "acgan", "--out", str(tmp_path / "taken")]) == 2
    assert "is a file; give a folder" in one_line_error(capsys)


@pytest.mark.parametrize("args, message", [
    (["train", "acgan", "--out", "{tmp}/r", "--data", "{tmp}/nowhere"], "no such file or folder"),
    (["train", "acgan", "--out", "{tmp}/r", "--data", "{npz}", "--batch-size", "100000"],
     "--batch-size 100000 is larger than the 128 training digits"),
    (["evaluate", "{tmp}"], "no config.json"),
    (["align", "{acgan}"], "holds an ACGAN checkpoint, not InfoGAN"),
    (["compare", "{infogan}", "{acgan}", "--test-data", "{npz}"],
     "holds an InfoGAN checkpoint, not ACGAN"),
    (["pack", "{acgan}", "{acgan}"], "give a target folder other than the source"),
])
def test_cli_errors_are_one_line(tmp_path, tiny_npz, capsys, args, message):
    small_infogan().save(tmp_path / "info")
    gu.ACGAN(noise_dim=8).save(tmp_path / "ac")
    where = dict(tmp=tmp_path, npz=tiny_npz, acgan=tmp_path / "ac", infogan=tmp_path / "info")
    assert cli([a.format(**where) for a in args]) == 2
    assert message in one_line_error(capsys)


# --------------------------------------------------------------------------- checkpoints


def test_a_crash_between_the_renames_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    old = small_infogan(seed=0)
    old.save(tmp_path / "ckpt")
    old_images = old.generate([1, 7], seed=0)
    new = small_infogan(seed=1)
    real_replace = os.replace

    def crash_at_config(source, target):
        if str(target).endswith("config.json"):
            raise KeyboardInterrupt  # killed after both new weight files are in place
        real_replace(source, target)

    monkeypatch.setattr(gan_utils.checkpoints.os, "replace", crash_at_config)
    with pytest.raises(KeyboardInterrupt):
        new.save(tmp_path / "ckpt")
    monkeypatch.undo()
    np.testing.assert_array_equal(load(tmp_path / "ckpt").generate([1, 7], seed=0), old_images)
    assert len(list((tmp_path / "ckpt").iterdir())) == 3  # config and two weight files, no more


def test_a_killed_save_leaves_no_temporaries_behind_the_next_one(tmp_path):
    model = small_infogan()
    model.save(tmp_path / "ckpt")
    for name in (".tmp-999999-generator.weights.h5", ".tmp-999999-config.json"):
        (tmp_path / "ckpt" / name).write_bytes(b"half-written")  # what a killed save leaves
    (tmp_path / "ckpt" / "generator-0123456789abcdef.weights.h5").write_bytes(b"orphan")
    (tmp_path / "ckpt" / "grid.png").write_bytes(b"kept")
    model.save(tmp_path / "ckpt")
    names = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert names[0] == "config.json" and names[-1] == "grid.png" and len(names) == 4
    assert not any(n.startswith(".tmp-") or "0123456789abcdef" in n for n in names)


def test_a_damaged_weight_file_is_refused(tmp_path):
    small_infogan().save(tmp_path / "ckpt")
    path = weight_files(tmp_path / "ckpt")["discriminator"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="contents do not match config.json"):
        load(tmp_path / "ckpt")


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(config=None), "'config' must be the model's settings"),
    (lambda m: m["config"].update(colour="red"), "config does not make an InfoGAN: Unrecognized keyword arguments"),
    (lambda m: m["config"].update(num_categories=10**9), "num_categories must be an integer"),
    (lambda m: m.update(alignment={"0": 1}), "an alignment maps each of the 10 categories"),
])
def test_a_bad_config_is_one_error_that_names_the_file(tmp_path, change, message):
    small_infogan().save(tmp_path / "ckpt")
    config = tmp_path / "ckpt" / "config.json"
    meta = json.loads(config.read_text())
    change(meta)
    config.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=message) as error:
        load(tmp_path / "ckpt")
    assert str(config) in str(error.value)


def test_a_keras_file_name_is_refused_by_save(tmp_path):
    with pytest.raises(CheckpointError, match="saves into a folder"):
        small_infogan().save(tmp_path / "model.keras")


def test_checkpoints_record_how_they_were_trained(tmp_path, digits):
    model = small_infogan()
    model.fit(gu.make_dataset(digits[0], batch_size=64, neighbours=5), epochs=2, verbose=0)
    model.save(tmp_path / "ckpt", training={"mode": "quick", "seed": 0, "data": "bundled"})
    training = load(tmp_path / "ckpt").checkpoint_meta["training"]
    assert training == {"mode": "quick", "seed": 0, "data": "bundled", "steps": 4}  # 2 x 2 batches


def test_a_quick_model_is_never_taken_for_a_trained_one(tmp_path, capsys):
    small_infogan().save(tmp_path / "infogan", training={"mode": "quick", "seed": 1})
    model = gu.load_trained(tmp_path / "infogan", "infogan", mode="full")
    assert model.noise_dim == 16  # the shipped one, not the 8-noise test model
    out = capsys.readouterr().out
    assert "holds a quick-mode test model" in out and "using the shipped InfoGAN" in out
    assert gu.load_trained(tmp_path / "infogan", "infogan", mode="read").noise_dim == 16
    assert "holds a quick-mode test model" in capsys.readouterr().out
    assert gu.load_trained(tmp_path / "infogan", "infogan", mode="quick").noise_dim == 8
    assert "using the one in" in capsys.readouterr().out
    with pytest.raises(ValueError, match="mode must be 'full', 'read' or 'quick', got 'fast'"):
        gu.load_trained(tmp_path / "infogan", "infogan", mode="fast")


# --------------------------------------------------------------------------- models


def test_generate_nothing_gives_no_images():
    model = small_infogan()
    assert model.generate(np.array([], int)).shape == (0, 28, 28, 1)


@pytest.mark.parametrize("what", ["styles", "noise"])
def test_nan_codes_are_refused(what):
    model = small_infogan()
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


def test_a_gzip_header_that_promises_too_much_is_refused_before_unpacking(tmp_path):
    import gzip
    import tracemalloc

    header = b"".join(n.to_bytes(4, "big") for n in (2051, 1_000_000, 28, 28))
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(header)
        for _ in range(20):
            f.write(bytes(1 << 20))  # 20 MB of zeros pack into ~20 kB
    tracemalloc.start()
    with pytest.raises(gu.MnistDataError, match="promises 784,000,000 bytes from .* packed"):
        gu.load_idx(tmp_path / "t10k-images-idx3-ubyte.gz")
    assert tracemalloc.get_traced_memory()[1] < 2**20  # nothing was unpacked
    tracemalloc.stop()


def test_fit_takes_properly_scaled_arrays(digits):
    model = gu.InfoGAN(noise_dim=8, neighbour_weight=0)
    model.compile()
    history = model.fit(gu.data.to_unit_range(digits[0]), epochs=1, batch_size=64, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])


def test_a_style_slider_refuses_nan():
    from traitlets import TraitError

    from gan_utils import widgets

    explorer = widgets.explore(gu.load_pretrained("infogan"))
    before = explorer.image.value
    with pytest.raises(TraitError, match="must be a finite number"):
        explorer.styles[0].value = float("nan")
    assert explorer.styles[0].value == 0.0 and explorer.image.value == before


def test_saving_a_loaded_model_again_keeps_its_training_record(tmp_path):
    small_infogan().save(tmp_path / "ckpt", training={"mode": "full", "seed": 5})
    model = load(tmp_path / "ckpt")
    model.set_style_names(["slant", "width", "style 3"])  # as notebook 03 does before saving
    model.save(tmp_path / "ckpt")
    assert load(tmp_path / "ckpt").checkpoint_meta["training"] == {"mode": "full", "seed": 5}


def test_a_loaded_model_trained_further_counts_all_its_steps(tmp_path, digits):
    model = small_infogan()
    data = gu.make_dataset(digits[0], batch_size=64, neighbours=5)
    model.fit(data, epochs=1, verbose=0)
    model.save(tmp_path / "ckpt")
    (tmp_path / "ckpt" / "generator_mine.weights.h5").write_bytes(b"a user's file")
    again = load(tmp_path / "ckpt")
    again.compile()
    again.fit(data, epochs=1, verbose=0)
    again.save(tmp_path / "ckpt")
    assert load(tmp_path / "ckpt").checkpoint_meta["training"]["steps"] == 4  # 2 + 2
    assert (tmp_path / "ckpt" / "generator_mine.weights.h5").read_bytes() == b"a user's file"
