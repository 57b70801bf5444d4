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


def weight_init(normal: bool, layer: str = "dense"):
    """Kernel initializer: Keras' Glorot uniform, or the InfoGAN paper's normal(0, 0.02).

    The authors' code draws conv kernels from a normal truncated at two standard deviations
    and dense and up-conv kernels from a plain normal; both with standard deviation 0.02.
    """
    if not normal:
        return "glorot_uniform"
    if layer == "conv":
        return keras.initializers.TruncatedNormal(stddev=0.02)
    return keras.initializers.RandomNormal(stddev=0.02)


def mnist_uni_gen_cnn(latent_dim: int, name: str = "uni_generator", dense: int = 0,
                      image_from_upconv: bool = False, sigmoid_output: bool = False,
                      normal_init: bool = False) -> keras.Sequential:
    """Generator: a (latent_dim,) code to a (28, 28, 1) image in [-1, 1].

    The defaults are the series' generator. The InfoGAN paper's differs in three options:
    dense=1024 (a fully connected layer before the 7 x 7 x 128 one), image_from_upconv=True
    (the second up-conv makes the image, instead of 32 channels and a 4 x 4 conv) and
    sigmoid_output=True (the paper's sigmoid on [0, 1] pixels, which on our [-1, 1] scale is
    2 sigmoid(a) - 1 = tanh(a / 2)); normal_init=True draws weights as the paper does.
    """
    if not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer, got {latent_dim!r}.")
    dense_init, conv_init = weight_init(normal_init), weight_init(normal_init, "upconv")
    first = [layers.Dense(dense, use_bias=False, kernel_initializer=dense_init),
             layers.BatchNormalization(), layers.ReLU()] if dense else []
    if image_from_upconv:  # the paper: up-conv straight to one channel, 28 x 28 x 1
        last = [layers.Conv2DTranspose(1, 4, strides=2, padding="same",
                                       kernel_initializer=conv_init)]
    else:
        last = [layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False,
                                       kernel_initializer=conv_init),          # 28 x 28 x 32
                layers.BatchNormalization(),
                layers.ReLU(),  # then = Conv2D(1, 4, "same"): 28 x 28 x 1
                SingleChannelConv2D(4, activation=None if sigmoid_output else "tanh")]
    if sigmoid_output:  # tanh(a / 2): the paper's sigmoid moved onto [-1, 1]
        last += [layers.Rescaling(0.5), layers.Activation("tanh")]
    elif image_from_upconv:
        last += [layers.Activation("tanh")]
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            *first,
            layers.Dense(7 * 7 * 128, use_bias=False, kernel_initializer=dense_init),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Reshape((7, 7, 128)),                                          # 7 x 7 x 128
            layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False,
                                   kernel_initializer=conv_init),              # 14 x 14 x 64
            layers.BatchNormalization(),
            layers.ReLU(),
            *last,
        ],
        name=name,
    )


def mnist_uni_disc_cnn(use_bn: bool = True, dropout: float = 0.3,
                       name: str = "uni_disc_trunk", first_norm: bool = True,
                       leaky_slope: float = 0.2, normal_init: bool = False) -> keras.Sequential:
    """Discriminator trunk: a (28, 28, 1) image to 6,272 features that the heads read.

    The InfoGAN paper's trunk: first_norm=False (no batch norm on the first conv),
    leaky_slope=0.01 (the authors' code), normal_init=True, dropout=0.
    """
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")
    if not 0.0 <= leaky_slope < 1.0:
        raise ValueError(f"leaky_slope must be in [0, 1), got {leaky_slope!r}.")
    init = weight_init(normal_init, "conv")

    def norm(wanted: bool = True):
        return [layers.BatchNormalization()] if use_bn and wanted else []

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(64, 4, strides=2, padding="same", kernel_initializer=init),  # 14x14x64
            *norm(first_norm),
            layers.LeakyReLU(leaky_slope),
            layers.Dropout(dropout),
            layers.Conv2D(128, 4, strides=2, padding="same", kernel_initializer=init),  # 7x7x128
            *norm(),
            layers.LeakyReLU(leaky_slope),
            layers.Dropout(dropout),
            layers.Flatten(),                                                     # 6272
        ],
        name=name,
    )
