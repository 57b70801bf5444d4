"""The figures read without the prose: labelled axes, counts, colour bars, marked digits."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import gan_utils as gu


def test_show_grid_names_columns_and_frames_the_query_column():
    images = np.full((12, 28, 28), 200, np.uint8)
    fig = gu.plots.show_grid(images, nrows=2, col_labels=["digit", 1, 2, 3, 4, 5],
                             frame_column=0, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["digit", "1", "2", "3", "4", "5"]
    frame, = ax.patches
    assert frame.get_x() == pytest.approx(0.5) and frame.get_width() == pytest.approx(31)


def test_show_history_plots_against_the_optimizer_step_and_refuses_unknown_metrics():
    logs = {"d_loss": [1.0, 0.8, 0.7], "g_loss": [2.0, 1.5, 1.2]}
    fig = gu.plots.show_history(logs, 78, {"losses": ["d_loss", "g_loss"]},
                                lines={"losses": (0.5, "floor")})
    ax = fig.axes[0]
    d_line = ax.get_lines()[0]
    np.testing.assert_array_equal(d_line.get_xdata(), [78, 156, 234])
    assert ax.get_xlabel() == "optimizer step" and ax.get_title() == "losses"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["d_loss", "g_loss", "floor"]
    with pytest.raises(ValueError, match=r"no such metrics in the history: \['q_loss'\]"):
        gu.plots.show_history(logs, 78, {"q": ["q_loss"]})


def test_show_confusion_writes_each_count_and_has_a_colour_bar():
    confusion = np.array([[5, 0], [1, 4]])
    fig = gu.plots.show_confusion(confusion, {0: 1, 1: 0})
    learned, aligned, colour_bar, _ = fig.axes
    assert sorted(t.get_text() for t in learned.texts) == ["1", "4", "5"]  # zeros left blank
    assert colour_bar.get_ylabel() == "share of the row"
    assert [t.get_text() for t in aligned.get_yticklabels()] == ["cat 1", "cat 0"]
