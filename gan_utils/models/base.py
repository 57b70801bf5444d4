"""What ACGAN and InfoGAN share: code sampling, generation, metrics, save, and input checks.

Each model's train_step is one compiled graph: one generator pass, one discriminator pass over
the real batch and one over the fake batch (separate batches, so batch norm never mixes them),
and D and G both updated from those same passes. The steps are written out and explained in
notebooks/01_acgan.ipynb, 02_infogan.ipynb (the paper's step: D, then G) and
03_infogan_digits.ipynb.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from gan_utils.checkpoints import save_checkpoint
from gan_utils.configs import split_options


class ConditionalGAN(keras.Model):
    """What ACGAN and InfoGAN share: code sampling, generation, metrics, save and load."""

    metric_names: tuple[str, ...] = ()
    data_neighbours = 0  # nearest neighbours per digit that make_dataset must pair for this model
    # D 2e-4 / G 1e-3 as the InfoGAN paper; G at 2e-4 left ACGAN's digits half-formed
    default_learning_rates = {"d": 2e-4, "g": 1e-3}
    num_labels: int
    config_class: type  # the model's settings: ACGANConfig or InfoGANConfig

    def __init__(self, config=None, **options):
        """Build from a config object, or from its settings as keywords (InfoGAN(noise_dim=8))."""
        settings, keras_options = split_options(self.config_class, options)
        if config is not None and (settings or not isinstance(config, self.config_class)):
            raise TypeError(f"pass either a {self.config_class.__name__} or its settings as "
                            f"keywords, got {config!r} and {sorted(settings)}.")
        super().__init__(**keras_options)
        self.config = config or self.config_class(**settings)  # checked once, when made
        for setting in dataclasses.fields(self.config):  # model.noise_dim etc., read-only copies
            setattr(self, setting.name, getattr(self.config, setting.name))
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.metric_names}
        self._compiled_generator = None

    # -- training ---------------------------------------------------------------------------

    def compile(self, d_optimizer: keras.optimizers.Optimizer | None = None,
                g_optimizer: keras.optimizers.Optimizer | None = None,
                d_learning_rate: float | None = None, g_learning_rate: float | None = None,
                **kwargs):
        """Two Adam optimizers (beta_1 = 0.5, as DCGAN): one for D (and Q), one for G.

        Learning rates: those passed here, else the config's (d_learning_rate,
        g_learning_rate, where it has them and they are set), else default_learning_rates.
        With ema_momentum > 0, G's optimizer also keeps a moving average of G's weights
        (Keras' use_ema), which fit() puts in place at the end of training.
        """
        super().compile(**kwargs)
        d_lr = (d_learning_rate or getattr(self.config, "d_learning_rate", None)
                or self.default_learning_rates["d"])
        g_lr = (g_learning_rate or getattr(self.config, "g_learning_rate", None)
                or self.default_learning_rates["g"])
        average = dict(use_ema=True, ema_momentum=self.ema_momentum) if self.ema_momentum else {}
        epsilon = getattr(self.config, "adam_epsilon", 1e-7)  # Keras' default where not set
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(d_lr, beta_1=0.5, epsilon=epsilon)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(g_lr, beta_1=0.5, epsilon=epsilon,
                                                                **average)
        # Create the optimizer slots now (under any strategy scope), not inside a replica step.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def fit(self, x=None, *args, **kwargs):
        """keras.Model.fit; a tf.data pipeline is already shuffled, so fit need not try."""
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)
            _check_pixel_spec(x.element_spec)
            x = x.map(_assert_pixel_range)  # checks each batch as it flows; changes no value
        else:
            _check_pixel_range(x.get("images") if isinstance(x, dict) else x)
        history = super().fit(x, *args, **kwargs)
        self.use_average_generator()
        return history

    def use_average_generator(self) -> bool:
        """Put G's moving-average weights in place (smoother digits); False if none or not finite."""
        optimizer = getattr(self, "g_optimizer", None)
        if not getattr(optimizer, "use_ema", False):
            return False
        weights = self.generator.trainable_variables
        current = [w.numpy() for w in weights]
        optimizer.finalize_variable_values(weights)
        if all(np.isfinite(w.numpy()).all() for w in weights):
            return True
        for w, value in zip(weights, current):  # a NaN got into the average: keep G as it was
            w.assign(value)
        return False

    def call(self, codes, training=False):
        """Images from full generator codes; training itself happens in train_step."""
        return self.generator(codes, training=training)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def update_metrics(self, **values) -> dict:
        """Feed this step's values to their Mean trackers; return what the progress bar shows."""
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def apply_updates(self, tape: tf.GradientTape, d_total: tf.Tensor, g_total: tf.Tensor) -> None:
        """Update D (with its heads) on D's loss and G on G's loss, from one persistent tape."""
        d_vars, g_vars = self.discriminator.trainable_weights, self.generator.trainable_weights
        self.d_optimizer.apply(tape.gradient(d_total, d_vars), d_vars)
        self.g_optimizer.apply(tape.gradient(g_total, g_vars), g_vars)

    @staticmethod
    def batch_mean(per_example: tf.Tensor) -> tf.Tensor:
        """Sum over this replica's examples divided by the *global* batch: right under any strategy."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        global_batch = tf.cast(tf.shape(per_example)[0] * replicas, per_example.dtype)
        return tf.reduce_sum(per_example) / global_batch

    @staticmethod
    def replica_share(batch_value: tf.Tensor) -> tf.Tensor:
        """A per-batch loss term divided among replicas, whose gradients are summed."""
        return batch_value / tf.distribute.get_strategy().num_replicas_in_sync

    @staticmethod
    def check_batch(images: tf.Tensor) -> None:
        """Raise a clear error unless the batch is images of shape (batch, 28, 28, 1)."""
        if tuple(images.shape[1:]) != (28, 28, 1):
            raise ValueError(f"expected batches of images (batch, 28, 28, 1) scaled to [-1, 1] "
                             f"(see gan_utils.make_dataset), got {tuple(images.shape)}.")

    # -- generation -------------------------------------------------------------------------

    def generator_codes(self, labels: np.ndarray, styles, noise, rng) -> np.ndarray:
        """G's input rows for these labels: noise, the one-hot label and (InfoGAN) the styles."""
        raise NotImplementedError

    def draw_noise(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n rows of noise from the prior G was trained on (here N(0, 1))."""
        return rng.standard_normal((n, self.noise_dim))

    def labels_for_digits(self, digits) -> np.ndarray:
        """The model's own labels that draw these digits (ACGAN: the digits themselves)."""
        return np.atleast_1d(np.asarray(digits))

    def generate(self, labels=None, styles=None, noise=None, seed: int | None = None,
                 digits=None) -> np.ndarray:
        """Images (n, 28, 28, 1) float32 in [-1, 1] for the given labels; a seed makes it repeatable.

        digits= asks for digits instead of the model's own labels (InfoGAN: once aligned).
        """
        if (labels is None) == (digits is None):
            raise ValueError("pass either labels= (the model's own codes) or digits=, not both.")
        labels = self.labels_for_digits(digits) if digits is not None else labels
        labels = np.atleast_1d(np.asarray(labels))
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be integers, one per image, got {labels!r}.")
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_labels):
            raise ValueError(f"labels must be in 0..{self.num_labels - 1}, "
                             f"got {labels.min()}..{labels.max()}.")
        rng = np.random.default_rng(seed)
        n = len(labels)
        if noise is None:
            noise = self.draw_noise(rng, n)
        noise = _as_matrix("noise", noise, n, self.noise_dim)
        codes = self.generator_codes(labels, styles, noise, rng).astype(np.float32)
        if n == 0:
            return np.zeros((0, 28, 28, 1), np.float32)
        if self._compiled_generator is None:
            self._compiled_generator = tf.function(
                lambda c: self.generator(c, training=False), reduce_retracing=True)
        chunks = [self._compiled_generator(tf.constant(codes[i:i + 2048]))
                  for i in range(0, n, 2048)]
        return np.concatenate([c.numpy() for c in chunks]).astype(np.float32)

    # -- save and load ----------------------------------------------------------------------

    def get_config(self) -> dict:
        """The settings as a plain dict (what config.json keeps)."""
        return dataclasses.asdict(self.config)

    def checkpoint_extras(self) -> dict:
        """What config.json keeps beside the settings (InfoGAN: its measured alignment)."""
        return {}

    def restore_extras(self, meta: dict) -> None:
        """Take back what checkpoint_extras() stored, from a loaded config.json."""

    def save(self, dirpath: str | os.PathLike, overwrite: bool = True, extra: dict | None = None,
             half_precision: bool = False, training: dict | None = None) -> Path:
        """Save into a folder (config.json and the weights): see gan_utils.checkpoints.

        Unlike keras.Model.save, which writes one .keras file, this writes a folder that
        gan_utils.load reads; a .keras path is refused. An interrupted save leaves the previous
        checkpoint whole. training records how the model was trained (mode, data, seed).
        """
        return save_checkpoint(self, dirpath, overwrite=overwrite, extra=extra,
                               half_precision=half_precision, training=training)



# --------------------------------------------------------------------------- input checks


def _accuracy(correct: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.cast(correct, tf.float32))


def _as_images(images) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[1:] != (28, 28, 1):
        raise ValueError(f"expected images (n, 28, 28[, 1]), got shape {images.shape}.")
    if images.dtype == np.uint8 or images.min() < -1.001 or images.max() > 1.001:
        raise ValueError("expected float images scaled to [-1, 1] (as generate() returns); "
                         "convert uint8 digits with gan_utils.data.to_unit_range.")
    return images.astype(np.float32)


# Images fit takes: within [-1, 1] (a little rounding allowed), with a dark background: a real
# digit's darkest pixel is -1, so one whose darkest is above -0.5 was scaled to [0, 1] or not at all.
_PIXEL_LIMIT, _BACKGROUND_BELOW = 1.001, -0.5


def _check_pixel_range(images) -> None:
    """Array input to fit: float images in [-1, 1] with a dark background, not 0-255 or 0-1."""
    if images is None or isinstance(images, (tf.data.Dataset, keras.utils.PyDataset)) \
            or not hasattr(images, "dtype"):
        return
    images = np.asarray(images)
    low, high = (float(images.min()), float(images.max())) if images.size else (-1.0, 1.0)
    if images.dtype == np.uint8 or not -_PIXEL_LIMIT <= low <= _BACKGROUND_BELOW \
            or high > _PIXEL_LIMIT:
        raise ValueError(
            f"fit expects float images scaled to [-1, 1] (background -1), got {images.dtype} "
            f"values {low:g}..{high:g}. Pass uint8 digits through gan_utils.make_dataset, or "
            "scale them yourself with gan_utils.data.to_unit_range.")


def _assert_pixel_range(*element):
    """A dataset element, passed on unchanged after checking its images lie in [-1, 1]."""
    first = element[0]
    images = first["images"] if isinstance(first, dict) else first
    low, high = tf.reduce_min(images), tf.reduce_max(images)
    ok = (low >= -_PIXEL_LIMIT) & (low <= _BACKGROUND_BELOW) & (high <= _PIXEL_LIMIT)
    check = tf.debugging.Assert(ok, [
        "fit expects images scaled to [-1, 1] (background -1); this batch spans", low, "..",
        high, ". Build the data with gan_utils.make_dataset, which scales uint8 digits."])
    with tf.control_dependencies([check]):
        return tf.nest.map_structure(tf.identity, element if len(element) > 1 else first)


def _check_pixel_spec(spec) -> None:
    """Dataset input to fit: its images must be float (make_dataset scales uint8 to [-1, 1])."""
    spec = spec[0] if isinstance(spec, tuple) else spec
    spec = spec.get("images") if isinstance(spec, dict) else spec
    dtype = getattr(spec, "dtype", None)
    if dtype is not None and not dtype.is_floating:
        raise ValueError(f"fit expects float images scaled to [-1, 1], the dataset gives "
                         f"{dtype.name}: build it with gan_utils.make_dataset, which scales them.")


def _as_matrix(name: str, values, rows: int, cols: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float32)
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must be finite numbers, got NaN or infinity.")
    if values.ndim == 1 and (rows == 1 or cols == 1) and values.size == rows * cols:
        values = values.reshape(rows, cols)  # one image's vector, or one value per image
    if values.shape != (rows, cols):
        raise ValueError(f"{name} must have shape ({rows}, {cols}), got {values.shape}.")
    return values
