"""Keras callbacks for GAN training: sample grids, a GIF, safe checkpoints, a step budget, a probe."""

from __future__ import annotations

import io
import math
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
    picture in place in a notebook, under the progress bar.
    """

    def __init__(self, n_cols: int = 10, style_index: int = 0, seed: int = 0,
                 out_dir: str | Path | None = None, live: bool = False, scale: int = 2):
        super().__init__()
        self.n_cols, self.style_index, self.seed = n_cols, style_index, seed
        self.out_dir = Path(out_dir) if out_dir else None
        self.live, self.scale = live, scale
        self.frames: list[np.ndarray] = []
        self._display = None

    def on_train_begin(self, logs=None):
        if not self.frames:  # frame 0: the untrained generator, the start of the GIF
            self.add_frame("untrained")

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
            Image.fromarray(frame).save(self.out_dir / f"grid_{len(self.frames) - 1:03d}.png")
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
    number of epochs: fit(data.repeat(), epochs=ceil(steps / S), steps_per_epoch=S).
    """

    def __init__(self, steps: int):
        super().__init__()
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise ValueError(f"steps must be a whole number >= 1, got {steps!r}.")
        self.steps, self.done = int(steps), 0

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
