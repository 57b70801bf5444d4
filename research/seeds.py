"""The default InfoGAN recipe over many seeds: how often it meets its targets (docs/results/).

    python -m research.seeds                  # seeds 1-10, 3,510 steps each (the CLI's defaults)
    python -m research.seeds --seeds 11-20
    python -m research.seeds --splits         # train nothing: which digits each run splits, by what
    python -m research.seeds --directions     # train nothing: how strongly any mix of the codes slants
    python -m research.seeds --set neighbour_gradient=false --out runs/seeds_target \
        --json docs/results/seeds_candidate.json  # a candidate: the default, settings changed

Each seed is trained as `python -m gan_utils train infogan --seed K --data bundled` does, saved
in --out/seed<k>, measured (Q's matched accuracy on the 10,000 held-out digits; the judge on
generate(digits=d) after aligning on the training digits; the style codes' names) and appended to
--json at once; a re-run skips the seeds already there. Prints a summary at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from pathlib import Path

import numpy as np

from gan_utils.checkpoints import load
from gan_utils.configs import InfoGANConfig
from gan_utils.data import to_unit_range
from gan_utils.evaluation import name_style_codes, split_digits, strongest_trait, style_sweep_rho
from gan_utils.measures import PROPERTIES
from gan_utils.models import InfoGAN
from gan_utils.training import DEFAULT_STEPS
from research.runs import (JUDGE_SAMPLES, ROOT, TARGET, add_run_arguments, check_budget, digits,
                           measure, median, parse_seeds, read_json, run_tool, same_recipe,
                           setting, train_gan, write_json)

DEFAULT_OUT, DEFAULT_JSON = ROOT / "runs" / "seeds", ROOT / "docs" / "results" / "seeds.json"
KEYS = ("seed", "steps", "minutes", "q_matched_acc", "judge_generated_acc", "slant_code",
        "slant_rho", "settings")


def slant(codes) -> tuple[int | None, float | None]:
    """The index of the style code named slant and its rho (None, None where none is named).

    Where none is named, slant_rho is still the rho of the style code whose strongest property
    is slant (the one with the largest |rho|), so a near miss shows; None if no code leans to slant.
    """
    named = [c for c in codes if c.name == "slant"]
    if named:
        return named[0].index, float(named[0].rho)
    leaning = [c for c in codes if c.property == "slant"]
    if leaning:
        return None, float(max(leaning, key=lambda c: abs(c.rho)).rho)
    return None, None


def best_style_direction(model, prop: str = "slant", angles: int = 12,
                         limit: float | None = None, steps: int = 9, draws: int = 40,
                         seed: int = 0) -> tuple[float, float]:
    """The direction in the plane of style codes 1 and 2 that moves `prop` most, and its rho.

    Sweeps `angles` directions in [0, 180) degrees (0 = code 1, 90 = code 2; the other codes stay
    at 0) as name_style_codes sweeps one code; returns (angle, median over categories of rho).
    rho's sign belongs to that direction: the opposite one, angle + 180, has -rho. A property
    that lies along a mix of the two codes shows here, not in name_style_codes.
    """
    if model.num_styles < 2:
        raise ValueError(f"best_style_direction needs 2 style codes; the model has "
                         f"{model.num_styles}.")
    if prop not in PROPERTIES:
        raise ValueError(f"unknown property {prop!r}; the properties are {list(PROPERTIES)}.")
    best = (0.0, 0.0)
    for angle in np.arange(angles) * 180.0 / angles:
        direction = np.zeros(model.num_styles)
        direction[:2] = np.round([np.cos(np.radians(angle)), np.sin(np.radians(angle))], 12)
        rho = float(np.median(style_sweep_rho(model, direction, limit, steps, draws, seed,
                                              {prop: PROPERTIES[prop]})[prop]))
        if abs(rho) > abs(best[1]):
            best = (float(angle), rho)
    return best


def run(seeds: list[int], steps: int, out: Path, json_path: Path, data: str = "bundled",
        test_data: str = "bundled", command: str = "", verbose: int = 0,
        judge_samples: int = JUDGE_SAMPLES, changes: dict | None = None) -> list[dict]:
    """Train and measure every seed not yet in json_path, appending each seed's object at once.

    changes: settings that differ from the default recipe (a candidate), e.g. {"style_weight": 1}.
    """
    recipe = dataclasses.replace(InfoGANConfig(), **(changes or {}))  # every row's recipe
    rows = read_json(json_path, [])
    if not isinstance(rows, list):
        raise ValueError(f"{json_path}: expected a list of seeds, got {type(rows).__name__}.")
    check_budget(rows, steps, json_path)
    settings = dataclasses.asdict(recipe)
    other = [row["seed"] for row in rows if not same_recipe(row.get("settings"), recipe)]
    if other:
        raise ValueError(f"{json_path}: seeds {other} were measured with other settings than "
                         f"{'this candidate' if changes else 'the default recipe'}; move the "
                         "file aside or give another --json.")
    done = {row["seed"] for row in rows}
    for seed in seeds:
        if seed in done:
            continue
        folder = out / f"seed{seed}"
        record = train_gan(recipe, folder, seed, steps, data, command, verbose)
        scores = measure(folder, data, test_data, styles=True, judge_samples=judge_samples)
        code, rho = slant(scores["styles"])
        row = {"seed": seed, "steps": record["steps"], "minutes": round(record["seconds"] / 60, 2),
               "q_matched_acc": scores["q_matched_acc"],
               "judge_generated_acc": scores["judge_generated_acc"],
               "slant_code": code, "slant_rho": rho, "settings": settings}
        rows.append(row)
        write_json(json_path, rows)
        print(f"seed {seed}: Q {row['q_matched_acc']:.3f}, judge {row['judge_generated_acc']:.3f}, "
              f"slant code {code}, {row['minutes']:.1f} min -> {json_path}", flush=True)
    return rows


def summary(rows: list[dict]) -> str:
    """Median Q accuracy, seeds at the target, median judge accuracy, seeds naming a slant code."""
    if not rows:
        return "no seeds yet."
    n = len(rows)
    q = median([r["q_matched_acc"] for r in rows])
    judge = median([r["judge_generated_acc"] for r in rows])
    at_target = sum(r["q_matched_acc"] >= TARGET for r in rows)
    slanted = sum(r["slant_code"] is not None for r in rows)
    return (f"{n} seeds ({', '.join(str(r['seed']) for r in rows)}), {rows[0]['steps']:,} steps: "
            f"Q matched accuracy median {q:.3f}, {at_target} of {n} seeds >= {TARGET}; "
            f"judge on generated digits median {judge:.3f}; "
            f"{slanted} of {n} seeds name a slant code.")


def table(rows: list[dict], baseline: list[dict] | None = None,
          baseline_name: str = "baseline") -> str:
    """The seeds as a markdown table (what the README shows), failures marked, then the summary.

    baseline: another recipe's seeds (e.g. docs/results/seeds_before_slant.json), its Q in a column
    beside today's and its summary under today's.
    """
    before = {r["seed"]: r for r in baseline or []}
    extra = f" Q, {baseline_name} |" if baseline else ""
    lines = ["| seed | Q matched accuracy |" + extra + " judge on generated digits "
             "| slant code (rho) | minutes |",
             "|---|---|" + ("---|" if baseline else "") + "---|---|---|"]
    for r in sorted(rows, key=lambda r: r["seed"]):
        miss = "" if r["q_matched_acc"] >= TARGET else f" (below {TARGET})"
        old = before.get(r["seed"])
        then = (f" {old['q_matched_acc']:.3f} |" if old else " - |") if baseline else ""
        slant = ("none" + (f" (nearest {r['slant_rho']:+.2f})" if r["slant_rho"] is not None else "")
                 if r["slant_code"] is None else f"style {r['slant_code'] + 1} ({r['slant_rho']:+.2f})")
        lines.append(f"| {r['seed']} | {r['q_matched_acc']:.3f}{miss} |{then} "
                     f"{r['judge_generated_acc']:.3f} | {slant} | {r['minutes']:.1f} |")
    text = "\n".join(lines) + "\n\n" + summary(rows)
    return text + (f"\n\n{baseline_name[:1].upper()}{baseline_name[1:]}: {summary(baseline)}"
                   if baseline else "")


def splits(seeds: list[int], out: Path, test_data: str = "bundled") -> str:
    """Train nothing: for each seed's run in out, the digits Q splits over two categories.

    One line per seed (gan_utils.evaluation.split_digits on the held-out digits: the digit, its
    two categories with their shares, and the trait that best tells them apart).
    """
    test = digits(test_data)

    def describe(model: InfoGAN) -> str:
        probs, _ = model.recognize(to_unit_range(test.x_test))
        found = split_digits(test.x_test, probs.argmax(axis=1), test.y_test)
        return "; ".join(f"{s['digit']}s over {s['categories'][0]} and {s['categories'][1]} "
                         f"({s['shares'][0]:.0%}, {s['shares'][1]:.0%}; "
                         + "{} AUC {:.2f})".format(*strongest_trait(s))
                         for s in found) or "no digit split"

    return _each_run(seeds, out, describe)


def directions(seeds: list[int], out: Path) -> str:
    """Train nothing: for each seed's run in out, the code named slant and the best mix of codes.

    One line per seed: the slant code and its rho (or "no code named slant"), and the direction in
    the plane of style codes 1 and 2 (the others at 0) that moves slant most (gan_utils.evaluation
    .best_style_direction), so a slant shared between the codes shows apart from one that is
    in neither.
    """
    def describe(model: InfoGAN) -> str:
        code, rho = slant(name_style_codes(model))
        angle, best = best_style_direction(model)
        named = "no code named slant" if code is None else f"style {code + 1} named slant ({rho:+.2f})"
        return (f"{named}; the plane of codes 1 and 2 slants most at {angle:.0f} degrees "
                f"(rho {best:+.2f})")

    return _each_run(seeds, out, describe)


def _each_run(seeds: list[int], out: Path, describe) -> str:
    """One line per seed, "seed K: " and describe(the InfoGAN saved in out/seedK)."""
    return "\n".join(f"seed {seed}: {describe(load(out / f'seed{seed}', expect=InfoGAN))}"
                     for seed in seeds)


def main(argv: list[str] | None = None) -> int:
    """Run the seeds from the command line; an error is one line and exit code 2."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", default=["1-10"],
                        help="e.g. 1-10 or 1,3 (default 1-10)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS["infogan"],
                        help="optimizer steps per seed (default: the CLI's InfoGAN budget)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="checkpoints go to OUT/seed<k> (default runs/seeds)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON,
                        help="results, one object per seed (default docs/results/seeds.json)")
    add_run_arguments(parser, "seed")
    parser.add_argument("--table", action="store_true",
                        help="train nothing: print --json as the README's markdown table")
    parser.add_argument("--splits", action="store_true",
                        help="train nothing: the digits each seed's run in --out splits over "
                             "two categories, and by which trait")
    parser.add_argument("--directions", action="store_true",
                        help="train nothing: for each seed's run in --out, the code named slant "
                             "and the direction in the plane of codes 1 and 2 that slants most")
    parser.add_argument("--set", dest="settings", type=setting, action="append", default=[],
                        metavar="NAME=VALUE",
                        help="a candidate recipe: the default with this setting changed (repeat "
                             "for more; needs its own --out and --json)")
    parser.add_argument("--baseline", type=Path,
                        help="with --table: another recipe's seeds file, shown beside "
                             "(e.g. docs/results/seeds_before_slant.json)")
    parser.add_argument("--baseline-name", default="baseline",
                        help="what --baseline's column is called (e.g. 'before slanted moves')")
    args = parser.parse_args(argv)
    if args.settings and (args.table or args.splits or args.directions):
        parser.error("--set trains a candidate recipe; it does not go with --table, --splits "
                     "or --directions (give the candidate's --out or --json instead).")
    if args.baseline and not (args.table and args.baseline.is_file()):
        parser.error(f"--baseline needs --table and an existing file, got {args.baseline}.")
    if args.splits:
        return run_tool(args, lambda: print(splits(parse_seeds(args.seeds), args.out,
                                                   args.test_data)))
    if args.directions:
        return run_tool(args, lambda: print(directions(parse_seeds(args.seeds), args.out)))
    if args.table:
        rows = read_json(args.json, [])
        baseline = read_json(args.baseline, []) if args.baseline else None
        print(table(rows, baseline, args.baseline_name))
        return 0
    command = "python -m research.seeds " + shlex.join(sys.argv[1:] if argv is None else argv)

    def train_and_report() -> None:
        changes = dict(args.settings)
        if changes and (args.out.resolve() == DEFAULT_OUT or args.json.resolve() == DEFAULT_JSON):
            raise ValueError("a candidate recipe (--set) needs its own --out and --json: "
                             f"{DEFAULT_OUT.relative_to(ROOT)} and {DEFAULT_JSON.relative_to(ROOT)} "
                             "hold the default recipe's seeds.")
        print(summary(run(parse_seeds(args.seeds), args.steps, args.out, args.json, args.data,
                          args.test_data, command, 2 if args.verbose else 0,
                          args.judge_samples, changes)))

    return run_tool(args, train_and_report)


if __name__ == "__main__":
    sys.exit(main())
