"""gan_utils.checkpoints: a save is all-or-nothing, a load checks every file, and a damaged,
foreign or half-written checkpoint is one clear error."""

import json
import os
import re
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

import gan_utils as gu
import gan_utils.checkpoints
import gan_utils.cli
import gan_utils.data
from gan_utils.checkpoints import CheckpointError, load, weight_files
from gan_utils.models import ACGAN, InfoGAN


def part_names(folder) -> list[str]:
    """A checkpoint folder's file names without the content hash (generator-<hash>.weights.h5)."""
    return sorted(re.sub(r"-[0-9a-f]{16}\.", ".", p.name) for p in folder.iterdir())


def small_infogan(seed: int = 0) -> gu.InfoGAN:
    keras.utils.set_random_seed(seed)
    model = gu.InfoGAN(noise_dim=8)
    model.compile()
    return model


def fingerprint(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


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


@pytest.mark.slow
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


def test_saving_a_loaded_model_again_keeps_its_training_record(tmp_path):
    small_infogan().save(tmp_path / "ckpt", training={"mode": "full", "seed": 5})
    model = load(tmp_path / "ckpt")
    model.set_style_names(["slant", "width", "style 3"])  # as notebook 03 does before saving
    model.save(tmp_path / "ckpt")
    assert load(tmp_path / "ckpt").checkpoint_meta["training"] == {"mode": "full", "seed": 5}


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.parametrize("model_class", [InfoGAN, ACGAN])
def test_save_load_round_trip_gives_identical_images(tmp_path, model_class, digits, small):
    model = small(model_class)
    data = gu.make_dataset(*digits, batch_size=64, neighbours=model.data_neighbours)
    model.fit(data, epochs=1, verbose=0)
    model.save(tmp_path / "ckpt")
    assert part_names(tmp_path / "ckpt") == [
        "config.json", "discriminator.weights.h5", "generator.weights.h5"]
    again = gu.load(tmp_path / "ckpt")
    assert type(again) is model_class and again.get_config() == model.get_config()
    np.testing.assert_array_equal(again.generate([0, 5, 9], seed=11), model.generate([0, 5, 9], seed=11))


def test_interrupted_save_leaves_the_old_checkpoint_whole(tmp_path, monkeypatch, small):
    model = small()
    model.save(tmp_path / "ckpt")
    before = model.generate([1], seed=0)
    model.generator.layers[0].kernel.assign(model.generator.layers[0].kernel * 0)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(model.discriminator, "save_weights", crash)
    with pytest.raises(KeyboardInterrupt):
        model.save(tmp_path / "ckpt")
    np.testing.assert_array_equal(load(tmp_path / "ckpt").generate([1], seed=0), before)
    assert part_names(tmp_path / "ckpt") == [
        "config.json", "discriminator.weights.h5", "generator.weights.h5"]  # no leftovers


def test_bad_checkpoints(tmp_path, small):
    with pytest.raises(CheckpointError, match="no such checkpoint folder"):
        load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="no config.json"):
        load(tmp_path / "empty")
    small().save(tmp_path / "info")
    with pytest.raises(CheckpointError, match="holds an InfoGAN checkpoint, not ACGAN"):
        load(tmp_path / "info", expect=ACGAN)
    config = json.loads((tmp_path / "info" / "config.json").read_text())
    config["config"]["num_categories"] = 12
    (tmp_path / "info" / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="weights do not fit this InfoGAN"):
        load(tmp_path / "info")
    next((tmp_path / "info").glob("generator-*.weights.h5")).unlink()
    with pytest.raises(CheckpointError, match=r"generator-[0-9a-f]{16}.weights.h5 is missing"):
        load(tmp_path / "info")
    (tmp_path / "info" / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not a gan_utils checkpoint config"):
        load(tmp_path / "info")


def test_load_pretrained_names_what_is_shipped():
    with pytest.raises(CheckpointError, match="no pretrained checkpoint 'wgan'"):
        gu.load_pretrained("wgan")


def test_shipped_checkpoints_are_small_aligned_and_named():
    # the paper's InfoGAN has two layers of 1,024 units on 6,272 (G's and D's): 27 MB at float16
    limits = {"acgan": 4, "infogan": 4, "infogan_paper": 30}
    for name, megabytes in limits.items():
        folder = gu.checkpoints.PRETRAINED_DIR / name
        size = sum(f.stat().st_size for f in folder.iterdir())
        assert size < megabytes * 2**20, f"{name}: {size / 2**20:.2f} MB"
        meta = json.loads((folder / "config.json").read_text())
        assert meta["training"]["data"].startswith("bundled") and "command" in meta["training"]
        assert (folder / "MODEL_CARD.md").is_file() and (folder / "grid.png").is_file()
    for name in ("infogan", "infogan_paper"):
        infogan = gu.load_pretrained(name)
        assert sorted(infogan.alignment.values()) == list(range(10))
        assert len(infogan.style_names) == infogan.num_styles
    paper = gu.load_pretrained("infogan_paper")
    assert paper.config == gu.InfoGANConfig.paper()
    assert (paper.checkpoint_meta["training"]["steps"], paper.checkpoint_meta["training"][
        "batch_size"]) == (5000, 128)


def test_checkpoint_from_before_the_neighbour_term_keeps_its_recipe(tmp_path, small):
    small().save(tmp_path / "old")
    meta = json.loads((tmp_path / "old" / "config.json").read_text())
    for knob in ("confidence_weight", "neighbour_weight"):  # what older checkpoints lack
        del meta["config"][knob]
    (tmp_path / "old" / "config.json").write_text(json.dumps(meta))
    old = load(tmp_path / "old")
    assert (old.confidence_weight, old.neighbour_weight) == (1.0, 0.0)


def test_acgan_checkpoint_from_before_moved_reals_keeps_its_recipe(tmp_path):
    ACGAN(noise_dim=8).save(tmp_path / "old")
    meta = json.loads((tmp_path / "old" / "config.json").read_text())
    del meta["config"]["move_real_for_class"]  # what older checkpoints lack
    (tmp_path / "old" / "config.json").write_text(json.dumps(meta))
    assert load(tmp_path / "old").move_real_for_class is False


def test_half_precision_checkpoint_is_half_the_size_and_draws_the_same(tmp_path, small):
    model = small()
    model.save(tmp_path / "full")
    model.save(tmp_path / "half", half_precision=True)
    size = lambda d: weight_files(d)["generator"].stat().st_size  # noqa: E731
    assert size(tmp_path / "half") < 0.6 * size(tmp_path / "full")
    again = load(tmp_path / "half")
    assert again.generator.weights[0].dtype == "float32"
    np.testing.assert_allclose(again.generate([1, 2], seed=3), model.generate([1, 2], seed=3),
                               atol=0.02)


def test_style_names_survive_save_and_are_checked(tmp_path, small):
    model = small()
    model.set_style_names(["slant", "width", "style 3"])
    model.save(tmp_path / "named")
    assert load(tmp_path / "named").style_names == ["slant", "width", "style 3"]
    with pytest.raises(ValueError, match="one non-empty string per style code"):
        model.set_style_names(["slant"])


def test_load_trained_falls_back_to_the_shipped_model(tmp_path, capsys, small):
    model = gu.load_trained(tmp_path / "nothing-here", "infogan")
    assert isinstance(model, InfoGAN)
    assert "InfoGAN: none saved in" in capsys.readouterr().out
    small().save(tmp_path / "mine")
    assert gu.load_trained(tmp_path / "mine", "infogan").noise_dim == 8  # ours, not the shipped one
    with pytest.raises(CheckpointError, match="holds an InfoGAN checkpoint, not ACGAN"):
        gu.load_trained(tmp_path / "mine", "acgan")
    with pytest.raises(ValueError, match="'acgan', 'infogan', 'infogan_paper'"):
        gu.load_trained(tmp_path / "mine", "wgan")


def test_a_truncated_weight_file_of_the_shipped_format_is_called_damaged(tmp_path):
    """The shipped checkpoints (format 1) name no sha256, so a cut file used to read as weights
    that "do not fit this ACGAN"; it is a damaged file, and says so."""
    shutil.copytree(gu.checkpoints.PRETRAINED_DIR / "acgan", tmp_path / "acgan")
    path = tmp_path / "acgan" / "generator.weights.h5"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match=r"generator.weights.h5: damaged \(not a whole HDF5"):
        load(tmp_path / "acgan")


def test_a_checkpoint_loads_in_a_process_that_never_imported_the_models():
    """`import gan_utils` loads its modules when first used, so the models may not have
    registered themselves yet when a checkpoint is read (notebook 03's first load)."""
    done = subprocess.run([sys.executable, "-c", "from gan_utils.checkpoints import "
                           "load_pretrained; print(type(load_pretrained('infogan')).__name__)"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "InfoGAN"
