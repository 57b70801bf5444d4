"""What research/ablation.py and research/seeds.py share: train one recipe for one seed, measure
it, and keep the results in a JSON file that is rewritten whole and atomically after every run.

A killed tool loses at most the run it was training; run it again and it skips what the JSON
already holds. A run whose checkpoint is complete but whose row never reached the JSON (killed
while measuring) is measured again, not retrained.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import keras
import tensorflow as tf

from gan_utils import losses, training
from gan_utils.checkpoints import CheckpointError, load, read_meta, saved_settings
from gan_utils.configs import InfoGANConfig
from gan_utils.data import Mnist, load_mnist
from gan_utils.evaluation import align, category_accuracy, name_styles
from gan_utils.judge import label_accuracy
from gan_utils.models import InfoGAN
from gan_utils.pipeline import make_dataset

TARGET = 0.95  # Q's matched accuracy a seed should reach (docs/recipe.md's target)
ROOT = Path(__file__).resolve().parents[1]  # the repository: default --out and --json live here
JUDGE_SAMPLES = 10_000  # generate(digits=d) draws the judge reads, 1,000 of each digit


# --------------------------------------------------------------------------- the JSON files


def write_json(path: Path, document) -> None:
    """Write a JSON document whole or not at all: a temporary file beside it, then os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(staged, "w") as f:
            f.write(json.dumps(document, indent=1) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(staged, path)  # the one moment the new file takes effect
    finally:
        staged.unlink(missing_ok=True)


def read_json(path: Path, default):
    """The JSON document in path, or default where there is no file yet."""
    path = Path(path)
    if not path.exists():
        return default
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise ValueError(f"{path}: not a JSON file this tool wrote ({exc}); move it away or "
                         "give another --json.") from exc


def check_budget(rows: list[dict], steps: int, path: Path) -> None:
    """Refuse to mix step budgets in one file: its rows must all have been trained for `steps`."""
    other = sorted({row["steps"] for row in rows if row.get("steps") not in (None, steps)})
    if other:
        raise ValueError(f"{path} holds runs of {other} steps, not {steps}: give the same "
                         "--steps or another --json (and --out).")


def machine() -> dict:
    """The processor and the number of CPU cores, for the JSON's header."""
    name = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"processor": name or platform.machine(), "cpu_count": os.cpu_count(),
            "platform": platform.platform()}


def now() -> str:
    """The current time in UTC, to the second (ISO 8601)."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def parse_seeds(texts: list[str]) -> list[int]:
    """Seeds from '1-5', '1,3,7' or several such words; each seed once, in order given."""
    seeds: list[int] = []
    for text in texts:
        for part in str(text).split(","):
            part = part.strip()
            if not part:
                continue
            try:
                low, _, high = part.partition("-")
                numbers = range(int(low), int(high or low) + 1)
            except ValueError:
                raise ValueError(f"seeds: expected numbers or ranges like 1-5, "
                                 f"got {part!r}.") from None
            if not numbers or min(numbers) < 0:
                raise ValueError(f"seeds: {part!r} names no seed (seeds are whole numbers >= 0).")
            seeds += [s for s in numbers if s not in seeds]
    if not seeds:
        raise ValueError("seeds: give at least one seed.")
    return seeds


def setting(text: str, config_class=InfoGANConfig) -> tuple[str, object]:
    """--set's NAME=VALUE as (name, value), the value read as the config field's kind."""
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    name, _, value = text.partition("=")
    if name not in fields or not value:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give NAME=VALUE with NAME one of {', '.join(fields)}")
    kind = fields[name].metadata["kind"]
    try:
        if kind == "bool":
            return name, {"true": True, "false": False}[value.lower()]
        return name, int(value) if kind == "int" else float(value)
    except (KeyError, ValueError):
        wanted = {"int": "a whole number", "number": "a number", "bool": "true or false"}[kind]
        raise argparse.ArgumentTypeError(f"{text!r}: {name} takes {wanted}") from None


def median(values: list) -> float | None:
    """The median of the values that are not None (None when there are none)."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# --------------------------------------------------------------------------- training


@functools.lru_cache(maxsize=4)
def digits(source: str) -> Mnist:
    """MNIST from a source, loaded once per process."""
    return load_mnist(source, verbose=False)


def add_run_arguments(parser: argparse.ArgumentParser, each: str) -> None:
    """The options the seeds and ablation tools share: data, held-out data, judge, verbosity."""
    parser.add_argument("--data", default="bundled", help="training digits (default bundled)")
    parser.add_argument("--test-data", default="bundled", help="held-out digits (default bundled)")
    parser.add_argument("--judge-samples", type=int, default=JUDGE_SAMPLES,
                        help=f"generated digits the judge reads per {each} (default 10,000)")
    parser.add_argument("--verbose", action="store_true", help="Keras' line per epoch")


def run_tool(args, action) -> int:
    """A tool's main(): check --steps and --judge-samples, run action(); an error is one line, exit 2."""
    try:
        if args.steps < 1 or args.judge_samples < 10:
            raise ValueError("--steps must be at least 1 and --judge-samples at least 10.")
        action()
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def same_recipe(settings: dict | None, config: InfoGANConfig, model: str = "InfoGAN") -> bool:
    """Whether saved settings (a checkpoint's or a results file's) are config's recipe.

    Knobs the settings predate are read as the recipe they were trained with, as load() does
    (checkpoints.saved_settings), so a new knob that keeps the old behaviour changes nothing.
    """
    if not isinstance(settings, dict):
        return False
    try:
        return type(config)(**saved_settings({"model": model, "config": settings})) == config
    except (TypeError, ValueError, KeyError):  # another model's settings
        return False


def finished(out: Path, config: InfoGANConfig, seed: int, steps: int, mode: str,
             batch_size: int = training.DEFAULT_BATCH_SIZE) -> dict | None:
    """The training record of a complete run of this recipe in out, else None (train it)."""
    try:
        meta = read_meta(out)
    except CheckpointError:
        return None
    record = meta.get("training") or {}
    same = (same_recipe(meta.get("config"), config, meta.get("model", ""))
            and record.get("seed") == seed
            and record.get("steps") == steps and record.get("mode") == mode
            and record.get("batch_size", training.DEFAULT_BATCH_SIZE) == batch_size)
    if not (same and "seconds" in record):  # seconds: written at the very end
        return None
    print(f"{out}: already trained ({steps:,} steps, seed {seed}); measuring it only.")
    return record


def train_gan(config: InfoGANConfig, out: Path, seed: int, steps: int, data: str,
              command: str = "", verbose: int = 0,
              batch_size: int = training.DEFAULT_BATCH_SIZE) -> dict:
    """Train an InfoGAN with these settings exactly as `python -m gan_utils train` does."""
    record = finished(out, config, seed, steps, "full", batch_size)
    if record is not None:
        return record
    return training.train("infogan", out, steps=steps, batch_size=batch_size, seed=seed,
                          data=data, verbose=verbose, command=command,
                          model_options=dataclasses.asdict(config), overwrite=True)


class QAlone(keras.Model):
    """Q without G: InfoGAN's D/Q network trained on the real-digit terms only, no GAN loss.

    The terms and weights are InfoGAN's own (the config's cluster term, and the consistency and
    neighbour terms from InfoGAN.pair_terms, as its train_step has them) and so is the optimizer
    (InfoGAN.compile's D/Q Adam); the real/fake and style heads get no gradient. The trained network is saved as an
    InfoGAN checkpoint whose generator is untrained.
    """

    def __init__(self, config: InfoGANConfig | None = None, **kwargs):
        super().__init__(**kwargs)
        self.gan = InfoGAN(config or InfoGANConfig())
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.built = True

    def compile(self, **kwargs) -> None:
        """The InfoGAN's own optimizers; only its D/Q one is used."""
        super().compile(**kwargs)
        self.gan.compile()

    @property
    def metrics(self):
        """The one loss Keras shows and resets each epoch."""
        return [self.loss_tracker]

    def train_step(self, data):
        """One D/Q update on a batch of real digits (and their nearest neighbours, where paired)."""
        gan = self.gan
        real, neighbours = (data["images"], data["neighbours"]) if isinstance(data, dict) \
            else (data, None)
        q = gan.discriminator
        with tf.GradientTape() as tape:
            _, logits, *_ = q(real, training=True)
            cluster = losses.cluster_entropy_gap(logits, gan.marginal_weight, gan.confidence_weight)
            total = gan.cluster_weight * gan.replica_share(cluster)
            consistency, neighbour = gan.pair_terms(real, logits, neighbours)
            total += gan.consistency_weight * gan.batch_mean(consistency)
            total += gan.neighbour_weight * gan.batch_mean(neighbour)
        variables = q.trainable_weights
        pairs = [(g, v) for g, v in zip(tape.gradient(total, variables), variables)
                 if g is not None]  # D's real/fake head and Q's style head play no part
        gan.d_optimizer.apply([g for g, _ in pairs], [v for _, v in pairs])
        self.loss_tracker.update_state(total)
        return {"loss": self.loss_tracker.result()}


def train_q_alone(config: InfoGANConfig, out: Path, seed: int, steps: int, data: str,
                  command: str = "", verbose: int = 0,
                  batch_size: int = training.DEFAULT_BATCH_SIZE) -> dict:
    """Train QAlone for `steps` batches as the CLI trains an InfoGAN; save; its training record."""
    record = finished(out, config, seed, steps, "q_alone", batch_size)
    if record is not None:
        return record
    keras.utils.set_random_seed(seed)
    mnist = digits(data)
    batch = batch_size
    if len(mnist.x_train) < batch:
        raise ValueError(f"{data}: {len(mnist.x_train)} training digits, fewer than a batch.")
    model = QAlone(config)
    model.compile()
    dataset = make_dataset(mnist.x_train, None, batch_size=batch, seed=seed,
                           neighbours=model.gan.data_neighbours)
    start = time.perf_counter()
    training.fit_steps(model, dataset, steps, verbose=verbose)
    record = training.training_record(mnist, steps, batch, seed, mode="q_alone", command=command)
    record["seconds"] = round(time.perf_counter() - start, 1)
    model.gan.save(out, training=record)  # save adds the steps D/Q's optimizer took
    return read_meta(out)["training"]


# --------------------------------------------------------------------------- measuring


def measure(out: Path, data: str, test_data: str, judge: bool = True, styles: bool = False,
            judge_samples: int = JUDGE_SAMPLES) -> dict:
    """Q's matched accuracy on the held-out digits; the judge on what G draws; the style codes.

    Categories are aligned to digits on the *training* digits before the judge reads
    generate(digits=d), so the held-out digits never choose the mapping.
    """
    model = load(out, expect=InfoGAN)
    test = digits(test_data)
    if len(test.x_test) == 0:
        raise ValueError(f"{test_data}: no held-out test digits there ({test.source}).")
    result = {"q_matched_acc": category_accuracy(model, test.x_test, test.y_test).accuracy}
    if judge:
        train = digits(data)
        align(model, train.x_train, train.y_train)
        result["judge_generated_acc"] = label_accuracy(model, n=judge_samples, seed=0)
    else:
        result["judge_generated_acc"] = None
    if styles:
        result["styles"] = name_styles(model)
    return result
