"""research/runs.py: what the seeds and ablation tools share (files, seeds, settings, runs)."""

import dataclasses
import json

import pytest

import gan_utils as gu
import gan_utils.checkpoints
import gan_utils.cli
import gan_utils.data
from research import runs


def test_write_json_interrupted_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "rows.json"
    runs.write_json(path, [{"seed": 1}])

    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(runs.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        runs.write_json(path, [{"seed": 1}, {"seed": 2}])
    assert json.loads(path.read_text()) == [{"seed": 1}]
    assert [p.name for p in tmp_path.iterdir()] == ["rows.json"]  # no temporary file left


def test_parse_seeds_reads_ranges_and_lists():
    assert runs.parse_seeds(["1-3", "7,2", "3"]) == [1, 2, 3, 7]
    for bad in (["x"], ["3-1"], [""]):
        with pytest.raises(ValueError, match="seed"):
            runs.parse_seeds(bad)


def test_set_reads_each_setting_as_its_kind():
    """--set of research/seeds.py."""
    import argparse

    setting = runs.setting
    assert setting("category_warmup_steps=780") == ("category_warmup_steps", 780)
    assert setting("marginal_weight=2.5") == ("marginal_weight", 2.5)
    assert setting("use_bn=False") == ("use_bn", False)
    assert setting("neighbour_gradient=false") == ("neighbour_gradient", False)
    for bad, message in (("warmup=3", "NAME one of"), ("noise_dim=", "NAME one of"),
                         ("noise_dim=1.5", "noise_dim takes a whole number"),
                         ("use_bn=yes", "use_bn takes true or false")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            setting(bad)


def test_finished_run_of_a_config_saved_before_a_newer_knob_is_still_found(
        tmp_path, small, saved_without):
    """A run saved without category_warmup_steps (older code) is the same recipe: not retrained."""
    model = small()
    run = saved_without("category_warmup_steps", model, tmp_path / "run")
    assert runs.finished(run, model.config, 3, 9, "full")["seed"] == 3


def test_run_saved_before_slanted_moves_is_not_taken_for_todays_recipe(
        tmp_path, small, saved_without):
    """A checkpoint without move_slant was trained without slants: today's default must retrain."""
    model = small()
    run = saved_without("move_slant", model, tmp_path / "run")
    assert model.move_slant == 0.3 and runs.finished(run, model.config, 3, 9, "full") is None
    before = dataclasses.replace(model.config, move_slant=0.0)
    assert runs.finished(run, before, 3, 9, "full")["seed"] == 3
    assert gu.load(run).move_slant == 0.0
