"""Evaluation reports as text: one model's report (format_report), two side by side (compare_table).

The reports themselves are built by gan_utils.evaluation.evaluation_report; these only lay them out.
"""

from __future__ import annotations


def format_report(report: dict) -> str:
    """The report as a short readable table."""
    lines = [f"{report['model']} on {report['n_test']:,} {report.get('split', 'held-out')} digits"]
    floor = (f" (real-vs-real floor {report['fid_floor']}: {report['fid_floor_source']})"
             if "fid_floor" in report else "")
    lines.append(f"  MNIST FID                  {report['fid']}{floor}")
    if "diversity" in report:
        lines.append(f"  diversity per label        {min(report['diversity'])}..{max(report['diversity'])}"
                     f"  (real digits {report['diversity_real']}; near 0 = collapse)")
    if report["model"] == "ACGAN":
        lines.append(f"  label accuracy             {report['label_accuracy']:.4f}  "
                     "(independent classifier reads generate(label) as label)")
        return "\n".join(lines + [f"  note: {p}" for p in report.get("problems", [])])
    lines += [
        f"  category accuracy (Q)      {report['category_accuracy']:.4f}  (matched one-to-one)",
        f"  NMI / ARI                  {report['nmi']:.3f} / {report['ari']:.3f}",
        f"  generated accuracy         {report['generated_accuracy']:.4f}  "
        "(classifier on generate(category), matched)",
        f"  methods agree on           {report['methods_agree']} of {len(report['mapping'])} categories",
        "  generate(digits=d) read d  " + (f"{report['label_accuracy']:.4f}  (stored alignment)"
                                          if report.get("label_accuracy") is not None
                                          else "-  (not aligned yet)"),
        "  category -> digit          " + " ".join(f"{c}->{d}" for c, d in report["mapping"].items()),
    ]
    for code in report["style_codes"]:
        lines.append(f"  style {code['index'] + 1}: {code['name']:<10} (rho {code['rho']:+.2f} "
                     f"with {code['property']})")
    lines += [f"  note: {problem}" for problem in report["problems"]]
    return "\n".join(lines)


def compare_table(acgan: dict, infogan: dict) -> str:
    """The side-by-side table the comparison notebook shows."""
    def cell(report, key, fmt="{:.4f}"):
        return fmt.format(report[key]) if report.get(key) is not None else "-"

    styles = ", ".join(f"{c['name']} ({c['rho']:+.2f})" for c in infogan.get("style_codes", []))
    rows = [("", "ACGAN", "InfoGAN"),
            ("labels", "real (supervised)", "invented (unsupervised)"),
            ("label accuracy", cell(acgan, "label_accuracy"), cell(infogan, "label_accuracy")),
            ("matched category accuracy", "-", cell(infogan, "category_accuracy")),
            ("MNIST FID (floor)", f"{acgan['fid']} ({acgan.get('fid_floor', '-')})",
             f"{infogan['fid']} ({infogan.get('fid_floor', '-')})"),
            ("style codes", "none", styles or "-")]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b:<20}  {c}" for a, b, c in rows)
