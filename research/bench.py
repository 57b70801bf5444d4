"""Training throughput: the project's compiled InfoGAN step against an eager reference step.

    python -m research.bench [--batch-size 64] [--steps 60] [--repeats 3]

The reference trains the way the original article's script does: per batch, an eager
GradientTape D step on real images and freshly generated fakes, then a separate G step on new
fakes, with no graph compilation. Both use the same InfoGAN networks, losses and batch size.
Throughput is counted in real images per second. The ratio compares the same plain InfoGAN
losses on both sides; the default recipe (with Q's extra terms on real digits) is timed too.
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.profiler import model_analyzer, option_builder

from gan_utils import losses
from gan_utils.data import load_mnist
from gan_utils.models import InfoGAN
from gan_utils.pipeline import make_dataset

PLAIN_LOSSES = dict(cluster_weight=0.0, consistency_weight=0.0, neighbour_weight=0.0)  # paper's only


def reference_step(model: InfoGAN, real: tf.Tensor) -> None:
    """One eager, article-style training step: D then G, each with its own tape and G pass."""
    batch = real.shape[0]
    codes, category, styles = model.sample_codes(batch)
    with tf.GradientTape() as tape:  # D (and Q) step
        fake = model.generator(codes, training=True)
        real_logit, *_ = model.discriminator(real, training=True)
        fake_logit, *q_fake = model.discriminator(fake, training=True)
        info, *_ = model.info_terms(category, styles, q_fake)
        d_loss = tf.reduce_mean(losses.discriminator_loss(real_logit, fake_logit) + info)
    d_vars = model.discriminator.trainable_weights
    model.d_optimizer.apply(tape.gradient(d_loss, d_vars), d_vars)

    codes, category, styles = model.sample_codes(batch)
    with tf.GradientTape() as tape:  # G step on new fakes
        fake = model.generator(codes, training=True)
        fake_logit, *q_fake = model.discriminator(fake, training=True)
        info, *_ = model.info_terms(category, styles, q_fake)
        g_loss = tf.reduce_mean(losses.generator_loss(fake_logit) + info)
    g_vars = model.generator.trainable_weights
    model.g_optimizer.apply(tape.gradient(g_loss, g_vars), g_vars)


def step_flops(model: InfoGAN, batch: int) -> float:
    """FLOPs of one compiled step of model's recipe, from the forward costs TensorFlow's profiler counts.

    Beyond the plain InfoGAN step, D reads a batch of moved copies for the consistency term
    (forward and backward, x3) and one of neighbours for the neighbour term (x3, or x1, forward
    only, with neighbour_gradient off); each of them pair_share of a batch.
    """
    g_fwd = _forward_flops(model.generator, (batch, model.generator.input_shape[1]))
    d_fwd = _forward_flops(model.discriminator, (2 * batch, 28, 28, 1))
    extra_passes = 3 * bool(model.consistency_weight)
    if model.neighbour_weight:
        extra_passes += 3 if model.neighbour_gradient else 1
    extra_passes *= max(1, round(model.pair_share * batch)) / batch  # digits paired per batch
    # G: forward + backward (x3). D on real and fake: forward + weight and input gradients
    # for D's loss (x3), plus the input gradient of G's loss through D on the fake half only.
    return 3 * g_fwd + 3 * d_fwd + 0.5 * d_fwd + d_fwd / 2 * extra_passes


def _forward_flops(net: keras.Model, shape: tuple) -> float:
    fn = tf.function(lambda x: net(x, training=False))
    graph = fn.get_concrete_function(tf.TensorSpec(shape, tf.float32)).graph
    opts = option_builder.ProfileOptionBuilder.float_operation()
    opts["output"] = "none"
    return float(model_analyzer.profile(graph, options=opts).total_float_ops)


def matmul_gflops(n: int = 2048, runs: int = 5, dtype: tf.DType = tf.float32) -> float:
    """The CPU's matmul rate in GFLOP/s (n x n in dtype, best of `runs`): its practical peak."""
    a, b = (tf.cast(tf.random.normal((n, n)), dtype) for _ in range(2))
    product = tf.function(lambda a, b: tf.matmul(a, b))
    product(a, b).numpy()  # trace and warm up
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        product(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def measure(step, batches, batch_size: int, steps: int) -> float:
    """Real images per second over `steps` steps, after one warm-up step."""
    step(next(batches))
    start = time.perf_counter()
    for _ in range(steps):
        step(next(batches))
    return steps * batch_size / (time.perf_counter() - start)


def measure_reference(model: InfoGAN, batches, batch_size: int, steps: int) -> float:
    """Real images per second of reference_step over a quarter of `steps` (at least 5): eager is slow."""
    return measure(lambda real: reference_step(model, real), batches, batch_size, max(steps // 4, 5))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=60, help="timed steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="alternating measurements each")
    parser.add_argument("--peak-gflops", type=float, default=None,
                        help="the CPU's FP32 peak for the fraction-of-peak line (default: "
                             "measured in this run, a 2048 x 2048 matmul between the steps)")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(0)
    mnist = load_mnist("bundled", verbose=False)
    dataset = make_dataset(mnist.x_train, batch_size=args.batch_size, seed=0).repeat()
    batches, bs = iter(dataset), args.batch_size

    ours, reference, recipe = InfoGAN(**PLAIN_LOSSES), InfoGAN(**PLAIN_LOSSES), InfoGAN()
    recipe_batches = iter(make_dataset(mnist.x_train, batch_size=bs, seed=0,
                                       neighbours=recipe.data_neighbours).repeat())
    for model in (ours, reference, recipe):
        model.compile()
    ours_step = tf.function(ours.train_step)  # the step fit() compiles
    recipe_step = tf.function(recipe.train_step)

    rates = {"reference (eager, article-style)": [], "gan_utils InfoGAN (fit's step)": [],
             "gan_utils default recipe": []}
    peaks = []
    for _ in range(args.repeats):  # alternate, so machine noise hits both alike
        rates["reference (eager, article-style)"].append(
            measure_reference(reference, batches, bs, args.steps))
        rates["gan_utils InfoGAN (fit's step)"].append(measure(ours_step, batches, bs, args.steps))
        rates["gan_utils default recipe"].append(measure(recipe_step, recipe_batches, bs, args.steps))
        peaks.append(matmul_gflops())  # the same machine state as the steps around it
    flops = {"fit's step": step_flops(ours, args.batch_size),
             "default recipe": step_flops(recipe, args.batch_size)}
    peak = args.peak_gflops or float(np.median(peaks))
    source = "given" if args.peak_gflops else "measured: 2048 x 2048 float32 matmul, median"

    print(f"batch {args.batch_size} real + {args.batch_size} fake per step, "
          f"{args.repeats} alternating runs, median real images/s:")
    medians = {name: float(np.median(r)) for name, r in rates.items()}
    for name, rate in medians.items():
        print(f"  {name:<34} {rate:8.0f}")
    ref, fast, recipe_rate = medians.values()
    print(f"  ratio {fast / ref:.2f}x (same networks, losses and batch); the default recipe, "
          f"which adds Q's terms on real digits, runs at {recipe_rate / ref:.2f}x")
    for name, rate in (("fit's step", fast), ("default recipe", recipe_rate)):
        achieved = flops[name] * rate / args.batch_size / 1e9
        print(f"  {name}: {flops[name] / 1e9:.2f} GFLOP per step -> {achieved:.1f} GFLOP/s, "
              f"{100 * achieved / peak:.0f}% of the CPU's {peak:.0f} GFLOP/s ({source})")


if __name__ == "__main__":
    main()
