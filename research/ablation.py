"""From the paper's InfoGAN to ours one change at a time, over seeds: what each change buys.

    python -m research.ablation                   # all rows, seeds 1-5, 3,510 steps each
                                                  # (paper_published: the paper's 5,000 x 128)
    python -m research.ablation --rows paper q_alone --seeds 1-2
    python -m research.ablation --table           # train nothing: docs/results/ablation.json's medians

Each row adds one change to the row above (docs/ablation.md says what each is); `q_alone` is
the last row's D/Q network trained on its real-digit terms only, with no generator. Every
(row, seed) is trained on the bundled digits, saved in --out/<row>/seed<k>, measured on the
10,000 held-out test digits and appended to --json at once; a re-run skips the pairs already
there, so a killed run is resumed by running the same command again. A (row, seed) that
research/seeds.py already trained and measured (its --json holds that seed, recipe and budget, on
the bundled digits) is copied from there, not trained again: the same run, the same numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from pathlib import Path

from gan_utils.configs import PAPER_BUDGET, InfoGANConfig
from gan_utils.training import DEFAULT_BATCH_SIZE, DEFAULT_STEPS
from research.runs import (JUDGE_SAMPLES, ROOT, TARGET, add_run_arguments, check_budget, machine,
                           measure, median, now, parse_seeds, read_json, run_tool, same_recipe,
                           train_gan, train_q_alone, write_json)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One row: its key (a folder name), its label, what it changes and its full settings."""

    key: str
    name: str
    changes: dict
    config: InfoGANConfig
    gan: bool = True  # False: Q alone, no generator
    budget: dict | None = None  # its own {"steps", "batch_size"}; None: --steps at batch 64

    def steps(self, default: int) -> int:
        """This row's optimizer steps: its own budget's, else the tool's --steps."""
        return self.budget["steps"] if self.budget else default

    @property
    def batch_size(self) -> int:
        """This row's batch size: its own budget's, else the CLI's default (64)."""
        return self.budget["batch_size"] if self.budget else DEFAULT_BATCH_SIZE


# The paper's network and update (InfoGANConfig.paper()) and, for the bridge row, the values
# our network and step have instead: the `paper` row is the paper's settings on our build.
_OUR_BUILD = {"generator_dense": 0, "image_from_upconv": False, "sigmoid_output": False,
              "first_conv_norm": True, "leaky_slope": 0.2, "uniform_noise": False,
              "normal_init": False, "adam_epsilon": 1e-7, "separate_updates": False,
              "style_weight": 0.5}

# (key, label, the settings it changes from the row above); the first row is the paper as
# published, at its own budget; every later row trains for --steps at batch 64.
_LADDER = [
    ("paper", "paper's settings, our G, D and step (batch 64)", _OUR_BUILD),
    ("noise16", "+ noise 16", {"noise_dim": 16}),
    ("dq_net", "+ our D/Q net (no FC-1024, dropout 0.3)", {"shared_dense": 0, "dropout": 0.3}),
    ("lr", "+ lr (D/Q 4e-4)", {"d_learning_rate": None, "g_learning_rate": None}),
    ("balance_consistency", "+ balance + consistency",
     {"cluster_weight": 1.0, "marginal_weight": 2.0, "confidence_weight": 0.0,
      "consistency_weight": 3.0}),
    ("neighbours", "+ neighbour term", {"neighbour_weight": 1.0}),
    ("slant", "+ slanted augmentation", {"move_slant": 0.3}),
    ("styles3", "+ third style code = default", {"num_styles": 3}),
]


def recipes() -> dict[str, Recipe]:
    """The rows in order, each one change on the last; the last GAN row is today's default."""
    config = InfoGANConfig.paper()
    rows = {"paper_published": Recipe("paper_published",
                                      "paper as published (batch 128, 5,000 steps)", {}, config,
                                      budget=dict(PAPER_BUDGET))}
    for key, name, changes in _LADDER:
        config = dataclasses.replace(config, **changes)
        rows[key] = Recipe(key, name, changes, config)
    if config != InfoGANConfig():
        raise RuntimeError(f"the ablation's last row is not the default InfoGAN: {config}")
    rows["q_alone"] = Recipe("q_alone", "Q alone (no G: balance, consistency, neighbour terms)", {},
                             config, gan=False)
    return rows


def run(rows: list[str], seeds: list[int], steps: int, out: Path, json_path: Path,
        data: str = "bundled", test_data: str = "bundled", command: str = "",
        verbose: int = 0, judge_samples: int = JUDGE_SAMPLES,
        default_runs: Path | None = None, seed_files: tuple[Path, ...] = ()) -> dict:
    """Train and measure every (row, seed) not yet in json_path, appending each row at once.

    The last GAN row is the default recipe, which research/seeds.py also trains: with
    default_runs (its --out), that row's checkpoints are shared, so no seed is trained twice.
    seed_files: research/seeds.py results; a row whose recipe, seed and budget one of them holds
    (on the bundled digits, seeds.py's default) takes its numbers from there instead.
    """
    ladder = recipes()
    unknown = [r for r in rows if r not in ladder]
    if unknown:
        raise ValueError(f"unknown rows {unknown}; the rows are {list(ladder)}.")
    document = read_json(json_path, None)
    if document is None:
        document = {"command": command, "date": now(), "machine": machine(), "steps": steps,
                    "data": data, "test_data": test_data, "recipes": {}, "rows": [],
                    "invocations": []}
    own_budget = {key for key, recipe in ladder.items() if recipe.budget}
    check_budget([row for row in document["rows"] if row["recipe"] not in own_budget], steps,
                 json_path)
    if (document.get("data"), document.get("test_data")) != (data, test_data):
        raise ValueError(f"{json_path} holds runs on --data {document.get('data')} / "
                         f"--test-data {document.get('test_data')}: give the same or another "
                         "--json.")
    stale = [key for key, stored in document["recipes"].items()
             if key in ladder and not same_recipe(stored.get("config"), ladder[key].config)]
    if stale:
        raise ValueError(f"{json_path}: rows {stale} were measured with other settings than "
                         "today's; move the file aside or give another --json.")
    if _relabel(document, ladder) and json_path.is_file():
        write_json(json_path, document)  # relabelled, even if this run adds no row
    done = {(row["recipe"], row["seed"]) for row in document["rows"]}
    invocation = None
    for key in rows:
        recipe = ladder[key]
        for seed in seeds:
            if (key, seed) in done:
                continue
            measured = _measured_by_seeds(seed_files, recipe, seed, recipe.steps(steps), data,
                                          test_data)
            if measured is not None:
                source, stored = measured
                row = {"recipe": key, "name": recipe.name, "seed": seed, "steps": stored["steps"],
                       "minutes": stored["minutes"], "q_matched_acc": stored["q_matched_acc"],
                       "judge_generated_acc": stored["judge_generated_acc"], "from": source}
                invocation = _add_row(document, row, recipe, ladder, invocation, command, json_path)
                print(f"{recipe.name}, seed {seed}: from {source}", flush=True)
                continue
            folder = out / key / f"seed{seed}"
            if default_runs is not None and recipe.gan and recipe.config == InfoGANConfig():
                folder = default_runs / f"seed{seed}"  # the same run as research/seeds.py's
            trainer = train_gan if recipe.gan else train_q_alone
            record = trainer(recipe.config, folder, seed, recipe.steps(steps), data, command,
                             verbose, batch_size=recipe.batch_size)
            scores = measure(folder, data, test_data, judge=recipe.gan, styles=recipe.gan,
                             judge_samples=judge_samples)
            row = {"recipe": key, "name": recipe.name, "seed": seed, "steps": record["steps"],
                   "batch_size": record.get("batch_size", recipe.batch_size),
                   "minutes": round(record["seconds"] / 60, 2), **scores}
            if "styles" in row:  # what each style code drew: its property, rho per category
                row["styles"] = [style_record(code) for code in row["styles"]]
            invocation = _add_row(document, row, recipe, ladder, invocation, command, json_path)
            judge = scores["judge_generated_acc"]
            print(f"{recipe.name}, seed {seed}: Q {scores['q_matched_acc']:.3f}, judge "
                  f"{'-' if judge is None else f'{judge:.3f}'}, {row['minutes']:.1f} min "
                  f"-> {json_path}", flush=True)
    return document


def style_record(code) -> dict:
    """A measured style code (gan_utils.evaluation.StyleCode) as JSON, rho to 3 decimals."""
    return {"index": code.index, "name": code.name, "property": code.property,
            "rho": round(code.rho, 3), "categories_agreeing": code.categories_agreeing,
            "rho_per_category": [round(r, 3) for r in code.rho_per_category]}


def _measured_by_seeds(seed_files: tuple[Path, ...], recipe: Recipe, seed: int, steps: int,
                       data: str, test_data: str) -> tuple[str, dict] | None:
    """(file, row) where research/seeds.py measured this recipe's seed on this budget, else None."""
    if not recipe.gan or (data, test_data) != ("bundled", "bundled"):
        return None
    for path in seed_files:
        rows = read_json(path, [])
        if not isinstance(rows, list):
            raise ValueError(f"{path}: not a research/seeds.py results file (a list of seeds); "
                             "give another --seed-files.")
        for row in rows:
            if (row.get("seed"), row.get("steps")) == (seed, steps) and \
                    same_recipe(row.get("settings"), recipe.config):
                return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path), row
    return None


def _add_row(document: dict, row: dict, recipe: Recipe, ladder: dict[str, Recipe],
             invocation: dict | None, command: str, json_path: Path) -> dict:
    """Append row to the document and write it at once; returns this invocation's record."""
    if invocation is None:  # this invocation adds rows: say who, when and where
        invocation = {"command": command, "date": now(), "machine": machine(), "added": 0}
        document["invocations"].append(invocation)
        document.update(command=command, date=invocation["date"], machine=invocation["machine"])
    invocation["added"] += 1
    document["recipes"][recipe.key] = {"name": recipe.name, "changes": recipe.changes,
                                       "config": dataclasses.asdict(recipe.config)}
    stored = document["recipes"]  # in the ladder's order, for plots; keys it lacks last
    document["recipes"] = {**{k: stored[k] for k in ladder if k in stored},
                           **{k: v for k, v in stored.items() if k not in ladder}}
    document["rows"].append(row)
    write_json(json_path, document)
    return invocation


def _relabel(document: dict, ladder: dict[str, Recipe]) -> bool:
    """Give every stored recipe and row of a ladder row the ladder's label; whether any changed."""
    entries = [(stored, key) for key, stored in document["recipes"].items()] + \
              [(row, row["recipe"]) for row in document["rows"]]
    changed = False
    for entry, key in entries:
        if key in ladder and entry.get("name") != ladder[key].name:
            entry["name"], changed = ladder[key].name, True
    return changed


def table(document: dict) -> str:
    """A Markdown table of the medians over seeds and the failures, one line per ladder row."""
    lines = [f"| row | seeds | Q matched (median, min-max) | seeds below {TARGET} "
             "| judge on G (median) | minutes (median) |", "|---|---|---|---|---|---|"]
    for key, recipe in recipes().items():
        rows = [r for r in document["rows"] if r["recipe"] == key]
        if not rows:
            continue
        q = [r["q_matched_acc"] for r in rows]
        judge = median([r["judge_generated_acc"] for r in rows])
        below = sum(value < TARGET for value in q)
        lines.append(f"| {recipe.name} | {len(rows)} | {median(q):.3f} ({min(q):.3f}-{max(q):.3f}) "
                     f"| {below} of {len(rows)} | {'-' if judge is None else f'{judge:.3f}'} "
                     f"| {median([r['minutes'] for r in rows]):.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the ablation from the command line; an error is one line and exit code 2."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", default=list(recipes()),
                        help=f"which rows (default: all): {' '.join(recipes())}")
    parser.add_argument("--seeds", nargs="+", default=["1-5"], help="e.g. 1-5 or 1,3 (default 1-5)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS["infogan"],
                        help="optimizer steps per run (default: the CLI's InfoGAN budget)")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "ablation",
                        help="checkpoints go to OUT/<row>/seed<k> (default runs/ablation)")
    parser.add_argument("--default-runs", type=Path, default=ROOT / "runs" / "seeds",
                        help="where research/seeds.py keeps the default recipe's runs, shared by "
                             "the last GAN row (default runs/seeds)")
    parser.add_argument("--seed-files", type=Path, nargs="*",
                        default=[ROOT / "docs" / "results" / name
                                 for name in ("seeds.json", "seeds_two_codes.json")],
                        help="research/seeds.py results whose runs a row may take instead of "
                             "training the same run again (default docs/results/seeds.json "
                             "docs/results/seeds_two_codes.json)")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "results" / "ablation.json",
                        help="results, one row per run (default docs/results/ablation.json)")
    add_run_arguments(parser, "run")
    parser.add_argument("--table", action="store_true",
                        help="train nothing: print --json's medians as a markdown table")
    args = parser.parse_args(argv)
    if args.table:
        def print_table() -> None:
            document = read_json(args.json, None)
            if document is None:
                raise FileNotFoundError(f"no results in {args.json}: run python -m research.ablation "
                                        "first.")
            print(table(document))

        return run_tool(args, print_table)
    command = "python -m research.ablation " + shlex.join(sys.argv[1:] if argv is None else argv)

    def train_and_report() -> None:
        print(table(run(args.rows, parse_seeds(args.seeds), args.steps, args.out, args.json,
                        args.data, args.test_data, command, 2 if args.verbose else 0,
                        args.judge_samples, args.default_runs, tuple(args.seed_files))))

    return run_tool(args, train_and_report)


if __name__ == "__main__":
    sys.exit(main())
