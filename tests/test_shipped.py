"""The shipped checkpoints draw today exactly what they drew when they were made.

tests/data/shipped_reference.npz holds float32 images. The ACGAN draws were made by the code at
commit 25f21a4 (before models.py took a config dataclass and evaluation.py was split), from the
same checkpoint in gan_utils/pretrained/acgan, with a worktree of that commit:

    git worktree add ../ref 25f21a4
    PYTHONPATH=../ref .venv/bin/python  # check that gan_utils.__file__ is in ../ref
    >>> models = {name: gu.load_pretrained(name) for name in ("acgan", "infogan")}
    >>> np.savez_compressed("tests/data/shipped_reference.npz",
    ...                     **{draw: generate(models[model]) for draw, (model, generate)
    ...                        in DRAWS.items()})
    git worktree remove --force ../ref

The InfoGAN draws were re-made when its checkpoint was retrained with slanted moves, and again
when it became seed 1 of the three-style-code default (2026-12-02; the code at 25f21a4 cannot
read either recipe): the same lines, with today's code, replacing only the "infogan" and
"infogan_styles" entries.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import gan_utils as gu

REFERENCE = Path(__file__).parent / "data" / "shipped_reference.npz"

DRAWS: dict[str, tuple[str, Callable]] = {
    "acgan": ("acgan", lambda model: model.generate(np.arange(10), seed=0)),
    "infogan": ("infogan", lambda model: model.generate(np.arange(10), seed=0)),
    "infogan_styles": ("infogan", lambda model: model.generate(
        np.arange(10), styles=np.tile([[0.5, -0.5, 0.25]], (10, 1)), seed=1)),
}


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(REFERENCE) as stored:
        return {name: stored[name] for name in stored.files}


@pytest.fixture(scope="module")
def shipped() -> dict[str, gu.ACGAN | gu.InfoGAN]:
    """The shipped checkpoints, loaded by the code under test."""
    return {name: gu.load_pretrained(name) for name in ("acgan", "infogan")}


def test_the_reference_holds_every_draw(reference):
    assert sorted(reference) == sorted(DRAWS)
    for name, images in reference.items():
        assert images.shape == (10, 28, 28, 1) and images.dtype == np.float32, name
        assert images.min() >= -1 and images.max() <= 1 and images.std() > 0.3, name  # digits


@pytest.mark.parametrize("draw", sorted(DRAWS))
def test_shipped_checkpoints_draw_what_they_drew_when_the_reference_was_made(reference, shipped,
                                                                             draw):
    """Bit-identical on the machine that made each reference (checked when it was made); across
    CPUs and TensorFlow builds the same float32 graph may round differently (other kernels,
    other summation order), so the test allows 1e-5 on images in [-1, 1]."""
    model_name, generate = DRAWS[draw]
    images = generate(shipped[model_name])
    assert images.shape == reference[draw].shape and images.dtype == np.float32
    np.testing.assert_allclose(images, reference[draw], rtol=0, atol=1e-5)
