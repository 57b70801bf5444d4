"""The online learner's data path, offline: 60,000 stand-in digits where keras' MNIST would be.

The stand-in (tests/standin.py): each of the 5,000 bundled training digits 12 times, each copy
shifted differently by up to 2 pixels; the `online_mnist` fixture (conftest.py) hands it out
as keras.datasets.mnist.load_data would.
"""

import numpy as np
import pytest

from gan_utils import pipeline
from gan_utils.data import load_mnist
from gan_utils.pipeline import make_dataset
from tests.standin import count_distinct


def test_auto_takes_the_online_path_with_60000_distinct_digits(online_mnist, bundled, capsys):
    mnist = load_mnist("auto")
    assert capsys.readouterr().out == "MNIST: keras.datasets.mnist: 60,000 train, 10,000 test digits.\n"
    assert mnist.source == "keras.datasets.mnist"
    assert mnist.x_train.shape == (60_000, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.x_test.shape == (10_000, 28, 28) and mnist.y_train.dtype == np.int64
    assert np.bincount(mnist.y_train).tolist() == [6_000] * 10
    assert count_distinct(mnist.x_train) == 60_000  # shifted copies, no two the same
    assert not (mnist.y_train[:500] == mnist.y_train[0]).all()  # shuffled, not sorted by label
    np.testing.assert_array_equal(mnist.x_test, bundled.x_test)
    np.testing.assert_array_equal(mnist.y_test, bundled.y_test)


@pytest.mark.slow
def test_look_alikes_of_60000_digits_are_mostly_the_same_digit(online_mnist, monkeypatch):
    (x, y), _ = online_mnist
    tables, search = [], pipeline.nearest_neighbours

    def keeping_the_table(*args, **kwargs):  # the real search, once; its answer kept to check
        tables.append(search(*args, **kwargs))
        return tables[-1]

    monkeypatch.setattr(pipeline, "nearest_neighbours", keeping_the_table)
    ds = make_dataset(x, y, batch_size=64, seed=0, neighbours=5)
    (table,) = tables
    assert table.shape == (60_000, 5) and table.dtype == np.int32
    assert not (table == np.arange(60_000)[:, None]).any()  # never itself
    # No labels used, yet 97.1% of the 300,000 look-alikes are the same digit (94% on the
    # 5,000 bundled digits; 22% here are shifted copies of the digit itself).
    assert (y[table] == y[:, None]).mean() > 0.965
    where = {image.tobytes(): i for i, image in enumerate(x)}  # the 60,000 are distinct
    same = []
    for pair, labels in ds.take(20):
        images, partners = pair["images"].numpy(), pair["neighbours"].numpy()
        assert images.shape == partners.shape == (64, 28, 28, 1) and labels.shape == (64,)
        pixels = np.rint((partners[..., 0] + 1) * 127.5).astype(np.uint8)  # back to uint8
        same.extend(y[[where[p.tobytes()] for p in pixels]] == labels.numpy())
    assert np.mean(same) > 0.94  # 1,280 pairs drawn as training draws them
