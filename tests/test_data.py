"""gan_utils.data and gan_utils.pipeline: the MNIST sources, their validation, the tf.data pipeline."""

import gzip
import tracemalloc
from pathlib import Path

import keras
import numpy as np
import pytest

import gan_utils as gu
import gan_utils.data
import gan_utils.pipeline
from gan_utils import data
from gan_utils.data import MnistDataError, load_idx, load_mnist, to_unit_range
from gan_utils.pipeline import make_dataset, nearest_neighbours

SHARED_MNIST = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist"


def fake_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n random uint8 "digits" (noise, not digits) and labels 0-9: the same for the same seed."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n)


@pytest.fixture
def idx_folder(tmp_path, write_idx):
    """A folder with a 30-digit train split and a 20-digit test split, test gzipped."""
    for prefix, n, gz in (("train", 30, False), ("t10k", 20, True)):
        x, y = fake_digits(n, seed=n)
        suffix = ".gz" if gz else ""
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte{suffix}", x, gz=gz)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte{suffix}", y, gz=gz)
    return tmp_path


# --------------------------------------------------------------------------- IDX


def test_idx_folder_round_trip(idx_folder):
    mnist = load_mnist(idx_folder)
    x_train, y_train = fake_digits(30, seed=30)
    x_test, y_test = fake_digits(20, seed=20)
    np.testing.assert_array_equal(mnist.x_train, x_train)
    np.testing.assert_array_equal(mnist.y_train, y_train)
    np.testing.assert_array_equal(mnist.x_test, x_test)
    np.testing.assert_array_equal(mnist.y_test, y_test)
    assert mnist.x_train.dtype == np.uint8 and mnist.y_train.dtype == np.int64
    assert str(idx_folder) in mnist.source


def test_idx_folder_with_only_a_test_split(tmp_path, write_idx):
    x, y = fake_digits(5)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", x)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", y)
    mnist = load_mnist(tmp_path)
    assert mnist.x_train.shape == (0, 28, 28) and mnist.x_test.shape == (5, 28, 28)


def test_truncated_file_names_the_file(idx_folder, write_idx):
    x, _ = fake_digits(30, seed=30)
    bad = write_idx(idx_folder / "train-images-idx3-ubyte", x, cut=100)
    with pytest.raises(MnistDataError, match="truncated") as err:
        load_mnist(idx_folder)
    assert str(bad) in str(err.value)


def test_truncated_gzip_stream(tmp_path, write_idx):
    x, _ = fake_digits(10)
    path = write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", x, gz=True)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(MnistDataError, match="damaged gzip"):
        load_idx(path)


def test_corrupted_gzip_body_names_the_file(tmp_path, write_idx):
    raw = write_idx(tmp_path / "t10k-images-idx3-ubyte", fake_digits(10)[0]).read_bytes()
    packed = gzip.compress(raw)  # a 10-byte header: no file name in it
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(packed[:10] + b"\xff" * 200 + packed[-8:])  # valid header, bad deflate data
    with pytest.raises(MnistDataError, match="damaged gzip .*Download it again") as err:
        load_idx(path)
    assert str(path) in str(err.value)


def test_gzip_bomb_is_refused_without_unpacking_it(tmp_path):
    """A header for 10 digits, then 50 MB of zeros (50 KB packed): stop after 7,841 bytes."""
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    header = b"".join(n.to_bytes(4, "big") for n in (0x0803, 10, 28, 28))
    with gzip.open(path, "wb") as f:
        f.write(header)
        for _ in range(50):
            f.write(bytes(1 << 20))
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(MnistDataError, match="longer than its header says") as err:
            load_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(err.value)
    assert peak < 5 << 20, f"peak allocation {peak:,} bytes"


def test_file_longer_than_its_header(tmp_path, write_idx):
    x, _ = fake_digits(3)
    for gz in (False, True):
        path = write_idx(tmp_path / f"imgs{gz}", np.concatenate([x, x]), gz=gz)
        raw = (gzip.open if gz else open)(path, "rb").read()
        (gzip.open if gz else open)(path, "wb").write(raw[:4] + (3).to_bytes(4, "big") + raw[8:])
        with pytest.raises(MnistDataError, match="longer than its header says"):
            load_idx(path)
    gz_path = write_idx(tmp_path / "exact.gz", x, gz=True)
    np.testing.assert_array_equal(load_idx(gz_path), x)


def test_wrong_magic_number(tmp_path, write_idx):
    x, _ = fake_digits(3)
    path = write_idx(tmp_path / "t10k-images-idx3-ubyte", x, magic=0x0000_0803 + 7)
    with pytest.raises(MnistDataError, match="magic number 2058"):
        load_idx(path)


def test_not_an_idx_file_at_all(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_text("<html>404 Not Found</html>")
    with pytest.raises(MnistDataError, match="magic number"):
        load_idx(path)


def test_wrong_image_size(tmp_path, write_idx):
    path = write_idx(tmp_path / "imgs", np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(MnistDataError, match=r"\(32, 32\), expected \(28, 28\)"):
        load_idx(path)


def test_mismatched_counts(tmp_path, write_idx):
    x, y = fake_digits(10)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", x)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", y[:7])
    with pytest.raises(MnistDataError, match="10 images but .* 7 labels"):
        load_mnist(tmp_path)


def test_labels_out_of_range(tmp_path, write_idx):
    x, y = fake_digits(10)
    y[3] = 12
    write_idx(tmp_path / "t10k-images-idx3-ubyte", x)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", y)
    with pytest.raises(MnistDataError, match="expected 0-9"):
        load_mnist(tmp_path)


def test_images_without_labels(tmp_path, write_idx):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", fake_digits(4)[0])
    with pytest.raises(MnistDataError,
                       match=r"found test images but not t10k-labels-idx1-ubyte\[\.gz\]"):
        load_mnist(tmp_path)


def test_labels_without_images(tmp_path, write_idx):
    write_idx(tmp_path / "train-labels-idx1-ubyte", fake_digits(4)[1])
    with pytest.raises(MnistDataError,
                       match=r"found train labels but not train-images-idx3-ubyte\[\.gz\]"):
        load_mnist(tmp_path)


def test_missing_folder(tmp_path):
    with pytest.raises(MnistDataError, match="no such file or folder"):
        load_mnist(tmp_path / "nowhere")


def test_folder_without_mnist_files(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(MnistDataError, match="no MNIST IDX files"):
        load_mnist(tmp_path)


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="../shared/data/mnist is not here")
def test_reads_the_official_test_set():
    mnist = load_mnist(SHARED_MNIST)
    assert mnist.x_test.shape == (10_000, 28, 28) and len(mnist.x_train) == 0
    assert np.bincount(mnist.y_test).tolist() == [980, 1135, 1032, 1010, 982,
                                                  892, 958, 1028, 974, 1009]
    assert mnist.y_test[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first five


# --------------------------------------------------------------------------- .npz


def test_npz_round_trip(tmp_path):
    x, y = fake_digits(12)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=x[:8], y_train=y[:8], x_test=x[8:], y_test=y[8:])
    mnist = load_mnist(path)
    np.testing.assert_array_equal(mnist.x_test, x[8:])
    assert len(mnist.y_train) == 8
    for got, want in ((mnist.x_train, x[:8]), (mnist.y_train, y[:8]), (mnist.y_test, y[8:])):
        np.testing.assert_array_equal(got, want)
    assert mnist.x_train.dtype == np.uint8 and str(path) in mnist.source


def test_npz_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    objects = np.array([{"not": "an image"}] * 2, dtype=object)
    np.savez(path, x_train=objects, y_train=objects, x_test=objects, y_test=objects)
    with pytest.raises(MnistDataError, match="not a readable .npz"):
        load_mnist(path)


def test_npz_missing_arrays_and_wrong_dtype(tmp_path):
    x, y = fake_digits(4)
    np.savez(tmp_path / "partial.npz", x_train=x, y_train=y)
    with pytest.raises(MnistDataError, match=r"missing arrays \['x_test', 'y_test'\]"):
        load_mnist(tmp_path / "partial.npz")
    np.savez(tmp_path / "floats.npz", x_train=x / 255.0, y_train=y, x_test=x, y_test=y)
    with pytest.raises(MnistDataError, match="dtype float64, expected uint8"):
        load_mnist(tmp_path / "floats.npz")


def test_unknown_file_type(tmp_path):
    path = tmp_path / "digits.csv"
    path.write_text("1,2,3")
    with pytest.raises(MnistDataError, match="folder of IDX files or a .npz"):
        load_mnist(path)


# --------------------------------------------------------------------------- bundled / auto


def test_bundled_digits_are_real_and_balanced():
    mnist = load_mnist("bundled")
    assert mnist.x_train.shape == (5000, 28, 28) and mnist.x_train.dtype == np.uint8
    assert np.bincount(mnist.y_train).tolist() == [500] * 10
    assert mnist.x_train.max() == 255
    assert len(mnist.x_test) == 10_000  # the official test set ships too (test_bundled_test_set)
    assert 0.1 < (mnist.x_train > 127).mean() < 0.25  # ink, like real MNIST (~13% of pixels)


def test_auto_falls_back_to_bundled_with_one_notice(monkeypatch, capsys):
    def offline():
        raise OSError("URL fetch failure: no network")

    monkeypatch.setattr(data, "_load_keras", offline)
    mnist = load_mnist()
    notice = capsys.readouterr().out.strip().splitlines()
    assert len(notice) == 1
    assert "keras.datasets unavailable (URL fetch failure" in notice[0]
    assert "bundled" in notice[0] and "5,000 train digits" in notice[0]
    assert len(mnist.x_train) == 5000 and mnist.source.startswith("bundled")


def test_unknown_source_word_is_treated_as_a_missing_path():
    with pytest.raises(MnistDataError, match="Pass 'auto', 'keras', 'bundled'"):
        load_mnist("kears")


@pytest.mark.parametrize("source", [None, 5, b"auto", ["keras"]])
def test_source_of_the_wrong_type(source):
    with pytest.raises(MnistDataError) as err:
        load_mnist(source)
    message = str(err.value)
    assert isinstance(err.value, ValueError) and "\n" not in message
    for word in ("'auto'", "'keras'", "'bundled'", "folder of MNIST IDX files", ".npz", repr(source)):
        assert word in message


# --------------------------------------------------------------------------- pipeline


def test_make_dataset_scales_batches_and_shuffles():
    x, y = fake_digits(100)
    x[0] = 0
    x[1] = 255
    ds = make_dataset(x, y, batch_size=32, seed=1)
    batches = list(ds)
    assert len(batches) == 3  # 100 // 32, incomplete batch dropped
    images, labels = batches[0]
    assert images.shape == (32, 28, 28, 1) and images.dtype.name == "float32"
    assert labels.shape == (32,) and labels.dtype.name == "int32"
    every = np.concatenate([b[0].numpy() for b in batches])
    assert every.min() == -1.0 and every.max() == 1.0
    first_epoch = [b[1].numpy().tolist() for b in ds]
    second_epoch = [b[1].numpy().tolist() for b in ds]
    assert first_epoch != second_epoch  # reshuffled each epoch


def test_make_dataset_without_labels_and_bad_arguments():
    x, _ = fake_digits(10)
    (batch,) = list(make_dataset(x, batch_size=10))
    assert batch.shape == (10, 28, 28, 1)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        make_dataset(x, batch_size=0)
    with pytest.raises(ValueError, match="larger than the 10 images"):
        make_dataset(x, batch_size=64)
    with pytest.raises(MnistDataError, match="expected uint8"):
        make_dataset(x.astype(np.float32))
    with pytest.raises(MnistDataError, match="9 labels for 10 images"):
        make_dataset(x, np.zeros(9, int))


def test_nearest_neighbours_of_real_digits_are_mostly_the_same_digit(bundled):
    x, y = bundled.x_train[::5], bundled.y_train[::5]  # 1,000 digits, 100 of each (sorted by label)
    found = nearest_neighbours(x, k=5)
    assert found.shape == (1000, 5) and found.dtype == np.int32
    assert not (found == np.arange(1000)[:, None]).any()  # never itself
    assert (y[found] == y[:, None]).mean() > 0.85  # no labels used, yet mostly the same digit
    assert nearest_neighbours(np.concatenate([x[:50], x[7:8]]), k=1)[7, 0] == 50  # its copy
    with pytest.raises(ValueError, match="k must be an integer from 1 to 49"):
        nearest_neighbours(x[:50], k=50)


def reference_nearest_neighbours(images: np.ndarray, k: int) -> np.ndarray:
    """nearest_neighbours as first written, before its block-by-block search: numpy matmul,
    np.argpartition, np.argsort."""
    from scipy.ndimage import gaussian_filter

    features = gaussian_filter(images.astype(np.float32), sigma=(0, 1.0, 1.0))
    features = features.reshape(len(images), -1)
    features /= np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-6)
    found = np.empty((len(images), k), np.int32)
    for start in range(0, len(images), 1024):
        rows = slice(start, start + 1024)
        similarity = features[rows] @ features.T
        similarity[np.arange(similarity.shape[0]), np.arange(len(images))[rows]] = -np.inf
        top = np.argpartition(similarity, -k, axis=1)[:, -k:]
        order = np.argsort(-np.take_along_axis(similarity, top, axis=1), axis=1)
        found[rows] = np.take_along_axis(top, order, axis=1)
    return found


def test_nearest_neighbours_of_the_bundled_digits_are_what_they_always_were(bundled):
    # Training pairs each digit with these look-alikes: the faster search (tf.math.top_k) must
    # find exactly the same ones, in the same order, on all 5,000 bundled digits.
    found = nearest_neighbours(bundled.x_train, k=5)
    assert np.array_equal(found, reference_nearest_neighbours(bundled.x_train, k=5))
    assert (bundled.y_train[found] == bundled.y_train[:, None]).mean() > 0.935  # the docstring's 94%
    # Equally similar look-alikes (here: copies) come lower index first, best first.
    x = np.concatenate([bundled.x_train[:5], bundled.x_train[[2, 2]]])  # 2, 5 and 6 are alike
    assert nearest_neighbours(x, k=2)[[2, 5, 6]].tolist() == [[5, 6], [2, 6], [2, 5]]


def test_nearest_neighbours_block_by_block_is_the_whole_search(bundled):
    # The search computes each pair once, in blocks, and merges each digit's best k across
    # blocks: block sizes give the table of one sort over the whole similarity matrix (these
    # digits hold no exact copies, whose order BLAS rounding could swap between block shapes).
    from scipy.ndimage import gaussian_filter

    from gan_utils.pipeline import _search_neighbours

    x = bundled.x_train[:300]
    features = gaussian_filter(x.astype(np.float32), sigma=(0, 1.0, 1.0)).reshape(len(x), -1)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    similarity = features @ features.T
    np.fill_diagonal(similarity, -np.inf)
    whole = np.argsort(-similarity, axis=1, kind="stable")[:, :5]
    for block in (1, 7, 64, 299, 1024):
        assert np.array_equal(_search_neighbours(x, 5, 1.0, block=block), whole), block


def test_neighbours_merged_across_blocks_keep_the_lower_index_of_equals():
    # A digit's best so far (from earlier blocks: lower indices) against a new block's columns.
    from gan_utils.pipeline import _keep_best

    best_value, best_index = np.array([[0.5, 0.2, 0.1]], np.float32), np.array([[3, 7, 8]], np.int32)
    _keep_best(best_value, best_index, np.array([[0.5, 0.9, 0.2, 0.6]], np.float32), offset=10)
    assert best_index.tolist() == [[11, 13, 3]]  # 0.9, 0.6, then the earlier of the two 0.5s
    assert best_value.tolist() == [[np.float32(0.9), np.float32(0.6), 0.5]]
    _keep_best(best_value, best_index, np.array([[0.5]], np.float32), offset=20)  # fewer than k
    assert best_index.tolist() == [[11, 13, 3]]


def test_make_dataset_with_neighbours_pairs_each_digit_with_a_look_alike(bundled):
    x, y = bundled.x_train[::10], bundled.y_train[::10]  # 500 digits, 50 of each
    keras.utils.set_random_seed(0)  # which of the 3 look-alikes is drawn
    # One batch holds the whole epoch: each digit once, so the share below is not a small sample.
    batch, labels = next(iter(make_dataset(x, y, batch_size=500, neighbours=3, seed=0)))
    images, partners = batch["images"].numpy(), batch["neighbours"].numpy()
    assert images.shape == partners.shape == (500, 28, 28, 1) and labels.shape == (500,)
    assert images.min() == -1.0 and images.max() == 1.0
    assert not np.array_equal(images, partners)
    index = {to_unit_range(x)[i].tobytes(): i for i in range(len(x))}
    partner_labels = y[[index[p.tobytes()] for p in partners]]
    # 84% of these look-alikes are the same digit (chance: 10%); one epoch's draw varies by ~2%.
    assert (partner_labels == labels.numpy()).mean() > 0.75
    table = nearest_neighbours(x, k=2)  # computed once, reused: the same pairs are possible
    batch = next(iter(make_dataset(x, batch_size=50, neighbours=table)))
    assert batch["neighbours"].shape == (50, 28, 28, 1)
    with pytest.raises(ValueError, match=r"an \(n, k\) array of indices into the 500 images"):
        make_dataset(x, batch_size=50, neighbours=table[:10])
    with pytest.raises(ValueError, match="array of indices"):
        make_dataset(x, batch_size=50, neighbours=table + 500)


def test_to_unit_range_matches_the_pipeline():
    x, _ = fake_digits(4)
    (batch,) = list(make_dataset(x, batch_size=4, shuffle=False))
    np.testing.assert_allclose(to_unit_range(x), batch.numpy(), atol=1e-6)


def test_keras_source_and_auto_use_the_keras_loader(monkeypatch, capsys):
    import keras

    x, y = fake_digits(6)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: ((x[:4], y[:4]), (x[4:], y[4:])))
    assert load_mnist("keras").source == "keras.datasets.mnist"
    capsys.readouterr()
    mnist = load_mnist("auto")
    assert capsys.readouterr().out == "MNIST: keras.datasets.mnist: 4 train, 2 test digits.\n"
    np.testing.assert_array_equal(mnist.x_test, x[4:])


def test_nearest_neighbours_remembers_its_last_search_and_hands_out_copies(bundled, monkeypatch):
    digits = bundled.x_train[:300]
    first = gu.nearest_neighbours(digits, k=3)
    calls = []
    real_search = gan_utils.pipeline._search_neighbours
    monkeypatch.setattr(gan_utils.pipeline, "_search_neighbours",
                        lambda *args: calls.append(args) or real_search(*args))
    first[:] = -1  # the caller's copy: the remembered table is not touched
    again = gu.nearest_neighbours(digits.copy(), k=3)  # the same pixels, another array
    assert calls == [] and again.min() >= 0
    np.testing.assert_array_equal(again, gu.nearest_neighbours(digits, k=3))
    gu.nearest_neighbours(digits, k=4)  # another k: a new search
    gu.nearest_neighbours(digits[:200], k=3)  # other digits: a new search
    assert [args[1] for args in calls] == [4, 3]


def test_a_gzip_header_that_promises_too_much_is_refused_before_unpacking(tmp_path):
    import gzip
    import tracemalloc

    header = b"".join(n.to_bytes(4, "big") for n in (2051, 1_000_000, 28, 28))
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(header)
        for _ in range(20):
            f.write(bytes(1 << 20))  # 20 MB of zeros pack into ~20 kB
    tracemalloc.start()
    with pytest.raises(gu.MnistDataError, match="promises 784,000,000 bytes from .* packed"):
        gu.load_idx(tmp_path / "t10k-images-idx3-ubyte.gz")
    assert tracemalloc.get_traced_memory()[1] < 2**20  # nothing was unpacked
    tracemalloc.stop()
