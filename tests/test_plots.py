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


def test_labelled_frame_keeps_the_grid_and_adds_row_names_and_a_caption():
    grid = gu.plots.image_grid(np.full((20, 28, 28), 255, np.uint8), nrows=2)
    frame = gu.plots.labelled_frame(grid, ["cat 0", "cat 1"], "step 78 | style 1 from -1 to 1")
    height, width = grid.shape
    margin = frame.shape[1] - width
    assert frame.shape[0] == height + 16 and margin > 20  # a caption line, a column of names
    np.testing.assert_array_equal(frame[16:, margin:], grid)  # the digits themselves untouched
    assert frame[16:, :margin].any() and frame[:16].any()  # the names and the caption are drawn


def test_sample_grid_frames_say_their_step(small, digits):
    model = small(gu.ACGAN)
    grids = gu.callbacks.SampleGrid(n_cols=3)
    model.fit(gu.make_dataset(*digits, batch_size=32).repeat(), epochs=1, steps_per_epoch=2,
              verbose=0, callbacks=[grids])
    untrained, after = grids.frames
    assert untrained.shape == after.shape and not np.array_equal(untrained[:16], after[:16])
