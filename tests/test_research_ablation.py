"""research/ablation.py: tiny runs into a temporary folder, resumed, copied and refused."""

import dataclasses
import json

import pytest

import gan_utils as gu
import gan_utils.checkpoints
import gan_utils.cli
import gan_utils.data
import gan_utils.training
from gan_utils.configs import PAPER_BUDGET, InfoGANConfig
from research import ablation, runs

TINY = dict(steps=2, judge_samples=100)  # two optimizer steps; the judge reads 100 digits


def _fail(*args, **kwargs):
    raise AssertionError("trained again: the run should have been skipped")


def test_each_ablation_row_changes_only_what_it_names_and_ends_at_the_default():
    rows = list(ablation.recipes().values())
    assert [r.key for r in rows] == ["paper_published", "paper", "noise16", "dq_net", "lr",
                                     "balance_consistency", "neighbours", "slant", "styles3",
                                     "q_alone"]
    assert rows[0].config == InfoGANConfig.paper() and rows[0].budget == PAPER_BUDGET
    assert rows[0].steps(3510) == 5000 and rows[0].batch_size == 128
    assert rows[1].steps(3510) == 3510 and rows[1].batch_size == 64 and rows[1].budget is None
    # the bridge: the preset as it was before it became the paper's model
    assert rows[1].config == InfoGANConfig(
        noise_dim=62, num_styles=2, style_weight=0.5, shared_dense=1024, dropout=0.0,
        cluster_weight=0.0, consistency_weight=0.0, neighbour_weight=0.0, move_slant=0.0,
        d_learning_rate=2e-4, g_learning_rate=1e-3)
    rows = rows[1:]
    for before, after in zip(rows, rows[1:-1]):
        changed = {f.name for f in dataclasses.fields(InfoGANConfig)
                   if getattr(before.config, f.name) != getattr(after.config, f.name)}
        assert changed and changed <= set(after.changes), after.key
    assert rows[-2].config == InfoGANConfig() and rows[-1].config == InfoGANConfig()
    assert [r.gan for r in rows] == [True] * 8 + [False]
    assert rows[-3].config.num_styles == 2 and rows[-2].config.num_styles == 3  # the paper's 2


def test_ablation_labels_follow_the_ladder_when_a_row_is_renamed(tmp_path, monkeypatch):
    """A row whose settings are unchanged but whose label changed (the default moved on) is
    relabelled in the file by the next run, even one that adds no row, so notebook 02's figure
    never shows a stale label."""
    json_path = tmp_path / "ablation.json"
    trained = lambda config, out, seed, steps, *args, **kwargs: {"steps": steps, "seconds": 60.0}
    monkeypatch.setattr(ablation, "train_gan", trained)
    monkeypatch.setattr(ablation, "measure", lambda *args, judge, **kwargs: {
        "q_matched_acc": 0.9, "judge_generated_acc": 0.95})
    document = ablation.run(["slant"], [1], 2, tmp_path / "runs", json_path)
    document["recipes"]["slant"]["name"] = document["rows"][0]["name"] = "old label = default"
    json_path.write_text(json.dumps(document))
    ablation.run(["slant"], [1], 2, tmp_path / "runs", json_path)  # adds no row ...
    stored = json.loads(json_path.read_text())  # ... but the file is relabelled
    assert stored["recipes"]["slant"]["name"] == stored["rows"][0]["name"] == "+ slanted augmentation"
    document = ablation.run(["paper"], [1], 2, tmp_path / "runs", json_path)
    assert [r["name"] for r in document["rows"]] == ["+ slanted augmentation",
                                                     ablation.recipes()["paper"].name]


def test_ablation_copies_a_run_that_the_seeds_tool_already_measured_instead_of_training_it(
        tmp_path, monkeypatch):
    """The slant and default rows are the recipes research/seeds.py trains: a seed already in its
    results (same recipe, seed and budget, bundled digits) is copied with where it came from."""
    json_path = tmp_path / "ablation.json"
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
    assert json.loads(json_path.read_text()) == document and document["invocations"][0]["added"] == 2
    assert not (tmp_path / "runs").exists()
    # another seed, another budget or other digits are trained, not copied
    trained = []
    monkeypatch.setattr(ablation, "train_gan", lambda config, out, seed, steps, *args, **kwargs: (
        trained.append((seed, steps)) or {"steps": steps, "seconds": 60.0}))
    monkeypatch.setattr(ablation, "measure", lambda *args, judge, **kwargs: {
        "q_matched_acc": 0.5, "judge_generated_acc": 0.5})
    ablation.run(["styles3"], [5], 2, tmp_path / "runs", json_path, seed_files=files)
    ablation.run(["styles3"], [4], 3, tmp_path / "runs", tmp_path / "other.json", seed_files=files)
    ablation.run(["styles3"], [4], 2, tmp_path / "runs", tmp_path / "mnist.json", data="mnist",
                 seed_files=files)
    assert trained == [(5, 2), (4, 3), (4, 2)]
    with pytest.raises(ValueError, match="not a research/seeds.py results file"):
        ablation.run(["styles3"], [6], 2, tmp_path / "runs", tmp_path / "x.json",
                     seed_files=(json_path,))


@pytest.mark.slow
def test_ablation_appends_each_row_at_once_and_resumes_without_retraining(
        tiny_data, tmp_path, monkeypatch, capsys):
    json_path, out = tmp_path / "ablation.json", tmp_path / "runs"
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
    trained = gu.load(out / "paper" / "seed1")  # the bridge row went through training whole
    bridge = ablation.recipes()["paper"].config
    assert trained.config == bridge
    assert document["recipes"]["paper"]["config"] == dataclasses.asdict(bridge)

    monkeypatch.undo()
    monkeypatch.setattr(gan_utils.training, "train", _fail)  # paper seed 1 must not be trained again
    document = ablation.run(["paper", "q_alone"], **run)
    assert [(r["recipe"], r["seed"]) for r in document["rows"]] == [("paper", 1), ("q_alone", 1)]
    q_alone = document["rows"][1]
    assert q_alone["judge_generated_acc"] is None and q_alone["steps"] == 2
    assert 0.1 <= q_alone["q_matched_acc"] <= 1
    assert gu.load(out / "q_alone" / "seed1").checkpoint_meta["training"]["mode"] == "q_alone"
    assert len(document["invocations"]) == 2

    before = json_path.read_bytes()
    monkeypatch.setattr(ablation, "train_q_alone", _fail)
    ablation.run(["paper", "q_alone"], **run)
    assert json_path.read_bytes() == before  # nothing new: the file is not even rewritten

    # killed after training but before its row was written: measured again, not retrained
    document["rows"] = document["rows"][:1]
    json_path.write_text(json.dumps(document))
    monkeypatch.setattr(ablation, "train_q_alone", runs.train_q_alone)
    document = ablation.run(["q_alone"], **run)
    assert [r["recipe"] for r in document["rows"]] == ["paper", "q_alone"]
    assert "already trained" in capsys.readouterr().out
    assert f"| {ablation.recipes()['paper'].name} | 1 |" in ablation.table(document)


def test_ablation_keeps_the_ladders_order_and_prints_its_table(tmp_path, monkeypatch,
                                                                capsys):
    json_path = tmp_path / "ablation.json"
    trained = lambda config, out, seed, steps, *args, **kwargs: {"steps": steps, "seconds": 60.0}
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
    assert lines[2] == (f"| {ablation.recipes()['paper'].name} | 2 | 0.930 (0.900-0.960) "
                        "| 1 of 2 | 0.950 | 1.0 |")
    assert lines[3].startswith("| Q alone") and lines[3].endswith(
        "| 2 | 0.800 (0.800-0.800) | 2 of 2 | - | 1.0 |")
    assert ablation.main(["--table", "--json", str(tmp_path / "none.json")]) == 2
    assert "no results in" in capsys.readouterr().err
    # a row no longer in the ladder keeps its settings, after the ladder's rows
    document["recipes"]["retired"] = {"name": "a row since dropped", "config": {}}
    json_path.write_text(json.dumps(document))
    document = ablation.run(["paper"], [3], 2, tmp_path / "runs", json_path)
    assert list(document["recipes"]) == ["paper", "q_alone", "retired"]


def test_ablation_refuses_another_budget_in_the_same_file_and_unknown_rows(tmp_path, capsys):
    json_path = tmp_path / "ablation.json"
    json_path.write_text(json.dumps({"rows": [{"recipe": "paper", "seed": 1, "steps": 2}],
                                     "data": "bundled", "test_data": "bundled"}))
    assert ablation.main(["--json", str(json_path), "--steps", "3"]) == 2
    assert "holds runs of [2] steps, not 3" in capsys.readouterr().err
    assert ablation.main(["--json", str(json_path), "--rows", "paper", "nope"]) == 2
    assert "unknown rows ['nope']" in capsys.readouterr().err


def test_the_paper_published_row_trains_at_the_papers_budget_beside_the_others(tmp_path,
                                                                               monkeypatch):
    """paper_published: batch 128 x 5,000 steps whatever --steps says, in the same file as rows
    of --steps at batch 64, its style codes stored per category."""
    trained = []

    def fake_train(config, out, seed, steps, *args, batch_size=64, **kwargs):
        trained.append((config, steps, batch_size))
        return {"steps": steps, "seconds": 60.0, "batch_size": batch_size}

    code = gu.evaluation.StyleCode(0, "slant", "slant", 0.91234, {"slant": 0.91234},
                                   [0.9] * 10, 10)
    monkeypatch.setattr(ablation, "train_gan", fake_train)
    monkeypatch.setattr(ablation, "measure", lambda *args, judge, styles, **kwargs: {
        "q_matched_acc": 0.5, "judge_generated_acc": 0.6, **({"styles": [code]} if styles else {})})
    json_path = tmp_path / "ablation.json"
    document = ablation.run(["paper_published", "paper"], [1], 2, tmp_path / "runs", json_path)
    assert [(c == InfoGANConfig.paper(), steps, batch) for c, steps, batch in trained] == \
        [(True, 5000, 128), (False, 2, 64)]
    assert [(r["recipe"], r["steps"], r["batch_size"]) for r in document["rows"]] == \
        [("paper_published", 5000, 128), ("paper", 2, 64)]
    assert document["rows"][0]["styles"] == [{"index": 0, "name": "slant", "property": "slant",
                                              "rho": 0.912, "categories_agreeing": 10,
                                              "rho_per_category": [0.9] * 10}]
    assert json.loads(json_path.read_text()) == document
    lines = ablation.table(document).splitlines()
    assert lines[2].startswith("| paper as published (batch 128, 5,000 steps) | 1 | 0.500")
    ablation.run(["paper"], [2], 2, tmp_path / "runs", json_path)  # the budgets do not clash
    with pytest.raises(ValueError, match="holds runs of \\[2\\] steps, not 3"):
        ablation.run(["paper"], [3], 3, tmp_path / "runs", json_path)
