"""Simple image properties and distances for naming style codes and judging samples.

Plain NumPy/SciPy, so they are easy to check by hand. Explained in notebooks/03.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg


def _ink(images) -> np.ndarray:
    """Ink weights (n, 28, 28) in [0, 1] from uint8 or [-1, 1] images, validated."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(f"expected a non-empty batch of images (n, h, w[, 1]), got {images.shape}.")
    if images.dtype == np.uint8:
        return images.astype(np.float64) / 255.0
    if images.min() < -1.001 or images.max() > 1.001:
        raise ValueError("expected float images in [-1, 1] or uint8 0-255, got values "
                         f"{images.min():.2f}..{images.max():.2f}.")
    return (images.astype(np.float64) + 1.0) / 2.0


def slant(images) -> np.ndarray:
    """Shear of the ink per image: mu11 / mu02 from second-order moments (> 0 leans right, /)."""
    ink = _ink(images)
    h, w = ink.shape[1:]
    rows, cols = np.mgrid[0:h, 0:w]
    y = (h - 1) - rows  # up is positive, as a reader sees it
    mass = ink.sum(axis=(1, 2)) + 1e-9
    mx = (ink * cols).sum(axis=(1, 2)) / mass
    my = (ink * y).sum(axis=(1, 2)) / mass
    dx, dy = cols[None] - mx[:, None, None], y[None] - my[:, None, None]
    mu11 = (ink * dx * dy).sum(axis=(1, 2)) / mass
    mu02 = (ink * dy * dy).sum(axis=(1, 2)) / mass
    return mu11 / (mu02 + 1e-9)


def width(images) -> np.ndarray:
    """Horizontal spread of the ink per image: its standard deviation along x, in pixels."""
    ink = _ink(images)
    cols = np.arange(ink.shape[2])[None, None, :]
    mass = ink.sum(axis=(1, 2)) + 1e-9
    mx = (ink * cols).sum(axis=(1, 2)) / mass
    return np.sqrt((ink * (cols - mx[:, None, None]) ** 2).sum(axis=(1, 2)) / mass)


def thickness(images) -> np.ndarray:
    """Amount of ink per image (sum of ink weights): thicker strokes use more."""
    return _ink(images).sum(axis=(1, 2))


PROPERTIES = {"slant": slant, "width": width, "thickness": thickness}


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (n, d): FID's formula."""
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"need two (n, d) feature arrays of equal d, got {a.shape}, {b.shape}.")
    if min(len(a), len(b)) < 2:
        raise ValueError("need at least 2 samples in each set to estimate a covariance.")
    mu_a, mu_b = a.mean(0), b.mean(0)
    eps = 1e-6 * np.eye(a.shape[1])  # dead features make a covariance singular; keep sqrtm stable
    cov_a, cov_b = np.cov(a, rowvar=False) + eps, np.cov(b, rowvar=False) + eps
    root = linalg.sqrtm(cov_a @ cov_b)
    distance = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * np.real(root))
    return float(max(distance, 0.0))
