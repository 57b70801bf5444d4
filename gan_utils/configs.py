"""Each model's settings as one dataclass: checked once when made, saved as a dict (asdict).

`gu.InfoGAN(noise_dim=8)` and `gu.InfoGAN(gu.InfoGANConfig(noise_dim=8))` build the same
model; config.json holds `dataclasses.asdict(model.config)`. Every field says its allowed range
in its metadata, so adding a setting is one line here.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

MAX_CODE_SIZE = 1024  # noise values, categories, styles: far above any MNIST use, below a crash


def _whole(default: int, low: int, high: int = MAX_CODE_SIZE):
    """A whole-number setting from low to high."""
    return field(default=default, metadata={"kind": "int", "min": low, "max": high})


def _number(default: float, low: float = 0.0, above: bool = False, below: float | None = None):
    """A finite real setting >= low (> low with above=True; < below when given)."""
    return field(default=default,
                 metadata={"kind": "number", "min": low, "strict": above, "below": below})


def _switch(default: bool):
    """An on/off setting: True or False only (a string 'False' from a file would read as on)."""
    return field(default=default, metadata={"kind": "bool"})


@dataclass(frozen=True)
class ACGANConfig:
    """ACGAN's settings (defaults: docs/recipe.md, "Recipe notes: ACGAN")."""

    noise_dim: int = _whole(62, 1)
    num_classes: int = _whole(10, 2)
    class_weight: float = _number(1.0)
    fake_class_weight: float = _number(0.0)
    move_real_for_class: bool = _switch(True)
    use_bn: bool = _switch(True)
    dropout: float = _number(0.3, below=1.0)
    ema_momentum: float = _number(0.999, below=1.0)

    def __post_init__(self):
        check(self)


@dataclass(frozen=True)
class InfoGANConfig:
    """InfoGAN's settings (defaults: docs/recipe.md, "Recipe notes: InfoGAN")."""

    noise_dim: int = _whole(16, 1)
    num_categories: int = _whole(10, 2)
    num_styles: int = _whole(2, 1)
    style_range: float = _number(1.0, above=True)
    category_weight: float = _number(1.0)
    style_weight: float = _number(0.5)
    learn_style_std: bool = _switch(False)
    q_hidden: int = _whole(128, 0, 4096)
    shared_dense: int = _whole(0, 0, 4096)
    cluster_weight: float = _number(1.0)
    marginal_weight: float = _number(2.0)
    confidence_weight: float = _number(0.0)
    consistency_weight: float = _number(3.0)
    neighbour_weight: float = _number(1.0)
    use_bn: bool = _switch(True)
    dropout: float = _number(0.3, below=1.0)
    ema_momentum: float = _number(0.0, below=1.0)

    def __post_init__(self):
        check(self)


def check(config) -> None:
    """Raise ValueError naming the first setting outside its allowed range."""
    for f in dataclasses.fields(config):
        value, rule = getattr(config, f.name), f.metadata
        if rule["kind"] == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{f.name} must be True or False, got {value!r}.")
        elif rule["kind"] == "int":
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or not rule["min"] <= value <= rule["max"]:
                raise ValueError(f"{f.name} must be an integer from {rule['min']} to "
                                 f"{rule['max']}, got {value!r}.")
        else:
            ok = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
            ok = ok and math.isfinite(value)
            ok = ok and (value > rule["min"] if rule["strict"] else value >= rule["min"])
            ok = ok and (rule["below"] is None or value < rule["below"])
            if not ok:
                bound = f"{'>' if rule['strict'] else '>='} {rule['min']}"
                bound += f" and below {rule['below']}" if rule["below"] is not None else ""
                raise ValueError(f"{f.name} must be a number {bound}, got {value!r}.")


def split_options(config_class, options: dict) -> tuple[dict, dict]:
    """Split constructor keywords into the config's settings and keras.Model's own (name=...)."""
    names = {f.name for f in dataclasses.fields(config_class)}
    return ({k: v for k, v in options.items() if k in names},
            {k: v for k, v in options.items() if k not in names})
