"""`python -m gan_utils`: each command does its job, and bad input is one line (exit 2).

Nothing already trained is lost: a refused command leaves the folder as it was.
"""

import functools
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

import gan_utils as gu
import gan_utils.checkpoints
import gan_utils.cli
import gan_utils.commands
import gan_utils.data
import gan_utils.training
from gan_utils.checkpoints import load, weight_files
from gan_utils.cli import main as cli


def one_line_error(capsys) -> str:
    """What the CLI printed on stderr: exactly one line, no traceback."""
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def fingerprint(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("option, value", [("--steps", "0"), ("--steps", "-3"),
                                           ("--epochs", "0"), ("--batch-size", "0"),
                                           ("--seed", "-1"), ("--steps", "ten")])
def test_train_cli_refuses_nonsense_numbers_and_keeps_the_model(tmp_path, tiny_npz, capsys, small,
                                                                option, value):
    small().save(tmp_path / "run")
    before = fingerprint(tmp_path / "run")
    with pytest.raises(SystemExit) as stop:  # argparse exits by itself, after one line
        cli(["train", "infogan", "--out", str(tmp_path / "run"), option, value, "--data", tiny_npz])
    assert stop.value.code == 2
    assert f"argument {option}" in one_line_error(capsys)
    assert fingerprint(tmp_path / "run") == before


@pytest.mark.slow
def test_train_cli_never_replaces_a_trained_model_unasked(tmp_path, tiny_npz, capsys, small):
    small().save(tmp_path / "run", training={"mode": "full", "seed": 4})
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
    monkeypatch.setattr(gan_utils.training, "load_mnist",
                        lambda *a, **k: pytest.fail("loaded the data before checking --out"))
    assert cli(["train", "acgan", "--out", str(tmp_path / "taken")]) == 2
    assert "is a file; give a folder" in one_line_error(capsys)


@pytest.mark.parametrize("args, message", [
    (["train", "acgan", "--out", "{tmp}/r", "--data", "{tmp}/nowhere"], "no such file or folder"),
    (["train", "acgan", "--out", "{tmp}/r", "--data", "{npz}", "--batch-size", "100000"],
     "--batch-size 100000 is larger than the 128 training digits"),
    (["evaluate", "{tmp}"], "no config.json"),
    (["align", "{acgan}"], "holds an ACGAN checkpoint, not InfoGAN"),
    (["compare", "{acgan}", "--test-data", "{npz}"], "compare needs two or more checkpoint"),
    (["pack", "{acgan}", "{acgan}"], "give a target folder other than the source"),
])
def test_cli_errors_are_one_line(tmp_path, tiny_npz, capsys, small, args, message):
    small().save(tmp_path / "info")
    gu.ACGAN(noise_dim=8).save(tmp_path / "ac")
    where = dict(tmp=tmp_path, npz=tiny_npz, acgan=tmp_path / "ac", infogan=tmp_path / "info")
    assert cli([a.format(**where) for a in args]) == 2
    assert message in one_line_error(capsys)


@pytest.mark.slow
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


def test_train_cli_rejects_a_test_only_folder(tmp_path, digits, capsys):
    x, y = digits
    np.savez(tmp_path / "test_only.npz", x_train=x[:0], y_train=y[:0], x_test=x, y_test=y)
    assert cli(["train", "infogan", "--out", str(tmp_path / "run"), "--data",
                str(tmp_path / "test_only.npz")]) == 2
    assert "no training digits" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_cli_reports_infogan_as_json(tmp_path, digits, capsys, monkeypatch, small,
                                             write_idx):
    x, y = digits
    write_idx(tmp_path / "t10k-images-idx3-ubyte", x[:100])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", y[:100])
    model = small()
    model.fit(gu.make_dataset(x, batch_size=64, neighbours=5), epochs=1, verbose=0)
    model.save(tmp_path / "info")
    quick = functools.partial(gan_utils.commands.evaluate_dir, n_fid=200, n_label=200, style_draws=4)
    monkeypatch.setattr(gan_utils.commands, "evaluate_dir", quick)  # same code, smaller samples
    cli(["evaluate", str(tmp_path / "info"), "--test-data", str(tmp_path), "--json"])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["model"] == "InfoGAN" and report["n_test"] == 100
    assert 0.0 <= report["category_accuracy"] <= 1.0 and len(report["mapping"]) == 10
    assert [c["index"] for c in report["style_codes"]] == [0, 1, 2]  # one per style code
    assert report["fid"] is None and report["fid_digits"] == 100  # too few for an FID
    assert "fid_floor" not in report and 0 <= report["methods_agree"] <= 10


def test_evaluate_cli_needs_held_out_digits(tmp_path, digits, capsys, small):
    x, y = digits  # training digits only ('bundled' now ships the official test set too)
    np.savez(tmp_path / "train_only.npz", x_train=x, y_train=y, x_test=x[:0], y_test=y[:0])
    small().save(tmp_path / "info")
    assert cli(["evaluate", str(tmp_path / "info"), "--test-data",
                str(tmp_path / "train_only.npz")]) == 2
    assert "no held-out test digits" in capsys.readouterr().err


@pytest.mark.slow
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


def test_help_answers_without_starting_tensorflow():
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "gan_utils", "train",
                           "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("usage: python -m gan_utils train")
    imported = [line.split("|")[-1].strip() for line in done.stderr.splitlines()]
    assert "gan_utils.cli" in imported and not any(name.startswith("tensorflow")
                                                   for name in imported)


def test_a_command_prints_its_one_line_and_no_tensorflow_start_up_notices(tmp_path):
    """TensorFlow 2.21 prints oneDNN, CUDA and CPU notices to stderr as it starts, whatever
    TF_CPP_MIN_LOG_LEVEL says; the command line hides them (TF_CPP_MIN_LOG_LEVEL=0 shows them)."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-m", "gan_utils", "evaluate", str(tmp_path / "none")],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert done.stderr == f"error: {tmp_path / 'none'}: no such checkpoint folder.\n"
