"""Random moves (augmentation) of real digits: shifts, turns, zooms and slants."""

from __future__ import annotations

import keras
from keras import layers


def digit_moves(shift: float, turn: float, zoom: float = 0.0,
                slant: float = 0.0) -> keras.Sequential:
    """Random shifts (share of the side), turns (of a circle), zooms and slants (RandomSlant)."""
    border = dict(fill_mode="constant", fill_value=-1.0)
    moves = [layers.RandomTranslation(shift, shift, **border), layers.RandomRotation(turn, **border)]
    if zoom:
        moves.append(layers.RandomZoom(zoom, **border))
    if slant:
        moves.append(RandomSlant(slant))
    return keras.Sequential([keras.Input((28, 28, 1)), *moves], name="augment")


@keras.saving.register_keras_serializable(package="gan_utils")
class RandomSlant(layers.Layer):
    """Slant each digit by a random shear in [-factor, factor], about the image's centre.

    keras.layers.RandomShear shears about the top-left corner, which also shifts a digit by up
    to factor x 27 pixels; a slant that keeps the digit in place is one affine transform.
    """

    def __init__(self, factor: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0 < factor < 1:
            raise ValueError(f"RandomSlant's factor must be in (0, 1), got {factor!r}.")
        self.factor, self.seed = float(factor), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=True):
        """The images, each slanted by its own random shear (unchanged when not training)."""
        if not training:
            return images
        batch = keras.ops.shape(images)[0]
        shear = keras.random.uniform((batch, 1), -self.factor, self.factor,
                                     seed=self.seed_generator)
        centre = (keras.ops.cast(keras.ops.shape(images)[1], "float32") - 1.0) / 2.0
        one, zero = keras.ops.ones_like(shear), keras.ops.zeros_like(shear)
        # output pixel (x, y) reads the input at (x + shear * (y - centre), y)
        transform = keras.ops.concatenate(
            [one, shear, -shear * centre, zero, one, zero, zero, zero], axis=1)
        return keras.ops.image.affine_transform(images, transform, fill_mode="constant",
                                                fill_value=-1.0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}

