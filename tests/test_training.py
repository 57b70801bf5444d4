"""gan_utils.training: a budget is a number of optimizer steps, on any data size, and a run
that is interrupted goes on from its backup to exactly that budget."""

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

import gan_utils as gu
import gan_utils.checkpoints
import gan_utils.cli
import gan_utils.data
import gan_utils.training


@pytest.mark.slow
def test_train_cli_counts_steps_across_epochs_and_the_end_of_the_data(tmp_path, digits,
                                                                      monkeypatch):
    """80 steps on 128 digits: 40 passes over the data, one full epoch of 78 steps and 2 more."""
    x, y = digits
    np.savez(tmp_path / "tiny.npz", x_train=x, y_train=y, x_test=x[:10], y_test=y[:10])
    monkeypatch.setattr(gan_utils.training, "STEPS_PER_EPOCH", 30)  # 3 epochs: 30 + 30 + 20 steps
    training = gan_utils.training.train("acgan", tmp_path / "run", steps=80,
                                   data=str(tmp_path / "tiny.npz"), verbose=0)
    assert training["steps"] == 80 and training["passes"] == 40.0
    assert len(json.loads((tmp_path / "run" / "history.json").read_text())["d_loss"]) == 3


@pytest.mark.slow
def test_train_cli_epochs_are_passes_over_the_data(tmp_path, digits):
    x, y = digits
    np.savez(tmp_path / "tiny.npz", x_train=x, y_train=y, x_test=x[:10], y_test=y[:10])
    training = gan_utils.training.train("infogan", tmp_path / "run", epochs=2,
                                   data=str(tmp_path / "tiny.npz"), verbose=0)
    assert training["steps"] == 4 and training["passes"] == 2.0  # 128 digits = 2 batches of 64


def test_fit_steps_trains_any_keras_model_on_a_dataset_without_a_shuffle_warning(digits):
    """training.fit_steps (the CLI's and research/runs.py's Q-alone training): exactly `steps` steps, and
    no "shuffle=True ... will be ignored" warning from Keras for a model that is not one of ours."""
    import warnings

    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = gu.make_dataset(*digits, batch_size=32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gan_utils.training.fit_steps(model, data, steps=5, verbose=0)
    assert not [w for w in caught if "shuffle" in str(w.message)]
    assert int(model.optimizer.iterations.numpy()) == 5


@pytest.mark.slow
def test_the_cli_default_run_trains_exactly_the_default_steps_on_60000_digits(
        tmp_path, online_mnist, monkeypatch):
    def counting_step(self, data):  # stands for InfoGAN's step: what is tested is the budget
        self.d_optimizer.iterations.assign_add(1)
        self.g_optimizer.iterations.assign_add(1)
        images = keras.utils.unpack_x_y_sample_weight(data)[0]["images"]
        return {"d_loss": tf.reduce_mean(images)}  # the batches really flow

    monkeypatch.setattr(gu.InfoGAN, "train_step", counting_step)
    training = gan_utils.training.train("infogan", tmp_path / "run", verbose=0)  # data="auto"
    assert training["steps"] == gan_utils.training.DEFAULT_STEPS["infogan"] == 3_510
    assert training["train_digits"] == 60_000 and "keras" in training["data"]
    assert training["passes"] == round(3_510 * 64 / 60_000, 2)  # 3.74 passes, not 45
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert len(history["d_loss"]) == 3_510 // gan_utils.training.STEPS_PER_EPOCH == 45
    assert gu.load(tmp_path / "run").checkpoint_meta["training"]["steps"] == 3_510


def cli_command(out, tiny_npz, *more) -> list[str]:
    """`python -m gan_utils train acgan` on the 128 tiny digits, 200 steps of batch 16."""
    return [sys.executable, "-m", "gan_utils", "train", "acgan", "--out", str(out), "--steps",
            "200", "--batch-size", "16", "--seed", "3", "--data", tiny_npz, *more]


@pytest.mark.slow
def test_a_killed_cli_run_goes_on_from_its_backup_to_exactly_its_budget(tmp_path, tiny_npz):
    """SIGKILL in the second epoch (after the backup of step 78, before the one of step 156);
    the same command again resumes at step 78 and ends at step 200: three epochs in the history
    (78 + 78 + 44 steps), none missing, none twice."""
    out, env = tmp_path / "run", {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    first = subprocess.Popen(cli_command(out, tiny_npz), env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    run_file, deadline = out / "backup" / "run.json", time.monotonic() + 300
    while not (run_file.is_file() and json.loads(run_file.read_text())["steps_done"] == 78):
        assert first.poll() is None and time.monotonic() < deadline, "no backup of step 78"
        time.sleep(0.2)
    time.sleep(1.0)  # into the second epoch
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert not (out / "config.json").exists()  # nothing finished yet: the backup only
    again = subprocess.run(cli_command(out, tiny_npz), env=env, capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stderr
    assert "resuming at step 78 of 200" in again.stdout
    record = gu.load(out).checkpoint_meta["training"]
    assert record["steps"] == 200 and record["resumed_at_steps"] == [78]  # D's optimizer steps
    history = json.loads((out / "history.json").read_text())
    assert {len(values) for values in history.values()} == {3}
    assert not (out / "backup").exists()  # the run is whole in out/


class _StopAfterTwoEpochs(keras.callbacks.Callback):
    """Ends the process's training as a closed terminal would, after two epochs' backups."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


@pytest.fixture
def interrupted(tmp_path, tiny_npz, monkeypatch):
    """An InfoGAN run of 12 steps (epochs of 3) stopped after 6, as `out` (its backup)."""
    monkeypatch.setattr(gan_utils.training, "STEPS_PER_EPOCH", 3)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        gan_utils.training.train("infogan", out, steps=12, data=tiny_npz, verbose=0,
                                 callbacks=[_StopAfterTwoEpochs()],
                                 model_options={"noise_dim": 8})
    assert json.loads((out / "backup" / "run.json").read_text())["steps_done"] == 6
    return out


@pytest.mark.slow
def test_a_backup_of_another_run_is_refused_in_one_line(interrupted, tiny_npz, capsys):
    before = {p: p.read_bytes() for p in interrupted.rglob("*") if p.is_file()}
    args = ["train", "infogan", "--out", str(interrupted), "--steps", "24", "--data", tiny_npz]
    assert gan_utils.cli.main(args) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "holds a backup of another run (" in error
    assert "noise_dim 16 here, 8 in the backup" in error and "steps 24 here, 12 in the backup" in error
    assert {p: p.read_bytes() for p in interrupted.rglob("*") if p.is_file()} == before


@pytest.mark.slow
def test_overwrite_drops_the_backup_and_starts_afresh(interrupted, tiny_npz, capsys):
    record = gan_utils.training.train("infogan", interrupted, steps=12, data=tiny_npz, verbose=1,
                                      model_options={"noise_dim": 8}, overwrite=True)
    assert "resuming" not in capsys.readouterr().out
    assert record["steps"] == 12 and "resumed_at_steps" not in record


@pytest.mark.slow
def test_a_finished_run_says_so_and_changes_nothing(interrupted, tiny_npz, capsys):
    options = dict(steps=12, data=tiny_npz, verbose=0, model_options={"noise_dim": 8})
    record = gan_utils.training.train("infogan", interrupted, **options)
    assert record["steps"] == 12 and record["resumed_at_steps"] == [6]
    files = {p: p.read_bytes() for p in interrupted.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert gan_utils.training.train("infogan", interrupted, **options) == record
    assert "this run already finished (12 steps" in capsys.readouterr().out
    assert {p: p.read_bytes() for p in interrupted.rglob("*") if p.is_file()} == files
    with pytest.raises(gan_utils.training.UsageError, match="already holds a model"):
        gan_utils.training.train("infogan", interrupted, **{**options, "steps": 15})



@pytest.mark.slow
def test_a_resumed_run_draws_new_randomness_not_its_first_halfs(interrupted, tiny_npz,
                                                               monkeypatch):
    """The first fit was seeded with 0; going on at step 6 seeds with 6, so the second half does
    not see again the noise, codes and batch order its first half saw."""
    seeds, seed_everything = [], keras.utils.set_random_seed
    monkeypatch.setattr(keras.utils, "set_random_seed",
                        lambda value: (seeds.append(value), seed_everything(value)))
    record = gan_utils.training.train("infogan", interrupted, steps=12, data=tiny_npz, verbose=0,
                                      model_options={"noise_dim": 8})
    assert seeds == [6] and record["resumed_at_steps"] == [6]
