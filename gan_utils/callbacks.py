"""Keras callbacks for GAN training: sample grids, a GIF, safe checkpoints, a step budget, a
probe, and a backup that lets an interrupted fit go on where it stopped."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import shutil
import time
from pathlib import Path

import keras
import numpy as np
from IPython.display import Image as IPyImage, display
from PIL import Image

from gan_utils.evaluation import category_accuracy, shared_categories
from gan_utils.plots import labelled_frame, sample_grid


class SampleGrid(keras.callbacks.Callback):
    """Draw the same grid of codes after every epoch; keep the frames, optionally save or show them.

    Each frame names its rows (digits for ACGAN, the model's own categories for InfoGAN) and
    says at which optimizer step it was drawn and what the columns are. live=True redraws the
    picture in place in a notebook, under the progress bar. out_dir saves each frame as a PNG
    (grid_000.png, ...; with name_by_step, step_0000078.png, so that a run resumed from a backup
    draws its lost epochs again over the same files instead of beside them).
    """

    def __init__(self, n_cols: int = 10, style_index: int = 0, seed: int = 0,
                 out_dir: str | Path | None = None, live: bool = False, scale: int = 2,
                 name_by_step: bool = False):
        super().__init__()
        self.n_cols, self.style_index, self.seed = n_cols, style_index, seed
        self.out_dir = Path(out_dir) if out_dir else None
        self.name_by_step = name_by_step  # step_0000078.png: a resumed run redraws, not repeats
        self.live, self.scale = live, scale
        self.frames: list[np.ndarray] = []
        self._display = None

    def on_train_begin(self, logs=None):
        if not self.frames:  # frame 0: the generator as fit finds it, the start of the GIF
            optimizer = getattr(self.model, "d_optimizer", None)
            resumed = optimizer is not None and int(optimizer.iterations.numpy()) > 0
            self.add_frame("resumed" if resumed else "untrained")

    def on_epoch_end(self, epoch, logs=None):
        self.add_frame("")

    def add_frame(self, note: str) -> None:
        """Draw the grid now and keep it (fit does this after every epoch)."""
        model = self.model
        grid = sample_grid(model, self.n_cols, self.style_index, self.seed)
        if getattr(model, "num_styles", 0):
            rows = [f"cat {k}" for k in range(model.num_labels)]
            columns = f"style {self.style_index + 1} from {-model.style_range:g} to {model.style_range:g}"
        else:
            rows = [f"digit {d}" for d in range(model.num_labels)]
            columns = "one noise vector per column"
        optimizer = getattr(model, "d_optimizer", None)
        step = int(optimizer.iterations.numpy()) if optimizer is not None else 0
        caption = f"step {step:,}" + (f" ({note})" if note else "") + f" | {columns}"
        frame = labelled_frame(grid, rows, caption)
        self.frames.append(frame)
        if self.out_dir:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            name = (f"step_{step:07d}.png" if self.name_by_step
                    else f"grid_{len(self.frames) - 1:03d}.png")
            Image.fromarray(frame).save(self.out_dir / name)
        if self.live:
            self._show(frame)

    def _show(self, frame: np.ndarray) -> None:
        png = IPyImage(data=png_bytes(frame, self.scale))
        if self._display is None:
            self._display = display(png, display_id=True)
        else:
            self._display.update(png)


class StopAfterSteps(keras.callbacks.Callback):
    """End fit after exactly `steps` batches, even inside an epoch (whose end callbacks still run).

    With a repeated dataset and a fixed steps_per_epoch, a training budget that is not a whole
    number of epochs: fit(data.repeat(), epochs=ceil(steps / S), steps_per_epoch=S). A fit that
    a TrainingBackup resumes at epoch e counts its e x S earlier steps too.
    """

    def __init__(self, steps: int):
        super().__init__()
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise ValueError(f"steps must be a whole number >= 1, got {steps!r}.")
        self.steps, self.done = int(steps), None

    def on_epoch_begin(self, epoch, logs=None):
        if self.done is None:  # the first epoch of this fit: later than 0 when a backup resumed
            self.done = epoch * self.params["steps"]

    def on_train_batch_end(self, batch, logs=None):
        self.done += 1
        if self.done >= self.steps:
            self.model.stop_training = True


class CategoryProbe(keras.callbacks.Callback):
    """Every `every` epochs, Q's categories on held-out labelled digits, matched one-to-one.

    The labels are used only to measure, never to train: `steps` and `accuracy` record the
    optimizer step of each probe and InfoGAN's matched category accuracy there, `merged` the
    digits that share a category there (evaluation.shared_categories, e.g. [(4, 9)]).
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, every: int = 1,
                 verbose: bool = False):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"every must be a whole number of epochs >= 1, got {every!r}.")
        if len(images) != len(labels) or len(images) == 0:
            raise ValueError(f"need as many labels as images (and some), got {len(images)} "
                             f"images and {len(labels)} labels.")
        self.images, self.labels, self.every, self.verbose = images, labels, int(every), verbose
        self.steps: list[int] = []
        self.accuracy: list[float] = []
        self.merged: list[list[tuple[int, ...]]] = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        matching = category_accuracy(self.model, self.images, self.labels)
        self.steps.append(int(self.model.d_optimizer.iterations.numpy()))
        self.accuracy.append(round(float(matching.accuracy), 4))
        self.merged.append(shared_categories(matching.confusion))
        if self.verbose:
            merged = ", ".join("/".join(map(str, group)) for group in self.merged[-1]) or "none"
            print(f"step {self.steps[-1]:,}: Q's categories match the held-out digits "
                  f"{matching.accuracy:.3f} (digits sharing a category: {merged})", flush=True)


class SafeCheckpoint(keras.callbacks.Callback):
    """Save the model atomically after every `every` epochs, but only while its losses are finite.

    If a loss turns NaN or infinite, training stops and the model is put back as it was at the
    last save: weights, both optimizers' moments and step counts, and G's running average, so
    training can go on from there. Nothing already trained is lost.
    """

    def __init__(self, dirpath: str | Path, every: int = 1, training: dict | None = None):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"every must be a whole number of epochs >= 1, got {every!r}.")
        self.dirpath, self.every, self.training = Path(dirpath), int(every), training
        self.saved_steps: list[int] = []  # the optimizer step of each save
        self._last_good: list[np.ndarray] = []

    def _state(self) -> list:
        """Every variable that one more step changes: weights, optimizer slots, the average."""
        model = self.model
        return [*model.generator.weights, *model.discriminator.weights,
                *model.d_optimizer.variables, *model.g_optimizer.variables]

    def on_epoch_end(self, epoch, logs=None):
        if not all(math.isfinite(float(v)) for v in (logs or {}).values()):
            self.model.stop_training = True
            if self.saved_steps:
                for variable, value in zip(self._state(), self._last_good):
                    variable.assign(value)
                print(f"SafeCheckpoint: non-finite loss in epoch {epoch + 1} of this run; the "
                      f"model is back as it was at its last save (optimizer step "
                      f"{self.saved_steps[-1]:,}, in {self.dirpath}); training can go on from there.")
            else:
                print(f"SafeCheckpoint: non-finite loss in epoch {epoch + 1}; nothing saved yet.")
            return
        if (epoch + 1) % self.every == 0:
            self.model.save(self.dirpath, training=self.training)
            self._last_good = [variable.numpy() for variable in self._state()]
            self.saved_steps.append(int(self.model.d_optimizer.iterations.numpy()))


class BackupError(ValueError):
    """A backup that cannot be continued: it belongs to another run, or it is unreadable."""


class TrainingBackup(keras.callbacks.BackupAndRestore):
    """Keras' BackupAndRestore for a GAN run: a fit that was interrupted goes on where it stopped.

    After every epoch it writes the whole training state to `backup_dir`: both networks, both
    optimizers (their moments, their step counts and G's moving average), the random moves'
    state; beside it run.json, which describes the run (the model's settings and `run`, e.g.
    steps, batch size, seed, data) and holds the history so far. The next fit() given a
    TrainingBackup of the same folder restores all that and starts at the epoch after the last
    backup, saying "resuming at step N of M"; the History that fit returns then holds every
    epoch, the restored ones first. A backup of another run is refused with one line that names
    what differs. The backup stays when fit ends (a finished run is restored at once, for
    nothing); discard() deletes it.
    """

    def __init__(self, backup_dir: str | Path, run: dict | None = None, verbose: bool = True):
        super().__init__(str(backup_dir), save_freq="epoch", double_checkpoint=True,
                         delete_checkpoint=False)
        self.folder, self.run, self.verbose = Path(backup_dir), dict(run or {}), verbose
        self.history: dict[str, list] = {}  # every epoch's logs, restored ones first
        self.resumed_at: int | None = None  # the optimizer step the last fit resumed from, if any
        self.resumes: list[int] = []  # every step this run was resumed at, over all its fits
        self._restored_epochs, self._earlier_seconds, self._started = 0, 0.0, None

    @property
    def seconds(self) -> float:
        """Seconds spent in fit on this run, over all its fits (interrupted ones included)."""
        now = time.perf_counter() - self._started if self._started is not None else 0.0
        return self._earlier_seconds + now

    @property
    def run_file(self) -> Path:
        """The backup's description of its run, and the history so far."""
        return self.folder / "run.json"

    def description(self) -> dict:
        """What a backup must match to be continued: the model, its settings and `run`."""
        settings = getattr(self.model, "config", None)
        settings = dataclasses.asdict(settings) if dataclasses.is_dataclass(settings) else {}
        return {"model": type(self.model).__name__, "settings": settings, **self.run}

    def stored(self) -> dict | None:
        """run.json of the backup in the folder, or None when there is none."""
        if not self.run_file.is_file():
            if self.folder.is_dir() and any(self.folder.glob("*.weights.h5")):
                raise BackupError(f"{self.folder}: a backup without its run.json; delete the "
                                  "folder to start afresh.")
            return None
        try:
            stored = json.loads(self.run_file.read_text())
            return {"run": dict(stored["run"]), "history": dict(stored.get("history", {})),
                    "steps_done": int(stored.get("steps_done", 0)),
                    "seconds": float(stored.get("seconds", 0.0)),
                    "resumes": [int(step) for step in stored.get("resumes", [])]}
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{self.run_file}: unreadable ({exc}); delete {self.folder} to start "
                              "afresh.") from exc

    def on_train_begin(self, logs=None):
        stored, wanted = self.stored(), self.description()
        if stored is not None and stored["run"] != wanted:
            raise BackupError(f"{self.folder} holds a backup of another run ("
                              f"{_differences(stored['run'], wanted)}); delete it, or train into "
                              "another folder, to start afresh.")
        unused = self.model.optimizer  # Keras' default one, which a GAN's own steps never use:
        if unused is not None and not unused.built:  # built now as Keras builds it to restore, so
            unused.build(self.model.trainable_variables)  # every backup holds the same variables
        super().on_train_begin(logs)  # Keras restores the weights and both optimizers
        self.history, self._restored_epochs, self.resumed_at = {}, 0, None
        self._started, self._earlier_seconds, self.resumes = time.perf_counter(), 0.0, []
        if stored is None:
            return
        # The optimizers' step count is the truth (a kill between two files of a backup leaves
        # Keras' epoch count one behind): start at the epoch after it, keep the history up to it.
        done = _optimizer_steps(self.model)
        total = self.run.get("steps") or self.params["epochs"] * self.params["steps"]
        epochs = self.params["epochs"] if done >= total else done // self.params["steps"]
        self.model._initial_epoch = self._restored_epochs = epochs
        self.history = {name: values[:epochs] for name, values in stored["history"].items()}
        self.resumed_at, self._earlier_seconds = done, stored["seconds"]
        self.resumes = stored["resumes"] + ([done] if done < total else [])
        if self.verbose:
            state = (f"this run already finished ({done:,} of {total:,} steps); nothing to train"
                     if done >= total else f"resuming at step {done:,} of {total:,}")
            print(f"{state} (backup in {self.folder})", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(float(value))
        _write_json(self.run_file, {"run": self.description(), "history": self.history,
                                    "steps_done": _optimizer_steps(self.model),
                                    "seconds": round(self.seconds, 1),
                                    "resumes": self.resumes})  # first ...
        super().on_epoch_end(epoch, logs)  # ... then the weights and optimizers

    def on_train_end(self, logs=None):
        history = self.model.history  # fit's History: this fit's epochs only, so far
        if history is not None and self._restored_epochs:
            history.history = {name: list(values) for name, values in self.history.items()}
            history.epoch = list(range(len(next(iter(self.history.values()), []))))
        self.model._initial_epoch = None  # a later fit of this model starts at epoch 0 again
        self._earlier_seconds, self._started = self.seconds, None
        super().on_train_end(logs)

    def discard(self) -> None:
        """Delete the backup: the next fit starts from step 0."""
        if self.folder.is_dir():
            shutil.rmtree(self.folder)


def _optimizer_steps(model) -> int:
    """The optimizer steps a model has taken (D's optimizer for a GAN)."""
    optimizer = getattr(model, "d_optimizer", None) or model.optimizer
    return int(optimizer.iterations.numpy()) if optimizer is not None else 0


def _differences(stored: dict, wanted: dict) -> str:
    """What differs between two run descriptions, e.g. "steps 1,000 here, 2,000 in the backup"."""
    if stored.get("model") != wanted.get("model"):  # another model: its settings differ anyway
        return f"model {wanted.get('model')} here, {stored.get('model')} in the backup"
    parts = []
    for key in sorted(set(stored) | set(wanted)):
        old, new = stored.get(key), wanted.get(key)
        if key == "settings" and isinstance(old, dict) and isinstance(new, dict):
            parts += [f"{name} {new.get(name)!r} here, {old.get(name)!r} in the backup"
                      for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]
        elif old != new:
            parts.append(f"{key} {new!r} here, {old!r} in the backup")
    return "; ".join(parts)


def _write_json(path: Path, document: dict) -> None:
    """Write JSON whole or not at all: a temporary file beside it, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.tmp")
    staged.write_text(json.dumps(document, indent=1) + "\n")
    os.replace(staged, path)


def png_bytes(frame: np.ndarray, scale: int = 1) -> bytes:
    """A uint8 picture as PNG bytes, enlarged by an integer factor (nearest neighbour)."""
    image = Image.fromarray(frame)
    if scale > 1:
        image = image.resize((frame.shape[1] * scale, frame.shape[0] * scale), Image.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def save_gif(frames: list[np.ndarray], path: str | Path, ms_per_frame: int = 300,
             hold_last_ms: int = 1500, max_frames: int | None = None) -> Path:
    """Write grid frames as an animated GIF with Pillow, holding the last frame a little longer.

    max_frames keeps that many frames, evenly spaced, always the first and the last (a GIF of
    every epoch is megabytes inside a notebook).
    """
    if not frames:
        raise ValueError("no frames to write: train with a SampleGrid callback first.")
    if max_frames is not None:
        if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 2:
            raise ValueError(f"max_frames must be a whole number >= 2, got {max_frames!r}.")
        picks = np.unique(np.linspace(0, len(frames) - 1, max_frames).round().astype(int))
        frames = [frames[i] for i in picks]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(f) for f in frames]
    durations = [ms_per_frame] * (len(images) - 1) + [hold_last_ms]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)
    return path
