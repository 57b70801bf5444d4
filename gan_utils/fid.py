"""FID and diversity in the judge's features: how close generated digits are to real ones.

The one FID definition every number in the series uses (gan_utils.evaluation.evaluation_report,
the command line, the README, notebook 04) is built from these.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import pdist

from gan_utils.judge import classifier_features
from gan_utils.measures import frechet_distance

# A Fréchet distance fits a Gaussian to each image set in the judge's 84 features: with fewer
# digits than features the covariance is singular, and well above that it still shrinks as the
# sample grows. Below this many digits a side, no FID is given.
MIN_FID_DIGITS = 1_000
FID_DRAWS = 5  # generated samples per FID: the report gives their median and range


def diversity(features: np.ndarray, labels: np.ndarray, k: int) -> list[float]:
    """Mean pairwise distance between the feature vectors of each label's images (collapse -> 0)."""
    out = []
    for label in range(k):
        group = features[labels == label][:500]
        out.append(float(pdist(group).mean()) if len(group) > 1 else 0.0)
    return out


def mnist_fid(images_a: np.ndarray, images_b: np.ndarray, classifier=None) -> float:
    """An "MNIST FID": Fréchet distance of two image sets in the classifier's feature space."""
    return frechet_distance(classifier_features(images_a, classifier),
                            classifier_features(images_b, classifier))
