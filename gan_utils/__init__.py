"""Companion package of the ACGAN vs InfoGAN notebook series: data, builders and plumbing.

The lesson lives in notebooks/; this package holds what every notebook reuses. Its names load
when first used (`gu.InfoGAN`, `gu.callbacks`), so `python -m gan_utils --help` answers without
starting TensorFlow; `import gan_utils as gu` then works as any package.
"""

import importlib
import os

# TensorFlow's C++ start-up notices (oneDNN, CUDA, CPU features) are not for learners: hidden
# unless TF_CPP_MIN_LOG_LEVEL says otherwise. Set before TensorFlow loads, or it has no effect.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_NAMES = {
    "ACGAN": "gan_utils.models", "InfoGAN": "gan_utils.models",
    "ACGANConfig": "gan_utils.configs", "InfoGANConfig": "gan_utils.configs",
    "CheckpointError": "gan_utils.checkpoints", "load": "gan_utils.checkpoints",
    "load_pretrained": "gan_utils.checkpoints", "load_trained": "gan_utils.checkpoints",
    "TRUNK_FEATURES": "gan_utils.builders", "mnist_uni_disc_cnn": "gan_utils.builders",
    "mnist_uni_gen_cnn": "gan_utils.builders",
    "Mnist": "gan_utils.data", "MnistDataError": "gan_utils.data", "load_idx": "gan_utils.data",
    "load_mnist": "gan_utils.data", "make_dataset": "gan_utils.pipeline",
    "nearest_neighbours": "gan_utils.pipeline",
}
_MODULES = ("builders", "callbacks", "checkpoints", "configs", "data", "evaluation", "fid", "judge",
            "losses", "measures", "models", "pipeline", "plots", "reports", "training",
            "widgets")

__all__ = sorted(_NAMES) + ["callbacks", "checkpoints", "evaluation", "judge", "plots", "reports",
                            "training"]
__version__ = "0.1.0"


def __getattr__(name: str):
    """Load a name (or a submodule) of the package the first time it is used."""
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(f"gan_utils.{name}")
    else:
        raise AttributeError(f"module 'gan_utils' has no attribute {name!r}")
    globals()[name] = value  # loaded once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES) | set(_MODULES))
