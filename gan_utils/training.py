"""The training run: one model trained for a step budget, saved with its pictures and record.

`python -m gan_utils train`, the research tools and the notebooks all train through here, so a
budget means the same thing everywhere: a number of optimizer steps, in Keras epochs of
STEPS_PER_EPOCH steps whatever the data's size.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from gan_utils.callbacks import (SafeCheckpoint, SampleGrid, StopAfterSteps, TrainingBackup,
                                 save_gif)
from gan_utils.checkpoints import describe_training, read_meta, saved_settings
from gan_utils.configs import DEFAULT_BATCH_SIZE, DEFAULT_STEPS, STEPS_PER_EPOCH
from gan_utils.data import Mnist, load_mnist
from gan_utils.models import ACGAN, InfoGAN
from gan_utils.pipeline import make_dataset

MODEL_CLASSES = {"acgan": ACGAN, "infogan": InfoGAN}
BACKUP_FOLDER = "backup"  # inside --out: an unfinished run's state, removed when the run ends
RUN_KEYS = ("seed", "batch_size", "data", "train_digits")  # a backup must match these, and steps


class UsageError(ValueError):
    """A training request that cannot be carried out as given (the CLI prints it in one line)."""


def training_record(mnist: Mnist, steps: int, batch_size: int, seed: int, mode: str = "full",
                    command: str = "") -> dict:
    """What a checkpoint keeps about its run: command, mode, seed, batch, data and passes."""
    return {"command": command, "mode": mode, "seed": seed, "batch_size": batch_size,
            "data": mnist.source, "train_digits": int(len(mnist.x_train)),
            "passes": round(steps * batch_size / len(mnist.x_train), 2)}


def check_length(steps: int | None, epochs: int | None, batch_size: int) -> None:
    """Raise UsageError unless the budget is steps or epochs (not both), each a whole number >= 1."""
    if steps is not None and epochs is not None:
        raise UsageError("give the training length as steps or as epochs, not both.")
    for name, value in (("steps", steps), ("epochs", epochs), ("batch size", batch_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise UsageError(f"the {name} must be a whole number of at least 1, got {value!r}.")


def train(kind: str, out: Path, steps: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
          seed: int = 0, data: str = "auto", verbose: int = 2, callbacks: tuple = (),
          command: str = "", model_options: dict | None = None, overwrite: bool = False,
          epochs: int | None = None) -> dict:
    """Train one model; write checkpoint, grid.png, training.gif, history.json into `out`.

    steps: optimizer steps (default DEFAULT_STEPS[kind]), the same work on any data size;
    epochs instead asks for that many passes over the training digits. callbacks are extra
    Keras callbacks (e.g. a probe that reads the model between epochs of STEPS_PER_EPOCH
    steps); command is the shell command to record in config.json; model_options are
    constructor arguments that differ from the model's defaults.

    While it trains, the run keeps a backup in out/backup after every epoch (TrainingBackup);
    called again after an interruption it goes on from there to the same budget, and a backup
    of another run is refused. The model itself is written to `out` only when the run ends,
    all or nothing. A finished run of the same settings is left as it is (said in one line);
    a model of other settings is only replaced with overwrite=True, which also drops a backup.
    Returns the checkpoint's training record.
    """
    if kind not in MODEL_CLASSES:
        raise UsageError(f"the model must be one of {sorted(MODEL_CLASSES)}, got {kind!r}.")
    check_length(steps, epochs, batch_size)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; give a folder for the checkpoint and pictures.")
    backup_dir = out / BACKUP_FOLDER
    if overwrite and backup_dir.is_dir():
        shutil.rmtree(backup_dir)  # a fresh start; a finished model stays until the new one is saved
    if (out / "config.json").is_file() and not overwrite and not backup_dir.is_dir():
        return _already_trained(kind, out, steps, epochs, batch_size, seed, model_options)
    done = _steps_in_backup(backup_dir)  # 0 for a fresh run
    keras.utils.set_random_seed(seed + done)  # a resumed run draws new noise and batches,
    mnist = load_mnist(data)                  # not the ones its first half already saw
    if len(mnist.x_train) == 0:
        raise UsageError(f"{data}: no training digits there (only a test split?); "
                         "train on 'auto', 'keras', 'bundled' or a folder with train-* files.")
    if batch_size > len(mnist.x_train):
        raise UsageError(f"--batch-size {batch_size} is larger than the "
                         f"{len(mnist.x_train):,} training digits.")
    if epochs is not None:  # passes over the data: their cost grows with the data's size
        steps = epochs * (len(mnist.x_train) // batch_size)
    steps = steps or DEFAULT_STEPS[kind]
    model = MODEL_CLASSES[kind](**(model_options or {}))
    model.compile()
    labels = mnist.y_train if kind == "acgan" else None  # InfoGAN never sees a label
    dataset = make_dataset(mnist.x_train, labels, batch_size=batch_size, seed=seed + done,
                           neighbours=model.data_neighbours)  # InfoGAN's nearest-neighbour pairs
    record = training_record(mnist, steps, batch_size, seed, command=command)
    backup = TrainingBackup(backup_dir, run={key: record[key] for key in RUN_KEYS} | {"steps": steps},
                            verbose=bool(verbose))
    grids = SampleGrid(seed=seed, out_dir=backup_dir / "frames", name_by_step=True)
    history = fit_steps(model, dataset, steps, verbose=verbose,
                        callbacks=[backup, grids, SafeCheckpoint(backup_dir / "model"),
                                   *callbacks])
    frames = [np.asarray(Image.open(path)) for path in sorted(grids.out_dir.glob("step_*.png"))]
    if model.ema_momentum:  # fit ended by putting G's averaged weights in place: show them last
        grids.out_dir = None
        grids.add_frame("averaged weights")
        frames.append(grids.frames[-1])
    record.update(seconds=round(backup.seconds, 1))
    if backup.resumes:
        record["resumed_at_steps"] = backup.resumes
    model.save(out, training=record)  # all or nothing; save adds the steps the optimizers took
    Image.fromarray(frames[-1]).save(out / "grid.png")
    save_gif(frames, out / "training.gif")
    (out / "history.json").write_text(json.dumps(history.history, indent=1) + "\n")
    shutil.rmtree(backup_dir)  # the run is whole in `out` now
    done = int(model.d_optimizer.iterations.numpy())
    print(f"{kind}: {done:,} steps ({record['passes']:g} passes over {len(mnist.x_train):,} "
          f"digits) in {backup.seconds / 60:.1f} min -> {out}")
    return read_meta(out)["training"]


def _steps_in_backup(backup_dir: Path) -> int:
    """The optimizer steps an unfinished run's backup holds (0 when there is none to read)."""
    try:
        return int(json.loads((backup_dir / "run.json").read_text())["steps_done"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0  # no backup, or one TrainingBackup will refuse in its own words


def _already_trained(kind: str, out: Path, steps: int | None, epochs: int | None,
                     batch_size: int, seed: int, model_options: dict | None) -> dict:
    """A finished run of these settings in `out`: say so and return its record; else refuse."""
    meta = read_meta(out)
    record = meta.get("training") or {}
    if epochs is not None and record.get("train_digits"):
        steps = epochs * (record["train_digits"] // batch_size)
    wanted = MODEL_CLASSES[kind].config_class(**(model_options or {}))
    same = (meta["model"] == MODEL_CLASSES[kind].__name__ and "seconds" in record
            and record.get("steps") == (steps or DEFAULT_STEPS[kind])
            and record.get("batch_size") == batch_size and record.get("seed") == seed
            and dataclasses.asdict(wanted) == saved_settings(meta))
    if not same:
        raise UsageError(f"--out {out} already holds a model ({describe_training(meta)}); "
                         "choose another folder, or pass --overwrite to replace it.")
    print(f"{out}: this run already finished ({describe_training(meta)}); nothing to do "
          "(--overwrite trains it again).")
    return record


def fit_steps(model: keras.Model, dataset, steps: int, verbose: int = 2,
              callbacks: list | tuple = ()) -> keras.callbacks.History:
    """model.fit for exactly `steps` optimizer steps over the repeated dataset, in epochs of
    STEPS_PER_EPOCH steps (the last one cut short by StopAfterSteps when needed). The dataset
    shuffles itself (make_dataset), so fit is told not to try."""
    return model.fit(dataset.repeat(), epochs=math.ceil(steps / STEPS_PER_EPOCH),
                     steps_per_epoch=min(steps, STEPS_PER_EPOCH), verbose=verbose, shuffle=False,
                     callbacks=[StopAfterSteps(steps), *callbacks])
