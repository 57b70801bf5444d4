"""Reading research/curves.py's results: each seed's point at a step, the quality bars, the
first budget that meets them, the tables and the figure (`python -m research.curves --table`).
"""

from __future__ import annotations

from pathlib import Path

from gan_utils import training
from research.runs import TARGET, median
from research.seeds import table as seeds_table

MODELS = ("acgan", "infogan")
# The quality bars a default budget must meet (docs/recipe.md, "Time to quality"): ACGAN's
# judge on every seed; InfoGAN's Q median and every seed, the judge's median, slant named on 8
# of 10 seeds.
ACGAN_JUDGE_BAR = 0.999
INFOGAN_Q_MEDIAN_BAR, INFOGAN_JUDGE_BAR, SLANT_SHARE = 0.97, 0.99, 0.8
# The default budgets before they were read from the curves (60 and 45 passes over the bundled
# digits at batch 64).
BUDGETS_BEFORE = {"acgan": 4_680, "infogan": 3_510}


def at_step(rows: list[dict], step: int, momentum: float | None = None) -> list[dict]:
    """Each seed's point at `step` (with its seed), for the seeds that reached it.

    momentum (ACGAN): the judge of G averaged at that momentum, the recipe's own or a shadow
    average (research.curves --averages); seeds that did not read it are left out.
    """
    found = []
    for r in rows:
        point = next((p for p in r["points"] if p["step"] == step), None)
        if point is None:
            continue
        point = {"seed": r["seed"], "steps": step, "minutes": round(point["seconds"] / 60, 2),
                 **point}
        if momentum is not None:
            judged = point.pop("judge_by_momentum", {}).get(str(momentum))
            if r.get("settings", {}).get("ema_momentum") != momentum:
                point["judge_generated_acc"] = judged
            if point["judge_generated_acc"] is None:
                continue
        found.append(point)
    return found


def momenta(rows: list[dict]) -> list[float]:
    """ACGAN: every momentum of G's average the rows read, the recipe's own first."""
    own = sorted({r["settings"]["ema_momentum"] for r in rows}, reverse=True)
    shadows = sorted({float(m) for r in rows for p in r["points"]
                      for m in p.get("judge_by_momentum", {})} - set(own), reverse=True)
    return own + shadows


def meets_bars(model: str, points: list[dict]) -> bool:
    """Whether the seeds' points at one step meet every quality bar of that model's budget."""
    if not points:
        return False
    if model == "acgan":
        return all(p["judge_generated_acc"] >= ACGAN_JUDGE_BAR for p in points)
    if any("judge_generated_acc" not in p for p in points):
        return False  # a Q-only probe cannot show the judge and slant bars
    named = sum(p["slant_code"] is not None for p in points)
    return (median([p["q_matched_acc"] for p in points]) >= INFOGAN_Q_MEDIAN_BAR
            and all(p["q_matched_acc"] >= TARGET for p in points)
            and median([p["judge_generated_acc"] for p in points]) >= INFOGAN_JUDGE_BAR
            and named >= SLANT_SHARE * len(points))


def _spread(values: list[float], places: int = 3) -> str:
    """'median (min-max)' to `places` decimals."""
    return f"{median(values):.{places}f} ({min(values):.{places}f}-{max(values):.{places}f})"


def _steps(rows: list[dict]) -> list[int]:
    """The probe steps, in order."""
    return sorted({p["step"] for r in rows for p in r["points"]})


def curve_table(model: str, rows: list[dict], momentum: float | None = None) -> str:
    """One line per probe step: minutes, the quality over the seeds, and whether the bars hold."""
    if model == "acgan":
        head = ("| steps | minutes (median) | judge on generated digits, median (min-max) "
                f"| seeds >= {ACGAN_JUDGE_BAR} | every bar |\n|---|---|---|---|---|")
    else:
        head = ("| steps | minutes (median) | Q matched, median (min-max) | seeds >= "
                f"{TARGET} | judge, median | slant named | every bar |\n|---|---|---|---|---|---|---|")
    lines = [head]
    for step in _steps(rows):
        points = at_step(rows, step, momentum)
        if not points:
            continue
        minutes = f"{median([p['minutes'] for p in points]):.1f}"
        bar = "yes" if meets_bars(model, points) else "no"
        n = len(points)
        if model == "acgan":
            judge = [p["judge_generated_acc"] for p in points]
            passed = sum(j >= ACGAN_JUDGE_BAR for j in judge)
            lines.append(f"| {step:,} | {minutes} | {_spread(judge, 4)} | {passed} of {n} | {bar} |")
            continue
        q = [p["q_matched_acc"] for p in points]
        judged = [p for p in points if "judge_generated_acc" in p]
        judge = (f"{median([p['judge_generated_acc'] for p in judged]):.3f}" if judged else "-")
        named = (f"{sum(p['slant_code'] is not None for p in judged)} of {len(judged)}"
                 if judged else "-")
        lines.append(f"| {step:,} | {minutes} | {_spread(q)} | {sum(v >= TARGET for v in q)} of "
                     f"{n} | {judge} | {named} | {bar} |")
    return "\n".join(lines)


def shortest_budget(model: str, rows: list[dict], momentum: float | None = None) -> int | None:
    """The first probe step from which every bar holds at every later probe all seeds reached."""
    common = [step for step in _steps(rows)
              if len(at_step(rows, step, momentum)) == len(rows)]
    holding = None
    for step in reversed(common):
        if not meets_bars(model, at_step(rows, step, momentum)):
            break
        holding = step
    return holding


def report(document: dict, at: int | None = None, baseline: list[dict] | None = None,
           baseline_name: str = "baseline") -> str:
    """Both models' curves, the shortest budgets, and (at) InfoGAN's seeds table at one step."""
    parts = []
    for model in MODELS:
        rows = sorted((r for r in document.get("rows", []) if r["model"] == model),
                      key=lambda r: r["seed"])
        if not rows:
            continue
        for momentum in momenta(rows) if model == "acgan" else [None]:
            best = shortest_budget(model, rows, momentum)
            which = "" if momentum is None else f", G averaged at momentum {momentum}"
            parts.append(f"{model}, {len(rows)} seed{'s' * (len(rows) != 1)} "
                         f"({', '.join(str(r['seed']) for r in rows)})"
                         f"{which}, read every {rows[0]['every']:,} steps:\n\n"
                         f"{curve_table(model, rows, momentum)}\n\n"
                         + (f"Every bar holds from {best:,} steps on." if best else
                            "No probe step meets every bar."))
        if model == "infogan" and at is not None:
            points = at_step(rows, at)
            if not points or any("judge_generated_acc" not in p for p in points):
                raise ValueError(f"--at {at}: no full probe of every seed at that step.")
            parts.append(f"InfoGAN's seeds at {at:,} steps:\n\n"
                         + seeds_table(points, baseline, baseline_name))
    return "\n\n".join(parts) or "no curves yet."


def plot(document: dict, path: Path) -> None:
    """The curves as a figure: each recipe's quality against steps, the median and the seeds'
    range, with its bar; ACGAN one line per momentum of G's average."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, model in zip(axes, MODELS):
        rows = [r for r in document.get("rows", []) if r["model"] == model]
        lines = ([(f"G averaged at {m}", m, "judge_generated_acc") for m in momenta(rows)]
                 if model == "acgan" else [("Q matched accuracy", None, "q_matched_acc")])
        for label, momentum, key in lines if rows else []:
            steps, middle, low, high = [], [], [], []
            for step in _steps(rows):
                values = [p[key] for p in at_step(rows, step, momentum) if p.get(key) is not None]
                if values:
                    steps.append(step)
                    middle.append(median(values))
                    low.append(min(values))
                    high.append(max(values))
            ax.plot(steps, middle, marker="o", label=f"{label}, median of seeds")
            ax.fill_between(steps, low, high, alpha=0.2)
        bar = ACGAN_JUDGE_BAR if model == "acgan" else INFOGAN_Q_MEDIAN_BAR
        ax.axhline(bar, color="black", linestyle="--", label=f"bar {bar}")
        ax.axvline(training.DEFAULT_STEPS[model], color="grey", linestyle=":",
                   label=f"default budget ({training.DEFAULT_STEPS[model]:,})")
        if BUDGETS_BEFORE[model] != training.DEFAULT_STEPS[model]:
            ax.axvline(BUDGETS_BEFORE[model], color="grey", linestyle="-.",
                       label=f"the budget before ({BUDGETS_BEFORE[model]:,})")
        ax.set_xlim(0, max(BUDGETS_BEFORE[model], *(r["steps"] for r in rows)) * 1.03)
        ax.set_ylim(0.98 if model == "acgan" else 0.90, 1.0)
        ax.set_xlabel("optimizer steps (batch 64)")
        ax.set_ylabel("judge on generated digits" if model == "acgan"
                      else "Q matched accuracy (held-out digits)")
        ax.set_title(f"{'ACGAN' if model == 'acgan' else 'InfoGAN (ours)'}: quality while it "
                     "trains (band: seeds' range)")
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


