"""The paper's InfoGAN preset, and tools/ablation.py and tools/seeds.py (with tools/runs.py):
tiny runs into a temporary folder, resumed, interrupted and refused."""

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import gan_utils as gu
import gan_utils.cli
from gan_utils.configs import InfoGANConfig

TOOLS = Path(__file__).parents[1] / "tools"
TINY = dict(steps=2, judge_samples=100)  # two optimizer steps; the judge reads 100 digits


@pytest.fixture(scope="module")
def tools(tool):
    """tools/runs.py, ablation.py, seeds.py and epoch_curve.py, imported as the scripts import each other."""
    return SimpleNamespace(**{name: tool(name)
                              for name in ("runs", "ablation", "seeds", "epoch_curve")})


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, digits, bundled) -> str:
    """An .npz of the 128 random bundled training digits and 200 held-out test digits."""
    x, y = digits
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    np.savez(path, x_train=x, y_train=y, x_test=bundled.x_test[:200], y_test=bundled.y_test[:200])
    return str(path)


def _fail(*args, **kwargs):
    raise AssertionError("trained again: the run should have been skipped")


def _rates(model) -> tuple[float, float]:
    return (float(model.d_optimizer.learning_rate), float(model.g_optimizer.learning_rate))


# --------------------------------------------------------------------------- the paper preset


def test_paper_config_holds_the_papers_settings_and_our_additions_off():
    paper = InfoGANConfig.paper()
    assert (paper.noise_dim, paper.num_categories, paper.num_styles, paper.style_range) == \
        (62, 10, 2, 1.0)
    assert paper.category_weight == 1.0 and paper.style_weight == 0.5  # smaller for continuous
    assert (paper.shared_dense, paper.q_hidden, paper.dropout) == (1024, 128, 0.0)
    assert paper.cluster_weight == paper.consistency_weight == paper.neighbour_weight == 0.0
    assert (paper.d_learning_rate, paper.g_learning_rate) == (2e-4, 1e-3)
    assert not paper.learn_style_std and paper.ema_momentum == 0.0
    assert InfoGANConfig.paper(noise_dim=16) == dataclasses.replace(paper, noise_dim=16)
    assert InfoGANConfig().d_learning_rate is None  # the default leaves the rates to the class
    for bad in (0.0, -1e-3, 1.5, "2e-4", True):
        with pytest.raises(ValueError, match="d_learning_rate must be a number > 0.0"):
            InfoGANConfig(d_learning_rate=bad)


def test_paper_model_compiles_with_its_rates_and_saves_and_loads_as_the_same_preset(tmp_path):
    model = gu.InfoGAN.paper()
    assert model.config == InfoGANConfig.paper()
    assert model.discriminator.get_layer("shared_dense").units == 1024
    assert model.discriminator.get_layer("q_hidden").units == 128
    model.compile()
    assert _rates(model) == pytest.approx((2e-4, 1e-3))
    model.save(tmp_path / "paper")
    assert json.loads((tmp_path / "paper" / "config.json").read_text())["config"][
        "d_learning_rate"] == 2e-4
    again = gu.load(tmp_path / "paper")
    assert again.config == InfoGANConfig.paper()
    again.compile()
    assert _rates(again) == pytest.approx((2e-4, 1e-3))
    again.compile(d_learning_rate=1e-3)  # a rate passed to compile still wins
    assert _rates(again) == pytest.approx((1e-3, 1e-3))
    default = gu.InfoGAN(noise_dim=8)
    default.compile()
    assert _rates(default) == pytest.approx((4e-4, 1e-3))  # InfoGAN.default_learning_rates


def test_a_checkpoint_saved_before_the_rate_settings_loads_with_the_class_rates(tmp_path, small):
    """(The shipped InfoGAN was such a checkpoint until it was retrained with slanted moves.)"""
    old = _saved_without(("d_learning_rate", "g_learning_rate"), small(), tmp_path / "old")
    saved = json.loads((old / "config.json").read_text())["config"]
    assert "d_learning_rate" not in saved and "g_learning_rate" not in saved
    model = gu.load(old)
    assert model.config.d_learning_rate is None and model.config.g_learning_rate is None
    model.compile()
    assert _rates(model) == pytest.approx((4e-4, 1e-3))


# --------------------------------------------------------------------------- the ablation


def test_each_ablation_row_changes_only_what_it_names_and_ends_at_the_default(tools):
    rows = list(tools.ablation.recipes().values())
    assert [r.key for r in rows] == ["paper", "noise16", "dq_net", "lr", "balance_consistency",
                                     "neighbours", "slant", "styles3", "q_alone"]
    assert rows[0].config == InfoGANConfig.paper()
    for before, after in zip(rows, rows[1:-1]):
        changed = {f.name for f in dataclasses.fields(InfoGANConfig)
                   if getattr(before.config, f.name) != getattr(after.config, f.name)}
        assert changed and changed <= set(after.changes), after.key
    assert rows[-2].config == InfoGANConfig() and rows[-1].config == InfoGANConfig()
    assert [r.gan for r in rows] == [True] * 8 + [False]
    assert rows[-3].config.num_styles == 2 and rows[-2].config.num_styles == 3  # the paper's 2


def test_ablation_labels_follow_the_ladder_when_a_row_is_renamed(tools, tmp_path, monkeypatch):
    """A row whose settings are unchanged but whose label changed (the default moved on) is
    relabelled in the file by the next run, even one that adds no row, so notebook 02's figure
    never shows a stale label."""
    ablation, json_path = tools.ablation, tmp_path / "ablation.json"
    trained = lambda config, out, seed, steps, *args: {"steps": steps, "seconds": 60.0}
    monkeypatch.setattr(ablation, "train_gan", trained)
    monkeypatch.setattr(ablation, "measure", lambda *args, judge, **kwargs: {
        "q_matched_acc": 0.9, "judge_generated_acc": 0.95})
    document = ablation.run(["slant"], [1], 2, tmp_path / "runs", json_path)
    document["recipes"]["slant"]["name"] = document["rows"][0]["name"] = "old label = default"
    json_path.write_text(json.dumps(document))
    ablation.run(["slant"], [1], 2, tmp_path / "runs", json_path)  # adds no row ...
    stored = json.loads(json_path.read_text())  # ... but the file is relabelled
    assert stored["recipes"]["slant"]["name"] == stored["rows"][0]["name"] == "+ slanted moves"
    document = ablation.run(["paper"], [1], 2, tmp_path / "runs", json_path)
    assert [r["name"] for r in document["rows"]] == ["+ slanted moves", "paper"]


def test_ablation_copies_a_run_that_tools_seeds_already_measured_instead_of_training_it(
        tools, tmp_path, monkeypatch):
    """The slant and default rows are the recipes tools/seeds.py trains: a seed already in its
    results (same recipe, seed and budget, bundled digits) is copied with where it came from."""
    ablation, json_path = tools.ablation, tmp_path / "ablation.json"
    ladder = ablation.recipes()
    seeds_file, two_codes_file = tmp_path / "seeds.json", tmp_path / "two.json"
    for path, key, q in ((seeds_file, "styles3", 0.97), (two_codes_file, "slant", 0.96)):
        path.write_text(json.dumps([{"seed": 4, "steps": 2, "minutes": 11.3, "q_matched_acc": q,
                                     "judge_generated_acc": 0.99, "slant_code": None,
                                     "slant_rho": None,
                                     "settings": dataclasses.asdict(ladder[key].config)}]))
    monkeypatch.setattr(ablation, "train_gan", _fail)
    monkeypatch.setattr(ablation, "measure", _fail)
    files = (seeds_file, two_codes_file)
    document = ablation.run(["slant", "styles3"], [4], 2, tmp_path / "runs", json_path,
                            seed_files=files)
    assert [(r["recipe"], r["q_matched_acc"], r["minutes"], r["from"]) for r in document["rows"]] \
        == [("slant", 0.96, 11.3, str(two_codes_file)), ("styles3", 0.97, 11.3, str(seeds_file))]
    assert json.loads(json_path.read_text()) == document and document["sessions"][0]["added"] == 2
    assert not (tmp_path / "runs").exists()
    # another seed, another budget or other digits are trained, not copied
    trained = []
    monkeypatch.setattr(ablation, "train_gan", lambda config, out, seed, steps, *args: (
        trained.append((seed, steps)) or {"steps": steps, "seconds": 60.0}))
    monkeypatch.setattr(ablation, "measure", lambda *args, judge, **kwargs: {
        "q_matched_acc": 0.5, "judge_generated_acc": 0.5})
    ablation.run(["styles3"], [5], 2, tmp_path / "runs", json_path, seed_files=files)
    ablation.run(["styles3"], [4], 3, tmp_path / "runs", tmp_path / "other.json", seed_files=files)
    ablation.run(["styles3"], [4], 2, tmp_path / "runs", tmp_path / "mnist.json", data="mnist",
                 seed_files=files)
    assert trained == [(5, 2), (4, 3), (4, 2)]
    with pytest.raises(ValueError, match="not a tools/seeds.py results file"):
        ablation.run(["styles3"], [6], 2, tmp_path / "runs", tmp_path / "x.json",
                     seed_files=(json_path,))


def test_ablation_appends_each_row_at_once_and_resumes_without_retraining(
        tools, tiny_data, tmp_path, monkeypatch, capsys):
    ablation, json_path, out = tools.ablation, tmp_path / "ablation.json", tmp_path / "runs"
    run = dict(seeds=[1], out=out, json_path=json_path, data=tiny_data, test_data=tiny_data,
               command="test", **TINY)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the run is killed while training Q alone

    monkeypatch.setattr(ablation, "train_q_alone", killed)
    with pytest.raises(KeyboardInterrupt):
        ablation.run(["paper", "q_alone"], **run)
    document = json.loads(json_path.read_text())  # valid, and holds the row finished before
    assert [(r["recipe"], r["seed"]) for r in document["rows"]] == [("paper", 1)]
    assert {"command", "date", "machine"} <= set(document) and document["machine"]["cpu_count"]
    row = document["rows"][0]
    assert {"recipe", "seed", "steps", "minutes", "q_matched_acc",
            "judge_generated_acc"} <= set(row)
    assert row["steps"] == 2 and row["minutes"] >= 0
    assert 0.1 <= row["q_matched_acc"] <= 1 and 0 <= row["judge_generated_acc"] <= 1
    trained = gu.load(out / "paper" / "seed1")  # the preset went through cli.train whole
    assert trained.config == InfoGANConfig.paper()
    assert document["recipes"]["paper"]["config"] == dataclasses.asdict(InfoGANConfig.paper())

    monkeypatch.undo()
    monkeypatch.setattr(gan_utils.cli, "train", _fail)  # paper seed 1 must not be trained again
    document = ablation.run(["paper", "q_alone"], **run)
    assert [(r["recipe"], r["seed"]) for r in document["rows"]] == [("paper", 1), ("q_alone", 1)]
    q_alone = document["rows"][1]
    assert q_alone["judge_generated_acc"] is None and q_alone["steps"] == 2
    assert 0.1 <= q_alone["q_matched_acc"] <= 1
    assert gu.load(out / "q_alone" / "seed1").checkpoint_meta["training"]["mode"] == "q_alone"
    assert len(document["sessions"]) == 2

    before = json_path.read_bytes()
    monkeypatch.setattr(ablation, "train_q_alone", _fail)
    ablation.run(["paper", "q_alone"], **run)
    assert json_path.read_bytes() == before  # nothing new: the file is not even rewritten

    # killed after training but before its row was written: measured again, not retrained
    document["rows"] = document["rows"][:1]
    json_path.write_text(json.dumps(document))
    monkeypatch.setattr(ablation, "train_q_alone", tools.runs.train_q_alone)
    document = ablation.run(["q_alone"], **run)
    assert [r["recipe"] for r in document["rows"]] == ["paper", "q_alone"]
    assert "already trained" in capsys.readouterr().out
    assert "| paper | 1 |" in ablation.table(document)


def test_ablation_keeps_the_ladders_order_and_prints_its_table(tools, tmp_path, monkeypatch,
                                                                capsys):
    ablation, json_path = tools.ablation, tmp_path / "ablation.json"
    trained = lambda config, out, seed, steps, *args: {"steps": steps, "seconds": 60.0}
    monkeypatch.setattr(ablation, "train_gan", trained)
    monkeypatch.setattr(ablation, "train_q_alone", trained)
    monkeypatch.setattr(ablation, "measure", lambda folder, *args, judge, **kwargs: {
        "q_matched_acc": (0.96 if folder.name == "seed1" else 0.9) if judge else 0.8,
        "judge_generated_acc": 0.95 if judge else None})
    document = ablation.run(["q_alone", "paper"], [1, 2], 2, tmp_path / "runs", json_path)
    assert list(document["recipes"]) == ["paper", "q_alone"]  # as the ladder, not as asked
    assert [r["recipe"] for r in document["rows"]] == ["q_alone", "q_alone", "paper", "paper"]
    capsys.readouterr()
    assert ablation.main(["--table", "--json", str(json_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| row | seeds | Q matched (median, min-max) | seeds below 0.95 |")
    assert lines[2] == "| paper | 2 | 0.930 (0.900-0.960) | 1 of 2 | 0.950 | 1.0 |"
    assert lines[3].startswith("| Q alone") and lines[3].endswith(
        "| 2 | 0.800 (0.800-0.800) | 2 of 2 | - | 1.0 |")
    assert ablation.main(["--table", "--json", str(tmp_path / "none.json")]) == 2
    assert "no results in" in capsys.readouterr().err
    # a row no longer in the ladder keeps its settings, after the ladder's rows
    document["recipes"]["retired"] = {"name": "a row since dropped", "config": {}}
    json_path.write_text(json.dumps(document))
    document = ablation.run(["paper"], [3], 2, tmp_path / "runs", json_path)
    assert list(document["recipes"]) == ["paper", "q_alone", "retired"]


def test_ablation_refuses_another_budget_in_the_same_file_and_unknown_rows(
        tools, tmp_path, capsys):
    json_path = tmp_path / "ablation.json"
    json_path.write_text(json.dumps({"rows": [{"recipe": "paper", "seed": 1, "steps": 2}],
                                     "data": "bundled", "test_data": "bundled"}))
    assert tools.ablation.main(["--json", str(json_path), "--steps", "3"]) == 2
    assert "holds runs of [2] steps, not 3" in capsys.readouterr().err
    assert tools.ablation.main(["--json", str(json_path), "--rows", "paper", "nope"]) == 2
    assert "unknown rows ['nope']" in capsys.readouterr().err


def test_write_json_interrupted_leaves_the_previous_file_whole(tools, tmp_path, monkeypatch):
    path = tmp_path / "rows.json"
    tools.runs.write_json(path, [{"seed": 1}])

    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(tools.runs.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        tools.runs.write_json(path, [{"seed": 1}, {"seed": 2}])
    assert json.loads(path.read_text()) == [{"seed": 1}]
    assert [p.name for p in tmp_path.iterdir()] == ["rows.json"]  # no temporary file left


def test_parse_seeds_reads_ranges_and_lists(tools):
    assert tools.runs.parse_seeds(["1-3", "7,2", "3"]) == [1, 2, 3, 7]
    for bad in (["x"], ["3-1"], [""]):
        with pytest.raises(ValueError, match="seed"):
            tools.runs.parse_seeds(bad)


# --------------------------------------------------------------------------- seeds


def test_seeds_writes_one_object_per_seed_and_skips_seeds_already_there(
        tools, tiny_data, tmp_path, monkeypatch):
    json_path = tmp_path / "seeds.json"
    run = dict(steps=2, out=tmp_path / "runs", json_path=json_path, data=tiny_data,
               test_data=tiny_data, judge_samples=100)
    rows = tools.seeds.run([1], **run)
    assert json.loads(json_path.read_text()) == rows
    assert [set(r) for r in rows] == [set(tools.seeds.KEYS)] and rows[0]["seed"] == 1
    assert rows[0]["steps"] == 2 and 0.1 <= rows[0]["q_matched_acc"] <= 1
    assert rows[0]["slant_code"] in (None, *range(InfoGANConfig().num_styles))
    assert gu.load(tmp_path / "runs" / "seed1").config == InfoGANConfig()  # the default recipe
    before = json_path.read_bytes()
    monkeypatch.setattr(gan_utils.cli, "train", _fail)
    assert tools.seeds.run([1], **run) == rows
    assert json_path.read_bytes() == before
    assert "1 seeds (1), 2 steps" in tools.seeds.summary(rows)
    # the ablation's default row is the same run: measured from the seeds' checkpoint, not retrained
    document = tools.ablation.run(["styles3"], [1], 2, tmp_path / "ablation",
                                  tmp_path / "ablation.json", tiny_data, tiny_data,
                                  judge_samples=100, default_runs=tmp_path / "runs")
    assert [(r["recipe"], r["seed"]) for r in document["rows"]] == [("styles3", 1)]
    assert document["rows"][0]["q_matched_acc"] == rows[0]["q_matched_acc"]
    assert not (tmp_path / "ablation").exists()
    # --splits reads each seed's run: one line per seed, what it splits or that it splits nothing
    report = tools.seeds.splits([1], tmp_path / "runs", tiny_data)
    assert report.startswith("seed 1: ") and ("no digit split" in report or " AUC " in report)
    assert tools.seeds.main(["--splits", "--seeds", "2", "--out", str(tmp_path / "runs")]) == 2
    # --directions: the slant code, and the mix of the two codes that slants most
    report = tools.seeds.directions([1], tmp_path / "runs")
    assert report.startswith("seed 1: ") and "the plane of codes 1 and 2 slants most at " in report
    assert tools.seeds.main(["--directions", "--seeds", "2", "--out", str(tmp_path / "runs")]) == 2


def test_seeds_measures_a_candidate_recipe_apart_from_the_default(tools, tiny_data, tmp_path,
                                                                   capsys):
    """--set: the default with a setting changed, trained and recorded as such, in its own files."""
    json_path = tmp_path / "candidate.json"
    run = dict(steps=2, out=tmp_path / "runs", json_path=json_path, data=tiny_data,
               test_data=tiny_data, judge_samples=100)
    candidate = {"neighbour_gradient": False, "pair_share": 0.5}
    rows = tools.seeds.run([1], changes=candidate, **run)
    assert rows[0]["settings"]["neighbour_gradient"] is False
    assert rows[0]["settings"]["pair_share"] == 0.5 and rows[0]["steps"] == 2
    assert gu.load(tmp_path / "runs" / "seed1").config == InfoGANConfig(**candidate)
    with pytest.raises(ValueError, match=r"seeds \[1\] were measured with other settings than "
                                         "the default recipe"):
        tools.seeds.run([2], **run)  # the default recipe is not appended to a candidate's file
    for where in (["--json", str(json_path)], ["--out", str(tmp_path / "runs")]):
        assert tools.seeds.main(["--set", "style_weight=1", *where]) == 2
        assert "needs its own --out and --json" in capsys.readouterr().err
    assert tools.seeds.main(["--set", "style_weight=-1", "--out", str(tmp_path / "runs"),
                             "--json", str(json_path)]) == 2
    assert "style_weight must be a number >= 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # --set trains; with --table it would be silently ignored
        tools.seeds.main(["--table", "--set", "pair_share=0.5"])
    assert "--set trains a candidate recipe" in capsys.readouterr().err


def test_seeds_summary_and_slant_naming(tools):
    code = lambda i, name, prop, rho: SimpleNamespace(index=i, name=name, property=prop, rho=rho)
    assert tools.seeds.slant([code(0, "style 1", "width", 0.3),
                              code(1, "slant", "slant", -0.9)]) == (1, -0.9)
    assert tools.seeds.slant([code(0, "style 1", "slant", 0.5),
                              code(1, "style 2", "slant", -0.7)]) == (None, -0.7)  # a near miss
    assert tools.seeds.slant([code(0, "style 1", "width", 0.5)]) == (None, None)
    rows = [{"seed": s, "steps": 3510, "minutes": 10.0, "q_matched_acc": q,
             "judge_generated_acc": j, "slant_code": c, "slant_rho": None}
            for s, q, j, c in [(1, 0.97, 0.98, 0), (2, 0.93, 0.90, None), (3, 0.96, 0.99, 1)]]
    text = tools.seeds.summary(rows)
    assert "median 0.960, 2 of 3 seeds >= 0.95" in text
    assert "judge on generated digits median 0.980" in text and "2 of 3 seeds name a slant" in text


def test_seeds_table_marks_failures_and_trains_nothing(tools, tmp_path, monkeypatch, capsys):
    rows = [{"seed": 2, "steps": 3510, "minutes": 9.5, "q_matched_acc": 0.93,
             "judge_generated_acc": 0.95, "slant_code": None, "slant_rho": -0.6},
            {"seed": 1, "steps": 3510, "minutes": 10.2, "q_matched_acc": 0.972,
             "judge_generated_acc": 0.996, "slant_code": 0, "slant_rho": -0.87}]
    (tmp_path / "seeds.json").write_text(json.dumps(rows))
    monkeypatch.setattr(gan_utils.cli, "train", _fail)
    assert tools.seeds.main(["--table", "--json", str(tmp_path / "seeds.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "| 1 | 0.972 | 0.996 | style 1 (-0.87) | 10.2 |"
    assert lines[3] == "| 2 | 0.930 (below 0.95) | 0.950 | none (nearest -0.60) | 9.5 |"
    assert "1 of 2 seeds >= 0.95" in lines[-1] and "1 of 2 seeds name a slant code" in lines[-1]
    # beside another recipe's seeds: its Q per seed in a column, its summary under today's
    (tmp_path / "before.json").write_text(json.dumps([{**rows[1], "q_matched_acc": 0.81}]))
    assert tools.seeds.main(["--table", "--json", str(tmp_path / "seeds.json"),
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
            tools.seeds.main(["--json", str(tmp_path / "seeds.json"), *wrong])
        assert "--baseline needs --table and an existing file" in capsys.readouterr().err


def test_set_reads_each_setting_as_its_kind(tools):
    """--set of tools/epoch_curve.py and tools/seeds.py."""
    import argparse

    setting = tools.runs.setting
    assert setting("category_warmup_steps=780") == ("category_warmup_steps", 780)
    assert setting("marginal_weight=2.5") == ("marginal_weight", 2.5)
    assert setting("use_bn=False") == ("use_bn", False)
    assert setting("neighbour_gradient=false") == ("neighbour_gradient", False)
    for bad, message in (("warmup=3", "NAME one of"), ("noise_dim=", "NAME one of"),
                         ("noise_dim=1.5", "noise_dim takes a whole number"),
                         ("use_bn=yes", "use_bn takes true or false")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            setting(bad)


def _saved_without(knobs: str | tuple[str, ...], model, folder: Path) -> Path:
    """model saved as a finished run (seed 3, 9 steps) by code that predates `knobs`."""
    model.save(folder, extra={"training": {"seed": 3, "steps": 9, "mode": "full", "seconds": 1.0}})
    meta = json.loads((folder / "config.json").read_text())
    for knob in (knobs,) if isinstance(knobs, str) else knobs:
        del meta["config"][knob]
    (folder / "config.json").write_text(json.dumps(meta))
    return folder


def test_finished_run_of_a_config_saved_before_a_newer_knob_is_still_found(tools, tmp_path, small):
    """A run saved without category_warmup_steps (older code) is the same recipe: not retrained."""
    model = small()
    run = _saved_without("category_warmup_steps", model, tmp_path / "run")
    assert tools.runs.finished(run, model.config, 3, 9, "full")["seed"] == 3


def test_run_saved_before_slanted_moves_is_not_taken_for_todays_recipe(tools, tmp_path, small):
    """A checkpoint without move_slant was trained without slants: today's default must retrain."""
    model = small()
    run = _saved_without("move_slant", model, tmp_path / "run")
    assert model.move_slant == 0.3 and tools.runs.finished(run, model.config, 3, 9, "full") is None
    before = dataclasses.replace(model.config, move_slant=0.0)
    assert tools.runs.finished(run, before, 3, 9, "full")["seed"] == 3
    assert gu.load(run).move_slant == 0.0


def test_seeds_and_ablation_refuse_results_of_other_settings(tools, tmp_path):
    """Rows measured with another recipe are not counted as done for today's (one clear line)."""
    seeds_json = tmp_path / "seeds.json"
    seeds_json.write_text(json.dumps([{"seed": 1, "steps": 2, "q_matched_acc": 0.5,
                                       "settings": {"move_slant": 0.0}}]))
    with pytest.raises(ValueError, match=r"seeds \[1\] were measured with other settings"):
        tools.seeds.run([1, 2], 2, tmp_path / "runs", seeds_json)
    # a row written before a knob that kept the recipe (category_warmup_steps, default 0) is done
    today = dataclasses.asdict(InfoGANConfig())
    del today["category_warmup_steps"]
    row = {"seed": 1, "steps": 2, "q_matched_acc": 0.5, "settings": today}
    seeds_json.write_text(json.dumps([row]))
    assert tools.seeds.run([1], 2, tmp_path / "runs", seeds_json) == [row]  # nothing trained
    ablation_json = tmp_path / "ablation.json"
    stale = dataclasses.asdict(dataclasses.replace(InfoGANConfig(), move_slant=0.0))
    ablation_json.write_text(json.dumps({
        "command": "", "date": "", "machine": {}, "steps": 2, "data": "bundled",
        "test_data": "bundled", "recipes": {"q_alone": {"name": "", "changes": {}, "config": stale}},
        "rows": [{"recipe": "q_alone", "seed": 1, "steps": 2}], "sessions": []}))
    with pytest.raises(ValueError, match=r"rows \['q_alone'\] were measured with other settings"):
        tools.ablation.run(["q_alone"], [1, 2], 2, tmp_path / "runs", ablation_json)


def test_the_readmes_tables_are_the_tools_tables_of_the_committed_files(tools):
    """The README's seeds and ablation tables are what `--table` prints from docs/, row for row."""
    root = TOOLS.parent
    readme = (root / "README.md").read_text()

    def stored(name):
        return json.loads((root / "docs" / name).read_text())  # a missing file is an error here

    ablation = tools.ablation.table(stored("ablation.json"))
    assert ablation.count("\n") == 1 + len(tools.ablation.recipes())  # header, rule, every row
    assert ablation + "\n\n" in readme, \
        "README's ablation table differs from `python tools/ablation.py --table`"
    seeds = tools.seeds.table(stored("seeds.json"), stored("seeds_two_codes.json"),
                              "two style codes")
    rows = seeds.split("\n\n")[0]  # the table; the README words the summary lines itself
    assert rows.count("\n") == 11 and rows + "\n\n" in readme, \
        "README's seeds table differs from `python tools/seeds.py --table --baseline ...`"


def test_the_readme_and_notebook_02_list_the_same_differences_from_the_paper():
    """The paper preset's remaining differences are one table, shown in both places word for word."""
    root = TOOLS.parent
    cells = json.loads((root / "notebooks" / "02_infogan.ipynb").read_text())["cells"]
    header = "| | paper (or its code) | `paper()` |"
    [notebook] = ["".join(c["source"]) for c in cells if header in "".join(c["source"])]
    table = notebook[notebook.index(header):].split("\n\n")[0].strip()
    assert table.count("\n") == 9  # header, rule and eight differences
    assert table + "\n\n" in (root / "README.md").read_text()
