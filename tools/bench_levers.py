"""What would make the default InfoGAN recipe's step faster: each lever beside the step as it is.

    python tools/bench_levers.py [--steps 40] [--repeats 3]

Issue 18 asked for the default recipe's step at 4x the eager article-style reference
(`python -m gan_utils.bench`). This tool measures the levers it named, in one process,
alternating, so machine noise hits all alike; each line gives real images/s and the ratio to
the step as it is:

- bfloat16: Keras' mixed_bfloat16 policy (oneDNN's AVX512_BF16 kernels where the CPU has them),
  the networks' outputs cast back to float32 for the losses;
- one pass over the real digits: D reads the digits, their augmented copies and their nearest
  neighbours as one batch of 192 (batch norm then pools their statistics: not the same numbers);
- moves made by tf.data: the moved copies and the moved neighbours come from the input
  pipeline's threads, not from the step (the same moves);
- neighbours as targets: InfoGAN(neighbour_gradient=False), no backward pass through the
  neighbours' D/Q pass (a different recipe: its numbers are its own), alone and in bfloat16;
- half the batch paired: InfoGAN(pair_share=0.5), moved copies for half the digits and
  neighbours for the other half (the same terms in expectation, from fewer digits per step);
- no dropout in D/Q: InfoGAN(dropout=0), what the random masks of D's four passes per step
  cost (a different recipe: D/Q unregularised);
- moved copies and neighbours as targets: the consistency term reversed as well (the digit's
  own pass takes its gradient), so neither extra pass has a backward pass: the ceiling of
  "targets", not a tested recipe;
- fused batch norm: every BatchNormalization layer of G and D/Q computed by TensorFlow's fused
  kernel in training (Keras 3 computes the moments and the normalisation as separate ops): the
  same function, other float round-off. The eager reference would get the same networks, so it
  is timed with and without it too: the ratio issue 18 asks about moves by the recipe's gain over
  the reference's;
- XLA (`jit_compile=True`): reported as failing where an op has no XLA kernel.

It ends with the CPU's matmul rate in float32 and in bfloat16 (what the bfloat16 levers could
gain at most on matmul-bound work).

None of these is adopted: see docs/benchmarks.md ("What would make the recipe faster").
"""

from __future__ import annotations

import argparse
import math
import re

import keras
import numpy as np
import tensorflow as tf

from gan_utils import losses
from gan_utils.bench import PLAIN_LOSSES, matmul_gflops, measure, measure_reference
from gan_utils.data import load_mnist, make_dataset
from gan_utils.models import InfoGAN, _accuracy


class Float32Outputs:
    """A network whose outputs are cast to float32 (for a bfloat16 network); all else passes through."""

    def __init__(self, net: keras.Model):
        self.__dict__["net"] = net

    def __call__(self, x, training=False):
        out = self.net(x, training=training)
        return tf.nest.map_structure(lambda t: tf.cast(t, tf.float32), out)

    def __getattr__(self, name):
        return getattr(self.net, name)


class FusedBatchNormalization(keras.layers.BatchNormalization):
    """keras.layers.BatchNormalization whose training pass is TensorFlow's fused kernel (same function).

    Inference, masks, other dtypes or axes, renorm, synchronized, no center or scale, and an
    epsilon below the kernel's minimum take Keras' own path. The moving statistics are updated
    as Keras does, with the batch's biased variance.
    """

    def call(self, inputs: tf.Tensor, training: bool | None = None,
             mask: tf.Tensor | None = None) -> tf.Tensor:
        rank = len(inputs.shape)
        if (not (training and self.trainable) or mask is not None or inputs.dtype != tf.float32
                or self.axis not in (-1, rank - 1) or rank not in (2, 4)
                or self.renorm or self.synchronized or not (self.center and self.scale)
                or self.epsilon < 1.001e-5):  # the kernel would raise a smaller epsilon
            return super().call(inputs, training=training, mask=mask)
        images = inputs if rank == 4 else tf.reshape(inputs, [-1, 1, 1, inputs.shape[-1]])
        outputs, mean, variance, *_ = tf.compat.v1.nn.fused_batch_norm(
            images, self.gamma, self.beta, epsilon=self.epsilon, is_training=True)
        count = tf.cast(tf.reduce_prod(tf.shape(images)[:-1]), tf.float32)
        variance *= (count - 1) / count  # the kernel returns the unbiased variance
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean * momentum + mean * (1 - momentum))
        self.moving_variance.assign(self.moving_variance * momentum + variance * (1 - momentum))
        return outputs if rank == 4 else tf.reshape(outputs, tf.shape(inputs))


def with_fused_batch_norm(model: InfoGAN) -> InfoGAN:
    """model with G and D/Q cloned, each BatchNormalization a FusedBatchNormalization (fresh weights)."""
    def swap(layer):
        if type(layer) is keras.layers.BatchNormalization:
            return FusedBatchNormalization.from_config(layer.get_config())
        return layer.__class__.from_config(layer.get_config())
    for part in ("generator", "discriminator"):
        setattr(model, part, keras.models.clone_model(getattr(model, part), clone_function=swap,
                                                      recursive=True))
    return model


class _LeverInfoGAN(InfoGAN):
    """The recipe's losses from D's outputs, shared by the levers' steps (which get them differently)."""

    def recipe_step(self, tape, category, styles, real_logit, real_cat_logits, fake_logit,
                    q_fake, consistency, neighbour_logits):
        """Within tape: the recipe's D and G totals from D's outputs; then the updates and metrics.

        consistency: the per-digit consistency loss, which the levers compute differently.
        """
        mean = self.batch_mean
        with tape:
            info, cat_ce, _ = self.info_terms(category, styles, q_fake)
            d_gan = losses.discriminator_loss(real_logit, fake_logit)
            cluster = losses.cluster_entropy_gap(real_cat_logits, self.marginal_weight,
                                                 self.confidence_weight)
            if not self.neighbour_gradient:
                neighbour_logits = tf.stop_gradient(neighbour_logits)
            agreement = losses.category_agreement(real_cat_logits, neighbour_logits)
            neighbour = -tf.math.log(agreement + 1e-7)
            d_total = (mean(d_gan + info) + self.cluster_weight * self.replica_share(cluster)
                       + self.consistency_weight * mean(consistency)
                       + self.neighbour_weight * mean(neighbour))
            g_total = mean(losses.generator_loss(fake_logit) + info)
        self.apply_updates(tape, d_total, g_total)
        return self.update_metrics(
            d_loss=tf.reduce_mean(d_gan), info_loss=tf.reduce_mean(info),
            mi_category=math.log(self.num_categories) - tf.reduce_mean(cat_ce),
            d_real_acc=_accuracy(real_logit > 0), d_fake_acc=_accuracy(fake_logit < 0),
            consistency_loss=tf.reduce_mean(consistency), neighbour_loss=tf.reduce_mean(neighbour))


class OnePassInfoGAN(_LeverInfoGAN):
    """The default recipe's step with D reading real, augmented and neighbour digits in one call."""

    def train_step(self, data):
        real, neighbours = data["images"], data["neighbours"]
        batch = tf.shape(real)[0]
        codes, category, styles = self.sample_codes(batch)
        with tf.GradientTape(persistent=True) as tape:
            fake = self.generator(codes, training=True)
            moved = self.augment(tf.concat([real, neighbours], 0), training=True)
            logit, cat_logits, *_ = self.discriminator(tf.concat([real, moved], 0), training=True)
            real_logit, real_cat_logits = logit[:batch], cat_logits[:batch]
            augmented_logits, neighbour_logits = cat_logits[batch:2 * batch], cat_logits[2 * batch:]
            fake_logit, *q_fake = self.discriminator(fake, training=True)
            target = tf.stop_gradient(tf.nn.softmax(real_cat_logits))
            consistency = tf.nn.softmax_cross_entropy_with_logits(target, augmented_logits)
        return self.recipe_step(tape, category, styles, real_logit, real_cat_logits, fake_logit,
                                q_fake, consistency, neighbour_logits)


class PipelineMovesInfoGAN(_LeverInfoGAN):
    """The default recipe's step with the moves made by the input pipeline's threads (with_moves).

    in_data=False: the step makes the moves as usual. moved_as_target: the moved copy's
    categories are the consistency term's target and the digit's own pass takes the gradient
    (the reverse of the recipe), so that neither extra pass needs a backward pass.
    """

    def __init__(self, in_data: bool = True, moved_as_target: bool = False, **options):
        super().__init__(**options)
        if self.pair_share != 1 or self.category_warmup_steps:
            raise ValueError("PipelineMovesInfoGAN's step pairs every digit from the first step: "
                             "leave pair_share at 1 and category_warmup_steps at 0.")
        self.in_data, self.moved_as_target = in_data, moved_as_target

    def train_step(self, data):
        real, neighbours = data["images"], data["neighbours"]
        if self.in_data:
            moved = data["moved"]
        else:
            moved = self.augment(real, training=True)
            neighbours = self.augment(neighbours, training=True)
        codes, category, styles = self.sample_codes(tf.shape(real)[0])
        with tf.GradientTape(persistent=True) as tape:
            fake = self.generator(codes, training=True)
            real_logit, real_cat_logits, *_ = self.discriminator(real, training=True)
            fake_logit, *q_fake = self.discriminator(fake, training=True)
            _, augmented_logits, *_ = self.discriminator(moved, training=True)
            if self.moved_as_target:
                target = tf.stop_gradient(tf.nn.softmax(augmented_logits))
                consistency = tf.nn.softmax_cross_entropy_with_logits(target, real_cat_logits)
            else:
                target = tf.stop_gradient(tf.nn.softmax(real_cat_logits))
                consistency = tf.nn.softmax_cross_entropy_with_logits(target, augmented_logits)
            _, neighbour_logits, *_ = self.discriminator(neighbours, training=True)
        return self.recipe_step(tape, category, styles, real_logit, real_cat_logits, fake_logit,
                                q_fake, consistency, neighbour_logits)


def with_moves(dataset: tf.data.Dataset, augment: keras.Model) -> tf.data.Dataset:
    """Each batch with its moved copy ("moved") and its neighbours moved, made by tf.data."""
    def move(batch):
        return {"images": batch["images"], "moved": augment(batch["images"], training=True),
                "neighbours": augment(batch["neighbours"], training=True)}
    return dataset.map(move, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="timed steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="alternating measurements each")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(0)
    images = load_mnist("bundled", verbose=False).x_train
    dataset = make_dataset(images, batch_size=64, seed=0, neighbours=5).repeat()
    batches = iter(dataset)
    plain_batches = iter(make_dataset(images, batch_size=64, seed=0).repeat())
    as_is, one_pass = InfoGAN(), OnePassInfoGAN()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    bf16 = InfoGAN()  # built under the policy: bfloat16 compute, float32 weights
    keras.mixed_precision.set_global_policy("float32")
    bf16.generator, bf16.discriminator = (Float32Outputs(bf16.generator),
                                          Float32Outputs(bf16.discriminator))
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    target_bf16 = InfoGAN(neighbour_gradient=False)
    keras.mixed_precision.set_global_policy("float32")
    target_bf16.generator, target_bf16.discriminator = (
        Float32Outputs(target_bf16.generator), Float32Outputs(target_bf16.discriminator))
    moved_batches = iter(with_moves(dataset, as_is.augment))
    steps, feeds = {}, {}
    for name, model, feed in (
            ("default recipe, as it is", as_is, batches), ("bfloat16", bf16, batches),
            ("one pass over the real digits", one_pass, batches),
            ("moves made by tf.data", PipelineMovesInfoGAN(), moved_batches),
            ("neighbours as targets", InfoGAN(neighbour_gradient=False), batches),
            ("neighbours as targets + bfloat16", target_bf16, batches),
            ("half the batch paired", InfoGAN(pair_share=0.5), batches),
            ("no dropout in D/Q", InfoGAN(dropout=0.0), batches),
            ("moved copies and neighbours as targets",
             PipelineMovesInfoGAN(in_data=False, moved_as_target=True, neighbour_gradient=False),
             batches),
            ("fused batch norm", with_fused_batch_norm(InfoGAN()), batches)):
        model.compile()
        steps[name], feeds[name] = tf.function(model.train_step), feed
    xla_model = InfoGAN()
    xla_model.compile()
    try:
        tf.function(xla_model.train_step, jit_compile=True)(next(batches))
        steps["XLA (jit_compile=True)"] = tf.function(xla_model.train_step, jit_compile=True)
    except tf.errors.InvalidArgumentError as exc:
        found = re.search(r"XLA_\w+_JIT: (\w+)", str(exc))
        unsupported = found.group(1) if found else str(exc).splitlines()[0]
        print(f"XLA (jit_compile=True): fails on this CPU, no XLA kernel for {unsupported}")

    references = {"as it is": InfoGAN(**PLAIN_LOSSES),
                  "fused batch norm": with_fused_batch_norm(InfoGAN(**PLAIN_LOSSES))}
    for model in references.values():
        model.compile()

    rates = {name: [] for name in steps}
    reference_rates = {name: [] for name in references}
    for _ in range(args.repeats):
        for name, step in steps.items():
            rates[name].append(measure(step, feeds[name], 64, args.steps))
        for name, model in references.items():
            reference_rates[name].append(measure_reference(model, plain_batches, 64, args.steps))
    base = float(np.median(rates["default recipe, as it is"]))
    print(f"batch 64, {args.repeats} alternating runs of {args.steps} steps, median real images/s:")
    for name, rate in rates.items():
        median = float(np.median(rate))
        print(f"  {name:<40} {median:6.0f}   {median / base:.2f}x the recipe as it is")
    reference = {name: float(np.median(rate)) for name, rate in reference_rates.items()}
    fused_gain = reference["fused batch norm"] / reference["as it is"]
    print(f"the eager reference of gan_utils.bench (plain InfoGAN), median real images/s:\n"
          f"  {'as it is':<40} {reference['as it is']:6.0f}\n"
          f"  {'fused batch norm':<40} {reference['fused batch norm']:6.0f}   {fused_gain:.2f}x")
    print(f"this CPU's 2048 x 2048 matmul: {matmul_gflops():.0f} GFLOP/s in float32, "
          f"{matmul_gflops(dtype=tf.bfloat16):.0f} in bfloat16")
    print(f"recipe / reference: {base / reference['as it is']:.2f}x as it is, "
          f"{float(np.median(rates['fused batch norm'])) / reference['fused batch norm']:.2f}x "
          f"with fused batch norm on both sides")


if __name__ == "__main__":
    main()
