"""Where the default InfoGAN recipe's compiled step spends its time, by kind of op.

    python tools/profile_step.py [--steps 30]

TensorFlow's profiler records every op the compiled step runs; this tool adds up their times
per step into a few groups (convolutions and matmuls, batch norm, dropout, the moves, Adam,
the rest), forward and backward together, over all of TensorFlow's op threads. Their sum can
exceed the step's wall time, since two ops can run at once on two cores. It explains the
levers in tools/bench_levers.py: see docs/benchmarks.md ("Where the step's time goes").
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keras
import tensorflow as tf
from tensorflow.tsl.profiler.protobuf import xplane_pb2

from gan_utils.data import load_mnist, make_dataset
from gan_utils.models import InfoGAN

GROUPS = ("convolutions and matmuls", "batch norm", "dropout", "moves (augment)",
          "optimizer (Adam)", "the rest")


def group_of(op_name: str, op_type: str) -> str:
    """The group of one op, from its name (the layer it belongs to) and its type."""
    if "batch_normalization" in op_name:
        return "batch norm"
    if "dropout" in op_name:
        return "dropout"
    if "augment" in op_name:
        return "moves (augment)"
    if op_name.split("/")[0].startswith("adam"):
        return "optimizer (Adam)"
    if "Conv" in op_type or "MatMul" in op_type:
        return "convolutions and matmuls"
    return "the rest"


def op_times(xspace: xplane_pb2.XSpace) -> collections.Counter:
    """Total milliseconds per (op name, op type) over TensorFlow's op threads in a profile."""
    times = collections.Counter()
    for plane in xspace.planes:
        names = plane.event_metadata
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):  # the threads that run the ops
                continue
            for event in line.events:
                name = names[event.metadata_id].name  # "scope/op:Type" for an op
                if ":" in name and not name.startswith("ExecutorState"):
                    op_name, op_type = name.rsplit(":", 1)
                    times[op_name, op_type] += event.duration_ps / 1e9
    return times


def profile_step(step: Callable, batches: Iterator, steps: int) -> tuple[dict[str, float], float]:
    """Op milliseconds per step in each group, and the step's wall milliseconds, over `steps` steps."""
    step(next(batches))  # trace and warm up outside the profile
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        start = time.perf_counter()
        for _ in range(steps):
            step(next(batches))
        wall = time.perf_counter() - start
        tf.profiler.experimental.stop()
        files = sorted(Path(logdir).rglob("*.xplane.pb"))
        if not files:
            raise RuntimeError(f"TensorFlow's profiler wrote no .xplane.pb file under {logdir}.")
        xspace = xplane_pb2.XSpace.FromString(files[-1].read_bytes())
    grouped = dict.fromkeys(GROUPS, 0.0)
    for (op_name, op_type), ms in op_times(xspace).items():
        grouped[group_of(op_name, op_type)] += ms / steps
    return grouped, 1000 * wall / steps


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="profiled steps")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")

    keras.utils.set_random_seed(0)
    model = InfoGAN()
    model.compile()
    images = load_mnist("bundled", verbose=False).x_train
    batches = iter(make_dataset(images, batch_size=64, seed=0,
                                neighbours=model.data_neighbours).repeat())
    grouped, wall = profile_step(tf.function(model.train_step), batches, args.steps)
    total = sum(grouped.values())
    print(f"default recipe, batch 64, {args.steps} profiled steps: {wall:.0f} ms a step (wall), "
          f"{total:.0f} ms of op time on TensorFlow's threads")
    for group, ms in grouped.items():
        print(f"  {group:<26} {ms:6.1f} ms  {100 * ms / total:3.0f}%")


if __name__ == "__main__":
    main()
