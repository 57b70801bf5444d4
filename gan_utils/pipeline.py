"""The tf.data input pipeline: batches of scaled digits, and each digit's look-alikes.

make_dataset feeds fit(); nearest_neighbours finds, without labels, the digits that look most
like each one (InfoGAN's neighbour term). The digits themselves come from gan_utils.data.
Explained in notebooks/00_data_and_builders.ipynb and 03_infogan_digits.ipynb.
"""

from __future__ import annotations

import hashlib

import numpy as np
import tensorflow as tf
from scipy.ndimage import gaussian_filter

from gan_utils.data import _check_images, _check_labels, _scale


def make_dataset(images: np.ndarray, labels: np.ndarray | None = None, batch_size: int = 64,
                 shuffle: bool = True, seed: int | None = None,
                 neighbours: int | np.ndarray = 0):
    """A tf.data pipeline of float32 images (b, 28, 28, 1) in [-1, 1] (and int32 labels).

    Scaled once and cached, reshuffled every epoch, batched (incomplete last batch dropped,
    so every step sees the same shape) and prefetched. With neighbours=k, each batch is a
    dict {"images", "neighbours"}: beside each digit, one of the k digits that look most
    like it (nearest_neighbours), drawn afresh each epoch, for InfoGAN's neighbour term;
    neighbours may also be the (n, k) array that nearest_neighbours returned, to reuse it.
    """
    images = _check_images(images, "images")
    if labels is not None:
        labels = _check_labels(labels, "labels", len(images))
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    if batch_size > len(images):
        raise ValueError(f"batch_size {batch_size} is larger than the {len(images)} images.")
    if isinstance(neighbours, np.ndarray) or neighbours:
        table = _neighbour_table(neighbours, images)
        return _neighbour_dataset(images, labels, batch_size, shuffle, seed, table)

    if labels is None:
        ds = tf.data.Dataset.from_tensor_slices(images).map(_scale)
    else:
        ds = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
        ds = ds.map(lambda x, y: (_scale(x), y))
    ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def nearest_neighbours(images: np.ndarray, k: int = 5, blur: float = 1.0) -> np.ndarray:
    """For each digit, the indices (n, k) of the k others that look most like it. No labels.

    "Look like": cosine similarity of the slightly blurred pixels (blur = Gaussian sigma in
    pixels), so that a stroke one pixel to the side still counts as close. On the 5,000
    bundled digits, 94% of these 5 neighbours are the same digit. Best first; of equally
    similar ones, the lower index first. The last search is remembered, so asking again for
    the same digits (a figure, then make_dataset) costs a hash, not a search (41 s on 60,000).
    """
    images = _check_images(images, "images")
    if not isinstance(k, (int, np.integer)) or not 1 <= k < len(images):
        raise ValueError(f"k must be an integer from 1 to {len(images) - 1} (one less than the "
                         f"number of images), got {k!r}.")
    key = (hashlib.blake2b(np.ascontiguousarray(images).data, digest_size=16).digest(),
           images.shape, int(k), float(blur))
    if key not in _last_search:
        _last_search.clear()  # one entry: a 60,000 x 5 table is 1.2 MB
        _last_search[key] = _search_neighbours(images, int(k), blur)
    return _last_search[key].copy()


_last_search: dict = {}


def _search_neighbours(images: np.ndarray, k: int, blur: float, block: int = 1024) -> np.ndarray:
    """nearest_neighbours' search itself, without the checks and the memory of the last one."""
    count = len(images)
    features = images.astype(np.float32)
    gaussian_filter(features, sigma=(0, blur, blur), output=features)  # in place: no second copy
    features = features.reshape(count, -1)
    features /= np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-6)
    # Each pair's similarity is computed once: a block of digits against itself and every later
    # digit (numpy's matmul), read along its rows for the block and along its columns for the
    # later digits, which keep their best k so far (best_*). With 1,024-row blocks this gives
    # the table the full-row search gave on the 5,000 bundled digits (tests/test_data.py); BLAS
    # may round a pair's similarity differently in another block shape, which can only reorder
    # exactly equal look-alikes (copies of one image).
    # Memory stays small: one block x count buffer (60,000 digits: 245 MB). tf.math.top_k picks
    # the k best of each row on all cores, ~6x faster than np.argpartition over every column.
    best_value = np.full((count, k), -np.inf, np.float32)
    best_index = np.zeros((count, k), np.int32)
    buffer = np.empty((min(block, count), count), np.float32)
    for start in range(0, count, block):
        stop = min(start + block, count)
        similarity = np.matmul(features[start:stop], features[start:].T,
                               out=buffer[:stop - start, :count - start])
        similarity[np.arange(stop - start), np.arange(stop - start)] = -np.inf  # never itself
        _keep_best(best_value[start:stop], best_index[start:stop], similarity, start)
        for first in range(stop, count, 8 * block):  # later digits, a few blocks at a time
            last = min(first + 8 * block, count)
            later = np.ascontiguousarray(similarity[:, first - start:last - start].T)
            _keep_best(best_value[first:last], best_index[first:last], later, start)
    return best_index


def _keep_best(best_value: np.ndarray, best_index: np.ndarray, similarity: np.ndarray,
               offset: int) -> None:
    """Merge each row's k best of similarity (columns offset, offset+1, ...) into best_* in place.

    best_* hold lower indices than these columns, so putting them first keeps nearest_neighbours'
    rule: of equally similar digits, the lower index first (top_k keeps the earlier of ties).
    """
    k = best_value.shape[1]
    top = tf.math.top_k(similarity, min(k, similarity.shape[1]))
    values = np.concatenate([best_value, top.values.numpy()], axis=1)
    indices = np.concatenate([best_index, top.indices.numpy() + offset], axis=1)
    pick = tf.math.top_k(values, k).indices.numpy()
    best_value[:] = np.take_along_axis(values, pick, 1)
    best_index[:] = np.take_along_axis(indices, pick, 1)


def _neighbour_table(neighbours, images: np.ndarray) -> np.ndarray:
    """make_dataset's neighbours argument (k, or nearest_neighbours' array) as an (n, k) table."""
    if isinstance(neighbours, (int, np.integer)) and not isinstance(neighbours, bool):
        return nearest_neighbours(images, neighbours)
    table, count = np.asarray(neighbours), len(images)
    if table.ndim != 2 or len(table) != count or not np.issubdtype(table.dtype, np.integer) \
            or table.size == 0 or table.min() < 0 or table.max() >= count:
        raise ValueError(f"neighbours: a number k, or an (n, k) array of indices into the {count} "
                         f"images (what nearest_neighbours returns), got {neighbours!r:.80}.")
    return table.astype(np.int32)


def _neighbour_dataset(images, labels, batch_size, shuffle, seed, table):
    """make_dataset's batches as {"images", "neighbours"} dicts (see make_dataset)."""
    k = table.shape[1]
    table = tf.constant(table)
    pixels = tf.constant(images)
    label_table = None if labels is None else tf.constant(labels.astype(np.int32))

    def gather(index):
        index = tf.cast(index, tf.int32)
        pick = tf.random.uniform(tf.shape(index), 0, k, dtype=tf.int32)
        partner = tf.gather(tf.gather(table, index), pick, batch_dims=1)
        pair = {"images": _scale(tf.gather(pixels, index)),
                "neighbours": _scale(tf.gather(pixels, partner))}
        return pair if label_table is None else (pair, tf.gather(label_table, index))

    ds = tf.data.Dataset.range(len(images))
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=True).map(gather)
    return ds.prefetch(tf.data.AUTOTUNE)
