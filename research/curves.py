"""Time to quality: each default recipe's quality measured every few hundred steps, over seeds.

    python -m research.curves --model acgan --seeds 1 --steps 4680 --averages 0.995 0.998
    python -m research.curves --model acgan --seeds 2-6 --steps 3510 --averages 0.995 0.998
    python -m research.curves --model infogan --seeds 1-3 --steps 3510 --full-from 1560
    python -m research.curves --table [--model M] [--plot docs/time_to_quality.png]   # trains nothing

Each seed is trained as `python -m gan_utils train MODEL --seed K --data bundled` does (the same
code path, backups and all), saved in --out/<model>/seed<k>, and read every --every steps while
it trains. Nothing depends on the budget (no schedule), so the model at step k of a run is the
model a k-step run of that seed would save: one run gives the quality at every shorter budget.
A probe reads, on the 10,000 held-out digits and 10,000 generated ones:

- ACGAN: the judge on generate(digits=d), with G's moving average in place (what fit would save);
- InfoGAN: Q's matched accuracy; from --full-from on also the judge on generate(digits=d) after
  aligning on the training digits, and which style code is named slant (as research/seeds.py).

Minutes are training time to that step, the probes' own time left out. Each finished seed is
appended to --json at once; a re-run skips the seeds already there.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import time
from pathlib import Path

import keras
import tensorflow as tf

from gan_utils import training
from gan_utils.configs import ACGANConfig, InfoGANConfig, STEPS_PER_EPOCH
from gan_utils.evaluation import align, category_accuracy, name_styles
from gan_utils.judge import label_accuracy
from research.runs import (JUDGE_SAMPLES, ROOT, add_run_arguments, digits, machine, now,
                           parse_seeds, read_json, run_tool, setting, write_json)
from research.curves_report import plot, report
from research.seeds import slant

DEFAULT_OUT, DEFAULT_JSON = ROOT / "runs" / "curves", ROOT / "docs" / "results" / "curves.json"
CONFIGS = {"acgan": ACGANConfig, "infogan": InfoGANConfig}
class QualityProbe(keras.callbacks.Callback):
    """Every `every` steps, measure(model) -> dict, stored with the step and the training seconds.

    The seconds are wall time since training began, less the probes' own time. points are also
    written to `path` after each probe, so a resumed run keeps the points before its stop.
    """

    def __init__(self, measure, every: int, path: Path, keep=None):
        super().__init__()
        self.measure, self.every, self.path = measure, every, Path(path)
        self.keep = keep  # keep(model, step, seconds): save the model of a full probe
        self.points: list[dict] = []
        self._start = self._probing = 0.0

    def on_train_begin(self, logs=None):
        done = int(self.model.d_optimizer.iterations.numpy())  # > 0 when a backup resumed
        stored = json.loads(self.path.read_text()) if self.path.is_file() else []
        self.points = [p for p in stored if p["step"] <= done] if done else []
        earlier = self.points[-1]["seconds"] if self.points else 0.0
        self._start, self._probing = time.perf_counter() - earlier, 0.0

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.d_optimizer.iterations.numpy())
        if step % self.every:
            return
        began = time.perf_counter()
        seconds = began - self._start - self._probing
        self.points.append({"step": step, "seconds": round(seconds, 1), **self.measure(self.model)})
        self.path.write_text(json.dumps(self.points, indent=1) + "\n")
        if self.keep is not None and "judge_generated_acc" in self.points[-1]:
            self.keep(self.model, step, round(seconds, 1))
        self._probing += time.perf_counter() - began


class ShadowAverages(keras.callbacks.Callback):
    """Moving averages of G's weights at other momenta, kept beside the optimizer's own.

    G's average never feeds back into training, so an average kept here at momentum m is, step
    for step, the one a run with ema_momentum=m would save (Keras' rule: the first step copies
    G, then average = m * average + (1 - m) * G). One run thus reads several momenta.
    """

    def __init__(self, momenta: tuple[float, ...]):
        super().__init__()
        for m in momenta:
            if not 0.0 < m < 1.0:
                raise ValueError(f"--averages: a momentum must lie in (0, 1), got {m}.")
        self.momenta = tuple(momenta)
        self.averages: dict[float, list] = {}
        self._update = None

    def on_train_begin(self, logs=None):
        weights = self.model.generator.trainable_variables
        self.averages = {m: [tf.Variable(w, trainable=False) for w in weights]
                         for m in self.momenta}

        @tf.function
        def update(first):
            for m, averages in self.averages.items():
                momentum = tf.where(first, 0.0, m)
                for average, w in zip(averages, weights):
                    average.assign(momentum * average + (1.0 - momentum) * w)
        self._update = update

    def on_train_batch_end(self, batch, logs=None):
        if self.momenta:  # iterations is 1 after the run's first step: that one copies G
            self._update(tf.equal(self.model.g_optimizer.iterations, 1))


def acgan_quality(judge_samples: int, shadows: ShadowAverages | None = None):
    """A probe for ACGAN: the judge on generate(digits=d) with G's moving average in place
    (the optimizer's: what fit would save), and with each of the shadow averages."""
    def judged_with(model, values) -> float:
        weights = model.generator.trainable_variables
        current = [w.numpy() for w in weights]
        try:
            if values is None:
                if getattr(model.g_optimizer, "use_ema", False):
                    model.g_optimizer.finalize_variable_values(weights)  # what fit() leaves in G
            else:
                for w, value in zip(weights, values):
                    w.assign(value)
            return round(label_accuracy(model, n=judge_samples, seed=0), 4)
        finally:
            for w, value in zip(weights, current):  # training goes on from G as it was
                w.assign(value)

    def measure(model) -> dict:
        point = {"judge_generated_acc": judged_with(model, None)}
        if shadows is not None and shadows.momenta:
            point["judge_by_momentum"] = {str(m): judged_with(model, averages)
                                          for m, averages in shadows.averages.items()}
        return point
    return measure


def infogan_quality(data: str, test_data: str, judge_samples: int, full_from: int):
    """A probe for InfoGAN: Q's matched accuracy; from full_from on, the judge and slant too."""
    def measure(model) -> dict:
        test = digits(test_data)
        point = {"q_matched_acc": round(category_accuracy(model, test.x_test, test.y_test).accuracy, 4)}
        if int(model.d_optimizer.iterations.numpy()) >= full_from:
            train = digits(data)
            align(model, train.x_train, train.y_train)  # a mapping for generate(); trains nothing
            point["judge_generated_acc"] = round(label_accuracy(model, n=judge_samples, seed=0), 4)
            code, rho = slant(name_styles(model))
            point.update(slant_code=code, slant_rho=None if rho is None else round(rho, 3))
        return point
    return measure


def parse_setting(text: str, config_class) -> tuple[str, object]:
    """--set's NAME=VALUE as (name, value), read as the model's config field's kind."""
    try:
        return setting(text, config_class)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(f"--set {exc}") from None


def run(model: str, seeds: list[int], steps: int, every: int, out: Path, json_path: Path,
        data: str = "bundled", test_data: str = "bundled", command: str = "",
        judge_samples: int = JUDGE_SAMPLES, full_from: int = 0, changes: dict | None = None,
        verbose: int = 0, averages: tuple[float, ...] = ()) -> list[dict]:
    """Train and probe every seed of `model` not yet in json_path; append each one at once."""
    if every < STEPS_PER_EPOCH or every % STEPS_PER_EPOCH:
        raise ValueError(f"--every must be a multiple of {STEPS_PER_EPOCH} steps (one epoch), "
                         f"got {every}.")
    config = CONFIGS[model](**(changes or {}))
    settings = dataclasses.asdict(config)
    document = read_json(json_path, {"rows": []})  # rows is the document's own list
    rows = document.get("rows") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise ValueError(f"{json_path}: not a curves file this tool wrote (no 'rows' list).")
    mine = [r for r in rows if r["model"] == model]
    other = sorted({r["seed"] for r in mine if r["settings"] != settings or r["every"] != every
                    or r.get("averages", []) != list(averages)})
    if other:
        raise ValueError(f"{json_path}: {model} seeds {other} were run with other settings, "
                         "--every or --averages; give the same ones or another --json (and "
                         "--out).")
    if model == "infogan" and test_data and not len(digits(test_data).x_test):
        raise ValueError(f"{test_data}: no held-out test digits there.")
    if averages and model != "acgan":
        raise ValueError("--averages reads ACGAN's averaged G; InfoGAN's default keeps none.")
    for seed in seeds:
        if seed in {r["seed"] for r in mine}:
            continue
        folder = out / model / f"seed{seed}"
        folder.mkdir(parents=True, exist_ok=True)
        shadows = ShadowAverages(tuple(averages))
        probe = (acgan_quality(judge_samples, shadows) if model == "acgan"
                 else infogan_quality(data, test_data, judge_samples, full_from))

        def keep(gan, step: int, seconds: float, seed: int = seed) -> None:
            """Save the model a run of `step` steps saves (nothing depends on the budget), with
            the CLI's record: research.seeds --steps STEP --out <model>/at<step> measures it."""
            record = training.training_record(digits(data), step, training.DEFAULT_BATCH_SIZE,
                                              seed, command=command)
            gan.save(out / model / f"at{step}" / f"seed{seed}", training=record | {"seconds": seconds})

        # InfoGAN's G is not averaged, so the model at a probe is that budget's model
        probes = QualityProbe(probe, every, folder / "curve.json",
                              keep if model == "infogan" else None)
        record = training.train(model, folder, steps=steps, seed=seed, data=data,
                                verbose=verbose, callbacks=(shadows, probes), command=command,
                                model_options=dict(changes or {}), overwrite=True)
        row = {"model": model, "seed": seed, "steps": steps, "every": every,
               "averages": list(averages),
               "minutes": round(probes.points[-1]["seconds"] / 60, 2) if probes.points else None,
               "recorded_minutes": round(record["seconds"] / 60, 2), "settings": settings,
               "points": probes.points}
        rows.append(row)
        mine.append(row)
        document.setdefault("machine", machine())
        document["updated"] = now()
        write_json(json_path, document)
        last = probes.points[-1] if probes.points else {}
        print(f"{model} seed {seed}: {json.dumps(last)} -> {json_path}", flush=True)
    return mine


def main(argv: list[str] | None = None) -> int:
    """Run or print the curves from the command line; an error is one line and exit code 2."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(CONFIGS),
                        help="the recipe to train (with --table: the one to print)")
    parser.add_argument("--seeds", nargs="+",
                        help="e.g. 1-10 (default 1-5; with --table and --model: only these seeds)")
    parser.add_argument("--steps", type=int, default=None,
                        help="each run's length (default: the model's default budget)")
    parser.add_argument("--every", type=int, default=390,
                        help="steps between probes, a multiple of 78 (default 390)")
    parser.add_argument("--full-from", type=int, default=0,
                        help="InfoGAN: the judge and style codes from this step on (Q always)")
    parser.add_argument("--averages", type=float, nargs="+", default=[], metavar="MOMENTUM",
                        help="ACGAN: also read G averaged at these momenta (e.g. 0.995 0.998)")
    parser.add_argument("--set", dest="settings", action="append", default=[],
                        metavar="NAME=VALUE", help="the model's setting changed from its default")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="checkpoints go to OUT/<model>/seed<k> (default runs/curves)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON,
                        help="the curves (default docs/results/curves.json)")
    add_run_arguments(parser, "probe")
    parser.add_argument("--table", action="store_true", help="train nothing: print the curves")
    parser.add_argument("--at", type=int, help="with --table: InfoGAN's seeds table at this step")
    parser.add_argument("--baseline", type=Path,
                        help="with --at: a research.seeds file shown beside (another budget)")
    parser.add_argument("--baseline-name", default="baseline", help="--baseline's name")
    parser.add_argument("--plot", type=Path, help="with --table: also draw the curves to this PNG")
    args = parser.parse_args(argv)
    if args.steps is None:  # the model's default budget (--table trains nothing)
        args.steps = training.DEFAULT_STEPS.get(args.model, 1)
    if args.table:
        def show() -> None:
            baseline = read_json(args.baseline, None) if args.baseline else None
            if args.baseline and baseline is None:
                raise ValueError(f"--baseline {args.baseline}: no such file.")
            document = read_json(args.json, {"rows": []})
            if args.model:  # that model's curves only (of --seeds, where given)
                chosen = parse_seeds(args.seeds) if args.seeds else None
                document["rows"] = [r for r in document.get("rows", []) if r["model"] == args.model
                                    and (chosen is None or r["seed"] in chosen)]
            print(report(document, args.at, baseline, args.baseline_name))
            if args.plot:
                plot(document, args.plot)
        return run_tool(args, show)
    if args.model is None:
        parser.error("give --model acgan or --model infogan (or --table).")
    command = "python -m research.curves " + shlex.join(sys.argv[1:] if argv is None else argv)

    def train_all() -> None:
        changes = dict(parse_setting(text, CONFIGS[args.model]) for text in args.settings)
        run(args.model, parse_seeds(args.seeds or ["1-5"]), args.steps, args.every, args.out, args.json,
            args.data, args.test_data, command, args.judge_samples, args.full_from, changes,
            2 if args.verbose else 0, tuple(args.averages))
        print(report(read_json(args.json, {"rows": []})))

    return run_tool(args, train_all)


if __name__ == "__main__":
    sys.exit(main())
