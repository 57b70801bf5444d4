"""research/seeds.py: tiny runs into a temporary folder, resumed and refused; its tables."""

import dataclasses
import json
from types import SimpleNamespace

import numpy as np
import pytest

import gan_utils as gu
import gan_utils.checkpoints
import gan_utils.cli
import gan_utils.data
import gan_utils.training
from gan_utils.configs import InfoGANConfig
from research import ablation, seeds
from tests.drawing import sheared_bar

TINY = dict(steps=2, judge_samples=100)  # two optimizer steps; the judge reads 100 digits


def _fail(*args, **kwargs):
    raise AssertionError("trained again: the run should have been skipped")


@pytest.mark.slow
def test_seeds_writes_one_object_per_seed_and_skips_seeds_already_there(tiny_data, tmp_path, monkeypatch):
    json_path = tmp_path / "seeds.json"
    run = dict(steps=2, out=tmp_path / "runs", json_path=json_path, data=tiny_data,
               test_data=tiny_data, judge_samples=100)
    rows = seeds.run([1], **run)
    assert json.loads(json_path.read_text()) == rows
    assert [set(r) for r in rows] == [set(seeds.KEYS)] and rows[0]["seed"] == 1
    assert rows[0]["steps"] == 2 and 0.1 <= rows[0]["q_matched_acc"] <= 1
    assert rows[0]["slant_code"] in (None, *range(InfoGANConfig().num_styles))
    assert gu.load(tmp_path / "runs" / "seed1").config == InfoGANConfig()  # the default recipe
    before = json_path.read_bytes()
    monkeypatch.setattr(gan_utils.training, "train", _fail)
    assert seeds.run([1], **run) == rows
    assert json_path.read_bytes() == before
    assert "1 seeds (1), 2 steps" in seeds.summary(rows)
    # the ablation's default row is the same run: measured from the seeds' checkpoint, not retrained
    document = ablation.run(["styles3"], [1], 2, tmp_path / "ablation",
                                  tmp_path / "ablation.json", tiny_data, tiny_data,
                                  judge_samples=100, default_runs=tmp_path / "runs")
    assert [(r["recipe"], r["seed"]) for r in document["rows"]] == [("styles3", 1)]
    assert document["rows"][0]["q_matched_acc"] == rows[0]["q_matched_acc"]
    assert not (tmp_path / "ablation").exists()
    # --splits reads each seed's run: one line per seed, what it splits or that it splits nothing
    report = seeds.splits([1], tmp_path / "runs", tiny_data)
    assert report.startswith("seed 1: ") and ("no digit split" in report or " AUC " in report)
    assert seeds.main(["--splits", "--seeds", "2", "--out", str(tmp_path / "runs")]) == 2
    # --directions: the slant code, and the mix of the two codes that slants most
    report = seeds.directions([1], tmp_path / "runs")
    assert report.startswith("seed 1: ") and "the plane of codes 1 and 2 slants most at " in report
    assert seeds.main(["--directions", "--seeds", "2", "--out", str(tmp_path / "runs")]) == 2


@pytest.mark.slow
def test_seeds_measures_a_candidate_recipe_apart_from_the_default(tiny_data, tmp_path,
                                                                   capsys):
    """--set: the default with a setting changed, trained and recorded as such, in its own files."""
    json_path = tmp_path / "candidate.json"
    run = dict(steps=2, out=tmp_path / "runs", json_path=json_path, data=tiny_data,
               test_data=tiny_data, judge_samples=100)
    candidate = {"neighbour_gradient": False, "pair_share": 0.5}
    rows = seeds.run([1], changes=candidate, **run)
    assert rows[0]["settings"]["neighbour_gradient"] is False
    assert rows[0]["settings"]["pair_share"] == 0.5 and rows[0]["steps"] == 2
    assert gu.load(tmp_path / "runs" / "seed1").config == InfoGANConfig(**candidate)
    with pytest.raises(ValueError, match=r"seeds \[1\] were measured with other settings than "
                                         "the default recipe"):
        seeds.run([2], **run)  # the default recipe is not appended to a candidate's file
    for where in (["--json", str(json_path)], ["--out", str(tmp_path / "runs")]):
        assert seeds.main(["--set", "style_weight=1", *where]) == 2
        assert "needs its own --out and --json" in capsys.readouterr().err
    assert seeds.main(["--set", "style_weight=-1", "--out", str(tmp_path / "runs"),
                             "--json", str(json_path)]) == 2
    assert "style_weight must be a number >= 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # --set trains; with --table it would be silently ignored
        seeds.main(["--table", "--set", "pair_share=0.5"])
    assert "--set trains a candidate recipe" in capsys.readouterr().err


def test_seeds_summary_and_slant_naming():
    code = lambda i, name, prop, rho: SimpleNamespace(index=i, name=name, property=prop, rho=rho)
    assert seeds.slant([code(0, "style 1", "width", 0.3),
                              code(1, "slant", "slant", -0.9)]) == (1, -0.9)
    assert seeds.slant([code(0, "style 1", "slant", 0.5),
                              code(1, "style 2", "slant", -0.7)]) == (None, -0.7)  # a near miss
    assert seeds.slant([code(0, "style 1", "width", 0.5)]) == (None, None)
    rows = [{"seed": s, "steps": 3510, "minutes": 10.0, "q_matched_acc": q,
             "judge_generated_acc": j, "slant_code": c, "slant_rho": None}
            for s, q, j, c in [(1, 0.97, 0.98, 0), (2, 0.93, 0.90, None), (3, 0.96, 0.99, 1)]]
    text = seeds.summary(rows)
    assert "median 0.960, 2 of 3 seeds >= 0.95" in text
    assert "judge on generated digits median 0.980" in text and "2 of 3 seeds name a slant" in text


def test_seeds_table_marks_failures_and_trains_nothing(tmp_path, monkeypatch, capsys):
    rows = [{"seed": 2, "steps": 3510, "minutes": 9.5, "q_matched_acc": 0.93,
             "judge_generated_acc": 0.95, "slant_code": None, "slant_rho": -0.6},
            {"seed": 1, "steps": 3510, "minutes": 10.2, "q_matched_acc": 0.972,
             "judge_generated_acc": 0.996, "slant_code": 0, "slant_rho": -0.87}]
    (tmp_path / "seeds.json").write_text(json.dumps(rows))
    monkeypatch.setattr(gan_utils.training, "train", _fail)
    assert seeds.main(["--table", "--json", str(tmp_path / "seeds.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "| 1 | 0.972 | 0.996 | style 1 (-0.87) | 10.2 |"
    assert lines[3] == "| 2 | 0.930 (below 0.95) | 0.950 | none (nearest -0.60) | 9.5 |"
    assert "1 of 2 seeds >= 0.95" in lines[-1] and "1 of 2 seeds name a slant code" in lines[-1]
    # beside another recipe's seeds: its Q per seed in a column, its summary under today's
    (tmp_path / "before.json").write_text(json.dumps([{**rows[1], "q_matched_acc": 0.81}]))
    assert seeds.main(["--table", "--json", str(tmp_path / "seeds.json"),
                             "--baseline", str(tmp_path / "before.json"),
                             "--baseline-name", "before slanted moves"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| seed | Q matched accuracy | Q, before slanted moves | judge")
    assert lines[2] == "| 1 | 0.972 | 0.810 | 0.996 | style 1 (-0.87) | 10.2 |"
    assert lines[3] == "| 2 | 0.930 (below 0.95) | - | 0.950 | none (nearest -0.60) | 9.5 |"
    assert lines[-1].startswith("Before slanted moves: 1 seeds (1), 3,510 steps: Q matched "
                                "accuracy median 0.810, 0 of 1 seeds >= 0.95")
    for wrong in (["--table", "--baseline", str(tmp_path / "missing.json")],  # a typo: say so
                  ["--baseline", str(tmp_path / "before.json")]):  # without --table: say so
        with pytest.raises(SystemExit):
            seeds.main(["--json", str(tmp_path / "seeds.json"), *wrong])
        assert "--baseline needs --table and an existing file" in capsys.readouterr().err


def test_seeds_and_ablation_refuse_results_of_other_settings(tmp_path):
    """Rows measured with another recipe are not counted as done for today's (one clear line)."""
    seeds_json = tmp_path / "seeds.json"
    seeds_json.write_text(json.dumps([{"seed": 1, "steps": 2, "q_matched_acc": 0.5,
                                       "settings": {"move_slant": 0.0}}]))
    with pytest.raises(ValueError, match=r"seeds \[1\] were measured with other settings"):
        seeds.run([1, 2], 2, tmp_path / "runs", seeds_json)
    # a row written before a knob that kept the recipe (category_warmup_steps, default 0) is done
    today = dataclasses.asdict(InfoGANConfig())
    del today["category_warmup_steps"]
    row = {"seed": 1, "steps": 2, "q_matched_acc": 0.5, "settings": today}
    seeds_json.write_text(json.dumps([row]))
    assert seeds.run([1], 2, tmp_path / "runs", seeds_json) == [row]  # nothing trained
    ablation_json = tmp_path / "ablation.json"
    stale = dataclasses.asdict(dataclasses.replace(InfoGANConfig(), move_slant=0.0))
    ablation_json.write_text(json.dumps({
        "command": "", "date": "", "machine": {}, "steps": 2, "data": "bundled",
        "test_data": "bundled", "recipes": {"q_alone": {"name": "", "changes": {}, "config": stale}},
        "rows": [{"recipe": "q_alone", "seed": 1, "steps": 2}], "invocations": []}))
    with pytest.raises(ValueError, match=r"rows \['q_alone'\] were measured with other settings"):
        ablation.run(["q_alone"], [1, 2], 2, tmp_path / "runs", ablation_json)


class MixedShearStub:
    """Three categories of bars whose lean follows code 1 + code 2 and, bent, code 1 - code 2:
    along either code alone the bar leans one way and then back; along their mix, steadily."""

    num_categories, num_styles, noise_dim, style_range = 3, 2, 4, 1.0

    def generate(self, labels, styles, noise):
        along, across = styles[:, 0] + styles[:, 1], styles[:, 0] - styles[:, 1]
        shears = 0.2 * along + 1.0 * across ** 2 + 0.01 * noise[:, 0]
        return np.stack([sheared_bar(float(s)) for s in shears])


def test_a_slant_along_a_mix_of_the_codes_is_found_in_their_plane():
    stub = MixedShearStub()
    codes = gu.evaluation.name_style_codes(stub, draws=5)
    assert [c.name for c in codes] == ["style 1", "style 2"]
    assert max(abs(c.all_rho["slant"]) for c in codes) < 0.5  # each code bends the lean back
    angle, rho = seeds.best_style_direction(stub, angles=8, draws=5)
    assert angle == 45.0 and rho > 0.9
    # 0 degrees is code 1 itself, swept exactly as name_style_codes sweeps it (the tie with
    # code 2 at 90 degrees keeps the first)
    assert seeds.best_style_direction(stub, angles=2, draws=5) == (
        0.0, codes[0].all_rho["slant"])
    with pytest.raises(ValueError, match="unknown property 'tilt'"):
        seeds.best_style_direction(stub, prop="tilt")
    with pytest.raises(ValueError, match="needs 2 style codes; the model has 1"):
        seeds.best_style_direction(SimpleNamespace(num_styles=1))
