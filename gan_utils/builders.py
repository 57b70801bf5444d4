"""The shared ("uni") generator and discriminator trunk that ACGAN and InfoGAN both use.

Sharing them keeps the comparison fair: the two GANs differ only in their inputs, heads
and losses. Explained in notebooks/00_data_and_builders.ipynb.
"""

from __future__ import annotations

import keras
from keras import layers

TRUNK_FEATURES = 7 * 7 * 128  # what mnist_uni_disc_cnn hands to the heads


@keras.saving.register_keras_serializable(package="gan_utils")
class SingleChannelConv2D(layers.Layer):
    """Conv2D(1, kernel_size, padding="same") computed as a depthwise conv plus a channel sum.

    The same function and the same (k, k, channels, 1) kernel as Conv2D, but TensorFlow's CPU
    kernels differentiate it 3-4x faster: a one-output-channel Conv2D hits a slow path.
    """

    def __init__(self, kernel_size: int = 4, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = kernel_size
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        k = self.kernel_size
        self.kernel = self.add_weight(shape=(k, k, input_shape[-1], 1), name="kernel",
                                      initializer="glorot_uniform")
        self.bias = self.add_weight(shape=(1,), name="bias", initializer="zeros")

    def call(self, x):
        before = (self.kernel_size - 1) // 2  # "same" padding: an even kernel pads more after
        side = [before, self.kernel_size - 1 - before]
        x = keras.ops.pad(x, [[0, 0], side, side, [0, 0]])
        y = keras.ops.depthwise_conv(x, self.kernel, strides=1, padding="valid")
        return self.activation(keras.ops.sum(y, axis=-1, keepdims=True) + self.bias)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size,
                "activation": keras.activations.serialize(self.activation)}


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
            SingleChannelConv2D(4, activation="tanh"),  # = Conv2D(1, 4, "same"): 28 x 28 x 1
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
