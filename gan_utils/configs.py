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

# The training run's defaults (gan_utils.training uses them; here, so that the command line can
# show them without starting TensorFlow). Training length is a number of optimizer steps, so a
# run costs the same on the 5,000 bundled digits as on keras' 60,000. The budgets were measured
# as 60 and 45 passes over the bundled digits (78 steps each): ACGAN still improved from 30 to 40
# passes; InfoGAN's categories settle by ~30, its FID and slant code keep improving to 45
# (docs/recipe.md, "Why 45 epochs").
DEFAULT_STEPS = {"acgan": 4_680, "infogan": 3_510}
# A Keras epoch here is this many steps, whatever the data's size: grids, backups and the
# history's points come every 78 steps (one pass over the bundled digits at batch 64).
STEPS_PER_EPOCH = 78
DEFAULT_BATCH_SIZE = 64


def _whole(default: int, low: int, high: int = MAX_CODE_SIZE):
    """A whole-number setting from low to high."""
    return field(default=default, metadata={"kind": "int", "min": low, "max": high})


def _number(default: float, low: float = 0.0, above: bool = False, below: float | None = None,
            at_most: float | None = None):
    """A finite real setting >= low (> low with above=True; < below, <= at_most when given)."""
    return field(default=default, metadata={"kind": "number", "min": low, "strict": above,
                                            "below": below, "at_most": at_most})


def _rate(default: float | None = None):
    """A learning rate in (0, 1), or None: the model class's own (default_learning_rates)."""
    return field(default=default, metadata={"kind": "number", "min": 0.0, "strict": True,
                                            "below": 1.0, "optional": True})


def _switch(default: bool):
    """An on/off setting: True or False only (a string 'False' from a file would read as on)."""
    return field(default=default, metadata={"kind": "bool"})


@dataclass(frozen=True)
class ACGANConfig:
    """ACGAN's settings (defaults: docs/recipe.md, "Recipe notes: ACGAN" and "ACGAN trials")."""

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
    # three continuous style codes, not the paper's two: a code is named slant on 8 of 10 seeds
    # with three, 7 of 10 with two (docs/recipe.md, "Three style codes")
    num_styles: int = _whole(3, 1)
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
    # True: the neighbour term's gradient flows through both digits' D/Q passes; False: the
    # neighbour's categories are a fixed target and only the digit's own pass learns from the
    # term (the neighbours' pass needs no backward pass)
    neighbour_gradient: bool = _switch(True)
    # the share of each (shuffled) batch the consistency and neighbour terms pair: the first
    # digits get moved copies, the last ones neighbours (1: every digit gets both; 0.5: halves)
    pair_share: float = _number(1.0, above=True, at_most=1.0)
    # Q's category head learns from G's fakes only after this many optimizer steps (0: from the
    # first, as in the paper); until then it learns from real digits alone and G follows it.
    category_warmup_steps: int = _whole(0, 0, 10**7)
    # the moves of the consistency and neighbour terms also slant a digit (a shear up to this;
    # 0: none), so that Q's categories cannot split a digit by its slant (docs/recipe.md)
    move_slant: float = _number(0.3, below=1.0)
    use_bn: bool = _switch(True)
    dropout: float = _number(0.3, below=1.0)
    ema_momentum: float = _number(0.0, below=1.0)
    # Adam's learning rates for D/Q and G; None: InfoGAN.default_learning_rates (4e-4, 1e-3)
    d_learning_rate: float | None = _rate()
    g_learning_rate: float | None = _rate()
    # The InfoGAN paper's network and update, one setting each (InfoGANConfig.paper() sets them
    # all; docs/ablation.md, "The paper's model"). G: a fully connected layer of this size first
    # (0: none); the second up-conv makes the image (False: up-conv to 32 channels, then a conv);
    # the paper's sigmoid output, tanh(a / 2) on our [-1, 1] pixels (False: tanh(a)).
    generator_dense: int = _whole(0, 0, 4096)
    image_from_upconv: bool = _switch(False)
    sigmoid_output: bool = _switch(False)
    # D: batch norm after the first conv (the paper has none there); the leaky ReLUs' slope
    first_conv_norm: bool = _switch(True)
    leaky_slope: float = _number(0.2, below=1.0)
    # noise uniform in [-1, 1] (False: standard normal); weights from normal(0, 0.02) (False:
    # Keras' Glorot uniform); Adam's epsilon (TensorFlow 1, the authors': 1e-8)
    uniform_noise: bool = _switch(False)
    normal_init: bool = _switch(False)
    adam_epsilon: float = _number(1e-7, above=True, below=1.0)
    # True: D's update, then G's from its own forward pass with fresh codes (the paper); False:
    # both updated from one set of passes (half the generator work)
    separate_updates: bool = _switch(False)

    def __post_init__(self):
        check(self)

    @classmethod
    def paper(cls, **changes) -> InfoGANConfig:
        """The InfoGAN paper's MNIST model, setting by setting (docs/ablation.md).

        62 uniform noise values, 10 categories, 2 continuous codes in [-1, 1], lambda 1 for
        both (the authors' MNIST launcher); G: FC-1024, FC 7x7x128, up-conv 64, up-conv to
        the image, sigmoid; D: conv 64 (no batch norm), conv 128, FC-1024 shared with Q, Q's
        FC-128; leaky slope 0.01; normal(0, 0.02) weights; Adam D/Q 2e-4, G 1e-3, epsilon
        1e-8; D then G, each from its own pass. Train it with batch 128 for 5,000 steps
        (PAPER_BUDGET). changes override single settings (paper(noise_dim=16)).
        """
        return cls(**{**PAPER_INFOGAN, **changes})


# The paper's InfoGAN on MNIST (Chen et al. 2016, appendix C; the authors' code,
# launchers/run_mnist_exp.py and infogan/models/regularized_gan.py) in our settings; what
# still differs is listed in docs/ablation.md, with the reason.
PAPER_INFOGAN = dict(
    noise_dim=62, num_categories=10, num_styles=2, style_range=1.0,
    category_weight=1.0, style_weight=1.0,  # info_reg_coeff=1.0 for both kinds of code
    learn_style_std=False,  # the authors' code fixes Q's continuous std at 1 (fix_std=True)
    q_hidden=128, shared_dense=1024, use_bn=True, dropout=0.0, ema_momentum=0.0,
    cluster_weight=0.0, marginal_weight=2.0, confidence_weight=0.0,  # our additions: off
    consistency_weight=0.0, neighbour_weight=0.0, move_slant=0.0,
    d_learning_rate=2e-4, g_learning_rate=1e-3,
    generator_dense=1024, image_from_upconv=True, sigmoid_output=True, first_conv_norm=False,
    leaky_slope=0.01, uniform_noise=True, normal_init=True, adam_epsilon=1e-8,
    separate_updates=True)
# The authors' budget: batch 128, 100 updates x 50 epochs
PAPER_BUDGET = {"steps": 5_000, "batch_size": 128}


def check(config) -> None:
    """Raise ValueError naming the first setting outside its allowed range."""
    for f in dataclasses.fields(config):
        value, rule = getattr(config, f.name), f.metadata
        if value is None and rule.get("optional"):
            continue  # an optional setting left to the model class
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
            ok = ok and (rule.get("at_most") is None or value <= rule["at_most"])
            if not ok:
                bound = f"{'>' if rule['strict'] else '>='} {rule['min']}"
                bound += f" and below {rule['below']}" if rule["below"] is not None else ""
                bound += f" and at most {rule['at_most']}" if rule.get("at_most") is not None else ""
                raise ValueError(f"{f.name} must be a number {bound}, got {value!r}.")


def split_options(config_class, options: dict) -> tuple[dict, dict]:
    """Split constructor keywords into the config's settings and keras.Model's own (name=...)."""
    names = {f.name for f in dataclasses.fields(config_class)}
    return ({k: v for k, v in options.items() if k in names},
            {k: v for k, v in options.items() if k not in names})
