"""Figures the notebooks share: digit grids, as arrays (for GIFs and widgets) and as plots."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image, ImageDraw, ImageFont


def to_uint8(images) -> np.ndarray:
    """Images (n, 28, 28[, 1]) as uint8 0-255: uint8 passes through, floats are read as [-1, 1]."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"expected images of shape (n, height, width[, 1]), got {images.shape}.")
    if images.dtype == np.uint8:
        return images
    return np.clip(np.rint((images.astype(np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def image_grid(images, nrows: int, pad: int = 2) -> np.ndarray:
    """Tile n images row by row into one uint8 picture (nrows x n/nrows), white ink on black."""
    tiles = to_uint8(images)
    n, h, w = tiles.shape
    if nrows < 1 or n % nrows:
        raise ValueError(f"{n} images do not fill {nrows} rows evenly.")
    ncols = n // nrows
    grid = np.zeros((nrows * (h + pad) + pad, ncols * (w + pad) + pad), np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, ncols)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h,
             pad + c * (w + pad): pad + c * (w + pad) + w] = tile
    return grid


def show_grid(images, nrows: int, row_labels: Sequence | None = None, title: str | None = None,
              col_title: str | None = None, scale: float = 0.45,
              col_labels: Sequence | None = None, frame_column: int | None = None):
    """Plot a grid of digits, optionally naming each row and column; returns the figure.

    frame_column draws a coloured frame around that column (e.g. the query digit of each row).
    """
    grid = image_grid(images, nrows)
    height, width = grid.shape
    ncols = len(to_uint8(images)) // nrows
    fig, ax = plt.subplots(figsize=(width / 30 * scale + 0.8, height / 30 * scale + 0.4))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    _name_rows_and_columns(ax, grid, nrows, ncols, row_labels, col_labels)
    if frame_column is not None:  # around the digit, through the middle of its padding
        tile = (width - 2) / ncols
        ax.add_patch(plt.Rectangle((frame_column * tile + 0.5, 0.5), tile + 1, height - 2,
                                   fill=False, edgecolor="tab:orange", linewidth=2))
    if title:
        ax.set_title(title)
    if col_title:
        ax.set_xlabel(col_title)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.tight_layout()
    return fig


def _name_rows_and_columns(ax, grid: np.ndarray, nrows: int, ncols: int,
                           row_labels: Sequence | None, col_labels: Sequence | None,
                           fontsize: float | None = None) -> None:
    """Tick labels at the middle of each row and column of an image_grid picture (none if None)."""
    height, width = grid.shape
    tile = (width - 2) / ncols  # image_grid: 2 px of padding, then w + 2 per tile
    if col_labels is None:
        ax.set_xticks([])
    else:
        ax.set_xticks([2 + tile * j + (tile - 2) / 2 for j in range(ncols)],
                      [str(c) for c in col_labels], fontsize=fontsize)
    if row_labels is None:
        ax.set_yticks([])
    else:
        ax.set_yticks([height / nrows * (i + 0.5) for i in range(nrows)],
                      [str(r) for r in row_labels], fontsize=fontsize)
        ax.tick_params(length=0)


def sample_grid(model, n_cols: int = 10, style_index: int = 0, seed: int = 0,
                style_limit: float | None = None) -> np.ndarray:
    """One uint8 picture: a row per label/category; columns sweep one style (InfoGAN) or noise.

    The noise is fixed by the seed, so grids drawn at different epochs are comparable.
    """
    k = model.num_labels
    if getattr(model, "num_styles", 0):  # InfoGAN: one style swept, the rest fixed
        limit = model.style_range if style_limit is None else style_limit
        images = sweep_images(model, style_index, np.linspace(-limit, limit, n_cols), seed)
    else:  # ACGAN: each column its own noise, shared by every row
        noise = model.draw_noise(np.random.default_rng(seed), n_cols)
        images = model.generate(np.repeat(np.arange(k), n_cols), noise=np.tile(noise, (k, 1)))
    return image_grid(images, nrows=k)


def labelled_frame(grid: np.ndarray, row_labels: Sequence[str], caption: str = "") -> np.ndarray:
    """A uint8 grid (from image_grid) with its rows named in a left margin and a caption on top.

    For pictures that are shown as plain images, not matplotlib figures: the live training grid
    and the frames of the training GIF.
    """
    font = ImageFont.load_default(size=11)
    margin = max(int(font.getlength(str(label))) for label in row_labels) + 8
    top = 16
    height, width = grid.shape
    canvas = Image.new("L", (width + margin, height + top), 0)
    canvas.paste(Image.fromarray(grid), (margin, top))
    draw = ImageDraw.Draw(canvas)
    row_height = (height - 2) / len(row_labels)
    for i, label in enumerate(row_labels):
        draw.text((margin - 4, top + 2 + row_height * (i + 0.5)), str(label), fill=200, font=font,
                  anchor="rm")
    draw.text((margin, 2), caption, fill=255, font=font)
    return np.asarray(canvas)


def sweep_images(model, style_index: int, values: np.ndarray, seed: int = 0) -> np.ndarray:
    """InfoGAN images, a row per category and a column per value of one style code.

    One noise vector for every image and the other styles at 0, so only the code moves.
    """
    k, s = model.num_categories, model.num_styles
    if not 0 <= style_index < s:
        raise ValueError(f"style_index must be in 0..{s - 1}, got {style_index}.")
    n_cols = len(values)
    styles = np.zeros((k * n_cols, s), np.float32)
    styles[:, style_index] = np.tile(values, k)
    noise = model.draw_noise(np.random.default_rng(seed), 1)
    return model.generate(np.repeat(np.arange(k), n_cols), styles=styles,
                          noise=np.repeat(noise, k * n_cols, axis=0))


def show_confusion(confusion: np.ndarray, category_to_label: dict[int, int] | None = None,
                   title: str = "Q's category vs the true digit", row_name: str = "cat",
                   column_name: str = "true digit"):
    """The confusion matrix (rows: categories, columns: digits), and beside it rows reordered
    by the matched digit, so a perfect alignment shows as a diagonal.

    Each cell shows its count; the colour is the count's share of its row (colour bar).
    """
    panels = [("as learned" if category_to_label is not None else "", confusion,
               list(range(len(confusion))))]
    if category_to_label is not None:
        order = sorted(category_to_label, key=category_to_label.get)
        panels.append(("aligned: rows ordered by matched digit", confusion[order], order))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.4 * len(panels), 4.6), squeeze=False)
    for ax, (name, matrix, rows) in zip(axes[0], panels):
        shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        picture = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for (row, col), count in np.ndenumerate(matrix):
            if count:
                ax.text(col, row, str(count), ha="center", va="center", fontsize=6.5,
                        color="white" if shares[row, col] > 0.5 else "black")
        ax.set_xticks(range(matrix.shape[1]))
        ax.set_yticks(range(len(rows)), [f"{row_name} {r}" for r in rows])
        ax.set_xlabel(column_name)
        ax.set_ylabel("Q's category" if row_name == "cat" else row_name)
        ax.set_title(name, fontsize=10)
        fig.colorbar(picture, ax=ax, fraction=0.046, pad=0.04, label="share of the row")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_style_sweep(model, style_index: int, measure, measure_name: str, limit: float = 2.0,
                     n_cols: int = 9, seed: int = 0):
    """One row per category across [-limit, limit] of one style code, with the measured
    property's mean per column plotted underneath (the training range is shaded)."""
    k = model.num_categories
    values = np.linspace(-limit, limit, n_cols)
    images = sweep_images(model, style_index, values, seed)
    measured = measure(images).reshape(k, n_cols)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(n_cols * 0.55 + 1, k * 0.55 + 2.6),
                                      gridspec_kw={"height_ratios": [k, 2.2]})
    grid = image_grid(images, nrows=k)
    top.imshow(grid, cmap="gray", interpolation="nearest")
    alignment = getattr(model, "alignment", None)  # category -> digit, once measured
    _name_rows_and_columns(top, grid, k, n_cols,
                           [f"cat {c}" + (f" = digit {alignment[c]}" if alignment else "")
                            for c in range(k)], [f"{v:+.1f}" for v in values], fontsize=7)
    top.set_title(f"style {style_index + 1} from {-limit:g} to {limit:g}, one row per category")
    bottom.plot(values, measured.mean(axis=0), "o-")
    bottom.axvspan(-model.style_range, model.style_range, color="0.9", label="training range")
    bottom.set_xlabel(f"style {style_index + 1}")
    bottom.set_ylabel(measure_name)
    bottom.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def show_history(logs: dict, steps_per_epoch: int, panels: dict, lines: dict | None = None,
                 ncols: int = 3):
    """Training curves against the optimizer step: one panel per title, listing its metrics.

    logs is History.history (one value per epoch of steps_per_epoch steps); lines maps a panel
    title to a (value, label) reference line, drawn dashed.
    """
    missing = sorted({k for keys in panels.values() for k in keys} - set(logs))
    if missing:
        raise ValueError(f"no such metrics in the history: {missing}; it has {sorted(logs)}.")
    lines = lines or {}
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.3 * ncols, 3.2 * nrows), squeeze=False)
    for ax, (title, keys) in zip(axes.flat, panels.items()):
        for key in keys:
            steps = steps_per_epoch * np.arange(1, len(logs[key]) + 1)
            ax.plot(steps, logs[key], "o-" if len(steps) < 10 else "-", label=key)
        if title in lines:
            value, label = lines[title]
            ax.axhline(value, color="gray", linestyle="--", label=label)
        ax.set(title=title, xlabel="optimizer step", ylabel=", ".join(keys))
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    return fig
