"""Evaluation reports as text: one model's report (format_report), two side by side (compare_table).

The reports themselves are built by gan_utils.evaluation.evaluation_report; these only lay them out.
Every score the judge gives is printed with the judge's ceiling beside it: how often it reads
real held-out test digits right (docs/judge.md). Clean generated digits can score above it.
"""

from __future__ import annotations


def _judged(report: dict, key: str, short: bool = False) -> str:
    """A judge's score with the judge's ceiling beside it (when the report holds one)."""
    if report.get(key) is None:
        return "-"
    ceiling = report.get("judge_ceiling")
    if ceiling is None:
        return f"{report[key]:.4f}"
    beside = (f"on real: {ceiling:.4f}" if short
              else f"judge reads real test digits at {ceiling:.4f}")
    return f"{report[key]:.4f} ({beside})"


def misreadings(confusion: list[list[int]], top: int = 3) -> str:
    """The judge's most frequent misreadings of generated digits, e.g. '3 as 8: 12 of 1,000'."""
    cells = sorted(((count, asked, read) for asked, row in enumerate(confusion)
                    for read, count in enumerate(row) if read != asked and count),
                   reverse=True)[:top]
    if not cells:
        return "none"
    return ", ".join(f"{asked} as {read}: {count} of {sum(confusion[asked]):,}"
                     for count, asked, read in cells)


def _style(code: dict, needed: int | None) -> str:
    """One style code's line: its name, median rho and how many categories agree in sign."""
    text = (f"  style {code['index'] + 1}: {code['name']:<10} "
            f"(rho {code['rho']:+.2f} with {code['property']}")
    if "rho_per_category" in code:
        text += (f": median of {len(code['rho_per_category'])} categories, "
                 f"{code['categories_agreeing']} agree in sign"
                 + (f", {needed} needed" if needed is not None else ""))
    return text + ")"


def _fid(report: dict) -> str:
    """The FID with how many digits it used and its real-vs-real floor, or why it is missing."""
    if report.get("fid") is None:
        return "-  (" + report.get("fid_note", "not measured") + ")"
    digits = f" on {report['fid_digits']:,} digits a side" if "fid_digits" in report else ""
    if "fid_range" in report:
        low, high = report["fid_range"]
        digits = f" ({low}-{high} over {report['fid_draws']} generated draws)" + digits
    floor = (f" (real-vs-real floor {report['fid_floor']}: {report['fid_floor_source']})"
             if "fid_floor" in report else "")
    return f"{report['fid']}{digits}{floor}"


def format_report(report: dict) -> str:
    """The report as a short readable table: what the generator draws first."""
    lines = [f"{report['model']} on {report['n_test']:,} {report.get('split', 'held-out')} digits"]
    mapping = report.get("label_accuracy_mapping")
    if report["model"] == "ACGAN":
        lines.append(f"  label accuracy             {_judged(report, 'label_accuracy')}  "
                     "generate(digits=d) read as d")
    elif report.get("label_accuracy") is None:
        lines.append("  label accuracy             -  (not aligned yet)")
    else:
        lines.append(f"  label accuracy             {_judged(report, 'label_accuracy')}  "
                     f"generate(digits=d) read as d; mapping: {mapping or 'stored'}")
    if report["model"] != "ACGAN":
        lines.append(f"  category accuracy (Q)      {report['category_accuracy']:.4f}  "
                     "(Q reads real digits, matched one-to-one)")
    if report.get("judge_confusion"):
        lines.append(f"  judge misreads             {misreadings(report['judge_confusion'])}")
    lines.append(f"  MNIST FID                  {_fid(report)}")
    if "diversity" in report:
        lines.append(f"  diversity per label        {min(report['diversity'])}..{max(report['diversity'])}"
                     f"  (real digits {report['diversity_real']}; near 0 = collapse)")
    if report["model"] == "ACGAN":
        return "\n".join(lines + [f"  note: {p}" for p in report.get("problems", [])])
    lines += [
        f"  NMI / ARI                  {report['nmi']:.3f} / {report['ari']:.3f}",
        f"  generated accuracy         {_judged(report, 'generated_accuracy')}  "
        "judge on generate(category), matched",
        f"  methods agree on           {report['methods_agree']} of {len(report['mapping'])} categories",
        "  category -> digit          " + " ".join(f"{c}->{d}" for c, d in report["mapping"].items()),
    ]
    needed = report.get("style_categories_needed")
    lines += [_style(code, needed) for code in report["style_codes"]]
    lines += [f"  note: {problem}" for problem in report["problems"]]
    return "\n".join(lines)


def compare_table(*reports: dict, names: list[str] | None = None) -> str:
    """The side-by-side table the comparison shows, one column per report, the judge's ceiling below.

    names head the columns (default: each report's model).
    """
    def style(code):
        agree = (f", {code['categories_agreeing']} of {len(code['rho_per_category'])} agree"
                 if "rho_per_category" in code else "")
        return f"{code['name']} ({code['rho']:+.2f}{agree})"

    def fid(report):
        if report.get("fid") is None:
            return "-"
        spread = (f" {report['fid_range'][0]}-{report['fid_range'][1]}"
                  if "fid_range" in report else "")
        return f"{report['fid']}{spread} ({report.get('fid_floor', '-')})"

    def category(report):
        value = report.get("category_accuracy")
        return "-" if value is None else f"{value:.4f} (Q on real digits)"

    names = list(names or [r["model"] for r in reports])
    if len(names) != len(reports):
        raise ValueError(f"one name per report: {len(reports)} reports, {len(names)} names.")
    supervised = {"ACGAN": "real (supervised)"}
    rows = [("", *names),
            ("labels", *(supervised.get(r["model"], "invented (unsupervised)") for r in reports)),
            ("label accuracy (judge)", *(_judged(r, "label_accuracy", short=True)
                                         for r in reports)),
            ("matched category accuracy", *(category(r) for r in reports)),
            ("MNIST FID, median min-max (floor)", *(fid(r) for r in reports)),
            ("style codes", *(("none" if r["model"] == "ACGAN" else
                               ", ".join(style(c) for c in r.get("style_codes", [])) or "-")
                              for r in reports))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths)).rstrip() for row in rows]
    if any(r.get("judge_ceiling") is not None for r in reports):
        lines += ["label accuracy: how often the judge reads generate(digits=d) as d;",
                  "on real: how often it reads the real held-out test digits right (its ceiling)"]
    return "\n".join(lines)
