"""ACGAN and InfoGAN as Keras 3 models: compile() and fit() train them, generate() draws.

Both are built from the same shared builders (gan_utils.builders) and differ only in their
inputs, heads and losses. Each train_step is one compiled graph: one generator pass, one
discriminator pass over the real batch and one over the fake batch (separate batches, so batch
norm never mixes them), and D and G both updated from those same passes.
The steps are written out and explained in notebooks/01_acgan.ipynb and 02_infogan.ipynb.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gan_utils import losses
from gan_utils.builders import mnist_uni_disc_cnn, mnist_uni_gen_cnn
from gan_utils.checkpoints import (  # noqa: F401  load & co. lived here before 2026-12
    CheckpointError, load, load_pretrained, load_trained, save_checkpoint)
from gan_utils.configs import ACGANConfig, InfoGANConfig, split_options

LOOK_ALIKES = 5  # InfoGAN's neighbour term: each digit's partner is one of its 5 nearest neighbours

# --------------------------------------------------------------------------- shared plumbing


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
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(d_lr, beta_1=0.5)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(g_lr, beta_1=0.5, **average)
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
            noise = rng.standard_normal((n, self.noise_dim))
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


# --------------------------------------------------------------------------- ACGAN


class ACGAN(ConditionalGAN):
    """ACGAN: G draws from noise plus a one-hot *real* label; D judges real/fake and classifies.

    Defaults (docs/recipe.md, "Recipe notes: ACGAN" and "ACGAN trials"): noise_dim=62, D learning
    rate 2e-4, G 1e-3; fake_class_weight=0: D's class head learns from real digits only (the
    paper uses 1, which needed twice the steps for the same label accuracy), while G is still
    trained to make D read its fakes as the asked label; move_real_for_class=True: the class
    head learns from augmented copies of the real digits (shifts up to 10%, turns up to 14
    degrees) while the real/fake head sees them as they are, so it reads digits rather than pixels and G must draw
    whole digits to satisfy it (0.985 -> 0.999 label accuracy at 60 epochs; FID 17.9 -> 24.2,
    the digits are drawn more alike);
    ema_momentum=0.999: after fit, G's weights are their moving average over the last ~1,000
    steps (0.974 -> 0.983 label accuracy at 60 epochs).
    """

    metric_names = ("d_loss", "g_loss", "class_loss", "d_real_acc", "d_fake_acc",
                    "class_acc_real", "class_acc_fake")

    config_class = ACGANConfig

    def __init__(self, config: ACGANConfig | None = None, **options):
        """Settings: see gan_utils.configs.ACGANConfig (e.g. ACGAN(noise_dim=62))."""
        super().__init__(config, **options)
        self.num_labels = self.num_classes
        self.generator = mnist_uni_gen_cnn(self.noise_dim + self.num_classes,
                                           name="acgan_generator")
        image = keras.Input((28, 28, 1))
        features = mnist_uni_disc_cnn(self.use_bn, self.dropout)(image)
        self.discriminator = keras.Model(
            image, [layers.Dense(1, name="real_fake")(features),
                    layers.Dense(self.num_classes, name="class_logits")(features)],
            name="acgan_discriminator")
        self.augment = digit_moves(shift=0.1, turn=0.04)  # turns up to 14 degrees
        self.built = True  # both parts are built from keras.Input already

    def generator_codes(self, labels, styles, noise, rng):
        if styles is not None:
            raise ValueError("ACGAN has no style codes: its only condition is the label.")
        return np.concatenate([noise, np.eye(self.num_classes)[labels]], axis=1)

    def train_step(self, data):
        real, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if labels is None:
            raise ValueError("ACGAN trains on (images, labels) batches: "
                             "make_dataset(images, labels) gives them.")
        self.check_batch(real)
        labels = tf.cast(labels, tf.int32)
        batch = tf.shape(real)[0]
        noise = tf.random.normal([batch, self.noise_dim])
        fake_labels = tf.random.uniform([batch], 0, self.num_classes, dtype=tf.int32)
        codes = tf.concat([noise, tf.one_hot(fake_labels, self.num_classes)], axis=1)
        mean = self.batch_mean
        with tf.GradientTape(persistent=True) as tape:
            fake = self.generator(codes, training=True)
            real_logit, real_cls = self.discriminator(real, training=True)
            fake_logit, fake_cls = self.discriminator(fake, training=True)
            if self.move_real_for_class:  # the class head reads augmented copies of the real digits
                _, real_cls = self.discriminator(self.augment(real, training=True), training=True)
            class_real = losses.category_cross_entropy(labels, real_cls)
            class_fake = losses.category_cross_entropy(fake_labels, fake_cls)
            d_gan = losses.discriminator_loss(real_logit, fake_logit)
            g_gan = losses.generator_loss(fake_logit)
            d_class = class_real + self.fake_class_weight * class_fake
            d_total = mean(d_gan + self.class_weight * d_class)
            g_total = mean(g_gan + self.class_weight * class_fake)
        self.apply_updates(tape, d_total, g_total)
        return self.update_metrics(
            d_loss=tf.reduce_mean(d_gan), g_loss=tf.reduce_mean(g_gan),
            class_loss=tf.reduce_mean(class_real + class_fake) / 2,
            d_real_acc=_accuracy(real_logit > 0), d_fake_acc=_accuracy(fake_logit < 0),
            class_acc_real=_accuracy(tf.argmax(real_cls, -1, tf.int32) == labels),
            class_acc_fake=_accuracy(tf.argmax(fake_cls, -1, tf.int32) == fake_labels))

    def classify(self, images) -> np.ndarray:
        """D's class probabilities (n, num_classes) for images in [-1, 1]."""
        images = _as_images(images)
        _, logits = self.discriminator.predict(images, batch_size=512, verbose=0)
        return tf.nn.softmax(logits).numpy()


# --------------------------------------------------------------------------- InfoGAN


class InfoGAN(ConditionalGAN):
    """InfoGAN: G draws from noise, a random category and random styles; Q recovers them.

    D (real/fake) and the recognition network Q share the discriminator trunk. The info loss
    (category cross-entropy + Gaussian NLL of the styles) is added to both D/Q's and G's loss.

    Defaults are the best recipe measured on the 5,000 bundled digits (docs/recipe.md, "Recipe notes: InfoGAN"):
    16 noise values, so that digit identity has little noise to hide in, D/Q's learning rate
    4e-4, and three label-free terms on *real* digits that D/Q alone minimises:
    cluster_weight (the balance term: the batch spread evenly over the categories,
    -marginal_weight * H(c), plus confidence_weight * H(c|x), off by default: asking Q to be
    sure early locks in wrong clusters), consistency_weight (the same category for a digit and
    an augmented copy) and neighbour_weight (the same category for a digit and one of its
    nearest neighbours, which fit() needs from make_dataset(images, neighbours=5)).
    InfoGAN.paper() is the paper's model as far as the builders allow (docs/ablation.md).
    """

    metric_names = ("d_loss", "g_loss", "info_loss", "mi_category", "style_nll",
                    "d_real_acc", "d_fake_acc", "q_category_acc", "real_cluster_gap",
                    "consistency_loss", "neighbour_loss")
    # D/Q learns twice as fast as ConditionalGAN's 2e-4: Q's categories settle on digits sooner
    default_learning_rates = {"d": 4e-4, "g": 1e-3}

    config_class = InfoGANConfig

    def __init__(self, config: InfoGANConfig | None = None, **options):
        """Settings: see gan_utils.configs.InfoGANConfig (e.g. InfoGAN(noise_dim=8))."""
        super().__init__(config, **options)
        self.num_labels = self.num_categories
        # turns up to 22 degrees; slants up to move_slant (a shear) when set
        self.augment = digit_moves(shift=0.1, turn=0.06, zoom=0.1, slant=self.move_slant)
        self.generator = mnist_uni_gen_cnn(self.noise_dim + self.num_categories + self.num_styles,
                                           name="infogan_generator")
        self.discriminator = self._build_discriminator(self.use_bn, self.dropout,
                                                       self.shared_dense, self.q_hidden)
        self.alignment: dict[int, int] | None = None  # category -> digit, once measured
        self.style_names: list[str] | None = None  # e.g. ["slant", "width"], once measured
        self.built = True  # both parts are built from keras.Input already

    @classmethod
    def paper(cls, **changes) -> InfoGAN:
        """The paper's MNIST InfoGAN as far as our builders allow (gu.InfoGANConfig.paper)."""
        return cls(InfoGANConfig.paper(**changes))

    def _build_discriminator(self, use_bn, dropout, shared_dense, q_hidden) -> keras.Model:
        """One trunk, two heads: D's real/fake logit and Q's (category logits, style mean, log-std)."""
        image = keras.Input((28, 28, 1))
        features = mnist_uni_disc_cnn(use_bn, dropout)(image)
        if shared_dense:
            features = layers.Dense(shared_dense, name="shared_dense")(features)
            features = layers.BatchNormalization()(features) if use_bn else features
            features = layers.LeakyReLU(0.2)(features)
        q = features
        if q_hidden:
            q = layers.Dense(q_hidden, name="q_hidden")(q)
            q = layers.BatchNormalization()(q) if use_bn else q
            q = layers.LeakyReLU(0.2)(q)
        outputs = [layers.Dense(1, name="real_fake")(features),
                   layers.Dense(self.num_categories, name="q_category_logits")(q),
                   layers.Dense(self.num_styles, name="q_style_mean")(q)]
        if self.learn_style_std:
            outputs.append(layers.Dense(self.num_styles, name="q_style_log_std")(q))
        return keras.Model(image, outputs, name="infogan_discriminator")

    def generator_codes(self, labels, styles, noise, rng):
        n = len(labels)
        if styles is None:
            styles = rng.uniform(-self.style_range, self.style_range, (n, self.num_styles))
        styles = _as_matrix("styles", styles, n, self.num_styles)
        return np.concatenate([noise, np.eye(self.num_categories)[labels], styles], axis=1)

    def set_alignment(self, category_to_digit: dict[int, int] | None) -> None:
        """Record which digit each category draws (found by gan_utils.evaluation.align)."""
        if category_to_digit is not None:
            mapping = {int(c): int(d) for c, d in category_to_digit.items()}
            if sorted(mapping) != list(range(self.num_categories)) or \
                    len(set(mapping.values())) != self.num_categories:
                raise ValueError(f"an alignment maps each of the {self.num_categories} categories "
                                 f"to a different digit, got {category_to_digit}.")
            category_to_digit = mapping
        self.alignment = category_to_digit

    def set_style_names(self, names: list[str] | None) -> None:
        """Record what each style code controls (found by gan_utils.evaluation.name_styles)."""
        if names is not None and (len(names) != self.num_styles
                                  or not all(isinstance(n, str) and n for n in names)):
            raise ValueError(f"style names: one non-empty string per style code "
                             f"({self.num_styles}), got {names!r}.")
        self.style_names = list(names) if names is not None else None

    def labels_for_digits(self, digits) -> np.ndarray:
        if getattr(self, "alignment", None) is None:
            raise ValueError("this InfoGAN is not aligned yet: its categories are its own. Run "
                             "gan_utils.evaluation.align(model, images, labels) first.")
        digit_to_category = {d: c for c, d in self.alignment.items()}
        digits = np.atleast_1d(np.asarray(digits))
        unknown = sorted(set(digits.tolist()) - set(digit_to_category))
        if unknown:
            raise ValueError(f"no category draws digit(s) {unknown}.")
        return np.array([digit_to_category[d] for d in digits.tolist()], np.int64)

    def checkpoint_extras(self) -> dict:
        """The alignment and style names, once measured."""
        extras = {}
        if getattr(self, "alignment", None):
            extras["alignment"] = {str(c): d for c, d in self.alignment.items()}
        if getattr(self, "style_names", None):
            extras["style_names"] = self.style_names
        return extras

    def restore_extras(self, meta: dict) -> None:
        """Take back the alignment and style names from a loaded config.json."""
        if "alignment" in meta:
            self.set_alignment({int(c): d for c, d in meta["alignment"].items()})
        if "style_names" in meta:
            self.set_style_names(meta["style_names"])

    def sample_codes(self, batch):
        """Random codes for one batch: noise N(0, 1), uniform category, uniform styles in [-r, r]."""
        noise = tf.random.normal([batch, self.noise_dim])
        category = tf.random.uniform([batch], 0, self.num_categories, dtype=tf.int32)
        styles = tf.random.uniform([batch, self.num_styles], -self.style_range, self.style_range)
        codes = tf.concat([noise, tf.one_hot(category, self.num_categories), styles], axis=1)
        return codes, category, styles

    def info_terms(self, category, styles, q_outputs):
        """Per-example weighted info loss, and its parts: category cross-entropy, style NLL."""
        cat_logits, style_mean, *log_std = q_outputs
        cat_ce = losses.category_cross_entropy(category, cat_logits)
        style_nll = losses.gaussian_nll(styles, style_mean, log_std[0] if log_std else 0.0)
        return self.category_weight * cat_ce + self.style_weight * style_nll, cat_ce, style_nll

    @property
    def data_neighbours(self) -> int:
        """make_dataset(..., neighbours=model.data_neighbours) feeds this model's neighbour term."""
        return LOOK_ALIKES if self.neighbour_weight else 0

    def fit(self, x=None, *args, **kwargs):
        """keras.Model.fit, checking first that the data carries what the neighbour term needs."""
        if self.neighbour_weight:
            spec = x.element_spec if isinstance(x, tf.data.Dataset) else x
            spec = spec[0] if isinstance(spec, tuple) else spec  # (images, labels): labels unused
            if not (isinstance(spec, dict) and "neighbours" in spec):
                raise ValueError(
                    f"InfoGAN(neighbour_weight={self.neighbour_weight}) needs each digit's nearest "
                    f"neighbours: build the data with gan_utils.make_dataset(images, "
                    f"neighbours={LOOK_ALIKES}), or use InfoGAN(neighbour_weight=0).")
        return super().fit(x, *args, **kwargs)

    def pair_terms(self, real, real_cat_logits, neighbours) -> tuple[tf.Tensor, tf.Tensor]:
        """The consistency loss per moved digit and the neighbour loss per paired digit.

        With pair_share 1 both read the whole batch, shape (batch,). With pair_share < 1 the
        consistency term reads the first k = round(pair_share * batch) digits and the neighbour
        term the last k, shape (k,) each: fewer digits per step, the same terms in expectation
        over shuffled batches, except that batch norm in those passes normalises over k digits.
        A term that is switched off is zeros of shape (batch,).
        """
        batch = tf.shape(real)[0]
        consistency = neighbour = tf.zeros([batch])  # reported as 0 when switched off
        own, own_logits, near_logits = real, real_cat_logits, real_cat_logits
        if self.pair_share < 1:
            k = tf.maximum(1, tf.cast(tf.round(self.pair_share * tf.cast(batch, tf.float32)),
                                      tf.int32))
            own, own_logits, near_logits = real[:k], real_cat_logits[:k], real_cat_logits[batch - k:]
            neighbours = None if neighbours is None else neighbours[batch - k:]
        if self.consistency_weight:  # same category for a digit and an augmented copy of it
            _, moved_logits, *_ = self.discriminator(self.augment(own, training=True),
                                                     training=True)
            target = tf.stop_gradient(tf.nn.softmax(own_logits))
            consistency = tf.nn.softmax_cross_entropy_with_logits(target, moved_logits)
        if self.neighbour_weight and neighbours is not None:  # nearest neighbours share a category
            neighbour = self.neighbour_loss(near_logits, neighbours)
        return consistency, neighbour

    def neighbour_loss(self, real_cat_logits, neighbours) -> tf.Tensor:
        """Per digit, -log of the chance that Q puts it and its (moved) neighbour in one category.

        With neighbour_gradient False the neighbour's categories are a fixed target: no gradient
        flows through its D/Q pass, which then costs a forward pass only.
        """
        _, neighbour_logits, *_ = self.discriminator(self.augment(neighbours, training=True),
                                                     training=True)
        if not self.neighbour_gradient:
            neighbour_logits = tf.stop_gradient(neighbour_logits)
        return -tf.math.log(losses.category_agreement(real_cat_logits, neighbour_logits) + 1e-7)

    def train_step(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)  # labels, if any, are never used
        neighbours = None
        if isinstance(real, dict):  # make_dataset(..., neighbours=k)
            real, neighbours = real["images"], real["neighbours"]
        self.check_batch(real)
        batch = tf.shape(real)[0]
        codes, category, styles = self.sample_codes(batch)
        mean = self.batch_mean
        with tf.GradientTape(persistent=True) as tape:
            fake = self.generator(codes, training=True)
            real_logit, real_cat_logits, *_ = self.discriminator(real, training=True)
            fake_logit, *q_fake = self.discriminator(fake, training=True)
            info, cat_ce, style_nll = self.info_terms(category, styles, q_fake)
            d_gan = losses.discriminator_loss(real_logit, fake_logit)
            g_gan = losses.generator_loss(fake_logit)
            cluster = losses.cluster_entropy_gap(real_cat_logits, self.marginal_weight,
                                                 self.confidence_weight)  # one value per batch
            d_info = info
            if self.category_warmup_steps:  # Q's category head: real digits only, for a while
                waiting = tf.cast(self.d_optimizer.iterations < self.category_warmup_steps,
                                  tf.float32)
                d_info = info - waiting * self.category_weight * cat_ce  # info minus its category part
            d_total = mean(d_gan + d_info) + self.cluster_weight * self.replica_share(cluster)
            consistency, neighbour = self.pair_terms(real, real_cat_logits, neighbours)
            d_total += self.consistency_weight * mean(consistency)
            d_total += self.neighbour_weight * mean(neighbour)
            g_total = mean(g_gan + info)
        self.apply_updates(tape, d_total, g_total)
        return self.update_metrics(
            d_loss=tf.reduce_mean(d_gan), g_loss=tf.reduce_mean(g_gan),
            info_loss=tf.reduce_mean(info),
            mi_category=math.log(self.num_categories) - tf.reduce_mean(cat_ce),
            style_nll=tf.reduce_mean(style_nll),
            d_real_acc=_accuracy(real_logit > 0), d_fake_acc=_accuracy(fake_logit < 0),
            q_category_acc=_accuracy(tf.argmax(q_fake[0], -1, tf.int32) == category),
            real_cluster_gap=cluster, consistency_loss=tf.reduce_mean(consistency),
            neighbour_loss=tf.reduce_mean(neighbour))

    def recognize(self, images) -> tuple[np.ndarray, np.ndarray]:
        """Q's reading of images in [-1, 1]: category probabilities (n, K) and style means (n, S)."""
        images = _as_images(images)
        _, cat_logits, style_mean, *_ = self.discriminator.predict(images, batch_size=512,
                                                                    verbose=0)
        return tf.nn.softmax(cat_logits).numpy(), style_mean


# --------------------------------------------------------------------------- helpers

MODELS = {"ACGAN": ACGAN, "InfoGAN": InfoGAN}  # the names that checkpoints record


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
