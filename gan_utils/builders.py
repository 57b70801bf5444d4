"""The shared ("uni") generator and discriminator trunk that ACGAN and InfoGAN both use.

Sharing them keeps the comparison fair: the two GANs differ only in their inputs, heads
and losses. Explained in notebooks/00_data_and_builders.ipynb.
"""

from __future__ import annotations

import keras
from keras import layers

TRUNK_FEATURES = 7 * 7 * 128  # what mnist_uni_disc_cnn hands to the heads


def mnist_uni_gen_cnn(latent_dim: int, name: str = "uni_generator") -> keras.Sequential:
    """Generator: a (latent_dim,) code to a (28, 28, 1) image in [-1, 1]."""
    if not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer, got {latent_dim!r}.")
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(7 * 7 * 128, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Reshape((7, 7, 128)),                                          # 7 x 7 x 128
            layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False),  # 14x14x64
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False),  # 28x28x32
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2D(1, 4, padding="same", activation="tanh"),               # 28 x 28 x 1
        ],
        name=name,
    )


def mnist_uni_disc_cnn(use_bn: bool = True, dropout: float = 0.3,
                       name: str = "uni_disc_trunk") -> keras.Sequential:
    """Discriminator trunk: a (28, 28, 1) image to 6,272 features that the heads read."""
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")

    def norm():
        return [layers.BatchNormalization()] if use_bn else []

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(64, 4, strides=2, padding="same"),                      # 14 x 14 x 64
            *norm(),
            layers.LeakyReLU(0.2),
            layers.Dropout(dropout),
            layers.Conv2D(128, 4, strides=2, padding="same"),                     # 7 x 7 x 128
            *norm(),
            layers.LeakyReLU(0.2),
            layers.Dropout(dropout),
            layers.Flatten(),                                                     # 6272
        ],
        name=name,
    )
