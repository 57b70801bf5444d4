"""Minutes to a good model on this machine, for each default recipe, and where they go.

    python -m research.bench [--steps 60] [--repeats 3] [--reference]

For ACGAN and InfoGAN's default recipes, in one process and alternating (so machine noise hits
both alike): the compiled step's time, its GFLOP (counted from the compiled graphs by
TensorFlow's profiler) and the CPU's measured matmul peak; then, for the budgets before the
time-to-quality curves and the default budgets now, the compute floor (steps x GFLOP / peak)
beside the training time (steps x the measured step), and the ratio of the two totals. The
minutes at which each recipe meets its quality bars are read from the curves
(docs/results/curves.json, `python -m research.curves --table`).

--reference adds the older measure: the plain InfoGAN step against an eager reference step
written as the original article trains (per batch, an eager GradientTape D step on real images
and freshly generated fakes, then a separate G step on new fakes, no graph compilation).
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.profiler import model_analyzer, option_builder

from gan_utils import losses
from gan_utils.configs import ACGANConfig, DEFAULT_STEPS
from gan_utils.data import load_mnist
from gan_utils.models import ACGAN, InfoGAN
from gan_utils.pipeline import make_dataset
from research.curves import DEFAULT_JSON as CURVES_JSON
from research.curves_report import BUDGETS_BEFORE, at_step, shortest_budget
from research.runs import read_json

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


def step_flops(model, batch: int) -> float:
    """FLOPs of one compiled step of model's recipe, from the forward costs TensorFlow's profiler counts.

    Beyond the plain step, InfoGAN's D reads a batch of moved copies for the consistency term
    (forward and backward, x3) and one of neighbours for the neighbour term (x3, or x1, forward
    only, with neighbour_gradient off), each of them pair_share of a batch; ACGAN's class head
    reads moved copies of the real digits (x3) with move_real_for_class.
    """
    g_fwd = _forward_flops(model.generator, (batch, model.generator.input_shape[1]))
    d_fwd = _forward_flops(model.discriminator, (2 * batch, 28, 28, 1))
    if isinstance(model, ACGAN):
        extra_passes = 3.0 * bool(model.move_real_for_class)
    else:
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


def seconds_per_step(step, batches, steps: int) -> float:
    """Seconds per compiled step over `steps` steps, after one warm-up step."""
    step(next(batches))
    start = time.perf_counter()
    for _ in range(steps):
        step(next(batches))
    return (time.perf_counter() - start) / steps


def minutes_to_quality(path=CURVES_JSON) -> dict:
    """Per model: (first step where every bar holds, median training minutes there), from the curves."""
    found = {}
    stored = read_json(path, {"rows": []}).get("rows", [])
    for model in ("acgan", "infogan"):
        rows = [r for r in stored if r["model"] == model]
        # ACGAN: G averaged at the default's momentum (the run's own average or one kept beside)
        momentum = ACGANConfig().ema_momentum if model == "acgan" else None
        step = shortest_budget(model, rows, momentum) if rows else None
        if step:
            minutes = sorted(p["minutes"] for p in at_step(rows, step, momentum))
            found[model] = (step, minutes[len(minutes) // 2], len(rows))
    return found


def budgets(batch_size: int, steps: int, repeats: int, peak_gflops: float | None = None) -> None:
    """Print each default recipe's step, GFLOP, floor and minutes, before and now, side by side."""
    mnist = load_mnist("bundled", verbose=False)
    models = {"acgan": ACGAN(), "infogan": InfoGAN()}
    batches, compiled = {}, {}
    for name, model in models.items():
        model.compile()
        labels = mnist.y_train if name == "acgan" else None
        batches[name] = iter(make_dataset(mnist.x_train, labels, batch_size=batch_size, seed=0,
                                          neighbours=model.data_neighbours).repeat())
        compiled[name] = tf.function(model.train_step)  # the step fit() compiles
    times = {name: [] for name in models}
    peaks = []
    for _ in range(repeats):  # alternate, so machine noise hits both alike
        for name in models:
            times[name].append(seconds_per_step(compiled[name], batches[name], steps))
        peaks.append(matmul_gflops())
    peak = peak_gflops or float(np.median(peaks))
    source = "given" if peak_gflops else "measured: 2048 x 2048 float32 matmul, median"
    print(f"batch {batch_size}, {repeats} alternating runs of {steps} compiled steps each; "
          f"the CPU's matmul peak {peak:.0f} GFLOP/s ({source})")
    reached = minutes_to_quality()
    totals = {"before": 0.0, "now": 0.0}
    lines = ["| recipe | step | GFLOP a step | of the peak | budget, before -> now | compute floor "
             "| training time | every bar first met (the curves) | minutes to it here |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, model in models.items():
        step = float(np.median(times[name]))
        gflop = step_flops(model, batch_size) / 1e9
        before, now = BUDGETS_BEFORE[name], DEFAULT_STEPS[name]
        totals["before"] += before * step
        totals["now"] += now * step
        first, _, seeds = reached.get(name, (None, None, 0))
        met = f"{first:,} steps ({seeds} seeds)" if first else "not within the curves"
        lines.append(f"| {name} | {1000 * step:.0f} ms | {gflop:.2f} | {100 * gflop / step / peak:.0f}% "
                     f"| {before:,} -> {now:,} | {before * gflop / peak / 60:.1f} -> "
                     f"{now * gflop / peak / 60:.1f} min | {before * step / 60:.1f} -> "
                     f"{now * step / 60:.1f} min | {met} | "
                     + (f"{first * step / 60:.1f} |" if first else "- |"))
    print("\n".join(lines))
    print(f"both: {totals['before'] / 60:.1f} min before, {totals['now'] / 60:.1f} min now: "
          f"{totals['now'] / totals['before']:.2f}x the training time (steps x the step measured "
          "here; fit adds its per-epoch backups and sample grids). Floor: steps x GFLOP / peak.")
    shortest = {name: reached.get(name, (DEFAULT_STEPS[name],))[0] for name in models}
    at_shortest = sum(shortest[name] * float(np.median(times[name])) for name in models)
    budgets_named = ", ".join(f"{name} {steps:,}" for name, steps in shortest.items())
    print(f"at the shortest budgets the curves support ({budgets_named}; the default where no "
          f"probe meets every bar): {at_shortest / 60:.1f} min, "
          f"{at_shortest / totals['before']:.2f}x the budgets before")
    for name, (first, minutes, seeds) in reached.items():
        print(f"the curves' own runs: {name} met every bar at {first:,} steps after {minutes:.1f} "
              f"min of training (median of {seeds} seeds; python -m research.curves --table)")


def reference(batch_size: int, steps: int, repeats: int) -> None:
    """Print the plain InfoGAN step's and the default recipe's rates against the eager reference."""
    keras.utils.set_random_seed(0)
    mnist = load_mnist("bundled", verbose=False)
    dataset = make_dataset(mnist.x_train, batch_size=batch_size, seed=0).repeat()
    batches, bs = iter(dataset), batch_size
    ours, eager, recipe = InfoGAN(**PLAIN_LOSSES), InfoGAN(**PLAIN_LOSSES), InfoGAN()
    recipe_batches = iter(make_dataset(mnist.x_train, batch_size=bs, seed=0,
                                       neighbours=recipe.data_neighbours).repeat())
    for model in (ours, eager, recipe):
        model.compile()
    ours_step, recipe_step = tf.function(ours.train_step), tf.function(recipe.train_step)
    rates = {"reference (eager, article-style)": [], "gan_utils InfoGAN (fit's step)": [],
             "gan_utils default recipe": []}
    for _ in range(repeats):
        rates["reference (eager, article-style)"].append(measure_reference(eager, batches, bs, steps))
        rates["gan_utils InfoGAN (fit's step)"].append(measure(ours_step, batches, bs, steps))
        rates["gan_utils default recipe"].append(measure(recipe_step, recipe_batches, bs, steps))
    medians = {name: float(np.median(r)) for name, r in rates.items()}
    ref, fast, recipe_rate = medians.values()
    print(f"the eager reference, median real images/s: reference {ref:.0f}, fit's step "
          f"{fast:.0f} ({fast / ref:.2f}x), default recipe {recipe_rate:.0f} "
          f"({recipe_rate / ref:.2f}x)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=60, help="timed steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="alternating measurements each")
    parser.add_argument("--peak-gflops", type=float, default=None,
                        help="the CPU's FP32 peak (default: measured in this run, a 2048 x 2048 "
                             "matmul between the steps)")
    parser.add_argument("--reference", action="store_true",
                        help="also time the plain InfoGAN step against the eager reference")
    args = parser.parse_args(argv)
    if min(args.batch_size, args.steps, args.repeats) < 1:
        parser.error("--batch-size, --steps and --repeats must be at least 1.")
    keras.utils.set_random_seed(0)
    budgets(args.batch_size, args.steps, args.repeats, args.peak_gflops)
    if args.reference:
        reference(args.batch_size, args.steps, args.repeats)


if __name__ == "__main__":
    main()
