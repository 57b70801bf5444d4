"""ACGAN and InfoGAN as Keras 3 models: compile() and fit() train them, generate() draws.

Both are built from the same shared builders (gan_utils.builders) and differ only in their
inputs, heads and losses: base.py holds what they share, acgan.py and infogan.py one model
each, augment.py the random moves their real-digit terms read.
"""

from gan_utils.models.acgan import ACGAN
from gan_utils.models.augment import RandomSlant, digit_moves
from gan_utils.models.base import ConditionalGAN
from gan_utils.models.infogan import LOOK_ALIKES, InfoGAN

__all__ = ["ACGAN", "ConditionalGAN", "InfoGAN", "LOOK_ALIKES", "RandomSlant", "digit_moves"]
