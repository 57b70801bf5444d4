"""The latent explorer: ipywidgets that steer a trained generator's label, style and noise.

`explore(model)` shows one model, `compare(acgan, infogan)` both side by side. Each slider
move is one compiled generator call and one small PNG, so the picture follows the drag.
Run `python -m gan_utils.widgets` to measure the redraw time.
"""

from __future__ import annotations

import io
import math
import statistics
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
import traitlets

from gan_utils.callbacks import png_bytes
from gan_utils.checkpoints import load_pretrained
from gan_utils.models import ACGAN, ConditionalGAN, InfoGAN
from gan_utils.plots import image_grid, to_uint8

STYLE_LIMIT = 2.0  # sliders span twice the training range, as the InfoGAN paper's sweeps do
SWEEP_COLUMNS = 9
DIGIT_SCALE = 8  # 28 px -> 224 px on screen


class _Painter:
    """Turns (labels, styles, noise) into uint8 digits with one compiled generator call."""

    def __init__(self, model: ConditionalGAN):
        self.model = model
        width = model.generator.input_shape[-1]
        self._draw = tf.function(lambda codes: model.generator(codes, training=False),
                                 input_signature=[tf.TensorSpec((None, width), tf.float32)])

    def noise(self, seed: int) -> np.ndarray:
        """The noise vector a seed stands for (the same seed always gives the same digit)."""
        return self.model.draw_noise(np.random.default_rng(seed), 1)

    def digits(self, labels, styles, noise) -> np.ndarray:
        labels = np.asarray(labels, np.int64)
        codes = self.model.generator_codes(labels, styles, np.repeat(noise, len(labels), axis=0), None)
        return to_uint8(self._draw(tf.constant(codes, tf.float32)).numpy())


def _check_model(model, kind: type = ConditionalGAN, allow_untrained: bool = False) -> None:
    if not isinstance(model, kind):
        raise TypeError(f"expected a trained gan_utils {kind.__name__} (from gu.load, "
                        f"gu.load_trained or fit), got {type(model).__name__}.")
    trained = hasattr(model, "checkpoint_meta") or (
        getattr(model, "g_optimizer", None) is not None
        and int(model.g_optimizer.iterations.numpy()) > 0)
    if not (trained or allow_untrained):
        raise ValueError(f"this {type(model).__name__} has not been trained: its digits would be "
                         "noise. Train it (notebooks 01/02), load one with gu.load(dir), or use "
                         "gu.load_pretrained(name); pass allow_untrained=True to explore anyway.")


def _label_options(model: ConditionalGAN) -> tuple[str, list[tuple[str, int]]]:
    """What the label selector offers: digits (ACGAN, aligned InfoGAN) or raw categories."""
    if isinstance(model, InfoGAN) and getattr(model, "alignment", None) is None:
        return "category", [(str(c), c) for c in range(model.num_categories)]
    digits = range(model.num_labels)
    return "digit", [(str(d), int(model.labels_for_digits(d)[0])) for d in digits]


def style_names(model: ConditionalGAN) -> list[str]:
    """The style codes' names: what the evaluation found ("slant"), else "style 1", "style 2"."""
    found = getattr(model, "style_names", None) or []
    return [found[i] if i < len(found) else f"style {i + 1}"
            for i in range(getattr(model, "num_styles", 0))]


def _seed_controls(value: int) -> tuple[widgets.IntSlider, widgets.Button]:
    seed = widgets.IntSlider(value=value, min=0, max=999, description="noise seed",
                             continuous_update=False)  # a new seed is a new digit: redraw on release
    button = widgets.Button(description="new noise", icon="refresh")
    rng = np.random.default_rng()
    button.on_click(lambda _: setattr(seed, "value", int(rng.integers(0, 1000))))
    return seed, button


class _StyleSlider(widgets.FloatSlider):
    """A FloatSlider that refuses NaN and infinity (they would draw a blank digit)."""

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        if not math.isfinite(proposal["value"]):
            raise traitlets.TraitError(f"{self.description} must be a finite number, "
                                       f"got {proposal['value']}.")
        return min(max(proposal["value"], self.min), self.max)


def _style_sliders(model: ConditionalGAN) -> list[widgets.FloatSlider]:
    return [_StyleSlider(value=0.0, min=-STYLE_LIMIT, max=STYLE_LIMIT, step=0.05,
                         description=name, continuous_update=True, readout_format=".2f")
            for name in style_names(model)]


class Explorer(widgets.VBox):
    """One model under sliders: label, style codes (InfoGAN), noise; a large digit and a sweep."""

    def __init__(self, model: ConditionalGAN, seed: int = 0, sweep_style: int = 0,
                 allow_untrained: bool = False):
        _check_model(model, allow_untrained=allow_untrained)
        num_styles = getattr(model, "num_styles", 0)
        if num_styles and not 0 <= sweep_style < num_styles:
            raise ValueError(f"sweep_style must be in 0..{num_styles - 1}, got {sweep_style}.")
        self.model, self.painter = model, _Painter(model)
        self.redraw_ms: list[float] = []
        kind, options = _label_options(model)
        self.label = widgets.ToggleButtons(options=options, value=options[0][1], description=kind,
                                           style={"button_width": "2.4em"})
        self.styles = _style_sliders(model)
        self.seed, self.new_noise = _seed_controls(seed)
        self.image = widgets.Image(format="png", width=28 * DIGIT_SCALE, height=28 * DIGIT_SCALE)
        self.sweep_image = widgets.Image(format="png")
        names = style_names(model)
        self.sweep_code = widgets.Dropdown(options=[(n, i) for i, n in enumerate(names)],
                                           value=sweep_style if names else None,
                                           description="sweep", disabled=not names)
        self.row_labels = [name for name, _ in options]
        for control in (self.label, self.seed, self.sweep_code, *self.styles):
            control.observe(self._redraw, names="value")
        super().__init__([self._title(kind), self.label, *self.styles,
                          widgets.HBox([self.seed, self.new_noise]),
                          widgets.HBox([self.image, widgets.VBox([self.sweep_code,
                                                                  self.sweep_image])])])
        self._redraw()

    def _title(self, kind: str) -> widgets.HTML:
        name = type(self.model).__name__
        if not self.styles:
            note = "no style sliders: ACGAN's only handle is the label; the rest hides in the noise"
        else:
            note = (f"style sliders span [{-STYLE_LIMIT:g}, {STYLE_LIMIT:g}]; training used "
                    f"[{-self.model.style_range:g}, {self.model.style_range:g}], beyond it the "
                    "model extrapolates")
        rows = "one row per digit" if kind == "digit" else "one row per category (not aligned)"
        return widgets.HTML(f"<b>{name}</b> · {note} · sweep: {rows}")

    def current_digit(self, noise: np.ndarray) -> np.ndarray:
        """The uint8 digit (28, 28) for the selected label and the sliders' style values."""
        styles = np.array([[s.value for s in self.styles]], np.float32) if self.styles else None
        return self.painter.digits([self.label.value], styles, noise)[0]

    def _redraw(self, change=None) -> None:
        start = time.perf_counter()
        noise = self.painter.noise(self.seed.value)
        self.image.value = png_bytes(self.current_digit(noise), scale=DIGIT_SCALE)
        if change is None or change["owner"] in (self.seed, self.sweep_code):
            self.sweep_image.value = png_bytes(self.sweep(noise), scale=2)
        self.redraw_ms.append((time.perf_counter() - start) * 1000)

    def sweep(self, noise: np.ndarray) -> np.ndarray:
        """A row per label across the selected style code, the other codes at 0 (ACGAN: one
        row of every digit). It depends only on the noise and the code, so moving a style
        slider redraws just the large digit (90 digits take ~80 ms, one ~3 ms)."""
        labels = [value for _, value in self.label.options]
        if not self.styles:
            return image_grid(self.painter.digits(labels, None, noise), nrows=1)
        values = np.linspace(-STYLE_LIMIT, STYLE_LIMIT, SWEEP_COLUMNS)
        grid_styles = np.zeros((len(labels) * SWEEP_COLUMNS, len(self.styles)), np.float32)
        grid_styles[:, self.sweep_code.value] = np.tile(values, len(labels))
        images = self.painter.digits(np.repeat(labels, SWEEP_COLUMNS), grid_styles, noise)
        return image_grid(images, nrows=len(labels))

    def snapshot_figure(self):
        """The current view as a labelled figure: the digit with its codes, and the sweep."""
        noise = self.painter.noise(self.seed.value)
        digit, sweep = self.current_digit(noise), self.sweep(noise)
        kind, rows = self.label.description, [name for name, _ in self.label.options]
        chosen = next(name for name, value in self.label.options if value == self.label.value)
        names = style_names(self.model)
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.8 if self.styles else 3.2),
                                          gridspec_kw={"width_ratios": [1, 2.3]})
        left.imshow(digit, cmap="gray", vmin=0, vmax=255)
        codes = [f"{name} {slider.value:+.2f}" for name, slider in zip(names, self.styles)]
        left.set_title("\n".join([f"{kind} {chosen}", *codes, f"noise seed {self.seed.value}"]),
                       fontsize=9)
        left.set_xticks([]), left.set_yticks([])
        right.imshow(sweep, cmap="gray", vmin=0, vmax=255)
        tile = 28 + 2  # image_grid: 2 px of padding around each 28 px digit
        if self.styles:
            values = np.linspace(-STYLE_LIMIT, STYLE_LIMIT, SWEEP_COLUMNS)
            swept = names[self.sweep_code.value]
            right.set_yticks([2 + i * tile + 14 for i in range(len(rows))],
                             [f"{kind} {r}" for r in rows], fontsize=8)
            right.set_xticks([2 + j * tile + 14 for j in range(SWEEP_COLUMNS)],
                             [f"{v:+g}" for v in values], fontsize=8)
            right.set_xlabel(f"{swept}, from {-STYLE_LIMIT:g} to {STYLE_LIMIT:g} (trained on "
                             f"{-self.model.style_range:g} to {self.model.style_range:g}); "
                             "the other codes at 0")
            right.set_title(f"{swept} swept, one row per {kind}", fontsize=10)
        else:
            right.set_xticks([2 + j * tile + 14 for j in range(len(rows))], rows, fontsize=8)
            right.set_yticks([])
            right.set_xlabel("digit asked for, all with the same noise")
            right.set_title("every digit (no style codes to sweep)", fontsize=10)
        fig.suptitle(f"{type(self.model).__name__} explorer")
        fig.tight_layout()
        return fig

    def snapshot(self) -> bytes:
        """The current view as one labelled PNG (for readers where widgets do not render)."""
        fig = self.snapshot_figure()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        plt.close(fig)
        return buffer.getvalue()


class Comparison(widgets.VBox):
    """ACGAN and one or more InfoGANs side by side, one digit selector and one noise seed for all.

    Each InfoGAN keeps its own style sliders (the paper's has two codes, ours three).
    """

    def __init__(self, acgan: ACGAN, *infogans: InfoGAN, seed: int = 0,
                 names: list[str] | None = None):
        _check_model(acgan, ACGAN)
        if not infogans:
            raise ValueError("compare() needs at least one InfoGAN beside the ACGAN.")
        for infogan in infogans:
            _check_model(infogan, InfoGAN)
            if getattr(infogan, "alignment", None) is None:
                raise ValueError("compare() needs aligned InfoGANs so all draw the same digit: "
                                 "run gu.evaluation.align(infogan, images, labels) first "
                                 "(notebook 04).")
        names = list(names or ["ACGAN (real labels)",
                               *(["InfoGAN (its own categories, aligned)"] if len(infogans) == 1
                                 else [f"InfoGAN {i + 1}" for i in range(len(infogans))])])
        if len(names) != 1 + len(infogans):
            raise ValueError(f"one name per model: {1 + len(infogans)} models, {len(names)} names.")
        self.models = (acgan, *infogans)
        self.painters = tuple(_Painter(model) for model in self.models)
        self.redraw_ms: list[float] = []
        self.digit = widgets.ToggleButtons(options=[(str(d), d) for d in range(10)], value=0,
                                           description="digit", style={"button_width": "2.4em"})
        self.style_groups = [_style_sliders(infogan) for infogan in infogans]
        self.styles = [slider for group in self.style_groups for slider in group]
        self.seed, self.new_noise = _seed_controls(seed)
        self.images = [widgets.Image(format="png", width=28 * DIGIT_SCALE,
                                     height=28 * DIGIT_SCALE) for _ in self.models]
        for control in (self.digit, self.seed, *self.styles):
            control.observe(self._redraw, names="value")
        captions = [widgets.VBox([widgets.HTML(f"<b>{name}</b>"), image])
                    for name, image in zip(names, self.images)]
        sliders = [widgets.VBox([widgets.HTML(f"<i>{name}</i>"), *group]) if len(infogans) > 1
                   else widgets.VBox(group)
                   for name, group in zip(names[1:], self.style_groups)]
        super().__init__([self.digit, *sliders, widgets.HBox([self.seed, self.new_noise]),
                          widgets.HBox(captions)])
        self._redraw()

    def _redraw(self, change=None) -> None:
        start = time.perf_counter()
        styles = [None] + [np.array([[s.value for s in group]], np.float32)
                           for group in self.style_groups]
        for model, painter, image, style in zip(self.models, self.painters, self.images, styles):
            label = model.labels_for_digits(self.digit.value)
            digit = painter.digits(label, style, painter.noise(self.seed.value))
            image.value = png_bytes(digit[0], scale=DIGIT_SCALE)
        self.redraw_ms.append((time.perf_counter() - start) * 1000)


def slant_code(model: ConditionalGAN) -> int:
    """The index of the style code named slant (notebook 04 names them), else 0."""
    names = getattr(model, "style_names", None) or []
    return names.index("slant") if "slant" in names else 0


def explore(model: ConditionalGAN, seed: int = 0, sweep_style: int | None = None,
            allow_untrained: bool = False) -> Explorer:
    """Sliders for one trained model: label (digit or category), style codes, noise seed.

    The sweep starts on sweep_style, by default the code named slant (else the first).
    """
    sweep_style = slant_code(model) if sweep_style is None else sweep_style
    return Explorer(model, seed=seed, sweep_style=sweep_style, allow_untrained=allow_untrained)


def compare(acgan: ACGAN, *infogans: InfoGAN, seed: int = 0,
            names: list[str] | None = None) -> Comparison:
    """ACGAN and aligned InfoGANs side by side, steered by one digit and one noise seed."""
    return Comparison(acgan, *infogans, seed=seed, names=names)


def redraw_latency(view, moves: int = 200, slider=None) -> dict:
    """Median and 90th percentile of the redraw after a slider move, in ms.

    The default slider is the first style code (ACGAN: the noise seed).
    """
    slider = slider or (view.styles[0] if view.styles else view.seed)
    start_value = slider.value
    view.redraw_ms.clear()
    if isinstance(slider, widgets.FloatSlider):
        values = np.linspace(slider.min, slider.max, moves)
    else:  # whole numbers after the current one, wrapping round: every move is a change
        span = slider.max - slider.min + 1
        values = slider.min + (start_value - slider.min + 1 + np.arange(moves)) % span
    for value in values:
        slider.value = value.item()
    times = sorted(view.redraw_ms)
    slider.value = start_value  # leave the view as it was
    return {"moves": len(times), "median_ms": round(statistics.median(times), 2),
            "p90_ms": round(times[int(0.9 * (len(times) - 1))], 2)}


def _main() -> None:
    infogan, acgan = load_pretrained("infogan"), load_pretrained("acgan")
    infogan_view = explore(infogan)
    views = [("explore(infogan), style 1 slider", infogan_view, infogan_view.styles[0]),
             ("explore(infogan), style 2 slider", infogan_view, infogan_view.styles[-1]),
             ("explore(infogan), noise seed (on release)", infogan_view, infogan_view.seed),
             ("explore(acgan), noise seed", explore(acgan), None),
             ("compare(acgan, infogan), style slider", compare(acgan, infogan), None)]
    for name, view, slider in views:
        redraw_latency(view, moves=20, slider=slider)  # warm up
        print(f"{name:<42} {redraw_latency(view, slider=slider)}")


if __name__ == "__main__":
    _main()
