"""Hand-drawn test digits that several test modules share (not a test module itself)."""

import numpy as np


def sheared_bar(shear: float, half_width: int = 1) -> np.ndarray:
    """A vertical bar through the centre, sheared: x = 14 + shear * (height above centre)."""
    image = np.zeros((28, 28), np.uint8)
    for row in range(4, 24):
        up = 13.5 - row
        x = int(round(14 + shear * up))
        image[row, x - half_width: x + half_width + 1] = 255
    return image
