"""InfoGAN (Chen et al., 2016): invented categories and style codes that a network Q recovers."""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gan_utils import losses
from gan_utils.builders import mnist_uni_disc_cnn, mnist_uni_gen_cnn, weight_init
from gan_utils.checkpoints import register_model
from gan_utils.configs import InfoGANConfig
from gan_utils.models.augment import digit_moves
from gan_utils.models.base import ConditionalGAN, _accuracy, _as_images, _as_matrix

LOOK_ALIKES = 5  # InfoGAN's neighbour term: each digit's partner is one of its 5 nearest neighbours


@register_model
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
    InfoGAN.paper() is the paper's model, network and update (docs/ablation.md).
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
        self.generator = mnist_uni_gen_cnn(
            self.noise_dim + self.num_categories + self.num_styles, name="infogan_generator",
            dense=self.generator_dense, image_from_upconv=self.image_from_upconv,
            sigmoid_output=self.sigmoid_output, normal_init=self.normal_init)
        self.discriminator = self._build_discriminator(self.use_bn, self.dropout,
                                                       self.shared_dense, self.q_hidden)
        self.alignment: dict[int, int] | None = None  # category -> digit, once measured
        self.style_names: list[str] | None = None  # e.g. ["slant", "width"], once measured
        self.built = True  # both parts are built from keras.Input already

    @classmethod
    def paper(cls, **changes) -> InfoGAN:
        """The paper's MNIST InfoGAN (gu.InfoGANConfig.paper): train it with batch 128, 5,000 steps."""
        return cls(InfoGANConfig.paper(**changes))

    def _build_discriminator(self, use_bn, dropout, shared_dense, q_hidden) -> keras.Model:
        """One trunk, two heads: D's real/fake logit and Q's (category logits, style mean, log-std)."""
        image = keras.Input((28, 28, 1))
        features = mnist_uni_disc_cnn(use_bn, dropout, first_norm=self.first_conv_norm,
                                      leaky_slope=self.leaky_slope,
                                      normal_init=self.normal_init)(image)
        init = weight_init(self.normal_init)

        def dense(units, name):
            return layers.Dense(units, name=name, kernel_initializer=init)

        if shared_dense:
            features = dense(shared_dense, "shared_dense")(features)
            features = layers.BatchNormalization()(features) if use_bn else features
            features = layers.LeakyReLU(self.leaky_slope)(features)
        q = features
        if q_hidden:
            q = dense(q_hidden, "q_hidden")(q)
            q = layers.BatchNormalization()(q) if use_bn else q
            q = layers.LeakyReLU(self.leaky_slope)(q)
        outputs = [dense(1, "real_fake")(features),
                   dense(self.num_categories, "q_category_logits")(q),
                   dense(self.num_styles, "q_style_mean")(q)]
        if self.learn_style_std:
            outputs.append(dense(self.num_styles, "q_style_log_std")(q))
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

    def draw_noise(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n rows of noise from the prior G trained on: N(0, 1), or U(-1, 1) with uniform_noise."""
        if self.uniform_noise:
            return rng.uniform(-1.0, 1.0, (n, self.noise_dim))
        return rng.standard_normal((n, self.noise_dim))

    def sample_codes(self, batch):
        """Random codes for one batch: noise N(0, 1) (or U(-1, 1)), a uniform category, uniform
        styles in [-r, r]."""
        noise = (tf.random.uniform([batch, self.noise_dim], -1.0, 1.0) if self.uniform_noise
                 else tf.random.normal([batch, self.noise_dim]))
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
        """One D/Q update and one G update (from shared passes, or D then G: separate_updates)."""
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
        if self.separate_updates:  # the paper: D learns from these passes, then G from its own
            d_vars = self.discriminator.trainable_weights
            self.d_optimizer.apply(tape.gradient(d_total, d_vars), d_vars)
            g_gan, info = self.generator_update(batch)
        else:
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

    def generator_update(self, batch) -> tuple[tf.Tensor, tf.Tensor]:
        """G's own update (the paper's): fresh codes, a new pass through D as D now is.

        Returns G's GAN loss and the info loss per example, for the metrics.
        """
        codes, category, styles = self.sample_codes(batch)
        with tf.GradientTape() as tape:
            fake = self.generator(codes, training=True)
            fake_logit, *q_fake = self.discriminator(fake, training=True)
            info, _, _ = self.info_terms(category, styles, q_fake)
            g_gan = losses.generator_loss(fake_logit)
            g_total = self.batch_mean(g_gan + info)
        g_vars = self.generator.trainable_weights
        self.g_optimizer.apply(tape.gradient(g_total, g_vars), g_vars)
        return g_gan, info

    def recognize(self, images) -> tuple[np.ndarray, np.ndarray]:
        """Q's reading of images in [-1, 1]: category probabilities (n, K) and style means (n, S)."""
        images = _as_images(images)
        _, cat_logits, style_mean, *_ = self.discriminator.predict(images, batch_size=512,
                                                                    verbose=0)
        return tf.nn.softmax(cat_logits).numpy(), style_mean

