"""research/curves.py: probes that leave training alone, the bars read from the curves, refusals."""

import json

import numpy as np
import pytest

import gan_utils as gu
from gan_utils.checkpoints import load
from gan_utils.judge import label_accuracy
from research import curves, curves_report


def _rows(model, values_by_seed, every=234):
    """Synthetic curve rows: values_by_seed[seed] is a list of point dicts, one per probe."""
    return [{"model": model, "seed": seed, "steps": every * len(points), "every": every,
             "points": [{"step": every * (i + 1), "seconds": 30.0 * (i + 1), **p}
                        for i, p in enumerate(points)]}
            for seed, points in values_by_seed.items()]


def _infogan_point(q, judge=0.995, slant=0):
    return {"q_matched_acc": q, "judge_generated_acc": judge, "slant_code": slant,
            "slant_rho": 0.9 if slant is not None else None}


def test_the_shortest_budget_is_where_every_bar_holds_and_keeps_holding():
    # seed 2 dips below the 0.999 bar at the third probe: the bars hold only from the fourth on
    acgan = _rows("acgan", {1: [{"judge_generated_acc": v} for v in (0.98, 0.9995, 0.9999, 1.0)],
                            2: [{"judge_generated_acc": v} for v in (0.97, 0.9992, 0.9985, 0.9999)]})
    assert curves_report.shortest_budget("acgan", acgan) == 4 * 234
    assert not curves_report.meets_bars("acgan", curves_report.at_step(acgan, 3 * 234))
    assert curves_report.meets_bars("acgan", curves_report.at_step(acgan, 2 * 234))  # held there, lost after
    table = curves_report.curve_table("acgan", acgan)
    assert "| 702 | 1.5 | 0.9992 (0.9985-0.9999) | 1 of 2 | no |" in table


@pytest.mark.parametrize("change, holds", [
    ({}, True),
    ({3: _infogan_point(0.94)}, False),                         # one seed below 0.95
    ({k: _infogan_point(0.96) for k in (1, 2, 3, 4, 5, 6)}, False),  # median below 0.97
    ({k: _infogan_point(0.975, judge=0.98) for k in range(1, 7)}, False),  # judge median < 0.99
    ({k: _infogan_point(0.975, slant=None) for k in (1, 2, 3)}, False),  # slant on 7 of 10
    ({k: _infogan_point(0.975, slant=None) for k in (1, 2)}, True),      # slant on 8 of 10
])
def test_infogan_bars_are_the_ten_seed_tables(change, holds):
    points = {seed: _infogan_point(0.975) for seed in range(1, 11)} | change
    rows = _rows("infogan", {seed: [p] for seed, p in points.items()})
    assert curves_report.meets_bars("infogan", curves_report.at_step(rows, 234)) is holds


def test_a_q_only_probe_never_meets_the_infogan_bars():
    rows = _rows("infogan", {1: [{"q_matched_acc": 0.99}]})
    assert not curves_report.meets_bars("infogan", curves_report.at_step(rows, 234))
    assert "| 234 | 0.5 | 0.990 (0.990-0.990) | 1 of 1 | - | - | no |" in \
        curves_report.curve_table("infogan", rows)


def test_the_table_at_a_step_is_the_seeds_table_beside_a_baseline():
    rows = _rows("infogan", {1: [_infogan_point(0.96), _infogan_point(0.97)],
                             2: [_infogan_point(0.95), _infogan_point(0.98, slant=None)]})
    baseline = [{"seed": 1, "steps": 3510, "minutes": 11.3, "q_matched_acc": 0.9673,
                 "judge_generated_acc": 0.9967, "slant_code": 1, "slant_rho": -0.96}]
    text = curves_report.report({"rows": rows}, at=468, baseline=baseline, baseline_name="3,510 steps")
    assert "| 1 | 0.970 | 0.967 | 0.995 | style 1 (+0.90) | 1.0 |" in text
    assert "2 seeds (1, 2), 468 steps: Q matched accuracy median 0.975" in text
    assert "3,510 steps: 1 seeds (1), 3,510 steps" in text
    with pytest.raises(ValueError, match="no full probe"):
        curves_report.report({"rows": rows}, at=999)


def test_main_prints_nothing_trained_and_refuses_bad_input_in_one_line(tmp_path, capsys):
    empty = tmp_path / "curves.json"
    assert curves.main(["--table", "--json", str(empty)]) == 0
    assert capsys.readouterr().out.strip() == "no curves yet."
    assert curves.main(["--model", "acgan", "--every", "100", "--json", str(empty),
                        "--out", str(tmp_path)]) == 2
    assert "multiple of 78" in capsys.readouterr().err
    assert curves.main(["--model", "acgan", "--set", "move_slant=0.3", "--json", str(empty),
                        "--out", str(tmp_path)]) == 2
    assert "NAME one of noise_dim" in capsys.readouterr().err
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"rows": [{"model": "acgan", "seed": 1, "steps": 468,
                                           "every": 234, "settings": {"ema_momentum": 0.5},
                                           "points": []}]}))
    assert curves.main(["--model", "acgan", "--steps", "468", "--every", "234", "--json",
                        str(other), "--out", str(tmp_path)]) == 2
    assert "other settings" in capsys.readouterr().err


def test_the_acgan_probe_reads_the_average_and_leaves_training_alone():
    model = gu.ACGAN(noise_dim=8, ema_momentum=0.9)
    model.compile()
    digits = np.random.default_rng(0).integers(0, 256, (64, 28, 28), dtype=np.uint8)
    batches = gu.make_dataset(digits, np.arange(64) % 10, batch_size=32, seed=0)
    model.fit(batches, epochs=1, verbose=0)
    # fit put G's average in place; move G off it, as the next training step would
    model.generator.trainable_variables[0].assign_add(
        np.ones(model.generator.trainable_variables[0].shape, "float32"))
    before = [w.numpy().copy() for w in model.generator.trainable_variables]
    averages = [a.numpy().copy() for a in model.g_optimizer._model_variables_moving_average]
    assert any(not np.allclose(a, b) for a, b in zip(averages, before))
    seen = []
    probe = curves.acgan_quality(judge_samples=20)
    original = curves.label_accuracy
    try:
        curves.label_accuracy = lambda m, n, seed: seen.append(
            [w.numpy().copy() for w in m.generator.trainable_variables]) or 0.5
        assert probe(model) == {"judge_generated_acc": 0.5}
    finally:
        curves.label_accuracy = original
    for judged, average in zip(seen[0], averages):  # the judge read the moving average ...
        np.testing.assert_array_equal(judged, average)
    for now, then in zip(model.generator.trainable_variables, before):  # ... training goes on
        np.testing.assert_array_equal(now.numpy(), then)


@pytest.mark.slow
def test_a_probed_run_ends_on_the_numbers_its_checkpoint_gives(tmp_path):
    """Two epochs of the real ACGAN recipe, probed each epoch: the last probe is what the saved
    model (G's average in place, as fit leaves it) scores, and the run is the CLI's checkpoint."""
    json_path = tmp_path / "curves.json"
    rows = curves.run("acgan", [1], steps=156, every=78, out=tmp_path / "runs",
                      json_path=json_path, judge_samples=200, changes={"ema_momentum": 0.9})
    points = rows[0]["points"]
    assert [p["step"] for p in points] == [78, 156]
    assert points[0]["seconds"] < points[1]["seconds"]
    saved = load(tmp_path / "runs" / "acgan" / "seed1", expect=gu.ACGAN)
    assert saved.ema_momentum == 0.9
    assert points[-1]["judge_generated_acc"] == round(label_accuracy(saved, n=200, seed=0), 4)
    stored = json.loads(json_path.read_text())
    assert stored["rows"][0]["points"] == points and "machine" in stored
    # run again: the seed is in the file, nothing trains
    assert curves.run("acgan", [1], steps=156, every=78, out=tmp_path / "nowhere",
                      json_path=json_path, changes={"ema_momentum": 0.9}) == stored["rows"]
    assert not (tmp_path / "nowhere").exists()


def test_a_shadow_average_is_the_one_the_optimizer_keeps_at_that_momentum():
    """G's average does not feed back into training, so an average kept beside the optimizer's
    at momentum m is the one a run with ema_momentum=m saves, step for step."""
    model = gu.ACGAN(noise_dim=8, ema_momentum=0.9)
    model.compile()
    digits = np.random.default_rng(1).integers(0, 256, (96, 28, 28), dtype=np.uint8)
    shadows = curves.ShadowAverages((0.9, 0.5))
    model.fit(gu.make_dataset(digits, np.arange(96) % 10, batch_size=32, seed=0), epochs=2,
              verbose=0, callbacks=[shadows])
    # fit ended by putting the optimizer's average in G
    for shadow, kept in zip(shadows.averages[0.9], model.generator.trainable_variables):
        np.testing.assert_allclose(shadow.numpy(), kept.numpy(), rtol=1e-5, atol=1e-6)
    assert any(not np.allclose(a.numpy(), b.numpy())
               for a, b in zip(shadows.averages[0.5], shadows.averages[0.9]))
    with pytest.raises(ValueError, match="in \\(0, 1\\)"):
        curves.ShadowAverages((1.0,))


def test_acgan_curves_read_each_average_the_runs_kept():
    """A run of the 0.999 recipe that also kept G averaged at 0.995 answers for both momenta; a
    run of the 0.995 recipe answers for 0.995 with its own judge."""
    kept = {"settings": {"ema_momentum": 0.999}, "every": 234}
    rows = [kept | {"model": "acgan", "seed": 1, "points": [
                {"step": 234, "seconds": 30.0, "judge_generated_acc": 0.998,
                 "judge_by_momentum": {"0.995": 0.9991}},
                {"step": 468, "seconds": 60.0, "judge_generated_acc": 0.9993,
                 "judge_by_momentum": {"0.995": 0.9995}}]},
            {"model": "acgan", "seed": 2, "every": 234, "settings": {"ema_momentum": 0.995},
             "points": [{"step": 234, "seconds": 31.0, "judge_generated_acc": 0.9992}]}]
    assert curves_report.momenta(rows) == [0.999, 0.995]
    assert [p["judge_generated_acc"] for p in curves_report.at_step(rows, 234, 0.995)] == [0.9991, 0.9992]
    assert [p["judge_generated_acc"] for p in curves_report.at_step(rows, 234, 0.999)] == [0.998]
    assert curves_report.shortest_budget("acgan", rows, 0.995) == 234  # both seeds reached 234 only
    assert curves_report.shortest_budget("acgan", rows[:1], 0.999) == 468
    text = curves_report.report({"rows": rows})
    assert "G averaged at momentum 0.995" in text and "Every bar holds from 234 steps on." in text


@pytest.mark.slow
def test_an_infogan_probe_keeps_the_model_of_that_budget_for_the_seeds_tool(tmp_path):
    """At each full probe the InfoGAN (whose G is not averaged) is saved as a run of that many
    steps, so research.seeds --steps N measures it without training it again."""
    from gan_utils.configs import InfoGANConfig
    from research import runs

    rows = curves.run("infogan", [2], steps=156, every=78, out=tmp_path, json_path=tmp_path / "c.json",
                      judge_samples=100, full_from=156)
    assert "judge_generated_acc" not in rows[0]["points"][0]  # step 78: Q only, nothing kept
    assert not (tmp_path / "infogan" / "at78").exists()
    kept = tmp_path / "infogan" / "at156" / "seed2"
    record = runs.finished(kept, InfoGANConfig(), seed=2, steps=156, mode="full")
    assert record is not None and record["passes"] == 2.0
    assert record["seconds"] == rows[0]["points"][-1]["seconds"]
    model = load(kept, expect=gu.InfoGAN)
    final = load(tmp_path / "infogan" / "seed2", expect=gu.InfoGAN)
    for a, b in zip(model.generator.get_weights(), final.generator.get_weights()):
        np.testing.assert_array_equal(a, b)  # step 156 is the run's end: the same model


def test_the_figure_draws_both_recipes_with_their_bars(tmp_path):
    acgan = _rows("acgan", {1: [{"judge_generated_acc": 0.99, "judge_by_momentum": {"0.995": 0.995}},
                                {"judge_generated_acc": 0.9995,
                                 "judge_by_momentum": {"0.995": 0.999}}]})
    for row in acgan:
        row["settings"] = {"ema_momentum": 0.999}
    infogan = _rows("infogan", {1: [{"q_matched_acc": 0.95}, _infogan_point(0.97)]})
    path = tmp_path / "curves.png"
    curves_report.plot({"rows": acgan + infogan}, path)
    from PIL import Image
    with Image.open(path) as image:
        assert image.size == (1100, 400)
        pixels = np.asarray(image.convert("L"))
    assert (pixels < 128).mean() > 0.01  # lines and text, not a blank page
