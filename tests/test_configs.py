"""gan_utils.configs: each model's settings, checked once, and the InfoGAN paper's preset."""

import dataclasses
import json

import pytest

import gan_utils as gu
import gan_utils.checkpoints
import gan_utils.cli
import gan_utils.data
from gan_utils.configs import InfoGANConfig


def _rates(model) -> tuple[float, float]:
    return (float(model.d_optimizer.learning_rate), float(model.g_optimizer.learning_rate))


def test_paper_config_holds_the_papers_settings_and_our_additions_off():
    paper = InfoGANConfig.paper()
    assert (paper.noise_dim, paper.num_categories, paper.num_styles, paper.style_range) == \
        (62, 10, 2, 1.0)
    assert paper.category_weight == paper.style_weight == 1.0  # the authors' info_reg_coeff
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


def test_a_checkpoint_saved_before_the_rate_settings_loads_with_the_class_rates(
        tmp_path, small, saved_without):
    """(The shipped InfoGAN was such a checkpoint until it was retrained with slanted moves.)"""
    old = saved_without(("d_learning_rate", "g_learning_rate"), small(), tmp_path / "old")
    saved = json.loads((old / "config.json").read_text())["config"]
    assert "d_learning_rate" not in saved and "g_learning_rate" not in saved
    model = gu.load(old)
    assert model.config.d_learning_rate is None and model.config.g_learning_rate is None
    model.compile()
    assert _rates(model) == pytest.approx((4e-4, 1e-3))
