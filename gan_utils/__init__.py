"""Companion package of the ACGAN vs InfoGAN notebook series: data, builders and plumbing.

The lesson lives in notebooks/; this package holds what every notebook reuses.
"""

from gan_utils import callbacks, checkpoints, evaluation, judge, plots, reports
from gan_utils.builders import TRUNK_FEATURES, mnist_uni_disc_cnn, mnist_uni_gen_cnn
from gan_utils.data import (Mnist, MnistDataError, load_idx, load_mnist, make_dataset,
                            nearest_neighbours)
from gan_utils.checkpoints import CheckpointError, load, load_pretrained, load_trained
from gan_utils.configs import ACGANConfig, InfoGANConfig
from gan_utils.models import ACGAN, InfoGAN

__all__ = [
    "ACGAN",
    "ACGANConfig",
    "CheckpointError",
    "InfoGAN",
    "InfoGANConfig",
    "load",
    "load_pretrained",
    "load_trained",
    "TRUNK_FEATURES",
    "Mnist",
    "MnistDataError",
    "load_idx",
    "load_mnist",
    "make_dataset",
    "nearest_neighbours",
    "mnist_uni_disc_cnn",
    "mnist_uni_gen_cnn",
    "callbacks",
    "checkpoints",
    "evaluation",
    "judge",
    "plots",
    "reports",
]
__version__ = "0.1.0"
